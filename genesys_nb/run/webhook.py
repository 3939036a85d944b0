"""WebhookDispatcher: signed completion POSTs, retried in the background, an outbox for what failed, replay.

Each finished row (``mode="row"``) or each run (``mode="run"``, one summary) is POSTed as
``{actionId, runId, rowId, success, result}`` with ``X-Source: genesys-nb``. With a secret, the
body is signed: ``X-Genesys-NB-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` and
``X-Genesys-NB-Timestamp: <unix seconds>``; receivers check both with :func:`verify`. Every event
has an ``X-Genesys-NB-Event-Id`` so a receiver can drop a duplicate.

Delivery never fails or blocks a row: events go on a queue served by worker threads; timeouts,
5xx and 429 are retried with backoff; what still fails is appended to the outbox NDJSON file
(body kept byte for byte; never the secret, the signature or a URL's query/credentials) and the
row's state becomes ``"failed"``. After several failures in a row the dispatcher stops trying for a
cool-down and sends events straight to the outbox, so a receiver that is down does not slow a run.
:func:`replay` delivers the outbox later, each event once, and atomically rewrites the file with
what still failed.

Payloads and signatures live in :mod:`genesys_nb.run._webhook_signing`, the POST with retries and
the outbox file in :mod:`genesys_nb.run._webhook_delivery`, the ticket of one event in
:mod:`genesys_nb.run._webhook_ticket`, replay in :mod:`genesys_nb.run._webhook_replay`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from genesys_nb.audit import jsonsafe
from genesys_nb.run._webhook_delivery import _append_outbox, _deliver
from genesys_nb.run._webhook_replay import ReplayReport, replay
from genesys_nb.run._webhook_signing import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    SOURCE_HEADER,
    TIMESTAMP_HEADER,
    _safe_url,
    build_row_payload,
    sign,
    verify,
)
from genesys_nb.run._webhook_ticket import WebhookTicket

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

    from genesys_nb.api.models import Action
    from genesys_nb.api.result import ExecutionResult

__all__ = [
    "EVENT_ID_HEADER", "SIGNATURE_HEADER", "SOURCE_HEADER", "TIMESTAMP_HEADER", "ReplayReport",
    "WebhookDispatcher", "WebhookTicket", "build_row_payload", "replay", "sign", "verify",
]

logger = logging.getLogger("genesys_nb")

MODES = ("row", "run")


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_STOP = object()


class WebhookDispatcher:
    """Delivers completion events in the background; see the module docstring for the guarantees.

    >>> # with WebhookDispatcher(url, secret=..., outbox="out/webhook-outbox.ndjson") as hooks:
    >>> #     state = await hooks.deliver_async(result, run_id=run_id, row_id=row.row_id, action=action)
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        mode: str = "row",
        timeout_s: float = 5.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
        outbox: str | os.PathLike[str] | None = None,
        transport: httpx.BaseTransport | None = None,
        workers: int = 2,
        on_state: Callable[[str | None, str], None] | None = None,
        breaker_threshold: int = 5,
        breaker_cooldown_s: float = 10.0,
        max_queue: int = 10_000,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook url must be an http(s) URL with a host, got {_safe_url(url)!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be 'row' (one POST per row) or 'run' (one summary), got {mode!r}")
        if timeout_s <= 0 or max_retries < 0 or backoff_s < 0 or workers < 1:
            raise ValueError("timeout_s must be > 0, max_retries >= 0, backoff_s >= 0 and workers >= 1")
        self._url = url  # may carry a token in its path or query: shown only via the safe form
        self.mode = mode
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.outbox = Path(outbox) if outbox is not None else None
        self.on_state = on_state
        self.breaker_threshold = breaker_threshold
        self.breaker_cooldown_s = breaker_cooldown_s
        self._secret = secret
        self._client = httpx.Client(transport=transport, timeout=timeout_s, follow_redirects=False)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._stopping = threading.Event()
        self._closed = False
        self._lock = threading.Lock()
        self._consecutive_failures = 0
        self._tripped = False
        self._probing = False
        self._open_until = 0.0
        self._runs: dict[str, dict[str, Any]] = {}
        self.unsaved: list[dict[str, Any]] = []  # failed events when no outbox path is set
        self.counts: Counter[str] = Counter()
        self._workers = [threading.Thread(target=self._work, name=f"genesys-nb-webhook-{n}", daemon=True)
                         for n in range(workers)]
        for worker in self._workers:
            worker.start()

    @property
    def url(self) -> str:
        """The receiver URL without credentials or query (safe to print)."""
        return _safe_url(self._url)

    def __repr__(self) -> str:
        return (f"WebhookDispatcher(url={self.url!r}, mode={self.mode!r}, "
                f"signed={self._secret is not None}, counts={dict(self.counts)})")

    # ---- submitting
    def submit_payload(self, payload: Mapping[str, Any], *, run_id: str | None = None,
                       row_id: str | None = None) -> WebhookTicket:
        """Queue any JSON payload; never blocks, never raises for delivery problems."""
        body = jsonsafe.dumps(payload)
        ticket = WebhookTicket(uuid.uuid4().hex, body, run_id=run_id, row_id=row_id)
        with self._lock:
            self.counts["pending"] += 1
        if self._closed:
            self._fail(ticket, "dispatcher closed before delivery")
            return ticket
        if self._circuit_open():  # receiver known to be down: settle now, so the row's record says so
            self._fail(ticket, "not attempted: receiver failing recently (circuit open)")
            return ticket
        try:
            self._queue.put_nowait(ticket)
        except queue.Full:
            self._fail(ticket, "queue full (receiver too slow); kept in the outbox")
        return ticket

    def submit(self, result: ExecutionResult, *, run_id: str, row_id: str | None,
               action: Action | None = None, action_id: str | None = None,
               params: Mapping[str, Any] | None = None) -> WebhookTicket | None:
        """Queue the row's event (mode="row") and return its ticket at once: ``ticket.state`` is
        ``"pending"``, or already ``"failed"`` while the receiver is known to be down. In mode="run"
        the row is counted for the run's summary and None is returned (the row's state is "none")."""
        action_id = getattr(action, "id", None) or action_id or result.action_id
        if self.mode == "run":
            with self._lock:
                run = self._runs.setdefault(run_id, {"actionId": action_id,
                                                     "rows": 0, "succeeded": 0, "failed": 0,
                                                     "errorClasses": Counter(), "startedAt": _now_iso()})
                run["rows"] += 1
                run["succeeded" if result.ok else "failed"] += 1
                if result.error_class:
                    run["errorClasses"][result.error_class] += 1
            return None
        payload = build_row_payload(result, run_id=run_id, row_id=row_id, action=action, action_id=action_id,
                                    params=params)
        return self.submit_payload(payload, run_id=run_id, row_id=row_id)

    def deliver(self, result: ExecutionResult, *, run_id: str, row_id: str | None,
                action: Action | None = None, action_id: str | None = None,
                params: Mapping[str, Any] | None = None, wait_s: float | None = None) -> str:
        """Submit and wait (at most ``wait_s``) for the outcome: "delivered", "failed", "pending" or
        "none" (mode="run": the run's summary is sent by :meth:`finish_run`)."""
        ticket = self.submit(result, run_id=run_id, row_id=row_id, action=action, action_id=action_id,
                             params=params)
        return "none" if ticket is None else ticket.wait(wait_s)

    async def deliver_async(self, result: ExecutionResult, *, run_id: str, row_id: str | None,
                            action: Action | None = None, action_id: str | None = None,
                            params: Mapping[str, Any] | None = None, wait_s: float | None = None) -> str:
        """Like :meth:`deliver` without blocking the event loop (the POST runs on a worker thread)."""
        ticket = self.submit(result, run_id=run_id, row_id=row_id, action=action, action_id=action_id,
                             params=params)
        if ticket is None:
            return "none"
        return await self.wait_async(ticket, wait_s=wait_s)

    async def wait_async(self, ticket: WebhookTicket, *, wait_s: float | None = None) -> str:
        loop = asyncio.get_running_loop()
        settled: asyncio.Future[str] = loop.create_future()

        def wake(done: WebhookTicket) -> None:
            def resolve() -> None:
                if not settled.done():
                    settled.set_result(done.state)
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(resolve)

        ticket.add_done_callback(wake)
        try:
            return await asyncio.wait_for(asyncio.shield(settled), wait_s)
        except asyncio.TimeoutError:
            return ticket.state

    def finish_run(self, run_id: str) -> WebhookTicket | None:
        """mode="run": send the run's summary now (close() sends any not yet sent)."""
        with self._lock:
            run = self._runs.pop(run_id, None)
        if run is None:
            return None
        summary = {**run, "errorClasses": dict(run["errorClasses"]), "finishedAt": _now_iso()}
        action_id = summary.pop("actionId")
        payload = {"actionId": action_id, "runId": run_id, "rowId": None, "success": summary["failed"] == 0,
                   "result": summary}
        return self.submit_payload(payload, run_id=run_id, row_id=None)

    # ---- delivering
    def _circuit_open(self) -> bool:
        with self._lock:
            return self._tripped and time.monotonic() < self._open_until

    def _admit(self) -> tuple[bool, bool]:
        """(may attempt, is a probe). After the breaker trips, one probe at a time after the cool-down."""
        with self._lock:
            if not self._tripped:
                return True, False
            if self._probing or time.monotonic() < self._open_until:
                return False, False
            self._probing = True
            return True, True

    def _record(self, delivered: bool, probe: bool) -> None:
        with self._lock:
            if probe:
                self._probing = False
            if delivered:
                self._consecutive_failures = 0
                self._tripped = False
                return
            self._consecutive_failures += 1
            if probe or (self.breaker_threshold and self._consecutive_failures >= self.breaker_threshold):
                if not self._tripped:
                    logger.warning("webhook receiver %s is failing; events go to the outbox, retrying "
                                   "every %.0f s", self.url, self.breaker_cooldown_s)
                self._tripped = True
                self._open_until = time.monotonic() + self.breaker_cooldown_s

    def _wait(self, delay_s: float) -> bool:
        return not self._stopping.wait(delay_s)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                self._process(item)
            finally:
                self._queue.task_done()

    def _process(self, ticket: WebhookTicket) -> None:
        if self._stopping.is_set():
            self._fail(ticket, "not attempted: dispatcher closing")
            return
        admitted, probe = self._admit()
        if not admitted:
            self._fail(ticket, "not attempted: receiver failing recently (circuit open)")
            return
        outcome = _deliver(self._client, self._url, ticket.body, ticket.event_id, self._secret,
                           max_retries=0 if probe else self.max_retries, backoff_s=self.backoff_s,
                           backoff_max_s=self.backoff_max_s, wait=self._wait)
        ticket.attempts, ticket.status_code, ticket.last_error = outcome.attempts, outcome.status_code, outcome.error
        self._record(outcome.ok, probe)
        if outcome.ok:
            self._settle(ticket, "delivered")
        else:
            self._fail(ticket, outcome.error or "delivery failed")

    def _fail(self, ticket: WebhookTicket, reason: str) -> None:
        ticket.last_error = ticket.last_error or reason
        entry = {"event_id": ticket.event_id, "created_at": _now_iso(), "url": self.url,
                 "run_id": ticket.run_id, "row_id": ticket.row_id, "attempts": ticket.attempts,
                 "last_status": ticket.status_code, "last_error": ticket.last_error,
                 "body": ticket.body.decode("utf-8")}
        try:
            if self.outbox is not None:
                _append_outbox(self.outbox, [entry])
            else:
                with self._lock:
                    self.unsaved.append(entry)
        except OSError:
            logger.exception("could not write the webhook outbox %s", self.outbox)
            with self._lock:
                self.unsaved.append(entry)
        self._settle(ticket, "failed")

    def _settle(self, ticket: WebhookTicket, state: str) -> None:
        with self._lock:
            self.counts["pending"] -= 1
            self.counts[state] += 1
        ticket._settle(state)
        if self.on_state is not None:
            try:
                self.on_state(ticket.row_id, state)
            except Exception:
                logger.exception("webhook on_state callback failed")

    # ---- lifecycle
    def close(self, timeout_s: float | None = None) -> None:
        """Send pending run summaries, deliver what is queued, then stop the workers.

        After ``timeout_s`` (default: the time one event may take with all its retries) the
        remaining events go to the outbox without more attempts.
        """
        if self._closed:
            return
        for run_id in list(self._runs):
            self.finish_run(run_id)
        self._closed = True
        budget = timeout_s
        if budget is None:
            budget = self.timeout_s * (self.max_retries + 1) + sum(
                min(self.backoff_max_s, self.backoff_s * 2 ** n) for n in range(self.max_retries)) + 1.0
        for _ in self._workers:
            self._queue.put(_STOP)
        deadline = time.monotonic() + budget
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        if any(worker.is_alive() for worker in self._workers):
            self._stopping.set()  # cut retries short: what is left goes to the outbox
            for worker in self._workers:
                worker.join()
        while True:  # anything queued behind the stop markers (a submit racing close)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, WebhookTicket):
                self._fail(item, "not attempted: dispatcher closed")
        self._client.close()

    async def aclose(self, timeout_s: float | None = None) -> None:
        """:meth:`close` without blocking the event loop."""
        await asyncio.to_thread(self.close, timeout_s)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
