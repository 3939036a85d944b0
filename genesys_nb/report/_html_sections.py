"""Optional report sections: the client beside the platform, and a pre-publish regression's outcome.

Both are plain tables (shared by the HTML file, the notebook view and the terminal) plus the HTML of
the section. The regression is read from the DataFrame a draft regression returns (``verdict``,
``differences``, ``latency_diff_ms`` per row), so nothing here runs or imports the regression itself.
"""
from __future__ import annotations

import html
from typing import Any

import pandas as pd

from genesys_nb.report.platform import PLATFORM_COLUMNS, compare_platform
from genesys_nb.report.tables import MISSING, is_missing, table_html

__all__ = [
    "PLATFORM_NOTE",
    "PLATFORM_TITLE",
    "REGRESSION_TITLE",
    "VERDICT_ORDER",
    "platform_display",
    "platform_html",
    "platform_missing",
    "platform_table",
    "regression_changes",
    "regression_counts",
    "regression_html",
    "regression_sentence",
]

PLATFORM_TITLE = "Client vs platform latency"
REGRESSION_TITLE = "Pre-publish regression"
PLATFORM_NOTE = (
    "The overhead is how much longer the caller waited than the platform took to run the action: the "
    "client's round trip (from the audit log) less the platform's own tTotalExecution (its analytics, over "
    "the report's time span), i.e. the network, TLS, the API gateway and queueing on the client side."
)
VERDICT_ORDER = ("equal", "differs", "error_changed", "unknown")
_CHANGE_COLUMNS = ("row_id", "case", "verdict", "differences", "latency_diff_ms")


# ---------------------------------------------------------------------------- client vs platform
def platform_table(report: Any, platform: Any) -> pd.DataFrame:
    """The per-action comparison: ``report.compare_platform(platform)``, or ``platform`` itself when it
    already is such a table (so a view that queried the platform once can pass its answer on)."""
    if isinstance(platform, pd.DataFrame) and set(PLATFORM_COLUMNS) <= set(map(str, platform.columns)):
        return platform
    return compare_platform(report, platform)


def platform_display(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison as shown: the overhead's share of the client's mean as a percentage."""
    shown = table.copy()
    shown["overhead_share"] = [MISSING if is_missing(v) else f"{float(v) * 100:.1f}%" for v in table["overhead_share"]]
    return shown


def platform_missing(table: pd.DataFrame) -> list[str]:
    """Actions of the log the platform has no figures for (yet: its analytics lag on a real org)."""
    return [str(name) for name, count in zip(table["action_name"], table["platform_count"]) if not count]


def platform_html(report: Any, platform: Any, *, heading: str = "h2") -> str:
    """The "Client vs platform latency" section: the comparison table and what the overhead means."""
    table = platform_table(report, platform)
    missing = platform_missing(table)
    gap = ""
    if missing:
        gap = (f'<p class="note">No platform figures for {html.escape(", ".join(missing))}: the analytics of '
               f"an org can take a few minutes to include new executions.</p>")
    return (f"<{heading}>{PLATFORM_TITLE}</{heading}>"
            f'<p class="note">{html.escape(PLATFORM_NOTE)}</p>'
            + table_html(platform_display(table), empty="no actions in the report") + gap)


# ---------------------------------------------------------------------------- pre-publish regression
def _check_regression(frame: Any) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame) or "verdict" not in frame.columns:
        raise TypeError("regression must be the DataFrame of a draft regression (DraftRegression(...).run(matrix) "
                        f"or .offline(...)), with a verdict column (got {type(frame).__name__})")
    return frame


def regression_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows per verdict (every verdict listed, zeros included), with their share of the rows."""
    frame = _check_regression(frame)
    verdicts = [str(v) for v in frame["verdict"]]
    order = list(VERDICT_ORDER) + sorted(set(verdicts) - set(VERDICT_ORDER))
    counts = [verdicts.count(verdict) for verdict in order]
    total = len(verdicts)
    return pd.DataFrame({"verdict": order, "count": counts,
                         "share": [count / total if total else float("nan") for count in counts]})


def _what_changed(row: Any) -> str:
    paths = row.get("differences")
    if isinstance(paths, (list, tuple)) and paths:
        return ", ".join(map(str, paths))
    if row.get("verdict") == "error_changed":
        before = row.get("published_error_class")
        after = row.get("draft_error_class")
        return f"{'ok' if is_missing(before) else before} -> {'ok' if is_missing(after) else after}"
    if row.get("verdict") == "unknown":
        return "sent before a crash and never recorded"
    return ""


def regression_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows that are not ``equal``: row id, case, verdict, what differs (JSON paths, or the change of
    error class), and the draft's latency less the published version's."""
    frame = _check_regression(frame)
    changed = frame.loc[(frame["verdict"].astype(str) != "equal").to_numpy(dtype=bool)]
    records = changed.to_dict("records")
    out = pd.DataFrame({
        "row_id": [row.get("row_id") for row in records],
        "case": [row.get("case") for row in records],
        "verdict": [row.get("verdict") for row in records],
        "differences": [_what_changed(row) for row in records],
        "latency_diff_ms": pd.to_numeric(pd.Series([row.get("latency_diff_ms") for row in records], dtype=object),
                                         errors="coerce"),
    }, columns=list(_CHANGE_COLUMNS))
    return out.reset_index(drop=True)


def regression_sentence(frame: pd.DataFrame) -> str:
    """One line: how many rows changed, between which versions, online or offline."""
    frame = _check_regression(frame)
    changed = int((frame["verdict"].astype(str) != "equal").sum())
    attrs = frame.attrs
    versions = ""
    if attrs.get("draft_version") is not None and attrs.get("published_version") is not None:
        versions = f" (draft v{attrs['draft_version']} beside published v{attrs['published_version']})"
    mode = {"online": ", through /draft/test and /test", "offline": ", both configs through the action engine"}
    how = mode.get(str(attrs.get("mode")), "")
    if not changed:
        return f"All {len(frame):,} row(s) behave the same in the draft and the published version{versions}{how}."
    return (f"{changed:,} of {len(frame):,} row(s) behave differently in the draft{versions}{how}; "
            "latency_diff_ms is the draft's round trip less the published version's.")


def regression_html(frame: pd.DataFrame, *, heading: str = "h2") -> str:
    """The "Pre-publish regression" section: rows per verdict and every row that is not ``equal``."""
    changes = regression_changes(frame)
    return (f"<{heading}>{REGRESSION_TITLE}</{heading}>"
            f'<p class="note">{html.escape(regression_sentence(frame))}</p>'
            + table_html(regression_counts(frame), index=False, empty="no rows")
            + table_html(changes, index=False, empty="every row is equal", max_chars=120))
