"""Reliability R2: kill -9 a runner at random points, round after round; nothing runs twice, nothing is lost.

A small script (written to tmp_path) runs MatrixRunner in a subprocess against the emulator over
loopback, with an action that changes a record each time it runs (Update Customer Record bumps the
record's revision). Each round kills the run with SIGKILL at a random point, resumes it in a new
process and kills that too, then resumes it to the end. The emulator's request log and its record
store are the witnesses:

- every line of the audit log is a whole record, except at most a torn last line after a kill, which
  the reader skips and reports (a torn write is also simulated on top);
- no row is executed twice on the server (every record's revision is 1): a row that was sent and
  never recorded is not re-sent by a resume, it is recorded as ``unknown``;
- every row ends with exactly one terminal record: ok, or unknown (at most the rows in flight at a
  kill); every row the server executed has its record;
- no webhook is lost: every recorded row's event (``webhook-id`` derived from run and row) reaches
  the receiver, re-sent by a resume when the kill came before its delivery, and its state in the
  audit ends ``delivered``;
- every row left unknown is announced exactly once: one event of status ``unknown`` with an id of
  its own (``event_id_for(run, row, unknown=True)``), delivered, and one unknown record in the audit.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from webhook_receiver import WebhookReceiver

from genesys_nb.api._request import request_body_sha256
from genesys_nb.audit.records import resume_state
from genesys_nb.audit.writer import read_audit
from genesys_nb.emulator import action_id_for
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner
from genesys_nb.run.webhook import event_id_for

pytestmark = pytest.mark.slow

UPDATE = action_id_for("Update Customer Record")
ROWS = 600
CONCURRENCY = 8
ROUNDS = 4

CHILD = '''
"""Run (or resume) a matrix until killed (written by the crash test)."""
import os
import sys

from genesys_nb.api.settings import Settings
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner
from genesys_nb.run.webhook import event_id_for

url = os.environ["CRASH_URL"]
settings = Settings(client_id=os.environ["CRASH_CLIENT_ID"], client_secret=os.environ["CRASH_CLIENT_SECRET"],
                    api_base_url=url, login_base_url=url)
prefix, count = sys.argv[6], int(sys.argv[2])
matrix = ParameterMatrix.from_records([{"recordId": f"R-{prefix}{n:05d}"} for n in range(count)])
runner = MatrixRunner(settings, concurrency=int(sys.argv[3]), rate_per_minute=None, audit=sys.argv[1], progress=False,
                      webhook=sys.argv[8])
runner.run(sys.argv[4], matrix, run_id=sys.argv[5], resume=sys.argv[7] == "resume")
'''


def matrix(prefix: str) -> ParameterMatrix:
    return ParameterMatrix.from_records([{"recordId": f"R-{prefix}{n:05d}"} for n in range(ROWS)])


def run_and_kill(server: Any, tmp_path: Path, audit: Path, run_id: str, prefix: str, *, kill_at_lines: int,
                 resume: bool, webhook: str) -> None:
    """Start a child runner; SIGKILL it once the audit log holds ``kill_at_lines`` lines (or it ends)."""
    script = tmp_path / "child_runner.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "CRASH_URL": server.url, "CRASH_CLIENT_ID": server.client_id,
           "CRASH_CLIENT_SECRET": server.client_secret}
    child = subprocess.Popen([sys.executable, str(script), str(audit), str(ROWS), str(CONCURRENCY), UPDATE, run_id,
                              prefix, "resume" if resume else "fresh", webhook],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        waiter = threading.Event()
        start = audit.read_bytes().count(b"\n") if audit.exists() else 0
        for _ in range(6000):  # poll up to about a minute
            if child.poll() is not None:
                if child.returncode != 0:
                    errors = child.stderr.read().decode() if child.stderr else ""
                    raise AssertionError(f"the child runner failed: {errors[-2000:]}")
                return  # it finished before the kill point: a round may end that way
            if audit.exists() and audit.read_bytes().count(b"\n") - start >= kill_at_lines:
                break
            waiter.wait(0.005)
        else:
            raise AssertionError("the child runner wrote too few lines in time")
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stderr.close()  # type: ignore[union-attr]


def whole_lines(audit: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """(parsed records, numbers of the lines that are not whole records)."""
    parsed, bad = [], []
    for number, line in enumerate(audit.read_bytes().split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            parsed.append(json.loads(line))
        except ValueError:
            bad.append(number)
    return parsed, bad


def test_kill_9_at_random_points_never_runs_a_row_twice_and_loses_no_record(emulator_server: Any, tmp_path: Path,
                                                                          request: pytest.FixtureRequest) -> None:
    emulator = emulator_server.emulator
    # Clock compressed 10x: the update's own ~60 ms latency plus 30 ms added becomes ~9 ms a row.
    emulator.set_limits(rate_per_minute=10**7, time_scale=10)
    emulator.set_faults(UPDATE, {"rules": [{"type": "latency", "fixed_ms": 30}]})
    rng = random.Random(20261204)
    figures: list[dict[str, Any]] = []
    receiver = WebhookReceiver()
    request.addfinalizer(receiver.close)
    for round_number in range(ROUNDS):
        run_id, prefix = f"crash-{round_number}", str(round_number + 1)  # ids stay R-<digits>
        audit = tmp_path / f"audit-{round_number}.ndjson"
        first_seq = emulator.request_log[-1].seq + 1 if emulator.request_log else 0
        kills = 0
        for resume in (False, True):  # a kill mid-run, then a kill mid-resume
            run_and_kill(emulator_server, tmp_path, audit, run_id, prefix, kill_at_lines=rng.randrange(50, 700),
                         resume=resume, webhook=receiver.url)
            kills += 1
            _, bad = whole_lines(audit)
            total = len([line for line in audit.read_bytes().split(b"\n") if line.strip()])
            assert bad in ([], [total]), f"round {round_number}: torn records inside the log at lines {bad}"
        threading.Event().wait(0.3)  # let the server finish what the dead clients had sent

        if round_number == 0:  # a torn write on top: skipped and reported by every reader
            with open(audit, "ab") as handle:
                handle.write(b'{"schema_version": 1, "run_id": "' + run_id.encode() + b'", "row_id": "x", "succ')
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                frame = read_audit(audit, run_id=run_id)
            assert frame.attrs["skipped_lines"] and frame.attrs["skipped_lines"][-1]["torn_last_line"]

        state = resume_state(audit, run_id)
        assert len(state.unknown) <= CONCURRENCY * kills, f"round {round_number}: {len(state.unknown)} unknown rows"
        final = MatrixRunner(emulator_server.settings(), concurrency=CONCURRENCY, rate_per_minute=None, audit=audit,
                             progress=False, webhook=receiver.url)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the torn fragment is reported, as checked above
            frame = final.run(UPDATE, matrix(prefix), run_id=run_id, resume=True)
        summary = final.last_summary
        assert summary is not None and not summary.stopped
        assert set(summary.unknown_rows) | state.recorded_unknown == set(state.unknown)

        # The server's witness: no row executed twice; each record's revision is 1.
        log = [e for e in emulator.requests_since(first_seq) if e.operation == "execute"]
        executed = Counter(e.body_sha256 for e in log if e.executed)
        assert executed and max(executed.values()) == 1, f"round {round_number}: a row ran twice on the server"
        store = emulator.records
        ours = {key: value for key, value in store.items() if key.startswith(f"R-{prefix}")}
        assert {value["revision"] for value in ours.values()} == {1}

        # The audit's: one terminal record per row; ok, or unknown for at most what was in flight at a kill.
        assert len(frame) == ROWS and frame["row_id"].is_unique
        classes = Counter(frame["error_class"].astype(object).where(frame["error_class"].notna(), "ok"))
        assert set(classes) <= {"ok", "unknown"}, classes
        unknown = set(frame.loc[frame["error_class"] == "unknown", "row_id"])
        assert unknown == set(state.unknown)
        by_body = {request_body_sha256(row.params): row.row_id for row in matrix(prefix)}
        ran = {by_body[body] for body in executed}
        ok_rows = set(frame.loc[frame["ok"], "row_id"])
        assert ok_rows <= ran <= ok_rows | unknown  # every executed row is recorded, as ok or unknown
        # The webhooks': every recorded row's event reached the receiver, and its state says delivered.
        wanted = {event_id_for(run_id, row_id) for row_id in ok_rows}
        arrived = receiver.ids()
        assert wanted <= arrived, f"round {round_number}: {len(wanted - arrived)} webhooks lost"
        assert arrived & {event_id_for(run_id, row_id) for row_id in unknown} == set()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # round 0's torn fragment, reported above
            settled = read_audit(audit, run_id=run_id)
        assert set(settled.loc[settled["success"], "webhook"].astype(str)) == {"delivered"}
        # Every unknown row announced exactly once: one event id of its own, status unknown, delivered.
        announced = receiver.events_for(run_id, status="unknown")
        assert {event["rowId"] for event in announced.values()} == unknown
        assert set(announced) == {event_id_for(run_id, row_id, unknown=True) for row_id in unknown}
        unknown_records = Counter(r["row_id"] for r in whole_lines(audit)[0]
                                  if r.get("run_id") == run_id and "kind" not in r and r.get("error_class") == "unknown")
        assert set(unknown_records) == unknown and set(unknown_records.values()) <= {1}
        assert set(settled.loc[settled["error_class"] == "unknown", "webhook"].astype(str)) <= {"delivered"}
        figures.append({"round": round_number, "rows": ROWS, "kills": kills, "executions_on_server": len(executed),
                        "ok": len(ok_rows), "unknown": len(unknown), "executed_twice": 0,
                        "webhooks_delivered": len(wanted & arrived), "unknown_announced": len(announced),
                        "webhook_posts": receiver.posts_for(run_id),
                        "redelivered_on_resume": summary.webhooks_redelivered})
    print("kill -9 rounds:", json.dumps(figures))
