"""API models keep unknown fields and round-trip; ExecutionResult raises the classified error with its fix."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from genesys_nb.api.errors import (
    ERROR_CLASSES,
    APIError,
    InputValidationError,
    PermissionDeniedError,
    RateLimitedError,
    error_for_class,
)
from genesys_nb.api.models import (
    Action,
    ActionContract,
    ErrorBody,
    FieldError,
    RateLimitInfo,
    TestExecutionResult,
    TestOperation,
    stable_action_id,
)
from genesys_nb.api.result import ExecutionResult

CONNECTION_RESET = {
    "message": "The server encountered an unexpected condition which prevented it from fulfilling the request.",
    "code": "internal.server.error",
    "status": 500,
    "messageParams": {},
    "contextId": "5565f1f0-aaaa",
    "details": [{"errorCode": "ACTION.REMOTE_ENDPOINT"}],
    "errors": [
        {
            "message": "REST call for action execute failed. Message: Connection reset [5565f1f0-aaaa]",
            "code": "INTERNAL_SERVER_ERROR",
            "status": 500,
            "messageParams": {},
            "details": [],
            "errors": [],
        }
    ],
    "limit": {"key": "k", "namespace": "integrations", "value": 3},
    "entityId": "e1",
}

ACTION_JSON = {
    "id": "custom_-_3f0c2c1e-8a51-4c61-9d7e-2a4f1f6b9e10",
    "name": "Lookup customer by phone",
    "integrationId": "8b6f0c1e-0000-4000-8000-000000000001",
    "category": "CRM",
    "version": 3,
    "secure": False,
    "contract": {
        "input": {
            "inputSchemaUri": "/api/v2/integrations/actions/custom_-_3f0c/schemas/inputschema.json",
            "inputSchema": {
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "required": ["phone"],
                "properties": {"phone": {"type": "string"}},
            },
        },
        "output": {
            "successSchemaUri": "/api/v2/integrations/actions/custom_-_3f0c/schemas/successschema.json",
            "successSchema": {"type": "object", "properties": {"tier": {"type": "string"}}},
        },
    },
    "config": {"timeoutSeconds": 10, "request": {"requestType": "GET"}, "response": {}},
    "selfUri": "/api/v2/integrations/actions/custom_-_3f0c2c1e-8a51-4c61-9d7e-2a4f1f6b9e10",
    "futureField": {"nested": [1, 2, 3]},
}

TEST_RESULT = {
    "success": False,
    "operations": [
        {"step": 1, "name": "Validate input against schema", "success": True, "result": {"phone": "+1"}},
        {
            "step": 2, "name": "Execute request", "success": False,
            "error": {"message": "Connection reset", "code": "bad.request", "status": 400, "details": [],
                      "errors": []},
            "extra": "kept",
        },
    ],
    "error": {"message": "Connection reset", "code": "bad.request", "status": 400},
    "finalResult": None,
    "unknownTopLevel": True,
}


def test_error_body_parses_the_real_shape() -> None:
    error_body = ErrorBody.from_dict(CONNECTION_RESET)
    assert error_body.status == 500
    assert error_body.code == "internal.server.error"
    assert error_body.context_id == "5565f1f0-aaaa"
    assert error_body.detail_codes == ["ACTION.REMOTE_ENDPOINT"]
    assert error_body.errors[0].code == "INTERNAL_SERVER_ERROR"
    assert "Connection reset" in error_body.full_message
    assert error_body.full_message.startswith("The server encountered")


def test_full_message_skips_repeated_nested_text() -> None:
    error_body = ErrorBody.from_dict({
        "message": "The input does not match: Required field 'sku' is missing",
        "errors": [{"message": "Required field 'sku' is missing"},
                   {"message": "Other cause", "errors": [{"message": "Deep cause"}]}],
    })
    assert error_body.full_message == (
        "The input does not match: Required field 'sku' is missing | Other cause | Deep cause"
    )


def test_error_body_round_trips_exactly() -> None:
    original = copy.deepcopy(CONNECTION_RESET)
    error_body = ErrorBody.from_dict(original)
    assert error_body.to_dict() == CONNECTION_RESET
    original["message"] = "mutated"
    assert error_body.to_dict()["message"] != "mutated"  # raw is a copy, not a view


def test_error_body_detail_codes_include_nested_once() -> None:
    error_body = ErrorBody.from_dict({
        "details": [{"errorCode": "ACTION.AUTHENTICATION"}],
        "errors": [{"details": [{"errorCode": "ACTION.REMOTE_ENDPOINT"}, {"errorCode": "ACTION.AUTHENTICATION"}]}],
    })
    assert error_body.detail_codes == ["ACTION.AUTHENTICATION", "ACTION.REMOTE_ENDPOINT"]


def test_error_body_tolerates_odd_types() -> None:
    error_body = ErrorBody.from_dict({"status": "429", "details": None, "errors": "x", "message": 5})
    assert error_body.status == 429
    assert error_body.details == [] and error_body.errors == [] and error_body.message is None


def test_error_body_built_in_code_serializes() -> None:
    assert ErrorBody(message="m", status=502).to_dict() == {"message": "m", "status": 502, "details": [],
                                                            "errors": []}


def test_action_round_trips_with_unknown_fields() -> None:
    action = Action.from_dict(ACTION_JSON)
    assert action.to_dict() == ACTION_JSON
    assert action.raw["futureField"] == {"nested": [1, 2, 3]}
    assert action.id.startswith("custom_-_")
    assert action.version == 3 and action.secure is False
    assert action.integration_id == "8b6f0c1e-0000-4000-8000-000000000001"
    assert action.timeout_seconds == 10
    assert action.input_schema is not None and action.input_schema["required"] == ["phone"]
    assert action.success_schema == {"type": "object", "properties": {"tier": {"type": "string"}}}
    assert action.contract is not None
    assert action.contract.input_schema_uri is not None and action.contract.input_schema_uri.endswith(
        "inputschema.json"
    )


def test_action_without_id_is_refused() -> None:
    with pytest.raises(ValueError, match="id"):
        Action.from_dict({"name": "x"})
    with pytest.raises(TypeError, match="JSON object"):
        Action.from_dict([1, 2])  # type: ignore[arg-type]


def test_action_without_contract_or_config() -> None:
    action = Action.from_dict({"id": "a", "name": "n"})
    assert action.contract is None and action.input_schema is None and action.timeout_seconds is None
    assert action.to_dict() == {"id": "a", "name": "n"}


def test_contract_reads_flattened_forms() -> None:
    contract = ActionContract.from_dict({
        "input": {"inputSchemaFlattened": {"type": "object", "properties": {"a.b": {"type": "string"}}}},
        "output": {
            "successSchemaFlattened": {
                "schema": {"type": "object", "properties": {"x.y": {"type": "integer"}}},
                "arrayProperties": [],
            }
        },
    })
    assert contract.input_schema == {"type": "object", "properties": {"a.b": {"type": "string"}}}
    assert contract.success_schema == {"type": "object", "properties": {"x.y": {"type": "integer"}}}
    assert contract.input_schema_uri is None


def test_contract_built_in_code_serializes() -> None:
    contract = ActionContract(input_schema={"type": "object"}, success_schema_uri="/s")
    assert contract.to_dict() == {"input": {"inputSchema": {"type": "object"}},
                                  "output": {"successSchemaUri": "/s"}}


def test_from_export_on_every_real_action(real_actions: list[dict[str, Any]]) -> None:
    assert real_actions, "the real exported actions are missing"
    for export in real_actions:
        action = Action.from_export(export)
        assert action.name == export["name"]
        assert action.id == stable_action_id(export["name"])
        assert action.version == 1
        assert action.secure is (export.get("secure") is True)
        assert action.input_schema == export["contract"]["input"]["inputSchema"]
        assert action.self_uri == f"/api/v2/integrations/actions/{action.id}"
        assert action.contract is not None
        assert action.contract.input_schema_uri == f"{action.self_uri}/schemas/inputschema.json"
        assert action.config == export.get("config")
        assert Action.from_dict(action.to_dict()).to_dict() == action.to_dict()


def test_from_export_with_explicit_id_and_version() -> None:
    export = {"name": "Thing", "integrationType": "purecloud-data-actions", "contract": {}, "secure": True}
    action = Action.from_export(export, action_id="custom_-_fixed", version=4)
    assert (action.id, action.version, action.secure) == ("custom_-_fixed", 4, True)
    with pytest.raises(ValueError, match="name"):
        Action.from_export({"contract": {}})


def test_stable_action_id_is_stable_and_distinct() -> None:
    assert stable_action_id("A") == stable_action_id("A")
    assert stable_action_id("A") != stable_action_id("B")
    assert stable_action_id("A").startswith("custom_-_")


def test_stable_ids_match_the_emulator() -> None:
    emulator_actions = pytest.importorskip("genesys_nb.emulator.actions")
    assert stable_action_id("Echo") == emulator_actions.action_id_for("Echo")


def test_test_execution_result_round_trip_and_steps() -> None:
    result = TestExecutionResult.from_dict(TEST_RESULT)
    assert result.to_dict() == TEST_RESULT
    assert result.success is False
    assert [op.step for op in result.operations] == [1, 2]
    failed = result.failed_operation
    assert failed is not None and failed.name == "Execute request"
    assert failed.error is not None and failed.error.message == "Connection reset"
    assert failed.to_dict()["extra"] == "kept"
    assert result.error is not None and result.error.status == 400


def test_test_operation_built_in_code_serializes() -> None:
    op = TestOperation(step=1, name="n", success=True, result={"a": 1})
    assert op.to_dict() == {"step": 1, "name": "n", "success": True, "result": {"a": 1}}


def test_field_error_text() -> None:
    error = FieldError("$.priority", "'x' is not one of ['a']", "enum", "x")
    assert str(error) == "$.priority: 'x' is not one of ['a']"
    assert error.to_dict()["validator"] == "enum"


def failed(error_class: str, **kwargs: Any) -> ExecutionResult:
    return ExecutionResult(action_id="custom_-_42", ok=False, error_class=error_class, **kwargs)


def test_ok_result_does_not_raise() -> None:
    ExecutionResult(action_id="a", ok=True, output={"x": 1}, status_code=200).raise_for_error()


@pytest.mark.parametrize("error_class", [c for c in ERROR_CLASSES if c != "validation"])
def test_raise_for_error_raises_the_classified_error(error_class: str) -> None:
    result = failed(error_class, status_code=500, error_message="boom", correlation_id="corr-1")
    with pytest.raises(APIError) as info:
        result.raise_for_error()
    error = info.value
    assert type(error) is error_for_class(error_class)
    assert error.result is result
    assert error.action_id == "custom_-_42"
    assert error.correlation_id == "corr-1"
    assert "Fix:" in str(error) and "boom" in str(error) and "corr-1" in str(error)


def test_raise_for_error_403_names_the_execute_permission() -> None:
    with pytest.raises(PermissionDeniedError, match="integrations:action:execute"):
        failed("permission", status_code=403).raise_for_error()


def test_raise_for_error_429_gives_the_wait() -> None:
    with pytest.raises(RateLimitedError, match="wait 12 s") as info:
        failed("rate_limited", status_code=429, retry_after_s=12.0).raise_for_error()
    assert info.value.retry_after_s == 12.0


def test_raise_for_error_404_names_the_action() -> None:
    with pytest.raises(APIError, match="custom_-_42"):
        failed("not_found", status_code=404).raise_for_error()


def test_raise_for_error_validation_lists_field_errors() -> None:
    errors = [FieldError("$.a", "bad a", "type"), FieldError("$.b", "bad b", "enum")]
    result = failed("validation", errors=list(errors), attempts=0, request_sent=False)
    with pytest.raises(InputValidationError) as info:
        result.raise_for_error()
    assert info.value.errors == errors
    assert "$.a: bad a" in str(info.value) and "$.b: bad b" in str(info.value)


def test_result_to_dict_is_json_with_utc_z_timestamp() -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=timezone.utc)
    result = ExecutionResult(
        action_id="a", ok=False, errors=[ErrorBody.from_dict(CONNECTION_RESET), FieldError("$", "m", "required"),
                                          {"free": "form"}],
        status_code=500, error_class="remote_endpoint", timestamp=stamp, rate_limit=RateLimitInfo(3, 180, 58.0),
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["timestamp"] == "2026-01-02T03:04:05.123000Z"
    assert data["errors"][0] == CONNECTION_RESET
    assert data["errors"][1]["path"] == "$"
    assert data["errors"][2] == {"free": "form"}
    assert data["rate_limit"] == {"count": 3, "allowed": 180, "reset_s": 58.0}
    assert result.error_body is not None and result.error_body.code == "internal.server.error"


def test_result_defaults() -> None:
    result = ExecutionResult(action_id="a", ok=True)
    assert result.timestamp.tzinfo is not None
    assert (result.attempts, result.timeout_ms, result.request_sent, result.errors) == (1, 30000, True, [])


def test_rate_limit_remaining() -> None:
    assert RateLimitInfo(count=170, allowed=180, reset_s=5).remaining == 10
    assert RateLimitInfo(count=None, allowed=180).remaining is None
