"""HTML for latency reports: one self-contained file (tables + base64 PNG plots) and the notebook view.

Every value from the audit log is HTML-escaped; the file has no external reference (no scripts, no
stylesheets, no image links), so it can be attached to a ticket and opened anywhere.
"""
from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from genesys_nb.report.checks import CheckResult
    from genesys_nb.report.source import ReportSource

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; } th { background: #f4f4f4; text-align: left; }
table.dataframe td { text-align: right; font-variant-numeric: tabular-nums; }
.header td:first-child { font-weight: 600; background: #fafafa; }
.fail { color: #b00020; font-weight: 600; } .pass { color: #1b7f3b; font-weight: 600; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0 1.2em; }
"""


def _number_format(column: str) -> Callable[[Any], str] | None:
    def fmt(pattern: str, scale: float = 1.0) -> Callable[[Any], str]:
        return lambda v: "-" if v is None or pd.isna(v) else pattern.format(float(v) * scale)

    if column in ("count", "ok", "errors", "retries", "rows", "rate_limited", "status_code"):
        return lambda v: "-" if v is None or pd.isna(v) else f"{int(v):,}" if column != "status_code" else str(int(v))
    if column.endswith("_rate") or column in ("share", "rate"):
        return fmt("{:.2f}%", 100.0)
    if column.endswith("_ms") or column in ("throughput_rps", "rows_per_s"):
        return fmt("{:,.1f}")
    if column.endswith("_s"):
        return fmt("{:,.2f}")
    return None


def format_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Strings for display: thousands separators, ms to 0.1, rates as %, missing values as '-'."""
    shown = frame.copy()
    for column in shown.columns:
        formatter = _number_format(str(column))
        values = shown[column]
        if formatter is not None and (pd.api.types.is_numeric_dtype(values) or values.dtype == object):
            try:
                shown[column] = [formatter(v) for v in values]
                continue
            except (TypeError, ValueError):
                pass
        shown[column] = ["-" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in values]
    return shown


def format_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """A :meth:`LatencyReport.compare` table as strings, each value in its metric's unit."""
    shown = table.copy().astype(object)
    metrics = table.index.get_level_values("metric")
    for position, metric in enumerate(metrics):
        formatter = _number_format(str(metric)) or (lambda v: "-" if pd.isna(v) else f"{v:,.4g}")
        for column in ("baseline", "candidate", "change"):
            shown.iloc[position, shown.columns.get_loc(column)] = formatter(table[column].iloc[position])
        pct = table["change_pct"].iloc[position]
        shown.iloc[position, shown.columns.get_loc("change_pct")] = "-" if pd.isna(pct) else f"{pct:+.1f}%"
    return shown.drop(columns="regression")


def _table(frame: pd.DataFrame, *, index: bool = True, empty: str = "nothing to show") -> str:
    if len(frame) == 0:
        return f"<p><em>{html.escape(empty)}</em></p>"
    shown = format_frame(frame)
    if index:
        names = [n if n is not None else "" for n in shown.index.names]
        shown.index = shown.index.set_names(names)
    return shown.to_html(index=index, escape=True, border=0, na_rep="-")


def figure_png_base64(figure: Figure, *, dpi: int = 100) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def header_rows(report: ReportSource) -> list[tuple[str, str]]:
    info = report.info()
    span = "-"
    if info["start"] is not None:
        span = (f"{info['start']:%Y-%m-%d %H:%M:%S} to {info['end']:%Y-%m-%d %H:%M:%S} UTC "
                f"({info['span_s']:,.1f} s)")
    peak = f"{info['peak_in_flight']} peak, {info['mean_in_flight']:.1f} mean in flight (observed)"
    if info["concurrency"] is not None:
        peak = f"{info['concurrency']} configured; " + peak
    rows = [
        ("Actions", ", ".join(info["actions"]) or "-"),
        ("Rows", f"{info['rows']:,}"),
        ("Runs", ", ".join(info["runs"]) or "-"),
        ("Time span", span),
        ("Concurrency", peak if info["rows"] else "-"),
        ("Source files", ", ".join(info["sources"]) or "DataFrame"),
        ("Percentiles", f"numpy method '{info['percentile_method']}'"),
    ]
    if info["skipped_lines"]:
        rows.append(("Skipped lines", f"{info['skipped_lines']} unreadable (torn) line(s) left out"))
    return rows


def _header_html(report: ReportSource) -> str:
    cells = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in header_rows(report))
    return f'<table class="header">{cells}</table>'


def _checks_html(result: CheckResult) -> str:
    items = "".join(
        f'<li class="{"pass" if c.passed else "fail"}">{html.escape(str(c))}</li>' for c in result.checks
    )
    return f"<h2>Thresholds</h2><ul>{items}</ul>"


def write_html(
    report: ReportSource,
    path: Path,
    *,
    by: Sequence[str] = ("action_name",),
    title: str = "Data Actions latency report",
    checks: CheckResult | None = None,
    comparison: pd.DataFrame | None = None,
) -> Path:
    """Write the whole report (header, summary, errors, thresholds, comparison, plots) to ``path``."""
    plots = [
        ("Latency distribution", report.plot_histogram(log=True)),
        ("Latency CDF", report.plot_cdf(by=list(by)[:1] or None)),
        ("Percentiles by group", report.plot_percentiles(by=list(by))),
        ("Throughput and latency over time", report.plot_timeline(freq=_timeline_freq(report))),
        ("Errors", report.plot_errors()),
    ]
    images = "".join(
        f'<h3>{html.escape(name)}</h3><img alt="{html.escape(name)}" '
        f'src="data:image/png;base64,{figure_png_base64(figure)}">'
        for name, figure in plots
    )
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>',
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p>Generated {generated}.</p>",
        _header_html(report),
        f"<h2>Summary by {html.escape(', '.join(by) or 'run')}</h2>",
        _table(report.summary(list(by)), empty="no records"),
        "<h2>Overall</h2>",
        _table(report.summary(()), empty="no records"),
        "<h2>Errors</h2>",
        _table(report.errors(), index=False, empty="no errors"),
    ]
    if checks is not None:
        parts.append(_checks_html(checks))
    if comparison is not None:
        shown = format_comparison(comparison) if len(comparison) else comparison
        parts += ["<h2>Comparison (baseline vs candidate)</h2>",
                  shown.to_html(escape=True, border=0) if len(shown) else "<p><em>nothing to compare</em></p>"]
    parts += ["<h2>Plots</h2>", images, "</body></html>"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _timeline_freq(report: ReportSource) -> str:
    """A bucket size giving roughly 50 to 500 points over the run."""
    span_s = report.info()["span_s"] or 0.0
    for freq, seconds in (("100ms", 0.1), ("1s", 1), ("10s", 10), ("1min", 60), ("10min", 600), ("1h", 3600)):
        if span_s / seconds <= 500:
            return freq
    return "1D"


def notebook_html(report: ReportSource) -> str:
    """The report as shown when it is the last expression of a notebook cell (tables, no images)."""
    return (
        "<div><strong>LatencyReport</strong>" + _header_html(report)
        + "<h4>Summary by action</h4>" + _table(report.summary(), empty="no records")
        + "<h4>Errors</h4>" + _table(report.errors(), index=False, empty="no errors")
        + "<p><em>Plots: report.plot_histogram(), plot_cdf(), plot_percentiles(), plot_timeline(), "
        "plot_errors(); share: report.to_html('report.html').</em></p></div>"
    )
