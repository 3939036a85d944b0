"""Table tests for the pure decisions behind the widgets: schema -> field specs, raw values <-> inputs,
matrix builder choices."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesys_nb.widgets.matrix_spec import (
    AxisChoice,
    axis_values,
    build_matrix,
    default_choice,
    derived_values,
    matrix_fields,
    modes_for,
)
from genesys_nb.widgets.spec import NOT_SET, FieldSpec, constraint_hint, field_specs, iter_specs, looks_secret
from genesys_nb.widgets.values import (
    convert_inputs,
    initial_inputs,
    inputs_from_value,
    item_initial_input,
    value_from_inputs,
)

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "genesys_nb" / "emulator" / "actions"
SAMPLE_FILES = sorted(SAMPLE_DIR.glob("*.json"))


def _by_path(specs: list[FieldSpec]) -> dict[str, FieldSpec]:
    return {spec.path: spec for spec in iter_specs(specs)}


def _input_schema(export: dict[str, Any]) -> dict[str, Any] | None:
    return ((export.get("contract") or {}).get("input") or {}).get("inputSchema")


# ------------------------------------------------------------------ scalar mapping table

SCALAR_CASES = [
    # (property schema, required, secure, expected kind, extra expectations)
    ({"type": "string"}, False, False, "text", {}),
    ({"type": "string"}, False, True, "password", {"secret": True}),
    ({"type": "integer", "minimum": 1, "maximum": 5}, True, False, "integer", {"minimum": 1, "maximum": 5}),
    ({"type": "number", "minimum": 0, "exclusiveMinimum": True}, False, False, "number",
     {"minimum": 0, "exclusive_minimum": True}),
    ({"type": "number", "exclusiveMaximum": 10}, False, False, "number",
     {"maximum": 10, "exclusive_maximum": True}),
    ({"type": "integer"}, False, True, "integer", {"secret": False}),
    ({"type": "boolean"}, True, False, "checkbox", {}),
    ({"type": "boolean"}, False, False, "dropdown", {"options": (True, False)}),
    ({"type": "string", "enum": ["a", "b"]}, False, True, "dropdown", {"options": ("a", "b")}),
    ({"enum": [1, 2, 3]}, False, False, "dropdown", {"json_type": "integer"}),
    ({"type": ["string", "null"]}, False, False, "text", {}),
    ({"type": ["string", "integer"]}, False, False, "raw_json", {}),
    ({"type": "string", "minLength": 36, "maxLength": 36, "pattern": "^x$"}, True, False, "text",
     {"min_length": 36, "max_length": 36, "pattern": "^x$"}),
    ({"type": "string", "default": "voice"}, True, False, "text", {"has_default": True, "default": "voice"}),
    ({"type": "object"}, False, False, "raw_json", {}),
    ({"type": "array"}, False, False, "raw_json", {}),
    ({"type": "array", "items": [{"type": "string"}]}, False, False, "raw_json", {}),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, False, False, "raw_json", {}),
    ({"$ref": "#/definitions/x"}, False, False, "raw_json", {}),
    ({}, False, False, "raw_json", {}),
    ({"type": "null"}, False, False, "raw_json", {}),
    ({"enum": [{"a": 1}]}, False, False, "raw_json", {}),
]


@pytest.mark.parametrize(("prop", "required", "secure", "kind", "expected"), SCALAR_CASES)
def test_property_maps_to_kind(prop: dict, required: bool, secure: bool, kind: str, expected: dict) -> None:
    schema = {"type": "object", "properties": {"field": prop}, "required": ["field"] if required else []}
    [spec] = field_specs(schema, secure=secure)
    assert spec.kind == kind
    assert spec.required is required
    assert spec.label == ("field *" if required else "field")
    for attribute, value in expected.items():
        assert getattr(spec, attribute) == value, attribute
    if kind == "raw_json":
        assert spec.reason, "a field shown as raw JSON must say why"
    else:
        assert spec.reason == ""


@pytest.mark.parametrize(
    ("name", "secret"),
    [("password", True), ("userPassword", True), ("api_key", True), ("apiKey", True), ("clientSecret", True),
     ("accessToken", True), ("PIN", True), ("pinCode", True), ("motDePasse", True), ("otp", True),
     ("shipping", False), ("mapping", False), ("Key", False), ("phoneNumber", False), ("queueId", False),
     ("spinner", False), ("tokenized", True)],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret
    [spec] = field_specs({"type": "object", "properties": {name: {"type": "string"}}})
    assert (spec.kind == "password") is secret


def test_secret_named_integer_is_a_password_that_still_parses_numbers() -> None:
    specs = field_specs({"type": "object", "properties": {"pin": {"type": "integer"}}})
    assert specs[0].kind == "password" and specs[0].json_type == "integer"
    assert value_from_inputs(specs, {"pin": "1234"}) == {"pin": 1234}


def test_an_action_without_inputs_gets_no_fields() -> None:
    # "properties": {} is how exports (e.g. Get NSW/VIC/ACT/TAS Time Offset) say the action takes no input.
    specs = field_specs({"type": "object", "properties": {}})
    assert specs == [] and value_from_inputs(specs, {}) == {}


@pytest.mark.parametrize(
    ("schema", "reason_fragment"),
    [
        (None, "no input contract"),
        ({}, "no input contract"),
        ({"type": "object"}, "no properties"),
        ({"type": "array", "items": {"type": "string"}}, "not 'object'"),
        ({"oneOf": [{"type": "object"}]}, "oneOf"),
    ],
)
def test_schema_without_fields_gives_one_root_raw_json_field(schema: Any, reason_fragment: str) -> None:
    [spec] = field_specs(schema)
    assert spec.path == "" and spec.kind == "raw_json"
    assert reason_fragment in spec.reason
    assert value_from_inputs([spec], {"": '{"a": 1}'}) == {"a": 1}
    assert value_from_inputs([spec], {"": ""}) == {}
    assert convert_inputs([spec], {"": "[1]"}).problems == {"": "the input must be a JSON object, "
                                                                 "e.g. {\"field\": \"value\"}"}
    assert inputs_from_value([spec], {"a": 1}) == {"": json.dumps({"a": 1}, indent=2)}


NESTED = {
    "type": "object",
    "required": ["customer", "items"],
    "properties": {
        "customer": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "pattern": "^C[0-9]+$"},
                "address": {"type": "object", "properties": {"zip": {"type": "string"},
                                                              "country": {"enum": ["FR", "IE"]}}},
            },
        },
        "items": {
            "type": "array", "minItems": 1, "maxItems": 3,
            "items": {"type": "object", "required": ["sku"],
                      "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}},
        },
        "tags": {"type": "array", "items": {"type": "string"}},
        "meta": {"type": "object", "additionalProperties": True},
    },
}


def test_nested_objects_and_arrays() -> None:
    specs = field_specs(NESTED)
    by_path = _by_path(specs)
    assert [s.name for s in specs] == ["customer", "items", "tags", "meta"]
    assert by_path["customer"].kind == "object"
    assert [c.path for c in by_path["customer"].children] == ["customer.id", "customer.address"]
    assert by_path["customer.id"].required and by_path["customer.id"].pattern == "^C[0-9]+$"
    assert by_path["customer.address.country"].kind == "dropdown"
    items = by_path["items"]
    assert items.kind == "array" and items.min_items == 1 and items.max_items == 3
    assert items.item is not None and items.item.kind == "object" and items.item.path == "items[]"
    assert [c.path for c in items.item.children] == ["items[].sku", "items[].qty"]
    assert by_path["tags"].item is not None and by_path["tags"].item.kind == "text"
    assert by_path["meta"].kind == "raw_json" and "free-form" in by_path["meta"].reason


def test_nested_round_trip_and_omission_rules() -> None:
    specs = field_specs(NESTED)
    value = {
        "customer": {"id": "C1", "address": {"zip": "75001", "country": "FR"}},
        "items": [{"sku": "A", "qty": 2}, {"sku": "B"}],
        "tags": ["x", "y"],
        "meta": {"k": [1, 2]},
    }
    raw = inputs_from_value(specs, value)
    assert raw["items"][1] == {"sku": "B", "qty": ""}
    assert raw["customer"]["address"]["country"] == "FR"
    assert value_from_inputs(specs, raw) == value

    start = initial_inputs(specs)
    # Required array with minItems starts with that many empty items; optional object starts empty.
    assert start["items"] == [{"sku": "", "qty": ""}]
    assert start["customer"] == {"id": "", "address": {"zip": "", "country": NOT_SET}}
    # Required object is kept (empty) so the validator names its missing child; empty optional parts go.
    assert value_from_inputs(specs, start) == {"customer": {}, "items": [{}]}
    assert item_initial_input(_by_path(specs)["tags"]) == ""


def test_conversion_problems_name_the_concrete_path() -> None:
    specs = field_specs(NESTED)
    raw = initial_inputs(specs)
    raw["meta"] = "{broken"
    raw["items"] = [{"sku": "A", "qty": "two"}]
    conversion = convert_inputs(specs, raw)
    assert list(conversion.problems) == ["meta"]
    assert conversion.problems["meta"].startswith("not valid JSON")
    # Text that is not a number is kept so the validator can say which type it wanted.
    assert conversion.value["items"] == [{"sku": "A", "qty": "two"}]


@pytest.mark.parametrize(
    ("json_type", "text", "expected"),
    [("integer", "42", 42), ("integer", " -7 ", -7), ("integer", "2.5", 2.5), ("number", "1e3", 1000.0),
     ("number", ".5", 0.5), ("number", "abc", "abc"), ("number", "nan", "nan"), ("integer", "1_000", "1_000"),
     ("number", "", None)],
)
def test_number_text_parsing(json_type: str, text: str, expected: Any) -> None:
    specs = field_specs({"type": "object", "properties": {"n": {"type": json_type}}})
    value = value_from_inputs(specs, {"n": text})
    assert value == ({} if expected is None else {"n": expected})
    if expected is not None and not isinstance(expected, str):
        assert type(value["n"]) is type(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [({"unknown": 1}, "unknown field"), ({"mode": "fast"}, "takes one of"), ({"flag": "yes"}, "checkbox"),
     ({"tags": "a,b"}, "is an array"), ({"addr": "x"}, "is an object")],
)
def test_values_a_form_cannot_show_are_refused_by_name(value: dict, message: str) -> None:
    schema = {"type": "object", "required": ["flag"], "properties": {
        "mode": {"enum": ["slow"]}, "flag": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "addr": {"type": "object", "properties": {"zip": {"type": "string"}}}}}
    with pytest.raises(ValueError, match=message):
        inputs_from_value(field_specs(schema), value)


def test_text_fields_accept_any_scalar_and_empty_text_is_omitted() -> None:
    specs = field_specs({"type": "object", "properties": {"s": {"type": "string"}, "n": {"type": "number"}}})
    assert inputs_from_value(specs, {"s": 5, "n": 0.1}) == {"s": "5", "n": "0.1"}
    assert value_from_inputs(specs, {"s": "", "n": ""}) == {}
    assert value_from_inputs(specs, {"s": " ", "n": "0.1"}) == {"s": " ", "n": 0.1}


@pytest.mark.parametrize(
    ("prop", "hint"),
    [({"type": "integer", "minimum": 1, "maximum": 5}, "integer, 1 ≤ x ≤ 5"),
     ({"type": "number", "exclusiveMinimum": 0}, "number, 0 < x"),
     ({"type": "string", "minLength": 36, "maxLength": 36}, "string, length 36..36"),
     ({"type": "string", "maxLength": 10, "format": "date-time"}, "string, length 0..10, format date-time"),
     ({"type": "string", "enum": ["a"]}, "")],
)
def test_constraint_hint(prop: dict, hint: str) -> None:
    [spec] = field_specs({"type": "object", "properties": {"f": prop}})
    assert constraint_hint(spec) == hint


def test_a_default_the_field_cannot_show_is_ignored_not_fatal() -> None:
    specs = field_specs({"type": "object", "properties": {"m": {"enum": ["a", "b"], "default": "z"}}})
    assert initial_inputs(specs) == {"m": NOT_SET}


# ------------------------------------------------------------------ every real and sample action


def _check_action_specs(export: dict[str, Any]) -> None:
    schema = _input_schema(export)
    secure = bool(export.get("secure"))
    specs = field_specs(schema, secure=secure)
    properties = (schema or {}).get("properties") or {}
    assert specs or (schema or {}).get("properties") == {}, export.get("name")
    if properties:
        assert [s.name for s in specs] == list(properties)
        required = set((schema or {}).get("required") or [])
        assert {s.name for s in specs if s.required} == required
    for spec in iter_specs(specs):
        assert spec.kind != "raw_json" or spec.reason
        if secure and spec.json_type == "string" and spec.kind != "dropdown":
            assert spec.kind == "password", spec.path
    # Defaults round-trip, and what a form starts with converts without problems.
    start = initial_inputs(specs)
    conversion = convert_inputs(specs, start)
    assert conversion.problems == {}
    assert inputs_from_value(specs, conversion.value) == start or any(
        s.kind in ("text", "password") and s.has_default and s.default == "" for s in iter_specs(specs))


def test_every_real_action_maps(real_actions: list[dict[str, Any]]) -> None:
    assert len(real_actions) >= 8
    for export in real_actions:
        _check_action_specs(export)


def test_real_action_details(real_actions: list[dict[str, Any]]) -> None:
    by_name = {export["name"]: export for export in real_actions}

    def specs_for(prefix: str) -> dict[str, FieldSpec]:
        [export] = [e for name, e in by_name.items() if name.startswith(prefix)]
        return _by_path(field_specs(_input_schema(export), secure=bool(export.get("secure"))))

    def specs_for_exact(name: str) -> dict[str, FieldSpec]:
        export = by_name[name]
        return _by_path(field_specs(_input_schema(export), secure=bool(export.get("secure"))))

    uuid = specs_for("Get User External ID")["USER_ID"]
    assert (uuid.kind, uuid.min_length, uuid.max_length, uuid.required) == ("text", 36, 36, True)
    assert uuid.pattern and uuid.pattern.startswith("^[a-fA-F0-9]{8}")
    media = specs_for("Get Queue Metrics oWaiting")["mediaType"]
    assert media.kind == "dropdown" and media.default == "voice" and "voice" in media.options
    identifier = specs_for("Fetch External Contact by")
    assert identifier["type"].kind == "dropdown" and len(identifier["type"].options) == 7
    assert identifier["value"].description.startswith("The string value")  # leading space stripped
    events = specs_for("Get Events")
    assert events["maxResults"].kind == "integer" and events["maxResults"].required
    table = specs_for_exact("Update Data Table Row")
    assert table["BoolFieldValue1"].kind == "dropdown" and table["IntFieldValue1"].kind == "integer"
    assert table["Key"].kind == "text"  # "Key" is a table key, not an API key
    secure = specs_for("LBP")
    assert all(spec.kind == "password" for spec in secure.values())
    assert secure["idBEL"].max_length == 10


@pytest.mark.skipif(not SAMPLE_FILES, reason="no sample actions packaged yet")
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.stem for p in SAMPLE_FILES])
def test_every_sample_action_maps(path: Path) -> None:
    _check_action_specs(json.loads(path.read_text(encoding="utf-8")))


# ------------------------------------------------------------------ matrix builder decisions


MATRIX_SCHEMA = {
    "type": "object",
    "required": ["id", "count", "mode", "flag"],
    "properties": {
        "id": {"type": "string", "pattern": "^C-[0-9]{3}$"},
        "count": {"type": "integer", "minimum": 1, "maximum": 9},
        "ratio": {"type": "number", "minimum": 0, "exclusiveMaximum": True, "maximum": 1},
        "mode": {"enum": ["a", "b", "c"]},
        "flag": {"type": "boolean"},
        "note": {"type": "string", "default": "hi"},
        "address": {"type": "object", "properties": {"zip": {"type": "string", "minLength": 5}}},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


def _matrix_specs() -> dict[str, FieldSpec]:
    return {spec.path: spec for spec in matrix_fields(field_specs(MATRIX_SCHEMA))}


def test_matrix_fields_and_modes() -> None:
    specs = _matrix_specs()
    assert list(specs) == ["id", "count", "ratio", "mode", "flag", "note", "address.zip", "tags"]
    assert modes_for(specs["count"]) == ("omit", "fixed", "list", "range", "derive")
    assert "range" not in modes_for(specs["id"])
    assert modes_for(specs["tags"]) == ("omit", "fixed")


@pytest.mark.parametrize(
    ("path", "expected"),
    [("id", ["C-000"]), ("count", [1, 5, 9]), ("ratio", [0, 0.5]), ("mode", ["a", "b", "c"]),
     ("flag", [True, False]), ("note", ["hi"]), ("address.zip", ["examp"])],
)
def test_derived_values(path: str, expected: list[Any]) -> None:
    assert derived_values(_matrix_specs()[path]) == expected


@pytest.mark.parametrize(
    ("path", "choice", "expected"),
    [
        ("count", AxisChoice("fixed", "4"), [4]),
        ("count", AxisChoice("list", "1, 2,3"), [1, 2, 3]),
        ("count", AxisChoice("range", start="1", stop="9", step="4"), [1, 5, 9]),
        ("ratio", AxisChoice("range", start="0", stop="0.3", step="0.1"), [0.0, 0.1, 0.2, 0.3]),
        # the stop is included even off the step's grid ("1 to 20 by 5")
        ("count", AxisChoice("range", start="1", stop="20", step="5"), [1, 6, 11, 16, 20]),
        ("count", AxisChoice("range", start="3", stop="3"), [3]),
        ("ratio", AxisChoice("range", start="0", stop="0.25", step="0.1"), [0.0, 0.1, 0.2, 0.25]),
        ("mode", AxisChoice("list", 'a,"b,c"'), ["a", "b,c"]),
        ("mode", AxisChoice("fixed", "z"), ["z"]),  # outside the enum on purpose: it probes the platform
        ("flag", AxisChoice("list", "true, no"), [True, False]),
        ("tags", AxisChoice("fixed", '["x", "y"]'), [["x", "y"]]),
        ("note", AxisChoice("omit"), []),
    ],
)
def test_axis_values(path: str, choice: AxisChoice, expected: list[Any]) -> None:
    assert axis_values(_matrix_specs()[path], choice) == expected


@pytest.mark.parametrize(
    ("path", "choice", "message"),
    [
        ("count", AxisChoice("fixed", "four"), "field 'count': cannot read 'four' as integer"),
        ("count", AxisChoice("range", start="1", stop="x"), "needs numbers"),
        ("count", AxisChoice("range", start="1", stop="5", step="0"), "step must be > 0"),
        ("count", AxisChoice("range", start="5", stop="1"), "below its start"),
        ("count", AxisChoice("range", start="0", stop="1", step="0.5"), "whole start, stop and step"),
        ("count", AxisChoice("range", start="0", stop="2.5", step="1"), "whole start, stop and step"),
        ("count", AxisChoice("range", start="0", stop="1e9"), "limit"),
        ("id", AxisChoice("range", start="0", stop="1"), "does not apply"),
        ("mode", AxisChoice("list", " , "), "the list is empty"),
        ("tags", AxisChoice("fixed", "[x"), "not valid JSON"),
    ],
)
def test_axis_value_errors_name_the_field(path: str, choice: AxisChoice, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        axis_values(_matrix_specs()[path], choice)


def test_default_choices_give_one_valid_row() -> None:
    from genesys_nb.contract.validator import compile_schema, field_errors

    specs = field_specs(MATRIX_SCHEMA)
    choices = {spec.path: default_choice(spec) for spec in matrix_fields(specs)}
    assert choices["note"] == AxisChoice("fixed", "hi") and choices["ratio"] == AxisChoice("omit")
    matrix = build_matrix(specs, choices)
    assert len(matrix) == 3 * 2  # mode and flag derived, the rest fixed
    validator = compile_schema(MATRIX_SCHEMA)
    assert all(field_errors(validator, row.params) == [] for row in matrix)


def test_build_matrix_products_axes_fixes_singles_and_reports_every_problem() -> None:
    specs = field_specs(MATRIX_SCHEMA)
    choices = {"id": AxisChoice("fixed", "C-001"), "count": AxisChoice("list", "1,2"),
               "mode": AxisChoice("list", "a,b,c"), "address.zip": AxisChoice("fixed", "75001")}
    matrix = build_matrix(specs, choices)
    assert len(matrix) == 6
    assert all(row.params["address"] == {"zip": "75001"} and row.params["id"] == "C-001" for row in matrix)
    with pytest.raises(ValueError, match="field 'id'.*field 'count'|field 'count'.*field 'id'"):
        build_matrix(specs, {"id": AxisChoice("range", start="1", stop="2"), "count": AxisChoice("fixed", "x")})
    big = {"count": AxisChoice("range", start="1", stop="9000"), "mode": AxisChoice("list", "a,b")}
    with pytest.raises(ValueError, match="18000 rows"):
        build_matrix(specs, big)


@pytest.mark.parametrize("required", [[["a"]], "a", [1, None], {"a": True}])
def test_a_malformed_required_list_marks_nothing_required(required: Any) -> None:
    specs = field_specs({"type": "object", "properties": {"a": {"type": "string"}}, "required": required})
    assert [(spec.name, spec.kind, spec.required) for spec in specs] == [("a", "text", False)]


# ------------------------------------------------------------------ property: what a form shows comes back unchanged

_SCALARS: list[tuple[dict[str, Any], Any]] = [
    ({"type": "string"}, st.text(min_size=1)),
    ({"type": "string", "maxLength": 12}, st.text(min_size=1, max_size=12)),
    ({"type": "integer", "minimum": -5, "maximum": 10**12}, st.integers(-5, 10**12)),
    ({"type": "number"}, st.one_of(st.integers(-(10**18), 10**18), st.floats(allow_nan=False, allow_infinity=False))),
    ({"type": "boolean"}, st.booleans()),
    ({"type": "string", "enum": ["a", "b", "c"]}, st.sampled_from(["a", "b", "c"])),
    ({"enum": [1, 2, 3]}, st.sampled_from([1, 2, 3])),
]


@st.composite
def _flat_schema_and_value(draw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    names = draw(st.lists(st.from_regex(r"[a-z][a-zA-Z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=5,
                          unique=True))
    chosen = {name: draw(st.sampled_from(_SCALARS)) for name in names}
    properties = {name: prop for name, (prop, _values) in chosen.items()}
    present = draw(st.lists(st.sampled_from(names), unique=True))
    value = {name: draw(chosen[name][1]) for name in present}
    required = draw(st.lists(st.sampled_from(present), unique=True)) if present else []
    return {"type": "object", "properties": properties, "required": required}, value


@settings(max_examples=200, deadline=None)
@given(_flat_schema_and_value(), st.booleans())
def test_any_valid_flat_input_round_trips_through_the_form_values(case: Any, secure: bool) -> None:
    schema, value = case
    specs = field_specs(schema, secure=secure)
    raw = inputs_from_value(specs, value)
    back = convert_inputs(specs, raw)
    assert back.problems == {}
    assert back.value == value
    assert {key: type(item) for key, item in back.value.items()} == {key: type(item) for key, item in value.items()}


@pytest.mark.parametrize(
    ("prop", "example"),
    [
        ({"type": "string", "format": "email"}, "jane.doe@example.com"),
        ({"type": "string", "format": "uuid"}, "0f8fad5b-d9cb-469f-a165-70867728950e"),
        ({"type": "string", "format": "date-time"}, "2024-05-01T09:30:00Z"),
        ({"type": "string", "enum": ["voice", "chat"]}, "voice"),
        ({"type": "string", "default": "eu", "enum": ["us", "eu"]}, "eu"),
        ({"type": "string", "pattern": "^C-[0-9]{6}$"}, "C-000000"),
        ({"type": "string", "minLength": 3, "maxLength": 5}, "examp"),
        ({"type": "integer", "minimum": 1, "maximum": 20}, "10"),
        ({"type": "integer", "minimum": 0, "exclusiveMinimum": True}, "1"),
        ({"type": "integer", "maximum": 3}, "3"),
        ({"type": "number", "minimum": 0.5, "maximum": 1.5}, "1"),
        ({"type": "number"}, "2.5"),
        ({"type": "boolean", "default": True}, "true"),
        ({"type": "object", "properties": {"a": {"type": "string"}}}, ""),
    ],
)
def test_placeholder_examples_come_from_the_schema(prop: dict[str, Any], example: str) -> None:
    from genesys_nb.widgets.values import example_value

    [spec] = field_specs({"type": "object", "properties": {"field": prop}})
    assert example_value(spec) == example


def test_placeholder_example_of_a_pattern_matches_it() -> None:
    import re

    from genesys_nb.widgets.values import example_value

    pattern = "^\\+1[2-9]\\d{9}$"
    [spec] = field_specs({"type": "object", "properties": {"phone": {"type": "string", "pattern": pattern}}})
    assert re.fullmatch(pattern.strip("^$"), example_value(spec))
