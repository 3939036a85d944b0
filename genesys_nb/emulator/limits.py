"""Platform limits: requests per (time-scaled) minute per token, and executions in flight."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

RATE_LIMIT_KEY = "client.credentials.token.rate.per.minute"
CONCURRENCY_LIMIT_KEY = "actions.concurrent.executions.max"


@dataclass(frozen=True)
class Limits:
    """Configurable limits. ``time_scale`` = 60 makes a platform minute last one real second and
    divides every emulated latency by 60; token lifetimes are real seconds and are not scaled."""

    rate_per_minute: int = 300
    max_in_flight: int = 50
    time_scale: float = 1.0
    token_lifetime_s: float = 86400.0

    def __post_init__(self) -> None:
        for name in ("rate_per_minute", "max_in_flight"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        for name in ("time_scale", "token_lifetime_s"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a number > 0, got {value!r}")

    @property
    def minute_s(self) -> float:
        """Length of one platform minute in real seconds."""
        return 60.0 / self.time_scale

    def updated(self, **changes: Any) -> Limits:
        unknown = sorted(set(changes) - {"rate_per_minute", "max_in_flight", "time_scale", "token_lifetime_s"})
        if unknown:
            raise ValueError(
                f"unknown limit(s) {', '.join(unknown)}; use rate_per_minute, max_in_flight, time_scale, token_lifetime_s"
            )
        return replace(self, **{key: value for key, value in changes.items() if value is not None})

    def to_dict(self) -> dict[str, Any]:
        return {"rate_per_minute": self.rate_per_minute, "max_in_flight": self.max_in_flight,
                "time_scale": self.time_scale, "token_lifetime_s": self.token_lifetime_s}


@dataclass(frozen=True)
class RateState:
    count: int
    allowed: int
    reset_s: float  # real seconds until the window resets
    limited: bool

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("inin-ratelimit-count", str(self.count)),
            ("inin-ratelimit-allowed", str(self.allowed)),
            ("inin-ratelimit-reset", str(max(0, math.ceil(self.reset_s)))),
        ]


class RateLimiter:
    """Fixed windows of one (scaled) minute per token, as the ``inin-ratelimit-*`` headers describe."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    def clear(self) -> None:
        self._windows.clear()

    def hit(self, key: str, now: float, limits: Limits) -> RateState:
        start, count = self._windows.get(key, (now, 0))
        if now - start >= limits.minute_s:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        reset_s = max(0.0, start + limits.minute_s - now)
        return RateState(count, limits.rate_per_minute, reset_s, count > limits.rate_per_minute)

    def peek(self, key: str | None, now: float, limits: Limits) -> RateState:
        if key is None or key not in self._windows:
            return RateState(0, limits.rate_per_minute, limits.minute_s, False)
        start, count = self._windows[key]
        if now - start >= limits.minute_s:
            return RateState(0, limits.rate_per_minute, limits.minute_s, False)
        return RateState(count, limits.rate_per_minute, start + limits.minute_s - now, False)
