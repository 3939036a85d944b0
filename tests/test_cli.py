"""The CLI end to end through genesys_nb.cli.main: demo, actions, execute, run (each on its own emulator)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.cli import main
from genesys_nb.emulator import action_id_for

ECHO = action_id_for("Echo")
UPDATE = action_id_for("Update Customer Record")
PHONE = action_id_for("Get Customer By Phone")


@pytest.fixture(autouse=True)
def no_real_org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials in the environment and no .env in the working folder: the emulator is used."""
    for name in ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_REGION", "GENESYS_ENV",
                 "GENESYS_API_BASE_URL", "GENESYS_LOGIN_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_clear_line(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("genesys-nb ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


def audit_lines(path: Path) -> list[dict[str, Any]]:
    """The terminal records (one per finished row); intent and webhook-state records carry a "kind"."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [record for record in records if "kind" not in record]


# ---- actions ----------------------------------------------------------------------------------------
def test_actions_list_is_an_aligned_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "actions", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "name", "category", "version", "secure"]
    assert set(lines[1]) <= {"-", " "}
    assert any(ECHO in line and "Echo" in line for line in lines)
    assert "embedded emulator" in err  # says where it runs


def test_actions_list_filters_secure(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "actions", "list", "--secure", "-q")
    assert code == 0
    body = [line for line in out.splitlines()[2:] if line.startswith("custom_-_")]
    assert body and all(line.split()[-1] == "yes" for line in body)


def test_actions_show_prints_contract_and_config(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "actions", "show", UPDATE, "-q")
    assert code == 0
    assert "Input contract" in out and "Output contract" in out and "Config" in out
    assert "recordId" in out and "pattern ^R-[0-9]{4,10}$" in out
    assert "PATCH" in out


def test_actions_show_unknown_id_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "actions", "show", "custom_-_nope", "-q")
    assert code == 2
    one_clear_line(err, "custom_-_nope", "Fix")


def test_actions_without_a_subcommand_says_what_to_type(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "actions")
    assert code == 2
    assert "actions list" in err


# ---- execute ----------------------------------------------------------------------------------------
def test_execute_prints_the_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "execute", ECHO, "--input", '{"message": "hi", "sequence": 7}', "-q")
    assert code == 0
    assert "result:      ok" in out and "status:      200" in out
    assert json.loads(out[out.index("{"):]) == {"message": "hi", "sequence": 7}


def test_execute_reads_input_from_a_file_and_writes_an_audit_record(capsys: pytest.CaptureFixture[str],
                                                                     tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text('{"recordId": "R-10042", "tier": "gold"}', encoding="utf-8")
    code, _, _ = cli(capsys, "execute", UPDATE, "--input", "@in.json", "--audit", "a.ndjson", "-q")
    assert code == 0
    [record] = audit_lines(tmp_path / "a.ndjson")
    assert record["success"] and record["params"]["tier"] == "gold"


def test_execute_with_input_breaking_the_contract_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "execute", UPDATE, "--input", '{"recordId": "R-1"}', "-q")
    assert code == 1
    assert "FAILED (validation)" in out and "$.recordId" in out


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["--input", '{"recordId":'], ["--input", "not valid JSON", "line 1"]),
        (["--input", "[1, 2]"], ["--input", "JSON object"]),
        (["--input", "@missing.json"], ["--input", "missing.json"]),
        (["--input", "{}", "--timeout-ms", "0"], ["--timeout-ms", "60000"]),
        (["--input", "{}", "--timeout-ms", "90000"], ["--timeout-ms"]),
    ],
)
def test_execute_bad_arguments_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                        needles: list[str]) -> None:
    code, _, err = cli(capsys, "execute", UPDATE, *argv, "-q")
    assert code == 2
    one_clear_line(err, *needles)


def test_execute_dry_run_prints_each_step(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "execute", UPDATE, "--input", '{"recordId": "R-10042"}', "--dry-run", "-q")
    assert code == 0
    steps = [line for line in out.splitlines() if line.strip().startswith("[ok  ] step")]
    assert len(steps) >= 3
    assert "test:        ok" in out


def test_execute_dry_run_failure_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "execute", UPDATE, "--input", '{"recordId": "nope"}', "--dry-run", "-q")
    assert code == 1
    assert "[FAIL] step 1" in out


# ---- run --------------------------------------------------------------------------------------------
def test_run_product_axes_all_ok(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "run", UPDATE, "--product", "tier=gold,silver,bronze", "--product",
                       "creditLimit=0,500", "--fixed", "recordId=R-10042", "--rate", "off", "--no-progress",
                       "--audit", "runs/audit.ndjson", "--run-id", "cli-run", "-q")
    assert code == 0, out
    records = audit_lines(tmp_path / "runs" / "audit.ndjson")
    assert len(records) == 6 and all(r["success"] for r in records)
    assert {r["params"]["creditLimit"] for r in records} == {0, 500}  # coerced to the contract's integer
    assert "Latency by action_name" in out and "run cli-run: 6 rows" in out


def test_run_from_csv_with_a_failing_row_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "phones.csv").write_text("phoneNumber\n+13175551234\n+13175550000\n", encoding="utf-8")
    code, out, _ = cli(capsys, "run", PHONE, "--matrix", "phones.csv", "--rate", "off", "--no-progress", "-q")
    assert code == 1
    assert "remote_endpoint" in out
    [segment] = (tmp_path / "genesys-nb-audit").glob("*.ndjson")  # the default audit folder: a segment per run
    assert len(audit_lines(segment)) == 2


def test_resume_runs_nothing_when_every_row_is_recorded(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["run", ECHO, "--product", "sequence=1,2,3", "--fixed", "message=hi", "--rate", "off", "--no-progress",
            "-q"]
    assert cli(capsys, *args, "--run-id", "r1")[0] == 0
    code, out, _ = cli(capsys, *args, "--resume", "r1")
    assert code == 0
    assert "3 already done earlier" in out
    assert len(audit_lines(tmp_path / "genesys-nb-audit" / "r1.ndjson")) == 3


def test_an_existing_default_audit_file_keeps_being_used(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["run", ECHO, "--product", "sequence=1,2", "--fixed", "message=hi", "--rate", "off", "--no-progress",
            "-q"]
    (tmp_path / "genesys-nb-audit.ndjson").write_text("", encoding="utf-8")  # the default before folders
    code, _, err = cli(capsys, *args, "--run-id", "old-layout")
    assert code == 0 and "genesys-nb audit migrate genesys-nb-audit.ndjson genesys-nb-audit" in err
    assert len(audit_lines(tmp_path / "genesys-nb-audit.ndjson")) == 2
    assert not (tmp_path / "genesys-nb-audit").exists()


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        ([], ["--matrix", "--product"]),
        (["--product", "tier"], ["--product", "NAME=VALUES"]),
        (["--product", "creditLimit=lots", "--fixed", "recordId=R-10042"], ["creditLimit", "integer"]),
        (["--matrix", "nothere.csv"], ["--matrix", "nothere.csv"]),
        (["--product", "tier=gold", "--rate", "fast"], ["--rate"]),
        (["--product", "tier=gold", "--concurrency", "0"], ["--concurrency"]),
        (["--product", "tier=gold", "--run-id", "a", "--resume", "b"], ["--resume"]),
    ],
)
def test_run_bad_arguments_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                    needles: list[str]) -> None:
    code, _, err = cli(capsys, "run", UPDATE, *argv, "--no-progress", "-q")
    assert code == 2
    one_clear_line(err, *needles)


def test_run_csv_cell_of_the_wrong_type_names_row_and_column(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("recordId,creditLimit\nR-10042,12\nR-10043,twelve\n", encoding="utf-8")
    code, _, err = cli(capsys, "run", UPDATE, "--matrix", "m.csv", "--no-progress", "-q")
    assert code == 2
    one_clear_line(err, "row 2", "creditLimit")


# ---- demo -------------------------------------------------------------------------------------------
def test_demo_writes_the_audit_log_and_the_html_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "demo", "--rows", "30", "--out", "out", "--no-progress")
    assert code == 0, out
    records = audit_lines(tmp_path / "out" / "audit.ndjson")
    assert len(records) == 30
    assert len({(r["run_id"], r["row_id"]) for r in records}) == 30
    assert len({r["action_name"] for r in records}) == 6
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<table" in html and "data:image/png;base64" in html
    assert "Latency by action_name" in out and "Errors" in out
    assert "webhooks: 30 delivered" in out and "30 signatures verified" in out
    pin_records = [r for r in records if r["action_name"] == "Verify Customer PIN"]
    assert pin_records and all(r["params"] == "<redacted>" for r in pin_records)


def test_demo_with_credentials_needs_an_action(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENESYS_CLIENT_ID", "someone")
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", "not-a-real-secret")
    code, _, err = cli(capsys, "demo", "--rows", "5")
    assert code == 2
    one_clear_line(err, "--action", "actions list")
    assert "not-a-real-secret" not in err


@pytest.mark.parametrize("rows", ["0", "5"])
def test_demo_rejects_too_few_rows(capsys: pytest.CaptureFixture[str], rows: str) -> None:
    code, _, err = cli(capsys, "demo", "--rows", rows)
    assert code == 2
    one_clear_line(err, "--rows")


def test_demo_against_an_org_named_by_credentials_runs_the_named_action(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, emulator_server: Any, tmp_path: Path
) -> None:
    # A "real org" is whatever GENESYS_* point at: here the shared emulator, so no fault is injected.
    emulator_server.emulator.set_limits(time_scale=60)
    monkeypatch.setenv("GENESYS_CLIENT_ID", emulator_server.client_id)
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", emulator_server.client_secret)
    monkeypatch.setenv("GENESYS_API_BASE_URL", emulator_server.url)
    monkeypatch.setenv("GENESYS_LOGIN_BASE_URL", emulator_server.url)
    code, out, _ = cli(capsys, "demo", "--action", ECHO, "--rows", "12", "--out", "org", "--no-progress")
    assert code == 0, out  # the expected-invalid cases were refused, as expected; nothing else failed
    records = audit_lines(tmp_path / "org" / "audit.ndjson")
    assert len(records) == 12 and {r["action_id"] for r in records} == {ECHO}
    assert any(r["expected_invalid"] and not r["success"] for r in records)
    assert all(r["success"] for r in records if not r["expected_invalid"])
    assert "for real" in out and (tmp_path / "org" / "report.html").exists()
    assert emulator_server.emulator.faults == {}


def test_run_delivers_webhooks_to_a_url(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    bodies: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code, _, _ = cli(capsys, "run", ECHO, "--product", "sequence=1,2,3,4", "--fixed", "message=hi", "--rate",
                         "off", "--no-progress", "--webhook", f"http://127.0.0.1:{server.server_address[1]}/h", "-q")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0
    assert len(bodies) == 4 and len({body["rowId"] for body in bodies}) == 4
    assert all(body["success"] and body["actionId"] == ECHO for body in bodies)
