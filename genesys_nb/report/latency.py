"""LatencyReport: latency and error analysis of an audit log, as pandas tables, plots and HTML.

>>> # report = LatencyReport.from_audit("demo-out/audit.ndjson")
>>> # report.summary(by=("action_name", "params.priority"))
>>> # report.check(p95_ms=800, error_rate=0.02).ok
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd

from genesys_nb.audit._files import is_archive
from genesys_nb.audit.duck import DuckRejected, torn_tail
from genesys_nb.audit.reader import audit_files
from genesys_nb.report import stats
from genesys_nb.report.checks import THRESHOLD_METRICS, CheckResult, ThresholdCheck, parse_thresholds
from genesys_nb.report.load import CORE_COLUMNS, EAGER_COLUMNS, SkippedLine, normalize, read_core
from genesys_nb.report.sql import SQL_GROUPS, summary_sql

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

PathLike: TypeAlias = "str | os.PathLike[str]"
AuditSource: TypeAlias = "PathLike | Iterable[PathLike] | pd.DataFrame"

__all__ = ["THRESHOLD_METRICS", "CheckResult", "LatencyReport", "ThresholdCheck", "parse_thresholds"]

def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _utc(value: datetime | str | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _filtered(frame: pd.DataFrame, run_id: str | None, since: datetime | str | None) -> pd.DataFrame:
    if run_id is not None:
        frame = frame.loc[(frame["run_id"].astype(object) == run_id).to_numpy(dtype=bool)]
    if since is not None:
        frame = frame.loc[(frame["timestamp"] >= _utc(since)).to_numpy(dtype=bool)]
    return frame.reset_index(drop=True)


def _sql_source(files: Sequence[Path], run_id: str | None, since: datetime | str | None) -> tuple[Any, ...] | None:
    """What summary() needs to ask DuckDB directly, or None when a file must be read line by line (a torn
    last line) or is a ``read_audit`` export (read with pandas)."""
    ndjson, archive = [], []
    for path in files:
        if path.suffix == ".parquet":
            if not is_archive(path):
                return None
            archive.append(path)
        elif torn_tail(path) is not None:
            return None
        else:
            ndjson.append((path, False))
    if not ndjson and not archive:  # nothing to ask DuckDB about: the empty frame answers
        return None
    return ndjson, archive, run_id, None if since is None else _utc(since)


class LatencyReport:
    """Latency, throughput and error views of audit records; every table is a pandas DataFrame."""

    def __init__(
        self,
        frame: pd.DataFrame | None,
        *,
        sources: Sequence[PathLike] = (),
        skipped: Sequence[SkippedLine] = (),
        percentile_method: str = "linear",
        full_loader: Callable[[], pd.DataFrame] | None = None,
        core_loader: Callable[[], pd.DataFrame] | None = None,
        eager_loader: Callable[[], pd.DataFrame] | None = None,
        sql_source: tuple[Any, ...] | None = None,
    ) -> None:
        # A report read from files holds the columns of summary() first (read by eager_loader on first
        # use; summary() itself may be answered by DuckDB over the files, sql_source, without any rows);
        # the other core columns come from core_loader when a view asks for one.
        self._loaded: pd.DataFrame | None = None
        self._eager_loader = eager_loader
        self._sql_source = sql_source
        self._core_loader = core_loader
        # the loaders append to this very list (a report read from files finds bad lines on first use)
        self._skipped: list[SkippedLine] = skipped if isinstance(skipped, list) else list(skipped)
        if frame is not None:  # a frame read from files is the report's own: normalised in place
            self._loaded = normalize(frame) if core_loader is None else normalize(frame, EAGER_COLUMNS, copy=False)
        self.sources: list[str] = [str(s) for s in sources]
        self.percentile_method = percentile_method
        stats.percentile([1.0], 50, percentile_method)  # fail early on an unknown method name
        self._full_loader = full_loader

    @property
    def _frame(self) -> pd.DataFrame:
        if self._loaded is None:
            assert self._eager_loader is not None
            self._loaded = normalize(self._eager_loader(), EAGER_COLUMNS, copy=False)
            self._eager_loader = None
        assert self._loaded is not None
        return self._loaded

    @_frame.setter
    def _frame(self, frame: pd.DataFrame) -> None:
        self._loaded = frame

    @property
    def skipped_lines(self) -> list[SkippedLine]:
        """Lines of the audit files that could not be read (kept out of every figure)."""
        if self._loaded is None:  # the rows are read, and bad lines found, on first use
            self._frame  # noqa: B018
        return self._skipped

    # ------------------------------------------------------------------ construction and data
    @classmethod
    def from_audit(
        cls,
        source: AuditSource,
        *,
        run_id: str | None = None,
        since: datetime | str | None = None,
        percentile_method: str = "linear",
    ) -> LatencyReport:
        """Load audit records from a file, a list of files, a folder, or a DataFrame (e.g. ``read_audit``).

        Only the columns a summary needs are parsed up front; ``params.<name>`` and the other fields
        are read on first use (grouping by them, :attr:`frame`, :meth:`to_parquet`).
        """
        if isinstance(source, pd.DataFrame):
            frame = _filtered(normalize(source), run_id, since)
            return cls(frame, percentile_method=percentile_method)
        files = audit_files(source)
        skipped: list[SkippedLine] = []

        def load_eager() -> pd.DataFrame:  # the columns of summary(), timeline() and info()
            return _filtered(read_core(files, skipped, EAGER_COLUMNS), run_id, since)

        def load_core() -> pd.DataFrame:  # the other core columns, when a view asks for one (one more scan)
            return _filtered(normalize(read_core(files, [])), run_id, since)

        def load_everything() -> pd.DataFrame:
            from genesys_nb.audit.writer import read_audit

            with warnings.catch_warnings():  # skipped lines are already on report.skipped_lines
                warnings.simplefilter("ignore", RuntimeWarning)
                return _filtered(normalize(read_audit(files)), run_id, since)

        return cls(None, sources=files, skipped=skipped, percentile_method=percentile_method,
                   full_loader=load_everything, core_loader=load_core, eager_loader=load_eager,
                   sql_source=_sql_source(files, run_id, since))

    @property
    def frame(self) -> pd.DataFrame:
        """Every audit field as a DataFrame (``params.<name>`` flattened); loaded on first access."""
        if self._full_loader is not None:
            self._frame = self._full_loader()
            self._full_loader = None
        return self._frame

    def __len__(self) -> int:
        return len(self._frame)

    def _summary_sql(self, columns: list[str]) -> pd.DataFrame | None:
        """summary() answered by DuckDB over the files, when no rows are loaded yet and it can be."""
        if (self._sql_source is None or self._loaded is not None or self.percentile_method != "linear"
                or not all(c in SQL_GROUPS for c in columns)):
            return None
        ndjson, archive, run_id, since = self._sql_source
        try:
            return summary_sql(ndjson, archive, columns, run_id=run_id, since=since)
        except DuckRejected:  # a file DuckDB refuses: the row reader reads it line by line
            self._sql_source = None
            return None

    def _require(self, columns: Sequence[str]) -> pd.DataFrame:
        missing = [c for c in columns if c not in self._frame.columns]
        if missing and self._core_loader is not None and all(c in CORE_COLUMNS for c in missing):
            self._frame = self._core_loader()
            self._core_loader = None
            missing = [c for c in columns if c not in self._frame.columns]
        if missing and self._full_loader is not None:
            from genesys_nb.audit.writer import RECORD_KEYS

            if all(c in RECORD_KEYS or c.startswith("params.") for c in missing):
                missing = [c for c in columns if c not in self.frame.columns]
        if missing:
            names = set(map(str, self._frame.columns))
            if self._full_loader is not None:
                from genesys_nb.audit.writer import RECORD_KEYS

                names |= set(RECORD_KEYS) | {"params.<name>"}
            available = ", ".join(sorted(names))
            raise ValueError(f"unknown column(s) {', '.join(missing)}; available: {available}")
        return self._frame

    def filter(self, column: str, value: Any) -> LatencyReport:
        """Rows whose ``column`` equals ``value`` (or is in it, for a list/tuple/set), as a new report."""
        frame = self._require([column])
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]

        def select(data: pd.DataFrame) -> pd.DataFrame:
            return data.loc[data[column].astype(object).isin(values).to_numpy(dtype=bool)]

        parent = self
        loader = (lambda: select(parent.frame)) if self._full_loader is not None else None
        return LatencyReport(select(frame), sources=self.sources, skipped=self.skipped_lines,
                             percentile_method=self.percentile_method, full_loader=loader)

    # ------------------------------------------------------------------ tables
    def summary(self, by: str | Sequence[str] | None = ("action_name",)) -> pd.DataFrame:
        """Count, ok/error rate, throughput (rows/s over the group's first start to last finish),
        latency mean/min/p50/p90/p95/p99/max in ms, retries (attempts - 1) and retry wait in s.
        Rows derived to be invalid and refused count in ``expected_rejections`` and as passed in
        ``ok_rate``; one the platform accepted counts in ``unexpected_accepts``.

        ``by`` takes any audit column or a matrix parameter (``"params.priority"``); ``()`` gives
        one row for the whole log.
        """
        columns = _as_list(by)
        table = self._summary_sql(columns)
        if table is not None:
            return table
        return stats.summarize(self._require(columns), columns, self.percentile_method)

    def errors(self, by: str | Sequence[str] | None = ("error_class", "status_code", "error_code")) -> pd.DataFrame:
        """Failed rows grouped by ``by``, most frequent first, with an example message and correlation id."""
        columns = _as_list(by)
        return stats.error_table(self._require([*columns, "error_message", "correlation_id"]), columns)

    def timeline(self, freq: str = "1s", *, window: str | None = None) -> pd.DataFrame:
        """Rows/s, ok/error and 429 counts, p95 per bucket of finish time, and p95 over a rolling
        ``window`` (default: 10 buckets) ending at each bucket."""
        return stats.timeline_table(self._frame, freq, window, self.percentile_method)

    def info(self) -> dict[str, Any]:
        """Run header: actions, rows, runs, time span, observed concurrency, sources, skipped lines."""
        frame = self._frame
        start, finish = stats.start_finish_ns(frame)
        has_time = bool((~np.isnan(start)).any())
        peak, mean = stats.concurrency(frame)
        recorded = frame["concurrency"].max() if "concurrency" in frame.columns else None
        return {
            "rows": len(frame),
            "actions": sorted(map(str, frame["action_name"].dropna().unique())),
            "runs": sorted(map(str, frame["run_id"].dropna().unique())),
            "start": frame["timestamp"].min() if has_time else None,
            "end": pd.Timestamp(int(np.nanmax(finish)), tz="UTC") if has_time else None,
            "span_s": float((np.nanmax(finish) - np.nanmin(start)) / 1e9) if has_time else None,
            "concurrency": None if recorded is None or pd.isna(recorded) else int(recorded),
            "peak_in_flight": peak,
            "mean_in_flight": mean,
            "sources": list(self.sources),
            "skipped_lines": len(self.skipped_lines),
            "percentile_method": self.percentile_method,
        }

    # ------------------------------------------------------------------ comparison and thresholds
    def compare(
        self,
        other: LatencyReport,
        *,
        noise_pct: float = 10.0,
        by: str | Sequence[str] | None = (),
        error_rate_noise: float = 0.005,
    ) -> pd.DataFrame:
        """This run (baseline) against ``other`` (candidate): each metric side by side with its change.

        ``verdict`` is ``regression`` when a metric got worse by more than ``noise_pct`` percent (latency
        up, throughput down, error rate up by more than ``error_rate_noise`` as well), ``improvement``
        for the mirror case, ``within noise`` otherwise and ``info`` for count and max.
        """
        if noise_pct < 0:
            raise ValueError(f"noise_pct must be >= 0, got {noise_pct}")
        columns = _as_list(by)
        return stats.compare_summaries(
            self.summary(columns), other.summary(columns), noise_pct=noise_pct, error_rate_noise=error_rate_noise
        )

    def compare_platform(self, platform: Any) -> pd.DataFrame:
        """Per action, this log's p50/p95/p99 beside the platform's own mean/max; see :mod:`genesys_nb.report.platform`."""
        from genesys_nb.report.platform import compare_platform

        return compare_platform(self, platform)

    def compare_groups(self, column: str, baseline: Any, candidate: Any, *, noise_pct: float = 10.0) -> pd.DataFrame:
        """Two groups of this report side by side, e.g. ``compare_groups("params.region", "eu", "us")``."""
        return self.filter(column, baseline).compare(self.filter(column, candidate), noise_pct=noise_pct)

    def check(
        self,
        p95_ms: float | None = None,
        p99_ms: float | None = None,
        error_rate: float | None = None,
        *,
        p50_ms: float | None = None,
        p90_ms: float | None = None,
        mean_ms: float | None = None,
        max_ms: float | None = None,
        throughput_rps: float | None = None,
    ) -> CheckResult:
        """k6-style thresholds on the whole log: latency limits in ms (pass at or below), error_rate as
        a fraction (pass at or below), throughput_rps a minimum. An empty log fails every threshold."""
        limits = {"p50_ms": p50_ms, "p90_ms": p90_ms, "p95_ms": p95_ms, "p99_ms": p99_ms, "mean_ms": mean_ms,
                  "max_ms": max_ms, "error_rate": error_rate, "throughput_rps": throughput_rps}
        overall = self.summary(())
        checks = []
        for metric, limit in limits.items():
            if limit is None:
                continue
            op = THRESHOLD_METRICS[metric][0]
            actual = float(overall[metric].iloc[0]) if len(overall) else float("nan")
            if np.isnan(actual):
                note = "no rows" if not len(overall) else "no latency recorded"
                checks.append(ThresholdCheck(metric, op, float(limit), None, False, note))
                continue
            failed = actual > limit if op == ">" else actual < limit
            checks.append(ThresholdCheck(metric, op, float(limit), actual, not failed))
        return CheckResult(tuple(checks))

    # ------------------------------------------------------------------ plots (matplotlib Figures)
    def plot_histogram(self, *, log: bool = False, bins: int = 50) -> Figure:
        from genesys_nb.report.plots import plot_histogram

        return plot_histogram(self, log=log, bins=bins)

    def plot_cdf(self, *, by: str | Sequence[str] | None = None, log: bool = False) -> Figure:
        from genesys_nb.report.plots import plot_cdf

        return plot_cdf(self, by=_as_list(by), log=log)

    def plot_percentiles(self, by: str | Sequence[str] | None = ("action_name",)) -> Figure:
        from genesys_nb.report.plots import plot_percentiles

        return plot_percentiles(self, by=_as_list(by))

    def plot_timeline(self, freq: str | None = None) -> Figure:
        from genesys_nb.report.plots import plot_timeline

        return plot_timeline(self, freq=freq)

    def plot_errors(self) -> Figure:
        from genesys_nb.report.plots import plot_errors

        return plot_errors(self)

    # ------------------------------------------------------------------ export
    def to_html(
        self,
        path: PathLike,
        *,
        by: str | Sequence[str] | None = ("action_name",),
        title: str = "Data Actions latency report",
        checks: CheckResult | None = None,
        comparison: pd.DataFrame | None = None,
        platform: Any = None,
        regression: pd.DataFrame | None = None,
    ) -> Path:
        """Write one self-contained HTML file (run header, tables, embedded PNG plots, and the
        threshold results or a comparison when given); returns its path.

        ``platform`` (a session, a client, or a table from ``client.action_aggregates``: whatever
        :meth:`compare_platform` takes) adds a "Client vs platform latency" section; ``regression``
        (the DataFrame of ``DraftRegression(...).run(matrix)``) a "Pre-publish regression" section.
        """
        from genesys_nb.report.html import write_html

        return write_html(self, Path(path), by=_as_list(by), title=title, checks=checks, comparison=comparison,
                          platform=platform, regression=regression)

    def _repr_html_(self) -> str:
        from genesys_nb.report.html import notebook_html

        return notebook_html(self)

    def to_parquet(self, path: PathLike) -> Path:
        """Save every audit field to Parquet; ``LatencyReport.from_audit(path)`` reads it back."""
        from genesys_nb.audit.writer import to_parquet

        return to_parquet(self.frame, path)

    def __repr__(self) -> str:
        info_runs = self._frame["run_id"].nunique()
        return f"LatencyReport(rows={len(self._frame)}, runs={info_runs}, sources={len(self.sources)})"
