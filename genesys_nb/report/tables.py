"""How every table reads, wherever it is shown: notebook outputs, widgets, the HTML report, the terminal.

Numbers are formatted by kind (counts as integers, rates as percentages, milliseconds to a sensible
precision), a missing value is always :data:`MISSING`, nested values (dicts and lists from an output)
collapse to one line with the full JSON a click away, and long text is cut with the whole of it in the
cell's tooltip (its ``title``). HTML tables are pandas Stylers: static HTML and CSS, no script, so they
render the same inside an ipywidgets HTML view (where scripts do not run), in a self-contained
report file, in an exported notebook and on GitHub.
"""
from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from pandas.io.formats.style import Styler

__all__ = [
    "KEY_SUMMARY_COLUMNS",
    "LATENCY_NOTE",
    "MISSING",
    "cell_text",
    "format_frame",
    "formatter_for",
    "is_missing",
    "key_columns_first",
    "styled_table",
    "table_html",
    "table_notes",
]

MISSING = "—"
TEXT_CHARS = 60  # a cell longer than this is cut on screen; the whole text is in its tooltip
COUNT_COLUMNS = frozenset({
    "count", "ok", "errors", "expected_rejections", "unexpected_accepts", "retries", "rows", "rate_limited",
    "attempts", "peak_in_flight",
})
RATE_COLUMNS = frozenset({"share", "rate", "ok_rate", "error_rate"})
LATENCY_NOTE = ("latency_ms is the last attempt's round trip; total_ms runs from the first request leaving to "
                "the final answer, retries and their waits included.")
QUEUE_NOTE = ("queue_ms is the time the row waited for its pacing slot before its first request left; it is "
              "not part of total_ms.")
# Colours come from JupyterLab's theme variables (light or dark), with fallbacks for a report file or
# any page without them: a fixed light header would be white on near-white in the dark theme. The first
# column (the group or row label) and the header row stay in view while the table scrolls.
_PAGE = "var(--jp-layout-color0, var(--jp-layout-color1, #fff))"
_STYLES = [
    {"selector": "", "props": "border-collapse: separate; border-spacing: 0; font-size: 0.9em; margin: 0.3em 0;"
                              " color: var(--jp-content-font-color1, inherit);"},
    {"selector": "th, td", "props": "border: 1px solid var(--jp-border-color2, #ddd); padding: 3px 8px;"
                                    " vertical-align: top;"},
    {"selector": "th", "props": "background: var(--jp-layout-color2, #f4f4f4); color: var(--jp-ui-font-color0,"
                                " var(--jp-content-font-color1, #111)); white-space: nowrap; text-align: left;"},
    {"selector": "thead th", "props": "position: sticky; top: 0; z-index: 2;"},
    {"selector": "tbody tr > :first-child", "props": f"position: sticky; left: 0; z-index: 1; background: {_PAGE};"},
    {"selector": "tbody tr > th:first-child", "props": "background: var(--jp-layout-color2, #f4f4f4);"},
    {"selector": "thead tr > :first-child", "props": "position: sticky; left: 0; z-index: 3;"},
    {"selector": "td", "props": "max-width: 28em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;"},
    {"selector": "td details pre", "props": "white-space: pre-wrap; max-height: 20em; overflow: auto; margin: 0;"
                                            " font-size: 0.9em;"},
    {"selector": "td details summary", "props": "cursor: pointer;"},
    {"selector": "caption", "props": "caption-side: bottom; text-align: left; color: var(--jp-ui-font-color2, #555);"
                                     " font-size: 0.9em;"
                                     " padding-top: 4px; white-space: normal;"},
]


# What people open a summary for, first: within 1,440 px; the rest follows in a scroll that keeps the group.
KEY_SUMMARY_COLUMNS = ("count", "ok_rate", "error_rate", "p50_ms", "p95_ms", "p99_ms", "errors", "throughput_rps")


def key_columns_first(frame: pd.DataFrame, key: tuple[str, ...] = KEY_SUMMARY_COLUMNS) -> pd.DataFrame:
    """``frame`` with the ``key`` columns it has first, in that order, then the others as they were."""
    lead = [column for column in key if column in frame.columns]
    return frame[lead + [column for column in frame.columns if column not in lead]]


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pandas' NA (a list or dict is a value, never missing)."""
    if value is None:
        return True
    if isinstance(value, (list, tuple, dict, str, bytes)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _integer(value: Any) -> str:
    return f"{int(value):,}"


def _percent(value: Any) -> str:
    text = f"{float(value) * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _milliseconds(value: Any) -> str:
    number = float(value)
    return f"{number:,.2f}" if abs(number) < 10 else f"{number:,.1f}"


def _seconds(value: Any) -> str:
    return f"{float(value):,.2f}"


def _per_second(value: Any) -> str:
    return f"{float(value):,.1f}"


def _status(value: Any) -> str:
    return str(int(value))


def formatter_for(column: Any) -> Callable[[Any], str] | None:
    """The number format of a column, by its name (None: the value's own kind decides)."""
    name = str(column)
    if name in COUNT_COLUMNS:
        return _integer
    if name == "status_code":
        return _status
    if name in RATE_COLUMNS or name.endswith("_rate"):
        return _percent
    if name.endswith("_ms"):
        return _milliseconds
    if name in ("throughput_rps", "rows_per_s"):
        return _per_second
    if name.endswith("_s"):
        return _seconds
    return None


def cell_text(value: Any, column: Any = None) -> str:
    """One value as plain text: formatted by its column's kind, nested values as compact JSON."""
    if is_missing(value):
        return MISSING
    formatter = formatter_for(column) if column is not None else None
    if formatter is not None and not isinstance(value, (str, bool, list, dict, tuple)):
        try:
            return formatter(value)
        except (TypeError, ValueError, OverflowError):
            pass
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    if isinstance(value, (pd.Timestamp, datetime)):
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + (" UTC" if stamp.tzinfo is not None else "")
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return f"{number:,.0f}" if number.is_integer() and abs(number) < 1e15 else f"{number:.6g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def format_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as display text (see :func:`cell_text`); index labels too, missing ones as :data:`MISSING`."""
    shown = pd.DataFrame({column: [cell_text(value, column) for value in frame[column]] for column in frame.columns},
                         index=_text_index(frame.index), columns=frame.columns)
    return shown


def _text_index(index: pd.Index) -> pd.Index:
    names = [name if name is not None else "" for name in index.names]
    if isinstance(index, pd.MultiIndex):
        tuples = [tuple(cell_text(part) for part in key) for key in index]
        return pd.MultiIndex.from_tuples(tuples, names=names) if tuples else index.set_names(names)
    return pd.Index([cell_text(key) for key in index], name=names[0], dtype=object)


def _nested(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple)) and not is_missing(value)


def _cell_html(column: Any, max_chars: int) -> Callable[[Any], str]:
    def render(value: Any) -> str:
        text = cell_text(value, column)
        if _nested(value):
            full = json.dumps(value, ensure_ascii=False, default=str, indent=2)
            one_line = text if len(text) <= max_chars else text[: max_chars - 1] + "…"
            return (f"<details class='gnb-nested'><summary>{html.escape(one_line)}</summary>"
                    f"<pre>{html.escape(full)}</pre></details>")
        if len(text) > max_chars:
            return f"<span title=\"{html.escape(text, quote=True)}\">{html.escape(text[: max_chars - 1])}…</span>"
        return html.escape(text)

    return render


def _numeric(frame: pd.DataFrame, column: Any) -> bool:
    dtype = frame[column].dtype
    return formatter_for(column) is not None or (dtype.kind in "iuf" and not isinstance(dtype, pd.CategoricalDtype))


def styled_table(
    frame: pd.DataFrame,
    *,
    index: bool = True,
    max_chars: int = TEXT_CHARS,
    caption: str | None = None,
    max_rows: int | None = None,
    with_notes: bool = True,
) -> Styler:
    """A pandas Styler for ``frame``: numbers by kind, one missing marker, nested values folded,
    long text cut with a tooltip; the latency note as caption when both latency columns are shown."""
    shown = frame if max_rows is None else frame.head(max_rows)
    styler = shown.style
    styler.format({column: _cell_html(column, max_chars) for column in shown.columns}, na_rep=MISSING)
    styler.format_index(lambda key: html.escape(cell_text(key)), na_rep=MISSING)
    numeric = [column for column in shown.columns if _numeric(shown, column)]
    if numeric:
        styler.set_properties(subset=numeric, **{"text-align": "right", "font-variant-numeric": "tabular-nums"})
    styler.set_table_styles(_STYLES)
    styler.set_table_attributes('class="gnb-table dataframe"')
    if not index:
        styler.hide(axis="index")
    notes = table_notes(frame, caption=caption, max_rows=max_rows)
    if notes and with_notes:
        styler.set_caption(notes)
    return styler


def table_notes(frame: pd.DataFrame, *, caption: str | None = None, max_rows: int | None = None) -> str:
    """What a table's caption says: ``caption``, the latency note when both latency columns are there,
    how many rows were left out."""
    notes = [caption] if caption else []
    if "latency_ms" in frame.columns and "total_ms" in frame.columns:
        notes.append(LATENCY_NOTE)
    if "queue_ms" in frame.columns:
        notes.append(QUEUE_NOTE)
    if max_rows is not None and len(frame) > max_rows:
        notes.append(f"First {max_rows:,} of {len(frame):,} rows shown.")
    return " ".join(notes)


def table_html(frame: pd.DataFrame, *, empty: str = "no rows", **options: Any) -> str:
    """:func:`styled_table` as an HTML string (an italic ``empty`` note for a table without rows)."""
    if len(frame) == 0:
        return f"<p><em>{html.escape(empty)}</em></p>"
    return styled_table(frame, **options).to_html()

