"""ActionEngine: each step of an action's config, offline, in the shape of the platform's /test."""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from real_fixtures import ACTIONS_DIR, EXPECTED  # a module beside this one

from genesys_nb.engine import ActionEngine, RemoteResponse, RouteTable
from genesys_nb.engine.engine import MAX_JSON_DEPTH, json_depth
from genesys_nb.engine.steps import STEP_NAMES

LOOKUP: dict[str, Any] = {
    "name": "Get Customer By Phone",
    "integrationType": "custom-rest-actions",
    "actionType": "custom",
    "config": {
        "request": {
            "requestUrlTemplate": "https://crm.example.com/v1/customers?phone=${esc.url(${input.phone})}",
            "requestType": "GET",
            "headers": {"Accept": "application/json", "X-Phone": "${input.phone}"},
            "requestTemplate": "${input.rawRequest}",
        },
        "response": {
            "translationMap": {"customerId": "$.id", "tier": "$.loyalty.tier"},
            "translationMapDefaults": {"tier": "\"standard\""},
            "successTemplate": "{\"customerId\": ${customerId}, \"tier\": ${tier}}",
        },
    },
    "contract": {
        "input": {"inputSchema": {"type": "object", "required": ["phone"],
                                  "properties": {"phone": {"type": "string", "pattern": "^\\+[0-9]+$"}}}},
        "output": {"successSchema": {"type": "object", "required": ["customerId"],
                                     "properties": {"customerId": {"type": "string"}, "tier": {"type": "string"}}}},
    },
    "secure": False,
}


def _export(**response: Any) -> dict[str, Any]:
    export = json.loads(json.dumps(LOOKUP))
    export["config"]["response"].update(response)
    return export


def _steps(result: Any) -> list[tuple[str, bool]]:
    return [(op.name, op.success) for op in result.operations]


def test_a_whole_test_runs_every_step_in_order() -> None:
    engine = ActionEngine.from_export(LOOKUP)
    result = engine.simulate({"phone": "+13175550100"}, remote={"id": "C-1", "loyalty": {"tier": "gold"}})
    assert result.success and result.error is None
    assert _steps(result) == [(name, True) for name in STEP_NAMES]
    by_name = {op.name: op.result for op in result.operations}
    assert by_name["Resolve request URL template"] == "https://crm.example.com/v1/customers?phone=%2B13175550100"
    assert by_name["Resolve request headers"] == {"Accept": "application/json", "X-Phone": "+13175550100"}
    assert by_name["Resolve translation map"] == {"customerId": '"C-1"', "tier": '"gold"'}
    assert result.output == {"customerId": "C-1", "tier": "gold"}
    assert [op.step for op in result.operations] == list(range(1, len(STEP_NAMES) + 1))


def test_a_default_is_used_where_a_definite_path_finds_nothing_and_the_step_says_so() -> None:
    result = ActionEngine.from_export(LOOKUP).simulate({"phone": "+1"}, remote={"id": "C-2"})
    assert result.output == {"customerId": "C-2", "tier": "standard"}
    translation = next(op for op in result.operations if op.name == "Resolve translation map")
    assert any("tier" in warning and "default" in warning for warning in translation.warnings)


def test_input_that_breaks_the_contract_fails_the_first_step_and_sends_nothing() -> None:
    calls: list[Any] = []
    result = ActionEngine.from_export(LOOKUP).simulate({"phone": "call me"}, remote=lambda r: calls.append(r))
    assert not result.success and calls == []
    assert _steps(result) == [("Validate input against schema", False)]
    assert result.error is not None and result.error.status == 400
    assert "$.phone" in (result.error.message or "")


def test_a_remote_error_passes_through_with_the_remote_endpoint_detail() -> None:
    result = ActionEngine.from_export(LOOKUP).simulate(
        {"phone": "+1"}, remote=RemoteResponse(status=404, body={"message": "no such customer"}))
    failed = result.failed_operation
    assert failed is not None and failed.name == "Execute request"
    assert result.error is not None and result.error.status == 404
    assert "ACTION.REMOTE_ENDPOINT" in result.error.detail_codes
    assert "no such customer" in result.error.full_message


def test_a_remote_answer_that_is_not_json_is_the_platforms_malformed_syntax_400() -> None:
    result = ActionEngine.from_export(LOOKUP).simulate({"phone": "+1"}, remote="<html>oops</html>")
    assert result.error is not None and result.error.status == 400
    assert result.failed_operation is not None and result.failed_operation.name == "Execute request"


def test_a_path_with_no_value_and_no_default_fails_the_translation_naming_both() -> None:
    export = _export(translationMapDefaults={})
    result = ActionEngine.from_export(export).simulate({"phone": "+1"}, remote={"id": "C-3"})
    assert result.failed_operation is not None and result.failed_operation.name == "Resolve translation map"
    message = result.error.message if result.error else ""
    assert "tier" in (message or "") and "$.loyalty.tier" in (message or "")


def test_a_success_template_that_renders_no_json_fails_the_transformation() -> None:
    export = _export(successTemplate="{\"customerId\": ${customerId}, }")
    result = ActionEngine.from_export(export).simulate({"phone": "+1"}, remote={"id": "C-4"})
    assert result.failed_operation is not None and result.failed_operation.name == "Apply output transformation"


def test_an_output_outside_the_success_schema_fails_the_last_step() -> None:
    export = _export(successTemplate="{\"tier\": ${tier}}")
    result = ActionEngine.from_export(export).simulate({"phone": "+1"}, remote={"id": "C-5"})
    assert result.failed_operation is not None and result.failed_operation.name == "Validate output against schema"
    assert "customerId" in (result.error.message if result.error and result.error.message else "")


def test_flatten_gives_architects_form() -> None:
    export = _export(translationMap={}, translationMapDefaults={}, successTemplate="${rawResult}")
    export["contract"]["output"]["successSchema"] = {"type": "object"}
    result = ActionEngine.from_export(export).simulate({"phone": "+1"}, remote={"a": {"b": 1}}, flatten=True)
    assert result.output == {"a.b": 1}


def test_outputs_deeper_than_the_platform_limit_are_refused() -> None:
    deep: Any = "leaf"
    for _ in range(MAX_JSON_DEPTH + 1):
        deep = {"x": deep}
    assert json_depth(deep) == MAX_JSON_DEPTH + 1
    export = _export(translationMap={}, translationMapDefaults={}, successTemplate="${rawResult}")
    export["contract"]["output"]["successSchema"] = {"type": "object"}
    result = ActionEngine.from_export(export).simulate({"phone": "+1"}, remote=deep)
    assert not result.success and str(MAX_JSON_DEPTH) in (result.error.message if result.error else "")


def test_a_route_table_answers_by_the_rendered_url() -> None:
    routes = RouteTable().add("GET", "*phone=%2B1*", {"id": "C-6", "loyalty": {"tier": "silver"}})
    engine = ActionEngine.from_export(LOOKUP, remote=routes)
    assert engine.simulate({"phone": "+1"}).output == {"customerId": "C-6", "tier": "silver"}
    missing = engine.simulate({"phone": "+2"})
    assert missing.failed_operation is not None and missing.failed_operation.name == "Execute request"
    assert "no route answers" in (missing.error.message if missing.error and missing.error.message else "")


def test_no_stand_in_is_a_clear_failure_of_the_execute_step() -> None:
    result = ActionEngine.from_export(LOOKUP).simulate({"phone": "+1"})
    assert result.failed_operation is not None and result.failed_operation.name == "Execute request"
    assert "remote=" in (result.error.message if result.error and result.error.message else "")


def test_problems_point_at_each_broken_part_of_the_config() -> None:
    export = _export(translationMap={"customerId": "$.id[?(@.x ==", "tier": "$.loyalty.tier"},
                     translationMapDefaults={"tier": "standard"},
                     successTemplate="#if($x)never closed")
    export["contract"]["input"]["inputSchema"]["properties"]["phone"]["type"] = "strin"
    problems = {problem.where for problem in ActionEngine.from_export(export).problems()}
    assert {"translationMap.customerId", "translationMapDefaults.tier", "successTemplate", "inputSchema"} <= problems
    assert ActionEngine.from_export(LOOKUP).problems() == []


def test_render_request_never_sends_and_flags_a_reference_the_contract_lacks() -> None:
    export = json.loads(json.dumps(LOOKUP))
    export["config"]["request"]["requestUrlTemplate"] = "https://crm.example.com/${input.phon}"
    request = ActionEngine.from_export(export).render_request({"phone": "+1"})
    assert request.method == "GET" and request.url == "https://crm.example.com/${input.phon}"
    assert any("phon" in warning for warning in request.warnings)


def _same(actual: str, expected: str) -> bool:
    try:
        return bool(json.loads(actual) == json.loads(expected))
    except ValueError:
        return actual == expected


@pytest.mark.parametrize("expected_file", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_every_real_export_runs_end_to_end_like_the_reference(expected_file: Path) -> None:
    """Render, translate and transform through the facade: the whole chain agrees with Velocity 1.7 + Jayway."""
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    export = json.loads((ACTIONS_DIR / expected["action_file"]).read_text(encoding="utf-8"))
    engine = ActionEngine.from_export(export)
    for case in expected["cases"]:
        request = engine.render_request(case["inputs"])
        assert request.url == case["request_url"]
        assert _same(request.body, case["request_body"])
    translation = engine.translate(expected["remote_response"])
    assert {k: json.loads(v) for k, v in translation.variables.items()} == {
        k: json.loads(v) for k, v in expected["translated"].items()}
    rendered = engine.render_success(translation, expected["remote_response"], expected["cases"][0]["inputs"])
    assert _same(rendered, expected["success_output"])


def test_a_jsonpath_function_jayway_lacks_compiles_but_is_a_problem() -> None:
    export = _export(translationMap={"tier": "$.loyalty.tiers.firstt()"}, translationMapDefaults={})
    (problem,) = ActionEngine.from_export(export).problems()
    assert problem.where == "translationMap.tier" and "no function firstt()" in problem.message


def test_credentials_and_auth_response_render_and_are_masked_in_every_step() -> None:
    export = {"name": "Weather", "config": {"request": {
        "requestUrlTemplate": "https://api.example.com/w?q=${input.city}&APPID=${credentials.API_Key}",
        "requestType": "POST", "requestTemplate": '{"token": "$authResponse.access_token"}',
        "headers": {"Authorization": 'Basic $encoding.base64("${credentials.clientId}:${credentials.secret}")'}},
        "response": {"translationMap": {"t": "$.temp"}, "successTemplate": '{"t": ${t}}'}}}
    secrets = {"API_Key": "k-123", "clientId": "me", "secret": "s3cr3t"}
    seen: list[Any] = []

    def remote(request: Any) -> dict[str, Any]:
        seen.append(request)
        return {"temp": 21, "echo": request.url}

    engine = ActionEngine.from_export(export, remote=remote)
    engine = ActionEngine(engine.action, remote=remote, credentials=secrets, auth_response={"access_token": "tok-9"})
    result = engine.simulate({"city": "Paris"})
    assert result.final_result == {"t": 21}
    sent = seen[0]
    assert sent.url.endswith("APPID=k-123") and sent.body == '{"token": "tok-9"}'
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"me:s3cr3t").decode()
    shown = json.dumps([op.result for op in result.operations])
    for secret in ("k-123", "tok-9", base64.b64encode(b"me:s3cr3t").decode()):
        assert secret not in shown and secret not in repr(engine)
    assert "APPID=********" in shown
    # without credentials the references stay in the text, as the platform prints a null reference
    plain = ActionEngine(engine.action).render_request({"city": "Paris"})
    assert plain.url.endswith("APPID=${credentials.API_Key}")
