"""Interpreting the responses of the Data Actions API, without I/O: rate-limit headers, error
bodies and their classification, and the Action, page, schema, test result or ExecutionResult a
response (or a transport failure) stands for.

:class:`_ResponseReader` holds these steps for :class:`genesys_nb.api.base._ClientBase`;
``_Execution`` is one execute call in flight, ``_Page`` one page of a listing.
"""
from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from genesys_nb.api._request import _Request
from genesys_nb.api.errors import (
    APIError,
    AuthenticationError,
    ContractError,
    ExecutionTimeoutError,
    NetworkError,
    classify_status,
    error_for_class,
    fix_hint,
    format_error_message,
)
from genesys_nb.api.models import Action, ErrorBody, RateLimitInfo, TestExecutionResult
from genesys_nb.api.result import ExecutionResult
from genesys_nb.api.retry import parse_retry_after
from genesys_nb.api.settings import Settings

CORRELATION_HEADER = "inin-correlation-id"
_BODY_PREVIEW_CHARS = 120
# The normalized 429 message says "Retry the request in [42] seconds"; used when Retry-After is missing.
_RETRY_IN_MESSAGE = re.compile(r"retry the request in \[(\d+(?:\.\d+)?)\] seconds", re.IGNORECASE)


def _reject_non_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Built once: json.loads with keyword arguments builds a decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_non_json_constant)


def _loads(content: bytes) -> Any:
    """json.loads(content) that refuses NaN/Infinity (what json.loads does with bytes, decoder reused)."""
    return _DECODER.decode(content.decode(json.detect_encoding(content), "surrogatepass"))


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def rate_limit_from_headers(headers: Mapping[str, str]) -> RateLimitInfo | None:
    """RateLimitInfo from ``inin-ratelimit-count/allowed/reset``; None when none of them is present."""
    count = _header_number(headers, "inin-ratelimit-count")
    allowed = _header_number(headers, "inin-ratelimit-allowed")
    reset_s = _header_number(headers, "inin-ratelimit-reset")
    if count is None and allowed is None and reset_s is None:
        return None
    return RateLimitInfo(
        count=int(count) if count is not None else None,
        allowed=int(allowed) if allowed is not None else None,
        reset_s=reset_s,
    )


@dataclass
class _Execution:
    """One execute call in flight: what was asked and when it started."""

    action_id: str
    timeout_ms: int
    request: _Request
    timestamp: datetime
    started: float
    # Sent as ININ-Correlation-Id so a result can be matched to the platform's (or the emulator's)
    # record of the request even when no response came back (timeouts, resets).
    correlation_id: str


@dataclass
class _Page:
    actions: list[Action]
    has_more: bool


class _ResponseReader:
    """Response interpretation shared by both clients: what each response means, as a value or an error."""

    settings: Settings
    last_rate_limit: RateLimitInfo | None

    def _note_rate_limit(self, response: httpx.Response) -> RateLimitInfo | None:
        info = rate_limit_from_headers(response.headers)
        if info is not None:
            self.last_rate_limit = info
        return info

    @staticmethod
    def _preview(response: httpx.Response) -> str:
        content_type = response.headers.get("content-type") or "no content type"
        text = response.content[:_BODY_PREVIEW_CHARS].decode("utf-8", errors="replace")
        more = "..." if len(response.content) > _BODY_PREVIEW_CHARS else ""
        if not response.content:
            return f"an empty body ({content_type})"
        return f"a non-JSON body ({content_type}): {text!r}{more}"

    @staticmethod
    def _json(response: httpx.Response) -> tuple[bool, Any]:
        try:
            # NaN/Infinity are not JSON; Python's parser would accept them silently
            return True, _loads(response.content)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError, e.g. a truncated body
            return False, None

    def _error_parts(self, response: httpx.Response) -> tuple[str, ErrorBody, str | None, str, float | None]:
        """(error_class, error body, error code, message, retry_after_s) for a non-2xx response."""
        parsed, body = self._json(response)
        if parsed and isinstance(body, dict):
            error_body = ErrorBody.from_dict(body)
            message = error_body.full_message or f"HTTP {response.status_code} {response.reason_phrase}"
        else:
            message = f"HTTP {response.status_code} with {self._preview(response)}"
            error_body = ErrorBody(message=message, status=response.status_code)
        error_class = classify_status(response.status_code, error_body)
        detail_codes = error_body.detail_codes
        if error_class == "remote_endpoint" and detail_codes:
            error_code: str | None = detail_codes[0]
        else:
            error_code = error_body.code or (detail_codes[0] if detail_codes else None)
        retry_after_s = parse_retry_after(response.headers.get("retry-after"))
        if retry_after_s is None and error_class == "rate_limited" and error_body.message:
            match = _RETRY_IN_MESSAGE.search(error_body.message)
            if match:
                retry_after_s = float(match.group(1))
        return error_class, error_body, error_code, message, retry_after_s

    @staticmethod
    def _correlation_id(response: httpx.Response, error_body: ErrorBody | None) -> str | None:
        header = response.headers.get(CORRELATION_HEADER)
        if header:
            return header
        return error_body.context_id if error_body is not None else None

    def _raise_for_status(self, response: httpx.Response, *, operation: str, action_id: str | None) -> None:
        """Raise the classified APIError for a non-2xx response of a non-execute call."""
        self._note_rate_limit(response)
        if response.is_success:
            return
        error_class, error_body, _, message, retry_after_s = self._error_parts(response)
        correlation_id = self._correlation_id(response, error_body)
        cls = error_for_class(error_class)
        if not issubclass(cls, APIError):  # classify_status never returns "validation"
            raise TypeError(error_class)
        raise cls(
            format_error_message(
                error_class,
                message,
                status_code=response.status_code,
                action_id=action_id,
                correlation_id=correlation_id,
                retry_after_s=retry_after_s,
                operation=operation,
            ),
            status_code=response.status_code,
            error_body=error_body,
            correlation_id=correlation_id,
            action_id=action_id,
            retry_after_s=retry_after_s,
        )

    @staticmethod
    def _transport_error(exc: httpx.HTTPError, *, operation: str, action_id: str | None,
                         proxy: str | None = None) -> APIError:
        """A classified APIError for a list/get/schema/test call whose request never completed.

        ``proxy`` (password masked) is the proxy the request went through: the fix hint names it."""
        error_class = "timeout" if isinstance(exc, httpx.TimeoutException) else "network"
        cls = ExecutionTimeoutError if error_class == "timeout" else NetworkError
        detail = str(exc) or type(exc).__name__
        return cls(
            format_error_message(error_class, f"{type(exc).__name__}: {detail}", action_id=action_id,
                                 operation=operation, proxy=proxy),
            action_id=action_id,
        )

    def _json_or_raise(self, response: httpx.Response, *, operation: str, action_id: str | None) -> Any:
        self._raise_for_status(response, operation=operation, action_id=action_id)
        parsed, body = self._json(response)
        if not parsed:
            detail = f"expected JSON, got {self._preview(response)}"
            raise ContractError(
                format_error_message(
                    "contract", detail, status_code=response.status_code, action_id=action_id, operation=operation
                ),
                status_code=response.status_code,
                correlation_id=self._correlation_id(response, None),
                action_id=action_id,
            )
        return body

    def _parse_page(self, response: httpx.Response, *, page_number: int, page_size: int) -> _Page:
        body = self._json_or_raise(response, operation="list", action_id=None)
        entities = body.get("entities") if isinstance(body, dict) else None
        if not isinstance(entities, list):
            raise ContractError(
                "list actions failed: the response has no 'entities' list. Fix: check the API base URL "
                f"({self.settings.api_url}) points at the Platform API.",
                status_code=response.status_code,
            )
        actions = [Action.from_dict(entity) for entity in entities if isinstance(entity, dict)]
        if not entities:
            return _Page(actions, has_more=False)
        page_count = body.get("pageCount")
        if isinstance(page_count, int) and not isinstance(page_count, bool):
            return _Page(actions, has_more=page_number < page_count)
        # Without pageCount, a short page is the last one.
        return _Page(actions, has_more=len(entities) >= page_size)

    def _parse_action(self, response: httpx.Response, action_id: str) -> Action:
        body = self._json_or_raise(response, operation="get", action_id=action_id)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ContractError(f"get {action_id} failed: the response is not an Action object.", action_id=action_id)
        return Action.from_dict(body)

    @staticmethod
    def _inline_schema(action: Action, which: str) -> dict[str, Any]:
        schema = action.input_schema if which == "input" else action.success_schema
        if schema is None:
            raise ContractError(
                f"action {action.id!r} has no {which} schema in its contract. Fix: add one to the action's "
                "contract in Admin > Integrations > Actions.",
                action_id=action.id,
            )
        return schema

    def _parse_schema(self, response: httpx.Response, action: Action, which: str) -> dict[str, Any]:
        if response.status_code == 404 and (action.input_schema if which == "input" else action.success_schema):
            return self._inline_schema(action, which)
        body = self._json_or_raise(response, operation="schema", action_id=action.id)
        if not isinstance(body, dict):
            raise ContractError(f"schema of {action.id} is not a JSON object.", action_id=action.id)
        return body

    def _parse_test(self, response: httpx.Response, action_id: str) -> TestExecutionResult:
        body = self._json_or_raise(response, operation="test", action_id=action_id)
        if not isinstance(body, dict):
            raise ContractError(f"test {action_id} failed: the response is not a TestExecutionResult.")
        return TestExecutionResult.from_dict(body)

    def _result_from_response(self, call: _Execution, response: httpx.Response) -> ExecutionResult:
        total_ms = (time.perf_counter() - call.started) * 1000.0
        try:
            # The last request/response exchange only: a login (or the 401 before a re-send) is not
            # the action's latency, but it is part of total_ms.
            latency_ms = min(total_ms, response.elapsed.total_seconds() * 1000.0)
        except RuntimeError:  # elapsed is unknown until the response is closed
            latency_ms = total_ms
        rate_limit = self._note_rate_limit(response)
        common: dict[str, Any] = {
            "action_id": call.action_id,
            "status_code": response.status_code,
            "latency_ms": latency_ms,
            "total_ms": total_ms,
            "attempts": 1,
            "timeout_ms": call.timeout_ms,
            "timestamp": call.timestamp,
            "request_sent": True,
            "rate_limit": rate_limit,
        }
        correlation_id = self._correlation_id(response, None) or call.correlation_id
        if response.is_success:
            if response.status_code == 204:
                return ExecutionResult(ok=True, output=None, correlation_id=correlation_id, **common)
            parsed, output = self._json(response)
            if parsed:
                return ExecutionResult(ok=True, output=output, correlation_id=correlation_id, **common)
            message = f"HTTP {response.status_code} with {self._preview(response)}; expected JSON output"
            return ExecutionResult(
                ok=False,
                errors=[ErrorBody(message=message, status=response.status_code)],
                error_class="contract",
                error_code="non_json_output",
                error_message=message,
                correlation_id=correlation_id,
                **common,
            )
        error_class, error_body, error_code, message, retry_after_s = self._error_parts(response)
        return ExecutionResult(
            ok=False,
            errors=[error_body],
            error_class=error_class,
            error_code=error_code,
            error_message=message,
            correlation_id=self._correlation_id(response, error_body) or call.correlation_id,
            retry_after_s=retry_after_s,
            **common,
        )

    @staticmethod
    def _result_from_exception(call: _Execution, exc: Exception, *, proxy: str | None = None) -> ExecutionResult:
        """Classify a failure that produced no response; re-raise what is not a network matter.

        ``proxy`` (password masked) is the proxy the request went through; a network failure says so."""
        latency_ms = (time.perf_counter() - call.started) * 1000.0
        status_code: int | None = None
        if isinstance(exc, AuthenticationError):
            # Wrong credentials are a configuration problem and raise; a busy or failing login host
            # is an outcome of this execution like any other.
            if exc.status_code is None or not (exc.status_code == 429 or exc.status_code >= 500):
                raise exc
            status_code = exc.status_code
            error_class = classify_status(exc.status_code)
            request_sent = False
            code = "login_unavailable"
            message = str(exc)
        elif isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError)):
            # A proxy that refused the tunnel (httpx.ProxyError) never forwarded the request.
            error_class, request_sent, code = "network", False, type(exc).__name__
            message = f"could not connect: {exc or type(exc).__name__}"
        elif isinstance(exc, httpx.PoolTimeout):
            error_class, request_sent, code = "timeout", False, "PoolTimeout"
            message = f"no free connection within timeout_ms={call.timeout_ms}"
        elif isinstance(exc, httpx.TimeoutException):
            error_class, request_sent, code = "timeout", True, type(exc).__name__
            message = f"no answer within timeout_ms={call.timeout_ms} ({type(exc).__name__}); the action may have run"
        elif isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
            error_class, request_sent, code = "network", False, type(exc).__name__
            message = f"request could not be sent: {exc or type(exc).__name__}"
        elif isinstance(exc, httpx.HTTPError):
            error_class, request_sent, code = "network", True, type(exc).__name__
            message = f"connection failed after the request was sent ({type(exc).__name__}): {exc}"
        else:
            raise exc
        if proxy is not None and error_class == "network":
            message = f"{message} (through the proxy {proxy}). Fix: {fix_hint('network', proxy=proxy)}"
        return ExecutionResult(
            action_id=call.action_id,
            ok=False,
            errors=[ErrorBody(message=message, status=status_code)],
            status_code=status_code,
            error_class=error_class,
            error_code=code,
            error_message=message,
            latency_ms=latency_ms,
            total_ms=latency_ms,
            attempts=1,
            timeout_ms=call.timeout_ms,
            timestamp=call.timestamp,
            request_sent=request_sent,
            correlation_id=call.correlation_id,
        )
