"""Matrix preview: every row's rendered request, with the row ids a run uses; a broken row fails alone."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from genesys_nb.api.models import Action
from genesys_nb.engine import ActionEngine
from genesys_nb.run import runner
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.preview import COLUMNS, engine_for, matrix_rows, preview

REAL = Path(__file__).resolve().parents[1] / "genesys_nb" / "emulator" / "actions" / "real"


def _export(name: str) -> dict[str, Any]:
    return json.loads((REAL / name).read_text(encoding="utf-8"))


LOOKUP = {"name": "Lookup", "config": {"request": {
    "requestType": "post", "requestUrlTemplate": "https://crm.example/v1/customers/${input.id}",
    "requestTemplate": "{\"id\": \"${input.id}\", \"note\": \"${input.note}\"}"}},
    "contract": {"input": {"inputSchema": {"type": "object", "properties": {
        "id": {"type": "string"}, "note": {"type": "string"}}}}}}


def test_columns_ids_and_rendered_requests_of_a_matrix() -> None:
    matrix = ParameterMatrix.product(id=["C-1", "C-2", "C-3"]).with_fixed(note="hi")
    frame = preview(LOOKUP, matrix)
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["row_id"]) == [row.row_id for row in matrix]
    assert list(frame["row_id"]) == [row.row_id for row in runner._iter_rows(runner._as_matrix(matrix))]
    assert list(frame["method"]) == ["POST"] * 3
    assert list(frame["url"]) == [f"https://crm.example/v1/customers/C-{i}" for i in (1, 2, 3)]
    assert json.loads(frame["body"][1]) == {"id": "C-2", "note": "hi"}
    assert frame["error"].isna().all()
    assert (frame["warnings"] == "").all()


@pytest.mark.parametrize("shape", ["records", "dataframe"])
def test_a_list_of_dicts_or_a_dataframe_gets_the_ids_a_run_gives_it(shape: str) -> None:
    records = [{"id": "A", "note": "x"}, {"id": "B", "note": "y"}, {"id": "A", "note": "x"}]
    matrix: Any = records if shape == "records" else pd.DataFrame(records)
    frame = preview(LOOKUP, matrix)
    expected = [row.row_id for row in runner._iter_rows(runner._as_matrix(matrix))]
    assert list(frame["row_id"]) == expected
    assert expected[2] == f"{expected[0]}-1"  # a repeated row gets its occurrence suffix, as in a run
    assert list(frame["url"].str.rsplit("/", n=1).str[-1]) == ["A", "B", "A"]


def test_an_unset_reference_is_a_warning_of_its_row_only() -> None:
    frame = preview(LOOKUP, [{"id": "A", "note": "x"}, {"id": "B"}])
    assert frame["warnings"][0] == ""
    assert "note" in frame["warnings"][1]
    assert "${input.note}" in frame["body"][1]  # Velocity leaves an unset reference in the text


class _Picky(ActionEngine):
    def render_request(self, inputs: Any) -> Any:
        if inputs.get("id") == "boom":
            raise RuntimeError("this row cannot be rendered")
        return super().render_request(inputs)


def test_a_row_whose_render_fails_fails_alone() -> None:
    engine = _Picky.from_export(LOOKUP)
    frame = preview(engine, [{"id": "A"}, {"id": "boom"}, {"id": "C"}])
    assert list(frame["error"].isna()) == [True, False, True]
    assert frame["error"][1] == "RuntimeError: this row cannot be rendered"
    assert pd.isna(frame["url"][1]) and pd.isna(frame["body"][1]) and pd.isna(frame["method"][1])
    assert frame["url"][2].endswith("/C")


def test_a_broken_template_is_reported_per_row_not_raised() -> None:
    broken = json.loads(json.dumps(LOOKUP))
    broken["config"]["request"]["requestTemplate"] = "#if($input.id) never closed"
    frame = preview(broken, [{"id": "A"}, {"id": "B"}])
    assert len(frame) == 2
    assert frame["error"].str.contains("TemplateSyntaxError").all()


def test_the_widest_real_action_renders_its_conditionals() -> None:
    export = _export("update-data-table-row.json")
    frame = preview(export, ParameterMatrix.product(Key=["a b", "c"]).with_fixed(
        DatatableId="dt-1", StringFieldName1="colour", StringFieldValue1="red"))
    assert list(frame["method"]) == ["PUT", "PUT"]
    rows_url = "/api/v2/flows/datatables/dt-1/rows/"
    assert list(frame["url"]) == [f"{rows_url}a%20b", f"{rows_url}c"]
    body = json.loads(frame["body"][0])
    assert body == {"key": "a b", "colour": "red"}  # empty optional pairs are left out by #if


def test_an_empty_matrix_gives_an_empty_frame_with_the_columns() -> None:
    frame = preview(LOOKUP, [])
    assert frame.empty and list(frame.columns) == list(COLUMNS)


def test_engine_for_accepts_every_way_of_naming_an_action(tmp_path: Path) -> None:
    path = tmp_path / "lookup.json"
    path.write_text(json.dumps(LOOKUP), encoding="utf-8")
    action = Action.from_export(LOOKUP)
    for source in (path, str(path), LOOKUP, action, action.to_dict(), ActionEngine(action)):
        assert engine_for(source).render_request({"id": "Z"}).url.endswith("/Z"), source
    with pytest.raises(TypeError, match="cannot preview a int"):
        engine_for(42)
    with pytest.raises(ValueError, match="no such file"):
        engine_for(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        engine_for(tmp_path / "bad.json")


def test_matrix_rows_refuses_what_is_not_a_matrix() -> None:
    with pytest.raises(TypeError, match="ParameterMatrix"):
        list(matrix_rows(7))
    with pytest.raises(TypeError, match="row_id"):
        list(matrix_rows({"a": 1}))


def test_rows_the_contract_would_refuse_are_marked_before_anything_is_sent() -> None:
    export = {"name": "Orders", "config": {"request": {"requestType": "GET",
              "requestUrlTemplate": "https://orders.example/v1/${input.customerId}?limit=${input.maxResults}"}},
              "contract": {"input": {"inputSchema": {"type": "object", "required": ["customerId"], "properties": {
                  "customerId": {"type": "string"}, "maxResults": {"type": "integer", "maximum": 20}}}}}}
    frame = preview(export, [{"customerId": "C-1", "maxResults": 5}, {"customerId": "C-2", "maxResults": 25},
                             {"maxResults": 3}])
    assert list(frame["rejected"] == "") == [True, False, False]
    assert "maxResults" in frame["rejected"][1] and "20" in frame["rejected"][1]
    assert "customerId" in frame["rejected"][2]
    assert frame["url"][1] == "https://orders.example/v1/C-2?limit=25"  # still rendered: the preview shows both
