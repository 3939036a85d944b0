"""The steps of a test execution, by name, and the error bodies a failing step carries (the platform's shapes).

The operation records have the fields of the platform's ``TestExecutionOperationResult`` (step, name,
success, result, error); a step with warnings adds a ``warnings`` list, which clients that do not
know it ignore. The platform does not document its step names or the wording of every failure: the
names below and the texts marked "our wording" are genesys_nb's choice.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from genesys_nb.api.models import TestExecutionResult

__all__ = [
    "INPUT_VALIDATION",
    "REMOTE_ENDPOINT",
    "STEP_NAMES",
    "TEMPLATE_PROCESSING",
    "TRANSLATION",
    "Steps",
    "error_body",
    "remote_failure_error",
    "step_number",
]

STEP_NAMES: tuple[str, ...] = (
    "Validate input against schema",
    "Resolve request URL template",
    "Resolve request body template",
    "Resolve request headers",
    "Execute request",
    "Resolve translation map",
    "Apply output transformation",
    "Validate output against schema",
)

REMOTE_ENDPOINT = "ACTION.REMOTE_ENDPOINT"
INPUT_VALIDATION = "ACTION.INPUT_VALIDATION"  # our wording: the platform's detail code is undocumented
TEMPLATE_PROCESSING = "ACTION.PROCESSING"
TRANSLATION = "ACTION.TRANSLATION"  # our wording
MALFORMED_MESSAGE = "The request could not be understood by the server due to malformed syntax."

_CODES = {400: "bad.request", 401: "not.authorized", 403: "not.authorized", 404: "not.found",
          429: "too.many.requests.retry.after", 500: "internal.server.error", 502: "bad.gateway",
          503: "service.unavailable", 504: "gateway.timeout"}


def step_number(name: str) -> int:
    """The 1-based step of a step name (ValueError naming the known ones otherwise)."""
    try:
        return STEP_NAMES.index(name) + 1
    except ValueError:
        raise ValueError(f"unknown step {name!r}; steps: {', '.join(STEP_NAMES)}") from None


def _nested(status: int, code: str, message: str) -> dict[str, Any]:
    return {"message": message, "code": code, "status": status, "messageParams": {}, "details": [], "errors": []}


def error_body(status: int, message: str, *, context_id: str | None = None, detail: str | None = None,
               nested: str | None = None, code: str | None = None) -> dict[str, Any]:
    """An ErrorBody dict: message, code, status, contextId, details[{errorCode}], nested errors."""
    code = code or _CODES.get(status, "bad.request" if status < 500 else "internal.server.error")
    context_id = context_id or str(uuid.uuid4())
    body: dict[str, Any] = {"message": message, "code": code, "status": status, "messageParams": {},
                            "contextId": context_id, "details": [{"errorCode": detail}] if detail else [],
                            "errors": []}
    if nested:
        body["errors"] = [_nested(status, code.upper().replace(".", "_"), f"{nested} [{context_id}]")]
    return body


def remote_failure_error(status: int, message: str, context_id: str | None = None) -> dict[str, Any]:
    """The remote endpoint answered a non-2xx status: its 4xx/5xx passes through with ACTION.REMOTE_ENDPOINT."""
    code = {404: "not.found", 401: "not.authorized", 403: "not.authorized", 500: "internal.server.error"}.get(
        status, "bad.request")
    return error_body(status, f"The remote endpoint answered {status}.", context_id=context_id,
                      detail=REMOTE_ENDPOINT, code=code,
                      nested=f"REST call for action execute failed. Message: Request to backend service failed. "
                             f"{message}")


@dataclass
class Steps:
    """Collects operation records in order; ``fail`` ends the test with the failing step's error."""

    context_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    operations: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    final: Any = None

    def ok(self, name: str, result: Any, warnings: tuple[str, ...] | list[str] = ()) -> None:
        record: dict[str, Any] = {"step": step_number(name), "name": name, "success": True, "result": result}
        if warnings:
            record["warnings"] = list(warnings)
        self.operations.append(record)

    def fail(self, name: str, error: dict[str, Any], warnings: tuple[str, ...] | list[str] = (),
             result: Any = None) -> None:
        record: dict[str, Any] = {"step": step_number(name), "name": name, "success": False, "error": error}
        if result is not None:
            record["result"] = result
        if warnings:
            record["warnings"] = list(warnings)
        self.operations.append(record)
        self.error = error

    def finish_fail(self, name: str, error: dict[str, Any], warnings: tuple[str, ...] | list[str] = (),
                    result: Any = None) -> None:
        """``fail`` for a caller that returns at once: always None, the output a failed test does not have."""
        self.fail(name, error, warnings, result)

    @property
    def result(self) -> TestExecutionResult:
        """The collected steps as the platform's TestExecutionResult."""
        return TestExecutionResult.from_dict(self.to_dict(self.final))

    @property
    def failed(self) -> bool:
        return self.error is not None

    def to_dict(self, final: Any = None) -> dict[str, Any]:
        """The TestExecutionResult JSON: operations, success, and finalResult or error."""
        if self.error is not None:
            return {"operations": self.operations, "error": self.error, "success": False}
        out: dict[str, Any] = {"operations": self.operations, "success": True}
        if final is not None:
            out["finalResult"] = final
        return out
