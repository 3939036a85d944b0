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
    "RETRY_TABLE",
    "RetryPolicy",
    "RetryRule",
    "backoff_delay_s",
    "parse_retry_after",
    "retry_delay_s",
    "retry_rule",
    "retry_table_markdown",
    "should_retry",
]

# Platform statuses that mean the request was refused before the action ran: safe to send again.
RETRYABLE_SERVER_STATUSES = frozenset({503})

_NEVER_RETRIED = frozenset({"validation", "bad_request", "auth", "permission", "not_found", "contract"})

# The "retried" column; every retry but a 429's counts against max_retries.
ALWAYS, IF_IDEMPOTENT, NEVER, WITHIN_BUDGET = "yes", "only if idempotent", "never", "yes, for rate_limit_budget_s"


@dataclass(frozen=True)
class RetryRule:
    """One row of the retry table: which failures it covers, whether the action may have run, the decision."""

    error_class: str
    when: str  # the statuses or situation, in words (for the README and reprs)
    may_have_run: str  # "no", "maybe" or "yes": could the action's side effect have happened?
    retried: str  # ALWAYS, IF_IDEMPOTENT, NEVER or WITHIN_BUDGET
    why: str
    statuses: frozenset[int] | None = None  # None: any status
    request_sent: bool | None = None  # None: either

    def covers(self, error_class: str, status_code: int | None, request_sent: bool) -> bool:
        if error_class != self.error_class:
            return False
        if self.statuses is not None and status_code not in self.statuses:
            return False
        return self.request_sent is None or self.request_sent == request_sent


_FIVE_XX = frozenset(range(500, 600))
_FOUR_XX = frozenset(range(400, 500))

# The one place that says when a failed execution is sent again. Treat every action as non-idempotent
# unless the caller says otherwise: what may have reached the remote endpoint is never re-sent for it.
RETRY_TABLE: tuple[RetryRule, ...] = (
    RetryRule("rate_limited", "429 (rate or concurrency limit)", "no", WITHIN_BUDGET,
              "the platform refused the request before running it; waits Retry-After, bounded by time, "
              "not by max_retries", frozenset({429})),
    RetryRule("server", "503 from the platform", "no", ALWAYS,
              "the service was unavailable before the action ran", RETRYABLE_SERVER_STATUSES),
    RetryRule("server", "500, 502, 504 and other 5xx from the platform", "maybe", IF_IDEMPOTENT,
              "504 means the action did not finish within its timeout: the remote call may have run",
              _FIVE_XX - RETRYABLE_SERVER_STATUSES),
    RetryRule("remote_endpoint", "5xx from the action's remote endpoint", "yes", IF_IDEMPOTENT,
              "the remote endpoint was called; it may have done the work before it failed", _FIVE_XX),
    RetryRule("remote_endpoint", "4xx from the action's remote endpoint", "yes", NEVER,
              "the remote endpoint refused this input; it would refuse it again", _FOUR_XX),
    RetryRule("network", "connect failure, DNS, refused (nothing sent)", "no", ALWAYS,
              "the request never left this machine", request_sent=False),
    RetryRule("network", "reset or protocol error after sending", "maybe", IF_IDEMPOTENT,
              "the request left; the platform may have run it", request_sent=True),
    RetryRule("timeout", "waiting for a free connection (nothing sent)", "no", ALWAYS,
              "the request never left this machine", request_sent=False),
    RetryRule("timeout", "timeout_ms passed after sending", "maybe", IF_IDEMPOTENT,
              "the action may still be running on the platform", request_sent=True),
    RetryRule("contract", "a 2xx whose output breaks the success schema", "yes", NEVER,
              "the action ran; its output is kept for the report"),
    *(RetryRule(error_class, "any", "no", NEVER, "the same request gets the same answer; fix the cause "
                "(an expired token is refreshed once by the client itself)")
      for error_class in sorted(_NEVER_RETRIED - {"contract"})),
)

_FALLBACK_RULE = RetryRule("unknown", "anything the table does not list", "maybe", NEVER,
                           "an outcome nobody described is never repeated")


def retry_rule(error_class: str | None, *, status_code: int | None, request_sent: bool) -> RetryRule:
    """The row of :data:`RETRY_TABLE` that covers a failure (a never-retry fallback for anything unlisted).

    >>> retry_rule("server", status_code=504, request_sent=True).retried
    'only if idempotent'
    """
    for rule in RETRY_TABLE:
        if rule.covers(error_class or "", status_code, request_sent):
            return rule
    return _FALLBACK_RULE


def retry_table_markdown() -> str:
    """The retry table as a Markdown table (the README shows it)."""
    lines = ["| error class | when | may have run | retried |", "| --- | --- | --- | --- |"]
    lines.extend(f"| `{rule.error_class}` | {rule.when} | {rule.may_have_run} | {rule.retried} |"
                 for rule in RETRY_TABLE)
    return "\n".join(lines)


_shared_rng = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    """How many retries, how long to wait between them, and the cap on a server-requested wait.

    ``max_retries`` bounds the retries of failures the table retries (503, connect failures, and the
    "may have run" ones for idempotent actions). 429s have their own budget, in seconds of waiting:
    they mean the platform did not run the request, so they are retried until ``rate_limit_budget_s``
    of waiting is spent, however many there are.

    >>> RetryPolicy().max_retries, RetryPolicy().rate_limit_budget_s
    (3, 300.0)
    """

    max_retries: int = 3
    rate_limit_budget_s: float = 300.0
    max_retry_after_s: float = 60.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"max_retries must be an int >= 0 (got {self.max_retries!r}).")
        for name in ("max_retry_after_s", "backoff_initial_s", "backoff_max_s", "rate_limit_budget_s"):
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
    rate_limited_s: float = 0.0,
) -> bool:
    """Whether a failure of ``error_class`` may be sent again, per :data:`RETRY_TABLE`.

    ``retry_number`` (1-based) counts the retries other than 429s and is bounded by ``max_retries``;
    ``rate_limited_s`` is the time already spent waiting on 429s, bounded by ``rate_limit_budget_s``.
    """
    _check_retry_number(retry_number)
    if error_class is None:
        return False
    rule = retry_rule(error_class, status_code=status_code, request_sent=request_sent)
    if rule.retried == WITHIN_BUDGET:
        return rate_limited_s < policy.rate_limit_budget_s
    if retry_number > policy.max_retries:
        return False
    return rule.retried == ALWAYS or (rule.retried == IF_IDEMPOTENT and idempotent)
