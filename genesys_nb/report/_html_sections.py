"""Optional report sections: the client beside the platform, and a pre-publish regression's outcome.

Both are plain tables (shared by the HTML file, the notebook view and the terminal) plus the HTML of
the section. The regression is read from the DataFrame a draft regression returns (``verdict``,
``differences``, ``latency_diff_ms`` per row), so nothing here runs or imports the regression itself.
"""
from __future__ import annotations

import html
import json
import re
from typing import Any

import pandas as pd

from genesys_nb.contract.paths import flatten_dotted
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
    "value_at",
]

PLATFORM_TITLE = "Client vs platform latency"
REGRESSION_TITLE = "Pre-publish regression"
PLATFORM_NOTE = (
    "The overhead is how much longer the caller waited than the platform took to run the action: the "
    "client's round trip (from the audit log) less the platform's own tTotalExecution (its analytics, over "
    "the report's time span), i.e. the network, TLS, the API gateway and queueing on the client side."
)
VERDICT_ORDER = ("equal", "differs", "error_changed", "unknown")
_CHANGE_COLUMNS = ("row_id", "inputs", "verdict", "path", "published", "draft", "latency_diff_ms")


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


_ABSENT = object()
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def value_at(value: Any, path: str) -> Any:
    """The value at a JSON path like ``$.orders[0].id`` (``_ABSENT`` when there is none)."""
    for key, index in _PATH_PART.findall(path.removeprefix("$")):
        if key and isinstance(value, dict) and key in value:
            value = value[key]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return _ABSENT
    return value


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False, default=str)


def _inputs_text(params: Any) -> str:
    """A row's inputs on one line: ``customerId="C-000001", maxResults=5``."""
    if not isinstance(params, dict) or not params:
        return MISSING if not isinstance(params, dict) else "(none)"
    return ", ".join(f"{name}={_shown(value)}" for name, value in flatten_dotted(params).items())


def _outcome(ok: Any, error_class: Any) -> str:
    if ok is True:
        return "ok"
    return MISSING if is_missing(error_class) else str(error_class)


def regression_changes(frame: pd.DataFrame, verdict: str | None = None) -> pd.DataFrame:
    """What to act on, one line per difference of every row that is not ``equal``: its inputs, the verdict,
    the JSON path, the published and the draft value there (for ``error_changed``, the error class of
    each side), and the draft's latency less the published version's. ``verdict`` keeps that verdict only."""
    frame = _check_regression(frame)
    changed = frame.loc[(frame["verdict"].astype(str) != "equal").to_numpy(dtype=bool)]
    if verdict is not None:
        changed = changed.loc[(changed["verdict"].astype(str) == verdict).to_numpy(dtype=bool)]
    lines: list[dict[str, Any]] = []
    for row in changed.to_dict("records"):
        base = {"row_id": row.get("row_id"), "inputs": _inputs_text(row.get("params")),
                "verdict": row.get("verdict")}
        latency = row.get("latency_diff_ms")
        paths = row.get("differences")
        if row.get("verdict") == "differs" and isinstance(paths, (list, tuple)) and paths:
            for path in paths:
                lines.append({**base, "path": str(path),
                              "published": _shown(value_at(row.get("published_output"), str(path))),
                              "draft": _shown(value_at(row.get("draft_output"), str(path))),
                              "latency_diff_ms": latency})
        elif row.get("verdict") == "unknown":
            lines.append({**base, "path": MISSING, "published": "sent before a crash, never recorded",
                          "draft": MISSING, "latency_diff_ms": latency})
        else:
            lines.append({**base, "path": "error class",
                          "published": _outcome(row.get("published_ok"), row.get("published_error_class")),
                          "draft": _outcome(row.get("draft_ok"), row.get("draft_error_class")),
                          "latency_diff_ms": latency})
    out = pd.DataFrame(lines, columns=list(_CHANGE_COLUMNS))
    out["latency_diff_ms"] = pd.to_numeric(out["latency_diff_ms"], errors="coerce")
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
