"""ParameterMatrix: constructors, fixed values, stable row ids, CSV coercion, cases derived from contracts."""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesys_nb.api.models import Action
from genesys_nb.contract.validator import compile_schema
from genesys_nb.run.matrix import (
    MatrixError,
    MatrixRow,
    ParameterMatrix,
    coerce_cell,
    example_for_pattern,
)

NESTED_SCHEMA: dict[str, Any] = {  # synthetic: real contracts are flat, this one exercises nesting
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "required": ["queueId", "priority"],
    "additionalProperties": False,
    "properties": {
        "queueId": {"type": "string", "minLength": 3, "maxLength": 8},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "ratio": {"type": "number", "minimum": 0, "exclusiveMaximum": True, "maximum": 1},
        "media": {"type": "string", "enum": ["voice", "chat"]},
        "vip": {"type": "boolean"},
        "code": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{3}$"},
        "address": {
            "type": "object",
            "required": ["zip"],
            "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}, "city": {"type": "string"}},
        },
    },
}


def test_product_every_combination_in_order() -> None:
    matrix = ParameterMatrix.product(media=["voice", "chat"], priority=[1, 2, 3])
    assert len(matrix) == 6
    assert [r.params for r in matrix][:2] == [{"media": "voice", "priority": 1}, {"media": "voice", "priority": 2}]
    assert all(isinstance(r, MatrixRow) and not r.expected_invalid and r.case is None for r in matrix)


def test_product_rejects_scalars_and_empty_axes() -> None:
    with pytest.raises(MatrixError, match=r"axis 'queueId' must be a list.*with_fixed\(queueId=\.\.\.\)"):
        ParameterMatrix.product(queueId="q1")
    with pytest.raises(MatrixError, match="axis 'priority' has no values"):
        ParameterMatrix.product(priority=[])


def test_zip_pairs_values_and_names_unequal_axes() -> None:
    matrix = ParameterMatrix.zip(a=[1, 2], b=["x", "y"])
    assert [r.params for r in matrix] == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    with pytest.raises(MatrixError, match=r"a=2, b=3"):
        ParameterMatrix.zip(a=[1, 2], b=[1, 2, 3])


def test_dotted_paths_nest_and_fixed_values_merge() -> None:
    matrix = ParameterMatrix.product(**{"address.zip": ["75001", "69001"]}).with_fixed(
        {"address.city": "Paris"}, queueId="q1")
    assert matrix[0].params == {"address": {"zip": "75001", "city": "Paris"}, "queueId": "q1"}
    assert matrix.fields == ["address.zip", "address.city", "queueId"]
    # a row keeps its own value for the field it varies
    assert ParameterMatrix.product(queueId=["a", "b"]).with_fixed(queueId="z")[1].params == {"queueId": "b"}


def test_row_ids_are_stable_and_unique_for_duplicates() -> None:
    first = ParameterMatrix.from_records([{"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 2}])
    second = ParameterMatrix.from_records([{"b": 2, "a": 1}, {"a": 1, "b": 2}, {"a": 2}])
    ids = [r.row_id for r in first]
    assert ids == [r.row_id for r in second]
    assert ids[1] == f"{ids[0]}-1" and len(set(ids)) == 3
    assert re.fullmatch(r"[0-9a-f]{16}", ids[0])
    assert first.with_fixed(c=1)[0].row_id != ids[0]  # the id covers what is sent


def test_from_dataframe_drops_missing_cells_and_unwraps_numpy() -> None:
    frame = pd.DataFrame({"queueId": ["q1", "q2"], "priority": [1, np.nan], "address.zip": ["1", None]})
    rows = [r.params for r in ParameterMatrix.from_dataframe(frame)]
    assert rows == [{"queueId": "q1", "priority": 1.0, "address": {"zip": "1"}}, {"queueId": "q2"}]
    ints = ParameterMatrix.from_dataframe(pd.DataFrame({"n": np.array([3], dtype=np.int64)}))
    assert type(ints[0].params["n"]) is int
    conformed = ParameterMatrix.from_dataframe(frame, action=NESTED_SCHEMA)
    assert [r.params.get("priority") for r in conformed] == [1, None]
    assert type(conformed[0].params["priority"]) is int


def test_to_dataframe_has_meta_and_field_columns() -> None:
    frame = ParameterMatrix.from_records([{"a": 1, "b": {"c": True}}, {"a": 2}]).to_dataframe()
    assert list(frame.columns) == ["row_id", "case", "expected_invalid", "a", "b.c"]
    assert frame["a"].tolist() == [1, 2]
    assert str(frame["b.c"].dtype) == "boolean"


def _events_action(real_actions: list[dict[str, Any]], name: str) -> Action:
    export = next(a for a in real_actions if a["name"] == name or a["name"].startswith(f"{name} - "))
    return Action.from_export(export)


def test_from_csv_coerces_to_the_action_types(tmp_path: Path, real_actions: list[dict[str, Any]]) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("Key,IntFieldValue1,BoolFieldValue1,StringFieldValue1\n"
                    "k1,42,true,007\n"
                    "k2,,no,\n", encoding="utf-8")
    matrix = ParameterMatrix.from_csv(path, action=_events_action(real_actions, "Update Data Table Row"))
    assert [r.params for r in matrix] == [
        {"Key": "k1", "IntFieldValue1": 42, "BoolFieldValue1": True, "StringFieldValue1": "007"},
        {"Key": "k2", "BoolFieldValue1": False},
    ]
    plain = ParameterMatrix.from_csv(path)
    assert plain[0].params["IntFieldValue1"] == "42"


def test_from_csv_names_row_and_column_that_cannot_be_read(
        tmp_path: Path, real_actions: list[dict[str, Any]]) -> None:
    action = _events_action(real_actions, "Get Events")
    path = tmp_path / "events.csv"
    path.write_text("ownerId,maxResults\no1,10\no2,ten\n", encoding="utf-8")
    with pytest.raises(MatrixError, match=r"events\.csv: row 2 \(line 3\), column 'maxResults': "
                                          r"cannot read 'ten' as integer"):
        ParameterMatrix.from_csv(path, action=action)
    path.write_text("ownerId,maxResults\no1,10,extra\n", encoding="utf-8")
    with pytest.raises(MatrixError, match="row 1 .*more cells"):
        ParameterMatrix.from_csv(path, action=action)
    path.write_text("", encoding="utf-8")
    with pytest.raises(MatrixError, match="header"):
        ParameterMatrix.from_csv(path, action=action)


def test_from_csv_refuses_unknown_column_when_contract_is_closed(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("queueId,colour\nq1,red\n", encoding="utf-8")
    with pytest.raises(MatrixError, match="column 'colour' is not an input"):
        ParameterMatrix.from_csv(path, action=NESTED_SCHEMA)


@pytest.mark.parametrize(("text", "prop", "expected"), [
    ("42", {"type": "integer"}, 42), ("4.0", {"type": "integer"}, 4), ("4.5", {"type": "number"}, 4.5),
    ("7", {"type": "number"}, 7), ("Yes", {"type": "boolean"}, True), ("0", {"type": "boolean"}, False),
    ("007", {"type": "string"}, "007"), ("x", None, "x"), ("null", {"type": ["integer", "null"]}, None),
    ('{"a": 1}', {"type": "object"}, {"a": 1}),
])
def test_coerce_cell(text: str, prop: dict[str, Any] | None, expected: Any) -> None:
    value = coerce_cell(text, prop)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("text", "prop"), [("4.5", {"type": "integer"}), ("maybe", {"type": "boolean"}),
                                            ("nan", {"type": "number"})])
def test_coerce_cell_refuses(text: str, prop: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=f"cannot read '{text}' as {prop['type']}"):
        coerce_cell(text, prop)


def test_coerce_turns_cli_strings_into_types(real_actions: list[dict[str, Any]]) -> None:
    action = _events_action(real_actions, "Get Events")
    matrix = ParameterMatrix.product(maxResults=["1", "50"]).with_fixed(ownerId="o").coerce(action)
    assert [r.params["maxResults"] for r in matrix] == [1, 50]
    with pytest.raises(MatrixError, match="row 1, field 'maxResults'"):
        ParameterMatrix.product(maxResults=["many"]).coerce(action)


@pytest.mark.parametrize("pattern", [
    r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$",
    r"^\+?[0-9]{10,15}$", r"^(voice|chat)$", r"[^@\s]+@[^@\s]+\.[a-z]{2,}", r"^\w+\s\d*$", r"^.{3}$",
])
def test_example_for_pattern_matches(pattern: str) -> None:
    example = example_for_pattern(pattern)
    assert example is not None and re.search(pattern, example)


def test_example_for_pattern_respects_lengths_and_gives_up_cleanly() -> None:
    example = example_for_pattern(r"^[a-z]+$", min_length=5, max_length=5)
    assert example is not None and len(example) == 5
    assert example_for_pattern(r"^[a-z]{9}$", max_length=3) is None
    assert example_for_pattern(r"(a)\1") is None
    assert example_for_pattern("(") is None


def _cases(matrix: ParameterMatrix) -> dict[str, MatrixRow]:
    return {label: row for row in matrix for label in (row.case or "").split("; ")}


def test_from_schema_boundary_cases_on_a_nested_contract() -> None:
    matrix = ParameterMatrix.from_schema(NESTED_SCHEMA)
    cases = _cases(matrix)
    expected_labels = {
        "required only": False, "all fields": False, "queueId missing": True, "priority=min": False,
        "priority=min-1": True, "priority=max": False, "priority=max+1": True, "ratio=max": False,
        "ratio=max+0.001": True, "media=voice": False, "media=chat": False, "vip=true": False,
        "vip=false": False, "queueId.length=min-1": True, "queueId.length=max+1": True,
        "code matches pattern": False, "code breaks pattern": True, "media present": False,
        "priority wrong type (string)": True, "address.zip missing": True, "address.zip breaks pattern": True,
        "unexpectedField (additionalProperties: false)": True,
    }
    for label, invalid in expected_labels.items():
        assert label in cases, label
        assert cases[label].expected_invalid is invalid, label
    assert cases["priority=max+1"].params == {"queueId": "sample", "priority": 6}
    assert cases["address.zip missing"].params == {"queueId": "sample", "priority": 1, "address": {}}
    assert cases["ratio=max"].params["ratio"] == pytest.approx(0.999)


def test_from_schema_expected_invalid_matches_the_validator_on_every_real_action(
        real_actions: list[dict[str, Any]]) -> None:
    assert real_actions, "no real actions found"
    for export in real_actions:
        action = Action.from_export(export)
        validator = compile_schema(action.input_schema)
        for strategy in ("minimal", "boundary", "full"):
            matrix = ParameterMatrix.from_schema(action, strategy=strategy)
            assert len(matrix) >= 1
            for row in matrix:
                assert row.expected_invalid is (not validator.is_valid(row.params)), (export["name"], row)
        boundary = ParameterMatrix.from_schema(export)  # the export dict works too
        labels = " ".join(r.case or "" for r in boundary)
        assert any(not r.expected_invalid for r in boundary)
        for name in action.input_schema.get("required", []):
            assert f"{name} missing" in labels
        for name, prop in action.input_schema["properties"].items():
            for value in prop.get("enum", []):
                assert f"{name}={value}" in labels
            if "maxLength" in prop:
                assert f"{name}.length=max+1" in labels


def test_strategies_and_full_limit() -> None:
    minimal = ParameterMatrix.from_schema(NESTED_SCHEMA, strategy="minimal")
    assert [r.case for r in minimal] == ["required only", "all fields"]
    full = ParameterMatrix.from_schema(NESTED_SCHEMA, strategy="full")
    combos = [r for r in full if "combination" in (r.case or "")]
    assert len(combos) == 4  # media x vip
    with pytest.raises(MatrixError, match="unknown strategy 'wide'"):
        ParameterMatrix.from_schema(NESTED_SCHEMA, strategy="wide")
    wide = {"type": "object", "properties": {f"f{i}": {"enum": list(range(10))} for i in range(5)}}
    with pytest.raises(MatrixError, match="100000 rows"):
        ParameterMatrix.from_schema(wide, strategy="full")


def test_action_without_contract_gives_one_empty_row() -> None:
    matrix = ParameterMatrix.from_schema(Action(id="a1", name="No inputs"))
    assert [(r.params, r.case) for r in matrix] == [({}, "no inputs")]


def test_with_fixed_keeps_the_case_and_rechecks_validity(real_actions: list[dict[str, Any]]) -> None:
    action = _events_action(real_actions, "Get User External ID")
    matrix = ParameterMatrix.from_schema(action)
    real_id = "0f0e5d3c-1b2a-4c5d-8e9f-a0b1c2d3e4f5"
    fixed = _cases(matrix.with_fixed(USER_ID=real_id))
    assert fixed["required only"].params == {"USER_ID": real_id}
    assert fixed["USER_ID missing"].params == {}  # the field the case is about is left alone
    assert fixed["USER_ID breaks pattern"].params["USER_ID"] != real_id
    broken = _cases(matrix.with_fixed(USER_ID="nope"))
    assert broken["required only"].expected_invalid is True  # the contract rejects the fixed value


def test_concatenation_and_repr() -> None:
    both = ParameterMatrix.product(a=[1, 2]) + ParameterMatrix.from_records([{"a": 3}])
    assert [r.params["a"] for r in both] == [1, 2, 3]
    assert "rows=3" in repr(both)
    with pytest.raises(MatrixError, match="row 1 is a list"):
        ParameterMatrix([[1, 2]])  # type: ignore[list-item]


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True),
                       st.lists(st.integers(-5, 5) | st.text(max_size=3), min_size=1, max_size=3, unique=True),
                       min_size=1, max_size=3))
def test_product_size_and_unique_ids(axes: dict[str, list[Any]]) -> None:
    matrix = ParameterMatrix.product(**axes)
    assert len(matrix) == math.prod(len(v) for v in axes.values())
    assert len({r.row_id for r in matrix}) == len(matrix)
    assert [r.row_id for r in matrix] == [r.row_id for r in ParameterMatrix.product(**axes)]


# ---- CSV files as analysts have them ------------------------------------------------------------------
ORDERS_SCHEMA = {"type": "object", "required": ["customerId"],
                 "properties": {"customerId": {"type": "string"},
                                "maxResults": {"type": "integer", "minimum": 1, "maximum": 20}}}


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", "comma")])
def test_from_csv_sniffs_the_delimiter_and_says_which(tmp_path: Path, delimiter: str, name: str) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(f"customerId{delimiter}maxResults\nC-1{delimiter}5\nC-2{delimiter}\n", encoding="utf-8")
    matrix = ParameterMatrix.from_csv(path, action=ORDERS_SCHEMA)
    assert matrix.csv_delimiter == delimiter
    assert [row.params for row in matrix] == [{"customerId": "C-1", "maxResults": 5}, {"customerId": "C-2"}]
    frame = matrix.to_dataframe()
    assert str(frame["maxResults"].dtype) == "Int64" and list(frame["maxResults"].astype(object)) == [5, pd.NA]


def test_from_csv_refuses_a_misspelled_column_with_the_closest_field(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("customerId,maxResult\nC-1,5\n", encoding="utf-8")
    with pytest.raises(MatrixError, match=r"column 'maxResult' is not an input.*did you mean 'maxResults'\?"):
        ParameterMatrix.from_csv(path, action=ORDERS_SCHEMA)
    passed = ParameterMatrix.from_csv(path, action=ORDERS_SCHEMA, unknown_columns="pass")
    assert passed[0].params == {"customerId": "C-1", "maxResult": "5"}
    assert ParameterMatrix.from_csv(path)[0].params["maxResult"] == "5"  # no contract: nothing to check against


def test_from_csv_names_the_file_and_the_encoding_argument(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("customerId\nCaf\xe9\n".encode("cp1252"))
    with pytest.raises(MatrixError, match=r"latin\.csv: not utf-8-sig text.*encoding='cp1252'"):
        ParameterMatrix.from_csv(path, action=ORDERS_SCHEMA)
    assert ParameterMatrix.from_csv(path, action=ORDERS_SCHEMA, encoding="cp1252")[0].params == {"customerId": "Café"}


def test_rejected_lists_the_cells_the_contract_would_refuse_before_a_run(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("customerId,maxResults\nC-1,25\n,3\nC-3,4\n", encoding="utf-8")
    matrix = ParameterMatrix.from_csv(path, action=ORDERS_SCHEMA)
    rejected = matrix.rejected()
    assert list(zip(rejected["row"], rejected["field"])) == [(1, "maxResults"), (2, "customerId")]
    assert "20" in rejected.iloc[0]["message"] and not rejected["expected_invalid"].any()
    assert matrix.rejected(ORDERS_SCHEMA).equals(rejected)
