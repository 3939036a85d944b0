"""Request pacing: a token bucket under the per-token rate that adapts to rate-limit headers and 429s.

The goal is the full allowed throughput with no 429 at all, so pacing is proactive, not a
reaction to errors. Three rules, all decided by the pure :class:`Pacer` (time is passed in, so
every rule is table-tested without sleeping):

1. **Token bucket** (virtual scheduling): sends are spaced ``60 / rate_per_minute`` seconds
   apart less ``headroom`` (default 2 %, so clock jitter between us and the platform never tips a
   window over the limit), with a burst of ``burst`` sends (default 1: no backlog is ever sent in
   a rush). A waiting sender that wakes up late by less than one interval keeps the schedule
   anchored, so the event loop's small wake-up delays do not add up into a lower rate.
2. **Window guard** from the ``inin-ratelimit-count/allowed/reset`` headers: the newest response
   says how many requests the platform counted in its current window; minus the requests sent
   since, that is what is left. When nothing is left, sends wait for the window to reset.
3. **429 back-off and recovery**: a 429 cuts the rate (``decrease_factor``, once per round of
   requests in flight, not once per 429 of the same burst), pauses every send for the
   Retry-After, then the rate climbs back linearly to the configured one over ``recovery_s``.

``rate_per_minute=None`` turns pacing off: no bucket, no window guard, no rate cut (as fast as
the concurrency allows). A Retry-After is still honoured by every sender, since every request
would be refused until then.

:class:`AsyncPacer` is the thin async shell: one task at a time waits for its slot, so a change
of rate (a 429) applies to the very next send.
"""
from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["AsyncPacer", "Pacer", "PacerStats", "RateLimitLike"]


class RateLimitLike(Protocol):
    """What the pacer reads from a response's ``inin-ratelimit-*`` headers (models.RateLimitInfo)."""

    @property
    def count(self) -> int | None: ...

    @property
    def allowed(self) -> int | None: ...

    @property
    def reset_s(self) -> float | None: ...


@dataclass(frozen=True)
class PacerStats:
    """Counters for a run summary."""

    sends: int
    rate_limited: int
    slowdowns: int
    window_waits: int


class Pacer:
    """Decides when the next request may be sent. Pure: every method takes ``now`` (seconds).

    >>> pacer = Pacer(rate_per_minute=60, headroom=0)   # one request per second
    >>> pacer.delay_s(now=0.0)
    0.0
    >>> _ = pacer.on_send(now=0.0)
    >>> pacer.delay_s(now=0.25)
    0.75
    """

    def __init__(
        self,
        rate_per_minute: float | None = 300.0,
        *,
        burst: int = 1,
        headroom: float = 0.02,
        min_fraction: float = 0.1,
        decrease_factor: float = 0.5,
        recovery_s: float | None = None,
        max_pause_s: float = 60.0,
    ) -> None:
        if rate_per_minute is not None:
            if isinstance(rate_per_minute, bool) or not isinstance(rate_per_minute, (int, float)):
                raise TypeError("rate_per_minute must be a number of requests per minute, or None for no pacing")
            if not math.isfinite(rate_per_minute) or rate_per_minute <= 0:
                raise ValueError(
                    f"rate_per_minute must be > 0 (got {rate_per_minute!r}); use None to turn pacing off"
                )
        if not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be an int >= 1 (got {burst!r})")
        if not 0 <= headroom < 0.5:
            raise ValueError(f"headroom must be in [0, 0.5) (got {headroom!r})")
        if not 0 < min_fraction <= 1:
            raise ValueError(f"min_fraction must be in (0, 1] (got {min_fraction!r})")
        if not 0 < decrease_factor < 1:
            raise ValueError(f"decrease_factor must be in (0, 1) (got {decrease_factor!r})")
        if max_pause_s <= 0:
            raise ValueError(f"max_pause_s must be > 0 (got {max_pause_s!r})")
        self.rate_per_minute = None if rate_per_minute is None else float(rate_per_minute)
        self.burst = burst
        self.headroom = headroom
        self.min_fraction = min_fraction
        self.decrease_factor = decrease_factor
        base_interval = self.base_interval_s
        # Default recovery: 60 sends at the full rate (12 s at 300/min), so a second 429 is unlikely
        # unless the limit really is lower, in which case the cut applies again.
        self.recovery_s = recovery_s if recovery_s is not None else (60 * base_interval if base_interval else 1.0)
        if self.recovery_s <= 0:
            raise ValueError(f"recovery_s must be > 0 (got {recovery_s!r})")
        self.max_pause_s = max_pause_s
        self._next_at = -math.inf  # theoretical time of the next send (virtual scheduling)
        self._pause_until = -math.inf
        self._fraction_floor = 1.0  # rate fraction right after the last cut
        self._cut_at = -math.inf
        self._cut_seq = -1  # sends numbered below this were in flight before the last cut
        self._window_remaining: int | None = None
        self._window_ends_at = -math.inf
        self._header_seq = -1
        self._sent = 0
        self._rate_limited = 0
        self._slowdowns = 0
        self._window_waits = 0

    # ---- rate ----------------------------------------------------------------------------------
    @property
    def base_interval_s(self) -> float | None:
        """Seconds between sends at the configured rate less headroom (None when pacing is off)."""
        return None if self.rate_per_minute is None else 60.0 / (self.rate_per_minute * (1.0 - self.headroom))

    def fraction(self, now: float) -> float:
        """Share of the configured rate in force at ``now`` (1.0 unless recovering from a 429)."""
        if self._fraction_floor >= 1.0:
            return 1.0
        climbed = (now - self._cut_at) / self.recovery_s
        return min(1.0, self._fraction_floor + (1.0 - self._fraction_floor) * max(0.0, climbed))

    def rate_per_minute_at(self, now: float) -> float | None:
        """The pace in force at ``now``, in requests per minute (None when pacing is off)."""
        if self.rate_per_minute is None:
            return None
        return self.rate_per_minute * (1.0 - self.headroom) * self.fraction(now)

    # ---- decisions -----------------------------------------------------------------------------
    def delay_s(self, now: float) -> float:
        """Seconds to wait from ``now`` before the next send may go (0.0: send now)."""
        earliest = max(now, self._pause_until)
        if self._window_remaining is not None and self._window_remaining <= 0 and now < self._window_ends_at:
            earliest = max(earliest, self._window_ends_at)
        rate = self.rate_per_minute_at(now)
        if rate is not None:
            interval = 60.0 / rate
            earliest = max(earliest, self._next_at - (self.burst - 1) * interval)
        return max(0.0, earliest - now)

    def on_send(self, now: float, *, due_at: float | None = None) -> int:
        """Record that a request goes out at ``now``; returns its sequence number (for on_response).

        ``due_at`` is when the pacer said the send could go (``now + delay_s(now)`` at the last
        check) for a caller that waited: if it woke up late by less than one interval, the schedule
        stays anchored at ``due_at``, so a busy event loop's small delays do not add up to a lower
        rate. A caller that did not wait gives no credit (an idle spell never earns a backlog).
        """
        seq = self._sent
        self._sent += 1
        rate = self.rate_per_minute_at(now)
        if rate is not None:
            interval = 60.0 / rate
            at = due_at if due_at is not None and due_at <= now < due_at + interval else now
            # Virtual scheduling (GCRA): the next slot is one interval after this one; a sender
            # that was idle restarts from now, with `burst - 1` sends of credit at most.
            self._next_at = max(self._next_at, at) + interval
        if self._window_remaining is not None:
            if now >= self._window_ends_at:
                self._window_remaining = None  # the platform's window has reset: unknown again
            else:
                self._window_remaining -= 1
                if self._window_remaining <= 0:
                    self._window_waits += 1
        return seq

    def on_response(
        self,
        now: float,
        *,
        seq: int,
        status_code: int | None,
        rate_limit: RateLimitLike | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        """Learn from the response to send ``seq``: its status, rate-limit headers and Retry-After."""
        if status_code == 429:
            self._rate_limited += 1
            if seq >= self._cut_seq:  # the first 429 of this round; the rest of the burst is the same event
                self._fraction_floor = max(self.min_fraction, self.fraction(now) * self.decrease_factor)
                self._cut_at = now
                self._cut_seq = self._sent
                self._slowdowns += 1
                # Restart spacing from now at the slower pace: nothing queued may go early.
                self._next_at = max(self._next_at, now)
            pause_s = retry_after_s if retry_after_s is not None else self.base_interval_s or 0.0
            self._pause_until = max(self._pause_until, now + min(max(0.0, pause_s), self.max_pause_s))
        if rate_limit is not None and seq > self._header_seq and self.rate_per_minute is not None:
            self._learn_window(now, seq, rate_limit)

    def _learn_window(self, now: float, seq: int, rate_limit: RateLimitLike) -> None:
        count, allowed, reset_s = rate_limit.count, rate_limit.allowed, rate_limit.reset_s
        if count is None or allowed is None or reset_s is None:
            return
        self._header_seq = seq
        sent_since = self._sent - seq - 1  # may have been counted already: a conservative estimate
        remaining = allowed - count - sent_since
        reset_s = min(max(0.0, float(reset_s)), self.max_pause_s)
        self._window_remaining = remaining
        self._window_ends_at = now + reset_s
        if remaining <= 0:
            self._window_waits += 1

    # ---- reporting -----------------------------------------------------------------------------
    @property
    def stats(self) -> PacerStats:
        return PacerStats(sends=self._sent, rate_limited=self._rate_limited, slowdowns=self._slowdowns,
                          window_waits=self._window_waits)

    def __repr__(self) -> str:
        return (f"Pacer(rate_per_minute={self.rate_per_minute!r}, burst={self.burst}, "
                f"sends={self._sent}, rate_limited={self._rate_limited})")


class AsyncPacer:
    """Async gate around a :class:`Pacer`: ``seq = await gate.acquire()`` before each send.

    Waiters queue on a lock (FIFO), so only the head waits on the clock and re-checks the pacer
    after each nap: a 429 seen meanwhile delays it at once.
    """

    def __init__(
        self,
        pacer: Pacer,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        max_nap_s: float = 0.25,
    ) -> None:
        self.pacer = pacer
        self._clock = clock
        self._sleep = sleep
        self._max_nap_s = max_nap_s
        self._lock = asyncio.Lock()
        self._queued = 0  # callers inside the queue (waiting for the lock or holding it)

    async def acquire(self, abort: Callable[[], bool] | None = None) -> int | None:
        """Wait for this caller's slot and record the send; returns its sequence number.

        ``abort`` is checked after every nap: when it returns True the wait ends without a send
        and None is returned (a stopped run drops rows that were only waiting).
        """
        if not self._queued:
            # Nobody is queued: when the slot is free now, take it without entering the queue (the
            # same first check the queue would make, minus a lock round trip on every send).
            if abort is not None and abort():
                return None
            now = self._clock()
            if self.pacer.delay_s(now) <= 0:
                return self.pacer.on_send(now)
        self._queued += 1
        try:
            async with self._lock:
                due_at: float | None = None
                while True:
                    if abort is not None and abort():
                        return None
                    now = self._clock()
                    delay = self.pacer.delay_s(now)
                    if delay <= 0:
                        return self.pacer.on_send(now, due_at=due_at)
                    due_at = now + delay
                    await self._sleep(min(delay, self._max_nap_s))
        finally:
            self._queued -= 1

    def on_response(
        self, *, seq: int, status_code: int | None, rate_limit: RateLimitLike | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        self.pacer.on_response(self._clock(), seq=seq, status_code=status_code, rate_limit=rate_limit,
                               retry_after_s=retry_after_s)
