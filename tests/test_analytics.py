"""The platform's own latency: the actions aggregates query, the emulator's answer, and compare_platform."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from genesys_nb.api._analytics import aggregates_body, aggregates_frame, format_interval
from genesys_nb.api.client import DataActionsClient
from genesys_nb.api.errors import BadRequestError, PermissionDeniedError
from genesys_nb.api.settings import Settings
from genesys_nb.emulator.analytics import QueryError, aggregate, parse_duration
from genesys_nb.report.latency import LatencyReport
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner

EVER = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")


@pytest.fixture()
def client(emulator_server: Any) -> Any:
    emulator_server.emulator.set_limits(rate_per_minute=100_000)
    with DataActionsClient(emulator_server.settings()) as sync_client:
        yield sync_client


def test_query_body_follows_the_sdk_model() -> None:
    body = aggregates_body(EVER, action_ids=["a", "b"], group_by=("actionId", "responseStatus"), granularity="PT1H")
    assert body == {
        "interval": "2000-01-01T00:00:00Z/2100-01-01T00:00:00Z", "granularity": "PT1H",
        "groupBy": ["actionId", "responseStatus"],
        "filter": {"type": "or", "predicates": [
            {"type": "dimension", "dimension": "actionId", "operator": "matches", "value": "a"},
            {"type": "dimension", "dimension": "actionId", "operator": "matches", "value": "b"}]},
        "metrics": ["tTotalExecution"]}
    end = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert format_interval(timedelta(hours=1), now=end) == "2025-12-31T23:00:00.000Z/2026-01-01T00:00:00.000Z"
    with pytest.raises(ValueError, match="group_by"):
        aggregates_body(EVER, group_by=("queueId",))
    with pytest.raises(ValueError, match="metrics"):
        aggregates_body(EVER, metrics=("tTalk",))
    with pytest.raises(ValueError, match="start/end"):
        format_interval("yesterday")


def _entry(seconds: float, action_id: str, status: int, delay_ms: float, operation: str = "execute",
           fault: str | None = None, executed: bool = True) -> Any:
    return SimpleNamespace(time=datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp() + seconds, action_id=action_id,
                           status=status, delay_ms=delay_ms, operation=operation, fault=fault, correlation_id=None,
                           executed=executed)


def test_emulator_aggregates_its_log_by_group_and_interval() -> None:
    actions = {aid: SimpleNamespace(id=aid, name=f"Action {aid}", category="C", integration_id="i",
                                    integration_type="custom-rest-actions") for aid in ("a", "b")}
    entries = [_entry(10, "a", 200, 40), _entry(20, "a", 200, 60), _entry(4000, "a", 500, 10),
               _entry(30, "b", 200, 5, operation="test"), _entry(40, "b", 429, 0, fault="rate_limit"),
               _entry(50, "a", 200, 99, operation="draft_test"), _entry(60, "zzz", 200, 1), _entry(70, "a", 401, 0),
               _entry(80, "a", 400, 0, executed=False)]  # an input the contract refused: the action never ran
    query = {"interval": "2026-01-01T00:00:00Z/2026-01-01T02:00:00Z", "granularity": "PT1H",
             "groupBy": ["actionId"], "metrics": ["tTotalExecution"]}
    results = aggregate(query, entries, actions)["results"]
    assert [r["group"] for r in results] == [{"actionId": "a"}, {"actionId": "b"}]
    first_hour, second_hour = results[0]["data"]
    assert first_hour["interval"] == "2026-01-01T00:00:00.000Z/2026-01-01T01:00:00.000Z"
    assert first_hour["metrics"] == [{"metric": "tTotalExecution", "stats": {"max": 60.0, "min": 40.0, "count": 2,
                                                                              "sum": 100.0}}]
    assert second_hour["metrics"][0]["stats"]["count"] == 1
    assert results[1]["data"][0]["metrics"][0]["stats"]["count"] == 1  # the 429 is not an execution
    only_b = aggregate({**query, "filter": {"type": "and", "predicates": [
        {"type": "dimension", "dimension": "actionName", "operator": "matches", "value": "Action b"}]}}, entries, actions)
    assert [r["group"] for r in only_b["results"]] == [{"actionId": "b"}]
    by_status = aggregate({**query, "groupBy": ["responseStatus"], "granularity": None}, entries, actions)
    assert [r["group"] for r in by_status["results"]] == [{"responseStatus": "200"}, {"responseStatus": "500"}]
    frame = aggregates_frame(aggregate(query, entries, actions))
    assert list(frame["actionId"]) == ["a", "a", "b"] and list(frame["tTotalExecution_mean"]) == [50.0, 10.0, 5.0]
    for bad, field in (({**query, "interval": "2026"}, "interval"), ({**query, "granularity": "P1M"}, "granularity"),
                       ({**query, "groupBy": ["queue"]}, "groupBy"), ({**query, "metrics": ["nope"]}, "metrics")):
        with pytest.raises(QueryError) as info:
            aggregate(bad, entries, actions)
        assert info.value.field_name == field
    assert parse_duration("P1DT12H") == timedelta(days=1, hours=12)


def test_the_client_reads_the_emulators_answer_as_a_tidy_table(client: Any, emulator_server: Any) -> None:
    emulator = emulator_server.emulator
    lookup, echo = emulator.action_named("Get Customer By Phone"), emulator.action_named("Echo")
    for n in range(5):
        assert client.execute(lookup.id, {"phoneNumber": f"+1317555{n + 100:04d}"}).ok
    client.execute(echo.id, {"message": "m"})
    frame = client.action_aggregates(EVER, action_ids=[lookup.id])
    assert list(frame.columns[:3]) == ["actionId", "interval_start", "interval_end"]
    assert list(frame["actionId"]) == [lookup.id] and int(frame.loc[0, "tTotalExecution_count"]) == 5
    delays = [e.delay_ms for e in emulator.request_log if e.operation == "execute" and e.action_id == lookup.id]
    assert frame.loc[0, "tTotalExecution_sum"] == pytest.approx(sum(delays), abs=0.01)
    assert frame.loc[0, "tTotalExecution_max"] == pytest.approx(max(delays))
    assert frame.loc[0, "tTotalExecution_mean"] > 10  # the action's latency model, not zero
    everyone = client.action_aggregates(EVER, group_by=("actionName",))
    assert set(everyone["actionName"]) == {"Get Customer By Phone", "Echo"}
    with pytest.raises(BadRequestError) as info:
        client.action_aggregates("2030-01-01T00:00:00Z/2020-01-01T00:00:00Z")
    assert info.value.error_body.details[0]["fieldName"] == "interval"
    assert [e.operation for e in emulator.request_log][-1] == "action_aggregates"


def test_the_query_needs_the_analytics_permission(emulator_server: Any) -> None:
    emulator_server.emulator.add_client("runner", "runner-secret", ["integrations:action:execute"])
    settings = Settings(client_id="runner", client_secret="runner-secret", api_base_url=emulator_server.url,
                        login_base_url=emulator_server.url)
    with DataActionsClient(settings) as runner, pytest.raises(PermissionDeniedError) as info:
        runner.action_aggregates(EVER)
    assert info.value.error_body.message_params == {"permission": "analytics:actionAggregate:view"}


def test_compare_platform_puts_the_client_beside_the_platform(emulator_server: Any, tmp_path: Path) -> None:
    emulator = emulator_server.emulator
    emulator.set_limits(rate_per_minute=100_000)
    lookup = emulator.action_named("Get Customer By Phone")
    audit = tmp_path / "audit.ndjson"
    from genesys_nb.run.session import Session

    with Session(emulator_server.settings()) as session:
        MatrixRunner(session, concurrency=4, audit=audit, progress=False).run(
            lookup.id, ParameterMatrix.product(phoneNumber=[f"+1317555{n:04d}" for n in range(200, 212)]))
        report = LatencyReport.from_audit(audit)
        view = report.compare_platform(session)
        table = session.client.action_aggregates(EVER, action_ids=[lookup.id])
    row = view.loc[lookup.id]
    assert row["action_name"] == "Get Customer By Phone"
    assert row["client_count"] == row["platform_count"] == 12
    assert row["client_p50_ms"] <= row["client_p95_ms"] <= row["client_p99_ms"]
    # the caller waits at least as long as the org worked; the difference is the overhead
    assert row["client_mean_ms"] >= row["platform_mean_ms"] > 0
    assert row["overhead_mean_ms"] == pytest.approx(row["client_mean_ms"] - row["platform_mean_ms"])
    from_frame = report.compare_platform(table)
    assert from_frame.loc[lookup.id, "platform_mean_ms"] == pytest.approx(row["platform_mean_ms"])
    empty = report.compare_platform(table.iloc[0:0])
    assert empty.loc[lookup.id, "platform_count"] == 0 and pd.isna(empty.loc[lookup.id, "overhead_mean_ms"])
    with pytest.raises(TypeError, match="action_aggregates"):
        report.compare_platform("nope")
