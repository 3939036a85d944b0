"""Pure retry rules: parse Retry-After, compute backoff delays, decide whether an attempt may be retried.

Retry numbers are 1-based: ``retry_number=1`` is the first retry, considered after the first
attempt failed. A policy with ``max_retries=3`` allows at most 4 attempts.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = [
    "RETRYABLE_SERVER_STATUSES",
    "RetryPolicy",
    "backoff_delay_s",
    "parse_retry_after",
    "retry_delay_s",
    "should_retry",
]

# Gateway-style statuses: the request did not run (or is safe to run again) on the platform side.
RETRYABLE_SERVER_STATUSES = frozenset({502, 503, 504})

_NEVER_RETRIED = frozenset({"validation", "bad_request", "auth", "permission", "not_found", "contract"})

_shared_rng = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    """How many retries, how long to wait between them, and the cap on a server-requested wait.

    >>> RetryPolicy().max_retries
    3
    """

    max_retries: int = 3
    max_retry_after_s: float = 60.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"max_retries must be an int >= 0 (got {self.max_retries!r}).")
        for name in ("max_retry_after_s", "backoff_initial_s", "backoff_max_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number of seconds >= 0 (got {value!r}).")
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError(
                f"backoff_max_s ({self.backoff_max_s}) must be >= backoff_initial_s ({self.backoff_initial_s})."
            )
        jitter = self.jitter
        if isinstance(jitter, bool) or not isinstance(jitter, (int, float)) or not 0 <= jitter <= 1:
            raise ValueError(f"jitter must be a fraction in 0..1 (got {jitter!r}).")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta seconds or an HTTP date.

    Garbage, empty or missing -> None; a negative value or a date in the past -> 0.0.

    >>> parse_retry_after("42")
    42.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        if not math.isfinite(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    reference = now if now is not None else datetime.now(timezone.utc)
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=timezone.utc)
    return max(0.0, (when - reference).total_seconds())


def _check_retry_number(retry_number: int) -> None:
    if isinstance(retry_number, bool) or not isinstance(retry_number, int) or retry_number < 1:
        raise ValueError(f"retry_number is 1-based and must be an int >= 1 (got {retry_number!r}).")


def backoff_delay_s(retry_number: int, policy: RetryPolicy, *, rng: random.Random | None = None) -> float:
    """Exponential backoff: initial * 2**(n-1), capped at backoff_max_s, minus up to ``jitter`` of it.

    The result lies in ``[base * (1 - jitter), base]`` so the cap is never exceeded.

    >>> backoff_delay_s(3, RetryPolicy(jitter=0.0))
    2.0
    """
    _check_retry_number(retry_number)
    # Cap the exponent so large retry numbers never overflow.
    base = min(policy.backoff_max_s, policy.backoff_initial_s * (2.0 ** min(retry_number - 1, 62)))
    if policy.jitter == 0:
        return base
    source = rng if rng is not None else _shared_rng
    return base * (1.0 - policy.jitter * source.random())


def retry_delay_s(
    result_or_class: Any,
    policy: RetryPolicy,
    *,
    retry_after_s: float | None = None,
    retry_number: int = 1,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry ``retry_number``.

    ``result_or_class`` is an error class name or anything with ``error_class`` / ``retry_after_s``
    attributes (an ExecutionResult). A server-given Retry-After (429, or a 503 that sends one) is
    honoured, capped at ``policy.max_retry_after_s``; otherwise exponential backoff with jitter.
    """
    if isinstance(result_or_class, str):
        error_class = result_or_class
    else:
        error_class = getattr(result_or_class, "error_class", None) or ""
        if retry_after_s is None:
            retry_after_s = getattr(result_or_class, "retry_after_s", None)
    if retry_after_s is not None and error_class in ("rate_limited", "server", "remote_endpoint"):
        _check_retry_number(retry_number)
        return min(max(0.0, float(retry_after_s)), policy.max_retry_after_s)
    return backoff_delay_s(retry_number, policy, rng=rng)


def should_retry(
    error_class: str | None,
    *,
    status_code: int | None,
    idempotent: bool,
    request_sent: bool,
    retry_number: int,
    policy: RetryPolicy,
) -> bool:
    """Whether retry ``retry_number`` (1-based) may be made after a failure of ``error_class``.

    - rate_limited: always (the platform did not run the request).
    - server 502/503/504: yes; other 5xx (500): only when idempotent.
    - remote_endpoint: like server when the status is 502/503/504, else never.
    - network before the request was sent: yes; after it was sent: only when idempotent.
    - timeout: only when idempotent (the action may have run).
    - validation, bad_request, auth, permission, not_found, contract: never.
    """
    _check_retry_number(retry_number)
    if error_class is None or retry_number > policy.max_retries:
        return False
    if error_class in _NEVER_RETRIED:
        return False
    if error_class == "rate_limited":
        return True
    if error_class == "server":
        return status_code in RETRYABLE_SERVER_STATUSES or idempotent
    if error_class == "remote_endpoint":
        return status_code in RETRYABLE_SERVER_STATUSES
    if error_class == "network":
        return (not request_sent) or idempotent
    if error_class == "timeout":
        return idempotent
    return False
