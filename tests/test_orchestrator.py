"""ExecutionOrchestrator against the emulator: validate -> execute with retries -> webhook -> audit -> result."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.api.client import DataActionsClient
from genesys_nb.api.retry import RetryPolicy
from genesys_nb.emulator import action_id_for
from genesys_nb.run.orchestrator import ExecutionOrchestrator

UPDATE = action_id_for("Update Customer Record")
PIN = action_id_for("Verify Customer PIN")
QUICK = RetryPolicy(backoff_initial_s=0.01, backoff_max_s=0.02)


def records(path: Path) -> list[dict[str, Any]]:
    """The terminal records; intent and webhook-state records carry a "kind"."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [record for record in lines if "kind" not in record]


def executes(emulator_server: Any) -> list[Any]:
    return [e for e in emulator_server.emulator.request_log if e.operation == "execute"]


@pytest.fixture()
def client(settings: Any) -> Iterator[DataActionsClient]:
    with DataActionsClient(settings) as c:
        yield c


@pytest.fixture()
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    bodies: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/done", bodies
    server.shutdown()
    server.server_close()


def test_a_successful_execution_is_audited_once(emulator_server: Any, client: DataActionsClient,
                                                tmp_path: Path) -> None:
    with ExecutionOrchestrator(client, retry=QUICK, audit=tmp_path / "audit.ndjson") as pipeline:
        result = pipeline.execute(UPDATE, {"recordId": "R-10042", "tier": "gold"})
    assert result.ok and result.attempts == 1
    [record] = records(tmp_path / "audit.ndjson")
    assert record["success"] is True
    assert record["run_id"] == pipeline.run_id
    assert record["action_name"] == "Update Customer Record"
    assert record["params"] == {"recordId": "R-10042", "tier": "gold"}
    assert record["webhook"] == "none"
    assert record["correlation_id"] == result.correlation_id
    assert len(executes(emulator_server)) == 1


def test_invalid_input_is_stopped_before_sending_and_still_audited(emulator_server: Any, client: DataActionsClient,
                                                                   tmp_path: Path) -> None:
    pipeline = ExecutionOrchestrator(client, audit=tmp_path / "audit.ndjson")
    result = pipeline.execute(UPDATE, {"recordId": "nope"})
    assert (result.ok, result.error_class, result.attempts) == (False, "validation", 0)
    assert "$.recordId" in (result.error_message or "")
    assert records(tmp_path / "audit.ndjson")[0]["error_class"] == "validation"
    assert executes(emulator_server) == []


def test_validate_false_lets_the_platform_answer(emulator_server: Any, client: DataActionsClient) -> None:
    result = ExecutionOrchestrator(client, validate=False).execute(UPDATE, {"recordId": "nope"})
    assert not result.ok and result.status_code == 400
    assert len(executes(emulator_server)) == 1


def test_retries_follow_the_policy(emulator_server: Any, client: DataActionsClient, tmp_path: Path) -> None:
    emulator_server.emulator.set_faults(UPDATE, {"rules": [{"type": "sequence", "statuses": [503, 503, 200],
                                                            "retry_after_s": 0}]})
    pipeline = ExecutionOrchestrator(client, retry=QUICK, audit=tmp_path / "audit.ndjson")
    result = pipeline.execute(UPDATE, {"recordId": "R-10042"})
    assert result.ok and result.attempts == 3
    [record] = records(tmp_path / "audit.ndjson")
    assert record["attempts"] == 3
    assert len(executes(emulator_server)) == 3
    lines = [json.loads(line) for line in (tmp_path / "audit.ndjson").read_text(encoding="utf-8").splitlines()]
    intents = [line for line in lines if line.get("kind") == "sending"]
    assert [i["attempt"] for i in intents] == [1, 2, 3] and lines[-1] == record  # each attempt announced first
    assert {i["request_sha256"] for i in intents} == {e.body_sha256 for e in executes(emulator_server)}


def test_a_502_that_may_have_run_is_not_sent_again(emulator_server: Any, client: DataActionsClient) -> None:
    emulator_server.emulator.set_faults(UPDATE, {"rules": [{"type": "sequence", "statuses": [503, 502, 200],
                                                            "retry_after_s": 0}]})
    result = ExecutionOrchestrator(client, retry=QUICK).execute(UPDATE, {"recordId": "R-10042"})
    assert (result.ok, result.status_code, result.attempts) == (False, 502, 2)
    assert [entry.executed for entry in executes(emulator_server)] == [False, True]


def test_a_read_timeout_is_not_retried_unless_idempotent(emulator_server: Any, client: DataActionsClient) -> None:
    emulator_server.emulator.set_limits(time_scale=60)
    emulator_server.emulator.set_faults(UPDATE, {"rules": [{"type": "slow", "delay_ms": 60_000}]})
    pipeline = ExecutionOrchestrator(client, retry=QUICK)
    result = pipeline.execute(UPDATE, {"recordId": "R-10042"}, timeout_ms=200)
    assert (result.error_class, result.attempts) == ("timeout", 1)
    assert len(executes(emulator_server)) == 1


def test_the_webhook_is_delivered_and_the_record_says_so(emulator_server: Any, client: DataActionsClient,
                                                         tmp_path: Path,
                                                         receiver: tuple[str, list[dict[str, Any]]]) -> None:
    from genesys_nb.run.webhook import WebhookDispatcher

    url, bodies = receiver
    with WebhookDispatcher(url) as hooks:
        pipeline = ExecutionOrchestrator(client, audit=tmp_path / "audit.ndjson", webhook=hooks, webhook_wait_s=10)
        result = pipeline.execute(UPDATE, {"recordId": "R-10042"}, row_id="row-1")
    assert result.ok
    assert records(tmp_path / "audit.ndjson")[0]["webhook"] == "delivered"
    [body] = bodies
    assert (body["actionId"], body["runId"], body["rowId"], body["success"]) == (UPDATE, pipeline.run_id, "row-1",
                                                                                   True)


def test_secure_action_params_are_redacted(emulator_server: Any, client: DataActionsClient, tmp_path: Path) -> None:
    pipeline = ExecutionOrchestrator(client, audit=tmp_path / "audit.ndjson")
    result = pipeline.execute(PIN, {"customerId": "C-000123", "pin": "482913"})
    assert result.status_code == 200
    text = (tmp_path / "audit.ndjson").read_text(encoding="utf-8")
    assert "482913" not in text
    assert records(tmp_path / "audit.ndjson")[0]["params"] == "<redacted>"


def test_accepts_a_session_like_object_and_refuses_others(client: DataActionsClient) -> None:
    class SessionLike:
        def __init__(self, c: DataActionsClient) -> None:
            self.client = c

    assert ExecutionOrchestrator(SessionLike(client)).client is client
    with pytest.raises(TypeError, match="DataActionsClient"):
        ExecutionOrchestrator(object())
    with pytest.raises(TypeError, match="RetryPolicy"):
        ExecutionOrchestrator(client, retry=3)  # type: ignore[arg-type]
