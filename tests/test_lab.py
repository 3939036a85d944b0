"""ActionLab driven as a user would, without a frontend: set values, press buttons, read each step's HTML."""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ipywidgets")

from genesys_nb.api.models import TestExecutionResult
from genesys_nb.engine import RemoteResponse
from genesys_nb.widgets import ActionLab
from genesys_nb.widgets._lab_render import diff_rows

REAL = Path(__file__).resolve().parents[1] / "genesys_nb" / "emulator" / "actions" / "real"
CALLBACK = "create-callback-extended-with-data.json"
CALLBACK_NAME = "Create Callback Extended with Data"
REQUIRED = {"callbackNumber": "+13175550123", "queueId": "q-1"}


def _export(name: str = CALLBACK) -> dict[str, Any]:
    return json.loads((REAL / name).read_text(encoding="utf-8"))


def _text(widget: Any) -> str:
    return html.unescape(widget.value)


@pytest.fixture()
def lab() -> ActionLab:
    lab = ActionLab(_export(), remote={"conversation": {"id": "conv-7"}})
    lab.form.value = REQUIRED
    return lab


def test_each_step_shows_from_an_export(lab: ActionLab) -> None:
    assert "Request rendered" in _text(lab.request_view)
    assert "/api/v2/conversations/callbacks" in _text(lab.request_view)
    body = _text(lab.request_view)
    assert '"+13175550123"' in body and '"queueId": "q-1"' in body
    assert "scriptId" not in body  # an empty optional field is left out by its #if
    translation = _text(lab.translation_view)
    assert "$.conversation.id" in translation and '"conv-7"' in translation
    assert "<td class='gnb-lab-default'>no</td>" in lab.translation_view.value
    assert "Output matches the success schema" in _text(lab.output_view)
    assert '"conversationId": "conv-7"' in _text(lab.output_view)
    assert lab.last_test is not None and lab.last_test.success
    assert lab.last_test.output == {"conversationId": "conv-7"}
    assert "all operations succeeded" in _text(lab.steps_view)


def test_typing_an_input_re_renders_the_request(lab: ActionLab) -> None:
    lab.form.fields["queueId"].value = "q-typed"
    assert '"queueId": "q-typed"' in _text(lab.request_view)
    lab.form.fields["scriptId"].value = "s-9"
    assert '"scriptId": "s-9"' in _text(lab.request_view)


def test_editing_the_success_template_updates_the_output(lab: ActionLab) -> None:
    lab.success_box.value = '{"conversationId": ${id}, "edited": true}'
    assert '"edited": true' in _text(lab.output_view)
    assert lab.last_test.output == {"conversationId": "conv-7", "edited": True}
    lab.success_box.value = '{"conversationId": ${id}'  # being typed: not JSON yet
    assert "Output is not JSON" in _text(lab.output_view)
    assert lab.last_test is not None and not lab.last_test.success
    lab.success_box.value = '{"conversationId": 5}'
    assert "Output breaks the success schema" in _text(lab.output_view)
    assert "conversationId" in _text(lab.output_view)


def test_an_undefined_success_variable_fails_like_the_platform(lab: ActionLab) -> None:
    lab.success_box.value = '{"conversationId": ${id}, "presences": $Presences}'
    velocity_text = "Variable $Presences has not been set at successTemplate[line 1, column 40]"
    assert velocity_text in _text(lab.output_view)
    failed = lab.last_test.operations[-1]
    assert failed.name == "Apply output transformation" and not failed.success
    assert failed.error is not None and failed.error.details == [{"errorCode": "ACTION.PROCESSING"}]
    assert f"due to error:'{velocity_text}'" in (failed.error.message or "")
    lab.success_box.value = '{"conversationId": ${id}, "presences": "$!{Presences}"}'  # still undefined
    assert lab.last_test is not None and not lab.last_test.success
    lab.success_box.value = '{"conversationId": ${id}#if($Presences), "presences": $Presences#end}'
    assert lab.last_test.output == {"conversationId": "conv-7"}  # #if($name) tests an undefined name


def test_editing_the_request_template_and_url(lab: ActionLab) -> None:
    lab.request_box.value = '{"number": "${input.callbackNumber}"}'
    assert '{"number": "+13175550123"}' in _text(lab.request_view)
    lab.url_box.value = "/api/v2/callbacks/${input.queueId}"
    assert "/api/v2/callbacks/q-1" in _text(lab.request_view)
    lab.request_box.value = "#if($input.callbackNumber) never closed"
    assert "Request template does not render" in _text(lab.request_view)
    assert "failed" in _text(lab.steps_view) or "✘" in lab.steps_view.value


def test_a_path_that_finds_nothing_takes_its_default(lab: ActionLab) -> None:
    lab.remote_box.value = json.dumps({"somethingElse": 1})
    assert "<td class='gnb-lab-default'>yes</td>" in lab.translation_view.value
    assert '"conversationId": ""' in _text(lab.output_view)
    lab.translation_box.value = json.dumps({"id": "$.somethingElse"})
    assert "<td class='gnb-lab-default'>no</td>" in lab.translation_view.value
    assert '"conversationId": 1' in _text(lab.output_view)


def test_bad_editor_json_and_bad_remote_answers_are_explained(lab: ActionLab) -> None:
    lab.translation_box.value = "{not json"
    assert "translation map is not JSON" in _text(lab.translation_view)
    lab.translation_box.value = "[1, 2]"
    assert "must be a JSON object" in _text(lab.translation_view)
    lab.translation_box.value = json.dumps({"id": "$.conversation.id"})
    assert "conv-7" in _text(lab.translation_view)
    lab.remote_box.value = "<html>oops"
    assert "remote response is not JSON" in _text(lab.output_view)
    lab.remote_box.value = ""
    assert "no remote response yet" in _text(lab.translation_view)
    lab.remote_box.value = json.dumps({"message": "nope"})
    lab.status_box.value = 404
    assert "remote answered 404" in _text(lab.output_view)
    assert not lab.last_test.success


def test_without_an_org_the_live_buttons_are_off(lab: ActionLab) -> None:
    assert lab.record_button.disabled and lab.diff_button.disabled
    assert lab.action_picker.layout.display == "none"  # nothing to pick from; the editors stay visible
    for box in (lab.request_box, lab.translation_box, lab.success_box, lab.remote_box, lab.url_box):
        assert box.layout.display is None and box.layout is not lab.action_picker.layout
    assert lab.diff() == [] and "needs a connected org" in lab.diff_view.value
    assert lab.record() is None


def test_a_secure_action_shows_no_values() -> None:
    export = _export()
    export["secure"] = True
    lab = ActionLab(export, remote=RemoteResponse({"conversation": {"id": "conv-secret"}}))
    lab.form.value = REQUIRED
    shown = lab.request_view.value + lab.translation_view.value + lab.output_view.value + lab.steps_view.value
    assert "conv-secret" not in shown and "+13175550123" not in shown
    assert "hidden (secure action)" in shown
    revealed = ActionLab(export, remote={"conversation": {"id": "conv-secret"}}, reveal_secure=True)
    revealed.form.value = REQUIRED
    assert "conv-secret" in revealed.output_view.value


def test_diff_rows_match_operations_by_name() -> None:
    def result(*ops: tuple[str, bool, Any]) -> TestExecutionResult:
        return TestExecutionResult.from_dict({"success": all(ok for _, ok, _ in ops), "operations": [
            {"step": i + 1, "name": name, "success": ok, "result": value} if ok else
            {"step": i + 1, "name": name, "success": ok, "error": {"message": value}}
            for i, (name, ok, value) in enumerate(ops)]})

    live = result(("A", True, '{"x": 1}'), ("B", True, {"v": 1}), ("C", False, "boom"), ("L", True, 1))
    offline = result(("A", True, '{ "x" : 1 }'), ("B", True, {"v": 2}), ("C", True, "fine"), ("O", True, 1))
    verdicts = {row["name"]: row["verdict"] for row in diff_rows(live, offline)}
    assert verdicts == {"A": "same", "B": "result differs", "C": "outcome differs", "L": "only live",
                        "O": "only offline"}


@pytest.fixture()
def session(settings: Any) -> Any:
    from genesys_nb.api.client import DataActionsClient

    with DataActionsClient(settings) as client:
        yield client


def test_with_an_org_record_and_diff_use_the_live_test(session: Any) -> None:
    lab = ActionLab(session, action=CALLBACK_NAME)
    assert not lab.record_button.disabled and lab.action_picker.value is not None
    lab.form.value = REQUIRED
    assert "no remote response yet" in _text(lab.output_view)
    lab.record_button.click()
    assert json.loads(lab.remote_box.value) is not None  # the org's answer, whatever its shape
    assert "recorded" in lab.message.value
    assert "no remote response yet" not in _text(lab.output_view)

    lab.diff_button.click()
    assert lab.last_diff and all(row["verdict"] == "same" for row in lab.last_diff), lab.last_diff
    assert "agrees with the live /test" in _text(lab.diff_view)

    lab.success_box.value = '{"conversationId": "changed"}'
    lab.diff_button.click()
    verdicts = {row["name"]: row["verdict"] for row in lab.last_diff}
    assert verdicts["Apply output transformation"] == "result differs"
    assert "differ between the live /test and the offline engine" in _text(lab.diff_view)


def test_an_unknown_action_name_lists_the_org(session: Any) -> None:
    with pytest.raises(ValueError, match="no action with id or name 'Nope'"):
        ActionLab(session, action="Nope")


def _not_reached(widget: Any) -> bool:
    return "gnb-lab-not-reached" in widget.value and "✔" not in widget.value


def test_a_map_that_is_not_json_stops_the_test_and_leaves_no_tick(lab: ActionLab) -> None:
    assert "all operations succeeded" in _text(lab.steps_view)
    lab.translation_box.value = "{not json"
    steps = _text(lab.steps_view)
    assert "Test not run" in steps and "translation map is not JSON" in steps
    assert "✔" not in steps and "all operations succeeded" not in steps
    assert _not_reached(lab.output_view)
    assert "translation map is not JSON" in _text(lab.problems_view)
    assert lab.last_test is None
    lab.translation_box.value = json.dumps({"id": "$.conversation.id"})
    assert "all operations succeeded" in _text(lab.steps_view) and lab.problems_view.value == ""


def test_a_bad_jsonpath_replaces_the_older_error(lab: ActionLab) -> None:
    lab.remote_box.value = "<html>"  # an older failure at Execute request
    assert "Execute request" in _text(lab.steps_view)
    lab.remote_box.value = json.dumps({"conversation": {"id": "conv-7"}})
    lab.translation_box.value = json.dumps({"id": "$.[[bad"})
    steps = _text(lab.steps_view)
    assert "Test failed at step 6 · Resolve translation map" in steps
    assert "remote response is not JSON" not in steps
    assert "translationMap.id" in _text(lab.problems_view)  # problems() recomputed on the edit
    assert _not_reached(lab.output_view)


def test_a_missing_required_input_marks_later_steps_not_reached(lab: ActionLab) -> None:
    lab.form.value = {"queueId": "q-1"}
    steps = _text(lab.steps_view)
    assert "Test failed at step 1 · Validate input against schema" in steps
    assert "✔" not in steps and steps.count("not reached: step 1 failed") == 7
    assert steps.count("'callbackNumber' is a required property") == 1  # said once, in its own row
    sections = _text(lab.request_view) + _text(lab.translation_view) + _text(lab.output_view)
    assert "required property" not in sections and "step 1 · Validate input against schema failed" in sections
    for view in (lab.request_view, lab.translation_view, lab.output_view):
        assert _not_reached(view), view.value
    assert "Request rendered" not in _text(lab.request_view)


def test_no_answer_names_the_box_not_a_python_argument(lab: ActionLab) -> None:
    lab.remote_box.value = ""
    steps = _text(lab.steps_view)
    assert "type the remote endpoint's JSON answer" in steps and "remote=" not in steps


def test_a_success_template_that_is_not_json_names_the_variable_or_the_brace(lab: ActionLab) -> None:
    lab.success_box.value = '{"conversationId": ${idd}}'
    shown = _text(lab.output_view)
    # Strict references, as the platform renders success templates: Velocity's own text names it.
    assert "Variable $idd has not been set at successTemplate[line 1, column 20]" in shown
    assert "Expecting value" not in shown
    lab.success_box.value = '{"conversationId": ${id}'
    assert "a '{' is never closed (add '}')" in _text(lab.output_view)
    lab.success_box.value = '{"conversationId": "a}b", "x": [1]]}'
    assert "a ']' closes nothing that is open" in _text(lab.output_view)


def test_credentials_render_in_the_lab_and_never_show() -> None:
    export = _export()
    export["config"]["request"]["headers"] = {"Authorization": 'Basic $encoding.base64("${credentials.id}:x")'}
    lab = ActionLab(export, remote={"conversation": {"id": "conv-7"}}, credentials={"id": "k-secret-1"},
                    auth_response={"access_token": "t-secret-2"})
    lab.form.value = REQUIRED
    lab.url_box.value = "/api/v2/callbacks?key=${credentials.id}&t=$authResponse.access_token"
    shown = _text(lab.request_view) + _text(lab.steps_view) + repr(lab.engine)
    assert "secret" not in shown and "key=********&t=********" in shown
    assert "azEtc2VjcmV0LTE6eA==" not in shown  # the Basic header built from the credential
    assert lab.last_test is not None and lab.last_test.success
