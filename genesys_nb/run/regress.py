"""Pre-publish regression: the same matrix through an action's draft and its published version, row by row.

    regression = DraftRegression(session, action_id, audit="out/regress.ndjson")
    frame = regression.run(ParameterMatrix.from_schema(action))    # /draft/test beside /test
    frame[frame.verdict != "equal"]                                # what the draft changes
    regression.offline(matrix, remote={"id": "C-1"})               # the two configs through the engine

:meth:`DraftRegression.run` sends each row to ``POST .../draft/test`` and ``POST .../test`` (the
platform's test mode: nothing is published, but the remote endpoint is called) paced under the
per-token limit by :class:`~genesys_nb.run.pacing.Pacer`; a 429 waits for its Retry-After and is sent
again (the platform did not run it). With ``audit=``, an intent record goes out before each request
and one terminal record per side per row (row id ``<row_id>:published`` / ``<row_id>:draft``); a
second ``run`` with the same ``run_id`` and audit file sends only what has no record yet. A side
sent before a crash and never recorded stays ``unknown`` rather than being sent twice.

:meth:`DraftRegression.offline` runs both configs through :class:`~genesys_nb.engine.ActionEngine`
with one shared remote stand-in: no request is sent, so it takes about a second for hundreds of rows.
Verdicts are those of :mod:`genesys_nb.run._regress_compare`.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.api._request import request_body_sha256
from genesys_nb.api.errors import APIError, NotFoundError, RateLimitedError
from genesys_nb.api.models import Action
from genesys_nb.api.result import ExecutionResult
from genesys_nb.audit.reader import PathLike
from genesys_nb.audit.writer import AuditLog
from genesys_nb.engine import ActionEngine
from genesys_nb.run._regress_compare import (
    FAIL_ON,
    VERDICTS,
    SideResult,
    compare,
    is_regression,
    parse_fail_on,
    side_from_test,
)
from genesys_nb.run._regress_records import recorded_sides
from genesys_nb.run._rows import _as_matrix
from genesys_nb.run.pacing import Pacer

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["FAIL_ON", "VERDICTS", "DraftRegression", "SideResult", "parse_fail_on"]

SIDES = ("published", "draft")


def _rows(matrix: Any) -> list[tuple[str, dict[str, Any], bool, str | None]]:
    rows = []
    for row in _as_matrix(matrix):
        row_id, params = getattr(row, "row_id", None), getattr(row, "params", None)
        if row_id is None or params is None:
            raise TypeError(f"matrix rows must have .row_id and .params (got {type(row).__name__})")
        rows.append((str(row_id), dict(params), bool(getattr(row, "expected_invalid", False)),
                     getattr(row, "case", None)))
    return rows


def _as_action(value: Action | Mapping[str, Any]) -> Action:
    if isinstance(value, Action):
        return value
    return Action.from_dict(value) if isinstance(value.get("id"), str) else Action.from_export(value)


class DraftRegression:
    """Compare an action's draft with its published version over one matrix (online or offline)."""

    def __init__(
        self,
        session_or_client: Any,
        action_id: str,
        *,
        audit: PathLike | None = None,
        run_id: str | None = None,
        rate_per_minute: float | None = 300.0,
        flatten: bool = False,
        max_rate_limit_wait_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        client = getattr(session_or_client, "client", session_or_client)
        if not callable(getattr(client, "test_draft", None)):
            raise TypeError("DraftRegression needs a genesys_nb Session or DataActionsClient "
                            f"(got {type(session_or_client).__name__})")
        if not isinstance(action_id, str) or not action_id:
            raise ValueError(f"action_id must be an action id such as 'custom_-_<uuid>' (got {action_id!r})")
        self.client = client
        self.action_id = action_id
        self.audit_path = Path(audit) if audit is not None else None
        self.run_id = run_id or f"regress-{uuid.uuid4().hex[:12]}"
        self.flatten = flatten
        self.pacer = Pacer(rate_per_minute)
        self.max_rate_limit_wait_s = max_rate_limit_wait_s
        self._clock, self._sleep = clock, sleep
        self.last_summary: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"DraftRegression(action_id={self.action_id!r}, run_id={self.run_id!r})"

    # ------------------------------------------------------------------ the two versions
    def versions(self) -> tuple[Action, Action]:
        """(published action, its draft), each with contract and config."""
        published = self.client.get_action(self.action_id)
        try:
            draft = self.client.get_draft(self.action_id)
        except NotFoundError as err:
            raise NotFoundError(
                f"action {self.action_id!r} has no draft to compare: create one with "
                f"client.create_draft({self.action_id!r}) and change it with client.update_draft(...)",
                status_code=err.status_code, error_body=err.error_body, correlation_id=err.correlation_id,
                action_id=self.action_id) from err
        return published, draft

    # ------------------------------------------------------------------ online
    def run(self, matrix: Any) -> pd.DataFrame:
        """Every row through /test and /draft/test; one row of the result per matrix row (see module doc)."""
        rows = _rows(matrix)
        published, draft = self.versions()
        recorded: dict[str, SideResult] = {}
        unknown: set[str] = set()
        if self.audit_path is not None and self.audit_path.exists():
            recorded, unknown = recorded_sides(self.audit_path, self.run_id)
        audit = AuditLog(self.audit_path) if self.audit_path is not None else None
        out = []
        try:
            for row_id, params, expected_invalid, case in rows:
                sides: dict[str, SideResult | None] = {}
                for side, action in zip(SIDES, (published, draft)):
                    key = f"{row_id}:{side}"
                    if key in recorded:
                        sides[side] = recorded[key]
                    elif key in unknown:
                        sides[side] = None
                    else:
                        sides[side] = self._send(side, action, key, params, audit)
                out.append(self._row(row_id, params, expected_invalid, case, sides["published"], sides["draft"]))
        finally:
            if audit is not None:
                audit.close()
        return self._frame(out, mode="online", published=published, draft=draft)

    def _send(self, side: str, action: Action, key: str, params: dict[str, Any], audit: AuditLog | None) -> SideResult:
        attempts, waited_s = 0, 0.0
        started_total = time.perf_counter()
        while True:
            delay = self.pacer.delay_s(self._clock())
            if delay > 0:
                self._sleep(delay)
                waited_s += delay
            seq = self.pacer.on_send(self._clock())
            attempts += 1
            if audit is not None:
                audit.write_intent(run_id=self.run_id, row_id=key, action_id=self.action_id, attempt=attempts,
                                   request_sha256=request_body_sha256(params))
            started = time.perf_counter()
            try:
                if side == "draft":
                    test = self.client.test_draft(self.action_id, params, flatten=self.flatten)
                else:
                    test = self.client.test(self.action_id, params, flatten=self.flatten)
            except RateLimitedError as err:
                self.pacer.on_response(self._clock(), seq=seq, status_code=429,
                                       rate_limit=self.client.last_rate_limit, retry_after_s=err.retry_after_s)
                if waited_s < self.max_rate_limit_wait_s:
                    continue  # the platform refused it before running anything: safe to send again
                result = self._failed(err, started)
            except APIError as err:
                self.pacer.on_response(self._clock(), seq=seq, status_code=err.status_code,
                                       rate_limit=self.client.last_rate_limit)
                result = self._failed(err, started)
            else:
                result = side_from_test(test, (time.perf_counter() - started) * 1000.0)
                self.pacer.on_response(self._clock(), seq=seq, status_code=200, rate_limit=self.client.last_rate_limit)
            break
        if audit is not None:
            audit.write_result(self._execution(result, attempts, waited_s, started_total), run_id=self.run_id,
                               row_id=key, action=action, params=params)
        return result

    @staticmethod
    def _failed(err: APIError, started: float) -> SideResult:
        body = err.error_body
        codes = body.detail_codes if body is not None else []
        return SideResult(ok=False, error_class=err.error_class, error_code=codes[0] if codes else
                          (body.code if body is not None else None), error_message=str(err),
                          status_code=err.status_code, latency_ms=(time.perf_counter() - started) * 1000.0,
                          errors=[body] if body is not None else [])

    def _execution(self, side: SideResult, attempts: int, waited_s: float, started: float) -> ExecutionResult:
        return ExecutionResult(
            action_id=self.action_id, ok=side.ok, output=side.output, errors=list(side.errors),
            status_code=side.status_code, error_class=side.error_class, error_code=side.error_code,
            error_message=side.error_message, latency_ms=side.latency_ms or 0.0,
            total_ms=(time.perf_counter() - started) * 1000.0, attempts=attempts, retry_wait_ms=waited_s * 1000.0,
        )

    # ------------------------------------------------------------------ offline
    def offline(self, matrix: Any, remote: Any = None, *, published: Action | Mapping[str, Any] | None = None,
                draft: Action | Mapping[str, Any] | None = None) -> pd.DataFrame:
        """The draft's config beside the published config through the engine, one shared remote stand-in.

        ``remote`` answers both (a JSON value, a RemoteResponse, a function of the rendered request, a
        RouteTable or a Recording). ``published``/``draft`` (an Action or an export dict) skip fetching them.
        """
        if remote is None:
            raise ValueError("offline() needs remote=: what the remote endpoint answers both versions (a JSON "
                             "value, a RemoteResponse, a function, a RouteTable or a Recording)")
        if published is None or draft is None:
            fetched = self.versions()
            published = published if published is not None else fetched[0]
            draft = draft if draft is not None else fetched[1]
        published_action, draft_action = _as_action(published), _as_action(draft)
        engines = {"published": ActionEngine(published_action), "draft": ActionEngine(draft_action)}
        out = []
        for row_id, params, expected_invalid, case in _rows(matrix):
            sides = {}
            for side, engine in engines.items():
                started = time.perf_counter()
                test = engine.simulate(params, remote, flatten=self.flatten)
                sides[side] = side_from_test(test, (time.perf_counter() - started) * 1000.0)
            out.append(self._row(row_id, params, expected_invalid, case, sides["published"], sides["draft"]))
        return self._frame(out, mode="offline", published=published_action, draft=draft_action)

    # ------------------------------------------------------------------ the table
    @staticmethod
    def _row(row_id: str, params: dict[str, Any], expected_invalid: bool, case: str | None,
             published: SideResult | None, draft: SideResult | None) -> dict[str, Any]:
        verdict, paths = compare(published, draft)
        latency = {side: (result.latency_ms if result is not None else None)
                   for side, result in (("published", published), ("draft", draft))}
        diff = (latency["draft"] - latency["published"]
                if latency["draft"] is not None and latency["published"] is not None else None)
        return {
            "row_id": row_id, "case": case, "expected_invalid": expected_invalid, "verdict": verdict,
            "differences": paths,
            "published_ok": published.ok if published else None, "draft_ok": draft.ok if draft else None,
            "published_error_class": published.error_class if published else None,
            "draft_error_class": draft.error_class if draft else None,
            "published_latency_ms": latency["published"], "draft_latency_ms": latency["draft"],
            "latency_diff_ms": diff,
            "published_output": published.output if published else None,
            "draft_output": draft.output if draft else None,
            "draft_error": draft.error_message if draft and not draft.ok else None,
            "params": params,
        }

    def _frame(self, rows: list[dict[str, Any]], *, mode: str, published: Action, draft: Action) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(rows, columns=list(self._row("", {}, False, None, None, None)))
        for column in ("published_latency_ms", "draft_latency_ms", "latency_diff_ms"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        counts = {verdict: int((frame["verdict"] == verdict).sum()) for verdict in VERDICTS}
        self.last_summary = {
            "mode": mode, "run_id": self.run_id if mode == "online" else None, "rows": len(frame), **counts,
            "published_version": published.version, "draft_version": draft.version,
            "latency_diff_p50_ms": float(frame["latency_diff_ms"].median()) if frame["latency_diff_ms"].notna().any()
            else None,
        }
        frame.attrs.update(self.last_summary)
        return frame

    @staticmethod
    def regressions(frame: pd.DataFrame, fail_on: str | Iterable[str] = ("differs", "errors")) -> pd.DataFrame:
        """The rows of a result that fail a gate (``fail_on``: names among differs, errors, unknown)."""
        names = parse_fail_on(fail_on if isinstance(fail_on, str) else tuple(fail_on))
        mask = frame["verdict"].map(lambda verdict: is_regression(verdict, names))
        return frame.loc[mask.astype(bool)].reset_index(drop=True)
