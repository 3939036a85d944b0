"""Pure retry rules: Retry-After parsing, backoff, delay choice and the should-retry table."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.api.retry import (
    RetryPolicy,
    backoff_delay_s,
    parse_retry_after,
    retry_delay_s,
    retry_rule,
    retry_table_markdown,
    should_retry,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (" 7 ", 7.0),
        ("-5", 0.0),
        ("-0.1", 0.0),
        ("", None),
        ("   ", None),
        (None, None),
        ("garbage", None),
        ("42 seconds", None),
        ("nan", None),
        ("inf", None),
        ("-inf", None),
        ("Tue, 99 Foo 2026 99:99:99 GMT", None),
        (http_date(NOW + timedelta(seconds=30)), 30.0),
        (http_date(NOW + timedelta(minutes=2)), 120.0),
        (http_date(NOW - timedelta(seconds=30)), 0.0),
        ("Sun, 01 Mar 2026 12:00:10 GMT", 10.0),
        ("Sunday, 01-Mar-26 12:00:05 GMT", 5.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_naive_now_is_utc() -> None:
    assert parse_retry_after(http_date(NOW + timedelta(seconds=3)), now=NOW.replace(tzinfo=None)) == 3.0


@pytest.mark.parametrize(
    ("retry_number", "expected"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (100, 8.0), (10_000, 8.0)],
)
def test_backoff_table_without_jitter(retry_number: int, expected: float) -> None:
    assert backoff_delay_s(retry_number, RetryPolicy(jitter=0.0)) == expected


def test_backoff_respects_custom_policy() -> None:
    policy = RetryPolicy(backoff_initial_s=0.1, backoff_max_s=0.3, jitter=0.0)
    assert [backoff_delay_s(n, policy) for n in (1, 2, 3, 4)] == [0.1, 0.2, 0.3, 0.3]


@pytest.mark.parametrize("retry_number", [1, 2, 3, 4, 5, 9])
def test_backoff_with_jitter_stays_within_bounds(retry_number: int) -> None:
    policy = RetryPolicy(jitter=0.25)
    base = backoff_delay_s(retry_number, RetryPolicy(jitter=0.0))
    rng = random.Random(7)
    delays = [backoff_delay_s(retry_number, policy, rng=rng) for _ in range(200)]
    assert all(base * 0.75 <= d <= base for d in delays)
    assert len(set(delays)) > 1  # jitter actually varies


def test_backoff_is_reproducible_with_a_seeded_rng() -> None:
    policy = RetryPolicy()
    first = [backoff_delay_s(n, policy, rng=random.Random(3)) for n in (1, 2, 3)]
    second = [backoff_delay_s(n, policy, rng=random.Random(3)) for n in (1, 2, 3)]
    assert first == second


@pytest.mark.parametrize("retry_number", [0, -1, True, 1.0])
def test_retry_number_is_one_based_int(retry_number: Any) -> None:
    with pytest.raises(ValueError, match="1-based"):
        backoff_delay_s(retry_number, RetryPolicy())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"max_retry_after_s": -1}, "max_retry_after_s"),
        ({"max_retry_after_s": float("inf")}, "max_retry_after_s"),
        ({"backoff_initial_s": -0.1}, "backoff_initial_s"),
        ({"backoff_max_s": 0.1, "backoff_initial_s": 1.0}, "backoff_max_s"),
        ({"jitter": 1.5}, "jitter"),
        ({"jitter": -0.1}, "jitter"),
    ],
)
def test_policy_validation_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**kwargs)


def test_policy_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.max_retries, policy.max_retry_after_s) == (3, 60.0)
    RetryPolicy(max_retries=0, jitter=0, backoff_initial_s=0, backoff_max_s=0)  # all-zero is valid


@pytest.mark.parametrize(
    ("error_class", "retry_after_s", "expected"),
    [
        ("rate_limited", 5.0, 5.0),
        ("rate_limited", 0.0, 0.0),
        ("rate_limited", 500.0, 60.0),  # capped
        ("rate_limited", None, 0.5),  # no header: backoff
        ("server", 3.0, 3.0),  # a 503 that says when
        ("server", None, 0.5),
        ("network", 9.0, 0.5),  # Retry-After is meaningless without a response
        ("timeout", None, 0.5),
    ],
)
def test_retry_delay(error_class: str, retry_after_s: float | None, expected: float) -> None:
    policy = RetryPolicy(jitter=0.0)
    assert retry_delay_s(error_class, policy, retry_after_s=retry_after_s, retry_number=1) == expected


@dataclass
class _Outcome:
    error_class: str
    retry_after_s: float | None


def test_retry_delay_reads_a_result() -> None:
    policy = RetryPolicy(jitter=0.0, max_retry_after_s=10)
    assert retry_delay_s(_Outcome("rate_limited", 4.0), policy, retry_number=2) == 4.0
    assert retry_delay_s(_Outcome("rate_limited", 40.0), policy, retry_number=2) == 10.0
    assert retry_delay_s(_Outcome("server", None), policy, retry_number=2) == 1.0


RULES = [
    # error_class, status, idempotent, request_sent, expected
    ("rate_limited", 429, False, True, True),
    ("rate_limited", 429, True, True, True),
    ("server", 503, False, True, True),
    ("server", 503, True, True, True),
    ("server", 502, False, True, False),  # may have run: only for idempotent actions
    ("server", 502, True, True, True),
    ("server", 504, False, True, False),  # the action did not finish in time: it may have run
    ("server", 504, True, True, True),
    ("server", 500, False, True, False),
    ("server", 500, True, True, True),
    ("server", 501, False, True, False),
    ("remote_endpoint", 504, False, True, False),
    ("remote_endpoint", 504, True, True, True),
    ("remote_endpoint", 502, False, True, False),
    ("remote_endpoint", 500, False, True, False),
    ("remote_endpoint", 500, True, True, True),  # idempotent=True retries a remote 5xx
    ("remote_endpoint", 400, True, True, False),
    ("remote_endpoint", 404, True, True, False),
    ("network", None, False, False, True),
    ("network", None, True, False, True),
    ("network", None, False, True, False),
    ("network", None, True, True, True),
    ("timeout", None, False, True, False),
    ("timeout", None, True, True, True),
    ("timeout", None, False, False, True),  # waiting for a pooled connection: nothing was sent
    ("validation", None, True, False, False),
    ("bad_request", 400, True, True, False),
    ("auth", 401, True, True, False),
    ("permission", 403, True, True, False),
    ("not_found", 404, True, True, False),
    ("contract", 200, True, True, False),
    ("something_new", 500, True, True, False),  # an outcome nobody described is never repeated
    (None, 200, True, True, False),
]


@pytest.mark.parametrize(("error_class", "status", "idempotent", "request_sent", "expected"), RULES)
def test_should_retry_rules(
    error_class: str | None, status: int | None, idempotent: bool, request_sent: bool, expected: bool
) -> None:
    decided = should_retry(
        error_class, status_code=status, idempotent=idempotent, request_sent=request_sent,
        retry_number=1, policy=RetryPolicy(),
    )
    assert decided is expected


@pytest.mark.parametrize(("error_class", "status", "request_sent"),
                         [(c, s, sent) for c, s, _, sent, _ in RULES if c is not None])
def test_nothing_that_may_have_run_is_retried_for_a_non_idempotent_action(error_class: str, status: int | None,
                                                                         request_sent: bool) -> None:
    rule = retry_rule(error_class, status_code=status, request_sent=request_sent)
    retried = should_retry(error_class, status_code=status, idempotent=False, request_sent=request_sent,
                           retry_number=1, policy=RetryPolicy())
    if rule.may_have_run != "no":
        assert not retried, rule
    assert rule.retried in {"yes", "only if idempotent", "never", "yes, for rate_limit_budget_s"}


@pytest.mark.parametrize(("retry_number", "expected"), [(1, True), (2, True), (3, True), (4, False), (50, False)])
def test_should_retry_stops_at_max_retries(retry_number: int, expected: bool) -> None:
    assert should_retry(
        "server", status_code=503, idempotent=False, request_sent=True,
        retry_number=retry_number, policy=RetryPolicy(max_retries=3),
    ) is expected


@pytest.mark.parametrize(("waited_s", "expected"), [(0.0, True), (299.0, True), (300.0, False), (1e6, False)])
def test_429s_are_bounded_by_time_not_by_max_retries(waited_s: float, expected: bool) -> None:
    policy = RetryPolicy(max_retries=0, rate_limit_budget_s=300.0)
    assert should_retry("rate_limited", status_code=429, idempotent=False, request_sent=True, retry_number=99,
                        policy=policy, rate_limited_s=waited_s) is expected


def test_zero_retries_never_retries() -> None:
    assert not should_retry(
        "server", status_code=503, idempotent=True, request_sent=True, retry_number=1,
        policy=RetryPolicy(max_retries=0),
    )


def test_the_docs_show_the_retry_table() -> None:
    guide = (Path(__file__).resolve().parents[1] / "docs" / "guides" / "errors.md").read_text(encoding="utf-8")
    assert retry_table_markdown() in guide


def test_docstring_examples_run() -> None:
    import doctest

    import genesys_nb.api.retry

    outcome = doctest.testmod(genesys_nb.api.retry)
    assert outcome.attempted > 0 and outcome.failed == 0
