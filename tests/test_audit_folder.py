"""The audit folder: a segment per run (a run reads only its own), DuckDB reads equal to the line-by-line
reference, the Parquet archive (compact, verify, prune) read back to the same rows, and a single-file
log that reads the same before and after migration."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest

from genesys_nb.api.models import Action
from genesys_nb.api.result import ExecutionResult
from genesys_nb.audit import archive
from genesys_nb.audit.reader import read_audit, terminal_row_ids
from genesys_nb.audit.records import build_intent, build_webhook_state, resume_state, run_ids
from genesys_nb.audit.segments import archive_parts, run_files, segment_path
from genesys_nb.audit.writer import AuditLog
from genesys_nb.cli import main
from genesys_nb.report.latency import LatencyReport
from genesys_nb.report.load import CORE_COLUMNS, _read_lines_tolerant, normalize, read_core
from genesys_nb.run._results import result_frame
from genesys_nb.run.matrix import ParameterMatrix

START = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
ACTION = Action(id="custom_-_abc", name="Lookup", version=4)


def _result(index: int, *, start: datetime = START) -> ExecutionResult:
    ok = index % 4 != 3
    return ExecutionResult(
        action_id="custom_-_abc", ok=ok, output={"count": index, "customer": {"name": "Ann"}} if ok else None,
        status_code=200 if ok else 503, error_class=None if ok else "server",
        error_code=None if ok else "SERVICE_UNAVAILABLE", error_message=None if ok else "busy",
        correlation_id=f"corr-{index}", latency_ms=10.0 + index * 1.5, total_ms=40.0 + index, attempts=1 if ok else 2,
        retry_wait_ms=0.0 if ok else 25.0, timeout_ms=5000, timestamp=start + timedelta(seconds=index))


def write_run(log: AuditLog, run_id: str, count: int, *, start: datetime = START, webhooks: bool = True) -> None:
    """What a runner writes: an intent, the row's record (webhook pending), its settled webhook state."""
    for index in range(count):
        row_id = f"{run_id}-{index}"
        stamp = (start + timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        log.write_record({**build_intent(run_id=run_id, row_id=row_id, action_id=ACTION.id, attempt=1,
                                         request_sha256="ab" * 32), "timestamp": stamp})
        log.write_result(_result(index, start=start), run_id=run_id, row_id=row_id, action=ACTION,
                         params={"priority": index % 3, "queueId": f"q{index % 2}"},
                         webhook="pending" if webhooks else "none")
        if webhooks and index % 5 != 4:  # every fifth row's delivery never settled
            state = "failed" if index % 7 == 0 else "delivered"
            log.write_record({**build_webhook_state(run_id=run_id, row_id=row_id, state=state), "timestamp": stamp})


def sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["run_id", "row_id"], kind="stable").reset_index(drop=True)


def test_a_folder_log_writes_one_segment_per_run(tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    with AuditLog(folder) as log:
        write_run(log, "run-a", 6)
        write_run(log, "run/b with spaces", 4)
        assert "folder" in repr(log)
    assert sorted(p.name for p in folder.iterdir()) == ["run%2Fb%20with%20spaces.ndjson", "run-a.ndjson"]
    assert set(run_ids(folder)) == {"run-a", "run/b with spaces"}
    for line in segment_path(folder, "run-a").read_bytes().splitlines():
        assert orjson.loads(line)["run_id"] == "run-a"
    frame = read_audit(folder)
    assert sorted(frame.groupby("run_id", observed=True).size().to_dict().items()) == [
        ("run-a", 6), ("run/b with spaces", 4)]
    assert len(LatencyReport.from_audit(folder)) == 10
    assert len(LatencyReport.from_audit(str(folder / "*.ndjson"))) == 10  # a glob works too


def _bytes_read() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="the witness is Linux's per-process I/O count")
def test_a_run_reads_only_its_own_segment(tmp_path: Path) -> None:
    """Witness: the bytes this process reads (/proc/self/io) while a run starts, resumes and builds its
    table stay far below the size of the other runs' segments."""
    folder = tmp_path / "audit"
    with AuditLog(folder) as log:
        for n in range(6):
            write_run(log, f"old-{n}", 1500)
        write_run(log, "mine", 20)
    others = sum(p.stat().st_size for p in folder.iterdir() if p.name != "mine.ndjson")
    assert others > 5_000_000
    matrix = ParameterMatrix.from_records([{"priority": n % 3} for n in range(20)])
    before = _bytes_read()
    state = resume_state(folder, "mine")
    done = terminal_row_ids(folder, "mine")
    table = result_frame(folder, "mine", matrix)
    with AuditLog(folder) as log:  # appending more of the run opens only its segment
        log.write_intent(run_id="mine", row_id="mine-20", action_id=ACTION.id, attempt=1, request_sha256="cd" * 32)
    read = _bytes_read() - before
    assert len(state.done) == 20 and len(done) == 20 and len(table) == 20
    assert read < segment_path(folder, "mine").stat().st_size * 20 < others / 10
    assert run_files(folder, "mine") == [segment_path(folder, "mine")]


def test_duckdb_report_rows_equal_the_line_by_line_reference(tmp_path: Path) -> None:
    path = tmp_path / "audit.ndjson"
    with AuditLog(path) as log:
        write_run(log, "r1", 30)
        write_run(log, "r2", 12, start=START + timedelta(hours=1))
        log.write_record({"schema_version": 1, "timestamp": "2026-03-01T13:00:00Z", "run_id": "r3", "row_id": "x",
                          "action_id": "custom_-_abc", "success": True, "latency_ms": 3, "queue_ms": 1.25})
        log.write_record({"schema_version": 1, "timestamp": "2026-03-01T13:00:01Z", "run_id": "r3", "row_id": "y",
                          "action_id": "custom_-_abc", "success": True, "latency_ms": 4})  # written before queue_ms
    skipped: list[Any] = []
    duck = normalize(read_core([path], skipped))
    reference = normalize(_read_lines_tolerant(path.read_bytes(), path, []))
    assert not skipped and len(duck) == 44
    for name in CORE_COLUMNS:
        if name in ("correlation_id", "error_message"):  # kept for failed rows only (an error's example)
            failed = ~duck["success"].to_numpy()
            assert duck[name][failed].tolist() == reference[name][failed].tolist(), name
            continue
        left, right = duck[name].astype(object).tolist(), reference[name].astype(object).tolist()
        assert [None if pd.isna(v) else v for v in left] == [None if pd.isna(v) else v for v in right], name
    assert duck["webhook"].astype(str).tolist().count("pending") == 6 + 2  # every fifth row never settled
    assert duck["queue_ms"].tolist()[-2:-1] == [1.25] and pd.isna(duck["queue_ms"].tolist()[-1])


def test_a_single_file_log_reads_the_same_after_migration(tmp_path: Path) -> None:
    single = tmp_path / "audit.ndjson"
    with AuditLog(single) as log:
        write_run(log, "r1", 25)
        write_run(log, "r2", 9, start=START + timedelta(days=1))
    with open(single, "ab") as handle:
        handle.write(b'{"schema_version": 1, "run_id": "r1", "row_i')  # a crash mid-append
    original = single.read_bytes()
    with pytest.warns(RuntimeWarning):
        before = read_audit(single)
    report_before = LatencyReport.from_audit(single)
    assert main(["audit", "migrate", str(single), str(tmp_path / "folder")]) == 0
    assert single.read_bytes() == original  # the file is left as it was
    folder = tmp_path / "folder"
    migrated = b"".join(p.read_bytes() for p in sorted(folder.iterdir()))
    assert sorted(migrated.splitlines()) == sorted(original.splitlines())  # every line, byte for byte
    with pytest.warns(RuntimeWarning):
        after = read_audit(folder)
    pd.testing.assert_frame_equal(sorted_frame(before.drop(columns=["params", "output"])),
                                  sorted_frame(after.drop(columns=["params", "output"])), check_categorical=False,
                                  check_dtype=False)  # several files: a column may come back object, not str
    report_after = LatencyReport.from_audit(folder)
    pd.testing.assert_frame_equal(report_before.summary(("run_id",)), report_after.summary(("run_id",)))
    pd.testing.assert_frame_equal(report_before.errors(), report_after.errors())
    assert resume_state(single, "r1") == resume_state(folder, "r1")


def _folder_with_history(tmp_path: Path) -> Path:
    folder = tmp_path / "audit"
    with AuditLog(folder) as log:
        write_run(log, "old", 12, start=START - timedelta(days=120))
        write_run(log, "recent", 20)
        log.write_record({"schema_version": 1, "timestamp": "yesterday", "run_id": "recent", "row_id": "odd",
                          "success": "yes", "latency_ms": 5.0, "custom_field": {"a": [1, 2]}})
    with open(segment_path(folder, "recent"), "ab") as handle:
        handle.write(b'{"schema_version": 1, "run_id": "recent", "row_i')  # a torn last line
    return folder


def test_compact_archives_every_record_and_reads_back_the_same(tmp_path: Path) -> None:
    import pyarrow.dataset as ds

    folder = _folder_with_history(tmp_path)
    segments_before = {p.name: p.read_bytes() for p in folder.glob("*.ndjson")}
    with pytest.warns(RuntimeWarning):
        before = read_audit(folder)
    summary_before = LatencyReport.from_audit(folder).summary(("run_id",))
    state_before = resume_state(folder, "recent")

    assert main(["audit", "compact", str(folder)]) == 0
    assert not list(folder.glob("*.ndjson"))
    parts = archive_parts(folder)
    assert [p.relative_to(folder).parts[:3] for p in parts] == [
        ("archive", "date=2025-11-01", "run=old"), ("archive", "date=2026-03-01", "run=recent")]
    # Another engine's view: pyarrow's dataset reader, Hive partitions, no genesys_nb involved.
    table = ds.dataset(folder / "archive", format="parquet", partitioning="hive").to_table()
    assert table.select(archive.archive_schema().names).schema.remove_metadata().equals(archive.archive_schema())
    assert table.schema.names[-2:] == ["date", "run"]
    rows = sorted(table.to_pylist(), key=lambda r: (r["run"], r["seq"]))
    lines = [*segments_before["old.ndjson"].splitlines(), *segments_before["recent.ndjson"].splitlines()]
    assert len(rows) == len(lines)
    for row, line in zip(rows, lines):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            assert row["kind"] == "unreadable" and orjson.loads(row["extra"])["line"] == line.decode()
            continue
        assert row["run_id"] == record["run_id"] and row["row_id"] == record.get("row_id")
        assert row["kind"] == record.get("kind")
        if "params" in record:
            assert orjson.loads(row["params"]) == record["params"]
        if record.get("custom_field"):
            assert orjson.loads(row["extra"]) == {"timestamp": "yesterday", "success": "yes",
                                                 "custom_field": {"a": [1, 2]}}
        elif isinstance(record.get("timestamp"), str):
            assert row["timestamp"].strftime("%Y-%m-%dT%H:%M:%S.%fZ") == record["timestamp"]

    after = read_audit(folder)
    keep = [c for c in before.columns if c not in ("params", "output", "custom_field")]
    pd.testing.assert_frame_equal(sorted_frame(before[keep]), sorted_frame(after[keep]), check_categorical=False,
                                  check_dtype=False)
    pd.testing.assert_frame_equal(summary_before, LatencyReport.from_audit(folder).summary(("run_id",)))
    assert resume_state(folder, "recent") == state_before
    assert archive.verify(folder) == []
    assert main(["audit", "verify", str(folder)]) == 0


def test_compact_leaves_a_run_being_written(tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    with AuditLog(folder) as log:
        write_run(log, "done", 3)
    live = AuditLog(folder)
    try:
        write_run(live, "live", 3)
        result = archive.compact(folder)
        assert result.compacted == ("done",) and result.skipped == ("live",)
        write_run(live, "live", 1)  # the writer goes on undisturbed
    finally:
        live.close()
    assert archive.compact(folder).compacted == ("live",)
    assert len(read_audit(folder)) == 3 + 4


def test_runs_prune_and_verify_from_the_command_line(tmp_path: Path, capsys: Any) -> None:
    folder = _folder_with_history(tmp_path)
    assert main(["audit", "compact", str(folder), "--run-id", "old"]) == 0
    capsys.readouterr()
    assert main(["audit", "runs", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "old" in out and "parquet" in out and "recent" in out and "ndjson" in out
    table = archive.runs(folder)
    assert table.set_index("run_id")["rows"].to_dict() == {"old": 12, "recent": 21}
    assert set(table["actions"]) == {"Lookup"}  # from the rows' records (intents carry only the action id)
    assert main(["audit", "verify", str(folder)]) == 1  # the torn line in run "recent"
    assert "unreadable" in capsys.readouterr().out
    assert main(["audit", "prune", str(folder), "--older-than", "300d", "--dry-run"]) == 0
    assert "would remove 1 run(s): old" in capsys.readouterr().out
    assert main(["audit", "prune", str(folder), "--older-than", "300d"]) == 0
    assert not (folder / "archive").exists() or not archive_parts(folder, "old")
    assert run_ids(folder) == ["recent"]
    with pytest.raises(SystemExit) as exited:
        main(["audit", "prune", str(folder), "--older-than", "soon"])
    assert exited.value.code == 2 and "not an age: write a number and a unit" in capsys.readouterr().err
    assert main(["audit", "compact", str(tmp_path / "nowhere")]) == 2
    assert "not an audit folder" in capsys.readouterr().err


def test_compaction_refuses_to_remove_a_segment_that_does_not_read_back(tmp_path: Path, monkeypatch: Any) -> None:
    folder = tmp_path / "audit"
    with AuditLog(folder) as log:
        write_run(log, "r1", 4)
    original = segment_path(folder, "r1").read_bytes()
    real = archive._read_part
    monkeypatch.setattr(archive, "_read_part", lambda path: real(path)[:-1])  # a part that lost a record
    with pytest.raises(RuntimeError, match="does not read back"):
        archive.compact(folder)
    assert segment_path(folder, "r1").read_bytes() == original and not archive_parts(folder)
    assert not [p for p in (folder / "archive").rglob("*") if p.is_file()]


def test_late_webhook_state_after_compaction_still_settles_its_row(tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    with AuditLog(folder) as log:
        write_run(log, "r1", 5)
    archive.compact(folder)
    with AuditLog(folder) as log:  # a delivery that settled after the run was archived
        log.write_webhook_state(run_id="r1", row_id="r1-4", state="delivered")
    frame = read_audit(folder)
    assert frame.set_index("row_id").loc["r1-4", "webhook"] == "delivered"
    report = LatencyReport.from_audit(folder)
    assert len(report) == 5 and "pending" not in set(report._require(["webhook"])["webhook"].astype(str))
    assert os.path.exists(segment_path(folder, "r1"))


def test_runner_into_an_audit_folder_resumes_from_its_own_segment(emulator_server: Any, settings: Any,
                                                                   tmp_path: Path) -> None:
    """Two runs into one folder, then a resume: only the missing rows are sent (the emulator's request log
    is the witness) and each run's table holds its own rows."""
    from genesys_nb.api.retry import RetryPolicy
    from genesys_nb.emulator import action_id_for
    from genesys_nb.run.runner import MatrixRunner

    action = action_id_for("Update Customer Record")
    folder = tmp_path / "audit"

    def rows(count: int) -> ParameterMatrix:
        return ParameterMatrix.from_records([{"recordId": f"R-{n:05d}", "tier": "gold"} for n in range(count)])

    def runner() -> MatrixRunner:
        return MatrixRunner(settings, concurrency=4, rate_per_minute=None, progress=False, audit=folder,
                            retry=RetryPolicy(backoff_initial_s=0.01, backoff_max_s=0.02))

    first = runner().run(action, rows(5), run_id="first")
    second = runner().run(action, rows(3), run_id="second")
    assert len(first) == 5 and len(second) == 3 and first.attrs["audit_path"] == str(folder)
    assert sorted(p.name for p in folder.glob("*.ndjson")) == ["first.ndjson", "second.ndjson"]
    sent = len([e for e in emulator_server.emulator.request_log if e.operation == "execute"])
    resumed = runner().run(action, rows(6), run_id="second", resume=True)
    after = len([e for e in emulator_server.emulator.request_log if e.operation == "execute"])
    assert after - sent == 3 and len(resumed) == 6
    assert sorted(run_ids(folder)) == ["first", "second"]
    report = LatencyReport.from_audit(folder)
    assert report.summary(("run_id",))["count"].to_dict() == {"first": 5, "second": 6}
    with pytest.raises(ValueError, match="runs there: .*first"):
        runner().run(action, rows(2), run_id="third", resume=True)


def test_the_run_panel_tails_a_runs_segment_in_an_audit_folder(tmp_path: Path) -> None:
    from genesys_nb.widgets.run_panel import AuditTail

    folder = tmp_path / "audit"
    tail = AuditTail(folder, "r1")
    with AuditLog(folder) as log:
        write_run(log, "other", 3)
        write_run(log, "r1", 4)
    assert sum(tail.poll().values()) == 4
