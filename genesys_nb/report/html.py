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

from genesys_nb.report import stats
from genesys_nb.report._html_sections import platform_html, regression_html
from genesys_nb.report.tables import MISSING, formatter_for, is_missing, key_columns_first, table_html

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from genesys_nb.report.checks import CheckResult
    from genesys_nb.report.source import ReportSource

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; } th { background: #f4f4f4; text-align: left; }
.header td:first-child { font-weight: 600; background: #fafafa; }
.note { color: #555; font-size: 0.9em; max-width: 60em; }
.fail { color: #b00020; font-weight: 600; } .pass { color: #1b7f3b; font-weight: 600; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0 1.2em; }
"""


def _number_format(column: str) -> Callable[[Any], str] | None:
    formatter = formatter_for(column)
    if formatter is None:
        return None
    return lambda v: MISSING if is_missing(v) else formatter(v)


def format_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """A :meth:`LatencyReport.compare` table as strings, each value in its metric's unit."""
    shown = table.copy().astype(object)
    metrics = table.index.get_level_values("metric")
    for position, metric in enumerate(metrics):
        formatter = _number_format(str(metric)) or (lambda v: MISSING if pd.isna(v) else f"{v:,.4g}")
        for column in ("baseline", "candidate", "change"):
            shown.iloc[position, shown.columns.get_loc(column)] = formatter(table[column].iloc[position])
        pct = table["change_pct"].iloc[position]
        shown.iloc[position, shown.columns.get_loc("change_pct")] = MISSING if pd.isna(pct) else f"{pct:+.1f}%"
    return shown.drop(columns="regression")


def _table(frame: pd.DataFrame, *, index: bool = True, empty: str = "nothing to show", caption: str | None = None
           ) -> str:
    if len(frame) == 0:
        return table_html(frame, index=index, empty=empty, caption=caption)
    # A wide table scrolls inside its box, its first column (the group) kept in view (see tables._STYLES).
    return (f"<div class='gnb-table-box' style='overflow-x:auto;max-width:100%'>"
            f"{table_html(frame, index=index, empty=empty, caption=caption)}</div>")


def figure_png_base64(figure: Figure, *, dpi: int = 100) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def header_rows(report: ReportSource) -> list[tuple[str, str]]:
    info = report.info()
    span = MISSING
    if info["start"] is not None:
        span = (f"{info['start']:%Y-%m-%d %H:%M:%S} to {info['end']:%Y-%m-%d %H:%M:%S} UTC "
                f"({info['span_s']:,.1f} s)")
    peak = f"{info['peak_in_flight']} peak, {info['mean_in_flight']:.1f} mean in flight (observed)"
    if info["concurrency"] is not None:
        peak = f"{info['concurrency']} configured; " + peak
    rows = [
        ("Actions", ", ".join(info["actions"]) or MISSING),
        ("Rows", f"{info['rows']:,}"),
        ("Outcomes", stats.outcome_counts(report._frame).text() if info["rows"] else MISSING),
        ("Runs", ", ".join(info["runs"]) or MISSING),
        ("Time span", span),
        ("Concurrency", peak if info["rows"] else MISSING),
        ("Source files", ", ".join(info["sources"]) or "DataFrame"),
        ("Percentiles", f"numpy method '{info['percentile_method']}'"),
    ]
    if info["skipped_lines"]:
        rows.append(("Skipped lines", f"{info['skipped_lines']} unreadable (torn) line(s) left out"))
    return rows


SUMMARY_NOTE = (
    "ok_rate counts rows that behaved as expected: ok, plus expected_rejections (cases derived from the "
    "contract to be invalid, refused as they should be); error_rate counts valid rows that failed. "
    "unexpected_accepts are rows meant to be invalid that the platform accepted. Latency (ms) is the last "
    "attempt's round trip over rows that reached the API; throughput_rps counts those rows only; "
    "retries and retry_wait_s are the extra attempts and the time waited between them."
)


def _accepted_html(report: ReportSource, by: Sequence[str]) -> str:
    """A flag for rows meant to be invalid that the platform accepted (its contract is not enforced)."""
    summary = report.summary(list(by))
    if len(summary) == 0 or not summary["unexpected_accepts"].any():
        return ""
    groups = summary.loc[summary["unexpected_accepts"] > 0, "unexpected_accepts"]
    items = "".join(f"<li>{html.escape(_group_label(key))}: {int(count):,} row(s)</li>" for key, count in groups.items())
    return (f'<div class="fail">Accepted although meant to be invalid (the platform does not enforce the '
            f"contract for these cases):<ul>{items}</ul></div>")


def _group_label(key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return " / ".join(MISSING if is_missing(part) else str(part) for part in parts)


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
    platform: Any = None,
    regression: pd.DataFrame | None = None,
) -> Path:
    """Write the whole report (header, summary, errors, thresholds, comparison, plots) to ``path``.

    With ``platform`` (what :meth:`LatencyReport.compare_platform` takes, or its table) a "Client vs
    platform latency" section follows; with ``regression`` (a draft regression's DataFrame) a
    "Pre-publish regression" section. Both are made before anything is written.
    """
    extra = []
    if platform is not None:
        extra.append(platform_html(report, platform))
    if regression is not None:
        extra.append(regression_html(regression))
    bucket = stats.bucket_words(stats.timeline_bucket(report.info()["span_s"]))
    plots = [
        ("Latency distribution", report.plot_histogram(log=True)),
        ("Latency CDF", report.plot_cdf(by=list(by)[:1] or None)),
        ("Percentiles by group", report.plot_percentiles(by=list(by))),
        (f"Throughput and latency over time ({bucket} buckets)", report.plot_timeline()),  # as in the widget
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
        _table(key_columns_first(report.summary(list(by))), empty="no records", caption=SUMMARY_NOTE),
        _accepted_html(report, by),
        "<h2>Overall</h2>",
        _table(key_columns_first(report.summary(())), empty="no records"),
        "<h2>Errors</h2>",
        _table(report.errors(), index=False, empty="no errors"),
    ]
    if checks is not None:
        parts.append(_checks_html(checks))
    if comparison is not None:
        shown = format_comparison(comparison) if len(comparison) else comparison
        parts += ["<h2>Comparison (baseline vs candidate)</h2>", _table(shown, empty="nothing to compare")]
    parts += extra
    parts += ["<h2>Plots</h2>", images, "</body></html>"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def notebook_html(report: ReportSource) -> str:
    """The report as shown when it is the last expression of a notebook cell (tables; the plots are
    figures of their own, shown as images)."""
    return (
        "<div><strong>LatencyReport</strong>" + _header_html(report)
        + "<h4>Summary by action</h4>" + _table(key_columns_first(report.summary()), empty="no records",
                                                  caption=SUMMARY_NOTE)
        + _accepted_html(report, ("action_name",))
        + "<h4>Errors</h4>" + _table(report.errors(), index=False, empty="no errors")
        + "<p><em>Plots: report.plot_histogram(), plot_cdf(), plot_percentiles(), plot_timeline(), "
        "plot_errors(); share: report.to_html('report.html').</em></p></div>"
    )
