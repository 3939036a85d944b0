"""The gate of an action that was never published: its draft alone over the matrix, every row as it should be.

There is no published version to compare with, so a row fails the gate when its outcome is not the
one the matrix expects: a row that should succeed fails (``errors`` in ``fail_on``), or a row derived
to be invalid is accepted. Rows go to ``POST .../draft/test`` one after another, paced under the
per-token limit (a 429 waits for its Retry-After and is sent again: the platform ran nothing), or
offline through the action engine against one remote answer. The frame has the regression's row
columns that apply (``row_id``, ``case``, ``expected_invalid``, ``verdict``, ``draft_ok``,
``draft_error_class``, ``draft_output``, ``draft_error``, ``params``); verdicts are ``ok``,
``rejected`` (refused, as the matrix expects), ``error`` and ``accepted`` (an invalid row that passed).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from genesys_nb.api.errors import APIError, RateLimitedError
from genesys_nb.engine import ActionEngine
from genesys_nb.run._regress_compare import SideResult, side_from_test
from genesys_nb.run.pacing import Pacer
from genesys_nb.run.regress import _as_action, _rows

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["FIRST_VERDICTS", "first_publish_gate"]

FIRST_VERDICTS = ("ok", "rejected", "error", "accepted")
_MAX_RATE_LIMIT_WAIT_S = 120.0


def _verdict(side: SideResult, expected_invalid: bool) -> str:
    if expected_invalid:
        return "accepted" if side.ok else "rejected"
    return "ok" if side.ok else "error"


def _online(client: Any, action_id: str, params: dict[str, Any], pacer: Pacer,
            sleep: Callable[[float], Any]) -> SideResult:
    waited = 0.0
    while True:
        delay = pacer.delay_s(time.monotonic())
        if delay > 0:
            sleep(delay)
            waited += delay
        seq = pacer.on_send(time.monotonic())
        started = time.perf_counter()
        try:
            test = client.test_draft(action_id, params)
        except RateLimitedError as err:
            pacer.on_response(time.monotonic(), seq=seq, status_code=429, rate_limit=client.last_rate_limit,
                              retry_after_s=err.retry_after_s)
            if waited < _MAX_RATE_LIMIT_WAIT_S:
                continue
            return SideResult(ok=False, error_class=err.error_class, error_message=str(err), status_code=429)
        except APIError as err:
            pacer.on_response(time.monotonic(), seq=seq, status_code=err.status_code,
                              rate_limit=client.last_rate_limit)
            return SideResult(ok=False, error_class=err.error_class, error_message=str(err),
                              status_code=err.status_code)
        pacer.on_response(time.monotonic(), seq=seq, status_code=200, rate_limit=client.last_rate_limit)
        return side_from_test(test, (time.perf_counter() - started) * 1000.0)


def first_publish_gate(client: Any, action_id: str, draft: Any, matrix: Any, *, remote: Any = None,
                       rate_per_minute: float | None = 300.0,
                       sleep: Callable[[float], Any] = time.sleep) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every row, the rows that fail) of the draft alone; offline through the engine when ``remote`` is given."""
    import pandas as pd

    engine = ActionEngine(_as_action(draft)) if remote is not None else None
    pacer = Pacer(rate_per_minute)
    out = []
    for row_id, params, expected_invalid, case in _rows(matrix):
        if engine is not None:
            started = time.perf_counter()
            side = side_from_test(engine.simulate(params, remote), (time.perf_counter() - started) * 1000.0)
        else:
            side = _online(client, action_id, params, pacer, sleep)
        out.append({"row_id": row_id, "case": case, "expected_invalid": expected_invalid,
                    "verdict": _verdict(side, expected_invalid), "draft_ok": side.ok,
                    "draft_error_class": side.error_class, "draft_latency_ms": side.latency_ms,
                    "draft_output": side.output, "draft_error": None if side.ok else side.error_message,
                    "params": params})
    columns = ["row_id", "case", "expected_invalid", "verdict", "draft_ok", "draft_error_class",
               "draft_latency_ms", "draft_output", "draft_error", "params"]
    frame = pd.DataFrame(out, columns=columns)
    counts = {verdict: int((frame["verdict"] == verdict).sum()) for verdict in FIRST_VERDICTS}
    frame.attrs.update({"mode": "online" if engine is None else "offline", "rows": len(frame), **counts,
                        "published_version": None, "draft_version": getattr(draft, "version", None)})
    failing = frame[frame["verdict"].isin(("error", "accepted"))].reset_index(drop=True)
    return frame, failing
