"""Threshold checks over a latency summary: parse "p95>800,error_rate>0.02", and the pass/fail result."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["THRESHOLD_METRICS", "CheckResult", "ThresholdCheck", "parse_thresholds"]

# threshold metric -> (operator that fails it, unit shown to users)
THRESHOLD_METRICS: dict[str, tuple[str, str]] = {
    "p50_ms": (">", "ms"), "p90_ms": (">", "ms"), "p95_ms": (">", "ms"), "p99_ms": (">", "ms"),
    "mean_ms": (">", "ms"), "max_ms": (">", "ms"), "error_rate": (">", ""), "throughput_rps": ("<", "rows/s"),
}
_ALIASES = {
    "p50": "p50_ms", "median": "p50_ms", "p90": "p90_ms", "p95": "p95_ms", "p99": "p99_ms", "mean": "mean_ms",
    "avg": "mean_ms", "max": "max_ms", "errors": "error_rate", "error-rate": "error_rate",
    "throughput": "throughput_rps", "rps": "throughput_rps",
}
_TERM_RE = re.compile(r"^\s*([A-Za-z_()\-0-9]+?)\s*(>=|<=|>|<|=)\s*([-+0-9.eE]+)\s*(ms|s|%)?\s*$")


@dataclass(frozen=True)
class ThresholdCheck:
    """One threshold: it fails when ``actual <op> limit`` (e.g. p95_ms > 800)."""

    metric: str
    op: str
    limit: float
    actual: float | None
    passed: bool
    note: str = ""

    def __str__(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        actual = "n/a" if self.actual is None or np.isnan(self.actual) else f"{self.actual:.4g}"
        if self.metric == "error_rate" and self.actual is not None and not np.isnan(self.actual):
            actual += f" ({self.actual:.2%})"
        unit = THRESHOLD_METRICS.get(self.metric, ("", ""))[1]
        rule = f"{self.metric} must not be {'above' if self.op == '>' else 'below'} {self.limit:g}{unit}"
        return f"{status}  {rule}: actual {actual}{unit}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class CheckResult:
    """All thresholds of one :meth:`LatencyReport.check`; ``ok`` is True only when every one passed."""

    checks: tuple[ThresholdCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def passed(self) -> list[ThresholdCheck]:
        return [check for check in self.checks if check.passed]

    @property
    def failed(self) -> list[ThresholdCheck]:
        return [check for check in self.checks if not check.passed]

    def __bool__(self) -> bool:
        return self.ok

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"metric": c.metric, "fails_if": f"{c.op} {c.limit:g}", "actual": c.actual,
              "passed": c.passed, "note": c.note} for c in self.checks],
            columns=["metric", "fails_if", "actual", "passed", "note"],
        )

    def __str__(self) -> str:
        lines = [str(check) for check in self.checks] or ["no thresholds given"]
        verdict = "all thresholds passed" if self.ok else f"{len(self.failed)} of {len(self.checks)} failed"
        return "\n".join([*lines, verdict])

    def _repr_html_(self) -> str:
        """The thresholds as a table, each actual value in its metric's unit (ms, a percentage...)."""
        from genesys_nb.report.tables import MISSING, cell_text, table_html

        shown = self.to_frame().astype(object)
        shown["actual"] = [cell_text(value, metric) for value, metric in zip(shown["actual"], shown["metric"])]
        shown["note"] = [note or MISSING for note in shown["note"]]
        return table_html(shown, index=False)


def parse_thresholds(text: str) -> dict[str, float]:
    """Parse ``"p95>800,error_rate>0.02"`` (fail conditions) into keyword arguments for ``check``.

    Latency limits are in ms (``800``, ``800ms`` or ``0.8s``); ``error_rate`` is a fraction or a
    percentage (``0.02`` or ``2%``); ``throughput<50`` fails below 50 rows/s.
    """
    limits: dict[str, float] = {}
    valid = ", ".join(sorted(THRESHOLD_METRICS))
    for term in (t for t in text.split(",") if t.strip()):
        match = _TERM_RE.match(term)
        if not match:
            raise ValueError(f"threshold {term.strip()!r} is not of the form METRIC>VALUE (e.g. p95>800)")
        name, op, number, unit = match.groups()
        name = name.lower().replace("p(", "p").replace(")", "")
        metric = name if name in THRESHOLD_METRICS else _ALIASES.get(name, "")
        if not metric:
            raise ValueError(f"threshold {term.strip()!r}: unknown metric {name!r}; use one of {valid}")
        fail_op, metric_unit = THRESHOLD_METRICS[metric]
        if op.rstrip("=") != fail_op:
            raise ValueError(
                f"threshold {term.strip()!r}: {metric} fails when {'above' if fail_op == '>' else 'below'} "
                f"a limit; write {name}{fail_op}{number}"
            )
        value = float(number)
        if unit == "s" and metric_unit == "ms":
            value *= 1000.0
        elif unit == "%" and metric == "error_rate":
            value /= 100.0
        elif unit and not (unit == "ms" and metric_unit == "ms"):
            raise ValueError(f"threshold {term.strip()!r}: unit {unit!r} does not apply to {metric}")
        limits[metric] = value
    if not limits:
        raise ValueError("no threshold given; e.g. 'p95>800,error_rate>0.02'")
    return limits
