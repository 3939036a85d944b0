"""One classification of a run's rows, whoever counts them: records, result tables, report frames."""
from __future__ import annotations

import pandas as pd
import pytest

from genesys_nb.audit.outcomes import OutcomeCounts, failures, outcome_of
from genesys_nb.report.stats import outcome_counts

ROWS = [  # success, expected_invalid, error_class -> outcome
    (True, False, None, "ok"),
    (True, True, None, "unexpected accept"),
    (False, True, "bad_request", "expected rejection"),
    (False, True, "unknown", "unknown"),  # never recorded: not known to be refused as expected
    (False, False, "timeout", "timeout"),
    (False, False, None, "unknown"),
    (False, None, "validation", "validation"),
]


@pytest.mark.parametrize(("success", "invalid", "error_class", "expected"), ROWS)
def test_each_row_has_one_outcome(success: bool, invalid: bool | None, error_class: str | None,
                                  expected: str) -> None:
    assert outcome_of(success, invalid, error_class) == expected


def test_records_frames_and_the_report_count_alike() -> None:
    triples = [row[:3] for row in ROWS]
    from_rows = OutcomeCounts.from_rows(triples)
    assert from_rows.text() == ("ok 1 · expected rejections 1 · unexpected accepts 1 · "
                                "errors 4 (timeout 1, unknown 2, validation 1)")
    assert (from_rows.total, from_rows.passed, from_rows.unknown) == (7, 2, 2)
    records = [{"success": s, "expected_invalid": i, "error_class": c} for s, i, c in triples]
    assert OutcomeCounts.from_records(records) == from_rows
    frame = pd.DataFrame({"success": [s for s, _, _ in triples], "expected_invalid": [i for _, i, _ in triples],
                          "error_class": pd.Series([c for _, _, c in triples], dtype="category"),
                          "attempts": 1, "latency_ms": 1.0})
    assert OutcomeCounts.from_frame(frame) == from_rows
    assert outcome_counts(frame) == from_rows
    assert failures({"ok": 3, "expected rejection": 2, "timeout": 1, "unknown": 1}) == 2


def test_two_runs_add_up() -> None:
    first = OutcomeCounts(ok=2, expected_rejections=1, errors={"timeout": 1})
    second = OutcomeCounts(ok=1, errors={"timeout": 2, "server": 1})
    assert (first + second).text() == "ok 3 · expected rejections 1 · errors 4 (server 1, timeout 3)"
    assert sum((first, second), OutcomeCounts()) == first + second


def test_nothing_failed_still_says_errors_zero() -> None:
    assert OutcomeCounts(ok=4, expected_rejections=6).text() == "ok 4 · expected rejections 6 · errors 0"
