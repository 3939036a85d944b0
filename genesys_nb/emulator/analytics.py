"""``POST /api/v2/analytics/actions/aggregates/query`` answered from the emulator's own request log.

Every logged ``execute`` or ``test`` of a known action that ran (its request reached the remote
endpoint: not refused for auth, permission, a limit, or an input the contract rejects before anything
is sent) is one execution; its ``tTotalExecution`` is
the time the emulated org took (the log's ``delay_ms``: latency model plus injected delays, in the
org's own time, before any time compression). The answer has the platform's shape, the SDK's
ActionAggregateQueryResponse: ``{results: [{group, data: [{interval, metrics: [{metric, stats:
{max, min, count, sum}}]}]}]}``; intervals without executions are left out.

Emulator's choices where the platform's are not documented: ``errorType`` is ``clientError`` for a
4xx and ``serverError`` for a 5xx (absent on a success); ``integrationName`` is the integration type.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from genesys_nb.emulator import execution
from genesys_nb.emulator.call import Call
from genesys_nb.emulator.wire import Decision, error_body

PERMISSION = "analytics:actionAggregate:view"
DIMENSIONS = ("actionCategory", "actionId", "actionName", "correlationId", "errorType", "integrationId",
              "integrationName", "responseStatus")
METRICS = ("tTotalExecution",)
_COUNTED_OPERATIONS = ("execute", "test")
_REFUSED_STATUSES = (401, 403, 429)
_REFUSED_FAULTS = ("rate_limit", "concurrency_limit")
_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


class QueryError(ValueError):
    """A query the platform would refuse; ``field_name`` names the part of the body that is wrong."""

    def __init__(self, message: str, field_name: str) -> None:
        super().__init__(message)
        self.field_name = field_name


def _instant(text: str) -> datetime:
    stamp = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=timezone.utc)


def parse_interval(value: Any) -> tuple[datetime, datetime]:
    """``start/end`` in ISO-8601 to two UTC datetimes (end after start)."""
    if not isinstance(value, str) or value.count("/") != 1:
        raise QueryError("'interval' must be 'start/end' in ISO-8601, e.g. 2026-01-01T00:00:00Z/2026-01-02T00:00:00Z",
                         "interval")
    start_text, end_text = value.split("/")
    try:
        start, end = _instant(start_text), _instant(end_text)
    except ValueError:
        raise QueryError(f"'interval' {value!r} is not two ISO-8601 instants", "interval") from None
    if end <= start:
        raise QueryError(f"'interval' {value!r} ends before it starts", "interval")
    return start, end


def parse_duration(value: Any) -> timedelta:
    """An ISO-8601 period such as ``PT1H``, ``P1D`` or ``P1DT12H`` (no months or years: their length varies)."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None or value in ("P", "PT"):
        raise QueryError(f"'granularity' {value!r} is not an ISO-8601 period such as PT5M, PT1H or P1D",
                         "granularity")
    weeks, days, hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    duration = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if duration <= timedelta(0):
        raise QueryError(f"'granularity' {value!r} must be longer than zero", "granularity")
    return duration


def _iso(stamp: datetime) -> str:
    return stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _predicate_test(predicate: Any, where: str) -> Any:
    if not isinstance(predicate, dict):
        raise QueryError(f"'{where}' must be an object {{type, dimension, operator, value}}", where)
    dimension = predicate.get("dimension")
    if predicate.get("type", "dimension") != "dimension" or dimension not in DIMENSIONS:
        raise QueryError(f"'{where}' must filter on a dimension: one of {', '.join(DIMENSIONS)}", where)
    operator = predicate.get("operator", "matches")
    value = predicate.get("value")
    if operator == "exists":
        return lambda dims: dimension in dims
    if operator == "notExists":
        return lambda dims: dimension not in dims
    if operator != "matches" or not isinstance(value, str):
        raise QueryError(f"'{where}' needs operator matches (with a string value), exists or notExists", where)
    return lambda dims: dims.get(dimension) == value


def _combined(tests: list[Any], kind: Any, where: str) -> Any:
    if kind not in ("and", "or"):
        raise QueryError(f"'{where}.type' must be 'and' or 'or'", f"{where}.type")
    if kind == "and":
        return lambda dims: all(test(dims) for test in tests)
    return lambda dims: any(test(dims) for test in tests)


def parse_filter(value: Any) -> Any:
    """The ActionAggregateQueryFilter as a test of one execution's dimensions (None: no filter)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise QueryError("'filter' must be an object {type, predicates, clauses}", "filter")
    tests = [_predicate_test(p, f"filter.predicates[{i}]") for i, p in enumerate(value.get("predicates") or [])]
    for index, clause in enumerate(value.get("clauses") or []):
        where = f"filter.clauses[{index}]"
        if not isinstance(clause, dict):
            raise QueryError(f"'{where}' must be an object {{type, predicates}}", where)
        inner = [_predicate_test(p, f"{where}.predicates[{i}]") for i, p in enumerate(clause.get("predicates") or [])]
        tests.append(_combined(inner, clause.get("type"), where))
    return _combined(tests, value.get("type"), "filter")


def _dimensions(entry: Any, action: Any) -> dict[str, str]:
    dims = {"actionId": action.id, "actionName": action.name, "actionCategory": action.category,
            "integrationId": action.integration_id, "integrationName": action.integration_type,
            "responseStatus": str(entry.status)}
    if entry.correlation_id:
        dims["correlationId"] = entry.correlation_id
    if entry.status >= 500:
        dims["errorType"] = "serverError"
    elif entry.status >= 400:
        dims["errorType"] = "clientError"
    return dims


def aggregate(query: Any, entries: Iterable[Any], actions: dict[str, Any]) -> dict[str, Any]:
    """The ActionAggregateQueryResponse for ``query`` over log ``entries`` (QueryError for a bad query)."""
    if not isinstance(query, dict):
        raise QueryError("the body must be an ActionAggregationQuery object", "body")
    start, end = parse_interval(query.get("interval"))
    step = parse_duration(query["granularity"]) if query.get("granularity") else end - start
    group_by = query.get("groupBy") or []
    if not isinstance(group_by, list) or any(name not in DIMENSIONS for name in group_by):
        raise QueryError(f"'groupBy' must list dimensions among {', '.join(DIMENSIONS)}", "groupBy")
    metrics = query.get("metrics") or list(METRICS)
    if not isinstance(metrics, list) or any(name not in METRICS for name in metrics):
        raise QueryError(f"'metrics' must list metrics among {', '.join(METRICS)}", "metrics")
    keep = parse_filter(query.get("filter"))
    buckets: dict[tuple[tuple[str, str], ...], dict[int, list[float]]] = {}
    start_s, end_s, step_s = start.timestamp(), end.timestamp(), step.total_seconds()
    for entry in entries:
        action = actions.get(entry.action_id or "")
        if (entry.operation not in _COUNTED_OPERATIONS or action is None or entry.status is None or not entry.executed
                or entry.status in _REFUSED_STATUSES or entry.fault in _REFUSED_FAULTS
                or not start_s <= entry.time < end_s):
            continue
        dims = _dimensions(entry, action)
        if keep is not None and not keep(dims):
            continue
        group = tuple((name, dims[name]) for name in group_by if name in dims)
        index = math.floor((entry.time - start_s) / step_s)
        buckets.setdefault(group, {}).setdefault(index, []).append(float(entry.delay_ms))
    results = []
    for group in sorted(buckets):
        data = []
        for index in sorted(buckets[group]):
            values = buckets[group][index]
            low = start + step * index
            interval = f"{_iso(low)}/{_iso(min(end, low + step))}"
            stats = {"max": max(values), "min": min(values), "count": len(values), "sum": round(sum(values), 3)}
            data.append({"interval": interval, "metrics": [{"metric": name, "stats": dict(stats)} for name in metrics]})
        results.append({"group": dict(group), "data": data})
    return {"results": results}


def answer(emulator: Any, call: Call) -> Decision:
    """The route's handler: parse, aggregate the request log, answer (a bad query is a 400 naming its field)."""
    query, problem = execution.parse_input(call.request.body)
    if query is None:
        return call.error(execution.body_error(str(problem), call.context_id))
    try:
        payload = aggregate(query, emulator._log.entries(), emulator._actions)
    except QueryError as err:
        return call.error(error_body(400, "bad.request", str(err), call.context_id,
                                     details=[{"errorCode": "INVALID_QUERY", "fieldName": err.field_name}]))
    return call.answer(200, payload)
