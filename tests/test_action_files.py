"""Actions as files: the export formatter, the diff, pull, push, publish, over loopback to the emulator.

The whole round (pull, edit, diff, push, gate, publish) runs through the CLI against the emulator, and
every bundled real export goes through push, publish and pull unchanged.
"""
from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
from genesys_nb.api.export import (
    ExportError,
    canonical_export,
    export_file_name,
    export_file_names,
    format_export,
    read_export,
    to_export,
)
from genesys_nb.api.export_diff import diff_exports
from genesys_nb.cli import main
from genesys_nb.emulator import Emulator, EmulatorServer
from genesys_nb.run.action_files import check_export_parses, publish, push

LOOKUP = "Get Customer By Phone"
PHONES = [f"+1317555{n:04d}" for n in range(101, 105)]
CRM_ANSWER = {"id": "C-1", "name": {"first": "Ada", "last": "Lovelace"}, "email": "ada@example.com",
              "loyalty": {"tier": "gold"}, "status": "active", "support": {"openTickets": 1},
              "metrics": {"lifetimeValue": 12.5}}
STATIC = "Get User Routing Status"  # the one static action among the real exports


def _sent(server: Any, *operations: str) -> list[Any]:
    return [entry for entry in server.emulator.request_log if entry.operation in operations]


@pytest.fixture()
def client(emulator_server: Any) -> Iterator[DataActionsClient]:
    emulator_server.emulator.set_limits(rate_per_minute=100_000)
    with DataActionsClient(emulator_server.settings()) as sync_client:
        yield sync_client


@pytest.fixture()
def org_env(monkeypatch: pytest.MonkeyPatch, emulator_server: Any) -> None:
    """The CLI's "real org" is the shared emulator, so drafts live on between commands."""
    monkeypatch.setenv("GENESYS_CLIENT_ID", emulator_server.client_id)
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", emulator_server.client_secret)
    monkeypatch.setenv("GENESYS_API_BASE_URL", emulator_server.url)
    monkeypatch.setenv("GENESYS_LOGIN_BASE_URL", emulator_server.url)


# ---- the format -------------------------------------------------------------------------------------
def test_the_formatter_is_stable_and_keeps_the_admin_ui_order(real_actions_dir: Path) -> None:
    files = sorted(real_actions_dir.glob("*.json"))
    assert len(files) == 38
    unchanged = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        formatted = format_export(json.loads(text))
        assert format_export(json.loads(formatted)) == formatted, path.name  # a second pass changes nothing
        assert list(json.loads(formatted)) == ["name", "integrationType", "actionType", "config", "contract",
                                               "secure"]
        assert formatted.endswith("}\n") and "\\u00e9" not in formatted
        unchanged += formatted.rstrip("\n") == text.rstrip("\n")
    assert unchanged >= 20  # most exports already are in this form; the rest only move schema keywords


def test_key_order_and_platform_uris_do_not_change_the_file() -> None:
    export = json.loads((Path(__file__).parents[1] / "genesys_nb/emulator/actions/echo.json").read_text())
    export.pop("emulator")
    shuffled = {key: export[key] for key in reversed(list(export))}
    shuffled["config"] = {"response": {**export["config"]["response"], "successTemplateUri": "/x/successtemplate.vm"},
                          "request": {**export["config"]["request"], "requestTemplateUri": "/x/requesttemplate.vm"},
                          "timeoutSeconds": 5}
    schema = export["contract"]["input"]["inputSchema"]
    shuffled["contract"] = {"output": export["contract"]["output"],
                            "input": {"inputSchema": {key: schema[key] for key in reversed(list(schema))}}}
    assert format_export(shuffled) == format_export(export)
    assert "TemplateUri" not in format_export(shuffled)
    # the order the author gave fields and translation entries is kept
    assert list(canonical_export(export)["contract"]["input"]["inputSchema"]["properties"]) == ["message", "sequence"]


def test_file_names_are_readable_and_never_collide() -> None:
    assert export_file_name("Get User ID by Email") == "get-user-id-by-email.json"
    assert export_file_name("LBP - AuthentifierClient (é’)") == "lbp-authentifierclient-e.json"
    assert export_file_name("???") == "action.json"
    names = export_file_names([("custom_-_aaaa-11111111", "Lookup"), ("custom_-_bbbb-22222222", "lookup!"),
                               ("custom_-_cccc", "Other")])
    assert names == {"custom_-_aaaa-11111111": "lookup--11111111.json",
                     "custom_-_bbbb-22222222": "lookup--22222222.json", "custom_-_cccc": "other.json"}


def test_a_file_that_is_not_an_export_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "X", "config": {}, "contract": {"input": {}}}', encoding="utf-8")
    with pytest.raises(ExportError, match=r"bad.json: 'contract.input.inputSchema'"):
        read_export(bad)
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ExportError, match="not JSON .line 1"):
        read_export(bad)
    with pytest.raises(ExportError, match="no such file"):
        read_export(tmp_path / "missing.json")


# ---- the diff ---------------------------------------------------------------------------------------
def _real(real_actions_dir: Path, name: str = "get-user-id-by-email.json") -> dict[str, Any]:
    return json.loads((real_actions_dir / name).read_text(encoding="utf-8"))


def test_diff_shows_templates_by_line_and_the_rest_as_json_paths(real_actions_dir: Path) -> None:
    old = _real(real_actions_dir)
    new = copy.deepcopy(old)
    new["config"]["request"]["requestTemplate"] = old["config"]["request"]["requestTemplate"].replace(
        '"workemail",', "")
    new["config"]["request"]["headers"]["Accept"] = "*/*"
    new["contract"]["input"]["inputSchema"]["properties"]["email"]["maxLength"] = 320
    new["config"]["response"]["translationMap"]["results_id"] = "$.results[1].id"
    result = diff_exports(old, new, a_label="org", b_label="file")
    assert result and result.paths == [
        "$.config.request.headers.Accept", "$.config.request.requestTemplate",
        "$.config.response.translationMap.results_id",
        "$.contract.input.inputSchema.properties.email.maxLength"]
    text = result.text()
    assert text.startswith("--- org\n+++ file\n")
    assert '-  5 |         "fields": ["workemail","email"],' in text
    assert '+  5 |         "fields": ["email"],' in text
    assert '~ $.config.response.translationMap.results_id: "$.results[0].id" -> "$.results[1].id"' in text
    assert "+ $.contract.input.inputSchema.properties.email.maxLength: 320" in text


def test_diff_ignores_key_order_but_not_list_order(real_actions_dir: Path) -> None:
    old = _real(real_actions_dir, "get-events.json")
    reordered = {key: old[key] for key in reversed(list(old))}
    assert not diff_exports(old, reordered)
    swapped = copy.deepcopy(old)
    swapped["contract"]["input"]["inputSchema"]["required"].reverse()
    assert diff_exports(old, swapped).paths == ["$.contract.input.inputSchema.required"]
    crlf = copy.deepcopy(old)
    crlf["config"]["response"]["successTemplate"] = old["config"]["response"]["successTemplate"] + "\n"
    assert "only the line ends differ" in diff_exports(old, crlf).text()
    dotted = copy.deepcopy(old)
    dotted["contract"]["output"]["successSchema"]["properties"]["a.b"] = {"type": "string"}
    assert diff_exports(old, dotted).paths == ['$.contract.output.successSchema.properties["a.b"]']


# ---- pull -------------------------------------------------------------------------------------------
def test_pull_writes_every_action_in_the_export_format(client: DataActionsClient, real_actions_dir: Path,
                                                       tmp_path: Path) -> None:
    pulled = client.pull(out_dir=tmp_path)
    assert len(pulled) == len(client.list_actions()) == len(list(tmp_path.glob("*.json")))
    by_name = {item.name: item for item in pulled}
    for path in real_actions_dir.glob("*.json"):
        original = json.loads(path.read_text(encoding="utf-8"))
        item = by_name[original["name"]]
        assert item.path is not None and item.path.read_text(encoding="utf-8") == format_export(original), path.name
    assert by_name[STATIC].export["actionType"] == "static"
    assert all(item.note is None for item in pulled)
    assert "client_secret" not in "".join(item.text for item in pulled)


def test_pull_reads_every_page_past_250(tmp_path: Path) -> None:
    template = json.loads((Path(__file__).parents[1] / "genesys_nb/emulator/actions/echo.json").read_text())
    template.pop("emulator")
    many = [{**copy.deepcopy(template), "name": f"Echo {n:03d}"} for n in range(260)]
    emulator = Emulator(actions=many, include_real_actions=False, include_sample_actions=False,
                        rate_per_minute=100_000)
    with EmulatorServer(emulator=emulator) as server, DataActionsClient(server.settings()) as sync_client:
        pulled = sync_client.pull(out_dir=tmp_path)
        pages = [entry for entry in server.emulator.request_log if entry.operation == "list"]
    assert len(pulled) == 260 and len(list(tmp_path.glob("echo-*.json"))) == 260
    assert len(pages) == 3  # 100 + 100 + 60


def test_async_pull_and_diff_match_the_sync_ones(client: DataActionsClient, emulator_server: Any,
                                                 tmp_path: Path) -> None:
    sync_pulled = client.pull([LOOKUP, STATIC], out_dir=tmp_path / "sync")

    async def run() -> tuple[Any, Any]:
        async with AsyncDataActionsClient(emulator_server.settings()) as async_client:
            pulled = await async_client.pull([LOOKUP, STATIC], out_dir=tmp_path / "async")
            return pulled, await async_client.diff(tmp_path / "async")

    async_pulled, async_diff = asyncio.run(run())
    assert [p.text for p in async_pulled] == [p.text for p in sync_pulled]
    assert not async_diff and not client.diff(tmp_path / "sync")
    assert async_diff.text().endswith("0 of 2 action(s) differ, 2 the same")


# ---- push and publish, from Python ------------------------------------------------------------------
def test_push_refuses_what_would_not_parse_and_sends_nothing_for_it(client: DataActionsClient, emulator_server: Any,
                                                                    tmp_path: Path) -> None:
    good, broken = client.pull([LOOKUP, "Echo"], out_dir=tmp_path)
    export = json.loads(broken.path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    export["config"]["request"]["requestTemplate"] = "#if($input.message) unclosed"
    export["config"]["response"]["translationMap"] = {"x": "$.[broken"}
    broken.path.write_text(json.dumps(export), encoding="utf-8")  # type: ignore[union-attr]
    problems, warnings = check_export_parses(export)
    assert len(problems) == 2 and not warnings
    results = push(client, [good.path, broken.path])  # type: ignore[list-item]
    assert [r.status for r in results] == ["pushed", "refused"]
    assert results[0].ok and results[0].created == "draft" and results[0].draft_version == 2
    assert any("requestTemplate" in line for line in results[1].problems)
    assert any("translationMap.x" in line for line in results[1].problems)
    touched = {entry.action_id for entry in _sent(emulator_server, "draft_create", "draft_update")}
    assert touched == {good.action_id}  # the refused file reached nothing


def test_push_into_an_existing_draft_patches_its_current_version(client: DataActionsClient, tmp_path: Path) -> None:
    [item] = client.pull([LOOKUP], out_dir=tmp_path)
    first = push(client, [item.path])[0]  # type: ignore[list-item]
    again = push(client, tmp_path)[0]  # a folder: every file in it
    assert (first.created, again.created) == ("draft", None)
    assert again.draft_version == (first.draft_version or 0) + 1


def test_a_new_action_is_created_as_a_draft_and_published(client: DataActionsClient, emulator_server: Any,
                                                          tmp_path: Path) -> None:
    [item] = client.pull(["Echo"], out_dir=tmp_path)
    export = json.loads(item.path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    export["name"] = "Echo Copy"
    path = tmp_path / "echo-copy.json"
    path.write_text(format_export(export), encoding="utf-8")
    refused = push(client, [path])[0]
    assert refused.status == "failed" and "create=True" in (refused.error or "")
    created = push(client, [path], create=True)[0]
    assert created.ok and created.created == "action"
    from genesys_nb.run.matrix import ParameterMatrix

    matrix = ParameterMatrix.from_schema(client.get_draft(created.action_id or "")) + ParameterMatrix.product(
        message=["hello", "again"])
    result = publish(client, "Echo Copy", gate=matrix, rate_per_minute=None)  # alone: nothing to compare with
    assert result.published and (result.old_version, result.new_version) == (None, 1)
    assert result.gate is not None and set(result.gate["verdict"]) == {"ok", "rejected"}
    assert result.gate["expected_invalid"].sum() == (result.gate["verdict"] == "rejected").sum() > 0
    assert "version none (a new action) -> v1" in result.summary()
    assert client.pull(["Echo Copy"])[0].text == format_export(export)
    broken = copy.deepcopy(export)  # a new action whose translation finds nothing: the gate stops it
    broken["name"] = "Echo Broken"
    broken["config"]["response"]["translationMap"] = {"echoed": "$.nowhere"}
    broken["config"]["response"]["successTemplate"] = '{"message": ${echoed}}'
    broken_path = tmp_path / "echo-broken.json"
    broken_path.write_text(format_export(broken), encoding="utf-8")
    assert push(client, [broken_path], create=True)[0].ok
    stopped = publish(client, "Echo Broken", gate=ParameterMatrix.product(message=["hello"]),
                      offline_response={"message": "hello"})
    assert not stopped.published and list(stopped.regressions["verdict"]) == ["error"]  # type: ignore[index]
    assert "fail the gate" in stopped.summary()

    export["name"] = "Echo Elsewhere"
    path.write_text(format_export(export), encoding="utf-8")
    elsewhere = push(client, [path], create=True, integration="Nope")[0]
    assert elsewhere.status == "failed" and "integration 'Nope'" in (elsewhere.error or "")
    assert "Web Services Data Actions" in (elsewhere.error or "")  # the integrations it does have


# ---- the whole round through the CLI ----------------------------------------------------------------
def _rows(tmp_path: Path) -> Path:
    rows = tmp_path / "rows.csv"
    rows.write_text("phoneNumber\n" + "\n".join(PHONES) + "\n", encoding="utf-8")
    return rows


def test_pull_edit_diff_push_gate_publish_catches_a_broken_translation_map(
        org_env: None, client: DataActionsClient, emulator_server: Any, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "actions"
    assert main(["actions", "pull", LOOKUP, "-o", str(folder)]) == 0
    path = folder / "get-customer-by-phone.json"
    assert f"{path}  ({LOOKUP}, v" in capsys.readouterr().out
    assert main(["actions", "diff", str(folder)]) == 0  # just pulled: the same as the org
    assert "0 of 1 action(s) differ" in capsys.readouterr().out

    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace('"tier": "$.loyalty.tier"', '"tier": "$.loyalty.level"'), encoding="utf-8")
    assert main(["actions", "diff", str(path)]) == 1
    printed = capsys.readouterr().out
    assert '~ $.config.response.translationMap.tier: "$.loyalty.tier" -> "$.loyalty.level"' in printed

    assert main(["actions", "push", str(path)]) == 0
    assert "draft validation: valid" in capsys.readouterr().out
    assert main(["actions", "diff", str(path), LOOKUP, "--draft"]) == 0  # the draft is the file now

    published_before = client.get_action(client.pull([LOOKUP])[0].action_id).version
    rows = _rows(tmp_path)
    assert main(["actions", "publish", LOOKUP, "--gate", str(rows), "--rate-per-minute", "6000"]) == 1
    printed = capsys.readouterr().out
    assert "NOT published" in printed and "$.tier" in printed and f"{len(PHONES)} row(s) fail the gate" in printed
    assert not _sent(emulator_server, "draft_publish")  # the gate said no: nothing was published
    assert client.get_draft(client.pull([LOOKUP])[0].action_id)  # and the draft is kept

    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(CRM_ANSWER), encoding="utf-8")
    assert main(["actions", "publish", LOOKUP, "--gate", str(rows), "--offline", "--response", str(answer)]) == 1
    assert "gate (offline)" in capsys.readouterr().out

    path.write_text(original, encoding="utf-8")  # the fix
    assert main(["actions", "push", str(path)]) == 0
    capsys.readouterr()
    assert main(["actions", "publish", LOOKUP, "--gate", str(rows), "--rate-per-minute", "6000"]) == 0
    printed = capsys.readouterr().out
    assert f"published '{LOOKUP}'" in printed and f"version v{published_before} -> v{published_before + 1}" in printed
    assert len(_sent(emulator_server, "draft_publish")) == 1
    assert main(["actions", "diff", str(folder)]) == 0  # the org now holds exactly the file


def test_cli_usage_errors_exit_2(org_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["actions", "pull", "-o", str(tmp_path)]) == 2
    assert "--all" in capsys.readouterr().err
    assert main(["actions", "publish", LOOKUP]) == 2  # no draft
    assert "push a file first" in capsys.readouterr().err
    assert main(["actions", "publish", LOOKUP, "--offline"]) == 2
    assert main(["actions", "diff", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["actions", "push", str(tmp_path / "missing.json")]) == 1  # that file fails alone
    assert main(["actions", "pull", "No Such Action", "-o", str(tmp_path)]) == 2


# ---- every real export goes through push, publish and pull unchanged ---------------------------------
ODD_DEFAULT = "get-call-offered-count.json"  # a translation default '[0].[0]' that is no JSON literal


def test_every_real_export_round_trips_through_push_pull_and_publish(client: DataActionsClient,
                                                                     real_actions_dir: Path) -> None:
    files = sorted(real_actions_dir.glob("*.json"))
    results = push(client, files)
    assert [r.status for r in results] == ["pushed"] * len(files)
    assert [Path(r.file).name for r in results if not r.ok] == [ODD_DEFAULT]  # the draft says so, pushed anyway
    odd = next(r for r in results if Path(r.file).name == ODD_DEFAULT)
    assert odd.warnings and any("translationMapDefaults.count" in m for m in odd.validation.messages)  # type: ignore[union-attr]
    drafts = {item.name: item.text for item in client.pull(draft=True)}
    for path in files:
        original = json.loads(path.read_text(encoding="utf-8"))
        assert drafts[original["name"]] == format_export(original), path.name
    for result in results:
        if result.ok:
            assert publish(client, result.action_id or "").published
    assert not publish(client, odd.action_id or "").published  # the emulator's validation refuses it
    pulled = {item.name: item.text for item in client.pull()}
    for path in files:
        original = json.loads(path.read_text(encoding="utf-8"))
        assert pulled[original["name"]] == format_export(original), path.name


def test_real_exports_created_in_an_empty_org_round_trip(real_actions_dir: Path, tmp_path: Path) -> None:
    """Static actions come with their integration and cannot be created; every custom one can."""
    emulator = Emulator(include_real_actions=False, include_sample_actions=False, rate_per_minute=100_000)
    files = [p for p in sorted(real_actions_dir.glob("*.json")) if read_export(p)["actionType"] == "custom"]
    assert len(files) == 37
    with EmulatorServer(emulator=emulator) as server, DataActionsClient(server.settings()) as sync_client:
        results = push(sync_client, files, create=True)
        assert [r.created for r in results] == ["action"] * len(files)
        sync_client.pull(out_dir=tmp_path, draft=True)
        assert not sync_client.diff(tmp_path.as_posix(), real_actions_dir.as_posix()).only_in_a
    for path in files:
        pulled = tmp_path / export_file_name(read_export(path)["name"])
        assert pulled.read_text(encoding="utf-8") == format_export(read_export(path)), path.name


def test_to_export_needs_the_contract_and_config(client: DataActionsClient) -> None:
    listed = client.list_actions(name="Echo")[0]  # a listing carries neither
    with pytest.raises(ExportError, match="includeConfig"):
        to_export(listed, integration_type="custom-rest-actions")


# ---- reads that meet a 429, a token without the integrations permission, the integrations surface --------
def test_pull_waits_out_a_429_and_reads_again(client: DataActionsClient, emulator_server: Any) -> None:
    lookup = emulator_server.emulator.action_named(LOOKUP)
    emulator_server.emulator.set_faults(lookup.id, {"rules": [
        {"type": "sequence", "statuses": [429], "retry_after_s": 0, "operations": ["get"]}]})
    [item] = client.pull([LOOKUP])
    assert item.export["name"] == LOOKUP
    statuses = [entry.status for entry in _sent(emulator_server, "get") if entry.action_id == lookup.id]
    assert statuses == [429, 200]


def test_without_the_integrations_permission_pull_says_what_it_left_out(emulator_server: Any) -> None:
    emulator_server.emulator.add_client("reader", "reader-secret", ["integrations:action:view"])
    settings = emulator_server.settings().__class__("reader", "reader-secret", api_base_url=emulator_server.url,
                                                    login_base_url=emulator_server.url)
    with DataActionsClient(settings) as reader:
        [item] = reader.pull(["Echo"])
    assert "integrationType" not in item.export and "integrations:integration:view" in (item.note or "")


def test_the_emulator_serves_the_orgs_integrations(client: DataActionsClient, emulator_server: Any) -> None:
    integrations = client.list_integrations()
    kinds = [i.integration_type for i in integrations]
    assert kinds == ["purecloud-data-actions", "custom-rest-actions", "salesforce-datadip"]
    assert client.get_integration(integrations[1].id).name == "Web Services Data Actions"
    assert [i.name for i in client.list_integrations(integration_type="salesforce-datadip")] == [
        "Salesforce Data Actions"]
    from genesys_nb.api.errors import BadRequestError, NotFoundError

    with pytest.raises(NotFoundError):
        client.get_integration("00000000-0000-4000-8000-000000000000")
    echo = client.get_action(emulator_server.emulator.action_named("Echo").id)
    body = {"name": "Nowhere", "category": "X", "integrationId": "not-an-integration", "config": echo.config,
            "contract": {"input": {"inputSchema": echo.input_schema}, "output": {"successSchema": echo.success_schema}}}
    with pytest.raises(BadRequestError, match="integrationId"):
        client.create_draft(body)


def test_a_missing_folder_is_named_not_looked_up_as_an_action(client: DataActionsClient, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no such file or folder"):
        client.diff(f"{tmp_path}/missing/")
    with pytest.raises(ExportError, match="no such file or folder"):
        client.diff(tmp_path / "missing")


def test_cli_pulls_a_category_and_diffs_two_folders(org_env: None, client: DataActionsClient, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    lookup = client.get_action(client.pull([LOOKUP])[0].action_id)
    in_category = [a.name for a in client.list_actions(category=lookup.category)]
    assert main(["actions", "pull", "--category", lookup.category or "", "-o", str(tmp_path / "a")]) == 0
    assert f"{len(in_category)} action(s) pulled" in capsys.readouterr().out
    assert main(["actions", "pull", "--all", "-o", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert main(["actions", "diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 1  # b has every other action
    printed = capsys.readouterr().out
    others = len(client.list_actions()) - len(in_category)
    assert f"0 of {len(in_category)} action(s) differ" in printed and f"{others} only in {tmp_path / 'b'}" in printed
    assert main(["actions", "diff", str(tmp_path / "a"), str(tmp_path / "a")]) == 0


def test_cli_creates_a_new_action_and_publishes_it_behind_its_own_gate(
        org_env: None, client: DataActionsClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [item] = client.pull(["Echo"])
    export = copy.deepcopy(item.export)
    export["name"] = "Echo From CI"
    path = tmp_path / "echo-from-ci.json"
    path.write_text(format_export(export), encoding="utf-8")
    rows = tmp_path / "rows.csv"
    rows.write_text("message\nhello\nthere\n", encoding="utf-8")
    assert main(["actions", "push", str(path)]) == 1  # not in the org, and no --create
    assert "create" in capsys.readouterr().out
    assert main(["actions", "push", str(path), "--create", "--category", "From CI"]) == 0
    assert "new action, as a draft" in capsys.readouterr().out
    assert main(["actions", "publish", "Echo From CI", "--gate", str(rows), "--rate-per-minute", "6000"]) == 0
    printed = capsys.readouterr().out
    assert "alone (never published) over 2 row(s): 2 ok" in printed
    assert "version none (a new action) -> v1" in printed
    assert client.list_actions(name="Echo From CI")[0].category == "From CI"


def test_the_session_carries_all_four_from_python(emulator_server: Any, tmp_path: Path) -> None:
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.session import Session

    emulator_server.emulator.set_limits(rate_per_minute=100_000)
    with Session(emulator_server.settings()) as session:
        [item] = session.pull([LOOKUP], out_dir=tmp_path)
        export = json.loads(item.path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
        export["config"]["response"]["translationMap"]["tier"] = "$.loyalty.nowhere"
        item.path.write_text(format_export(export), encoding="utf-8")  # type: ignore[union-attr]
        assert session.diff(tmp_path)  # the file now differs from the org
        [pushed] = session.push(tmp_path)
        assert pushed.ok and pushed.created == "draft"
        gate = ParameterMatrix.product(phoneNumber=PHONES[:2])
        stopped = session.publish(LOOKUP, gate=gate, offline_response=CRM_ANSWER, rate_per_minute=None)
        assert not stopped.published and len(stopped.regressions) == 2  # type: ignore[arg-type]
    assert not [e for e in emulator_server.emulator.request_log if e.operation == "draft_publish"]
