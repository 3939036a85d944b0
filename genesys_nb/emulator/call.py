"""Per-request routing and bookkeeping: which operation a path is, and the final Decision with its log entry."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genesys_nb.emulator.actions import ACTIONS_PATH
from genesys_nb.emulator.faults import FaultOutcome
from genesys_nb.emulator.limits import RateState
from genesys_nb.emulator.log import RequestLog
from genesys_nb.emulator.wire import Decision, EmulatorRequest, json_decision, render_body_fault

AGGREGATES_PATH = "/api/v2/analytics/actions/aggregates/query"
INTEGRATIONS_PATH = "/api/v2/integrations"
# Path parts after the actions path that are not an action id (and the integrations routes' first part).
_COLLECTIONS = ("categories", "drafts", "integrations")
_DRAFT_METHODS = {"GET": "draft_get", "PATCH": "draft_update", "POST": "draft_create", "DELETE": "draft_delete"}
_DRAFT_SUBRESOURCES = {"validation": ("draft_validation", "GET"), "publish": ("draft_publish", "POST"),
                       "test": ("draft_test", "POST")}


def parse_route(path: str, method: str = "GET") -> tuple[str, list[str], str] | None:
    """(operation, path parts after the actions path, expected method) for a Data Actions path, else None.

    Paths that take several methods (``/drafts``, ``/{id}/draft``) name the operation of ``method``;
    for any other method the expected method lists the allowed ones (a 405).
    """
    path = path.rstrip("/")
    if path == AGGREGATES_PATH:
        return "action_aggregates", [], "POST"
    if path == INTEGRATIONS_PATH:
        return "integrations_list", ["integrations"], "GET"
    integration = path[len(INTEGRATIONS_PATH) + 1:] if path.startswith(f"{INTEGRATIONS_PATH}/") else ""
    if integration and "/" not in integration and integration != ACTIONS_PATH.rsplit("/", 1)[1]:
        return "integration_get", ["integrations", integration], "GET"
    if not path.startswith(ACTIONS_PATH):
        return None
    rest = path[len(ACTIONS_PATH):]
    if rest and not rest.startswith("/"):
        return None
    parts = [part for part in rest.split("/") if part] if rest else []
    if not parts:
        return "list", parts, "GET"
    if parts == ["categories"]:
        return "categories", parts, "GET"
    if parts == ["drafts"]:
        if method in ("GET", "POST"):
            return ("drafts_list" if method == "GET" else "drafts_create"), parts, method
        return "drafts_list", parts, "GET or POST"
    if len(parts) == 1:
        return "get", parts, "GET"
    if len(parts) == 2 and parts[1] in ("execute", "test"):
        return parts[1], parts, "POST"
    if len(parts) == 3 and parts[1] == "schemas":
        return "schema", parts, "GET"
    if len(parts) == 3 and parts[1] == "templates":
        return "template", parts, "GET"
    if parts[1] == "draft":
        if len(parts) == 2:
            if method in _DRAFT_METHODS:
                return _DRAFT_METHODS[method], parts, method
            return "draft_get", parts, "GET, PATCH, POST or DELETE"
        if len(parts) == 3 and parts[2] in _DRAFT_SUBRESOURCES:
            operation, expected = _DRAFT_SUBRESOURCES[parts[2]]
            return operation, parts, expected
        if len(parts) == 4 and parts[2] in ("schemas", "templates"):
            return ("draft_schema" if parts[2] == "schemas" else "draft_template"), parts, "GET"
    return None


def action_id_of(parts: list[str]) -> str | None:
    """The action id a route's path parts name (None for the listings)."""
    return parts[0] if parts and parts[0] not in _COLLECTIONS else None


class Call:
    """Per-request bookkeeping: builds the final Decision with common headers and logs it."""

    def __init__(
        self,
        request: EmulatorRequest,
        context_id: str,
        now: float,
        *,
        time_scale: float,
        rate_peek: Callable[[str | None, float], RateState],
        log: RequestLog,
        wall_clock: Callable[[], float],
    ) -> None:
        self.request = request
        self._time_scale = time_scale
        self._rate_peek = rate_peek
        self._log = log
        self._wall_clock = wall_clock
        self.context_id = context_id
        self.now = now
        self.operation = "unknown"
        self.action_id: str | None = None
        self.token_id: str | None = None
        self.rate: RateState | None = None
        self.body_sha256: str | None = None
        self.executed = False
        self.release: Callable[[], None] | None = None

    def error(self, body: dict[str, Any], headers: list[tuple[str, str]] | None = None, *,
              delay_ms: float = 0.0, fault: str | None = None) -> Decision:
        decision = json_decision(int(body["status"]), body, headers)
        decision.delay_s = delay_ms / 1000.0 / self._time_scale
        return self.finish(decision, fault=fault, delay_ms=delay_ms)

    def answer(self, status: int, payload: Any, outcome: FaultOutcome | None = None) -> Decision:
        decision = json_decision(status, payload)
        delay_ms = outcome.delay_ms if outcome else 0.0
        decision.delay_s = delay_ms / 1000.0 / self._time_scale
        if outcome is not None and outcome.body_kind:
            decision.status = outcome.body_status
            body, content_type, incomplete = render_body_fault(outcome.body_kind, decision.body, decision.status)
            decision.body, decision.incomplete_body = body, incomplete
            decision.headers = [("content-type", content_type)]
        if outcome is not None and outcome.reset == "after":
            decision = Decision(0, [], b"", delay_s=decision.delay_s, reset_connection=True)
            return self.finish(decision, fault=outcome.label, delay_ms=delay_ms)
        return self.finish(decision, fault=outcome.label if outcome else None, delay_ms=delay_ms)

    def finish(self, decision: Decision, *, fault: str | None = None, delay_ms: float = 0.0) -> Decision:
        rate = self.rate or self._rate_peek(self.token_id, self.now)
        if not decision.reset_connection:
            decision.headers.append(("inin-correlation-id", self.context_id))
            decision.headers.extend(rate.headers())
        decision.on_complete = self.release
        self._log.append(
            time=self._wall_clock(),
            method=self.request.method,
            path=self.request.path,
            operation=self.operation,
            action_id=self.action_id,
            token_id=self.token_id,
            status=None if decision.reset_connection else decision.status,
            fault=fault,
            body_sha256=self.body_sha256,
            executed=self.executed,
            correlation_id=self.context_id,
            delay_ms=round(delay_ms, 3),
        )
        return decision
