"""The platform's own view of action latency: ``POST /api/v2/analytics/actions/aggregates/query``.

Body and answer follow the official SDK's ActionAggregationQuery ``{interval, granularity, groupBy,
filter, metrics}`` and ActionAggregateQueryResponse ``{results: [{group, data: [{interval, metrics:
[{metric, stats: {max, min, count, sum}}]}]}]}``. :func:`aggregates_frame` turns an answer into a
tidy table, one row per group and interval; :class:`AnalyticsMixin` / :class:`AsyncAnalyticsMixin`
give both clients ``action_aggregates(...)``. pandas is imported only when a table is built.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import httpx

from genesys_nb.api._request import _encode_inputs, _Request
from genesys_nb.api.base import _ClientBase
from genesys_nb.api.errors import ContractError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["AGGREGATES_PATH", "GROUP_BY_DIMENSIONS", "AnalyticsMixin", "AsyncAnalyticsMixin",
           "aggregates_body", "aggregates_frame", "format_interval"]

AGGREGATES_PATH = "/api/v2/analytics/actions/aggregates/query"
# The dimensions of the SDK's ActionAggregateQueryPredicate, less the per-request correlationId.
GROUP_BY_DIMENSIONS = ("actionCategory", "actionId", "actionName", "errorType", "integrationId",
                       "integrationName", "responseStatus")
METRICS = ("tTotalExecution",)
_STATS = ("count", "sum", "min", "max")

Interval = str | tuple[datetime | str, datetime | str] | timedelta


def _iso(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    stamp = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def format_interval(interval: Interval, *, now: datetime | None = None) -> str:
    """The ISO-8601 ``start/end`` the query takes, from a string, a (start, end) pair or "the last timedelta".

    >>> format_interval(("2026-01-01T00:00:00Z", datetime(2026, 1, 2, tzinfo=timezone.utc)))
    '2026-01-01T00:00:00Z/2026-01-02T00:00:00.000Z'
    """
    if isinstance(interval, timedelta):
        end = now or datetime.now(timezone.utc)
        return f"{_iso(end - interval)}/{_iso(end)}"
    if isinstance(interval, str):
        if "/" not in interval:
            raise ValueError(f"interval must be 'start/end' in ISO-8601 (got {interval!r}), e.g. "
                             "'2026-01-01T00:00:00Z/2026-01-02T00:00:00Z'")
        return interval
    if isinstance(interval, tuple) and len(interval) == 2:
        return f"{_iso(interval[0])}/{_iso(interval[1])}"
    raise TypeError(f"interval must be an ISO 'start/end' string, a (start, end) pair or a timedelta "
                    f"(got {type(interval).__name__})")


def aggregates_body(interval: Interval, *, action_ids: Sequence[str] | None = None,
                    group_by: Sequence[str] = ("actionId",), metrics: Sequence[str] = METRICS,
                    granularity: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The ActionAggregationQuery JSON; ``action_ids`` become an ``or`` filter on actionId.

    >>> aggregates_body("a/b", action_ids=["x"])["filter"]
    {'type': 'or', 'predicates': [{'type': 'dimension', 'dimension': 'actionId', 'operator': 'matches', 'value': 'x'}]}
    """
    if isinstance(group_by, str):
        group_by = (group_by,)
    if isinstance(metrics, str):
        metrics = (metrics,)
    unknown = [name for name in group_by if name not in GROUP_BY_DIMENSIONS]
    if unknown:
        raise ValueError(f"group_by {', '.join(unknown)} is not a dimension of action aggregates; "
                         f"use {', '.join(GROUP_BY_DIMENSIONS)}")
    bad = [name for name in metrics if name not in METRICS]
    if bad or not metrics:
        raise ValueError(f"metrics must name {', '.join(METRICS)} (got {list(metrics)})")
    body: dict[str, Any] = {"interval": format_interval(interval, now=now)}
    if granularity:
        body["granularity"] = granularity
    body["groupBy"] = list(group_by)
    if action_ids:
        if isinstance(action_ids, str):
            action_ids = [action_ids]
        body["filter"] = {"type": "or", "predicates": [
            {"type": "dimension", "dimension": "actionId", "operator": "matches", "value": action_id}
            for action_id in action_ids]}
    body["metrics"] = list(metrics)
    return body


def aggregates_frame(response: Mapping[str, Any], *, group_by: Sequence[str] = ("actionId",)) -> pd.DataFrame:
    """One row per group and interval: the group's dimensions, ``interval_start``/``interval_end`` (UTC) and,
    per metric, ``<metric>_count/_sum/_min/_max/_mean`` (milliseconds for tTotalExecution)."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    dimensions = list(group_by)
    for result in response.get("results") or []:
        group = result.get("group") or {}
        for name in group:
            if name not in dimensions:
                dimensions.append(name)
        for data in result.get("data") or []:
            start, _, end = str(data.get("interval") or "").partition("/")
            row: dict[str, Any] = {**group, "interval_start": pd.Timestamp(start) if start else pd.NaT,
                                   "interval_end": pd.Timestamp(end) if end else pd.NaT}
            for metric in data.get("metrics") or []:
                name, stats = metric.get("metric"), metric.get("stats") or {}
                for stat in _STATS:
                    row[f"{name}_{stat}"] = stats.get(stat)
                count, total = stats.get("count"), stats.get("sum")
                row[f"{name}_mean"] = total / count if count and total is not None else None
            rows.append(row)
    metric_columns = [f"{m}_{s}" for m in METRICS for s in (*_STATS, "mean")]
    frame = pd.DataFrame(rows, columns=[*dimensions, "interval_start", "interval_end", *metric_columns])
    for column in metric_columns:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame.sort_values([*dimensions, "interval_start"], kind="stable").reset_index(drop=True)


class _AnalyticsCalls(_ClientBase):
    def _aggregates_request(self, interval: Interval, **options: Any) -> tuple[_Request, list[str]]:
        body = aggregates_body(interval, **options)
        return _Request("POST", AGGREGATES_PATH, content=_encode_inputs(body)), body["groupBy"]

    def _read_aggregates(self, response: httpx.Response, group_by: Sequence[str]) -> pd.DataFrame:
        body = self._json_or_raise(response, operation="action_aggregates", action_id=None)
        if not isinstance(body, dict):
            raise ContractError("action_aggregates failed: the response is not an ActionAggregateQueryResponse.")
        return aggregates_frame(body, group_by=group_by)


class AnalyticsMixin(_AnalyticsCalls):
    """``action_aggregates`` for :class:`~genesys_nb.api.client.DataActionsClient`."""

    if TYPE_CHECKING:
        def _call(self, request: _Request, *, operation: str, action_id: str | None = None) -> httpx.Response: ...

    def action_aggregates(self, interval: Interval, *, action_ids: Sequence[str] | None = None,
                          group_by: Sequence[str] = ("actionId",), metrics: Sequence[str] = METRICS,
                          granularity: str | None = None) -> pd.DataFrame:
        """The platform's tTotalExecution per group and interval (needs ``analytics:actionAggregate:view``)."""
        request, dims = self._aggregates_request(interval, action_ids=action_ids, group_by=group_by,
                                                 metrics=metrics, granularity=granularity)
        return self._read_aggregates(self._call(request, operation="action_aggregates"), dims)


class AsyncAnalyticsMixin(_AnalyticsCalls):
    """``action_aggregates`` for :class:`~genesys_nb.api.client.AsyncDataActionsClient`: awaitable."""

    if TYPE_CHECKING:
        async def _call(self, request: _Request, *, operation: str, action_id: str | None = None
                        ) -> httpx.Response: ...

    async def action_aggregates(self, interval: Interval, *, action_ids: Sequence[str] | None = None,
                                group_by: Sequence[str] = ("actionId",), metrics: Sequence[str] = METRICS,
                                granularity: str | None = None) -> pd.DataFrame:
        """The platform's tTotalExecution per group and interval (needs ``analytics:actionAggregate:view``)."""
        request, dims = self._aggregates_request(interval, action_ids=action_ids, group_by=group_by,
                                                 metrics=metrics, granularity=granularity)
        return self._read_aggregates(await self._call(request, operation="action_aggregates"), dims)
