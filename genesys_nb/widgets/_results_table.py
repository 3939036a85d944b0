"""The run panel's result table as a user narrows it: sorted, filtered, failures only; and which rows failed.

Pure pandas: the panel only puts :func:`shown_results` on screen, so what a user sees is tested without
a kernel. A failure is what :class:`~genesys_nb.audit.outcomes.OutcomeCounts` calls one: not ok and not
an expected rejection.
"""
from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from genesys_nb.audit.outcomes import EXPECTED_REJECTION, OK, outcome_of

__all__ = ["copyable_column_css", "eta_text", "failed_mask", "shown_results", "unsent_mask"]


def failed_mask(frame: pd.DataFrame) -> np.ndarray:
    """Rows that did not behave as expected (errors, unexpected accepts, unknown outcomes)."""
    success = frame["ok"] if "ok" in frame.columns else frame["success"]
    invalid = frame["expected_invalid"] if "expected_invalid" in frame.columns else [False] * len(frame)
    classes = frame["error_class"] if "error_class" in frame.columns else [None] * len(frame)
    return np.array([outcome_of(s, i, c) not in (OK, EXPECTED_REJECTION)
                     for s, i, c in zip(success.astype(object), list(invalid), list(classes))], dtype=bool)


def unsent_mask(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose request never left (refused locally): sending them again cannot run anything twice."""
    if "attempts" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return (pd.to_numeric(frame["attempts"], errors="coerce").fillna(1).to_numpy() == 0)


def shown_results(frame: pd.DataFrame, *, sort_by: str | None = None, descending: bool = False, text: str = "",
                  only_failures: bool = False) -> pd.DataFrame:
    """``frame`` narrowed as the panel's controls say: failures only, rows with ``text`` in any cell
    (case-insensitive), sorted by ``sort_by`` (missing values last)."""
    shown = frame
    if only_failures:
        shown = shown.loc[failed_mask(shown)]
    needle = text.strip().lower()
    if needle:
        cells = shown.astype(str).apply(lambda column: column.str.lower().str.contains(needle, regex=False))
        shown = shown.loc[cells.any(axis=1).to_numpy(dtype=bool)]
    if sort_by and sort_by in shown.columns:
        shown = shown.sort_values(sort_by, ascending=not descending, na_position="last", kind="stable")
    return shown


def eta_text(done: int, total: int, elapsed_s: float) -> str:
    """``about 12 s left`` from the pace so far (empty before the first row, or when done)."""
    if done <= 0 or done >= total or elapsed_s <= 0:
        return ""
    left_s = elapsed_s / done * (total - done)
    if left_s < 60:
        return f"about {max(1, round(left_s))} s left"
    if left_s < 3600:
        return f"about {left_s / 60:.0f} min left"
    return f"about {left_s / 3600:.1f} h left"


def copyable_column_css(columns: Any, column: str, scope: str) -> str:
    """CSS making ``column``'s cells select whole on one click (then Ctrl+C copies them): a widget's HTML
    runs no script, so this is the copy that works everywhere."""
    names = [str(name) for name in columns]
    if column not in names:
        return ""
    index = names.index(column)
    return (f"<style>.{html.escape(scope)} td.col{index} {{ user-select: all; -webkit-user-select: all; "
            f"cursor: copy; font-family: var(--jp-code-font-family, monospace); }}</style>")
