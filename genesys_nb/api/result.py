"""ExecutionResult: what one execution did, built client-side (the API answers with the bare output or an ErrorBody)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from genesys_nb.api.errors import APIError, InputValidationError, error_for_class, format_error_message
from genesys_nb.api.models import ErrorBody, FieldError, RateLimitInfo

__all__ = ["ExecutionResult", "ResultError"]

JSON = dict[str, Any]

ResultError = ErrorBody | FieldError | JSON


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _error_to_dict(error: ResultError) -> JSON:
    if isinstance(error, (ErrorBody, FieldError)):
        return error.to_dict()
    return copy.deepcopy(dict(error))


@dataclass
class ExecutionResult:
    """What one execution did: output or classified error, timings, attempts, correlation id.

    Built client-side (the API answers with the bare output or an ErrorBody).
    """

    action_id: str
    ok: bool
    output: Any = None
    errors: list[ResultError] = field(default_factory=list)
    status_code: int | None = None
    error_class: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    correlation_id: str | None = None
    latency_ms: float = 0.0
    total_ms: float = 0.0  # from the first request leaving to the final answer (retries included)
    attempts: int = 1
    retry_wait_ms: float = 0.0
    timeout_ms: int = 30000
    timestamp: datetime = field(default_factory=_utc_now)
    retry_after_s: float | None = None
    request_sent: bool = True
    rate_limit: RateLimitInfo | None = None
    queue_ms: float = 0.0  # waited for a pacing slot before the first request left (a paced run only)

    @property
    def error_body(self) -> ErrorBody | None:
        """The first ErrorBody among ``errors`` (the platform's answer), if any."""
        return next((e for e in self.errors if isinstance(e, ErrorBody)), None)

    def raise_for_error(self, *, operation: str = "execute") -> None:
        """Raise the classified exception (with the fix in its message); do nothing when ok."""
        if self.ok:
            return
        error_class = self.error_class or "server"
        if error_class == "validation":
            field_errors = [e for e in self.errors if isinstance(e, FieldError)]
            if field_errors:
                # the executor already wrote the message naming the action and every violation
                raise InputValidationError(field_errors, action_id=self.action_id, message=self.error_message)
            raise InputValidationError(
                [], action_id=self.action_id, message=self.error_message or "input failed the contract"
            )
        cls = error_for_class(error_class)
        message = format_error_message(
            error_class,
            self.error_message,
            status_code=self.status_code,
            action_id=self.action_id,
            correlation_id=self.correlation_id,
            retry_after_s=self.retry_after_s,
            operation=operation,
            timeout_ms=self.timeout_ms,
        )
        if not issubclass(cls, APIError):  # only "validation" maps outside APIError, handled above
            raise TypeError(f"error class {error_class!r} does not map to an APIError")
        raise cls(
            message,
            status_code=self.status_code,
            error_body=self.error_body,
            correlation_id=self.correlation_id,
            action_id=self.action_id,
            result=self,
            retry_after_s=self.retry_after_s,
        )

    def to_dict(self) -> JSON:
        """A JSON-safe dict (timestamp as UTC ISO 8601 with Z)."""
        stamp = self.timestamp.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        return {
            "action_id": self.action_id,
            "ok": self.ok,
            "output": copy.deepcopy(self.output),
            "errors": [_error_to_dict(e) for e in self.errors],
            "status_code": self.status_code,
            "error_class": self.error_class,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "correlation_id": self.correlation_id,
            "latency_ms": self.latency_ms,
            "total_ms": self.total_ms,
            "queue_ms": self.queue_ms,
            "attempts": self.attempts,
            "retry_wait_ms": self.retry_wait_ms,
            "timeout_ms": self.timeout_ms,
            "timestamp": stamp,
            "retry_after_s": self.retry_after_s,
            "request_sent": self.request_sent,
            "rate_limit": self.rate_limit.to_dict() if self.rate_limit is not None else None,
        }
