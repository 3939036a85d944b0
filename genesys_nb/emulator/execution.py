"""Execute and test: input contract checks and the error bodies of failures outside the action's config.

The action's own steps (templates, remote, translation, success template) and their records are the
engine's (:mod:`genesys_nb.engine`); :mod:`genesys_nb.emulator.remotes` says what the remote answers.

Error shapes follow the help-center examples in genesys-api.md section 3. Where the platform's
exact words are not documented (input validation, 502/504 wording) the texts here are the
emulator's choice, marked as such.
"""
from __future__ import annotations

from typing import Any

import orjson
from jsonschema import Draft4Validator, validators
from jsonschema.protocols import Validator

from genesys_nb.emulator.wire import error_body, nested_error, rate_limit_message, retry_after_header

MALFORMED_MESSAGE = "The request could not be understood by the server due to malformed syntax."
REMOTE_ENDPOINT = "ACTION.REMOTE_ENDPOINT"
INPUT_VALIDATION = "ACTION.INPUT_VALIDATION"  # emulator's choice: the real detail code is undocumented
# Injected statuses for which the remote endpoint was reached (the action's effect may have happened).
# 502 says the remote endpoint returned an invalid response, so it was reached too.
EXECUTED_STATUSES = frozenset({400, 500, 502, 504})


def compile_input_validator(schema: dict[str, Any]) -> Validator:
    validator_class = validators.validator_for(schema, default=Draft4Validator)
    return validator_class(schema)


def field_problems(validator: Validator, instance: Any) -> list[tuple[str, str]]:
    """(field name, message) for every contract violation; field names are dotted (``contact.email``)."""
    problems: list[tuple[str, str]] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]):
        base = _field_name(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    field = f"{base}.{name}" if base else name
                    problems.append((field, f"Required field '{field}' is missing"))
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set((error.schema.get("properties") or {}).keys())
            for name in error.instance:
                if name not in allowed:
                    field = f"{base}.{name}" if base else name
                    problems.append((field, f"Field '{field}' is not allowed by the input contract"))
        else:
            problems.append((base or "$", f"Field '{base or '$'}': {error.message}"))
    return problems


def _field_name(path: Any) -> str:
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def validation_error(problems: list[tuple[str, str]], context_id: str) -> dict[str, Any]:
    summary = "; ".join(message for _, message in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return error_body(
        400,
        "bad.request",
        f"The input does not match the action's input contract: {summary}{more}",
        context_id,
        details=[{"errorCode": INPUT_VALIDATION, "fieldName": field} for field, _ in problems],
        errors=[
            {**nested_error(400, "invalid.input", message), "messageParams": {"fieldName": field}}
            for field, message in problems
        ],
    )


def body_error(problem: str, context_id: str) -> dict[str, Any]:
    return error_body(400, "bad.request", f"{MALFORMED_MESSAGE} {problem}", context_id,
                      errors=[nested_error(400, "bad.request", problem)])


def parse_input(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(inputs, None) or (None, problem). An empty body is an empty input object."""
    if not body.strip():
        return {}, None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        return None, f"The body is not valid JSON ({err})."
    if not isinstance(value, dict):
        return None, f"The body must be a JSON object of input fields, got a JSON {type(value).__name__}."
    return value, None


def rate_limited_error(retry_after_s: float, context_id: str, *, limit_key: str, limit_value: int,
                       concurrency: bool = False) -> tuple[dict[str, Any], str]:
    retry_after = retry_after_header(retry_after_s)
    message = rate_limit_message(retry_after)
    if concurrency:
        message = (f"Concurrent executions exceeded the maximum of {limit_value} ({limit_key}). "
                   f"Retry the request in [{retry_after}] seconds")
    body = error_body(429, "too.many.requests.retry.after", message, context_id,
                      limit={"key": limit_key, "namespace": "integrations" if concurrency else "platform.api",
                             "value": limit_value})
    return body, retry_after


def injected_error(status: int, context_id: str, *, timeout_seconds: int = 60) -> dict[str, Any]:
    """ErrorBody for an injected failure (500 as in the help-center example; 502/504 wording is ours)."""
    remote = [{"errorCode": REMOTE_ENDPOINT}]
    if status == 401:
        return error_body(401, "bad.credentials", "Invalid login credentials.", context_id)
    if status == 403:
        return error_body(403, "not.authorized", "You are not authorized to perform the requested action.",
                          context_id)
    prefix = "REST call for action execute failed. Message:"
    if status == 500:
        return error_body(500, "internal.server.error",
                          "The server encountered an unexpected condition which prevented it from fulfilling the request.",
                          context_id, details=remote,
                          errors=[nested_error(500, "INTERNAL_SERVER_ERROR", f"{prefix} Connection reset [{context_id}]")])
    if status == 502:
        return error_body(502, "bad.gateway", "The remote endpoint returned an invalid response.", context_id,
                          details=remote,
                          errors=[nested_error(502, "BAD_GATEWAY", f"{prefix} Bad Gateway [{context_id}]")])
    if status == 503:
        return error_body(503, "service.unavailable",
                          "The service is currently unavailable. Please try again later.", context_id)
    if status == 504:
        return error_body(504, "gateway.timeout",
                          f"The action did not complete within its timeout of {timeout_seconds} seconds.",
                          context_id, details=remote,
                          errors=[nested_error(504, "GATEWAY_TIMEOUT", f"{prefix} Request timed out [{context_id}]")])
    if status == 400:
        return error_body(400, "bad.request", MALFORMED_MESSAGE, context_id, details=remote,
                          errors=[nested_error(400, "BAD_REQUEST",
                                               f"{prefix} Request to backend service failed. To see error details, "
                                               "use test mode to execute the action, or execute request in Postman "
                                               f"or other REST tools. [{context_id}]")])
    raise ValueError(f"no injected error body for status {status}")
