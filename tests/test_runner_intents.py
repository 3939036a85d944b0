"""Intent records and unknown outcomes: what was sent is never sent again on a resume unless it is safe.

Witness: the emulator's request log (each execute's body hash and whether the remote was reached)
against the audit's ``sending`` intents and terminal records.
"""
from __future__ import annotations

import json
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.api._request import request_body_sha256
from genesys_nb.api.retry import RetryPolicy
from genesys_nb.audit.reader import read_audit, terminal_row_ids
from genesys_nb.audit.records import build_intent, build_webhook_state, resume_state
from genesys_nb.audit.writer import AuditLog
from genesys_nb.cli import main
from genesys_nb.emulator import action_id_for
from genesys_nb.report.latency import LatencyReport
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner

UPDATE = action_id_for("Update Customer Record")
TIME_SCALE = 60


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rows(count: int) -> ParameterMatrix:
    return ParameterMatrix.from_records([{"recordId": f"R-{n:05d}", "tier": "gold"} for n in range(count)])


def runner(settings: Any, audit: Path, **kwargs: Any) -> MatrixRunner:
    options: dict[str, Any] = {"concurrency": 4, "rate_per_minute": None, "progress": False, "audit": audit,
                               "retry": RetryPolicy(backoff_initial_s=0.01, backoff_max_s=0.02)}
    options.update(kwargs)
    return MatrixRunner(settings, **options)


def executes(server: Any) -> list[Any]:
    return [entry for entry in server.emulator.request_log if entry.operation == "execute"]


@pytest.fixture()
def compressed(emulator_server: Any) -> Any:
    emulator_server.emulator.set_limits(time_scale=TIME_SCALE)
    return emulator_server


def test_every_attempt_is_announced_before_it_leaves(compressed: Any, settings: Any, tmp_path: Path) -> None:
    compressed.emulator.set_faults(UPDATE, {"rules": [{"type": "sequence", "statuses": [503, 429, 200],
                                                       "retry_after_s": 0}]})
    audit = tmp_path / "audit.ndjson"
    runner(settings, audit, concurrency=1).run(UPDATE, rows(3), run_id="intents")
    records = lines(audit)
    intents = [r for r in records if r.get("kind") == "sending"]
    terminal = [r for r in records if "kind" not in r]
    assert len(terminal) == 3
    assert len(intents) == len(executes(compressed)) == 5  # the first row took 3 attempts
    by_row = Counter(r["row_id"] for r in intents)
    assert sorted(by_row.values()) == [1, 1, 3]
    # The intent's digest is the exact body the emulator received, and it came first in the file.
    assert [r["request_sha256"] for r in intents] == [e.body_sha256 for e in executes(compressed)]
    for record in terminal:
        first = next(i for i, r in enumerate(records) if r.get("row_id") == record["row_id"])
        assert records[first].get("kind") == "sending"
        assert [r["attempt"] for r in intents if r["row_id"] == record["row_id"]] == list(
            range(1, record["attempts"] + 1))


def _seed_a_crashed_run(settings: Any, audit: Path, count: int, crashed: list[int]) -> ParameterMatrix:
    """A run whose rows ran except ``crashed``, which were announced as sending and never recorded."""
    matrix = rows(count)
    runner(settings, audit).run(UPDATE, ParameterMatrix.from_records(
        [row.params for n, row in enumerate(matrix) if n not in crashed]), run_id="crashed")
    by_position = list(matrix)
    with AuditLog(audit) as log:
        for n in crashed:
            row = by_position[n]
            log.write_record(build_intent(run_id="crashed", row_id=row.row_id, action_id=UPDATE, attempt=1,
                                          request_sha256=request_body_sha256(row.params)))
    return matrix


def test_resume_does_not_resend_rows_of_unknown_outcome(compressed: Any, settings: Any, tmp_path: Path) -> None:
    audit = tmp_path / "audit.ndjson"
    matrix = _seed_a_crashed_run(settings, audit, 12, crashed=[3, 7])
    unknown = {list(matrix)[3].row_id, list(matrix)[7].row_id}
    before = len(executes(compressed))
    resumed = runner(settings, audit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = resumed.run(UPDATE, matrix, run_id="crashed", resume=True)
    assert len(executes(compressed)) == before  # nothing was sent: the two rows may already have run
    summary = resumed.last_summary
    assert summary is not None and set(summary.unknown_rows) == unknown and not summary.stopped
    assert summary.error_classes == {"unknown": 2} and "2 rows of unknown outcome" in str(summary)
    flagged = frame[frame["error_class"] == "unknown"]
    assert set(flagged["row_id"]) == unknown and not flagged["ok"].any()
    assert flagged["error_message"].str.contains("rerun_unknown=True").all()
    assert len(frame) == 12 and frame["row_id"].is_unique
    report = LatencyReport.from_audit(audit, run_id="crashed")
    assert len(report) == 12 and "unknown" in set(report.frame["error_class"].astype(str))

    # A second resume leaves them as they are; rerun_unknown=True sends each once.
    again = runner(settings, audit)
    again.run(UPDATE, matrix, run_id="crashed", resume=True)
    assert len(executes(compressed)) == before
    final = runner(settings, audit)
    frame = final.run(UPDATE, matrix, run_id="crashed", resume=True, rerun_unknown=True)
    sent = executes(compressed)[before:]
    assert sorted(e.body_sha256 for e in sent) == sorted(request_body_sha256(row.params) for row in matrix
                                                         if row.row_id in unknown)
    assert frame["ok"].all() and len(frame) == 12
    assert resume_state(audit, "crashed").unknown == {}


def test_an_idempotent_action_resends_unknown_rows_on_resume(compressed: Any, settings: Any, tmp_path: Path) -> None:
    audit = tmp_path / "audit.ndjson"
    matrix = _seed_a_crashed_run(settings, audit, 6, crashed=[0])
    before = len(executes(compressed))
    frame = runner(settings, audit).run(UPDATE, matrix, run_id="crashed", resume=True, idempotent=True)
    assert frame["ok"].all() and len(executes(compressed)) == before + 1


def test_rerun_unknown_needs_resume(settings: Any, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rerun_unknown=True goes with resume=True"):
        runner(settings, tmp_path / "a.ndjson").run(UPDATE, rows(1), rerun_unknown=True)


def test_readers_leave_intent_and_webhook_records_out_and_settle_the_webhook(tmp_path: Path) -> None:
    from genesys_nb.api.result import ExecutionResult

    audit = tmp_path / "audit.ndjson"
    with AuditLog(audit) as log:
        for n in range(3):
            row_id = f"row-{n}"
            log.write_record(build_intent(run_id="r", row_id=row_id, action_id="a", attempt=1, request_sha256="x"))
            log.write_result(ExecutionResult(action_id="a", ok=True, output={"n": n}, status_code=200),
                             run_id="r", row_id=row_id, params={"n": n}, webhook="pending")
        log.write_record(build_webhook_state(run_id="r", row_id="row-0", state="delivered", event_id="e0"))
        log.write_record(build_webhook_state(run_id="r", row_id="row-1", state="failed", event_id="e1"))
    for lean in (False, True):
        frame = read_audit(audit, lean=lean)
        assert list(frame["row_id"]) == ["row-0", "row-1", "row-2"]
        assert list(frame["webhook"].astype(str)) == ["delivered", "failed", "pending"]
    assert terminal_row_ids(audit, "r") == {"row-0", "row-1", "row-2"}
    report = LatencyReport.from_audit(audit)
    assert len(report) == 3 and list(report.frame["webhook"].astype(str)) == ["delivered", "failed", "pending"]
    # The tolerant line-by-line paths say the same when a bad line makes pyarrow give up.
    with open(audit, "ab") as handle:
        handle.write(b"{not json}\n" + audit.read_bytes().splitlines()[0] + b"\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = read_audit(audit)
        report = LatencyReport.from_audit(audit)
    assert list(frame["webhook"].astype(str)) == ["delivered", "failed", "pending"]
    assert len(report) == 3


def test_cli_resume_with_rerun_unknown(compressed: Any, settings: Any, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    audit = tmp_path / "audit.ndjson"
    matrix = _seed_a_crashed_run(settings, audit, 4, crashed=[2])
    csv = tmp_path / "rows.csv"
    csv.write_text("recordId,tier\n" + "".join(f"{row.params['recordId']},gold\n" for row in matrix), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # no .env here
    for name, value in (("GENESYS_CLIENT_ID", compressed.client_id), ("GENESYS_CLIENT_SECRET", compressed.client_secret),
                        ("GENESYS_API_BASE_URL", compressed.url), ("GENESYS_LOGIN_BASE_URL", compressed.url)):
        monkeypatch.setenv(name, value)  # the CLI talks to this test's emulator as to an org
    assert main(["run", UPDATE, "--matrix", str(csv), "--rerun-unknown", "--audit", str(audit), "-q",
                 "--no-progress"]) == 2
    assert "--rerun-unknown goes with --resume" in capsys.readouterr().err
    before = len(executes(compressed))
    code = main(["run", UPDATE, "--matrix", str(csv), "--resume", "crashed", "--audit", str(audit), "-q",
                 "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1 and "1 rows of unknown outcome" in out and len(executes(compressed)) == before
    code = main(["run", UPDATE, "--matrix", str(csv), "--resume", "crashed", "--rerun-unknown",
                 "--audit", str(audit), "-q", "--no-progress"])
    assert code == 0 and len(executes(compressed)) == before + 1


def test_a_bad_row_fails_alone_and_names_its_field(compressed: Any, settings: Any, tmp_path: Path) -> None:
    deep: Any = "leaf"
    for _ in range(1000):
        deep = {"next": deep}
    echo = action_id_for("Echo")
    matrix = ParameterMatrix.from_records([{"message": "before"}, {"message": "caf\udce9"},
                                           {"message": "x", "sequence": deep}, {"message": "after"}])
    audit = tmp_path / "audit.ndjson"
    frame = runner(settings, audit).run(echo, matrix, run_id="bad-rows")
    assert list(frame["ok"]) == [True, False, False, True]
    assert list(frame["error_class"].astype(object))[1:3] == ["validation", "validation"]
    assert "'message'" in frame["error_message"][1] and "Unicode" in frame["error_message"][1]
    assert "'sequence' nests 1000 levels deep" in frame["error_message"][2]
    sent = [e for e in executes(compressed)]
    assert len(sent) == 2  # only the two good rows left the machine
    assert len([r for r in lines(audit) if "kind" not in r]) == 4  # every row has its record


def test_every_row_left_unknown_is_announced_once_by_its_own_event(compressed: Any, settings: Any,
                                                                 tmp_path: Path) -> None:
    from webhook_receiver import WebhookReceiver

    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.run.webhook import event_id_for

    audit = tmp_path / "audit.ndjson"
    matrix = _seed_a_crashed_run(settings, audit, 8, crashed=[1, 5])
    by_position = list(matrix)
    unknown = {by_position[1].row_id, by_position[5].row_id}
    receiver = WebhookReceiver()
    try:
        resumed = runner(settings, audit, webhook=receiver.url)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            resumed.run(UPDATE, matrix, run_id="crashed", resume=True)
        events = {next(v for k, v in headers.items() if k.lower() == "webhook-id"): json.loads(body)
                  for headers, body in receiver.requests}
        assert receiver.posts == 2 and {event["rowId"] for event in events.values()} == unknown
        assert set(events) == {event_id_for("crashed", row_id, unknown=True) for row_id in unknown}
        for event in events.values():
            assert event["status"] == "unknown" and event["success"] is False
            assert event["result"]["error_class"] == "unknown"
        frame = read_audit(audit, run_id="crashed")
        assert set(frame.loc[frame["error_class"] == "unknown", "webhook"].astype(str)) == {"delivered"}

        # Announced once: a second resume sends nothing.
        runner(settings, audit, webhook=receiver.url).run(UPDATE, matrix, run_id="crashed", resume=True)
        assert receiver.posts == 2

        # Killed after an unknown row's record and before its event settled: the next resume sends it.
        third = by_position[6]
        with AuditLog(audit) as log:
            log.write_record(build_intent(run_id="later", row_id=third.row_id, action_id=UPDATE, attempt=1,
                                          request_sha256=request_body_sha256(third.params)))
            log.write_result(ExecutionResult(action_id=UPDATE, ok=True, status_code=200), run_id="later",
                             row_id=by_position[0].row_id, params=by_position[0].params, webhook="none")
            log.write_result(ExecutionResult(action_id=UPDATE, ok=False, error_class="unknown",
                                             request_sent=True), run_id="later", row_id=third.row_id,
                             params=third.params, webhook="pending")
        again = runner(settings, audit, webhook=receiver.url)
        again.run(UPDATE, ParameterMatrix.from_records([row.params for row in by_position[:1]] + [third.params]),
                  run_id="later", resume=True)
        assert receiver.posts == 3 and again.last_summary is not None and again.last_summary.webhooks_redelivered == 1
        _, body = receiver.requests[-1]
        assert json.loads(body)["status"] == "unknown"
        assert event_id_for("later", third.row_id, unknown=True) in receiver.ids()

        # Sent again once checked: the row's real outcome is a new event, not a duplicate of the first.
        final = runner(settings, audit, webhook=receiver.url)
        final.run(UPDATE, matrix, run_id="crashed", resume=True, rerun_unknown=True)
        outcome_ids = {event_id_for("crashed", row_id) for row_id in unknown}
        assert outcome_ids <= receiver.ids() and receiver.posts == 5
        assert all(json.loads(body)["status"] == "ok" for _, body in receiver.requests[-2:])
    finally:
        receiver.close()
