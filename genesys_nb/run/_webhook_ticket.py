"""The delivery state of one webhook event, settled once by a dispatcher worker."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("genesys_nb")


class WebhookTicket:
    """The delivery state of one event: ``"pending"`` until it settles, once, as ``"delivered"`` or
    ``"failed"``. ``event_id`` is the event's ``webhook-id``; ``body`` the exact bytes sent."""

    def __init__(self, event_id: str, body: bytes, *, run_id: str | None, row_id: str | None) -> None:
        self.event_id = event_id
        self.body = body
        self.run_id = run_id
        self.row_id = row_id
        self.state = "pending"
        self.attempts = 0
        self.status_code: int | None = None
        self.last_error: str | None = None
        self._done = threading.Event()
        self._callbacks: list[Callable[[WebhookTicket], None]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WebhookTicket(row_id={self.row_id!r}, state={self.state!r}, attempts={self.attempts})"

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout_s: float | None = None) -> str:
        """Block until settled (or ``timeout_s``); returns the state."""
        self._done.wait(timeout_s)
        return self.state

    def add_done_callback(self, callback: Callable[[WebhookTicket], None]) -> None:
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def _settle(self, state: str) -> bool:
        """Settle once; False (nothing changed) when already settled."""
        with self._lock:
            if self._done.is_set():
                return False
            self.state = state
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback(self)
            except Exception:  # a broken callback must not kill the worker
                logger.exception("webhook state callback failed")
        return True
