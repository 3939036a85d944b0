"""Comparing a draft's answer with the published action's, row by row, without I/O.

A side's answer is a :class:`SideResult` (what ``/test``, ``/draft/test`` or the engine said). Two
answers are ``equal`` when both succeeded with the same output or both failed with the same error
class; ``differs`` when both succeeded with different outputs (the JSON paths that differ are
listed); ``error_changed`` when the error class changed (one side failing where the other did not
counts: its class went from none to something, or back). ``unknown`` is a row whose request was sent
before a crash and never recorded: it is not sent again (a test calls the remote endpoint too).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_nb.api.errors import classify_status
from genesys_nb.api.models import ErrorBody, TestExecutionResult

__all__ = ["FAIL_ON", "VERDICTS", "SideResult", "compare", "differences", "is_regression", "side_from_test"]

VERDICTS = ("equal", "differs", "error_changed", "unknown")
# What a gate may fail on: differing outputs, changed error classes, rows whose outcome is unknown.
FAIL_ON = {"differs": ("differs",), "errors": ("error_changed",), "unknown": ("unknown",)}


@dataclass
class SideResult:
    """One side's answer for one row: success, output or error class, how long it took."""

    ok: bool
    output: Any = None
    error_class: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    status_code: int | None = None
    latency_ms: float | None = None
    errors: list[ErrorBody] = field(default_factory=list)


def side_from_test(result: TestExecutionResult, latency_ms: float | None) -> SideResult:
    """A SideResult from a TestExecutionResult (the platform's, or the engine's offline one)."""
    if result.success:
        return SideResult(ok=True, output=result.final_result, status_code=200, latency_ms=latency_ms)
    error = result.error or next((op.error for op in result.operations if op.error is not None), None)
    status = error.status if error is not None and error.status else 400
    codes = error.detail_codes if error is not None else []
    return SideResult(
        ok=False, error_class=classify_status(status, error), error_code=(codes[0] if codes else
                                                                          (error.code if error else None)),
        error_message=(error.full_message if error is not None else "the test failed"), status_code=status,
        latency_ms=latency_ms, errors=[error] if error is not None else [],
    )


def _same_scalar(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right or (math.isnan(left) and math.isnan(right))
    return type(left) is type(right) and left == right


def differences(left: Any, right: Any, path: str = "$") -> list[str]:
    """The JSON paths at which two JSON values differ (``[]`` when equal; ``1`` equals ``1.0``, not ``true``).

    >>> differences({"tier": "gold", "n": [1, 2]}, {"tier": "silver", "n": [1, 2, 3], "x": None})
    ['$.n[2]', '$.tier', '$.x']
    """
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        found: list[str] = []
        for key in sorted(set(left) | set(right), key=str):
            child = f"{path}.{key}"
            if key not in left or key not in right:
                found.append(child)
            else:
                found.extend(differences(left[key], right[key], child))
        return found
    if isinstance(left, list) and isinstance(right, list):
        found = []
        for index in range(max(len(left), len(right))):
            child = f"{path}[{index}]"
            if index >= len(left) or index >= len(right):
                found.append(child)
            else:
                found.extend(differences(left[index], right[index], child))
        return found
    return [] if _same_scalar(left, right) else [path]


def compare(published: SideResult | None, draft: SideResult | None) -> tuple[str, list[str]]:
    """(verdict, differing JSON paths) for one row; a missing side is a row of unknown outcome."""
    if published is None or draft is None:
        return "unknown", []
    if published.ok and draft.ok:
        paths = differences(published.output, draft.output)
        return ("differs", paths) if paths else ("equal", [])
    if published.error_class != draft.error_class:
        return "error_changed", []
    return "equal", []


def is_regression(verdict: str, fail_on: tuple[str, ...]) -> bool:
    """Whether a verdict fails a gate set to ``fail_on`` (names of :data:`FAIL_ON`)."""
    return any(verdict in FAIL_ON[name] for name in fail_on)


def parse_fail_on(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``"differs,errors"`` -> ``("differs", "errors")``; an unknown name raises ValueError listing the known."""
    names = [part.strip() for part in (text.split(",") if isinstance(text, str) else text) if part.strip()]
    unknown = [name for name in names if name not in FAIL_ON]
    if unknown or not names:
        raise ValueError(f"fail_on takes a comma-separated list of {', '.join(FAIL_ON)} (got {text!r})")
    return tuple(names)
