"""`genesys-nb report` end to end on generated audit logs: tables, HTML, compare, thresholds, exit codes."""
from __future__ import annotations

import io
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from genesys_nb.cli import main
from genesys_nb.cli.report_cmd import print_summary, text_table
from genesys_nb.report.latency import LatencyReport

REPO_ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def write_log(path: Path, latencies: list[float], *, failures: int = 0, run_id: str = "run-1",
              rejected: int = 0, message: str = "The service is unavailable") -> Path:
    """Audit records alternating two actions and two priorities; the first ``failures`` rows are 503s,
    the last ``rejected`` rows are derived cases meant to be invalid, refused with a 400."""
    lines = []
    for row, latency in enumerate(latencies):
        failed = row < failures
        invalid = row >= len(latencies) - rejected
        record: dict[str, Any] = {
            "schema_version": 1,
            "timestamp": (T0 + timedelta(milliseconds=100 * row)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "run_id": run_id, "row_id": str(row), "action_id": f"custom_-_{row % 2}",
            "action_name": ("Get user", "Create callback")[row % 2], "action_version": 1,
            "success": not failed, "status_code": 503 if failed else 200,
            "error_class": "server" if failed else None, "error_code": "service.unavailable" if failed else None,
            "error_message": message if failed else None,
            "latency_ms": latency, "total_ms": latency, "attempts": 1, "retry_wait_ms": 0.0,
            "timeout_ms": 30000, "correlation_id": f"corr-{row}",
            "params": {"priority": ("low", "high")[(row // 2) % 2]}, "output_keys": [], "error_count": int(failed),
            "webhook": "none", "expected_invalid": invalid, "output": None,
        }
        if invalid:
            record.update(success=False, status_code=400, error_class="bad_request", error_code="bad.request",
                          error_message="The input does not match the action's input contract")
        lines.append(orjson.dumps(record))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture()
def log(tmp_path: Path) -> Path:
    return write_log(tmp_path / "audit.ndjson", [float(10 * (i % 20) + 5) for i in range(200)], failures=4)


def test_report_prints_aligned_summary_and_error_tables(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(log)]) == 0
    out = capsys.readouterr().out
    assert "Rows:" in out and "200" in out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("action_name"))
    assert "p95_ms" in header and "error_rate" in header
    rows = [line for line in lines if line.startswith(("Get user", "Create callback"))]
    assert len(rows) == 2
    # right-aligned numbers: every row ends exactly where the header does
    assert {len(row) for row in rows} == {len(header)}
    assert "server" in out and "503" in out and "service.unavailable" in out and "corr-0" in out


def test_report_groups_by_parameter_and_filters_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_log(tmp_path / "a.ndjson", [50.0] * 10, run_id="run-a")
    write_log(tmp_path / "b.ndjson", [70.0] * 6, run_id="run-b")
    assert main(["report", str(tmp_path), "--by", "params.priority", "--run-id", "run-b"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("params.priority") :]
    assert "high" in table and "low" in table
    assert "Rows:          6" in out
    assert main(["report", str(tmp_path), "--by", "action_name,params.priority"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("action_name"))
    assert header.split()[:3] == ["action_name", "params.priority", "count"]


def test_fail_if_exit_codes(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(log), "--fail-if", "p95>1000,error_rate>0.05"]) == 0
    assert "all thresholds passed" in capsys.readouterr().out
    assert main(["report", str(log), "--fail-if", "p95>100,error_rate>5%"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  p95_ms" in out and "PASS  error_rate" in out


def test_could_not_run_exit_codes_name_the_cause(log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.ndjson"
    assert main(["report", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
    assert main(["report", str(log), "--fail-if", "p95>800,latency>3"]) == 2
    assert "'latency>3'" in capsys.readouterr().err
    assert main(["report", str(log), "--by", "colour"]) == 2
    assert "colour" in capsys.readouterr().err
    assert main(["report", str(log), "--compare", str(missing)]) == 2


def test_html_and_compare(log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slower = write_log(tmp_path / "slower.ndjson", [float(20 * (i % 20) + 10) for i in range(200)], failures=4)
    html = tmp_path / "out" / "report.html"
    code = main(["report", str(log), "--compare", str(slower), "--html", str(html)])
    assert code == 0
    out = capsys.readouterr().out
    assert "Comparison" in out and "regression" in out
    text = html.read_text(encoding="utf-8")
    assert "data:image/png;base64," in text and "Comparison" in text
    assert main(["report", str(log), "--compare", str(slower), "--fail-on-regression"]) == 1
    assert main(["report", str(log), "--compare", str(log), "--fail-on-regression"]) == 0


def test_print_summary_and_text_table(log: Path) -> None:
    out = io.StringIO()
    print_summary(LatencyReport.from_audit(log), file=out, by=("params.priority",))
    text = out.getvalue()
    assert "Latency by params.priority" in text and "Overall" in text and "Errors (4 of 200 rows)" in text
    import pandas as pd

    table = text_table(pd.DataFrame({"name": ["a", "bbbb"], "p95_ms": [1.0, 1234.5]}), index=False)
    assert table.splitlines() == ["name   p95_ms", "----- -------", "a        1.00", "bbbb  1,234.5"]


def test_installed_console_script(log: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "genesys-nb"
    if not script.exists():
        script = REPO_ROOT / ".venv" / "bin" / "genesys-nb"
    html = tmp_path / "r.html"
    done = subprocess.run([str(script), "report", str(log), "--html", str(html), "--fail-if", "p99>1"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert "FAIL  p99_ms" in done.stdout and "Get user" in done.stdout
    assert html.exists()


def test_long_messages_wrap_whole_and_fix_hints_name_cli_commands(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    message = ("Input for action 'Get user' does not match its contract: the value at $.customer.address."
               "postalCodeOfTheShippingAddress is too long. Fix: change the inputs so they match the input "
               "contract of action 'Get user' (client.get_schema(action_id) shows it).")
    log = write_log(tmp_path / "audit.ndjson", [20.0] * 10, failures=3, message=message)
    assert main(["report", str(log)]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "postalCodeOfTheShippingAddress is too long" in flat  # the field name survives: wrapped, not cut
    assert "client.get_schema" not in out and "client.test" not in out
    assert "genesys-nb actions show ID shows it" in flat
    assert "How to fix" in out and "server: a temporary platform failure" in flat
    assert "\u2026" not in out


def test_expected_rejections_pass_in_the_cli_and_html_report(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "audit.ndjson", [20.0] * 10, rejected=6)
    html = tmp_path / "report.html"
    assert main(["report", str(log), "--by", "", "--fail-if", "error_rate>0.01", "--html", str(html)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("group"))
    assert "expected_rejections" in header
    row = out.splitlines()[out.splitlines().index(header) + 2].split()
    values = dict(zip(header.split(), row))
    assert values["expected_rejections"] == "6" and values["ok_rate"] == "100%" and values["error_rate"] == "0%"
    assert "Errors: none" in out
    text = html.read_text(encoding="utf-8")
    assert "expected_rejections" in text and "60%" not in text


@pytest.mark.parametrize(("error_class", "command"), [
    ("validation", "genesys-nb actions show custom_-_1"),
    ("bad_request", "genesys-nb execute custom_-_1 --input JSON --dry-run"),
    ("remote_endpoint", "genesys-nb execute custom_-_1 --input JSON --dry-run"),
    ("not_found", "genesys-nb actions list"),
    ("timeout", "--timeout-ms"),
    ("server", "--idempotent"),
])
def test_fix_hints_become_cli_commands(error_class: str, command: str) -> None:
    from genesys_nb.api.errors import fix_hint
    from genesys_nb.cli.report_cmd import cli_hint

    hint = cli_hint(fix_hint(error_class, action_id="custom_-_1", status_code=500), "custom_-_1")
    assert command in hint and "client." not in hint
