"""Pre-publish regression: a changed translation map is found, an unchanged draft passes, online and offline."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.api.client import DataActionsClient
from genesys_nb.api.errors import NotFoundError
from genesys_nb.audit.reader import read_audit
from genesys_nb.cli import main
from genesys_nb.run._regress_compare import SideResult, compare, differences, parse_fail_on
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.regress import DraftRegression

PHONES = [f"+1317555{n:04d}" for n in range(101, 109)]
CRM_ANSWER = {"id": "C-1", "name": {"first": "Ada", "last": "Lovelace"}, "email": "ada@example.com",
              "loyalty": {"tier": "gold"}, "status": "active", "support": {"openTickets": 1},
              "metrics": {"lifetimeValue": 12.5}}


@pytest.fixture()
def client(emulator_server: Any) -> Any:
    emulator_server.emulator.set_limits(rate_per_minute=100_000)
    with DataActionsClient(emulator_server.settings()) as sync_client:
        yield sync_client


@pytest.fixture()
def lookup(emulator_server: Any) -> Any:
    return emulator_server.emulator.action_named("Get Customer By Phone")


def _draft(client: Any, action_id: str, *, tier_path: str | None = None) -> None:
    draft = client.create_draft(action_id)
    if tier_path is not None:
        config = copy.deepcopy(draft.config)
        config["response"]["translationMap"]["tier"] = tier_path
        client.update_draft(action_id, version=draft.version, config=config)


def _matrix(client: Any, action_id: str) -> ParameterMatrix:
    return ParameterMatrix.product(phoneNumber=PHONES) + ParameterMatrix.from_schema(client.get_action(action_id))


def _sent(emulator_server: Any) -> list[str]:
    return [e.operation for e in emulator_server.emulator.request_log if e.operation in ("test", "draft_test")]


def test_a_changed_translation_map_differs_on_tier_only(client: Any, lookup: Any, emulator_server: Any,
                                                        tmp_path: Path) -> None:
    _draft(client, lookup.id, tier_path="$.loyalty.level")
    audit = tmp_path / "regress.ndjson"
    regression = DraftRegression(client, lookup.id, audit=audit, rate_per_minute=None)
    frame = regression.run(_matrix(client, lookup.id))
    valid = frame[frame["published_ok"]]
    assert len(valid) == len(PHONES) and set(valid["verdict"]) == {"differs"}
    assert all(paths == ["$.tier"] for paths in valid["differences"])
    assert set(frame.loc[~frame["published_ok"].astype(bool), "verdict"]) == {"equal"}  # same rejections
    assert regression.last_summary["differs"] == len(PHONES) and frame.attrs["draft_version"] == 2
    assert frame["latency_diff_ms"].notna().all()
    assert len(DraftRegression.regressions(frame)) == len(PHONES)
    assert len(DraftRegression.regressions(frame, "errors")) == 0
    records = read_audit(audit)
    assert len(records) == 2 * len(frame)  # one terminal record per side per row
    assert sorted(records["row_id"].str.rsplit(":", n=1).str[1].unique()) == ["draft", "published"]
    assert _sent(emulator_server).count("draft_test") == len(frame) == _sent(emulator_server).count("test")


def test_an_unchanged_draft_passes(client: Any, lookup: Any) -> None:
    _draft(client, lookup.id)
    frame = DraftRegression(client, lookup.id, rate_per_minute=None).run(_matrix(client, lookup.id))
    assert set(frame["verdict"]) == {"equal"}
    assert DraftRegression.regressions(frame).empty


def test_a_stricter_input_contract_is_an_error_class_change(client: Any, lookup: Any) -> None:
    draft = client.create_draft(lookup.id)
    schema = copy.deepcopy(draft.input_schema)
    schema["properties"]["customerTier"] = {"type": "string"}
    schema["required"] = [*schema.get("required", []), "customerTier"]
    client.update_draft(lookup.id, version=1, contract={"input": {"inputSchema": schema}})
    frame = DraftRegression(client, lookup.id, rate_per_minute=None).run(ParameterMatrix.product(phoneNumber=PHONES[:3]))
    assert set(frame["verdict"]) == {"error_changed"}
    assert set(frame["draft_error_class"]) == {"bad_request"} and frame["published_ok"].all()


def test_a_run_resumes_by_run_id_without_sending_again(client: Any, lookup: Any, emulator_server: Any,
                                                       tmp_path: Path) -> None:
    _draft(client, lookup.id, tier_path="$.loyalty.level")
    audit = tmp_path / "regress.ndjson"
    matrix = ParameterMatrix.product(phoneNumber=PHONES[:4])
    first = DraftRegression(client, lookup.id, audit=audit, run_id="gate-1", rate_per_minute=None).run(matrix)
    sent_before = len(_sent(emulator_server))
    again = DraftRegression(client, lookup.id, audit=audit, run_id="gate-1", rate_per_minute=None).run(matrix)
    assert len(_sent(emulator_server)) == sent_before  # everything was recorded: nothing is sent twice
    assert list(again["verdict"]) == list(first["verdict"]) == ["differs"] * 4
    assert list(again["differences"]) == list(first["differences"])
    bigger = ParameterMatrix.product(phoneNumber=PHONES[:6])
    DraftRegression(client, lookup.id, audit=audit, run_id="gate-1", rate_per_minute=None).run(bigger)
    assert len(_sent(emulator_server)) == sent_before + 4  # the two new rows, both sides


def test_a_429_waits_and_is_sent_again(client: Any, lookup: Any, emulator_server: Any) -> None:
    _draft(client, lookup.id)
    emulator_server.emulator.set_faults(lookup.id, {"rules": [
        {"type": "sequence", "statuses": [429], "retry_after_s": 0, "operations": ["test"]}]})
    frame = DraftRegression(client, lookup.id, rate_per_minute=None).run(ParameterMatrix.product(phoneNumber=PHONES[:2]))
    assert set(frame["verdict"]) == {"equal"} and frame["published_ok"].all()
    statuses = [e.status for e in emulator_server.emulator.request_log if e.operation == "test"]
    assert statuses[0] == 429 and statuses.count(200) == 2


def test_sends_are_paced_under_the_rate(client: Any, lookup: Any) -> None:
    _draft(client, lookup.id)
    now = [0.0]
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        now[0] += seconds

    regression = DraftRegression(client, lookup.id, rate_per_minute=60, clock=lambda: now[0], sleep=sleep)
    regression.pacer.headroom = 0.0
    regression.run(ParameterMatrix.product(phoneNumber=PHONES[:3]))
    assert len(naps) == 5 and sum(naps) == pytest.approx(5.0)  # 6 sends, one a second


def test_no_draft_says_how_to_make_one(client: Any, lookup: Any) -> None:
    with pytest.raises(NotFoundError, match="create_draft"):
        DraftRegression(client, lookup.id).run(ParameterMatrix.product(phoneNumber=PHONES[:1]))


def test_offline_compares_the_configs_with_one_remote(client: Any, lookup: Any, emulator_server: Any) -> None:
    _draft(client, lookup.id, tier_path="$.loyalty.level")
    regression = DraftRegression(client, lookup.id)
    sent_before = len(_sent(emulator_server))
    matrix = ParameterMatrix.product(phoneNumber=[f"+1317555{n:04d}" for n in range(1, 301)])
    frame = regression.offline(matrix, remote=CRM_ANSWER)
    assert len(_sent(emulator_server)) == sent_before  # offline sends no test
    assert set(frame["verdict"]) == {"differs"} and set(map(tuple, frame["differences"])) == {("$.tier",)}
    assert set(frame["published_output"].map(lambda o: o["tier"])) == {"gold"}
    assert set(frame["draft_output"].map(lambda o: o["tier"])) == {"standard"}
    published, _ = regression.versions()
    same = regression.offline(matrix, remote=CRM_ANSWER, published=published, draft=published)
    assert set(same["verdict"]) == {"equal"}
    with pytest.raises(ValueError, match="remote="):
        regression.offline(matrix)


def test_compare_table() -> None:
    ok = SideResult(ok=True, output={"a": 1, "b": [1, 2]})
    assert compare(ok, SideResult(ok=True, output={"a": 1.0, "b": [1, 2]})) == ("equal", [])
    assert compare(ok, SideResult(ok=True, output={"a": True, "b": [1]})) == ("differs", ["$.a", "$.b[1]"])
    failed = SideResult(ok=False, error_class="bad_request")
    assert compare(ok, failed) == ("error_changed", [])
    assert compare(failed, SideResult(ok=False, error_class="bad_request")) == ("equal", [])
    assert compare(failed, SideResult(ok=False, error_class="remote_endpoint")) == ("error_changed", [])
    assert compare(None, ok) == ("unknown", [])
    assert differences({"x": {"y": None}}, {"x": {}}) == ["$.x.y"]
    assert parse_fail_on("differs, errors") == ("differs", "errors")
    with pytest.raises(ValueError, match="differs"):
        parse_fail_on("latency")


@pytest.fixture()
def org_env(monkeypatch: pytest.MonkeyPatch, emulator_server: Any) -> None:
    """The CLI's "real org" is the shared emulator, where the drafts of a test live."""
    monkeypatch.setenv("GENESYS_CLIENT_ID", emulator_server.client_id)
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", emulator_server.client_secret)
    monkeypatch.setenv("GENESYS_API_BASE_URL", emulator_server.url)
    monkeypatch.setenv("GENESYS_LOGIN_BASE_URL", emulator_server.url)


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text("phoneNumber\n" + "\n".join(PHONES[:4]) + "\n", encoding="utf-8")
    return path


def test_cli_gate_exit_codes(org_env: None, client: Any, lookup: Any, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    rows = _csv(tmp_path)
    assert main(["regress", lookup.id, "--matrix", str(rows)]) == 2  # no draft yet: could not run
    assert "create_draft" in capsys.readouterr().err
    _draft(client, lookup.id)
    assert main(["regress", "Get Customer By Phone", "--matrix", str(rows), "--rate-per-minute", "6000"]) == 0
    assert "no regression" in capsys.readouterr().out
    client.delete_draft(lookup.id)
    _draft(client, lookup.id, tier_path="$.loyalty.level")
    out_csv = tmp_path / "rows-out.csv"
    assert main(["regress", lookup.id, "--matrix", str(rows), "--rate-per-minute", "6000", "--out", str(out_csv)]) == 1
    printed = capsys.readouterr().out
    assert "REGRESSION: 4 row(s)" in printed and "$.tier" in printed and out_csv.is_file()
    assert main(["regress", lookup.id, "--matrix", str(rows), "--fail-on", "errors",
                 "--rate-per-minute", "6000"]) == 0
    assert main(["regress", lookup.id, "--matrix", str(tmp_path / "missing.csv")]) == 2
    assert main(["regress", lookup.id, "--matrix", str(rows), "--fail-on", "nope"]) == 2


def test_cli_offline_gate(org_env: None, client: Any, lookup: Any, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    rows = _csv(tmp_path)
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(CRM_ANSWER), encoding="utf-8")
    _draft(client, lookup.id, tier_path="$.loyalty.level")
    assert main(["regress", lookup.id, "--matrix", str(rows), "--offline", "--response", str(answer)]) == 1
    assert "offline comparison" in capsys.readouterr().out
    assert main(["regress", lookup.id, "--matrix", str(rows), "--offline"]) == 2  # --response is needed


def test_a_side_sent_and_never_recorded_stays_unknown(client: Any, lookup: Any, emulator_server: Any,
                                                      tmp_path: Path) -> None:
    from genesys_nb.audit.writer import AuditLog

    _draft(client, lookup.id)
    matrix = ParameterMatrix.product(phoneNumber=PHONES[:2])
    first_row = next(iter(matrix)).row_id
    audit = tmp_path / "regress.ndjson"
    with AuditLog(audit) as log:  # what a crash right after sending leaves behind
        log.write_intent(run_id="gate-2", row_id=f"{first_row}:draft", action_id=lookup.id, attempt=1,
                         request_sha256="")
    frame = DraftRegression(client, lookup.id, audit=audit, run_id="gate-2", rate_per_minute=None).run(matrix)
    assert list(frame["verdict"]) == ["unknown", "equal"]
    assert _sent(emulator_server).count("draft_test") == 1 and _sent(emulator_server).count("test") == 2
    assert len(DraftRegression.regressions(frame, "unknown")) == 1 and DraftRegression.regressions(frame).empty
