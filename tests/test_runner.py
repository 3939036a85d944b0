"""MatrixRunner against the emulator over loopback: pacing, retries, classes, resume, stop, audit completeness."""
from __future__ import annotations

import asyncio
import json
import threading
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from windows import max_in_window

from genesys_nb.api.retry import RetryPolicy
from genesys_nb.emulator import action_id_for
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import (
    MAX_CONCURRENCY,
    MatrixRunner,
    RunSummary,
    _emulator_time_scale,
    result_frame,
)

ECHO = action_id_for("Echo")
UPDATE = action_id_for("Update Customer Record")
PIN = action_id_for("Verify Customer PIN")

# A compressed clock: one platform minute lasts one real second, so 300/min means 300 per second.
TIME_SCALE = 60


def echo_matrix(rows: int) -> ParameterMatrix:
    return ParameterMatrix.product(sequence=list(range(rows))).with_fixed(message="hello")


def all_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def audit_records(path: Path) -> list[dict[str, Any]]:
    """The terminal records (one per finished row); intent and webhook-state records carry a "kind"."""
    return [record for record in all_records(path) if "kind" not in record]


def execute_log(emulator_server: Any) -> list[Any]:
    return [entry for entry in emulator_server.emulator.request_log if entry.operation == "execute"]


def fast_runner(settings: Any, tmp_path: Path, **kwargs: Any) -> MatrixRunner:
    """A runner paced for the compressed clock (the emulator's default 300 per platform minute)."""
    options: dict[str, Any] = {"concurrency": 8, "rate_per_minute": 300 * TIME_SCALE, "progress": False,
                               "audit": tmp_path / "audit.ndjson", "retry": RetryPolicy(backoff_initial_s=0.01,
                                                                                         backoff_max_s=0.05)}
    options.update(kwargs)
    return MatrixRunner(settings, **options)


@pytest.fixture()
def compressed(emulator_server: Any) -> Any:
    emulator_server.emulator.set_limits(time_scale=TIME_SCALE)
    return emulator_server


# ---- the basics -----------------------------------------------------------------------------------
def test_run_returns_one_row_per_matrix_row_in_matrix_order(compressed: Any, settings: Any, tmp_path: Path) -> None:
    matrix = echo_matrix(40)
    runner = fast_runner(settings, tmp_path)
    frame = runner.run(ECHO, matrix, run_id="basic")

    assert list(frame["row_id"]) == [row.row_id for row in matrix]
    assert frame["ok"].all()
    assert list(frame["params.sequence"]) == list(range(40))
    assert list(frame["output.sequence"]) == list(range(40))
    assert (frame["output.message"] == "hello").all()
    for column in ("error_class", "status_code", "latency_ms", "total_ms", "attempts", "retry_wait_ms",
                   "correlation_id", "expected_invalid"):
        assert column in frame.columns
    assert (frame["status_code"] == 200).all()
    assert frame["correlation_id"].notna().all()

    records = audit_records(tmp_path / "audit.ndjson")
    assert len(records) == 40
    assert sorted(r["row_id"] for r in records) == sorted(row.row_id for row in matrix)
    assert {r["run_id"] for r in records} == {"basic"}
    assert len(execute_log(compressed)) == 40

    summary = runner.last_summary
    assert isinstance(summary, RunSummary)
    assert (summary.finished_rows, summary.ok_rows, summary.failed_rows, summary.stopped) == (40, 40, 0, False)
    assert summary.requests == 40
    assert summary.rate_limited == 0
    assert "40 rows" in str(summary)


def test_the_action_is_fetched_once_per_run(compressed: Any, settings: Any, tmp_path: Path) -> None:
    fast_runner(settings, tmp_path).run(ECHO, echo_matrix(20))
    gets = [entry for entry in compressed.emulator.request_log if entry.operation == "get"]
    assert len(gets) == 1


def test_accepts_a_list_of_dicts_and_a_dataframe(compressed: Any, settings: Any, tmp_path: Path) -> None:
    records = [{"message": "a", "sequence": 1}, {"message": "b", "sequence": 2}]
    frame = fast_runner(settings, tmp_path).run(ECHO, records)
    assert list(frame["output.message"]) == ["a", "b"]
    again = fast_runner(settings, tmp_path / "2").run(ECHO, frame[["params.message", "params.sequence"]]
                                                      .rename(columns=lambda c: c.removeprefix("params.")))
    assert list(again["output.sequence"]) == [1, 2]


def test_a_dataframe_or_records_are_read_through_the_contract(compressed: Any, settings: Any, tmp_path: Path) -> None:
    import math

    # pandas stores an integer column with a gap as floats: 100.0, NaN, 300.0, and 4.5 is not whole.
    data = pd.DataFrame({"message": ["a", "b", "c", "d"], "sequence": [100, None, 300, 4.5]})
    assert data["sequence"].dtype == float and math.isnan(data.loc[1, "sequence"])
    frame = fast_runner(settings, tmp_path).run(ECHO, data)
    assert list(frame["ok"]) == [True, True, True, False]  # the not-whole row fails alone, by the contract
    assert frame.loc[3, "error_class"] == "validation" and "sequence" in str(frame.loc[3, "error_message"])
    sent = {r["params"]["message"]: r["params"] for r in audit_records(tmp_path / "audit.ndjson") if r["success"]}
    assert sent == {"a": {"message": "a", "sequence": 100}, "b": {"message": "b"},  # NaN: the field is absent
                    "c": {"message": "c", "sequence": 300}}
    assert type(sent["a"]["sequence"]) is int
    # A list of records: the same reading (a whole float made an integer; a text cell read as the type).
    listed = fast_runner(settings, tmp_path / "2").run(ECHO, [{"message": "a", "sequence": 7.0},
                                                              {"message": "b", "sequence": "8"},
                                                              {"message": "c", "sequence": "eight"}])
    assert list(listed["ok"]) == [True, True, False]
    assert list(listed["output.sequence"][:2]) == [7, 8]
    assert "sequence" in str(listed.loc[2, "error_message"])


def test_unknown_action_raises_before_any_row(compressed: Any, settings: Any, tmp_path: Path) -> None:
    from genesys_nb.api.errors import NotFoundError

    with pytest.raises(NotFoundError):
        fast_runner(settings, tmp_path).run("custom_-_00000000-0000-0000-0000-000000000000", echo_matrix(3))
    assert execute_log(compressed) == []


# ---- pacing ---------------------------------------------------------------------------------------


def test_pacing_holds_the_rate_with_no_429_on_a_compressed_minute(emulator_server: Any, settings: Any,
                                                                  tmp_path: Path) -> None:
    # 120 per platform minute, a platform minute lasting 2 s: 240 rows need two full windows.
    emulator_server.emulator.set_limits(rate_per_minute=120, time_scale=30)
    runner = fast_runner(settings, tmp_path, concurrency=16, rate_per_minute=120 * 30)
    frame = runner.run(ECHO, echo_matrix(240))

    statuses = Counter(entry.status for entry in emulator_server.emulator.request_log)
    assert statuses[429] == 0
    assert frame["ok"].all()
    assert runner.last_summary is not None and runner.last_summary.rate_limited == 0
    times = sorted(entry.time for entry in execute_log(emulator_server))
    assert max_in_window(times, 2.0) <= 120


def test_a_pace_set_above_the_limit_is_held_back_by_the_rate_limit_headers(emulator_server: Any, settings: Any,
                                                                          tmp_path: Path) -> None:
    # Asked for 5x what the org allows: the inin-ratelimit-* headers say when a window is used up.
    emulator_server.emulator.set_limits(rate_per_minute=120, time_scale=30)
    runner = fast_runner(settings, tmp_path, concurrency=8, rate_per_minute=5 * 120 * 30)
    frame = runner.run(ECHO, echo_matrix(200))
    assert frame["ok"].all()
    assert Counter(entry.status for entry in emulator_server.emulator.request_log)[429] == 0


def test_without_pacing_the_same_run_is_rate_limited(emulator_server: Any, settings: Any, tmp_path: Path) -> None:
    # The control for the test above: it would fail if the emulator did not enforce its limit.
    emulator_server.emulator.set_limits(rate_per_minute=120, time_scale=30)
    # 429s are retried for rate_limit_budget_s; a budget of 0 lets the platform's refusals show.
    runner = fast_runner(settings, tmp_path, concurrency=16, rate_per_minute=None,
                         retry=RetryPolicy(rate_limit_budget_s=0))
    frame = runner.run(ECHO, echo_matrix(240))
    assert runner.last_summary is not None and runner.last_summary.rate_limited > 0
    assert (frame["error_class"] == "rate_limited").sum() == runner.last_summary.rate_limited


def test_a_429_storm_on_every_other_request_ends_with_every_row_ok_and_nothing_twice(
        compressed: Any, settings: Any, tmp_path: Path) -> None:
    compressed.emulator.set_faults(ECHO, {"rules": [{"type": "errors", "rates": {"429": 0.5},
                                                     "retry_after_s": 0}]})
    runner = fast_runner(settings, tmp_path, concurrency=4, retry=RetryPolicy(max_retries=1, backoff_initial_s=0.01,
                                                                                backoff_max_s=0.05))
    frame = runner.run(ECHO, echo_matrix(60))
    assert frame["ok"].all(), frame["error_class"].value_counts()
    log = execute_log(compressed)
    assert Counter(entry.status for entry in log)[429] > 10  # well past max_retries for some rows
    ran = Counter(entry.body_sha256 for entry in log if entry.executed)
    assert len(ran) == 60 and set(ran.values()) == {1}  # each row executed exactly once on the server


def test_a_429_is_retried_after_retry_after_and_counted(compressed: Any, settings: Any, tmp_path: Path) -> None:
    compressed.emulator.set_faults(ECHO, {"rules": [{"type": "sequence", "statuses": [429], "retry_after_s": 0}]})
    runner = fast_runner(settings, tmp_path, concurrency=1)
    frame = runner.run(ECHO, echo_matrix(3))
    assert frame["ok"].all()
    assert list(frame["attempts"]) == [2, 1, 1]
    assert runner.last_summary is not None
    assert (runner.last_summary.rate_limited, runner.last_summary.slowdowns, runner.last_summary.requests) == (1, 1, 4)


def test_pace_follows_the_emulator_clock_of_a_session() -> None:
    class Limits:
        time_scale = 20.0

    class Emulator:
        limits = Limits()

    class SessionLike:
        emulator = Emulator()

    class RealOrgSession:
        emulator = None

    assert _emulator_time_scale(SessionLike()) == 20.0
    assert _emulator_time_scale(RealOrgSession()) == 1.0


# ---- retries and error classes --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("statuses", "idempotent", "error_class", "status_code", "attempts", "sent"),
    [
        ([503, 200], False, None, 200, 2, 2),          # 503: retried, then fine
        ([502, 504, 200], False, "remote_endpoint", 502, 1, 1),  # the remote was reached: not re-sent
        ([502, 504, 200], True, None, 200, 3, 3),
        ([500], False, "remote_endpoint", 500, 1, 1),  # 500 on a non-idempotent action: never re-sent
        ([400], False, "remote_endpoint", 400, 1, 1),  # the remote endpoint's 400: never retried
        ([503, 503, 503, 503], False, "server", 503, 4, 4),  # 1 + 3 retries, then the failure stands
        (["reset_after"], False, "network", None, 1, 1),     # dropped after it ran: not re-sent
        (["reset_after"], True, None, 200, 2, 2),
    ],
)
def test_retries_and_classes_per_fault(compressed: Any, settings: Any, tmp_path: Path, statuses: list[Any],
                                      idempotent: bool, error_class: str | None, status_code: int | None,
                                      attempts: int, sent: int) -> None:
    compressed.emulator.set_faults(UPDATE, {"rules": [{"type": "sequence", "statuses": statuses, "retry_after_s": 0}]})
    runner = fast_runner(settings, tmp_path, concurrency=1)
    frame = runner.run(UPDATE, [{"recordId": "R-10042", "tier": "gold"}], idempotent=idempotent)
    row = frame.iloc[0]
    assert bool(row["ok"]) is (error_class is None)
    assert (None if pd.isna(row["error_class"]) else row["error_class"]) == error_class
    assert (None if pd.isna(row["status_code"]) else row["status_code"]) == status_code
    assert row["attempts"] == attempts
    assert len(execute_log(compressed)) == sent


@pytest.mark.parametrize(("idempotent", "attempts"), [(False, 1), (True, 3)])
def test_a_response_slower_than_the_deadline_is_a_timeout_retried_only_when_idempotent(
    compressed: Any, settings: Any, tmp_path: Path, idempotent: bool, attempts: int
) -> None:
    compressed.emulator.set_faults(UPDATE, {"rules": [{"type": "slow", "delay_ms": 1500 * TIME_SCALE}]})
    runner = fast_runner(settings, tmp_path, concurrency=1, retry=RetryPolicy(max_retries=2, backoff_initial_s=0.01))
    frame = runner.run(UPDATE, [{"recordId": "R-10042"}], timeout_ms=150, idempotent=idempotent)
    row = frame.iloc[0]
    assert (bool(row["ok"]), row["error_class"], row["attempts"]) == (False, "timeout", attempts)
    assert len(execute_log(compressed)) == attempts


def test_invalid_input_is_classified_without_sending(compressed: Any, settings: Any, tmp_path: Path) -> None:
    frame = fast_runner(settings, tmp_path).run(UPDATE, [{"recordId": "not-a-record", "tier": "gold"}])
    row = frame.iloc[0]
    assert not row["ok"] and row["error_class"] == "validation" and row["attempts"] == 0
    assert execute_log(compressed) == []


def test_expected_invalid_rows_are_sent_so_the_platform_answers(compressed: Any, settings: Any,
                                                                tmp_path: Path) -> None:
    from genesys_nb.api.models import Action

    runner = fast_runner(settings, tmp_path)
    action: Action = compressed.emulator.actions[ECHO].to_action() if hasattr(
        compressed.emulator.actions[ECHO], "to_action") else None
    if action is None:
        from genesys_nb.api.client import DataActionsClient

        with DataActionsClient(settings) as client:
            action = client.get_action(ECHO)
    matrix = ParameterMatrix.from_schema(action)
    frame = runner.run(ECHO, matrix)
    invalid = frame[frame["expected_invalid"]]
    assert len(invalid) >= 1
    assert (invalid["error_class"] != "validation").all()  # the platform's answer, not a local check
    assert (invalid["status_code"] == 400).all()
    assert len(execute_log(compressed)) == len(matrix)


def test_exactly_one_audit_record_per_row_under_faults(compressed: Any, settings: Any, tmp_path: Path) -> None:
    compressed.emulator.set_faults(ECHO, {"rules": [
        {"type": "errors", "rates": {"429": 0.05, "503": 0.1, "500": 0.05}, "retry_after_s": 0},
        {"type": "reset", "rate": 0.03, "when": "before"},
        {"type": "reset", "rate": 0.03, "when": "after"},
    ]})
    matrix = echo_matrix(300)
    runner = fast_runner(settings, tmp_path, concurrency=16)
    frame = runner.run(ECHO, matrix)
    records = audit_records(tmp_path / "audit.ndjson")
    assert len(records) == len(matrix) == len(frame)
    assert Counter(r["row_id"] for r in records).most_common(1)[0][1] == 1
    assert set(frame["error_class"].dropna()) <= {"server", "remote_endpoint", "network", "rate_limited"}
    # Never sent again once the action may have run (a 500 from the endpoint, or a reset after it ran).
    attempts_by_body: dict[str, list[Any]] = {}
    for entry in execute_log(compressed):
        attempts_by_body.setdefault(entry.body_sha256, []).append(entry)
    for attempts in attempts_by_body.values():
        for earlier in attempts[:-1]:
            assert not (earlier.executed and (earlier.status is None or earlier.status == 500)), attempts
    assert runner.last_summary is not None
    assert runner.last_summary.finished_rows == 300
    assert runner.last_summary.requests == len(execute_log(compressed))


# ---- resume and stop ------------------------------------------------------------------------------
def test_resume_runs_only_rows_without_a_record(compressed: Any, settings: Any, tmp_path: Path) -> None:
    matrix = echo_matrix(60)
    first_half = ParameterMatrix.from_records([row.params for row in list(matrix)[:25]])
    assert [row.row_id for row in first_half] == [row.row_id for row in list(matrix)[:25]]  # ids are stable
    fast_runner(settings, tmp_path).run(ECHO, first_half, run_id="nightly")
    compressed.emulator.reset()
    compressed.emulator.set_limits(time_scale=TIME_SCALE)

    runner = fast_runner(settings, tmp_path)
    frame = runner.run(ECHO, matrix, run_id="nightly", resume=True)
    assert len(execute_log(compressed)) == 35
    assert len(frame) == 60 and frame["ok"].all()
    records = audit_records(tmp_path / "audit.ndjson")
    assert sorted(r["row_id"] for r in records) == sorted(row.row_id for row in matrix)
    assert runner.last_summary is not None
    assert (runner.last_summary.skipped_rows, runner.last_summary.finished_rows) == (25, 35)


def test_reusing_a_run_id_without_resume_is_refused(compressed: Any, settings: Any, tmp_path: Path) -> None:
    fast_runner(settings, tmp_path).run(ECHO, echo_matrix(3), run_id="once")
    with pytest.raises(ValueError, match="resume=True"):
        fast_runner(settings, tmp_path).run(ECHO, echo_matrix(3), run_id="once")
    with pytest.raises(ValueError, match="run_id"):
        fast_runner(settings, tmp_path).run(ECHO, echo_matrix(3), resume=True)


def test_stop_records_finished_rows_only_and_resume_completes(compressed: Any, settings: Any,
                                                              tmp_path: Path) -> None:
    compressed.emulator.set_faults(ECHO, {"rules": [{"type": "latency", "fixed_ms": 40 * TIME_SCALE}]})
    matrix = echo_matrix(200)
    audit_path = tmp_path / "audit.ndjson"
    runner = fast_runner(settings, tmp_path, concurrency=2)
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("frame", runner.run(ECHO, matrix, run_id="r")))
    thread.start()
    while not audit_path.exists() or len(audit_records(audit_path)) < 6:
        thread.join(0.01)
        assert thread.is_alive(), "the run ended before it could be stopped"
    runner.stop()
    thread.join(30)
    assert not thread.is_alive()

    summary = runner.last_summary
    assert summary is not None and summary.stopped
    frame = outcome["frame"]
    records = audit_records(audit_path)
    assert len(frame) == len(records) == summary.finished_rows < 200
    assert frame["ok"].all()  # nothing half-done was recorded as a failure
    sent = len(execute_log(compressed))
    assert sent == len(records)  # rows waiting for their turn were dropped, not sent

    compressed.emulator.set_faults(ECHO, None)
    resumed = fast_runner(settings, tmp_path, concurrency=8).run(ECHO, matrix, run_id="r", resume=True)
    assert len(resumed) == 200 and resumed["ok"].all()
    assert Counter(r["row_id"] for r in audit_records(audit_path)).most_common(1)[0][1] == 1
    assert len(execute_log(compressed)) == 200


def test_cancelling_the_task_records_only_finished_rows(compressed: Any, settings: Any, tmp_path: Path) -> None:
    compressed.emulator.set_faults(ECHO, {"rules": [{"type": "latency", "fixed_ms": 30 * TIME_SCALE}]})
    audit_path = tmp_path / "audit.ndjson"
    runner = fast_runner(settings, tmp_path, concurrency=4)

    async def main() -> None:
        task = asyncio.create_task(runner.arun(ECHO, echo_matrix(400), run_id="c"))
        while not audit_path.exists() or len(audit_records(audit_path)) < 8:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    records = audit_records(audit_path)
    assert 8 <= len(records) < 400
    assert all(r["success"] for r in records)
    assert runner.last_summary is not None and runner.last_summary.stopped
    assert not runner.running


# ---- event loops ----------------------------------------------------------------------------------
def test_run_works_inside_a_running_event_loop(compressed: Any, settings: Any, tmp_path: Path) -> None:
    runner = fast_runner(settings, tmp_path)

    async def notebook_cell() -> Any:
        return runner.run(ECHO, echo_matrix(10))  # what a notebook cell does: no await

    frame = asyncio.run(notebook_cell())
    assert len(frame) == 10 and frame["ok"].all()


def test_arun_inside_a_loop_and_an_async_client(compressed: Any, settings: Any, tmp_path: Path) -> None:
    from genesys_nb.api.client import AsyncDataActionsClient
    from genesys_nb.api.network import default_async_transport

    async def main() -> Any:
        async with AsyncDataActionsClient(settings, transport=default_async_transport()) as client:
            runner = fast_runner(client, tmp_path)
            return await runner.arun(ECHO, echo_matrix(12))

    frame = asyncio.run(main())
    assert len(frame) == 12 and frame["ok"].all()


def test_a_session_and_a_sync_client_are_accepted(compressed: Any, settings: Any, tmp_path: Path) -> None:
    from genesys_nb.api.client import DataActionsClient

    with DataActionsClient(settings) as client:
        frame = fast_runner(client, tmp_path).run(ECHO, echo_matrix(5))
    assert frame["ok"].all()


# ---- secure actions, arguments --------------------------------------------------------------------
def test_secure_action_inputs_and_outputs_are_redacted(compressed: Any, settings: Any, tmp_path: Path) -> None:
    frame = fast_runner(settings, tmp_path).run(PIN, [{"customerId": "C-000123", "pin": "482913"}])
    assert (frame["params.pin"] == "<redacted>").all()
    text = (tmp_path / "audit.ndjson").read_text(encoding="utf-8")
    assert "482913" not in text
    assert "482913" not in frame.to_string()


def test_concurrency_above_the_platform_limit_is_capped_with_a_warning(settings: Any) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runner = MatrixRunner(settings, concurrency=80, progress=False)
    assert runner.concurrency == MAX_CONCURRENCY
    assert any("50" in str(w.message) for w in caught)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"concurrency": 0}, ValueError, "concurrency"),
        ({"concurrency": 2.5}, ValueError, "concurrency"),
        ({"rate_per_minute": 0}, ValueError, "rate_per_minute"),
        ({"rate_per_minute": "fast"}, TypeError, "rate_per_minute"),
        ({"retry": 3}, TypeError, "RetryPolicy"),
    ],
)
def test_bad_arguments_are_refused(settings: Any, kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        MatrixRunner(settings, **kwargs)


def test_a_source_that_is_not_a_session_or_client_is_refused() -> None:
    with pytest.raises(TypeError, match="connect"):
        MatrixRunner("https://api.mypurecloud.com")


def test_bad_run_arguments_are_refused(settings: Any, tmp_path: Path) -> None:
    runner = fast_runner(settings, tmp_path)
    with pytest.raises(ValueError, match="timeout_ms"):
        runner.run(ECHO, echo_matrix(1), timeout_ms=0)
    with pytest.raises(ValueError, match="action_id"):
        runner.run("", echo_matrix(1))
    with pytest.raises(TypeError, match="matrix"):
        runner.run(ECHO, 42)


# ---- webhooks ---------------------------------------------------------------------------------------
class _Receiver:
    """A webhook receiver on 127.0.0.1 that records every body it is sent."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        bodies = self.bodies = []  # type: list[dict[str, Any]]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhooks_are_delivered_per_row_without_blocking(compressed: Any, settings: Any, tmp_path: Path) -> None:
    from genesys_nb.run.webhook import WebhookDispatcher

    receiver = _Receiver()
    try:
        with WebhookDispatcher(receiver.url, outbox=tmp_path / "outbox.ndjson") as hooks:
            matrix = echo_matrix(20)
            fast_runner(settings, tmp_path, webhook=hooks).run(ECHO, matrix, run_id="hooked")
        assert sorted(body["rowId"] for body in receiver.bodies) == sorted(row.row_id for row in matrix)
        assert {body["runId"] for body in receiver.bodies} == {"hooked"}
        frame = result_frame(tmp_path / "audit.ndjson", "hooked", matrix)
        assert set(frame["webhook"].astype(str)) == {"delivered"}  # every row's state settled, none left pending
    finally:
        receiver.close()


def test_a_webhook_receiver_that_is_down_never_fails_a_row(compressed: Any, settings: Any, tmp_path: Path) -> None:
    probe = __import__("socket").socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there
    from genesys_nb.run.webhook import WebhookDispatcher

    outbox = tmp_path / "webhook-outbox.ndjson"
    with WebhookDispatcher(f"http://127.0.0.1:{port}/hook", outbox=outbox, max_retries=1, backoff_s=0.01) as hooks:
        frame = fast_runner(settings, tmp_path, webhook=hooks).run(ECHO, echo_matrix(10), run_id="down")
        assert frame["ok"].all()
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 10
    # Once the dispatcher has settled them (after the run: no row waited), every row says failed.
    settled = result_frame(tmp_path / "audit.ndjson", "down", echo_matrix(10))
    assert set(settled["webhook"].astype(str)) == {"failed"}


# ---- the result table -------------------------------------------------------------------------------
def test_result_frame_reads_one_run_in_matrix_order_skipping_torn_lines(tmp_path: Path) -> None:
    from genesys_nb.run.runner import result_frame

    matrix = ParameterMatrix.from_records([{"n": 1}, {"n": 2}, {"n": 3}])
    ids = [row.row_id for row in matrix]

    def record(run_id: str, row_id: str, ok: bool, n: int) -> str:
        return json.dumps({"schema_version": 1, "run_id": run_id, "row_id": row_id, "success": ok,
                           "status_code": 200 if ok else None, "error_class": None if ok else "network",
                           "latency_ms": 1.5, "total_ms": 2.0, "attempts": 1, "retry_wait_ms": 0.0,
                           "timestamp": "2026-01-01T00:00:00Z", "params": {"n": n}, "output": {"doubled": 2 * n},
                           "webhook": "none", "expected_invalid": False, "correlation_id": "c"})

    lines = [record("mine", ids[2], True, 3), record("other", ids[0], True, 1), record("mine", ids[0], False, 1),
             record("mine", ids[0], True, 1), '{"run_id": "mine", "row_id": "torn']
    path = tmp_path / "audit.ndjson"
    path.write_text("\n".join(lines), encoding="utf-8")
    frame = result_frame(path, "mine", matrix)
    assert list(frame["row_id"]) == [ids[0], ids[2]]  # matrix order; row 2 has no record
    assert list(frame["ok"]) == [True, True]  # the last record of a row wins
    assert list(frame["params.n"]) == [1, 3] and list(frame["output.doubled"]) == [2, 6]
    assert str(frame["status_code"].dtype) == "Int64" and str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame["error_class"].dtype == "category"

    secure = result_frame(path, "mine", matrix, secure=True)
    assert list(secure["params.n"]) == ["<redacted>", "<redacted>"]

    empty = result_frame(path, "nobody", matrix)
    assert len(empty) == 0 and "ok" in empty.columns


def test_an_answer_the_log_cannot_encode_still_gets_its_record(compressed: Any, settings: Any,
                                                               tmp_path: Path) -> None:
    # Odd unicode (a lone surrogate) in the output: the row is recorded with the value made printable.
    compressed.emulator.set_faults(ECHO, {"rules": [{"type": "body", "kind": "odd_unicode", "status": 200}]})
    frame = fast_runner(settings, tmp_path, concurrency=2).run(ECHO, echo_matrix(4))
    assert len(frame) == 4
    assert len(audit_records(tmp_path / "audit.ndjson")) == 4


def test_time_queued_for_a_pacing_slot_is_apart_from_total_ms(emulator_server: Any, settings: Any,
                                                             tmp_path: Path) -> None:
    # 10 rows/s with 10 workers: the later rows wait for their slot, and that wait is queue_ms, not
    # total_ms (which runs from the first send to the final answer).
    emulator_server.emulator.set_limits(rate_per_minute=100_000, time_scale=TIME_SCALE)
    runner = fast_runner(settings, tmp_path, concurrency=10, rate_per_minute=600)  # real minutes: settings
    frame = runner.run(ECHO, echo_matrix(10))
    assert frame["ok"].all() and (frame["attempts"] == 1).all()
    queued = frame["queue_ms"].max()
    assert queued >= 300, frame["queue_ms"].tolist()
    assert (frame["total_ms"] >= frame["latency_ms"]).all()
    assert (frame["total_ms"] - frame["latency_ms"] < queued / 2).all(), frame[["total_ms", "latency_ms"]]
    records = {r["row_id"]: r for r in audit_records(tmp_path / "audit.ndjson")}
    assert [records[row]["queue_ms"] for row in frame["row_id"]] == frame["queue_ms"].tolist()
