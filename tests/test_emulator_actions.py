"""Emulated action definitions: the samples, the real exports, user folders, bad files, flattening."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from genesys_nb.contract.flatten import flatten_output, flatten_schema
from genesys_nb.emulator import (
    ActionDefinitionError,
    Emulator,
    action_id_for,
    load_action_file,
    load_actions_dir,
)
from genesys_nb.emulator.actions import REAL_ACTIONS_DIR, SAMPLE_ACTIONS_DIR
from genesys_nb.emulator.behaviours import BEHAVIOURS, BehaviourContext

SAMPLE_INPUTS = {
    "Get Customer By Phone": {"phoneNumber": "+13175550100"},
    "Update Customer Record": {"recordId": "R-1234", "email": "a@b.co", "creditLimit": 10},
    "Create Support Ticket (synthetic nested input)": {
        "customerId": "C-1", "subject": "Broken", "contact": {"email": "a@b.co"}, "tags": ["x"],
        "items": [{"sku": "A", "quantity": 2}]},
    "List Customer Orders": {"customerId": "C-000001", "maxResults": 3},
    "Get Credit Score": {"customerId": "C-000001", "bureau": "equifax"},
    "Check Inventory Availability": {"sku": "ABC-1234"},
    "Verify Customer PIN": {"customerId": "C-000001", "pin": "4821"},
    "Echo": {"message": "hello", "sequence": 1},
}


def test_samples_cover_the_required_kinds() -> None:
    samples = {action.name: action for action in load_actions_dir(SAMPLE_ACTIONS_DIR)}
    assert set(samples) == set(SAMPLE_INPUTS)
    assert samples["Verify Customer PIN"].secure
    assert samples["Create Support Ticket (synthetic nested input)"].synthetic
    assert samples["Get Credit Score"].latency is not None and samples["Get Credit Score"].latency.median_ms >= 1000
    assert samples["Check Inventory Availability"].faults.rules
    assert samples["Echo"].latency is None
    nested = samples["Create Support Ticket (synthetic nested input)"].input_schema["properties"]
    assert nested["contact"]["type"] == "object" and nested["tags"]["type"] == "array"
    for action in samples.values():
        assert action.id == action_id_for(action.name) and action.id.startswith("custom_-_")
        assert action.version >= 1 and action.category and action.integration_id


def test_real_exports_load_with_stable_ids(real_actions: list[dict[str, Any]]) -> None:
    loaded = load_actions_dir(REAL_ACTIONS_DIR)
    assert sorted(a.name for a in loaded) == sorted(export["name"] for export in real_actions)
    assert all(a.behaviour == "synthesize" for a in loaded)
    again = {a.name: a.id for a in load_actions_dir(REAL_ACTIONS_DIR)}
    assert again == {a.name: a.id for a in loaded}


@pytest.mark.parametrize("path", sorted(SAMPLE_ACTIONS_DIR.glob("*.json")) + sorted(REAL_ACTIONS_DIR.glob("*.json")),
                         ids=lambda p: p.name)
def test_every_output_satisfies_its_success_schema(path: Path) -> None:
    action = load_action_file(path)
    inputs = SAMPLE_INPUTS.get(action.name, {"any": "input"})
    assert not list(Draft4Validator(action.input_schema).iter_errors(inputs)) or action.name not in SAMPLE_INPUTS
    output = BEHAVIOURS[action.behaviour](inputs, BehaviourContext(action.success_schema, {}))
    assert list(Draft4Validator(action.success_schema).iter_errors(output)) == []
    if action.behaviour != "update_record":  # same input, same output
        assert output == BEHAVIOURS[action.behaviour](inputs, BehaviourContext(action.success_schema, {}))


def test_user_folder_is_loaded(tmp_path: Path) -> None:
    export = json.loads((REAL_ACTIONS_DIR / "get-user-external-id.json").read_text(encoding="utf-8"))
    export["name"] = "My Own Action"
    export["emulator"] = {"behaviour": "echo", "latency": {"fixed_ms": 5}, "category": "Mine", "version": 4}
    (tmp_path / "mine.json").write_text(json.dumps(export), encoding="utf-8")
    emulator = Emulator(actions_dir=tmp_path)
    action = emulator.action_named("My Own Action")
    assert (action.category, action.version, action.behaviour) == ("Mine", 4, "echo")
    assert action.source.endswith("mine.json")


def _export(**changes: Any) -> dict[str, Any]:
    data = json.loads((REAL_ACTIONS_DIR / "get-user-external-id.json").read_text(encoding="utf-8"))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not valid JSON (line 1"),
        (json.dumps([1]), "expected a JSON object"),
        (json.dumps(_export(name="")), "missing 'name'"),
        (json.dumps(_export(contract={"input": {}})), "contract.input.inputSchema"),
        (json.dumps(_export(contract={"input": {"inputSchema": {"type": "object", "required": "x"}},
                                      "output": {"successSchema": {}}})), "not a valid JSON Schema"),
        (json.dumps(_export(secure="yes")), "'secure' must be true or false"),
        (json.dumps(_export(config={"timeoutSeconds": 90})), "timeoutSeconds' must be an integer 1..60"),
        (json.dumps(_export(emulator={"behaviour": "teleport"})), "unknown emulator.behaviour 'teleport'"),
        (json.dumps(_export(emulator={"colour": 1})), "unknown key(s) in 'emulator': colour"),
        (json.dumps(_export(emulator={"faults": [{"type": "storm"}]})), "fault rule #0"),
    ],
)
def test_bad_action_files_name_the_file_and_the_problem(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ActionDefinitionError) as info:
        Emulator(actions_dir=tmp_path)
    assert str(path) in str(info.value) and words in str(info.value)


def test_duplicate_names_name_both_files(tmp_path: Path) -> None:
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(_export(name="Twice")), encoding="utf-8")
    with pytest.raises(ActionDefinitionError, match=r"b\.json.*already defined in .*a\.json"):
        Emulator(actions_dir=tmp_path, include_real_actions=False)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ActionDefinitionError, match="not a directory"):
        Emulator(actions_dir=tmp_path / "nope")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": {"b": 1, "c": {"d": "x"}}}, {"a.b": 1, "a.c.d": "x"}),
        ({"tags": ["x", "y"]}, {"tags": ["x", "y"]}),
        ({"rows": [{"id": 1, "n": {"v": 2}}, {"id": 3}]}, {"rows.id": [1, 3], "rows.n.v": [2, None]}),
        ({"empty": {}, "none": None}, {"empty": {}, "none": None}),
        ([1, 2], [1, 2]),
    ],
)
def test_flatten_output(value: Any, expected: Any) -> None:
    assert flatten_output(value) == expected


def test_flatten_schema_marks_array_properties() -> None:
    events = load_action_file(REAL_ACTIONS_DIR / "get-events.json")
    schema, arrays = flatten_schema(events.success_schema)
    assert {"totalSize", "done", "records.Id", "records.attributes.type"} <= set(schema["properties"])
    assert schema["properties"]["records.attributes.url"] == {"type": "array", "items": {"type": "string"}}
    assert "records.Id" in arrays and "totalSize" not in arrays
    output = BEHAVIOURS["synthesize"]({"q": 1}, BehaviourContext(events.success_schema, {}))
    assert list(Draft4Validator(schema).iter_errors(flatten_output(output))) == []


def test_a_behaviour_that_does_not_fit_its_contract_answers_500(tmp_path: Path) -> None:
    export = _export(name="Mismatched")
    export["emulator"] = {"behaviour": "update_record"}  # needs recordId, which this contract lacks
    emulator = Emulator(actions=[export], include_real_actions=False, include_sample_actions=False)
    from genesys_nb.emulator import EmulatorRequest

    login = emulator.handle(EmulatorRequest.build("POST", "/oauth/token", "", {}, (
        f"grant_type=client_credentials&client_id={emulator.client_id}&client_secret=emulator-demo-secret").encode()))
    auth = {"authorization": f"Bearer {login.json()['access_token']}"}
    action = emulator.action_named("Mismatched")
    decision = emulator.handle(EmulatorRequest.build(
        "POST", f"/api/v2/integrations/actions/{action.id}/execute", "", auth,
        b'{"USER_ID": "0f8fad5b-d9cb-469f-a165-70867728950e"}'))
    body = decision.json()
    assert decision.status == 500 and body["details"] == [{"errorCode": "ACTION.REMOTE_ENDPOINT"}]
    assert "update_record" in body["errors"][0]["message"] and "KeyError" in body["errors"][0]["message"]
