"""Widgets driven as a user would, without a frontend: set `.value`, call `.click()`, read what shows."""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ipywidgets")

from genesys_nb.api.models import Action
from genesys_nb.widgets.form import ActionForm, css_class_for
from genesys_nb.widgets.spec import NOT_SET

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "genesys_nb" / "emulator" / "actions"
SAMPLE_FILES = sorted(SAMPLE_DIR.glob("*.json"))

NESTED_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "required": ["customer", "items"],
    "properties": {
        "customer": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string", "pattern": "^C[0-9]+$"},
            "address": {"type": "object", "properties": {"zip": {"type": "string", "maxLength": 5}}}}},
        "items": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["sku"],
            "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "extra": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "apiKey": {"type": "string"},
    },
}


def _action(schema: Any, *, secure: bool = False, name: str = "Synthetic") -> Action:
    export = {"name": name, "secure": secure,
              "contract": {"input": {"inputSchema": schema}, "output": {"successSchema": {"type": "object"}}}}
    return Action.from_export(export)


def _messages(form: ActionForm) -> dict[str, list[str]]:
    return form.error_messages


# ------------------------------------------------------------------ ActionForm


def test_flat_form_shows_live_messages_as_the_user_types(real_actions: list[dict[str, Any]]) -> None:
    [export] = [e for e in real_actions if e["name"].startswith("Get User External ID")]
    form = ActionForm(Action.from_export(export))
    # Nothing in red on a fresh form; the validator's verdict is still there.
    assert _messages(form) == {} and form.error_labels["USER_ID"].value == "" and not form.is_valid
    assert form.all_messages == {"USER_ID": ["'USER_ID' is a required property"]}
    assert form.submit() is False
    assert _messages(form) == {"USER_ID": ["'USER_ID' is a required property"]}
    assert "'USER_ID' is a required property" in form.error_labels["USER_ID"].value

    form.fields["USER_ID"].value = "not-a-uuid"
    shown = " ".join(_messages(form)["USER_ID"])
    assert "not-a-uuid" in shown and ("pattern" in shown or "short" in shown)
    assert "not-a-uuid" in form.error_labels["USER_ID"].value

    form.fields["USER_ID"].value = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert form.is_valid and _messages(form) == {} and form.error_labels["USER_ID"].value == ""
    assert form.value == {"USER_ID": "0f8fad5b-d9cb-469f-a165-70867728950e"}


def test_messages_follow_the_touched_field_and_placeholders_show_examples() -> None:
    schema = {"type": "object", "required": ["email", "count", "code"], "properties": {
        "email": {"type": "string", "format": "email"},
        "count": {"type": "integer", "minimum": 1, "maximum": 9},
        "code": {"type": "string", "pattern": "^C-[0-9]{6}$"},
        "id": {"type": "string", "format": "uuid"},
        "mode": {"type": "string", "enum": ["fast", "slow"]},
    }}
    form = ActionForm(_action(schema))
    assert form.fields["email"].placeholder == "e.g. jane.doe@example.com"
    assert form.fields["count"].placeholder == "e.g. 5"
    assert form.fields["code"].placeholder == "e.g. C-000000"
    assert form.fields["id"].placeholder == "e.g. 0f8fad5b-d9cb-469f-a165-70867728950e"
    assert _messages(form) == {}
    form.fields["count"].value = "12"
    assert list(_messages(form)) == ["count"]  # the untouched required fields stay quiet
    assert "maximum" in _messages(form)["count"][0]
    form.fields["count"].value = ""
    assert _messages(form) == {"count": ["'count' is a required property"]}
    form.submit()
    assert set(_messages(form)) == {"email", "count", "code"}
    form.reset()
    assert _messages(form) == {} and not form.submitted


def test_defaults_enums_and_required_marks(real_actions: list[dict[str, Any]]) -> None:
    [export] = [e for e in real_actions if e["name"].startswith("Get Queue Metrics oWaiting")]
    form = ActionForm(Action.from_export(export))
    media = form.fields["mediaType"]
    assert media.value == "voice"  # the schema default
    assert next(label for label, _value in media.options) == "— not set —"
    assert form.value == {"mediaType": "voice"}
    media.value = NOT_SET
    assert "mediaType" in _messages(form)
    assert "*" in form.children[2].children[0].value  # the required mark on queueId's label


def test_value_round_trip_on_the_widest_real_action(real_actions: list[dict[str, Any]]) -> None:
    [export] = [e for e in real_actions if e["name"] == "Update Data Table Row"]
    form = ActionForm(Action.from_export(export))
    value = {"Key": "row-1", "DatatableId": "dt", "IntFieldValue1": 7, "BoolFieldValue1": False,
             "BoolFieldValue2": True, "StringFieldValue1": "hello"}
    form.value = value
    assert form.value == value
    assert form.fields["IntFieldValue1"].value == "7"
    assert form.fields["BoolFieldValue1"].value is False
    assert form.is_valid
    form.fields["IntFieldValue2"].value = "seven"
    assert "integer" in " ".join(_messages(form)["IntFieldValue2"])
    form.reset()
    assert form.value == {}


def test_nested_form_groups_objects_and_edits_arrays() -> None:
    form = ActionForm(_action(NESTED_SCHEMA))
    assert set(form.fields) >= {"customer.id", "customer.address.zip", "items[0].sku", "items[0].qty", "extra"}
    assert form.value == {"customer": {}, "items": [{}]}
    assert _messages(form) == {}
    assert form.all_messages["items[0].sku"] == ["'sku' is a required property"]

    form.fields["customer.id"].value = "C42"
    form.fields["items[0].sku"].value = "ABC"
    form.fields["items[0].qty"].value = "0"
    assert list(_messages(form)) == ["items[0].qty"]
    assert "minimum" in _messages(form)["items[0].qty"][0]

    form.add_buttons["tags"].click()
    form.add_buttons["tags"].click()
    form.fields["tags[0]"].value = "a"
    form.fields["tags[1]"].value = "b"
    form.remove_buttons["tags[0]"].click()
    assert form.value["tags"] == ["b"]
    assert "tags[1]" not in form.fields

    value = {"customer": {"id": "C1", "address": {"zip": "75001"}}, "items": [{"sku": "A", "qty": 2}],
             "tags": ["x"], "extra": 5, "apiKey": "k"}
    form.value = value
    assert form.value == value and form.is_valid


def test_unbuildable_field_is_raw_json_with_its_reason() -> None:
    form = ActionForm(_action(NESTED_SCHEMA))
    extra = form.fields["extra"]
    assert type(extra).__name__ == "Textarea"
    assert "anyOf" in form.children[2 + 3].children[0].value  # the label of "extra" says why
    extra.value = "{not json"
    assert _messages(form)["extra"][0].startswith("not valid JSON")
    extra.value = '"free text"'
    assert "extra" not in _messages(form)


def test_secrets_use_password_inputs() -> None:
    form = ActionForm(_action(NESTED_SCHEMA))
    assert type(form.fields["apiKey"]).__name__ == "Password"
    assert type(form.fields["customer.id"]).__name__ == "Text"
    secure = ActionForm(_action({"type": "object", "properties": {"account": {"type": "string"},
                                                                   "kind": {"enum": ["a", "b"]}}}, secure=True))
    assert type(secure.fields["account"]).__name__ == "Password"
    assert type(secure.fields["kind"]).__name__ == "Dropdown"


def test_secure_action_messages_do_not_echo_the_value() -> None:
    schema = {"type": "object", "properties": {"pin": {"type": "string", "pattern": "^[0-9]{4}$"}}}
    form = ActionForm(_action(schema, secure=True))
    form.fields["pin"].value = "98765-secret"
    shown = " ".join(_messages(form)["pin"]) + form.error_labels["pin"].value
    assert "98765-secret" not in shown and shown


def test_on_change_callbacks_and_unknown_keys() -> None:
    form = ActionForm(_action({"type": "object", "properties": {"a": {"type": "string"}}}))
    seen: list[dict[str, Any]] = []
    form.on_change(seen.append)
    form.fields["a"].value = "x"
    assert seen == [{"a": "x"}]
    with pytest.raises(ValueError, match="unknown field"):
        form.value = {"b": 1}


def test_a_contract_without_properties_gets_a_json_box() -> None:
    form = ActionForm(_action(None))
    assert list(form.fields) == [""]
    form.fields[""].value = '{"anything": [1, 2]}'
    assert form.value == {"anything": [1, 2]} and form.is_valid
    form.fields[""].value = "[1]"
    assert "JSON object" in _messages(form)[""][0]


def test_css_classes_are_stable() -> None:
    form = ActionForm(_action({"type": "object", "properties": {"phone Number": {"type": "string"}}}))
    assert css_class_for("phone Number") in form.fields["phone Number"]._dom_classes
    assert css_class_for("items[0].sku") == "gnb-field-items-0--sku"


def test_every_real_action_builds(real_actions: list[dict[str, Any]]) -> None:
    for export in real_actions:
        action = Action.from_export(export)
        form = ActionForm(action)
        properties = (action.input_schema or {}).get("properties") or {}
        assert set(form.fields) == set(properties), action.name
        required = set((action.input_schema or {}).get("required") or [])
        # An empty form reports exactly the required fields that have no default.
        defaults = {name for name, prop in properties.items() if "default" in prop}
        assert set(form.all_messages) == required - defaults, action.name
        assert _messages(form) == {}, action.name  # shown only once touched or submitted
        form.submit()
        assert set(_messages(form)) == required - defaults, action.name


@pytest.mark.skipif(not SAMPLE_FILES, reason="no sample actions packaged yet")
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.stem for p in SAMPLE_FILES])
def test_every_sample_action_builds(path: Path) -> None:
    action = Action.from_export(json.loads(path.read_text(encoding="utf-8")))
    form = ActionForm(action)
    assert form.fields
    assert all(message for messages in _messages(form).values() for message in messages)


# ------------------------------------------------------------------ ReportView


def _audit_file(tmp_path: Path) -> Path:
    from datetime import datetime, timedelta, timezone

    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.audit.writer import AuditLog

    action = Action.from_export({"name": "Get Customer By Phone", "contract": {}})
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    path = tmp_path / "audit.ndjson"
    with AuditLog(path) as audit:
        for index in range(40):
            ok = index % 8 != 0
            result = ExecutionResult(
                action_id=action.id, ok=ok, output={"name": "x"} if ok else None,
                status_code=200 if ok else 429, error_class=None if ok else "rate_limited",
                error_code=None if ok else "too.many.requests.retry.after",
                error_message=None if ok else "Rate limit exceeded", correlation_id=f"c-{index}",
                latency_ms=20.0 + index, total_ms=25.0 + index, attempts=1 if ok else 4,
                timestamp=start + timedelta(milliseconds=100 * index))
            audit.write_result(result, run_id="run-1", row_id=f"r{index}", action=action,
                               params={"tier": "gold" if index % 2 else "silver"})
    return path


def test_report_view_tables_grouping_plots_and_export(tmp_path: Path) -> None:
    from genesys_nb.report.latency import LatencyReport
    from genesys_nb.widgets.report_view import PLOTS, ReportView

    view = ReportView(LatencyReport.from_audit(_audit_file(tmp_path)), export_path=tmp_path / "out" / "r.html")
    assert "Get Customer By Phone" in view.summary_table.value
    assert "rate_limited" in view.errors_table.value
    # 35 of 40 ok: rates are exact percentages, not a fraction rounded to one decimal
    assert ">87.5%<" in view.summary_table.value and ">12.5%<" in view.summary_table.value
    assert ">0.9<" not in view.summary_table.value
    view.group_by.value = "error_class"
    assert ">ok<" in view.summary_table.value and "NaN" not in view.summary_table.value
    view.group_by.value = "action_name"
    assert view.plot.value.startswith("<img") and "base64," in view.plot.value

    options = [value for _label, value in view.group_by.options]
    assert "params.tier" in options and "" in options
    view.group_by.value = "params.tier"
    assert "gold" in view.summary_table.value and "silver" in view.summary_table.value
    view.group_by.value = ""
    assert view.by == ()

    for plot in PLOTS:
        view.plot_picker.value = plot
        assert "base64," in view.plot.value, plot
    view.plot_picker.value = "histogram"
    linear = view.plot.value
    view.log_axis.value = True
    assert view.plot.value != linear

    view.export_button.click()
    assert view.last_export is not None and view.last_export.exists()
    assert "<table" in view.last_export.read_text(encoding="utf-8")
    assert str(view.last_export) in view.export_status.value

    view.export_path.value = str(tmp_path / "missing-dir-is-a-file")
    (tmp_path / "missing-dir-is-a-file").mkdir()
    view.export_button.click()
    assert "could not write" in view.export_status.value


# ------------------------------------------------------------------ against the emulator over loopback


@pytest.fixture()
def session(settings: Any) -> Any:
    from genesys_nb.run.session import Session

    with Session(settings) as opened:
        yield opened


def test_explorer_searches_executes_and_tests(session: Any) -> None:
    from genesys_nb.widgets.explorer import ActionExplorer

    explorer = ActionExplorer(session, action="Get Customer By Phone")
    assert explorer.action is not None and explorer.action.name == "Get Customer By Phone"
    assert "phoneNumber*" in explorer.summary.value and "CRM Lookups" in explorer.summary.value
    assert explorer.form is not None and "phoneNumber" in explorer.form.fields

    explorer.form.fields["phoneNumber"].value = "+13175550123"
    explorer.execute_button.click()
    result = explorer.last_result
    assert result is not None and result.ok and result.attempts == 1
    shown = explorer.output.value
    assert "Execution succeeded" in shown and result.correlation_id in shown
    assert result.output["customerId"] in shown and "latency" in shown

    explorer.test_button.click()
    assert explorer.last_test is not None and explorer.last_test.success
    assert "Test: all operations succeeded" in explorer.output.value
    assert explorer.last_test.operations[0].name in explorer.output.value

    # Numbers ending in 0000 have no customer: the remote endpoint's 404 is classified, with its fix.
    explorer.form.fields["phoneNumber"].value = "+13175550000"
    explorer.execute_button.click()
    assert explorer.last_result.error_class == "remote_endpoint"
    assert "Execution failed (remote_endpoint)" in explorer.output.value and "fix" in explorer.output.value
    explorer.test_button.click()
    assert "an operation failed" in explorer.output.value and "✘" in explorer.output.value

    # Invalid input never leaves the machine: the validator's message and no request.
    explorer.form.fields["phoneNumber"].value = "12"
    explorer.execute_button.click()
    assert explorer.last_result.error_class == "validation" and explorer.last_result.attempts == 0
    assert "$.phoneNumber" in explorer.output.value


def test_explorer_search_and_category_filter(session: Any) -> None:
    from genesys_nb.widgets.explorer import ActionExplorer

    explorer = ActionExplorer(session)
    everything = len(explorer.action_picker.options)
    assert everything >= 8 + 8  # samples + real actions
    explorer.search_box.value = "credit score"
    assert [label for label, _id in explorer.action_picker.options] == ["Get Credit Score · Risk"]
    assert explorer.action is not None and explorer.action.name == "Get Credit Score"
    explorer.search_box.value = ""
    explorer.category_dropdown.value = "Security"
    assert [label.split(" · ")[0] for label, _id in explorer.action_picker.options] == ["Verify Customer PIN"]
    assert explorer.form is not None and type(explorer.form.fields["pin"]).__name__ == "Password"
    explorer.search_box.value = "no such action"
    assert explorer.action is None and "no action matches" in explorer.summary.value
    with pytest.raises(ValueError, match="no action with id or name"):
        explorer.select("Nope")


def test_explorer_hides_secure_outputs(session: Any) -> None:
    from genesys_nb.widgets.explorer import ActionExplorer
    from genesys_nb.widgets.render import SECURE_HIDDEN

    explorer = ActionExplorer(session, action="Verify Customer PIN")
    explorer.form.value = {"customerId": "C-000042", "pin": "4321"}
    explorer.execute_button.click()
    assert explorer.last_result is not None and explorer.last_result.ok
    assert SECURE_HIDDEN in explorer.output.value and "4321" not in explorer.output.value


def test_matrix_builder_modes_preview_and_imports(session: Any, tmp_path: Path) -> None:
    import pandas as pd

    from genesys_nb.widgets.matrix_builder import MatrixBuilder

    action = next(a for a in session.client.list_actions() if a.name == "List Customer Orders")
    builder = MatrixBuilder(session.client.get_action(action.id))
    assert builder.row_count.value == "<b>rows:</b> 1"  # required field fixed, default fixed
    builder.modes["maxResults"].value = "range"
    builder.range_step["maxResults"].value = "5"
    builder.modes["customerId"].value = "list"
    builder.values["customerId"].value = "C-000001, C-000002"
    assert builder.row_count.value == "<b>rows:</b> 10"
    frame = builder.matrix.to_dataframe()
    assert sorted(frame["maxResults"].unique()) == [1, 6, 11, 16, 20]  # 1 to 20 by 5: the stop is included
    assert builder.range_stop["maxResults"].placeholder == "stop (included)"
    assert "C-000002" in builder.preview.value

    builder.range_step["maxResults"].value = "zero"
    assert "maxResults" in builder.problems.value and builder.row_count.value == "<b>rows:</b> —"
    with pytest.raises(ValueError, match="maxResults"):
        _ = builder.matrix
    builder.modes["maxResults"].value = "derive"
    assert builder.problems.value == "" and len(builder.matrix) == 2 * 3  # min, middle, max

    # typed values are checked against the contract like imported ones, before a run
    builder.values["customerId"].value = "C-000010, C-000011, bogus id"
    problems = html.unescape(builder.problems.value)
    assert "3 row(s) would be refused by the input contract" in problems, problems
    assert problems.count("customerId: 'bogus id'") == 1 and "(rows 7, 8, 9)" in problems
    assert "bogus id" in builder.preview.value and "rejected" in builder.preview.value
    builder.values["customerId"].value = "C-000001, C-000002"
    assert builder.problems.value == ""

    builder.derive_button.click()
    derived = builder.matrix.to_dataframe()
    assert derived["expected_invalid"].any() and "imported from the contract" in builder.row_count.value

    csv_file = tmp_path / "m.csv"
    csv_file.write_text("customerId,maxResults\nC-000001,3\nC-000002,oops\n", encoding="utf-8")
    builder.csv_path.value = str(csv_file)
    builder.import_button.click()
    assert "row 2" in builder.problems.value and "maxResults" in builder.problems.value
    csv_file.write_text("customerId,maxResults\nC-000001,3\nC-000002,4\n", encoding="utf-8")
    builder.import_button.click()
    assert len(builder.matrix) == 2 and [row.params["maxResults"] for row in builder.matrix] == [3, 4]

    builder.import_dataframe(pd.DataFrame({"customerId": ["C-000009"]}))
    assert len(builder.matrix) == 1
    builder.clear_button.click()
    assert builder.imported is None and len(builder.matrix) == 2 * 3


def _wait_for(condition: Any, what: str, timeout_s: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_run_panel_runs_in_the_background_and_shows_results(session: Any, tmp_path: Path) -> None:
    from genesys_nb.report.latency import LatencyReport
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.widgets.run_panel import RunPanel

    action = next(a for a in session.client.list_actions() if a.name == "Get Customer By Phone")
    phones = [f"+1317555{index:04d}" for index in range(1, 11)] + ["+13175550000"]  # the last one fails
    panel = RunPanel(session, action, ParameterMatrix.product(phoneNumber=phones),
                     audit_path=tmp_path / "audit.ndjson")
    panel.pacing.value = False
    panel.concurrency.value = 4
    panel.run_button.click()
    assert panel.wait(120)
    assert panel.error is None, panel.error
    assert panel.results is not None and len(panel.results) == 11
    assert panel.progress.value == panel.progress.max == 11
    assert "finished" in panel.status.value and "ok 10" in panel.status.value
    assert "11/11 rows" in panel.status.value and "errors 1 (remote_endpoint 1)" in panel.status.value
    assert "row_id" in panel.results_view.value
    assert not panel.run_button.disabled and panel.stop_button.disabled
    report = LatencyReport.from_audit(tmp_path / "audit.ndjson")
    assert len(report) == 11


def test_run_panel_table_folds_nested_outputs_and_counts_expected_rejections(session: Any, tmp_path: Path
                                                                           ) -> None:
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.widgets.run_panel import RunPanel

    action = session.client.get_action(next(a.id for a in session.client.list_actions()
                                            if a.name == "List Customer Orders"))
    panel = RunPanel(session, action, ParameterMatrix.from_schema(action), audit_path=tmp_path / "audit.ndjson")
    panel.pacing.value = False
    panel.run_button.click()
    assert panel.wait(120) and panel.error is None, panel.error
    view = panel.results_view.value
    assert "<details" in view and "orderId" in view  # output.orders on one line, its JSON on demand
    assert "max-height" in view and "overflow:auto" in view and "max-width:100%" in view
    assert "last attempt" in view  # latency_ms and total_ms explained
    assert "NaN" not in view and "&lt;NA&gt;" not in view
    rejected = int(panel.results["expected_invalid"].sum())
    assert rejected and f"expected rejections {rejected}" in panel.status.value
    assert "errors 0" in panel.status.value
    # One set of counts, printed the same way by the panel, the runner's summary, the report, its HTML
    # and the CLI.
    import contextlib
    import io

    from genesys_nb.cli.report_cmd import print_summary
    from genesys_nb.report.latency import LatencyReport

    line = panel.summary.outcomes.text()
    assert line.startswith(f"ok {len(panel.results) - rejected} · expected rejections {rejected} · errors 0")
    assert "failed" not in str(panel.summary) and line in str(panel.summary)
    assert html.unescape(panel.status.value).count(line) == 2  # the live line and the summary
    report = LatencyReport.from_audit(tmp_path / "audit.ndjson")
    assert line in html.unescape(report.to_html(tmp_path / "report.html").read_text(encoding="utf-8"))
    assert line in html.unescape(report._repr_html_())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_summary(report)
    assert f"Outcomes:      {line}" in out.getvalue()


def test_run_panel_stop_keeps_what_finished(session: Any, tmp_path: Path) -> None:
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.widgets.run_panel import RunPanel

    action = next(a for a in session.client.list_actions() if a.name == "Get Credit Score")
    matrix = ParameterMatrix.product(customerId=[f"C-{index:06d}" for index in range(60)]).with_fixed(
        bureau="experian")
    panel = RunPanel(session, action, matrix, audit_path=tmp_path / "audit.ndjson", poll_s=0.02)
    panel.concurrency.value = 2
    assert panel.run()
    assert not panel.run()  # one run at a time
    _wait_for(lambda: panel.progress.value >= 1, "the first finished row")
    panel.stop_button.click()
    assert panel.wait(120)
    assert panel.summary is not None and panel.summary.stopped
    assert 1 <= len(panel.results) < 60
    assert "stopped" in panel.status.value


def test_run_panel_shows_a_run_that_could_not_start(session: Any) -> None:
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.widgets.run_panel import RunPanel

    panel = RunPanel(session, "custom_-_missing", ParameterMatrix.product(a=[1]))
    panel.run_button.click()
    assert panel.wait(60)
    assert panel.error is not None and "failed" in panel.status.value
    assert "custom_-_missing" in panel.status.value  # the 404 names the action id


def test_run_panel_delivers_signed_webhooks(session: Any, tmp_path: Path) -> None:
    import http.server
    import threading

    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.webhook import verify
    from genesys_nb.widgets.run_panel import RunPanel

    received: list[tuple[bytes, dict[str, str]]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, dict(self.headers.items())))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        action = next(a for a in session.client.list_actions() if a.name == "Echo")
        panel = RunPanel(session, action, ParameterMatrix.product(message=["a", "b", "c"]),
                         audit_path=tmp_path / "audit.ndjson")
        panel.pacing.value = False
        panel.webhook_url.value = f"http://127.0.0.1:{server.server_port}/hook"
        panel.webhook_secret.value = "receiver-secret"
        panel.run_button.click()
        assert panel.wait(120) and panel.error is None, panel.error
    finally:
        server.shutdown()
        thread.join()
    assert len(received) >= 3  # one per row (a run summary may follow, depending on the mode)
    assert all(verify(body, headers, "receiver-secret") for body, headers in received)
    assert "receiver-secret" not in panel.status.value
    assert set(panel.results["webhook"]) <= {"pending", "delivered"}


def test_a_broken_contract_still_gives_a_form_and_says_what_is_wrong() -> None:
    form = ActionForm(_action({"type": "object", "properties": {"a": {"type": "string"}}, "required": [["a"]]}))
    assert "not a valid" in form.contract_notice.value and "required" in form.contract_notice.value
    form.fields["a"].value = "x"
    assert form.value == {"a": "x"} and form.errors == []


def test_execute_on_an_empty_form_shows_its_messages(session: Any) -> None:
    from genesys_nb.widgets.explorer import ActionExplorer

    explorer = ActionExplorer(session, action="Get Customer By Phone")
    assert explorer.form is not None and _messages(explorer.form) == {}  # nothing red before a touch
    explorer.execute()
    assert explorer.form.submitted and "phoneNumber" in _messages(explorer.form)


def test_matrix_builder_refuses_a_misspelled_csv_header_and_marks_rows_the_contract_would_refuse(
        session: Any, tmp_path: Path) -> None:
    from genesys_nb.widgets.matrix_builder import MatrixBuilder

    action = next(a for a in session.client.list_actions() if a.name == "List Customer Orders")
    builder = MatrixBuilder(session.client.get_action(action.id))
    misspelled = tmp_path / "typo.csv"
    misspelled.write_text("customerId;maxResult\nC-000001;5\n", encoding="utf-8")
    builder.csv_path.value = str(misspelled)
    builder.import_button.click()
    assert "did you mean &#x27;maxResults&#x27;" in builder.problems.value or "did you mean 'maxResults'" in \
        builder.problems.value
    assert "unknown_columns" not in builder.problems.value and "Rename the column" in builder.problems.value
    assert builder.imported is None
    over = tmp_path / "over.csv"
    over.write_text("customerId;maxResults\nC-000001;5\nC-000002;25\n", encoding="utf-8")
    builder.csv_path.value = str(over)
    builder.import_button.click()
    assert "semicolon" in builder.row_count.value
    assert "1 imported row(s) would be refused" in builder.problems.value and "maxResults" in builder.problems.value
    assert "rejected" in builder.preview.value


def test_a_refused_input_says_each_thing_once_with_no_latency_and_widget_words() -> None:
    from genesys_nb.api.models import FieldError
    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.widgets.render import result_html

    error = FieldError(path="$.phoneNumber", message="'x' does not match '^\\\\+[0-9]+$'", validator="pattern")
    result = ExecutionResult(
        action_id="a-1", ok=False, errors=[error], error_class="validation", error_code="pattern", attempts=0,
        error_message=("Input of action 'a-1' does not match its contract: $.phoneNumber: 'x' does not match "
                       "'^\\\\+[0-9]+$'. Fix: change the inputs so they match the input contract of action 'a-1' "
                       "(client.get_schema(action_id) shows it)."))
    shown = html.unescape(result_html(result))
    assert shown.count("does not match '^") == 1, shown
    assert shown.count("change the inputs") == 1
    assert "client." not in shown and "the contract above shows it" in shown
    assert "latency" not in shown and "0.0 ms" not in shown and "nothing reached the platform" in shown


def test_a_remote_404_gets_advice_about_the_url_not_the_credentials() -> None:
    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.widgets.render import result_html

    result = ExecutionResult(action_id="a-1", ok=False, error_class="remote_endpoint", status_code=404,
                             error_message="The remote endpoint answered 404.", latency_ms=12.5, total_ms=12.5)
    shown = html.unescape(result_html(result))
    assert "404 Not Found" in shown and "request URL template" in shown and "press Test" in shown
    assert "credentials" not in shown and "12.5 ms (last attempt)" in shown


def test_result_table_sorts_filters_and_keeps_failures() -> None:
    import pandas as pd

    from genesys_nb.widgets._results_table import eta_text, failed_mask, shown_results, unsent_mask

    frame = pd.DataFrame({
        "row_id": ["a", "b", "c", "d"], "ok": [True, False, False, False],
        "expected_invalid": [False, True, False, False], "error_class": [None, "bad_request", "timeout", "validation"],
        "latency_ms": [30.0, 5.0, None, 0.0], "attempts": [1, 1, 1, 0], "correlation_id": ["x1", "x2", "x3", None],
    })
    assert failed_mask(frame).tolist() == [False, False, True, True]  # an expected rejection is no failure
    assert unsent_mask(frame).tolist() == [False, False, False, True]
    assert shown_results(frame, only_failures=True)["row_id"].tolist() == ["c", "d"]
    assert shown_results(frame, text="TIME")["row_id"].tolist() == ["c"]
    assert shown_results(frame, sort_by="latency_ms")["row_id"].tolist() == ["d", "b", "a", "c"]  # missing last
    assert shown_results(frame, sort_by="latency_ms", descending=True)["row_id"].tolist() == ["a", "b", "d", "c"]
    assert eta_text(10, 40, 5.0) == "about 15 s left" and eta_text(0, 40, 1.0) == "" and eta_text(40, 40, 9) == ""
    assert eta_text(1, 400, 1.0) == "about 7 min left"


def test_run_panel_table_controls_export_and_rerun_failed_rows(session: Any, emulator_server: Any,
                                                                tmp_path: Path) -> None:
    import pandas as pd

    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.widgets.run_panel import RunPanel

    action = next(a for a in session.client.list_actions() if a.name == "Get Customer By Phone")
    phones = ["+13175550001", "+13175550002", "+13175550000"]  # the last one fails at the remote
    panel = RunPanel(session, action, ParameterMatrix.product(phoneNumber=phones), audit_path=tmp_path / "a.ndjson")
    panel.pacing.value = False
    panel.run_button.click()
    assert panel.wait(120) and panel.error is None, panel.error
    assert ("correlation_id", "correlation_id") in panel.sort_by.options
    assert "user-select: all" in panel.results_view.value  # a correlation id selects whole on one click
    panel.only_failures.value = True
    assert "1 of 3 rows shown" in html.unescape(panel.results_view.value)
    panel.export_path.value = str(tmp_path / "out" / "failed.csv")
    panel.export_button.click()
    exported = pd.read_csv(tmp_path / "out" / "failed.csv")
    assert len(exported) == 1 and not exported["ok"].any()
    assert not panel.rerun_button.disabled
    sent_before = len([e for e in emulator_server.emulator.request_log if e.operation == "execute"])
    assert panel.rerun_failed() is False  # it reached the platform, the action is not idempotent: ask first
    assert panel.confirm_box.layout.display == "" and "may have run on the platform" in panel.table_status.value
    assert len([e for e in emulator_server.emulator.request_log if e.operation == "execute"]) == sent_before
    panel.confirm_button.click()
    assert panel.wait(120) and panel.error is None
    assert len(panel.results) == 1 and "1/1 rows" in panel.status.value
    assert len([e for e in emulator_server.emulator.request_log if e.operation == "execute"]) == sent_before + 1
