"""The delivery side of the webhook dispatcher: worker threads serving a bounded queue over one
pooled keep-alive HTTP client, the outbox write of what failed, settling each event exactly once
and reporting it to ``on_state`` from a dispatcher thread, and stopping with the queue drained.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from genesys_nb.api.network import network_policy
from genesys_nb.run._webhook_breaker import _Breaker
from genesys_nb.run._webhook_delivery import _append_outbox, _deliver, _Poster
from genesys_nb.run._webhook_signing import _safe_url
from genesys_nb.run._webhook_ticket import WebhookTicket

if TYPE_CHECKING:  # pragma: no cover
    from standardwebhooks.webhooks import Webhook

logger = logging.getLogger("genesys_nb")

_STOP = object()
_SLICE_S = 0.05  # how often a waiting thread looks again (the breaker, close(), the drain)


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _DeliveryCore:
    def __init__(self, url: str, *, signer: Webhook | None, timeout_s: float, max_retries: int, backoff_s: float,
                 backoff_max_s: float, outbox: str | os.PathLike[str] | None,
                 transport: httpx.BaseTransport | None, workers: int,
                 on_state: Callable[[WebhookTicket], None] | None, breaker_threshold: int,
                 breaker_cooldown_s: float, max_queue: int) -> None:
        self._signer = signer
        self._url = url  # may carry a token in its path or query: shown only via the safe form
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.outbox = Path(outbox) if outbox is not None else None
        self.on_state = on_state
        self.breaker = _Breaker(breaker_threshold, breaker_cooldown_s, _safe_url(url))
        # One event's worst case with all its retries: by then a worker has freed a slot, or the
        # breaker has tripped and the queue drains to the outbox.
        self.event_budget_s = timeout_s * (max_retries + 1) + sum(
            min(backoff_max_s, backoff_s * 2 ** n) for n in range(max_retries)) + 1.0
        limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
        # The package's proxy and CA rules (a local receiver is never sent through a proxy), unless a
        # transport is given; connections are kept alive between events (one pool, ``workers`` wide).
        self._poster = _Poster(transport if transport is not None else network_policy(None).transport(limits=limits),
                               timeout_s)
        self._target, self._fixed_headers = _Poster.target(url)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._notices: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._closed = False
        self._lock = threading.Lock()
        self.unsaved: list[dict[str, Any]] = []  # failed events when no outbox path is set
        self.counts: Counter[str] = Counter()
        self._workers = [threading.Thread(target=self._work, name=f"genesys-nb-webhook-{n}", daemon=True)
                         for n in range(workers)]
        self._notifier = threading.Thread(target=self._notify_loop, name="genesys-nb-webhook-notify", daemon=True)
        for thread in [*self._workers, self._notifier]:
            thread.start()

    @property
    def url(self) -> str:
        """The receiver URL without credentials or query (safe to print)."""
        return _safe_url(self._url)

    # ---- delivering
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
        admitted, probe = self.breaker.admit()
        if not admitted:
            self._fail(ticket, "not attempted: receiver failing recently (circuit open)")
            return
        outcome = _deliver(self._poster, self._target, ticket.body, ticket.event_id, self._signer,
                           fixed=self._fixed_headers,
                           max_retries=0 if probe else self.max_retries, backoff_s=self.backoff_s,
                           backoff_max_s=self.backoff_max_s, wait=self._wait)
        ticket.attempts, ticket.status_code, ticket.last_error = outcome.attempts, outcome.status_code, outcome.error
        self.breaker.record(outcome.ok, probe)
        if outcome.ok:
            self._settle(ticket, "delivered")
        else:
            self._fail(ticket, outcome.error or "delivery failed")

    def _fail(self, ticket: WebhookTicket, reason: str, *, worker: bool = True) -> None:
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
        self._settle(ticket, "failed", worker=worker)

    def _settle(self, ticket: WebhookTicket, state: str, *, worker: bool = True) -> None:
        if not ticket._settle(state):
            return  # settled once already: counted and reported then
        with self._lock:
            self.counts["pending"] -= 1
            self.counts[state] += 1
        if self.on_state is None:
            return
        if worker:
            self._notify(ticket)
        else:  # settled on the submitting thread: report it from the notifier thread
            self._notices.put(ticket)

    def _notify(self, ticket: WebhookTicket) -> None:
        try:
            self.on_state(ticket)  # type: ignore[misc]
        except Exception:
            logger.exception("webhook on_state callback failed")

    def _notify_loop(self) -> None:
        while True:
            ticket = self._notices.get()
            if ticket is _STOP:
                return
            self._notify(ticket)

    def _shutdown(self, timeout_s: float | None) -> None:
        """Stop the workers once the queue is drained (see ``close``), then the notifier and the client."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        delivered, progress_at = -1, time.monotonic()

        def overdue() -> bool:
            nonlocal delivered, progress_at
            now = time.monotonic()
            if self.counts["delivered"] != delivered:  # progress is deliveries: failing only ends the wait
                delivered, progress_at = self.counts["delivered"], now
            return now >= deadline if deadline is not None else now - progress_at > self.event_budget_s

        stops = len(self._workers)
        while stops:  # one stop marker per worker, behind what is queued
            try:
                self._queue.put(_STOP, timeout=_SLICE_S)
                stops -= 1
            except queue.Full:
                if overdue():
                    self._stopping.set()  # cut retries short: what is left goes to the outbox, fast
        while not self._stopping.is_set():
            alive = next((worker for worker in self._workers if worker.is_alive()), None)
            if alive is None:
                break
            if overdue():
                self._stopping.set()
                break
            alive.join(_SLICE_S)
        for worker in self._workers:
            worker.join()
        while True:  # anything queued behind the stop markers (a submit racing close)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, WebhookTicket):
                self._fail(item, "not attempted: dispatcher closed", worker=False)
        self._notices.put(_STOP)
        self._notifier.join()
        self._poster.close()
