"""Reliability R2: kill -9 a runner mid-run; the audit log survives, and resume re-runs exactly what is missing.

A small script (written to tmp_path) runs MatrixRunner in a subprocess against the emulator over
loopback; once a few hundred rows are recorded it is killed with SIGKILL. Then:

- the audit log reads back: every line is a whole record, except at most a torn last line, which
  the reader skips and reports (a torn write is also simulated on top, to prove the handling);
- nothing that finished was lost beyond the rows that were in flight at the kill;
- ``resume=True`` with the same run id sends exactly the rows that have no terminal record (the
  emulator's request log is the witness), and afterwards every row has exactly one record.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.audit.writer import read_audit, terminal_row_ids
from genesys_nb.emulator import action_id_for
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner

pytestmark = pytest.mark.slow

UPDATE = action_id_for("Update Customer Record")
ROWS = 2000
CONCURRENCY = 8
KILL_AFTER_RECORDS = 400
RUN_ID = "crash-run"

CHILD = '''
"""Run a matrix until killed (written by the crash test)."""
import os
import sys

from genesys_nb.api.settings import Settings
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner

url = os.environ["CRASH_URL"]
settings = Settings(client_id=os.environ["CRASH_CLIENT_ID"], client_secret=os.environ["CRASH_CLIENT_SECRET"],
                    api_base_url=url, login_base_url=url)
matrix = ParameterMatrix.from_records([{"recordId": f"R-{n:06d}"} for n in range(int(sys.argv[2]))])
runner = MatrixRunner(settings, concurrency=int(sys.argv[3]), rate_per_minute=None, audit=sys.argv[1], progress=False)
runner.run(sys.argv[4], matrix, run_id=sys.argv[5])
'''


def body_hash(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, separators=(",", ":")).encode()).hexdigest()


def matrix() -> ParameterMatrix:
    return ParameterMatrix.from_records([{"recordId": f"R-{n:06d}"} for n in range(ROWS)])


def run_and_kill(emulator_server: Any, tmp_path: Path) -> Path:
    """Start the child runner, SIGKILL it once enough rows are recorded; return the audit path."""
    audit = tmp_path / "audit.ndjson"
    script = tmp_path / "child_runner.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "CRASH_URL": emulator_server.url, "CRASH_CLIENT_ID": emulator_server.client_id,
           "CRASH_CLIENT_SECRET": emulator_server.client_secret}
    child = subprocess.Popen([sys.executable, str(script), str(audit), str(ROWS), str(CONCURRENCY), UPDATE, RUN_ID],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        waiter = threading.Event()
        for _ in range(6000):  # poll up to about a minute; the run itself would take ~10 s
            if child.poll() is not None:
                errors = child.stderr.read().decode() if child.stderr else ""
                raise AssertionError(f"the child runner ended by itself: {errors[-2000:]}")
            if audit.exists() and audit.read_bytes().count(b"\n") >= KILL_AFTER_RECORDS:
                break
            waiter.wait(0.01)
        else:
            raise AssertionError("the child runner recorded too few rows in time")
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stderr.close()  # type: ignore[union-attr]
    return audit


def records_of(audit: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """(parsed records, numbers of lines that are not whole records)."""
    parsed, bad = [], []
    for number, line in enumerate(audit.read_bytes().split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            parsed.append(json.loads(line))
        except ValueError:
            bad.append(number)
    return parsed, bad


def test_kill_minus_9_then_resume_reruns_exactly_the_rows_without_a_record(emulator_server: Any,
                                                                            tmp_path: Path) -> None:
    emulator = emulator_server.emulator
    # Clock compressed 10x: the update's own ~60 ms latency plus 50 ms added becomes ~11 ms a row.
    emulator.set_limits(rate_per_minute=10**7, time_scale=10)
    emulator.set_faults(UPDATE, {"rules": [{"type": "latency", "fixed_ms": 50}]})
    audit = run_and_kill(emulator_server, tmp_path)
    threading.Event().wait(0.3)  # let the server finish logging what the dead client had sent
    crash_log = [e for e in emulator.request_log if e.operation == "execute"]
    resume_from = emulator.request_log[-1].seq + 1

    # 1. Whole records only; at most the very last line torn by the kill.
    records, bad = records_of(audit)
    total_lines = len([line for line in audit.read_bytes().split(b"\n") if line.strip()])
    assert bad in ([], [total_lines]), f"torn records inside the log at lines {bad}"
    row_ids = [r["row_id"] for r in records]
    assert len(row_ids) == len(set(row_ids)) >= KILL_AFTER_RECORDS

    # 2. A torn write on top (half a record, no newline): skipped and reported by the reader.
    all_rows = list(matrix())
    missing = [row for row in all_rows if row.row_id not in set(row_ids)]
    fragment = json.dumps({"schema_version": 1, "run_id": RUN_ID, "row_id": missing[0].row_id,
                           "params": missing[0].params, "success": True}).encode()
    with open(audit, "ab") as handle:
        handle.write(fragment[: len(fragment) // 2])
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        frame = read_audit(audit, run_id=RUN_ID)
    skipped = frame.attrs["skipped_lines"]
    assert len(skipped) == 1 and skipped[0]["torn_last_line"], skipped
    assert len(frame) == len(records) and frame["row_id"].is_unique
    done = terminal_row_ids(audit, RUN_ID)
    assert done == set(row_ids)

    # 3. Nothing that finished was lost beyond what was in flight when the process died.
    answered = {e.body_sha256 for e in crash_log if e.status == 200}
    recorded = {body_hash(r["params"]) for r in records}
    lost = answered - recorded
    assert len(lost) <= CONCURRENCY, f"{len(lost)} answered rows have no record (more than were in flight)"

    # 4. Resume sends exactly the rows without a terminal record, each once.
    runner = MatrixRunner(emulator_server.settings(), concurrency=CONCURRENCY, rate_per_minute=None,
                          audit=audit, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the torn fragment is reported, as checked above
        runner.run(UPDATE, matrix(), run_id=RUN_ID, resume=True)
    resumed = [e for e in emulator.requests_since(resume_from) if e.operation == "execute"]
    sent = [e.body_sha256 for e in resumed]
    expected = {body_hash(row.params) for row in all_rows if row.row_id not in done}
    assert len(sent) == len(set(sent)), "resume sent a row twice"
    assert set(sent) == expected, (f"resume sent {len(set(sent) - expected)} rows that had a record and "
                                   f"skipped {len(expected - set(sent))} rows that had none")
    assert runner.last_summary is not None and runner.last_summary.skipped_rows == len(done)

    # 5. Afterwards: exactly one record per row; the torn fragment stays on a line of its own.
    final, bad_after = records_of(audit)
    assert len(bad_after) == 1
    per_row = [r["row_id"] for r in final if r.get("run_id") == RUN_ID]
    assert sorted(per_row) == sorted(row.row_id for row in all_rows)
