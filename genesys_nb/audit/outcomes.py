"""One way to count a run's rows, shared by every view: ok, expected rejections, errors by class, unknown.

The run panel, the runner's summary, the report, its HTML and the CLI all count with
:class:`OutcomeCounts` and print it with :meth:`OutcomeCounts.text`, so they can never disagree.

A row is exactly one of:

- ``ok``: a row meant to be valid that succeeded;
- ``expected rejection``: a case derived from the contract to be invalid, refused as it should be;
- ``unexpected accept``: such a case the platform accepted (the contract is looser than declared);
- an error, by its class (``bad_request``, ``timeout``...): a row meant to be valid that failed;
- ``unknown``: sent before a crash and never recorded, so its outcome is not known; it counts as an
  error of class ``unknown`` (nobody knows it was refused as expected).

>>> counts = OutcomeCounts.from_rows([(True, False, None), (False, True, "bad_request"),
...                                   (False, False, "timeout"), (False, False, "unknown")])
>>> counts.text()
'ok 1 · expected rejections 1 · errors 2 (timeout 1, unknown 1)'
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_nb.audit.records import UNKNOWN

__all__ = ["EXPECTED_REJECTION", "OK", "UNEXPECTED_ACCEPT", "UNKNOWN", "OutcomeCounts", "failures", "outcome_of"]

OK = "ok"
EXPECTED_REJECTION = "expected rejection"
UNEXPECTED_ACCEPT = "unexpected accept"


def outcome_of(success: Any, expected_invalid: Any, error_class: Any) -> str:
    """The one outcome key of a row: ``ok``, ``expected rejection``, ``unexpected accept``, ``unknown`` or
    its error class."""
    invalid = expected_invalid is True or (expected_invalid is not None and str(expected_invalid) == "True")
    if success is not None and str(success) not in ("False", "nan", "<NA>") and bool(success):
        return UNEXPECTED_ACCEPT if invalid else OK
    cls = str(error_class) if error_class is not None and str(error_class) not in ("", "nan", "None") else UNKNOWN
    if cls == UNKNOWN:
        return UNKNOWN  # sent and never recorded: nobody knows whether it was refused
    return EXPECTED_REJECTION if invalid else cls


def failures(counter: Mapping[str, int]) -> int:
    """Rows of a counter keyed by :func:`outcome_of` that did not behave as expected (not ok, not an
    expected rejection)."""
    return sum(counter.values()) - counter.get(OK, 0) - counter.get(EXPECTED_REJECTION, 0)


@dataclass(frozen=True)
class OutcomeCounts:
    """How many rows ended each way; ``errors`` maps an error class (``unknown`` included) to its count."""

    ok: int = 0
    expected_rejections: int = 0
    unexpected_accepts: int = 0
    errors: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_counter(cls, counter: Mapping[str, int]) -> OutcomeCounts:
        """From counts keyed by :func:`outcome_of`."""
        special = (OK, EXPECTED_REJECTION, UNEXPECTED_ACCEPT)
        errors = {name: int(count) for name, count in sorted(counter.items()) if name not in special and count}
        return cls(ok=int(counter.get(OK, 0)), expected_rejections=int(counter.get(EXPECTED_REJECTION, 0)),
                   unexpected_accepts=int(counter.get(UNEXPECTED_ACCEPT, 0)), errors=errors)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[Any, Any, Any]]) -> OutcomeCounts:
        """From ``(success, expected_invalid, error_class)`` triples."""
        return cls.from_counter(Counter(outcome_of(*row) for row in rows))

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> OutcomeCounts:
        """From terminal audit records (``success``, ``expected_invalid``, ``error_class``)."""
        return cls.from_rows((r.get("success"), r.get("expected_invalid"), r.get("error_class")) for r in records)

    @classmethod
    def from_frame(cls, frame: Any) -> OutcomeCounts:
        """From a result table (``ok``) or an audit frame (``success``), with ``expected_invalid`` and
        ``error_class`` where present."""
        success_column = "ok" if "ok" in frame.columns else "success"
        n = len(frame)
        success = frame[success_column].astype(object).eq(True).tolist()
        invalid = frame["expected_invalid"].astype(object).eq(True).tolist() if "expected_invalid" in frame else \
            [False] * n
        classes = frame["error_class"].astype(object).tolist() if "error_class" in frame else [None] * n
        return cls.from_rows(zip(success, invalid, classes))

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())

    @property
    def unknown(self) -> int:
        return int(self.errors.get(UNKNOWN, 0))

    @property
    def total(self) -> int:
        return self.ok + self.expected_rejections + self.unexpected_accepts + self.error_total

    @property
    def passed(self) -> int:
        """Rows that behaved as expected: ok plus expected rejections."""
        return self.ok + self.expected_rejections

    def __add__(self, other: OutcomeCounts) -> OutcomeCounts:
        """The counts of two runs together."""
        if not isinstance(other, OutcomeCounts):
            return NotImplemented
        errors = Counter(dict(self.errors))
        errors.update(dict(other.errors))
        return OutcomeCounts(self.ok + other.ok, self.expected_rejections + other.expected_rejections,
                             self.unexpected_accepts + other.unexpected_accepts, dict(sorted(errors.items())))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "expected_rejections": self.expected_rejections,
                "unexpected_accepts": self.unexpected_accepts, "errors": self.error_total,
                "errors_by_class": dict(self.errors), "unknown": self.unknown}

    def text(self) -> str:
        """``ok 4 · expected rejections 6 · errors 2 (timeout 1, unknown 1)``; zero kinds other than ok and
        errors left out. Every view prints this same line."""
        parts = [f"ok {self.ok}"]
        if self.expected_rejections:
            parts.append(f"expected rejections {self.expected_rejections}")
        if self.unexpected_accepts:
            parts.append(f"unexpected accepts {self.unexpected_accepts}")
        classes = ", ".join(f"{name} {count}" for name, count in sorted(self.errors.items()))
        parts.append(f"errors {self.error_total}" + (f" ({classes})" if classes else ""))
        return " · ".join(parts)

    def __str__(self) -> str:
        return self.text()
