"""The webhook dispatcher's circuit breaker: after several failed events in a row it stops trying
for a cool-down, then lets one probe through; a delivered event closes it again.
"""
from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger("genesys_nb")


class _Breaker:
    def __init__(self, threshold: int, cooldown_s: float, name: str) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._name = name  # the receiver's safe URL, for the log
        self._lock = threading.Lock()
        self._consecutive_failures = 0
        self._tripped = False
        self._probing = False
        self._open_until = 0.0

    def is_open(self) -> bool:
        """The receiver is known to be down: events settle at once without an attempt."""
        with self._lock:
            return self._tripped and time.monotonic() < self._open_until

    def admit(self) -> tuple[bool, bool]:
        """(may attempt, is a probe). After the breaker trips, one probe at a time after the cool-down."""
        with self._lock:
            if not self._tripped:
                return True, False
            if self._probing or time.monotonic() < self._open_until:
                return False, False
            self._probing = True
            return True, True

    def record(self, delivered: bool, probe: bool) -> None:
        with self._lock:
            if probe:
                self._probing = False
            if delivered:
                self._consecutive_failures = 0
                self._tripped = False
                return
            self._consecutive_failures += 1
            if probe or (self.threshold and self._consecutive_failures >= self.threshold):
                if not self._tripped:
                    logger.warning("webhook receiver %s is failing; events go to the outbox, retrying "
                                   "every %.0f s", self._name, self.cooldown_s)
                self._tripped = True
                self._open_until = time.monotonic() + self.cooldown_s
