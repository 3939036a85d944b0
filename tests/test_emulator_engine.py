"""The emulator runs every action's own config through the engine, over real loopback HTTP.

Witnesses: the platform-shaped /test records, the execute output against the Java reference's
``expected/`` outputs, and the emulator's request log (``executed``: was the remote reached).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from genesys_nb.api.client import DataActionsClient
from genesys_nb.api.settings import Settings
from genesys_nb.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator, EmulatorTransport
from genesys_nb.engine import Recording, RemoteResponse, RenderedRequest, RouteTable
from genesys_nb.engine.steps import STEP_NAMES

REAL = Path(__file__).resolve().parents[1] / "genesys_nb" / "emulator" / "actions" / "real"
# What Apache Velocity 1.7 and Jayway JsonPath 2.10 make of each export (see the INDEX.md beside the exports).
EXPECTED_DIR = Path(__file__).resolve().parent / "fixtures" / "expected"


def _expected_files() -> list[Path]:
    return sorted((REAL / "remotes").glob("*.json"))


def _cases(name: str) -> dict[str, Any]:
    """The worked example for one bundled export: its inputs, and the output the Java reference gives."""
    return json.loads((EXPECTED_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture()
def client(settings: Settings) -> Any:
    with DataActionsClient(settings, timeout_s=10) as data_actions:
        yield data_actions


def _export_name(file: Path) -> str:
    return json.loads((REAL / file.name).read_text(encoding="utf-8"))["name"]


def test_every_bundled_export_ships_a_remote_answer() -> None:
    exports = sorted(p.name for p in REAL.glob("*.json"))
    assert len(exports) == 38
    assert sorted(p.name for p in _expected_files()) == exports
    assert sorted(p.name for p in EXPECTED_DIR.glob("*.json")) == exports


@pytest.mark.parametrize("file", _expected_files(), ids=lambda p: p.stem)
def test_every_real_export_executes_and_tests_through_its_config(file: Path, client: DataActionsClient,
                                                                emulator_server: Any) -> None:
    expected = _cases(file.name)
    action = emulator_server.emulator.action_named(_export_name(file))
    inputs = expected["cases"][0]["inputs"]
    test = client.test(action.id, inputs)
    assert test.success, test.error
    assert [op.name for op in test.operations] == list(STEP_NAMES)
    by_name = {op.name: op.result for op in test.operations}
    url = by_name["Resolve request URL template"]
    assert url == expected["cases"][0]["request_url"]
    assert by_name["Resolve request body template"] == expected["cases"][0]["request_body"]
    assert by_name["Resolve translation map"] == expected["translated"]
    assert test.final_result == json.loads(expected["success_output"])
    result = client.execute(action.id, inputs)
    assert result.ok, result.error
    assert result.output == json.loads(expected["success_output"])
    executions = [e for e in emulator_server.emulator.request_log if e.operation in ("execute", "test")]
    assert [e.executed for e in executions] == [True, True]


@pytest.fixture()
def emulator() -> Emulator:
    return Emulator(seed=7)


@pytest.fixture()
def http(emulator: Emulator) -> Any:
    with httpx.Client(transport=EmulatorTransport(emulator), base_url="https://api.example.test") as plain:
        token = plain.post("/oauth/token", auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
                           data={"grant_type": "client_credentials"})
        assert token.status_code == 200, token.text
        plain.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield plain


ACTIONS = "/api/v2/integrations/actions"
LOOKUP = {
    "name": "Lookup By Email",
    "integrationType": "custom-rest-actions",
    "config": {
        "request": {"requestUrlTemplate": "https://crm.example.com/v1/people?email=${esc.url(${input.email})}",
                    "requestType": "GET", "headers": {"Accept": "application/json"},
                    "requestTemplate": "${input.rawRequest}"},
        "response": {"translationMap": {"id": "$.person.id", "vip": "$.person.flags.vip"},
                     "translationMapDefaults": {"vip": "false"},
                     "successTemplate": "{\"personId\": ${id}, \"vip\": ${vip}}"},
    },
    "contract": {
        "input": {"inputSchema": {"type": "object", "required": ["email"],
                                  "properties": {"email": {"type": "string"}}}},
        "output": {"successSchema": {"type": "object", "properties": {"personId": {"type": "string"},
                                                                      "vip": {"type": "boolean"}}}},
    },
}


def _add(emulator: Emulator, export: dict[str, Any]) -> str:
    return emulator.add_action(json.loads(json.dumps(export))).id


def test_a_remote_set_from_python_answers_through_the_translation_map(emulator: Emulator, http: Any) -> None:
    action_id = _add(emulator, LOOKUP)
    seen: list[RenderedRequest] = []

    def crm(request: RenderedRequest) -> RemoteResponse:
        seen.append(request)
        return RemoteResponse({"person": {"id": "P-9"}})

    emulator.set_remote(action_id, crm)
    answer = http.post(f"{ACTIONS}/{action_id}/execute", json={"email": "a b@example.com"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"personId": "P-9", "vip": False}  # vip took its default
    assert seen[0].url == "https://crm.example.com/v1/people?email=a+b%40example.com"
    test = http.post(f"{ACTIONS}/{action_id}/test", json={"email": "x@example.com"}).json()
    translation = test["operations"][STEP_NAMES.index("Resolve translation map")]
    assert translation["result"] == {"id": '"P-9"', "vip": "false"}
    # The platform's operation records carry no warnings; the emulated org sends none either (the
    # offline engine.simulate keeps them).
    assert all("warnings" not in operation for operation in test["operations"])


def test_the_control_plane_sets_routes_and_clears_them(emulator: Emulator, http: Any) -> None:
    action_id = _add(emulator, LOOKUP)
    routes = [{"method": "GET", "url": "*email=vip%40*", "response": {"body": {"person": {"id": "V", "flags":
                                                                                          {"vip": True}}}}},
              {"url": "*", "response": {"status": 404, "body": {"error": "nobody"}}}]
    listed = http.put("/__emulator__/remotes", json={"action_id": action_id, "routes": routes})
    assert listed.status_code == 200 and listed.json() == {action_id: "routes"}
    assert http.post(f"{ACTIONS}/{action_id}/execute", json={"email": "vip@x"}).json() == {"personId": "V",
                                                                                          "vip": True}
    missing = http.post(f"{ACTIONS}/{action_id}/execute", json={"email": "other@x"})
    assert missing.status_code == 404
    assert missing.json()["details"] == [{"errorCode": "ACTION.REMOTE_ENDPOINT"}]
    assert "nobody" in missing.json()["errors"][0]["message"]
    cleared = http.put("/__emulator__/remotes", json={"action_id": action_id, "response": None})
    assert cleared.json() == {}
    bad = http.put("/__emulator__/remotes", json={"action_id": action_id, "routes": [{"method": "GET"}]})
    assert bad.status_code == 400 and "routes[1]" in bad.json()["message"] and "url" in bad.json()["message"]
    unknown = http.put("/__emulator__/remotes", json={"action_id": "custom_-_nope", "response": {"body": 1}})
    assert unknown.status_code == 404


def test_a_recording_replays_and_says_what_it_lacks(emulator: Emulator, http: Any) -> None:
    action_id = _add(emulator, LOOKUP)
    recording = Recording()
    recording.add({"method": "GET", "url": "https://crm.example.com/v1/people?email=r%40x", "body": ""},
                  {"person": {"id": "R"}})
    emulator.set_remote(action_id, recording)
    assert http.post(f"{ACTIONS}/{action_id}/execute", json={"email": "r@x"}).json()["personId"] == "R"
    test = http.post(f"{ACTIONS}/{action_id}/test", json={"email": "s@x"}).json()
    assert test["success"] is False
    failed = test["operations"][-1]
    assert failed["name"] == "Execute request" and "the recording has no answer" in failed["error"]["message"]


def test_a_broken_template_stops_before_the_remote_is_reached(emulator: Emulator, http: Any) -> None:
    export = json.loads(json.dumps(LOOKUP))
    export["name"] = "Broken Body"
    export["config"]["request"]["requestTemplate"] = "#if($input.email)\n{\"e\": \"$input.email\"}\n"
    action_id = _add(emulator, export)
    called: list[Any] = []
    emulator.set_remote(action_id, lambda request: called.append(request) or {"person": {"id": "P"}})
    execute = http.post(f"{ACTIONS}/{action_id}/execute", json={"email": "a@x"})
    assert execute.status_code == 400
    assert "requestTemplate" in execute.json()["message"] and "line" in execute.json()["message"]
    test = http.post(f"{ACTIONS}/{action_id}/test", json={"email": "a@x"}).json()
    assert [op["name"] for op in test["operations"]][-1] == "Resolve request body template"
    assert called == []
    assert [e.executed for e in emulator.request_log if e.operation in ("execute", "test")] == [False, False]


def test_a_path_that_finds_nothing_without_a_default_fails_the_translation_step(emulator: Emulator,
                                                                                  http: Any) -> None:
    action_id = _add(emulator, LOOKUP)
    emulator.set_remote(action_id, {"somethingElse": 1})
    execute = http.post(f"{ACTIONS}/{action_id}/execute", json={"email": "a@x"})
    assert execute.status_code == 400
    assert "id" in execute.json()["message"] and "$.person.id" in execute.json()["message"]
    entry = [e for e in emulator.request_log if e.operation == "execute"][-1]
    assert entry.executed  # the remote was called: its effect may have happened


def test_a_stand_in_that_raises_is_the_remote_failing(emulator: Emulator, http: Any) -> None:
    action_id = _add(emulator, LOOKUP)

    def broken(request: RenderedRequest) -> Any:
        raise RuntimeError("socket gone")

    emulator.set_remote(action_id, broken)
    execute = http.post(f"{ACTIONS}/{action_id}/execute", json={"email": "a@x"})
    assert execute.status_code == 500 and "socket gone" in execute.json()["message"]
    assert execute.json()["details"] == [{"errorCode": "ACTION.REMOTE_ENDPOINT"}]


def test_reset_forgets_the_stand_ins(emulator: Emulator, http: Any) -> None:
    phone = emulator.action_named("Get Customer By Phone").id
    emulator.set_remote(phone, RouteTable().add("*", "*", {"id": "FIXED", "name": {"first": "A", "last": "B"},
                                                           "email": "e", "status": "active",
                                                           "metrics": {"lifetimeValue": 1.5}}))
    fixed = http.post(f"{ACTIONS}/{phone}/execute", json={"phoneNumber": "+13175550100"}).json()
    assert fixed["customerId"] == "FIXED" and fixed["tier"] == "standard" and fixed["openTickets"] == 0
    emulator.reset()
    assert emulator.remotes == {}
    again = http.post(f"{ACTIONS}/{phone}/execute", json={"phoneNumber": "+13175550100"}).json()
    assert again["customerId"].startswith("C-")


def test_a_shipped_remote_answer_in_the_emulator_block(emulator: Emulator, http: Any) -> None:
    export = json.loads(json.dumps(LOOKUP))
    export["name"] = "Shipped Answer"
    export["emulator"] = {"remote": {"status": 200, "body": {"person": {"id": "S", "flags": {"vip": True}}}}}
    action_id = _add(emulator, export)
    assert http.post(f"{ACTIONS}/{action_id}/execute", json={"email": "a@x"}).json() == {"personId": "S",
                                                                                        "vip": True}
    export["name"] = "Bad Shipped Answer"
    export["emulator"] = {"remote": {"status": 700, "body": {}}}
    with pytest.raises(ValueError, match="emulator.remote.*status"):
        emulator.add_action(export)


def test_credentials_set_per_action_render_and_never_show(emulator: Emulator, http: Any) -> None:
    export = json.loads(json.dumps(LOOKUP))
    export["config"]["request"]["requestUrlTemplate"] += "&key=${credentials.API_Key}"
    export["config"]["request"]["headers"]["Authorization"] = "Bearer $authResponse.access_token"
    action_id = _add(emulator, export)
    seen: list[RenderedRequest] = []

    def crm(request: RenderedRequest) -> RemoteResponse:
        seen.append(request)
        return RemoteResponse({"person": {"id": "P-1"}})

    emulator.set_remote(action_id, crm)
    listed = http.put("/__emulator__/credentials", json={"action_id": action_id, "credentials": {
        "API_Key": "k-secret-1"}, "auth_response": {"access_token": "t-secret-2"}})
    assert listed.status_code == 200 and "secret" not in listed.text
    assert listed.json() == {action_id: {"credentials": ["API_Key"], "auth_response": ["access_token"]}}
    assert http.post(f"{ACTIONS}/{action_id}/execute", json={"email": "a@x"}).status_code == 200
    assert seen[-1].url.endswith("&key=k-secret-1") and seen[-1].headers["Authorization"] == "Bearer t-secret-2"
    test = http.post(f"{ACTIONS}/{action_id}/test", json={"email": "a@x"})
    assert "secret" not in test.text and "key=********" in test.text
    log = http.get("/__emulator__/requests").text
    assert "k-secret-1" not in log and "t-secret-2" not in log
    bad = http.put("/__emulator__/credentials", json={"action_id": action_id, "credentials": "k"})
    assert bad.status_code == 400 and "credentials" in bad.json()["message"]
    http.put("/__emulator__/credentials", json={"action_id": action_id})
    http.post(f"{ACTIONS}/{action_id}/execute", json={"email": "a@x"})
    assert seen[-1].url.endswith("&key=${credentials.API_Key}")
