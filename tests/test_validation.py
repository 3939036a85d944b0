"""DataActionValidator against the real exported contracts: messages, paths, drafts, caching."""
from __future__ import annotations

import asyncio
import copy
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
from genesys_nb.api.errors import InputValidationError
from genesys_nb.api.models import Action, FieldError
from genesys_nb.api.settings import Settings
from genesys_nb.contract.validator import (
    REDACTED,
    CompiledContract,
    ContractSchemaError,
    DataActionValidator,
    compile_contract,
    compile_schema,
    fast_check,
    field_errors,
    json_path,
)

UUID = "3f0c2c1e-8a51-4c61-9d7e-2a4f1f6b9e10"

# One valid input per real export (keyed by the export's name).
VALID_INPUTS: dict[str, dict[str, Any]] = {
    "Create Callback Extended with Data": {"callbackNumber": "+13175550100", "queueId": UUID, "priority": "5"},
    "Fetch External Contact by Identifier": {"type": "Email", "value": "ann@example.com"},
    "Get Events": {"ownerId": "005gK000003Qg9x", "maxResults": 10, "startDate": "2024-01-01T00:00:00Z",
                   "endDate": "2024-01-31T23:59:59Z"},
    "Get On Queue Agent Counts": {"queueId": UUID},
    "Get Queue Metrics oWaiting And oInteracting - Exported 2021-03-03 @ 22:05": {
        "queueId": UUID, "mediaType": "voice"},
    "Get User External ID - Exported 2021-03-03 @ 22:05": {"USER_ID": UUID},
    "LBP - AuthentifierClient": {"idBEL": "1234567890", "motDePasse": "c2VjcmV0", "vecteurInitialisation": UUID,
                                 "keyAlias": "k1", "algoChiffrement": "AES/GCM", "dateDebutInteraction": "2024"},
    "Update Data Table Row": {"Key": "row 1", "IntFieldName1": "n", "IntFieldValue1": 3,
                              "BoolFieldName1": "b", "BoolFieldValue1": False},
}
# Every other packaged export: the inputs of its worked example (tests/fixtures/expected, the Java
# reference's own cases), which must satisfy its contract too.
_EXPECTED = Path(__file__).resolve().parent / "fixtures" / "expected"
_PACKAGED = Path(__file__).resolve().parents[1] / "genesys_nb" / "emulator" / "actions" / "real"
for _file in sorted(_EXPECTED.glob("*.json")):
    _name = json.loads((_PACKAGED / _file.name).read_text(encoding="utf-8"))["name"]
    VALID_INPUTS.setdefault(_name, json.loads(_file.read_text(encoding="utf-8"))["cases"][0]["inputs"])

# (export name, inputs, expected violations as (path, validator)).
VIOLATIONS: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("Get User External ID - Exported 2021-03-03 @ 22:05", {"USER_ID": "abc"},
     [("$.USER_ID", "minLength"), ("$.USER_ID", "pattern")]),
    ("Get User External ID - Exported 2021-03-03 @ 22:05", {"USER_ID": "z" * 36}, [("$.USER_ID", "pattern")]),
    ("Get User External ID - Exported 2021-03-03 @ 22:05", {"USER_ID": UUID + "a"},
     [("$.USER_ID", "maxLength"), ("$.USER_ID", "pattern")]),
    ("Get User External ID - Exported 2021-03-03 @ 22:05", {}, [("$.USER_ID", "required")]),
    ("Get Queue Metrics oWaiting And oInteracting - Exported 2021-03-03 @ 22:05", {"mediaType": "fax"},
     [("$.mediaType", "enum"), ("$.queueId", "required")]),
    ("Fetch External Contact by Identifier", {"type": "phone", "value": 5},
     [("$.type", "enum"), ("$.value", "type")]),
    ("Get Events", {"ownerId": "x", "maxResults": "10", "startDate": "a"},
     [("$.endDate", "required"), ("$.maxResults", "type")]),
    ("Get Events", {"ownerId": "x", "maxResults": 10.5, "startDate": "a", "endDate": "b"},
     [("$.maxResults", "type")]),
    ("Get Events", {"ownerId": "x", "maxResults": True, "startDate": "a", "endDate": "b"},
     [("$.maxResults", "type")]),
    # Draft-04: 1.0 is a number but not an integer.
    ("Update Data Table Row", {"IntFieldValue1": 1.0, "BoolFieldValue1": "true", "BoolFieldValue2": 1},
     [("$.BoolFieldValue1", "type"), ("$.BoolFieldValue2", "type"), ("$.IntFieldValue1", "type"),
      ("$.Key", "required")]),
    ("Create Callback Extended with Data", {}, [("$.callbackNumber", "required"), ("$.queueId", "required")]),
    ("Create Callback Extended with Data", {"callbackNumber": "1", "queueId": "q", "priority": 5},
     [("$.priority", "type")]),
    ("Get On Queue Agent Counts", {"queueId": None}, [("$.queueId", "type")]),
    ("Get On Queue Agent Counts", ["not", "an", "object"], [("$", "type")]),  # type: ignore[list-item]
    ("LBP - AuthentifierClient", {"idBEL": "12345678901", "motDePasse": "p", "keyAlias": "k",
                                  "algoChiffrement": "a", "dateDebutInteraction": "d"},
     [("$.idBEL", "maxLength"), ("$.vecteurInitialisation", "required")]),
]


@pytest.fixture()
def actions(real_actions: list[dict[str, Any]]) -> dict[str, Action]:
    return {export["name"]: Action.from_export(export) for export in real_actions}


@pytest.fixture()
def validator(actions: dict[str, Action]) -> DataActionValidator:
    checker = DataActionValidator()
    for action in actions.values():
        checker.prime(action)
    return checker


def test_every_real_export_has_a_valid_input_case(actions: dict[str, Action]) -> None:
    assert set(actions) == set(VALID_INPUTS)


@pytest.mark.parametrize("name", sorted(VALID_INPUTS))
def test_valid_input_of_each_real_action_passes(name: str, actions: dict[str, Action],
                                                validator: DataActionValidator) -> None:
    action_id = actions[name].id
    assert validator.check_input(action_id, VALID_INPUTS[name]) == []
    validator.validate_input(action_id, VALID_INPUTS[name])  # does not raise


@pytest.mark.parametrize(("name", "inputs", "expected"), VIOLATIONS,
                         ids=[f"{case[0][:20]}-{i}" for i, case in enumerate(VIOLATIONS)])
def test_violations_are_listed_with_their_paths(name: str, inputs: Any, expected: list[tuple[str, str]],
                                                actions: dict[str, Action],
                                                validator: DataActionValidator) -> None:
    action = actions[name]
    errors = validator.check_input(action.id, inputs)
    assert [(e.path, e.validator) for e in errors] == expected
    with pytest.raises(InputValidationError) as caught:
        validator.validate_input(action.id, inputs)
    err = caught.value
    assert isinstance(err, ValueError)
    assert err.action_id == action.id
    assert err.errors == errors
    message = str(err)
    assert name in message and action.id in message
    for error in errors:
        assert f"{error.path}: {error.message}" in message


def test_messages_name_the_broken_limit(actions: dict[str, Action], validator: DataActionValidator) -> None:
    user = actions["Get User External ID - Exported 2021-03-03 @ 22:05"]
    by_validator = {e.validator: e for e in validator.check_input(user.id, {"USER_ID": "abc"})}
    assert by_validator["minLength"].message == "'abc' is shorter than the minimum length 36 (length 3)"
    assert "does not match pattern '^[a-fA-F0-9]{8}-" in by_validator["pattern"].message
    assert by_validator["pattern"].value == "abc"

    rows = actions["Update Data Table Row"]
    (error,) = validator.check_input(rows.id, {"Key": "k", "IntFieldValue1": 2.5})
    assert "whole number" in error.message
    metrics = actions["Get Queue Metrics oWaiting And oInteracting - Exported 2021-03-03 @ 22:05"]
    (error,) = validator.check_input(metrics.id, {"queueId": "q", "mediaType": "fax"})
    assert error.message == "'fax' is not one of ['message', 'chat', 'email', 'voice', 'callback']"


def test_required_error_sits_on_the_missing_field(actions: dict[str, Action],
                                                  validator: DataActionValidator) -> None:
    action = actions["Get Events"]
    errors = validator.check_input(action.id, {"ownerId": "x", "maxResults": 1})
    assert errors == [
        FieldError(path="$.endDate", message="'endDate' is a required property", validator="required"),
        FieldError(path="$.startDate", message="'startDate' is a required property", validator="required"),
    ]


def test_secure_action_values_never_appear(actions: dict[str, Action], validator: DataActionValidator) -> None:
    action = actions["LBP - AuthentifierClient"]
    assert action.secure
    secret = "S3cr3t-" * 30
    inputs = {**VALID_INPUTS["LBP - AuthentifierClient"], "motDePasse": secret, "idBEL": 12}
    errors = validator.check_input(action.id, inputs)
    assert [(e.path, e.validator) for e in errors] == [("$.idBEL", "type"), ("$.motDePasse", "maxLength")]
    assert all(e.value == REDACTED for e in errors)
    with pytest.raises(InputValidationError) as caught:
        validator.validate_input(action.id, inputs)
    assert "S3cr3t" not in str(caught.value) and "S3cr3t" not in repr(caught.value.errors)
    assert "longer than the maximum length 128 (length 210)" in str(caught.value)


def test_output_checked_against_success_schema(actions: dict[str, Action],
                                               validator: DataActionValidator) -> None:
    action = actions["Get Events"]
    good = {"totalSize": 1, "done": True,
            "records": [{"attributes": {"type": "Event", "url": "/e/1"}, "Id": "00U1"}]}
    assert validator.check_output(action.id, good) == []
    bad = copy.deepcopy(good)
    bad["records"][0]["attributes"]["type"] = 5
    bad["totalSize"] = "1"
    errors = validator.check_output(action.id, bad)
    assert [(e.path, e.validator) for e in errors] == [
        ("$.records[0].attributes.type", "type"), ("$.totalSize", "type")]


def _flat_scalar(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values a flat scalar property accepts (real input contracts use only these keywords)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        return st.integers(min_value=-(2**53), max_value=2**53)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda text: low <= len(text) <= (high if high is not None else len(text)))
    return st.text(min_size=low, max_size=high if high is not None else 40)


def _valid_inputs(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    required = set(schema.get("required", []))
    properties = schema.get("properties", {})
    return st.fixed_dictionaries(
        {name: _flat_scalar(prop) for name, prop in properties.items() if name in required},
        optional={name: _flat_scalar(prop) for name, prop in properties.items() if name not in required},
    )


@given(data=st.data())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_valid_inputs_pass_every_real_contract(data: st.DataObject,
                                                         real_actions: list[dict[str, Any]]) -> None:
    checker = DataActionValidator()
    for export in real_actions:
        action = checker.prime(Action.from_export(export))
        assert action.input_schema is not None
        inputs = data.draw(_valid_inputs(action.input_schema), label=export["name"])
        assert checker.check_input(action.id, inputs) == []


# ---- caching ---------------------------------------------------------------------------------


def _action(schema: dict[str, Any], *, version: int = 1, action_id: str = "custom_-_synthetic",
            success: dict[str, Any] | None = None, secure: bool = False) -> Action:
    """A synthetic action (hand-made contract, not from a real export)."""
    contract: dict[str, Any] = {"input": {"inputSchema": schema}}
    if success is not None:
        contract["output"] = {"successSchema": success}
    return Action.from_export({"name": "Synthetic", "contract": contract, "secure": secure},
                              action_id=action_id, version=version)


def test_validators_compiled_once_per_id_and_version(actions: dict[str, Action]) -> None:
    checker = DataActionValidator()
    action = checker.prime(actions["Get Events"])
    first = checker.input_validator(action.id)
    for _ in range(3):
        checker.check_input(action.id, VALID_INPUTS["Get Events"])
    assert checker.input_validator(action.id) is first
    assert checker.compile_count == 1

    checker.prime(Action.from_dict(action.to_dict()))  # same id, version and contract: kept
    assert checker.input_validator(action.id) is first
    assert checker.compile_count == 1

    bumped = action.to_dict()
    bumped["version"] = 2
    bumped["contract"]["input"]["inputSchema"]["required"] = ["ownerId"]
    checker.prime(Action.from_dict(bumped))
    second = checker.input_validator(action.id)
    assert second is not first
    assert checker.compile_count == 2
    assert checker.check_input(action.id, {"ownerId": "x"}) == []


def test_changed_contract_with_same_version_recompiles() -> None:
    checker = DataActionValidator()
    checker.prime(_action({"type": "object", "required": ["a"]}))
    assert [e.path for e in checker.check_input("custom_-_synthetic", {})] == ["$.a"]
    checker.prime(_action({"type": "object", "required": ["b"]}))
    assert [e.path for e in checker.check_input("custom_-_synthetic", {})] == ["$.b"]
    assert checker.compile_count == 2


def test_unknown_action_without_client_says_how_to_fix() -> None:
    with pytest.raises(ValueError, match=r"prime\(action\)"):
        DataActionValidator().check_input("custom_-_missing", {})


def test_prime_requires_an_id() -> None:
    action = _action({"type": "object"})
    action.id = ""
    with pytest.raises(ValueError, match="needs an Action with an id"):
        DataActionValidator().prime(action)


def test_action_without_contract_checks_nothing() -> None:
    checker = DataActionValidator()
    checker.prime(Action.from_dict({"id": "custom_-_bare", "name": "Bare", "version": 1}))
    assert checker.check_input("custom_-_bare", {"anything": 1}) == []
    assert checker.check_output("custom_-_bare", [1, 2]) == []


# ---- drafts, formats, broken schemas ---------------------------------------------------------

DRAFT4 = "http://json-schema.org/draft-04/schema#"
DRAFT7 = "http://json-schema.org/draft-07/schema#"


@pytest.mark.parametrize(("schema", "value", "ok"), [
    ({"type": "number", "maximum": 5, "exclusiveMaximum": True}, 5, False),
    ({"type": "number", "maximum": 5, "exclusiveMaximum": True}, 4.99, True),
    ({"type": "number", "maximum": 5, "exclusiveMaximum": False}, 5, True),
    ({"type": "number", "minimum": 0, "exclusiveMinimum": True}, 0, False),
    ({"type": "integer"}, 1.0, False),  # draft-04: 1.0 is not an integer
    ({"type": "integer"}, 1, True),
    ({"type": "string", "format": "ipv4"}, "10.0.0.300", False),
    ({"type": "string", "format": "ipv4"}, "10.0.0.3", True),
])
@pytest.mark.parametrize("declared", [None, DRAFT4], ids=["no-$schema", "draft-04"])
def test_draft04_semantics(schema: dict[str, Any], value: Any, ok: bool, declared: str | None) -> None:
    root: dict[str, Any] = {"type": "object", "properties": {"n": schema}}
    if declared:
        root["$schema"] = declared
    errors = field_errors(compile_schema(root), {"n": value})
    assert (errors == []) is ok
    if not ok:
        assert errors[0].path == "$.n"


def test_exclusive_bound_message_says_exclusive() -> None:
    validator = compile_schema({"properties": {"n": {"maximum": 5, "exclusiveMaximum": True}}})
    (error,) = field_errors(validator, {"n": 5})
    assert error.validator == "maximum"
    assert error.message == "5 is greater than or equal to the exclusive maximum 5"


def test_declared_draft07_is_honoured() -> None:
    validator = compile_schema({"$schema": DRAFT7, "properties": {"n": {"type": "integer", "exclusiveMaximum": 5}}})
    assert field_errors(validator, {"n": 1.0}) == []  # draft-06+: 1.0 is an integer
    (error,) = field_errors(validator, {"n": 5})
    assert (error.path, error.validator) == ("$.n", "exclusiveMaximum")


@pytest.mark.parametrize(("schema", "fragment"), [
    ({"type": "object", "properties": {"a": {"type": "strin"}}}, "$.properties.a.type"),
    ({"type": "object", "properties": {"a": {"type": "string", "pattern": "(["}}}, "$.properties.a.pattern"),
    ({"$schema": DRAFT4, "properties": {"n": {"maximum": 5, "exclusiveMaximum": 3}}},
     "$.properties.n.exclusiveMaximum"),
    ({"type": "object", "required": "a"}, "$.required"),
])
def test_invalid_contract_gives_clear_error_naming_the_action(schema: dict[str, Any], fragment: str) -> None:
    checker = DataActionValidator()
    checker.prime(_action(schema))
    with pytest.raises(ContractSchemaError) as caught:
        checker.check_input("custom_-_synthetic", {"a": "x"})
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert message.startswith("Invalid contract (action 'Synthetic' (custom_-_synthetic), input contract)")
    assert fragment in message
    assert "not valid under any of the given schemas" not in message  # the useful sub-error is shown


def test_empty_required_list_is_accepted() -> None:
    # Draft-04's metaschema asks for minItems 1, but exports carry "required": [] and the platform accepts it.
    assert field_errors(compile_schema({"$schema": DRAFT4, "type": "object", "required": []}), {}) == []


def test_non_object_schema_is_refused() -> None:
    with pytest.raises(ContractSchemaError, match="not a JSON Schema object"):
        compile_schema(["type", "object"], label="action 'X'")


def test_remote_ref_is_never_fetched() -> None:
    validator = compile_schema({"properties": {"a": {"$ref": "http://example.invalid/defs.json#/a"}}})
    with pytest.raises(ContractSchemaError, match=r"a \$ref cannot be resolved"):
        field_errors(validator, {"a": 1}, label="action 'X'")


def test_local_ref_works() -> None:
    schema = {"definitions": {"id": {"type": "string", "minLength": 2}},
              "properties": {"a": {"$ref": "#/definitions/id"}}}
    (error,) = field_errors(compile_schema(schema), {"a": "x"})
    assert (error.path, error.validator) == ("$.a", "minLength")


# ---- nested paths (synthetic contracts: real inputs are flat) --------------------------------

NESTED = {
    "type": "object",
    "required": ["address"],
    "additionalProperties": False,
    "properties": {
        "address": {"type": "object", "required": ["zip"],
                    "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}},
        "items": {"type": "array", "items": {"type": "integer"}},
        "Phone Number": {"type": "string", "maxLength": 3},
    },
}


def test_nested_paths_and_odd_keys() -> None:
    errors = field_errors(compile_schema(NESTED),
                          {"address": {"city": "x"}, "items": [1, "2"], "Phone Number": "12345", "extra": 1})
    assert [(e.path, e.validator) for e in errors] == [
        ("$.address.zip", "required"),
        ("$.extra", "additionalProperties"),
        ("$.items[1]", "type"),
        ("$['Phone Number']", "maxLength"),
    ]
    assert errors[1].value == 1


def test_field_errors_can_redact() -> None:
    errors = field_errors(compile_schema(NESTED), {"address": {"zip": "abc"}}, redact=True)
    assert [(e.path, e.value) for e in errors] == [("$.address.zip", REDACTED)]
    assert "abc" not in errors[0].message


@pytest.mark.parametrize(("parts", "path"), [
    ([], "$"),
    (["a"], "$.a"),
    (["a", 0, "b_c"], "$.a[0].b_c"),
    (["Phone Number"], "$['Phone Number']"),
    (["it's"], "$['it\\'s']"),
    (["1st"], "$['1st']"),
])
def test_json_path(parts: list[str | int], path: str) -> None:
    assert json_path(parts) == path


# ---- fetching through a client (httpx.MockTransport playing the platform) --------------------

API_URL = "https://api.example.test"
ACTION_ID = "custom_-_0e5b6d1c-1111-4222-8333-444455556666"


class Org:
    """Answers token, get-action and schema requests for one action; counts what was asked."""

    def __init__(self, action_json: dict[str, Any], schemas: dict[str, dict[str, Any]] | None = None) -> None:
        self.action_json = action_json
        self.schemas = schemas or {}
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 86400})
        self.paths.append(path)
        if path == f"/api/v2/integrations/actions/{ACTION_ID}":
            return httpx.Response(200, json=self.action_json)
        name = path.rsplit("/", 1)[-1]
        if name in self.schemas:
            return httpx.Response(200, json=self.schemas[name])
        return httpx.Response(404, json={"message": "not found", "code": "not.found", "status": 404})


def _settings() -> Settings:
    return Settings("id", "secret", api_base_url=API_URL)


def _user_action_json(real_actions: list[dict[str, Any]]) -> dict[str, Any]:
    export = next(a for a in real_actions if a["name"].startswith("Get User External ID"))
    return Action.from_export(export, action_id=ACTION_ID, version=4).to_dict()


def test_sync_client_fetches_the_action_once(real_actions: list[dict[str, Any]]) -> None:
    org = Org(_user_action_json(real_actions))
    with DataActionsClient(_settings(), transport=httpx.MockTransport(org)) as client:
        checker = DataActionValidator(client)
        assert [e.validator for e in checker.check_input(ACTION_ID, {"USER_ID": "x"})] == ["minLength", "pattern"]
        assert checker.check_input(ACTION_ID, {"USER_ID": UUID}) == []
        assert checker.check_output(ACTION_ID, {"externalId": 1})[0].path == "$.externalId"
    assert org.paths == [f"/api/v2/integrations/actions/{ACTION_ID}"]
    assert checker.compile_count == 2  # input and success schema, each once


def test_schema_given_only_by_uri_is_fetched(real_actions: list[dict[str, Any]]) -> None:
    action_json = _user_action_json(real_actions)
    input_schema = action_json["contract"]["input"].pop("inputSchema")
    org = Org(action_json, {"inputschema.json": input_schema})
    with DataActionsClient(_settings(), transport=httpx.MockTransport(org)) as client:
        checker = DataActionValidator(client)
        assert [e.path for e in checker.check_input(ACTION_ID, {})] == ["$.USER_ID"]
        assert checker.check_input(ACTION_ID, {"USER_ID": UUID}) == []
    assert sum(p.endswith("/schemas/inputschema.json") for p in org.paths) == 1


def test_async_client_needs_aget_action_first(real_actions: list[dict[str, Any]]) -> None:
    org = Org(_user_action_json(real_actions))

    async def main() -> list[FieldError]:
        async with AsyncDataActionsClient(_settings(), transport=httpx.MockTransport(org)) as client:
            checker = DataActionValidator(client)
            with pytest.raises(ValueError, match=r"await validator\.aget_action"):
                checker.check_input(ACTION_ID, {})
            action = await checker.aget_action(ACTION_ID)
            assert action.version == 4
            assert await checker.aget_action(ACTION_ID) is action  # cached, no second request
            return checker.check_input(ACTION_ID, {})

    errors = asyncio.run(main())
    assert [(e.path, e.validator) for e in errors] == [("$.USER_ID", "required")]
    assert org.paths == [f"/api/v2/integrations/actions/{ACTION_ID}"]


# ---- the fast acceptance test of flat contracts ----------------------------------------------
# It may refuse a valid instance (jsonschema then decides) but must never accept an invalid one,
# and whatever it decides, the errors reported are jsonschema's.

DRAFT6 = "http://json-schema.org/draft-06/schema#"
DRAFT2019 = "https://json-schema.org/draft/2019-09/schema"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"
MODERN_DRAFTS = [DRAFT6, DRAFT7, DRAFT2019, DRAFT2020]

# Any JSON-ish value, with the odd Python ones a caller may pass (Decimal, tuple, big ints).
_ANY_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8)
    | st.decimals(allow_nan=False, places=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)


def _contracts(real_actions: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for export in real_actions:
        action = Action.from_export(export)
        for side, schema in (("input", action.input_schema), ("success", action.success_schema)):
            if schema is not None:
                found.append((f"{export['name']} ({side})", schema))
    return found


def _assert_same_verdict(compiled: CompiledContract, instance: Any, *, exact: bool) -> None:
    assert compiled.accepts is not None
    try:
        valid = compiled.validator.is_valid(instance)
    except (ArithmeticError, ValueError, TypeError):  # jsonschema itself fails (multipleOf on nan, or a
        # Decimal under a float multipleOf): never accepted, and field_errors reports it instead of raising
        assert field_errors(compiled, instance)
        assert compiled.accepts(instance) is False
        return
    accepted = compiled.accepts(instance)
    if accepted:
        assert valid, f"fast path accepted an invalid instance: {instance!r}"
    if exact:
        assert accepted == valid, f"fast path refused a valid instance: {instance!r}"
    assert field_errors(compiled, instance) == field_errors(compiled.validator, instance)


def _property_values(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values near what a property accepts (pattern matches, lengths at the bounds) and anything else."""
    near: list[st.SearchStrategy[Any]] = [_ANY_VALUE]
    if isinstance(prop.get("pattern"), str):
        near.append(st.from_regex(prop["pattern"]))
    for bound in (prop.get("minLength"), prop.get("maxLength")):
        if isinstance(bound, int):
            near.append(st.text(alphabet="aé0-", min_size=max(0, bound - 1), max_size=bound + 1))
    if prop.get("enum"):
        near.append(st.sampled_from(prop["enum"]))
    return st.one_of(near)


def _instances(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    properties = schema.get("properties") or {}
    names = sorted(properties)
    as_dict = st.fixed_dictionaries(
        {}, optional={name: _property_values(properties[name]) for name in names} | {"extra": _ANY_VALUE},
    )
    return st.one_of(as_dict, as_dict, as_dict, _ANY_VALUE)


def test_every_flat_real_contract_gets_the_fast_path(real_actions: list[dict[str, Any]]) -> None:
    for export in real_actions:
        compiled = compile_contract(Action.from_export(export).input_schema)
        assert compiled.accepts is not None, export["name"]  # real input contracts are all flat
        assert compiled.accepts(VALID_INPUTS[export["name"]]) is True


def test_validator_caches_the_fast_path_with_the_validator(actions: dict[str, Action]) -> None:
    checker = DataActionValidator()
    action = checker.prime(actions["Update Data Table Row"])
    assert checker.check_input(action.id, VALID_INPUTS["Update Data Table Row"]) == []
    ((key, entry),) = [(k, v) for k, v in checker._compiled.items() if k[2] == "input"]
    assert key == (action.id, action.version, "input")
    assert isinstance(entry, CompiledContract) and entry.accepts is not None
    assert checker.input_validator(action.id) is entry.validator
    # A refused instance still gets jsonschema's errors with their paths.
    errors = checker.check_input(action.id, {"Key": "k", "IntFieldValue1": 1.0})
    assert [(e.path, e.validator) for e in errors] == [("$.IntFieldValue1", "type")]


def _flat(schema: dict[str, Any]) -> bool:
    return all(isinstance(prop, dict) and prop.get("type") in ("string", "integer", "number", "boolean")
               for prop in (schema.get("properties") or {}).values())


def _plain(value: Any) -> bool:
    """Plain JSON with ASCII text: where jsonschema and jsonschema-rs read every keyword alike."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind is str:
        return value.isascii()
    return kind in (dict, int, bool, type(None), list)


@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fast_path_agrees_with_jsonschema_on_every_real_contract(data: st.DataObject,
                                                                 real_actions: list[dict[str, Any]]) -> None:
    for name, schema in _contracts(real_actions):
        if not _flat(schema):  # nested success schemas: the next test, with fewer examples
            continue
        compiled = compile_contract(schema, label=name)
        assert compiled.accepts is not None, name
        instance = data.draw(_instances(schema), label=name)
        # Real contracts declare a type for every property and only string enums: on plain JSON no
        # refusal of a valid instance is expected either.
        _assert_same_verdict(compiled, instance, exact=all(_plain(v) for v in _walk(instance)))


@given(data=st.data())
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_nested_real_contracts_get_the_fast_path_and_it_never_accepts_what_jsonschema_refuses(
        data: st.DataObject, real_actions: list[dict[str, Any]]) -> None:
    for name, schema in _contracts(real_actions):
        if _flat(schema):
            continue
        compiled = compile_contract(schema, label=name)
        assert compiled.accepts is not None, name  # jsonschema-rs covers nested contracts too
        _assert_same_verdict(compiled, data.draw(_instances(schema), label=name), exact=False)


def _walk(value: Any) -> list[Any]:
    found = [value]
    if isinstance(value, dict):
        for item in value.values():
            found.extend(_walk(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_walk(item))
    return found


_NUMBERS = st.sampled_from([-2, 0, 1, 3, 2.5, -0.5, 10**20])


def _json_identity(value: Any) -> tuple[str, Any]:
    """Equal in JSON Schema terms (1 == 1.0, True != 1): what `enum` items must be unique under."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    return (type(value).__name__, value)


@st.composite
def _flat_schemas(draw: st.DrawFn) -> dict[str, Any]:
    """A flat object contract using every supported keyword, valid under its (randomly chosen) draft."""
    declared = draw(st.sampled_from([None, DRAFT4, *MODERN_DRAFTS]))
    modern = declared in MODERN_DRAFTS
    properties: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(["a", "b", "c", "d e"]), min_size=1, max_size=4, unique=True)):
        prop: dict[str, Any] = {}
        kinds = draw(st.lists(st.sampled_from(["string", "integer", "number", "boolean", "null"]),
                              max_size=2, unique=True))
        if len(kinds) == 1:
            prop["type"] = kinds[0]
        elif kinds:
            prop["type"] = kinds
        if draw(st.booleans()):
            prop["enum"] = draw(st.lists(st.sampled_from(["x", "xy", "é", 1, 1.0, 0, 2.5, True, False, None]),
                                         min_size=1, max_size=4, unique_by=_json_identity))
        if draw(st.booleans()):
            prop["pattern"] = draw(st.sampled_from(["^x", "y$", "^[a-zé]{1,3}$", "\\d", "^$"]))
        for keyword in ("minLength", "maxLength"):
            if draw(st.booleans()):
                prop[keyword] = draw(st.integers(0, 4))
        for keyword in ("minimum", "maximum"):
            if draw(st.booleans()):
                prop[keyword] = draw(_NUMBERS)
                if not modern and draw(st.booleans()):
                    prop["exclusive" + keyword.capitalize()] = draw(st.booleans())
        if modern:
            for keyword in ("exclusiveMinimum", "exclusiveMaximum"):
                if draw(st.booleans()):
                    prop[keyword] = draw(_NUMBERS)
        if draw(st.booleans()):
            prop["multipleOf"] = draw(st.sampled_from([1, 2, 3, 0.5, 0.1, 2.5]))
        if draw(st.booleans()):
            prop["default"] = "ignored"
        properties[name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if declared is not None:
        schema["$schema"] = declared
    required = draw(st.lists(st.sampled_from([*properties, "z"]), unique=True))
    if required or not modern:
        schema["required"] = required
    extra = draw(st.sampled_from([None, True, False]))
    if extra is not None:
        schema["additionalProperties"] = extra
    return schema


_SCALARS = st.one_of(
    _NUMBERS, st.integers(-4, 4), st.floats(), st.sampled_from([0.1 * 3, 1e300, 7.5, 1.0, 4.0]),
    st.booleans(), st.none(), st.text(alphabet="xyzé0", max_size=5), st.sampled_from(["x", "xy", "é", ""]),
)


@given(schema=_flat_schemas(), data=st.data())
@settings(max_examples=400, deadline=None)
def test_fast_path_never_accepts_what_jsonschema_refuses(schema: dict[str, Any], data: st.DataObject) -> None:
    compiled = compile_contract(schema)
    assert compiled.accepts is not None, schema  # jsonschema-rs compiles every schema drawn
    names = [*schema["properties"], "z", "other"]
    values = st.one_of(_SCALARS, _SCALARS, _SCALARS, _ANY_VALUE)
    instance = data.draw(st.one_of(st.dictionaries(st.sampled_from(names), values, max_size=5), _ANY_VALUE))
    _assert_same_verdict(compiled, instance, exact=False)


# (schema of property "n", value, fast path's verdict, draft): the boundaries, checked against jsonschema too.
FAST_BOUNDARIES: list[tuple[dict[str, Any], Any, bool, str | None]] = [
    ({"type": "integer"}, 1, True, DRAFT4),
    ({"type": "integer"}, 1.0, False, DRAFT4),  # draft-04: not an integer
    ({"type": "integer"}, 1.0, True, DRAFT7),  # draft-06+: an integer
    ({"type": "integer"}, 1.5, False, DRAFT7),
    ({"type": "integer"}, True, False, DRAFT4),  # a boolean is not a number
    ({"type": "number"}, False, False, DRAFT7),
    ({"type": "number"}, 2.5, True, DRAFT4),
    ({"type": "boolean"}, 0, False, DRAFT4),
    ({"type": "string"}, None, False, DRAFT4),
    ({"type": ["string", "null"]}, None, True, DRAFT4),
    ({"type": "string", "minLength": 2}, "é", False, DRAFT4),  # one code point
    ({"type": "string", "minLength": 2}, "éé", True, DRAFT4),
    ({"type": "string", "maxLength": 2}, "é\u0301x", False, DRAFT4),  # 3 code points, 2 graphemes
    ({"type": "string", "maxLength": 2}, "ab", True, DRAFT4),
    ({"type": "string", "pattern": "b"}, "abc", True, DRAFT4),  # search, not match
    ({"type": "string", "pattern": "^b"}, "abc", False, DRAFT4),
    ({"pattern": "^b"}, 5, True, DRAFT4),  # pattern only applies to strings
    ({"minimum": 0}, "-1", True, DRAFT4),  # bounds only apply to numbers
    ({"minimum": 0}, True, True, DRAFT4),  # a boolean is not a number: no bound applies
    ({"minimum": 0}, -1, False, DRAFT4),
    ({"minimum": 0}, 0, True, DRAFT4),
    ({"minimum": 0, "exclusiveMinimum": True}, 0, False, DRAFT4),
    ({"minimum": 0, "exclusiveMinimum": True}, 0.001, True, DRAFT4),
    ({"maximum": 5, "exclusiveMaximum": True}, 5, False, DRAFT4),
    ({"maximum": 5, "exclusiveMaximum": False}, 5, True, DRAFT4),
    ({"maximum": 5}, 5.0000001, False, DRAFT4),
    ({"exclusiveMinimum": 0}, 0, False, DRAFT7),
    ({"exclusiveMinimum": 0}, 1e-9, True, DRAFT7),
    ({"exclusiveMaximum": 5}, 5, False, DRAFT2020),
    ({"exclusiveMaximum": 5}, 4, True, DRAFT2020),
    ({"minimum": 0}, float("nan"), True, DRAFT4),  # nan < 0 is false: jsonschema accepts it too
    ({"multipleOf": 3}, 9, True, DRAFT4),
    ({"multipleOf": 3}, 10, False, DRAFT4),
    ({"multipleOf": 0.5}, 2.5, True, DRAFT4),
    ({"multipleOf": 0.1}, 0.30000000000000004, False, DRAFT4),
    ({"enum": ["a", "b"]}, "a", True, DRAFT4),
    ({"enum": ["a", "b"]}, "c", False, DRAFT4),
    ({"enum": [1]}, True, False, DRAFT4),  # True is not 1 in JSON Schema
    ({"enum": [1]}, 1, True, DRAFT4),
    ({"enum": [1]}, 1.0, True, DRAFT4),  # 1.0 equals 1 in JSON Schema
    ({"type": "number"}, Decimal("1.5"), False, DRAFT4),  # valid, but left to jsonschema
]


@pytest.mark.parametrize(("prop", "value", "fast", "declared"), FAST_BOUNDARIES,
                         ids=[f"{i}-{case[1]!r}" for i, case in enumerate(FAST_BOUNDARIES)])
def test_fast_path_boundaries(prop: dict[str, Any], value: Any, fast: bool, declared: str | None) -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {"n": prop}}
    if declared:
        schema["$schema"] = declared
    compiled = compile_contract(schema)
    assert compiled.accepts is not None
    assert compiled.accepts({"n": value}) is fast
    valid = compiled.validator.is_valid({"n": value})
    assert valid or not fast
    assert (field_errors(compiled, {"n": value}) == []) is valid


@pytest.mark.parametrize(("schema", "instance", "fast"), [
    ({"type": "object", "required": ["a"]}, {"a": None}, True),
    ({"type": "object", "required": ["a"]}, {}, False),
    ({"type": "object", "properties": {"a": {}}, "additionalProperties": False}, {"a": [1]}, True),
    ({"type": "object", "properties": {"a": {}}, "additionalProperties": False}, {"b": 1}, False),
    ({"type": "object", "properties": {"a": {}}, "additionalProperties": False}, {1: 1}, False),
    ({"type": "object", "properties": {"a": {"type": "string"}}}, {"b": [1]}, True),  # extra: anything
    ({"type": "object"}, [], False),
    ({"properties": {"a": {"type": "string"}}}, "not an object", True),  # no type: any instance
])
def test_fast_path_object_level(schema: dict[str, Any], instance: Any, fast: bool) -> None:
    compiled = compile_contract(schema)
    assert compiled.accepts is not None
    assert compiled.accepts(instance) is fast
    assert compiled.validator.is_valid(instance) or not fast


@pytest.mark.parametrize(("schema", "valid", "invalid"), [
    ({"type": "object", "properties": {"a": {"type": "object"}}}, {"a": {}}, {"a": 5}),
    ({"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}}, {"a": ["x"]},
     {"a": [5]}),
    ({"type": "object", "properties": {"a": {"type": "string", "format": "email"}}}, {"a": "a@b.example"},
     {"a": "no at sign"}),
    ({"type": "object", "properties": {"a": {"$ref": "#/definitions/x"}}, "definitions": {"x": {"type": "string"}}},
     {"a": "x"}, {"a": 5}),
    ({"type": "object", "properties": {"a": {"const": 1}}, "$schema": DRAFT7}, {"a": 1}, {"a": 5}),
    ({"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}]}}}, {"a": "x"}, {"a": 5}),
    ({"type": "object", "additionalProperties": {"type": "string"}}, {"a": "x"}, {"a": 5}),
    ({"type": "object", "patternProperties": {"^a": {"type": "string"}}}, {"a": "x"}, {"a": 5}),
    ({"type": "object", "minProperties": 2}, {"a": 5, "b": 1}, {"a": 5}),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": []}, {"a": "x"}, {"a": 5}),
])
def test_nested_and_richer_schemas_get_the_fast_path_with_jsonschema_messages(schema: dict[str, Any], valid: Any,
                                                                             invalid: Any) -> None:
    compiled = compile_contract(schema)
    assert compiled.accepts is not None and compiled.accepts(valid) is True
    assert compiled.accepts(invalid) is False
    errors = field_errors(compiled, invalid)
    assert errors and errors == field_errors(compiled.validator, invalid)  # the messages are jsonschema's
    assert field_errors(compiled, valid) == []


@pytest.mark.parametrize("schema", [
    {"$schema": "http://json-schema.org/draft-03/schema#", "type": "object"},
    {"type": "object", "properties": {"a": {"$ref": "https://example.invalid/schema.json"}}},  # never fetched
])
def test_schemas_without_a_fast_path(schema: dict[str, Any]) -> None:
    compiled = compile_contract(schema)
    assert compiled.accepts is None
    assert fast_check(schema, type(compiled.validator)) is None


def test_values_that_are_not_plain_json_are_left_to_jsonschema() -> None:
    compiled = compile_contract({"type": "object", "properties": {"n": {"type": "integer"}}})
    assert compiled.accepts is not None
    for odd in ({"n": Decimal(1)}, {"n": float("inf")}, {1: 1}, {"n": (1,)}, {"n": type("S", (str,), {})("x")}):
        assert compiled.accepts(odd) is False  # jsonschema-rs would read Decimal(1) as an integer
    assert field_errors(compiled, {"n": Decimal(1)}) == field_errors(compiled.validator, {"n": Decimal(1)})


def test_field_errors_with_compiled_contract_redacts_like_the_validator() -> None:
    compiled = compile_contract({"type": "object", "properties": {"pin": {"type": "string", "pattern": "^[0-9]{4}$"}}})
    (error,) = field_errors(compiled, {"pin": "12a4"}, redact=True)
    assert error.value == REDACTED and "12a4" not in error.message
    assert compiled.errors({"pin": "1234"}) == []


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_numbers_jsonschema_cannot_evaluate_are_field_errors_not_crashes(value: float) -> None:
    # jsonschema's multipleOf raises OverflowError/ValueError on inf and nan; the caller gets the path
    schema = {"type": "object", "properties": {"b": {"type": "number", "multipleOf": 0.5}, "c": {"type": "string"}}}
    errors = field_errors(compile_schema(schema), {"b": value, "c": "ok"})
    assert [(e.path, e.validator) for e in errors] == [("$.b", "type")]
    assert "not a finite number" in errors[0].message
    nested = field_errors(compile_schema({"type": "object", "properties": {"l": {"type": "array", "items": {
        "multipleOf": 2}}}}), {"l": [2, value]}, redact=True)
    assert [(e.path, e.value) for e in nested] == [("$.l[1]", "<redacted>")]
