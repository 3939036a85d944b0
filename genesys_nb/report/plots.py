"""Latency report plots: each function returns a matplotlib Figure, titled, with labelled axes and units.

Each figure is created through pyplot and closed at once: pyplot keeps no reference, nothing leaks
between calls, ``plt.show`` is never called and no window opens. A figure is a :class:`ReportFigure`,
which renders itself as a PNG (``_repr_png_``) when it is the last expression of a cell, whatever the
backend (the inline one, or Agg in a headless kernel), so an executed notebook keeps its plots as
images: on GitHub, in an HTML export, in nbviewer. Agg also renders the PNGs of the HTML report.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from genesys_nb.report.stats import bucket_words, percentile, sent_mask, timeline_bucket

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from genesys_nb.report.source import ReportSource

FIGSIZE = (8.0, 4.5)
PNG_DPI = 100
MAX_SERIES = 12  # more groups than this make a plot unreadable; the largest groups are drawn
PERCENTILE_COLORS = {"p50_ms": "#4C72B0", "p90_ms": "#55A868", "p95_ms": "#DD8452", "p99_ms": "#C44E52"}


class ReportFigure(Figure):
    """A Figure that shows as a PNG in notebook outputs (and so in saved and exported notebooks)."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches="tight")
        return buffer.getvalue()


def _figure(title: str, *, rows: int = 1, height: float = FIGSIZE[1]) -> tuple[Figure, Any]:
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(FIGSIZE[0], height), layout="constrained", FigureClass=ReportFigure)
    plt.close(figure)  # the caller owns it; pyplot must not show it again or keep it alive
    axes = figure.subplots(rows, 1, sharex=rows > 1)
    figure.suptitle(title)
    return figure, axes


def _no_data(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes, color="0.4")
    axes.set_xticks([])
    axes.set_yticks([])


def _label(key: Any) -> str:
    if isinstance(key, tuple):
        return " / ".join("-" if pd.isna(part) else str(part) for part in key)
    return "-" if pd.isna(key) else str(key)


def _latencies(report: ReportSource) -> np.ndarray:
    frame = report._frame
    return frame["latency_ms"].to_numpy(dtype="float64")[sent_mask(frame)]


def plot_histogram(report: ReportSource, *, log: bool = False, bins: int = 50, by: Sequence[str] = ()) -> Figure:
    """Histogram of latency (ms) with p50/p95/p99 marked; ``log=True`` uses a log latency axis.

    With ``by``, one outlined histogram per group (the largest groups first) over the same bins, each
    labelled with its p95, so groups are never mixed into one shape."""
    if by:
        return _grouped_histogram(report, log=log, bins=bins, by=list(by))
    values = _latencies(report)
    figure, axes = _figure(f"Latency distribution (n={len(values):,})")
    axes.set_xlabel("latency (ms)" + (", log scale" if log else ""))
    axes.set_ylabel("executions")
    if len(values) == 0:
        _no_data(axes, "no latency recorded")
        return figure
    if log:
        low = max(float(values[values > 0].min()) if (values > 0).any() else 0.1, 0.01)
        high = max(float(values.max()), low * 1.01)
        edges: Any = np.geomspace(low, high, bins + 1)
        axes.set_xscale("log")
        values = np.clip(values, low, None)
    else:
        edges = bins
    axes.hist(values, bins=edges, color="#4C72B0", alpha=0.85)
    for name, pct, style in (("p50", 50, "-"), ("p95", 95, "--"), ("p99", 99, ":")):
        value = float(percentile(values, pct, report.percentile_method))
        axes.axvline(value, color="#C44E52", linestyle=style, label=f"{name} {value:,.1f} ms")
    axes.legend(loc="upper right")
    axes.grid(axis="y", alpha=0.3)
    return figure


def _edges(values: np.ndarray, log: bool, bins: int) -> Any:
    if not log:
        return np.linspace(float(values.min()), max(float(values.max()), float(values.min()) + 1e-9), bins + 1)
    low = max(float(values[values > 0].min()) if (values > 0).any() else 0.1, 0.01)
    return np.geomspace(low, max(float(values.max()), low * 1.01), bins + 1)


def _grouped_histogram(report: ReportSource, *, log: bool, bins: int, by: list[str]) -> Figure:
    frame = report._require(by)
    sent = frame.loc[sent_mask(frame)]
    figure, axes = _figure(f"Latency distribution by {', '.join(by)} (n={len(sent):,})")
    axes.set_xlabel("latency (ms)" + (", log scale" if log else ""))
    axes.set_ylabel("executions")
    if len(sent) == 0:
        _no_data(axes, "no latency recorded")
        return figure
    edges = _edges(sent["latency_ms"].to_numpy(dtype="float64"), log, bins)
    groups = sorted(sent.groupby(by, observed=True, dropna=False), key=lambda g: -len(g[1]))
    for key, group in groups[:MAX_SERIES]:
        values = np.clip(group["latency_ms"].to_numpy(dtype="float64"), edges[0], None)
        p95 = float(percentile(values, 95, report.percentile_method))
        axes.hist(values, bins=edges, histtype="step", linewidth=1.4,
                  label=f"{_label(key)} (n={len(values):,}, p95 {p95:,.1f} ms)")
    if log:
        axes.set_xscale("log")
    axes.legend(loc="upper right", fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    return figure


def plot_cdf(report: ReportSource, *, by: Sequence[str] = (), log: bool = False) -> Figure:
    """Empirical CDF of latency (share of executions at or below each latency), one line per group."""
    frame = report._require(list(by))
    mask = sent_mask(frame)
    figure, axes = _figure("Latency CDF" + (f" by {', '.join(by)}" if by else ""))
    axes.set_xlabel("latency (ms)" + (", log scale" if log else ""))
    axes.set_ylabel("share of executions at or below")
    sent = frame.loc[mask]
    if len(sent) == 0:
        _no_data(axes, "no latency recorded")
        return figure
    if by:
        groups = sorted(sent.groupby(list(by), observed=True, dropna=False), key=lambda g: -len(g[1]))
        series = [(_label(key), group["latency_ms"].to_numpy()) for key, group in groups[:MAX_SERIES]]
    else:
        series = [("all", sent["latency_ms"].to_numpy())]
    for label, values in series:
        ordered = np.sort(values)
        axes.step(ordered, np.arange(1, len(ordered) + 1) / len(ordered), where="post",
                  label=f"{label} (n={len(ordered):,})")
    for level in (0.5, 0.95, 0.99):
        axes.axhline(level, color="0.6", linewidth=0.8, linestyle=":")
    if log:
        axes.set_xscale("log")
    axes.set_ylim(0, 1.01)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize="small")
    return figure


def plot_percentiles(report: ReportSource, *, by: Sequence[str] = ("action_name",)) -> Figure:
    """Grouped bars of p50/p90/p95/p99 latency (ms) per group."""
    summary = report.summary(list(by)).dropna(subset=["p50_ms"])
    if len(summary) > MAX_SERIES:
        summary = summary.sort_values("count", ascending=False).head(MAX_SERIES)
    figure, axes = _figure("Latency percentiles" + (f" by {', '.join(by)}" if by else ""))
    axes.set_ylabel("latency (ms)")
    axes.set_xlabel(", ".join(by) if by else "")
    if len(summary) == 0:
        _no_data(axes, "no latency recorded")
        return figure
    positions = np.arange(len(summary))
    width = 0.8 / len(PERCENTILE_COLORS)
    for offset, (column, color) in enumerate(PERCENTILE_COLORS.items()):
        axes.bar(positions + (offset - 1.5) * width, summary[column].to_numpy(), width,
                 label=column.replace("_ms", ""), color=color)
    labels = [_label(key) for key in summary.index]
    axes.set_xticks(positions, labels, rotation=20 if max(map(len, labels)) > 12 else 0, ha="right"
                    if max(map(len, labels)) > 12 else "center")
    axes.legend(title="percentile")
    axes.grid(axis="y", alpha=0.3)
    return figure


def plot_timeline(report: ReportSource, *, freq: str | None = None) -> Figure:
    """Rows/s split into ok and errors (429s marked) above, p95 latency per bucket and rolling below.

    ``freq`` None picks the bucket from the run's span (:func:`timeline_bucket`); the title states it."""
    freq = freq or timeline_bucket(report.info()["span_s"])
    table = report.timeline(freq)
    figure, (top, bottom) = _figure(f"Throughput and latency over time (rows/s per {bucket_words(freq)} bucket)",
                                    rows=2, height=6.0)
    top.set_ylabel("rows/s")
    bottom.set_ylabel("latency (ms)")
    bottom.set_xlabel("finish time (UTC)")
    if len(table) == 0:
        _no_data(top, "no timestamps recorded")
        _no_data(bottom, "no latency recorded")
        return figure
    seconds = pd.Timedelta(pd.tseries.frequencies.to_offset(freq)).total_seconds()
    times = table.index.tz_convert(None)
    width = pd.Timedelta(seconds=seconds * 0.9)
    ok_rate = table["ok"].to_numpy() / seconds
    error_rate = table["errors"].to_numpy() / seconds
    top.bar(times, ok_rate, width=width, align="edge", color="#55A868", label="ok")
    top.bar(times, error_rate, width=width, align="edge", bottom=ok_rate, color="#C44E52", label="errors")
    if table["rate_limited"].any():
        top.plot(times, table["rate_limited"].to_numpy() / seconds, color="black", linewidth=1,
                 label="429 rate limited")
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    top.grid(axis="y", alpha=0.3)
    bottom.plot(times, table["p95_ms"].to_numpy(), color="#DD8452", linewidth=0.8, alpha=0.6, label="p95")
    bottom.plot(times, table["rolling_p95_ms"].to_numpy(), color="#C44E52", linewidth=1.6,
                label="rolling p95")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    bottom.grid(alpha=0.3)
    return figure


def plot_errors(report: ReportSource) -> Figure:
    """Horizontal bars of failed rows per error class and status code."""
    table = report.errors(("error_class", "status_code"))
    figure, axes = _figure("Errors by class and status code")
    axes.set_xlabel("failed executions")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # a count: no 1.5 ticks
    if len(table) == 0:
        _no_data(axes, f"no errors in {len(report):,} executions")
        return figure
    table = table.head(MAX_SERIES).iloc[::-1]
    labels = [
        f"{_label(cls)} ({'-' if pd.isna(code) else int(code)})"
        for cls, code in zip(table["error_class"], table["status_code"])
    ]
    bars = axes.barh(labels, table["count"].to_numpy(), height=0.6, color="#C44E52")
    axes.set_ylim(-0.7, max(len(labels), 4) - 0.3)
    axes.bar_label(bars, labels=[f"{c:,} ({s:.1%})" for c, s in zip(table["count"], table["share"])],
                   padding=3, fontsize="small")
    axes.set_ylabel("error class (HTTP status)")
    axes.margins(x=0.2)
    axes.grid(axis="x", alpha=0.3)
    return figure
