"""Pure latency statistics over a normalised audit frame: grouped summary, errors, timeline, comparison.

Percentiles use numpy's ``"linear"`` method by default (numpy's own default, also what pandas
``quantile`` does): for ``n`` sorted values the q-th percentile sits at position ``q * (n - 1)``,
interpolated between its two neighbours. Any other numpy method name can be passed instead.

Latency figures cover the rows that reached the API (``attempts > 0``); rows stopped by input
validation have no latency but still count in ``count`` and ``error_rate``. Throughput counts only
rows that reached the API, over the span from the first of them starting to the last finishing.

Rows derived from the contract to be invalid (``expected_invalid``) pass when they are rejected: they
count in ``expected_rejections``, not in ``errors``. One the platform accepted is counted in
``unexpected_accepts`` (a contract the platform does not enforce), neither ok nor an error.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from genesys_nb.audit.outcomes import UNKNOWN, OutcomeCounts

PERCENTILES: tuple[float, ...] = (50.0, 90.0, 95.0, 99.0)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "count", "ok", "expected_rejections", "unexpected_accepts", "errors", "ok_rate", "error_rate", "throughput_rps", "span_s",
    "mean_ms", "min_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "retries", "retry_wait_s",
)
ERROR_COLUMNS: tuple[str, ...] = ("count", "share", "rate", "example_message", "example_correlation_id")
TIMELINE_COLUMNS: tuple[str, ...] = (
    "rows", "ok", "errors", "rate_limited", "rows_per_s", "p95_ms", "rolling_p95_ms",
)
# metric -> which direction is worse ("up": higher is worse, "down": lower is worse, "": informational)
COMPARE_METRICS: dict[str, str] = {
    "count": "", "error_rate": "up", "throughput_rps": "down", "mean_ms": "up", "p50_ms": "up",
    "p90_ms": "up", "p95_ms": "up", "p99_ms": "up", "max_ms": "",
}


def percentile(values: Any, percentiles: Any, method: str = "linear") -> Any:
    """``numpy.percentile`` with the method given by name (validated by numpy)."""
    return np.percentile(values, percentiles, method=cast(Any, method))


def sent_mask(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose latency means something: at least one attempt and a recorded latency."""
    latency = frame["latency_ms"].to_numpy(dtype="float64")
    return (frame["attempts"].to_numpy() > 0) & ~np.isnan(latency)


OK_LABEL = "ok"  # the group of successful rows when grouping by error_class


def outcomes(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per row: ``ok`` (a valid row that succeeded), ``expected_rejection``, ``unexpected_accept``,
    ``error`` (a valid row that failed, or any row of unknown outcome) and ``passed`` (ok or expected
    rejection): the same classification as :class:`~genesys_nb.audit.outcomes.OutcomeCounts`."""
    success = frame["success"].to_numpy(dtype=bool)
    if "expected_invalid" in frame.columns:
        invalid = frame["expected_invalid"].astype(object).eq(True).to_numpy(dtype=bool)
    else:
        invalid = np.zeros(len(frame), dtype=bool)
    if "error_class" in frame.columns:  # sent and never recorded: not known to be refused as expected
        unknown = frame["error_class"].astype(object).eq(UNKNOWN).to_numpy(dtype=bool)
    else:
        unknown = np.zeros(len(frame), dtype=bool)
    ok, rejected = success & ~invalid, ~success & invalid & ~unknown
    return {"ok": ok, "expected_rejection": rejected, "unexpected_accept": success & invalid,
            "error": ~success & ~rejected, "passed": ok | rejected}


def outcome_counts(frame: pd.DataFrame) -> OutcomeCounts:
    """The run's counts as every view prints them: ok, expected rejections, unexpected accepts, errors by
    class (rows of unknown outcome as class ``unknown``)."""
    kinds = outcomes(frame)
    classes = frame["error_class"].astype(object) if "error_class" in frame.columns else \
        pd.Series([None] * len(frame), dtype=object)
    failed = classes[kinds["error"]].where(classes[kinds["error"]].notna(), UNKNOWN)
    errors = {str(name): int(count) for name, count in failed.value_counts(sort=False).items() if count}
    return OutcomeCounts(ok=int(kinds["ok"].sum()), expected_rejections=int(kinds["expected_rejection"].sum()),
                         unexpected_accepts=int(kinds["unexpected_accept"].sum()), errors=dict(sorted(errors.items())))


def _labelled(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Successful rows have no error_class: grouped by it, they are the ``ok`` group, not a missing value."""
    if "error_class" not in by:
        return frame
    classes = frame["error_class"].astype(object)
    classes = classes.where(classes.notna() | ~frame["success"].to_numpy(dtype=bool), OK_LABEL)
    return frame.assign(error_class=classes)


def group_codes(frame: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.Index]:
    """Group number per row and the group labels (sorted; missing values form their own group)."""
    if not by:
        return np.zeros(len(frame), dtype=np.int64), pd.Index(["all"], name="group")
    grouped = _labelled(frame, by).groupby(list(by), observed=True, dropna=False, sort=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    return codes, grouped.size().index


def grouped_percentiles(
    codes: np.ndarray, values: np.ndarray, ngroups: int, percentiles: Sequence[float], method: str = "linear"
) -> np.ndarray:
    """Percentiles of ``values`` per group (rows: groups, columns: percentiles); NaN for empty groups."""
    out = np.full((ngroups, len(percentiles)), np.nan)
    if len(values) == 0:
        return out
    order = np.lexsort((values, codes))
    ordered, ordered_codes = values[order], codes[order]
    counts = np.bincount(ordered_codes, minlength=ngroups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    present = np.flatnonzero(counts)
    if method == "linear":  # vectorised over groups; same formula as numpy's default
        first, size = starts[present], counts[present]
        for column, pct in enumerate(percentiles):
            position = first + (pct / 100.0) * (size - 1)
            low = np.floor(position).astype(np.int64)
            high = np.minimum(low + 1, first + size - 1)
            fraction = position - low
            low_value, high_value = ordered[low], ordered[high]
            out[present, column] = low_value + (high_value - low_value) * fraction
        return out
    for group in present:
        chunk = ordered[starts[group] : starts[group] + counts[group]]
        out[group] = percentile(chunk, list(percentiles), method)
    return out


def start_finish_ns(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """When each row's first request left and when its final answer came (ns since the epoch).

    A record's ``timestamp`` is when the row started; it waited ``queue_ms`` for its pacing slot, then
    ``total_ms`` ran from the first send to the final answer."""
    start = frame["timestamp"].to_numpy(dtype="datetime64[ns]").astype("int64").astype("float64")
    start[frame["timestamp"].isna().to_numpy()] = np.nan
    if "queue_ms" in frame.columns:
        start = start + np.nan_to_num(frame["queue_ms"].to_numpy(dtype="float64"), nan=0.0) * 1e6
    finish = start + frame["total_ms"].to_numpy(dtype="float64") * 1e6
    return start, finish


def summarize(frame: pd.DataFrame, by: Sequence[str], method: str = "linear") -> pd.DataFrame:
    """One row per group with counts, rates, throughput, latency statistics and retries."""
    if len(frame) == 0:
        index = pd.MultiIndex.from_arrays([[]] * len(by), names=list(by)) if len(by) > 1 else pd.Index(
            [], name=by[0] if by else "group"
        )
        return pd.DataFrame({name: pd.Series(dtype="float64") for name in SUMMARY_COLUMNS}, index=index)
    codes, index = group_codes(frame, by)
    ngroups = len(index)
    count = np.bincount(codes, minlength=ngroups)
    kinds = outcomes(frame)
    tally = {name: np.bincount(codes, weights=kinds[name], minlength=ngroups).astype(np.int64) for name in kinds}
    sent = sent_mask(frame)
    latency = frame["latency_ms"].to_numpy(dtype="float64")[sent]
    sent_codes = codes[sent]
    sent_count = np.bincount(sent_codes, minlength=ngroups)
    pct = grouped_percentiles(sent_codes, latency, ngroups, (0.0, *PERCENTILES, 100.0), method)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(sent_codes, weights=latency, minlength=ngroups) / sent_count
        start, finish = start_finish_ns(frame)
        span_s = _span_s(codes, start, finish, ngroups)
        # rows that never left the machine (attempts == 0) say nothing about the platform's pace
        reached = frame["attempts"].to_numpy() > 0
        sent_span_s = _span_s(codes[reached], start[reached], finish[reached], ngroups)
        reached_count = np.bincount(codes[reached], minlength=ngroups)
        throughput = np.where(sent_span_s > 0, reached_count / sent_span_s, np.nan)
    attempts = frame["attempts"].to_numpy()
    retries = np.bincount(codes, weights=np.maximum(attempts - 1, 0), minlength=ngroups)
    wait_s = np.bincount(codes, weights=frame["retry_wait_ms"].to_numpy(dtype="float64"), minlength=ngroups)
    result = pd.DataFrame(
        {
            "count": count.astype(np.int64),
            "ok": tally["ok"],
            "expected_rejections": tally["expected_rejection"],
            "unexpected_accepts": tally["unexpected_accept"],
            "errors": tally["error"],
            "ok_rate": tally["passed"] / count,
            "error_rate": tally["error"] / count,
            "throughput_rps": throughput,
            "span_s": span_s,
            "mean_ms": mean,
            "min_ms": pct[:, 0],
            "p50_ms": pct[:, 1],
            "p90_ms": pct[:, 2],
            "p95_ms": pct[:, 3],
            "p99_ms": pct[:, 4],
            "max_ms": pct[:, 5],
            "retries": retries.astype(np.int64),
            "retry_wait_s": wait_s / 1000.0,
        },
        index=index,
    )
    return result


def _span_s(codes: np.ndarray, start: np.ndarray, finish: np.ndarray, ngroups: int) -> np.ndarray:
    """Per group: seconds from the first start to the last finish (NaN for a group without rows)."""
    last = pd.Series(finish).groupby(codes).max().reindex(range(ngroups)).to_numpy()
    first = pd.Series(start).groupby(codes).min().reindex(range(ngroups)).to_numpy()
    return (last - first) / 1e9


def error_table(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Failed rows per error key: count, share of failures, rate over all rows, one example each.

    Expected rejections (rows derived to be invalid, refused as they should be) are not failures.
    """
    failed = frame.loc[outcomes(frame)["error"]]
    columns = {name: pd.Series(dtype=object) for name in by}
    if len(failed) == 0:
        columns.update({name: pd.Series(dtype="float64") for name in ERROR_COLUMNS})
        return pd.DataFrame(columns)
    grouped = failed.groupby(list(by), observed=True, dropna=False, sort=False)
    table = grouped.agg(
        count=("success", "size"),
        example_message=("error_message", "first"),
        example_correlation_id=("correlation_id", "first"),
    ).reset_index()
    table["share"] = table["count"] / len(failed)
    table["rate"] = table["count"] / len(frame)
    table = table.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
    for name in by:
        if isinstance(table[name].dtype, pd.CategoricalDtype):
            table[name] = table[name].astype(object)
    return table[[*by, *ERROR_COLUMNS]]


# Bucket sizes a timeline may use, smallest first; never under a second, so a steady pace reads steady.
_BUCKETS: tuple[tuple[str, float, str], ...] = (
    ("1s", 1, "1 s"), ("5s", 5, "5 s"), ("10s", 10, "10 s"), ("30s", 30, "30 s"), ("1min", 60, "1 min"),
    ("5min", 300, "5 min"), ("10min", 600, "10 min"), ("30min", 1800, "30 min"), ("1h", 3600, "1 h"),
)
MAX_BUCKETS = 120


def timeline_bucket(span_s: float | None) -> str:
    """The bucket size for a run lasting ``span_s`` seconds: the smallest of 1 s, 5 s, 10 s ... 1 h giving
    at most 120 buckets. The HTML report and the notebook widget both use it, so the same data draws the
    same bars.

    >>> timeline_bucket(20), timeline_bucket(300), timeline_bucket(3 * 3600)
    ('1s', '5s', '5min')
    """
    span = float(span_s or 0.0)
    for freq, seconds, _ in _BUCKETS:
        if span / seconds <= MAX_BUCKETS:
            return freq
    return "1D"


def bucket_words(freq: str) -> str:
    """A bucket size as people say it: ``'5s'`` -> ``'5 s'``."""
    return next((words for name, _, words in _BUCKETS if name == freq), freq)


def timeline_table(frame: pd.DataFrame, freq: str, window: str | None, method: str = "linear") -> pd.DataFrame:
    """Per time bucket (by finish time): rows, ok/error counts (expected rejections count as ok), 429s,
    rows/s, p95 and rolling p95."""
    try:
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    except (ValueError, TypeError) as err:
        raise ValueError(f"freq {freq!r} is not a fixed time step; use e.g. '1s', '500ms', '1min'") from err
    span = pd.Timedelta(window) if window is not None else step * 10
    if step <= pd.Timedelta(0) or span <= pd.Timedelta(0):
        raise ValueError("freq and window must be positive time steps")
    empty = pd.DataFrame(
        {name: pd.Series(dtype="float64") for name in TIMELINE_COLUMNS}, index=pd.DatetimeIndex([], tz="UTC")
    )
    _, finish = start_finish_ns(frame)
    keep = ~np.isnan(finish)
    if not keep.any():
        empty.index.name = "time"
        return empty
    finish_ns = finish[keep].astype("int64")
    step_ns = step.value
    bucket = (finish_ns // step_ns) * step_ns
    first, last = int(bucket.min()), int(bucket.max())
    nbuckets = (last - first) // step_ns + 1
    if nbuckets > 500_000:
        raise ValueError(f"freq {freq!r} gives {nbuckets} buckets over this run; choose a coarser step")
    slot = (bucket - first) // step_ns
    success = outcomes(frame)["passed"][keep]
    limited = (frame["error_class"].astype(object) == "rate_limited").to_numpy(dtype=bool)[keep]
    rows = np.bincount(slot, minlength=nbuckets)
    ok = np.bincount(slot, weights=success, minlength=nbuckets)
    sent = sent_mask(frame)[keep]
    latency = frame["latency_ms"].to_numpy(dtype="float64")[keep][sent]
    p95 = grouped_percentiles(slot[sent], latency, nbuckets, (95.0,), method)[:, 0]
    order = np.argsort(finish_ns[sent], kind="stable")
    times, ordered = finish_ns[sent][order], latency[order]
    ends = first + (np.arange(nbuckets) + 1) * step_ns
    hi = np.searchsorted(times, ends, side="left")
    lo = np.searchsorted(times, ends - span.value, side="left")
    rolling = np.full(nbuckets, np.nan)
    for position in np.flatnonzero(hi > lo):
        rolling[position] = percentile(ordered[lo[position] : hi[position]], 95.0, method)
    index = pd.DatetimeIndex(pd.to_datetime(first + np.arange(nbuckets) * step_ns, utc=True), name="time")
    return pd.DataFrame(
        {
            "rows": rows.astype(np.int64),
            "ok": ok.astype(np.int64),
            "errors": (rows - ok).astype(np.int64),
            "rate_limited": np.bincount(slot, weights=limited, minlength=nbuckets).astype(np.int64),
            "rows_per_s": rows / step.total_seconds(),
            "p95_ms": p95,
            "rolling_p95_ms": rolling,
        },
        index=index,
    )


def concurrency(frame: pd.DataFrame) -> tuple[int, float]:
    """Observed in-flight executions: the peak, and the mean over the run's wall time."""
    start, finish = start_finish_ns(frame)
    keep = ~np.isnan(start)
    if not keep.any():
        return 0, float("nan")
    start, finish = start[keep], finish[keep]
    times = np.concatenate((finish, start))
    steps = np.concatenate((-np.ones(len(finish)), np.ones(len(start))))
    order = np.lexsort((steps, times))  # at a tie, an execution ending frees its slot first
    peak = int(np.cumsum(steps[order]).max())
    wall_ns = finish.max() - start.min()
    mean = float((finish - start).sum() / wall_ns) if wall_ns > 0 else float("nan")
    return peak, mean


def _verdict(direction: str, base: float, new: float, noise_pct: float, floor: float) -> str:
    """Regression when the change is worse than ``noise_pct`` percent and than the absolute ``floor``."""
    if not direction:
        return "info"
    if np.isnan(base) or np.isnan(new):
        return "n/a"
    worse = new - base if direction == "up" else base - new
    if base == 0:
        relative = np.inf if worse > 0 else -np.inf if worse < 0 else 0.0
    else:
        relative = 100.0 * worse / abs(base)
    if relative > noise_pct and worse > floor:
        return "regression"
    if relative < -noise_pct and -worse > floor:
        return "improvement"
    return "within noise"


def compare_summaries(
    baseline: pd.DataFrame,
    candidate: pd.DataFrame,
    *,
    noise_pct: float,
    error_rate_noise: float,
) -> pd.DataFrame:
    """Long table (group, metric) with baseline, candidate, change, change_pct, verdict, regression."""
    groups = baseline.index.union(candidate.index, sort=False)
    records: list[dict[str, Any]] = []
    for group in groups:
        for metric, direction in COMPARE_METRICS.items():
            base = float(baseline[metric].get(group, np.nan)) if group in baseline.index else np.nan
            new = float(candidate[metric].get(group, np.nan)) if group in candidate.index else np.nan
            floor = error_rate_noise if metric == "error_rate" else 0.0
            verdict = _verdict(direction, base, new, noise_pct, floor)
            with np.errstate(invalid="ignore", divide="ignore"):
                change_pct = 100.0 * (new - base) / abs(base) if base else (np.nan if new == base else np.inf)
            records.append(
                {"group": group, "metric": metric, "baseline": base, "candidate": new,
                 "change": new - base, "change_pct": change_pct if not np.isnan(new - base) else np.nan,
                 "verdict": verdict, "regression": verdict == "regression"}
            )
    table = pd.DataFrame.from_records(records)
    if list(groups) == ["all"]:
        return table.drop(columns="group").set_index("metric")
    return table.set_index(["group", "metric"])
