"""Audit log: record shape, redaction, concurrent appends, torn lines, typed reader, parquet, resume ids."""
from __future__ import annotations

import asyncio
import threading
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from genesys_nb.api.models import Action
from genesys_nb.api.result import ExecutionResult
from genesys_nb.audit.writer import (
    RECORD_KEYS,
    REDACTED,
    AuditLog,
    build_record,
    read_audit,
    scrub_mapping,
    scrub_secrets,
    terminal_row_ids,
    to_parquet,
)

START = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


def _action(*, secure: bool = False, name: str = "Lookup") -> Action:
    return Action(id="custom_-_abc", name=name, version=4, secure=secure)


def _result(ok: bool = True, **overrides: Any) -> ExecutionResult:
    values: dict[str, Any] = {
        "action_id": "custom_-_abc", "ok": ok,
        "output": {"count": 3, "customer": {"name": "Ann"}} if ok else None,
        "status_code": 200 if ok else 503, "error_class": None if ok else "server",
        "error_code": None if ok else "SERVICE_UNAVAILABLE", "error_message": None if ok else "busy",
        "correlation_id": "corr-1", "latency_ms": 12.5, "total_ms": 40.0, "attempts": 1 if ok else 2,
        "retry_wait_ms": 0.0 if ok else 25.0, "timeout_ms": 5000, "timestamp": START,
    }
    values.update(overrides)
    return ExecutionResult(**values)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_record_has_exactly_the_documented_keys_in_order(tmp_path: Path) -> None:
    path = tmp_path / "audit.ndjson"
    with AuditLog(path) as audit:
        audit.write_result(_result(), run_id="r1", row_id="row-1", action=_action(),
                           params={"queueId": "q1", "priority": 2}, expected_invalid=True, webhook="delivered")
    [record] = _lines(path)
    assert tuple(record) == RECORD_KEYS
    assert record["schema_version"] == 1
    assert record["timestamp"] == "2026-03-01T12:00:00.123456Z"
    assert record["action_name"] == "Lookup" and record["action_version"] == 4
    assert record["success"] is True and record["status_code"] == 200
    assert record["params"] == {"queueId": "q1", "priority": 2}
    assert record["output"] == {"count": 3, "customer.name": "Ann"}  # flattened
    assert record["output_keys"] == ["count", "customer.name"]
    assert record["webhook"] == "delivered" and record["expected_invalid"] is True
    assert path.read_bytes().endswith(b"\n") and path.read_bytes().count(b"\n") == 1


def test_failed_result_record(tmp_path: Path) -> None:
    record = build_record(_result(ok=False, errors=[{"message": "busy"}]), run_id="r", row_id="x",
                          action=_action(), params={})
    assert record["success"] is False and record["error_class"] == "server"
    assert record["attempts"] == 2 and record["retry_wait_ms"] == 25.0 and record["error_count"] == 1
    assert record["output"] is None and record["output_keys"] == []


def test_unknown_webhook_state_is_rejected() -> None:
    with pytest.raises(ValueError, match="webhook must be one of"):
        build_record(_result(), run_id="r", row_id="x", webhook="sent")


def test_secure_action_params_and_output_are_redacted_by_default(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    with AuditLog(path) as audit:
        audit.write_result(_result(), run_id="r", row_id="1", action=_action(secure=True),
                           params={"motDePasse": "hunter2-value", "idBEL": "12"})
    text = path.read_text()
    assert "hunter2-value" not in text and "Ann" not in text
    [record] = _lines(path)
    assert record["params"] == REDACTED and record["output"] == REDACTED


def test_secure_redaction_can_be_disabled_explicitly(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    with AuditLog(path, redact_secure=False) as audit:
        audit.write_result(_result(), run_id="r", row_id="1", action=_action(secure=True), params={"idBEL": "12"})
    assert _lines(path)[0]["params"] == {"idBEL": "12"}


def test_redact_hook_by_dotted_names_and_callable(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    with AuditLog(path, redact=["params.email", "output.customer.name", "correlation_id"]) as audit:
        audit.write_result(_result(), run_id="r", row_id="1", action=_action(),
                           params={"email": "ann@example.com", "queueId": "q"})

    def drop_message(record: dict[str, Any]) -> dict[str, Any]:
        record["params"] = {k: ("***" if k == "queueId" else v) for k, v in record["params"].items()}
        return record

    with AuditLog(path, redact=drop_message) as audit:
        audit.write_result(_result(), run_id="r", row_id="2", action=_action(), params={"queueId": "q"})
    first, second = _lines(path)
    assert first["params"] == {"email": REDACTED, "queueId": "q"}
    assert first["output"]["customer.name"] == REDACTED and first["correlation_id"] == REDACTED
    assert second["params"] == {"queueId": "***"}


def test_credential_like_values_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig"
    with AuditLog(path) as audit:
        audit.write_result(
            _result(ok=False, error_message=f"upstream said: Authorization: Bearer {token}"),
            run_id="r", row_id="1", action=_action(),
            params={"Authorization": token, "api_key": token, "queueId": "q"},
        )
        audit.write_record({**build_record(_result(), run_id="r", row_id="2"), "headers": {"x": token}})
    text = path.read_text()
    assert token not in text
    first, second = _lines(path)
    assert first["params"]["queueId"] == "q" and first["params"]["Authorization"] == REDACTED
    assert "headers" not in second


def test_concurrent_threads_write_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    audit = AuditLog(path)
    big = {"blob": "x" * 5000}  # long lines make interleaving visible if writes were split

    def worker(worker_id: int) -> None:
        for index in range(200):
            audit.write_result(_result(), run_id="r", row_id=f"{worker_id}-{index}", action=_action(),
                               params=big)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    audit.close()
    records = _lines(path)
    assert len(records) == 1600
    assert len({r["row_id"] for r in records}) == 1600
    assert audit.records_written == 1600


def test_asyncio_tasks_can_append(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"

    async def main() -> None:
        with AuditLog(path, fsync=True) as audit:
            await asyncio.gather(*(audit.awrite_result(_result(), run_id="r", row_id=str(n), action=_action(),
                                                       params={"n": n}) for n in range(50)))

    asyncio.run(main())
    assert sorted(int(r["row_id"]) for r in _lines(path)) == list(range(50))


def test_closed_log_refuses_writes(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "a.ndjson")
    audit.close()
    with pytest.raises(ValueError, match="closed"):
        audit.write_record(build_record(_result(), run_id="r", row_id="1"))
    assert "closed" in repr(audit)


def _write_rows(path: Path, count: int, *, run_id: str = "r1", start: datetime = START, **kwargs: Any) -> None:
    with AuditLog(path) as audit:
        for index in range(count):
            ok = index % 4 != 3
            audit.write_result(
                _result(ok=ok, timestamp=start + timedelta(seconds=index), latency_ms=float(index)),
                run_id=run_id, row_id=f"{run_id}-{index}", action=kwargs.get("action", _action()),
                params={"priority": index % 3, "queueId": f"q{index % 2}", "vip": index % 2 == 0},
            )


def test_reader_dtypes_and_params_columns(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    _write_rows(path, 8)
    frame = read_audit(path)
    assert len(frame) == 8
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame["timestamp"].iloc[0] == pd.Timestamp(START)
    for name in ("error_class", "action_name", "webhook"):
        assert isinstance(frame[name].dtype, pd.CategoricalDtype), name
    assert frame["success"].dtype == bool and frame["expected_invalid"].dtype == bool
    assert str(frame["status_code"].dtype) == "int64" or str(frame["status_code"].dtype) == "Int64"
    assert frame["attempts"].dtype == "int64"
    assert frame["params.priority"].tolist() == [0, 1, 2, 0, 1, 2, 0, 1]
    assert str(frame["params.priority"].dtype) == "Int64"
    assert frame["params.queueId"].tolist()[:2] == ["q0", "q1"]
    assert frame["params.vip"].tolist()[:2] == [True, False]
    assert frame.attrs["skipped_lines"] == []
    groups = frame.groupby("params.priority")["latency_ms"].count()
    assert groups.to_dict() == {0: 3, 1: 3, 2: 2}
    assert frame["error_class"].dropna().unique().tolist() == ["server"]


def test_reader_status_code_nullable(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    with AuditLog(path) as audit:
        audit.write_result(_result(ok=False, status_code=None, error_class="network"), run_id="r", row_id="1")
        audit.write_result(_result(), run_id="r", row_id="2")
    frame = read_audit(path)
    assert str(frame["status_code"].dtype) == "Int64"
    assert frame["status_code"].isna().tolist() == [True, False]


def test_torn_last_line_is_skipped_and_reported_then_appends_continue(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    _write_rows(path, 3)
    with open(path, "ab") as handle:
        handle.write(b'{"schema_version": 1, "run_id": "r1", "row_id": "r1-3", "succ')  # crash mid-write
    with pytest.warns(RuntimeWarning, match="skipped 1 unreadable"):
        frame = read_audit(path)
    assert len(frame) == 3
    [skipped] = frame.attrs["skipped_lines"]
    assert skipped["line"] == 4 and skipped["torn_last_line"] is True
    assert terminal_row_ids(path, "r1") == {"r1-0", "r1-1", "r1-2"}
    # a resumed writer starts on a fresh line, so only the fragment is lost
    with AuditLog(path) as audit:
        audit.write_result(_result(), run_id="r1", row_id="r1-3", action=_action(), params={})
    with pytest.warns(RuntimeWarning):
        frame = read_audit(path)
    assert frame["row_id"].tolist() == ["r1-0", "r1-1", "r1-2", "r1-3"]
    assert frame.attrs["skipped_lines"][0]["torn_last_line"] is False


def test_mixed_schema_versions_fill_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    _write_rows(path, 2)
    old = {"schema_version": 0, "timestamp": "2026-03-01T11:00:00Z", "run_id": "r0", "row_id": "old",
           "action_id": "a", "success": True, "latency_ms": 5.0, "attempts": 1, "params": {"priority": 9},
           "future_field": "kept"}
    with open(path, "ab") as handle:
        handle.write(orjson.dumps(old) + b"\n")
    frame = read_audit(path)
    assert len(frame) == 3
    assert frame["schema_version"].tolist() == [1, 1, 0]
    assert frame["webhook"].isna().tolist() == [False, False, True]
    assert str(frame["action_version"].dtype) == "Int64" and pd.isna(frame["action_version"].iloc[2])
    assert frame["params.priority"].tolist() == [0, 1, 9]
    assert frame["future_field"].tolist() == [None, None, "kept"]


def test_many_files_folder_and_filters(tmp_path: Path) -> None:
    _write_rows(tmp_path / "one.ndjson", 4, run_id="a")
    _write_rows(tmp_path / "two.jsonl", 3, run_id="b", start=START + timedelta(hours=1))
    (tmp_path / "notes.txt").write_text("not an audit log")
    frame = read_audit(tmp_path)
    assert len(frame) == 7
    assert sorted(frame["run_id"].unique()) == ["a", "b"]
    assert isinstance(frame["action_name"].dtype, pd.CategoricalDtype)
    assert len(read_audit([tmp_path / "one.ndjson", tmp_path / "two.jsonl"], run_id="b")) == 3
    assert len(read_audit(tmp_path, since=START + timedelta(minutes=30))) == 3
    assert len(read_audit(tmp_path, since="2026-03-01T12:00:02Z")) == 5


def test_missing_path_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.ndjson"):
        read_audit(tmp_path / "nope.ndjson")


def test_empty_log_gives_empty_typed_frame(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    AuditLog(path).close()
    frame = read_audit(path)
    assert len(frame) == 0
    assert list(frame.columns) == list(RECORD_KEYS)
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_secure_rows_have_no_param_columns(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    _write_rows(path, 2)
    _write_rows(path, 2, run_id="s", action=_action(secure=True, name="Secure"))
    frame = read_audit(path)
    secure = frame[frame["action_name"] == "Secure"]
    assert secure["params"].tolist() == [REDACTED, REDACTED]
    assert secure["params.priority"].isna().all()


def test_parquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    _write_rows(path, 6)
    frame = read_audit(path)
    target = to_parquet(frame, tmp_path / "history" / "a.parquet")
    back = read_audit(target)
    assert back["row_id"].tolist() == frame["row_id"].tolist()
    assert back["params.priority"].tolist() == frame["params.priority"].tolist()
    assert back["output"].tolist() == frame["output"].tolist()
    assert str(back["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(back["error_class"].dtype, pd.CategoricalDtype)
    both = read_audit([path, target])
    assert len(both) == 12
    assert terminal_row_ids(target, "r1") == set(frame["row_id"])


def test_terminal_row_ids_only_for_the_run(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    _write_rows(path, 3, run_id="a")
    _write_rows(path, 2, run_id="b")
    assert terminal_row_ids(path, "b") == {"b-0", "b-1"}
    assert terminal_row_ids(path, "c") == set()


def test_read_via_class(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    _write_rows(path, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(AuditLog.read(path)) == 2


def _assert_same_frames(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns)
    for name in left.columns:
        assert str(left[name].dtype) == str(right[name].dtype), name
        assert left[name].astype(object).where(left[name].notna(), None).tolist() == \
            right[name].astype(object).where(right[name].notna(), None).tolist(), name


def test_lean_read_has_the_same_param_columns(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    _write_rows(path, 10)
    _write_rows(path, 2, run_id="s", action=_action(secure=True, name="Secure"))
    full = read_audit(path)
    lean = read_audit(path, lean=True)
    assert lean["params"].isna().all() and lean["output"].isna().all()
    _assert_same_frames(full.drop(columns=["params", "output"]), lean.drop(columns=["params", "output"]))


def test_tolerant_path_matches_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    _write_rows(path, 6)
    fast = read_audit(path)
    broken = tmp_path / "b.ndjson"
    lines = path.read_bytes().splitlines(keepends=True)
    broken.write_bytes(b"".join(lines[:3]) + b'{"torn": \n' + b"".join(lines[3:]))  # bad line mid-file
    with pytest.warns(RuntimeWarning, match="b.ndjson:4"):
        tolerant = read_audit(broken)
    assert tolerant.attrs["skipped_lines"][0]["torn_last_line"] is False
    _assert_same_frames(fast, tolerant)
    assert terminal_row_ids(broken, "r1") == terminal_row_ids(path, "r1") == set(fast["row_id"])


def test_params_that_change_type_or_hold_braces_still_read(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    with AuditLog(path) as audit:
        for row_id, params in enumerate([{"priority": 1, "note": "a{b}"}, {"priority": "high"}, {}]):
            audit.write_result(_result(), run_id="r", row_id=str(row_id), params=params)
    for lean in (False, True):
        frame = read_audit(path, lean=lean)
        assert frame["params.priority"].tolist()[:2] == [1, "high"]
        assert frame["params.note"].tolist()[0] == "a{b}"


def test_wrongly_typed_scalar_becomes_null_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    _write_rows(path, 2)
    record = build_record(_result(), run_id="r1", row_id="odd")
    record["status_code"] = "two hundred"
    with open(path, "ab") as handle:
        handle.write(orjson.dumps(record) + b"\n")
    frame = read_audit(path)
    assert len(frame) == 3 and pd.isna(frame["status_code"].iloc[2])


def test_audit_of_real_executions_over_loopback(emulator_server: Any, settings: Any, tmp_path: Path) -> None:
    from genesys_nb.api.client import DataActionsClient
    from genesys_nb.run.matrix import ParameterMatrix

    path = tmp_path / "audit.ndjson"
    with DataActionsClient(settings) as client, AuditLog(path) as audit:
        actions = {a.name: a for a in client.list_actions()}
        lookup = client.get_action(next(a.id for n, a in actions.items() if n.startswith("Get User External ID")))
        secure = client.get_action(actions["Verify Customer PIN"].id)
        secure_matrix = ParameterMatrix.from_schema(secure).with_fixed(customerId="C-424242", pin="73195286")
        plan = [(lookup, ParameterMatrix.from_schema(lookup)), (secure, secure_matrix)]
        secure_values: list[str] = []
        for action, matrix in plan:
            for row in matrix:
                result = client.execute(action.id, row.params)
                audit.write_result(result, run_id="loop", row_id=row.row_id, action=action, params=row.params,
                                   expected_invalid=row.expected_invalid)
                if action.secure:
                    secure_values += [v for v in row.params.values() if v in ("C-424242", "73195286")]
    frame = read_audit(path)
    expected_rows = sum(len(matrix) for _, matrix in plan)
    assert len(frame) == expected_rows and frame["row_id"].is_unique
    assert terminal_row_ids(path, "loop") == {row.row_id for _, matrix in plan for row in matrix}
    valid = frame[(frame["action_id"] == lookup.id) & ~frame["expected_invalid"]]
    assert valid["success"].all() and valid["correlation_id"].notna().all()
    assert (frame.loc[frame["action_id"] == secure.id, "params"] == REDACTED).all()
    text = path.read_text(encoding="utf-8")
    assert secure_values and all(value not in text for value in secure_values)
    assert frame.loc[frame["action_id"] == secure.id, "error_message"].str.contains(REDACTED).any()


def test_kill_9_mid_run_leaves_only_whole_records(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    path = tmp_path / "audit.ndjson"
    script = (
        "import sys\n"
        "from genesys_nb.audit.writer import AuditLog, build_record\n"
        "from genesys_nb.api.result import ExecutionResult\n"
        "log = AuditLog(sys.argv[1])\n"
        "n = 0\n"
        "while True:\n"
        "    r = ExecutionResult(action_id='a', ok=True, output={'blob': 'x' * 3000})\n"
        "    log.write_record(build_record(r, run_id='crash', row_id=str(n), params={'n': n}))\n"
        "    n += 1\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script, str(path)])
    try:
        while not path.exists() or path.stat().st_size < 2_000_000:  # pytest-timeout bounds this
            if writer.poll() is not None:
                raise AssertionError(f"writer exited early with {writer.returncode}")
            threading.Event().wait(0.01)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a torn line would warn
        frame = read_audit(path)
    assert frame.attrs["skipped_lines"] == []
    count = len(frame)
    assert count > 100 and frame["row_id"].tolist() == [str(n) for n in range(count)]
    assert terminal_row_ids(path, "crash") == {str(n) for n in range(count)}


# ---- the scrub's shortcuts keep every guarantee ----------------------------------------------


def test_no_fixed_record_key_looks_like_a_credential() -> None:
    # scrub_secrets skips the key test for the fixed keys: every one of them must survive it.
    record = {key: f"value of {key}" for key in RECORD_KEYS}
    record["params"], record["output"] = {"a": 1}, {"b": 2}
    assert list(scrub_secrets(dict(record))) == list(RECORD_KEYS)


@pytest.mark.parametrize("added", ["authorization", "Headers", "api_key", "x-session-token", "Cookie"])
def test_added_credential_keys_are_dropped_on_every_write(added: str) -> None:
    for _ in range(3):  # the key test is cached: the second and third records must be scrubbed alike
        record = {key: None for key in RECORD_KEYS} | {added: "Bearer abcdefgh12345678"}
        assert added not in scrub_secrets(record)


def test_scrub_mapping_masks_the_same_keys_every_time() -> None:
    value = {"Password": "p", "nested": {"client_secret": "s", "ok": 1, "deeper": {"Token": "t"}},
             "items": [{"token": "kept: lists are not walked"}], 7: "int key", "name": "Ann"}
    expected = {"Password": REDACTED, "nested": {"client_secret": REDACTED, "ok": 1, "deeper": {"Token": REDACTED}},
                "items": [{"token": "kept: lists are not walked"}], 7: "int key", "name": "Ann"}
    for _ in range(3):
        assert scrub_mapping(value) == expected
    assert value["Password"] == "p"  # the input is not changed


class _Key(str):
    """A str subclass key: still tested by its text."""


def test_scrub_mapping_tests_str_subclass_keys() -> None:
    assert scrub_mapping({_Key("authorization"): "x", _Key("city"): "y"}) == {"authorization": REDACTED, "city": "y"}


@given(st.datetimes(min_value=datetime(1, 1, 1), timezones=st.none() | st.timezones()))
def test_record_timestamp_text_is_strftime_in_utc(moment: datetime) -> None:
    record = build_record(_result(timestamp=moment), run_id="r", row_id="1")
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    assert record["timestamp"] == aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
