"""WebhookDispatcher: signed completion POSTs, retried in the background, an outbox for what failed, replay.

Each finished row (``mode="row"``) or each run (``mode="run"``, one summary) is POSTed as
``{actionId, runId, rowId, success, result}`` with these headers (the Standard Webhooks
convention, https://www.standardwebhooks.com, so any receiver library verifies them):

- ``webhook-id``: the event id, :func:`event_id_for` ``(run_id, row_id)``: the same on every
  re-send of a row's event (retry, replay, a re-run after a crash), so a receiver drops duplicates;
- ``webhook-timestamp``: unix seconds of the attempt;
- ``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, with a secret only;
- ``X-Source: genesys-nb``.

Receivers check them with :func:`verify`. The secret is best a ``whsec_<base64>`` string
(:func:`new_secret`); how other strings are taken is in :mod:`genesys_nb.run._webhook_signing`.

Delivery never fails a row: events go on a bounded queue served by worker threads (one pooled
keep-alive HTTP client); timeouts, 5xx and 429 are retried with backoff; what still fails is
appended to the outbox NDJSON file (body kept byte for byte; never the secret, the signature or a
URL's query/credentials) and the event's state becomes ``"failed"``. A full queue is not a
failure: ``submit`` waits for room (at most ``submit_wait_s``), :meth:`submit_async` awaits it
without blocking the event loop, so a healthy receiver that is slower than the run slows the run
instead of losing events. After several failures in a row the dispatcher stops trying for a
cool-down and settles events to the outbox at once, so a receiver that is down does not slow a
run. :func:`replay` delivers the outbox later, each event once, re-signed with its saved id.

Payloads and event ids live in :mod:`genesys_nb.run._webhook_payload`, signatures in
:mod:`genesys_nb.run._webhook_signing`, the POST with retries and the outbox file in
:mod:`genesys_nb.run._webhook_delivery`, the breaker in :mod:`genesys_nb.run._webhook_breaker`,
the ticket of one event in :mod:`genesys_nb.run._webhook_ticket`, replay in
:mod:`genesys_nb.run._webhook_replay`.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from genesys_nb.audit import jsonsafe
from genesys_nb.run._webhook_core import _SLICE_S, _DeliveryCore, _now_iso
from genesys_nb.run._webhook_payload import (
    _check_event_id,
    build_row_payload,
    event_id_for,
    payload_from_record,
)
from genesys_nb.run._webhook_replay import ReplayReport, replay
from genesys_nb.run._webhook_signing import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    SOURCE_HEADER,
    TIMESTAMP_HEADER,
    Secret,
    _safe_url,
    _signer,
    new_secret,
    sign,
    standard_secret,
    verify,
)
from genesys_nb.run._webhook_ticket import WebhookTicket

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

    from genesys_nb.api.models import Action
    from genesys_nb.api.result import ExecutionResult

__all__ = [
    "EVENT_ID_HEADER", "SIGNATURE_HEADER", "SOURCE_HEADER", "TIMESTAMP_HEADER", "ReplayReport",
    "WebhookDispatcher", "WebhookTicket", "build_row_payload", "event_id_for", "new_secret",
    "payload_from_record", "replay", "sign", "standard_secret", "verify",
]

MODES = ("row", "run")


class WebhookDispatcher(_DeliveryCore):
    """Delivers completion events in the background; see the module docstring for the guarantees.

    ``on_state(ticket)`` is called exactly once per event, when it settles: ``ticket.state`` is
    ``"delivered"`` or ``"failed"`` (a failed event is already in the outbox, or in ``unsaved``),
    and ``ticket.run_id``, ``ticket.row_id``, ``ticket.event_id``, ``ticket.attempts`` and
    ``ticket.last_error`` say which event and how. It runs on a dispatcher thread (a delivery
    worker, or for an event settled inside ``submit``, such as while the breaker is open, the
    dispatcher's notifier thread), never on the submitting thread, so it may take locks the caller
    holds; it should be quick and thread-safe (e.g. append the final state to an audit log).
    Exceptions it raises are logged, never propagated. A run's summary (mode="run") is an event too.

    >>> # with WebhookDispatcher(url, secret=new_secret(), outbox="out/webhook-outbox.ndjson") as hooks:
    >>> #     state = await hooks.deliver_async(result, run_id=run_id, row_id=row.row_id, action=action)
    """

    def __init__(
        self,
        url: str,
        *,
        secret: Secret | None = None,
        mode: str = "row",
        timeout_s: float = 5.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
        outbox: str | os.PathLike[str] | None = None,
        transport: httpx.BaseTransport | None = None,
        workers: int = 8,
        on_state: Callable[[WebhookTicket], None] | None = None,
        breaker_threshold: int = 5,
        breaker_cooldown_s: float = 10.0,
        max_queue: int = 10_000,
        submit_wait_s: float | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook url must be an http(s) URL with a host, got {_safe_url(url)!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be 'row' (one POST per row) or 'run' (one summary), got {mode!r}")
        if timeout_s <= 0 or max_retries < 0 or backoff_s < 0 or workers < 1 or max_queue < 1:
            raise ValueError("timeout_s must be > 0, max_retries >= 0, backoff_s >= 0, workers >= 1 "
                             "and max_queue >= 1")
        super().__init__(url, signer=None if secret is None else _signer(secret), timeout_s=timeout_s,
                         max_retries=max_retries, backoff_s=backoff_s, backoff_max_s=backoff_max_s,
                         outbox=outbox, transport=transport, workers=workers, on_state=on_state,
                         breaker_threshold=breaker_threshold, breaker_cooldown_s=breaker_cooldown_s,
                         max_queue=max_queue)  # ValueError for an empty secret
        self.mode = mode
        self.submit_wait_s = self.event_budget_s if submit_wait_s is None else float(submit_wait_s)
        self._runs: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return (f"WebhookDispatcher(url={self.url!r}, mode={self.mode!r}, "
                f"signed={self._signer is not None}, counts={dict(self.counts)})")

    # ---- submitting
    def _ticket(self, payload: Mapping[str, Any], run_id: str | None, row_id: str | None,
                event_id: str | None) -> tuple[WebhookTicket, bool]:
        """A new ticket, and whether it still needs queueing (False: settled already)."""
        if event_id is None:
            deterministic = run_id is not None and row_id is not None
            unknown = payload.get("status") == "unknown"  # a row announced unknown has an id of its own
            event_id = (event_id_for(run_id, row_id, unknown=unknown)  # type: ignore[arg-type]
                        if deterministic else "evt_" + uuid.uuid4().hex)
        ticket = WebhookTicket(_check_event_id(event_id), jsonsafe.dumps(payload), run_id=run_id, row_id=row_id)
        with self._lock:
            self.counts["pending"] += 1
        return ticket, not self._refused(ticket)

    def _refused(self, ticket: WebhookTicket) -> bool:
        if self._closed:
            self._fail(ticket, "dispatcher closed before delivery", worker=False)
        elif self.breaker.is_open():  # receiver known to be down: settle now, so the row's record says so
            self._fail(ticket, "not attempted: receiver failing recently (circuit open)", worker=False)
        else:
            return False
        return True

    def submit_payload(self, payload: Mapping[str, Any], *, run_id: str | None = None,
                       row_id: str | None = None, event_id: str | None = None) -> WebhookTicket:
        """Queue any JSON payload and return its ticket; never raises for delivery problems.

        ``event_id`` defaults to :func:`event_id_for` ``(run_id, row_id)`` when both are given, else
        a random id. When the queue is full this waits for room, at most ``submit_wait_s``.
        """
        ticket, queue_it = self._ticket(payload, run_id, row_id, event_id)
        if not queue_it:
            return ticket
        deadline = time.monotonic() + self.submit_wait_s
        while True:
            left = deadline - time.monotonic()
            try:
                self._queue.put(ticket, timeout=max(0.0, min(_SLICE_S, left)))
                return ticket
            except queue.Full:
                if self._refused(ticket):
                    return ticket
                if left <= 0:
                    self._fail(ticket, f"queue still full after {self.submit_wait_s:g} s (receiver too slow)",
                               worker=False)
                    return ticket

    async def submit_payload_async(self, payload: Mapping[str, Any], *, run_id: str | None = None,
                                   row_id: str | None = None, event_id: str | None = None) -> WebhookTicket:
        """:meth:`submit_payload` that awaits room in a full queue without blocking the event loop."""
        ticket, queue_it = self._ticket(payload, run_id, row_id, event_id)
        if not queue_it:
            return ticket
        deadline = time.monotonic() + self.submit_wait_s
        pause = 0.0005
        while True:
            try:
                self._queue.put_nowait(ticket)
                return ticket
            except queue.Full:
                if self._refused(ticket):
                    return ticket
                if time.monotonic() >= deadline:
                    self._fail(ticket, f"queue still full after {self.submit_wait_s:g} s (receiver too slow)",
                               worker=False)
                    return ticket
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)

    def _row_payload(self, result: ExecutionResult, run_id: str, row_id: str | None, action: Action | None,
                     action_id: str | None, params: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The row's payload (mode="row"), or None after counting the row for its run's summary."""
        action_id = getattr(action, "id", None) or action_id or result.action_id
        if self.mode == "row":
            return build_row_payload(result, run_id=run_id, row_id=row_id, action=action, action_id=action_id,
                                     params=params)
        with self._lock:
            run = self._runs.setdefault(run_id, {"actionId": action_id, "rows": 0, "succeeded": 0, "failed": 0,
                                                 "errorClasses": Counter(), "startedAt": _now_iso()})
            run["rows"] += 1
            run["succeeded" if result.ok else "failed"] += 1
            if result.error_class:
                run["errorClasses"][result.error_class] += 1
        return None

    def submit(self, result: ExecutionResult, *, run_id: str, row_id: str | None,
               action: Action | None = None, action_id: str | None = None,
               params: Mapping[str, Any] | None = None, event_id: str | None = None) -> WebhookTicket | None:
        """Queue the row's event (mode="row") and return its ticket: ``ticket.state`` is ``"pending"``,
        or already ``"failed"`` while the receiver is known to be down. Waits for room while the queue
        is full (at most ``submit_wait_s``; from async code use :meth:`submit_async`). The event id
        is ``event_id`` or :func:`event_id_for` ``(run_id, row_id)``. In mode="run" the row is
        counted for the run's summary and None is returned (the row's state is "none")."""
        payload = self._row_payload(result, run_id, row_id, action, action_id, params)
        if payload is None:
            return None
        return self.submit_payload(payload, run_id=run_id, row_id=row_id, event_id=event_id)

    async def submit_async(self, result: ExecutionResult, *, run_id: str, row_id: str | None,
                           action: Action | None = None, action_id: str | None = None,
                           params: Mapping[str, Any] | None = None,
                           event_id: str | None = None) -> WebhookTicket | None:
        """:meth:`submit` that awaits room in a full queue without blocking the event loop."""
        payload = self._row_payload(result, run_id, row_id, action, action_id, params)
        if payload is None:
            return None
        return await self.submit_payload_async(payload, run_id=run_id, row_id=row_id, event_id=event_id)

    def deliver(self, result: ExecutionResult, *, run_id: str, row_id: str | None,
                action: Action | None = None, action_id: str | None = None,
                params: Mapping[str, Any] | None = None, wait_s: float | None = None,
                event_id: str | None = None) -> str:
        """Submit and wait (at most ``wait_s``) for the outcome: "delivered", "failed", "pending" or
        "none" (mode="run": the run's summary is sent by :meth:`finish_run`)."""
        ticket = self.submit(result, run_id=run_id, row_id=row_id, action=action, action_id=action_id,
                             params=params, event_id=event_id)
        return "none" if ticket is None else ticket.wait(wait_s)

    async def deliver_async(self, result: ExecutionResult, *, run_id: str, row_id: str | None,
                            action: Action | None = None, action_id: str | None = None,
                            params: Mapping[str, Any] | None = None, wait_s: float | None = None,
                            event_id: str | None = None) -> str:
        """Like :meth:`deliver` without blocking the event loop (the POST runs on a worker thread)."""
        ticket = await self.submit_async(result, run_id=run_id, row_id=row_id, action=action,
                                         action_id=action_id, params=params, event_id=event_id)
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
        """mode="run": send the run's summary now (close() sends any not yet sent); its event id is
        ``event_id_for(run_id, None)``."""
        with self._lock:
            run = self._runs.pop(run_id, None)
        if run is None:
            return None
        summary = {**run, "errorClasses": dict(run["errorClasses"]), "finishedAt": _now_iso()}
        action_id = summary.pop("actionId")
        payload = {"actionId": action_id, "runId": run_id, "rowId": None, "success": summary["failed"] == 0,
                   "result": summary}
        return self.submit_payload(payload, run_id=run_id, row_id=None, event_id=event_id_for(run_id, None))

    # ---- lifecycle
    def close(self, timeout_s: float | None = None) -> None:
        """Send pending run summaries, deliver what is queued, then stop the workers.

        The queue is drained for as long as events keep being delivered: only when none has been
        delivered for ``event_budget_s`` (the time one event may take with all its retries) are the
        remaining events sent to the outbox without more attempts. ``timeout_s`` bounds the whole
        drain instead.
        """
        if self._closed:
            return
        for run_id in list(self._runs):
            self.finish_run(run_id)
        self._closed = True
        self._shutdown(timeout_s)

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
