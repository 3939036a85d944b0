"""Reliability R4: bad input of every kind gives a classified error with a clear message, never a crash.

Property-based (hypothesis, hypothesis-jsonschema) over the validator, the matrix builders, the
form field-spec mapping and the response parsers (models and the clients reading arbitrary bytes
through ``httpx.MockTransport``); then the emulator over loopback serving HTML error pages,
non-JSON, truncated, empty and huge bodies, wrong content types, NaN/Infinity and odd unicode, to
the clients and through a whole run.
"""
from __future__ import annotations

import asyncio
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft4Validator

from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
from genesys_nb.api.errors import ERROR_CLASSES, GenesysNBError, InputValidationError
from genesys_nb.api.models import (
    Action,
    ActionContract,
    ErrorBody,
    FieldError,
    TestExecutionResult,
    TestOperation,
)
from genesys_nb.api.network import default_async_transport
from genesys_nb.api.settings import Settings
from genesys_nb.contract.validator import DataActionValidator
from genesys_nb.emulator import BODY_KINDS, action_id_for
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner
from genesys_nb.widgets.spec import field_specs, iter_specs

REPO_ROOT = Path(__file__).resolve().parents[1]
ECHO = action_id_for("Echo")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
WIDE = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
FIELD_KINDS = {"text", "password", "number", "integer", "checkbox", "dropdown", "object", "array", "raw_json"}


def _real_exports() -> list[dict[str, Any]]:
    env = os.environ.get("GENESYS_NB_REAL_ACTIONS")
    folder = Path(env) if env else REPO_ROOT / "genesys_nb" / "emulator" / "actions" / "real"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


REAL = [Action.from_export(export, action_id=f"custom_-_real-{n}") for n, export in enumerate(_real_exports())]
REAL_WITH_INPUT = [a for a in REAL if a.input_schema]

json_scalars = (st.none() | st.booleans() | st.integers(-(2**53), 2**53)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=15)
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True)


def test_real_actions_are_loaded() -> None:
    assert len(REAL_WITH_INPUT) >= 5


# ---- the validator ------------------------------------------------------------------------------
def valid_objects(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects a flat contract accepts: hypothesis-jsonschema per property (its object strategy
    needs Hypothesis internals this version lacks), required ones always, optional ones sometimes."""
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    return st.fixed_dictionaries(
        {name: from_schema(prop) for name, prop in properties.items() if name in required},
        optional={name: from_schema(prop) for name, prop in properties.items() if name not in required},
    )


def same_type_values(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the property's own type and length, so pattern, enum and bound checks are hit alone."""
    kind = prop.get("type")
    if kind == "string":
        min_length, max_length = prop.get("minLength"), prop.get("maxLength")
        low = min_length if isinstance(min_length, int) else 0
        high = max_length if isinstance(max_length, int) else low + 40
        return st.text(alphabet="abcdefABCDEF0123456789-xyz", min_size=low, max_size=max(low, high))
    if kind == "integer":
        return st.integers(-(2**40), 2**40)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    return json_scalars


@pytest.mark.parametrize("action", REAL_WITH_INPUT, ids=lambda a: a.name)
def test_every_input_the_contract_allows_is_accepted(action: Action) -> None:
    validator = DataActionValidator()
    validator.prime(action)
    assert action.input_schema is not None
    reference = Draft4Validator(action.input_schema)

    @FAST
    @given(valid_objects(action.input_schema))
    def accepted(instance: Any) -> None:
        assert reference.is_valid(instance)
        assert validator.check_input(action.id, instance) == []
        validator.validate_input(action.id, instance)

    accepted()


@pytest.mark.parametrize("action", REAL_WITH_INPUT, ids=lambda a: a.name)
def test_any_json_gets_field_errors_exactly_when_jsonschema_rejects_it(action: Action) -> None:
    validator = DataActionValidator()
    validator.prime(action)
    reference = Draft4Validator(action.input_schema)
    properties = list((action.input_schema or {}).get("properties") or {})
    objects = st.dictionaries(st.sampled_from(properties) | st.text(max_size=6) if properties else st.text(max_size=6),
                              json_values, max_size=6)

    # A valid input with one field replaced by anything: the violations a user typically makes.
    schema_properties = (action.input_schema or {}).get("properties") or {}
    one_field_off = valid_objects(action.input_schema or {}).flatmap(
        lambda valid: st.sampled_from(properties).flatmap(
            lambda name: (same_type_values(schema_properties[name]) | json_values).map(
                lambda value: {**valid, name: value}))) if properties else objects

    @WIDE
    @given(one_field_off | objects | json_values)
    def checked(instance: Any) -> None:
        errors = validator.check_input(action.id, instance)
        assert isinstance(errors, list) and all(isinstance(e, FieldError) for e in errors)
        assert (errors == []) == reference.is_valid(instance)
        for error in errors:
            assert error.path.startswith("$") and error.message.strip()
        if errors:
            with pytest.raises(InputValidationError) as caught:
                validator.validate_input(action.id, instance)
            assert isinstance(caught.value, ValueError)
            text = str(caught.value)
            assert all(error.path in text for error in errors), text

    checked()


# ---- the matrix builders ------------------------------------------------------------------------
@WIDE
@given(st.dictionaries(names, st.lists(json_scalars, min_size=1, max_size=4), min_size=1, max_size=4))
def test_product_has_every_combination_with_stable_unique_row_ids(axes: dict[str, list[Any]]) -> None:
    first, second = ParameterMatrix.product(**axes), ParameterMatrix.product(**axes)
    assert len(first) == math.prod(len(values) for values in axes.values())
    ids = [row.row_id for row in first]
    assert ids == [row.row_id for row in second]  # stable across builds: resume relies on it
    for row in first:
        assert set(row.params) == set(axes)
        assert all(row.params[name] in values for name, values in axes.items())
    assert len(set(ids)) == len(ids)  # unique even when two rows hold the same inputs


@WIDE
@given(st.lists(st.dictionaries(names, json_scalars, max_size=4), max_size=6))
def test_from_records_keeps_every_record(records: list[dict[str, Any]]) -> None:
    try:
        matrix = ParameterMatrix.from_records(records)
    except ValueError as err:  # e.g. an empty record: refused with a message, never a crash
        assert str(err).strip()
        return
    assert [row.params for row in matrix] == records
    assert len(matrix.to_dataframe()) == len(records)


@WIDE
@given(st.one_of(st.integers(), st.text(max_size=5), st.none(), st.dictionaries(names, json_scalars, max_size=2)))
def test_bad_axes_are_refused_with_a_message(values: Any) -> None:
    try:
        matrix = ParameterMatrix.product(field=values)
        len(matrix)
    except (ValueError, TypeError) as err:
        assert "field" in str(err) or str(err).strip()


def test_an_integer_beyond_64_bits_gets_a_matrix_error_naming_the_field() -> None:
    with pytest.raises(ValueError, match="amount"):
        list(ParameterMatrix.product(amount=[2**64]))


@pytest.mark.parametrize("action", REAL_WITH_INPUT, ids=lambda a: a.name)
def test_derived_cases_are_valid_or_marked_expected_invalid(action: Action) -> None:
    reference = Draft4Validator(action.input_schema)
    cases = list(ParameterMatrix.from_schema(action))
    assert cases
    for case in cases:
        assert reference.is_valid(case.params) != case.expected_invalid, (case.row_id, case.params)


# ---- the form field-spec mapping -----------------------------------------------------------------
leaf_schemas = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["string", "integer", "number", "boolean", "object", "array", "null",
                             ["string", "null"], ["integer", "string"], "bogus", 7]),
    "enum": st.lists(json_scalars, max_size=3) | json_values,
    "pattern": st.sampled_from(["^[A-Z]{3}-[0-9]{4}$", "(", "^a+$", "[0-9]+"]),
    "minLength": st.integers(-2, 5), "maxLength": st.integers(-1, 8) | st.text(max_size=2),
    "minimum": st.integers(-5, 5) | st.text(max_size=2), "maximum": st.integers(-5, 5),
    "default": json_values, "format": st.sampled_from(["email", "date-time", "uri", "password", "x"]),
    "description": st.text(max_size=20), "items": json_values,
})
object_schemas = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["object", "string", ["object", "null"]]),
    "properties": st.dictionaries(st.text(max_size=8), leaf_schemas | json_values, max_size=5),
    "required": st.lists(st.text(max_size=8), max_size=3) | json_scalars,
    "additionalProperties": st.booleans(),
    "$schema": st.sampled_from(["http://json-schema.org/draft-04/schema#", "garbage"]),
})


@WIDE
@given(object_schemas | json_values, st.booleans())
def test_any_schema_maps_to_field_specs_a_form_can_show(schema: Any, secure: bool) -> None:
    specs = field_specs(schema, secure=secure)
    no_input = isinstance(schema, dict) and schema.get("properties") == {}
    assert specs or no_input, "a form always gets at least one field (raw JSON at worst) unless it takes no input"
    for spec in iter_specs(specs):
        assert spec.kind in FIELD_KINDS
        if spec.kind == "raw_json" and spec.path == "":
            assert (getattr(spec, "reason", "") or "").strip(), "a raw-JSON fallback says why"


def test_a_required_list_holding_non_strings_still_gives_a_form() -> None:
    specs = field_specs({"type": "object", "properties": {"a": {"type": "string"}}, "required": [["a"]]})
    assert specs


# ---- response parsers ----------------------------------------------------------------------------
model_keys = st.sampled_from(["message", "code", "status", "contextId", "details", "errors", "messageParams",
                              "id", "name", "integrationId", "category", "version", "secure", "contract", "config",
                              "selfUri", "input", "output", "inputSchema", "successSchema", "inputSchemaUri",
                              "step", "success", "result", "error", "operations", "finalResult"])
model_dicts = st.dictionaries(model_keys | st.text(max_size=5), json_values, max_size=8)


@WIDE
@given(model_dicts)
def test_models_read_any_json_object_and_give_it_back(data: dict[str, Any]) -> None:
    assume(data)  # an empty object comes back with the default empty lists filled in (harmless)
    for model in (ErrorBody, ActionContract, TestOperation, TestExecutionResult):
        parsed = model.from_dict(data)
        assert parsed.to_dict() == data
        repr(parsed)
    if isinstance(data.get("id"), str):
        action = Action.from_dict(data)
        assert action.to_dict() == data
        action.input_schema, action.success_schema, action.timeout_seconds  # noqa: B018 - must not raise
    else:
        with pytest.raises(ValueError, match="id"):
            Action.from_dict(data)


def _mock_client(status: int, body: bytes, content_type: str | None) -> DataActionsClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "mock-token", "expires_in": 3600})
        headers = {"content-type": content_type} if content_type else {}
        return httpx.Response(status, content=body, headers=headers)

    mock = Settings(client_id="id", client_secret="secret", api_base_url="http://api.test",
                    login_base_url="http://login.test")
    return DataActionsClient(mock, transport=httpx.MockTransport(handler))


bodies = st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()) | st.sampled_from([
    b"<html><body>502 Bad Gateway</body></html>", b'{"message": "cut', b"", b"\xff\xfe\x00", b"NaN",
    b'{"entities": "nope"}', b'{"id": 5}', b'{"entities": [{"id": "a"}], "pageCount": "x"}'])
content_types = st.sampled_from(["application/json", "text/html; charset=utf-8", "text/plain", None])


@WIDE
@given(st.integers(200, 599), bodies, content_types)
def test_execute_classifies_any_answer_and_never_raises(status: int, body: bytes, content_type: str | None) -> None:
    with _mock_client(status, body, content_type) as client:
        result = client.execute("custom_-_x", {"a": 1})
    assert result.ok or (result.error_class in ERROR_CLASSES and (result.error_message or "").strip())
    if not result.ok:
        with pytest.raises(GenesysNBError):
            result.raise_for_error()


@WIDE
@given(st.integers(200, 599), bodies, content_types, st.sampled_from(["list", "get", "schema", "test"]))
def test_other_calls_return_or_raise_a_classified_error(status: int, body: bytes, content_type: str | None,
                                                        operation: str) -> None:
    with _mock_client(status, body, content_type) as client:
        try:
            if operation == "list":
                client.list_actions()
            elif operation == "get":
                client.get_action("custom_-_x")
            elif operation == "schema":
                client.get_schema("custom_-_x")
            else:
                client.test("custom_-_x", {})
        except GenesysNBError as err:
            assert str(err).strip()


# ---- the emulator serving broken bodies over loopback --------------------------------------------
EXPECTED_200: dict[str, set[str | None]] = {
    "malformed_json": {"contract"}, "truncated_json": {"contract"}, "non_json": {"contract"}, "html": {"contract"},
    "empty": {"contract"}, "wrong_content_type": {None, "contract"}, "huge": {None}, "nan": {"contract"},
    "odd_unicode": {None, "contract"}, "incomplete": {"network"},
}


def _execute_both(server: Any, kind: str, status: int) -> list[Any]:
    server.emulator.set_faults(ECHO, {"rules": [{"type": "body", "kind": kind, "status": status}]})
    with DataActionsClient(server.settings()) as client:
        sync = client.execute(ECHO, {"message": "bad body"}, timeout_ms=10000)

    async def run() -> Any:
        async with AsyncDataActionsClient(server.settings(), transport=default_async_transport()) as client:
            return await client.execute(ECHO, {"message": "bad body"}, timeout_ms=10000)

    return [sync, asyncio.run(run())]


@pytest.mark.parametrize("kind", [k for k in BODY_KINDS if k != "nan"])
def test_broken_success_bodies_are_classified(emulator_server: Any, kind: str) -> None:
    for result in _execute_both(emulator_server, kind, 200):
        assert result.error_class in EXPECTED_200[kind], (kind, result.error_class, result.error_message)
        if result.error_class is not None:
            assert (result.error_message or "").strip()
        if result.error_class == "contract":
            assert "json" in result.error_message.lower()


def test_nan_and_infinity_in_a_success_body_are_a_contract_error(emulator_server: Any) -> None:
    for result in _execute_both(emulator_server, "nan", 200):
        assert result.error_class == "contract", (result.ok, result.output)


@pytest.mark.parametrize("kind", BODY_KINDS)
def test_broken_error_bodies_keep_the_status_class_and_say_what_came(emulator_server: Any, kind: str) -> None:
    for result in _execute_both(emulator_server, kind, 502):
        if kind == "incomplete":
            assert result.error_class == "network" and result.request_sent
            continue
        assert (result.error_class, result.status_code) == ("server", 502), (kind, result.error_message)
        assert (result.error_message or "").strip()
        if kind == "html":
            assert "text/html" in result.error_message


def test_a_run_over_odd_unicode_answers_records_every_row(emulator_server: Any, tmp_path: Path) -> None:
    emulator_server.emulator.set_faults(ECHO, {"rules": [{"type": "body", "kind": "odd_unicode", "status": 200}]})
    runner = MatrixRunner(emulator_server.settings(), concurrency=2, rate_per_minute=None, progress=False,
                          audit=tmp_path / "audit.ndjson")
    frame = runner.run(ECHO, ParameterMatrix.product(sequence=[1, 2, 3, 4]).with_fixed(message="m"))
    assert len(frame) == 4


def test_a_run_through_every_other_broken_body_records_every_row_classified(emulator_server: Any,
                                                                            tmp_path: Path) -> None:
    kinds = [k for k in BODY_KINDS if k not in ("odd_unicode", "huge")]
    rate = 0.9 / len(kinds)
    emulator_server.emulator.set_faults(ECHO, {"rules": [
        {"type": "body", "kind": kind, "status": 200 if n % 2 else 502, "rate": rate / (1 - rate * n)}
        for n, kind in enumerate(kinds)]})
    rows = 120
    runner = MatrixRunner(emulator_server.settings(), concurrency=8, rate_per_minute=None, progress=False,
                          audit=tmp_path / "audit.ndjson")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = runner.run(ECHO, ParameterMatrix.product(sequence=list(range(rows))).with_fixed(message="m"),
                           idempotent=True)
    assert len(frame) == rows and frame["row_id"].is_unique
    failed = frame[~frame["ok"].astype(bool)]
    assert len(failed) > 0
    assert set(failed["error_class"].astype(str)) <= set(ERROR_CLASSES)
    assert failed["error_message"].astype(str).str.strip().str.len().min() > 0
