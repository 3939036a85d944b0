"""`genesys-nb lab`: an offline run's steps as a table or JSON, a matrix preview as CSV, exit-2 errors."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.cli import main

REAL = Path(__file__).resolve().parents[1] / "genesys_nb" / "emulator" / "actions" / "real"
CALLBACK = REAL / "create-callback-extended-with-data.json"
TABLE_ROW = REAL / "update-data-table-row.json"
REQUIRED = ["--input", "callbackNumber=+13175550123", "--input", "queueId=q-1"]


@pytest.fixture()
def answer(tmp_path: Path) -> Path:
    path = tmp_path / "answer.json"
    path.write_text(json.dumps({"conversation": {"id": "conv-7"}}), encoding="utf-8")
    return path


def test_steps_table_and_output(answer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lab", str(CALLBACK), *REQUIRED, "--response", str(answer)])
    out = capsys.readouterr().out
    assert code == 0, out
    for step in ("Validate input against schema", "Resolve request URL template", "Execute request",
                 "Resolve translation map", "Apply output transformation", "Validate output against schema"):
        assert step in out
    assert "/api/v2/conversations/callbacks" in out
    assert "failed" not in out.split("output:")[0].replace("outcome", "")
    assert json.loads(out.split("output:", 1)[1]) == {"conversationId": "conv-7"}


def test_json_output_has_every_operation(answer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", str(CALLBACK), *REQUIRED, "--response", str(answer), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["success"] is True and document["finalResult"] == {"conversationId": "conv-7"}
    assert document["action"]["name"] == "Create Callback Extended with Data"
    names = [op["name"] for op in document["operations"]]
    assert names[0] == "Validate input against schema" and names[-1] == "Validate output against schema"
    translation = next(op for op in document["operations"] if op["name"] == "Resolve translation map")
    assert translation["result"] == {"id": '"conv-7"'}


def test_a_failing_step_exits_1_and_names_the_step(answer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lab", str(CALLBACK), "--input", "queueId=q-1", "--response", str(answer)])
    out = capsys.readouterr().out
    assert code == 1
    assert "failed at Validate input against schema" in out and "callbackNumber" in out


def test_without_a_response_the_remote_step_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", str(CALLBACK), *REQUIRED]) == 1
    out = capsys.readouterr().out
    assert "failed at Execute request: no remote answer given: add --response FILE" in out
    assert "remote=" not in out  # the flag, not a Python argument
    assert re.search(r"6  Resolve translation map +not reached", out), out


def test_config_problems_come_first_whatever_the_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = json.loads(CALLBACK.read_text(encoding="utf-8"))
    export["config"]["response"]["successTemplate"] = '#if( {"x": 1}'
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(export), encoding="utf-8")
    assert main(["lab", str(broken)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Problems in the config of Create Callback Extended with Data (1):\n  successTemplate:")
    assert main(["lab", str(broken), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["problems"][0]["where"] == "successTemplate"


def test_an_input_not_in_the_contract_names_the_closest_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", str(CALLBACK), "--input", "queue=q-1"]) == 2
    err = capsys.readouterr().err
    assert "has no input 'queue'. Did you mean --input queueId=...?" in err and "callbackNumber" in err


def test_a_remote_error_status(answer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", str(CALLBACK), *REQUIRED, "--response", str(answer), "--status", "404"]) == 1
    assert "404" in capsys.readouterr().out


def test_inputs_are_read_as_the_contract_types(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["lab", str(TABLE_ROW), "--input", "Key=k1", "--input", "DatatableId=dt",
            "--input", "IntFieldName1=n", "--input", "IntFieldValue1=42", "--json"]
    main(args)
    document = json.loads(capsys.readouterr().out)
    assert document["operations"][0]["result"]["IntFieldValue1"] == 42
    assert main(["lab", str(TABLE_ROW), "--input", "Key=k1", "--input", "IntFieldValue1=many"]) == 2
    assert "IntFieldValue1" in capsys.readouterr().err


def test_matrix_preview_to_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("DatatableId,Key,StringFieldName1,StringFieldValue1\ndt,a b,colour,red\ndt,c,,\n",
                    encoding="utf-8")
    out = tmp_path / "preview.csv"
    assert main(["lab", str(TABLE_ROW), "--matrix", str(rows), "--out", str(out)]) == 0
    assert "wrote 2 row(s)" in capsys.readouterr().out
    with out.open(encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert list(written[0]) == ["row_id", "method", "url", "body", "warnings", "error", "rejected"]
    rows_url = "/api/v2/flows/datatables/dt/rows/"
    assert [r["url"] for r in written] == [f"{rows_url}a%20b", f"{rows_url}c"]
    assert json.loads(written[0]["body"]) == {"key": "a b", "colour": "red"}
    assert json.loads(written[1]["body"]) == {"key": "c"}
    assert main(["lab", str(TABLE_ROW), "--matrix", str(rows)]) == 0
    assert "row_id" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["lab", "missing-export.json"], "no such file"),
    (["lab", "{bad}.json"], "no such file"),
    (["lab", str(CALLBACK), "--input", "noequals"], "write NAME=VALUE"),
    (["lab", str(CALLBACK), "--response", "nowhere.json"], "--response: cannot read"),
    (["lab", str(CALLBACK), "--matrix", "nowhere.csv"], "--matrix: no such file"),
    (["lab", str(CALLBACK), "--out", "x.csv"], "give --matrix"),
    (["lab", str(CALLBACK), "--record"], "--record needs an action of the org"),
])
def test_could_not_run_exits_2_with_one_clear_line(args: list[str], message: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("genesys-nb lab: "), err


def test_bad_json_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["lab", str(bad)]) == 2
    assert "is not valid JSON" in capsys.readouterr().err
    assert main(["lab", str(CALLBACK), *REQUIRED, "--response", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "--response" in err and "not valid JSON" in err
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]", encoding="utf-8")
    assert main(["lab", str(listing)]) == 2
    assert "not an exported action object" in capsys.readouterr().err


@pytest.fixture()
def org(emulator_server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("GENESYS_CLIENT_ID", emulator_server.client_id)
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", emulator_server.client_secret)
    monkeypatch.setenv("GENESYS_API_BASE_URL", emulator_server.url)
    monkeypatch.setenv("GENESYS_LOGIN_BASE_URL", emulator_server.url)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return emulator_server


def test_an_org_action_by_name_with_its_recorded_answer(org: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "Create Callback Extended with Data", *REQUIRED, "--record", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["success"] is True and "conversationId" in document["finalResult"]


def test_an_unknown_org_action_exits_2(org: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "No Such Action"]) == 2
    err = capsys.readouterr().err
    assert "no action named 'No Such Action'" in err and "genesys-nb actions list" in err
    assert main(["lab", "Create Callback Extended with Dta"]) == 2  # a near miss names the action meant
    assert "did you mean 'Create Callback Extended with Data'" in capsys.readouterr().err


def test_credential_like_headers_are_masked_in_the_table(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    export = {"name": "Headers", "config": {"request": {"requestType": "GET", "requestUrlTemplate": "https://x/y",
              "headers": {"Authorization": "Bearer abc123", "Accept": "application/json"}}}}
    path = tmp_path / "headers.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    main(["lab", str(path)])
    out = capsys.readouterr().out
    assert '"Authorization": "***"' in out and "abc123" not in out and "application/json" in out


def test_credentials_render_and_never_show(tmp_path: Path, answer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = json.loads(CALLBACK.read_text(encoding="utf-8"))
    export["config"]["request"]["requestUrlTemplate"] += "?key=${credentials.API_Key}&t=$authResponse.token"
    export["config"]["request"]["headers"] = {"Authorization": 'Basic $encoding.base64("${credentials.API_Key}:x")'}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    code = main(["lab", str(path), *REQUIRED, "--response", str(answer), "--json",
                 "--credential", "API_Key=k-secret-1", "--auth-response", "token=t-secret-2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "k-secret-1" not in out and "t-secret-2" not in out and "ay1zZWNyZXQtMTp4" not in out
    assert "key=********&t=********" in out
    assert main(["lab", str(path), *REQUIRED, "--credential", "novalue"]) == 2
    assert "--credential novalue: write NAME=VALUE" in capsys.readouterr().err
