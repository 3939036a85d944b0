"""The error tree, the one status -> error class mapping, and the fix each message carries."""
from __future__ import annotations

import pytest

from genesys_nb.api.errors import (
    ERROR_CLASSES,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ContractError,
    ExecutionTimeoutError,
    GenesysNBError,
    InputValidationError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RemoteEndpointError,
    ServerError,
    UnauthorizedError,
    classify_status,
    error_for_class,
    fix_hint,
    format_error_message,
)
from genesys_nb.api.models import ErrorBody, FieldError

EXPECTED_CLASSES = {
    "validation": InputValidationError,
    "bad_request": BadRequestError,
    "remote_endpoint": RemoteEndpointError,
    "auth": UnauthorizedError,
    "permission": PermissionDeniedError,
    "not_found": NotFoundError,
    "rate_limited": RateLimitedError,
    "server": ServerError,
    "timeout": ExecutionTimeoutError,
    "network": NetworkError,
    "contract": ContractError,
}


def body(*detail_codes: str, nested: tuple[str, ...] = ()) -> ErrorBody:
    data = {
        "message": "m",
        "details": [{"errorCode": code} for code in detail_codes],
        "errors": [{"message": "inner", "details": [{"errorCode": code} for code in nested], "errors": []}],
    }
    return ErrorBody.from_dict(data)


def test_error_classes_are_exactly_the_design_list() -> None:
    assert ERROR_CLASSES == (
        "validation", "bad_request", "remote_endpoint", "auth", "permission", "not_found",
        "rate_limited", "server", "timeout", "network", "contract",
    )


@pytest.mark.parametrize(("name", "cls"), sorted(EXPECTED_CLASSES.items()))
def test_error_for_class(name: str, cls: type[GenesysNBError]) -> None:
    assert error_for_class(name) is cls
    assert cls.error_class == name  # type: ignore[attr-defined]
    assert issubclass(cls, GenesysNBError)


def test_error_for_unknown_class_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="rate_limited"):
        error_for_class("teapot")


def test_value_error_family() -> None:
    assert issubclass(ConfigError, ValueError)
    assert issubclass(InputValidationError, ValueError)
    assert not issubclass(AuthenticationError, APIError)
    for name, cls in EXPECTED_CLASSES.items():
        if name != "validation":
            assert issubclass(cls, APIError)


@pytest.mark.parametrize(
    ("status", "error_body", "expected"),
    [
        (400, None, "bad_request"),
        (400, body(), "bad_request"),
        (400, body("ACTION.REMOTE_ENDPOINT"), "remote_endpoint"),
        (400, body("ACTION.AUTHENTICATION"), "remote_endpoint"),
        (500, body("ACTION.REMOTE_ENDPOINT"), "remote_endpoint"),
        (504, body("ACTION.REMOTE_ENDPOINT"), "remote_endpoint"),
        (500, body(nested=("ACTION.REMOTE_ENDPOINT",)), "remote_endpoint"),
        (400, body("ACTION.PROCESSING"), "bad_request"),
        (401, None, "auth"),
        (403, None, "permission"),
        (404, None, "not_found"),
        (405, None, "bad_request"),
        (409, None, "bad_request"),
        (413, None, "bad_request"),
        (422, None, "bad_request"),
        (429, None, "rate_limited"),
        (429, body("ACTION.REMOTE_ENDPOINT"), "rate_limited"),
        (500, None, "server"),
        (502, None, "server"),
        (503, body(), "server"),
        (504, None, "server"),
        (599, None, "server"),
        (302, None, "server"),
    ],
)
def test_classify_status(status: int, error_body: ErrorBody | None, expected: str) -> None:
    assert classify_status(status, error_body) == expected


def test_permission_hint_names_execute_or_view() -> None:
    assert "integrations:action:execute" in fix_hint("permission", operation="execute")
    assert "integrations:action:execute" in fix_hint("permission", operation="test")
    for operation in ("list", "get", "schema"):
        hint = fix_hint("permission", operation=operation)
        assert "integrations:action:view" in hint
        assert "execute" not in hint


def test_auth_hint_says_token_or_credentials_wrong() -> None:
    hint = fix_hint("auth")
    assert "token" in hint and "credentials" in hint
    assert "GENESYS_CLIENT_ID" in hint


def test_not_found_hint_names_the_action_id() -> None:
    assert "custom_-_abc" in fix_hint("not_found", action_id="custom_-_abc")


def test_rate_limited_hint_gives_the_wait() -> None:
    assert "wait 42 s" in fix_hint("rate_limited", retry_after_s=42.0)
    assert "wait 1.5 s" in fix_hint("rate_limited", retry_after_s=1.5)
    assert "wait" in fix_hint("rate_limited")


def test_timeout_hint_names_timeout_ms_and_action_timeout() -> None:
    hint = fix_hint("timeout", timeout_ms=2500)
    assert "timeout_ms" in hint and "2500" in hint and "timeoutSeconds" in hint


@pytest.mark.parametrize("name", ERROR_CLASSES)
def test_every_class_has_a_hint(name: str) -> None:
    assert len(fix_hint(name, action_id="a1")) > 20


def test_unknown_class_hint_is_refused() -> None:
    with pytest.raises(ValueError):
        fix_hint("bogus")


def test_format_error_message_carries_status_correlation_and_fix() -> None:
    text = format_error_message(
        "permission", "You are not authorized", status_code=403, action_id="custom_-_1",
        correlation_id="corr-9", operation="execute",
    )
    assert "HTTP 403" in text
    assert "custom_-_1" in text
    assert "corr-9" in text
    assert "You are not authorized" in text
    assert "Fix:" in text and "integrations:action:execute" in text


def test_api_error_keeps_its_fields() -> None:
    error_body = ErrorBody.from_dict({"message": "x", "code": "not.found", "status": 404})
    error = NotFoundError("msg", status_code=404, error_body=error_body, correlation_id="c", action_id="a")
    assert (error.status_code, error.error_class, error.correlation_id, error.action_id) == (404, "not_found", "c", "a")
    assert error.error_body is error_body
    assert str(error) == "msg"


def test_api_error_class_can_be_overridden() -> None:
    assert APIError("m", error_class="network").error_class == "network"
    assert APIError("m").error_class == "server"


def test_input_validation_error_lists_every_violation() -> None:
    errors = [
        FieldError("$", "'phone' is a required property", "required"),
        FieldError("$.priority", "'urgent' is not one of ['low', 'high']", "enum", "urgent"),
    ]
    error = InputValidationError(errors, action_id="custom_-_7")
    text = str(error)
    assert "custom_-_7" in text
    assert "$: 'phone' is a required property" in text
    assert "$.priority: 'urgent' is not one of" in text
    assert "2 errors" in text
    assert error.errors == errors
    assert error.action_id == "custom_-_7"
    assert error.error_class == "validation"


def test_input_validation_error_accepts_a_plain_message() -> None:
    error = InputValidationError("inputs must be an object")
    assert str(error) == "inputs must be an object"
    assert error.errors == []


def test_authentication_error_fields() -> None:
    error = AuthenticationError("check GENESYS_CLIENT_SECRET", status_code=401, oauth_error="invalid_client")
    assert error.status_code == 401 and error.oauth_error == "invalid_client"
