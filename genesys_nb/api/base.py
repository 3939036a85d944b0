"""Request building and response interpretation for the Data Actions API, without I/O.

``_ClientBase`` decides every request (paths, query parameters, JSON body, per-request timeout)
and turns every response or transport failure into an Action, a schema, an ExecutionResult or a
classified APIError. :mod:`genesys_nb.api.client` adds only the sync and async send loops on top.
"""
from __future__ import annotations

import functools
import json
import math
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx

from genesys_nb.api.auth import ClientCredentialsAuth
from genesys_nb.api.errors import (
    APIError,
    AuthenticationError,
    ContractError,
    ExecutionTimeoutError,
    NetworkError,
    classify_status,
    error_for_class,
    format_error_message,
)
from genesys_nb.api.http1 import WireResponse
from genesys_nb.api.logs import install_log_redaction
from genesys_nb.api.models import Action, ErrorBody, RateLimitInfo, TestExecutionResult
from genesys_nb.api.result import ExecutionResult
from genesys_nb.api.retry import parse_retry_after
from genesys_nb.api.settings import Settings
from genesys_nb.api.version import __version__

# What an execute can come back as: through httpx, or sent directly over the default transport.
AnyResponse = httpx.Response | WireResponse

install_log_redaction()  # httpx logs request URLs at INFO

__all__ = [
    "ACTIONS_PATH",
    "CORRELATION_HEADER",
    "DEFAULT_TIMEOUT_MS",
    "DEFAULT_USER_AGENT",
    "MAX_TIMEOUT_MS",
    "MIN_TIMEOUT_MS",
    "RateLimitInfo",
    "SchemaKind",
    "rate_limit_from_headers",
    "validate_timeout_ms",
]

ACTIONS_PATH = "/api/v2/integrations/actions"
DEFAULT_USER_AGENT = f"genesys-nb/{__version__}"
MIN_TIMEOUT_MS = 1
MAX_TIMEOUT_MS = 60000  # the platform's own ceiling: config.timeoutSeconds is 1..60
DEFAULT_TIMEOUT_MS = 30000
CORRELATION_HEADER = "inin-correlation-id"
CORRELATION_HEADER_SENT = "ININ-Correlation-Id"
_BODY_PREVIEW_CHARS = 120
# The normalized 429 message says "Retry the request in [42] seconds"; used when Retry-After is missing.
_RETRY_IN_MESSAGE = re.compile(r"retry the request in \[(\d+(?:\.\d+)?)\] seconds", re.IGNORECASE)

SchemaKind = Literal["input", "success"]


def validate_timeout_ms(timeout_ms: Any) -> int:
    """Return ``timeout_ms`` if it is an int in 1..60000; else raise ValueError naming the bounds.

    >>> validate_timeout_ms(25000)
    25000
    """
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int):
        # ValueError on purpose: callers catch one exception type for "bad timeout_ms".
        raise ValueError(  # noqa: TRY004
            f"timeout_ms must be an int number of milliseconds in {MIN_TIMEOUT_MS}..{MAX_TIMEOUT_MS} "
            f"(got {timeout_ms!r} of type {type(timeout_ms).__name__})."
        )
    if not MIN_TIMEOUT_MS <= timeout_ms <= MAX_TIMEOUT_MS:
        raise ValueError(
            f"timeout_ms must be in {MIN_TIMEOUT_MS}..{MAX_TIMEOUT_MS} ms (got {timeout_ms}); "
            "60000 is the platform's own ceiling for an action."
        )
    return timeout_ms


def _check_action_id(action_id: Any) -> str:
    if not isinstance(action_id, str) or not action_id.strip():
        raise ValueError(f"action_id must be a non-empty string such as 'custom_-_<uuid>' (got {action_id!r}).")
    return action_id


def _json_default(value: Any) -> Any:
    """Serialize what tables commonly hold (numpy scalars, dates) the way a user expects."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _reject_non_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


@functools.lru_cache(maxsize=64)
def _execution_timeout(timeout_ms: int) -> httpx.Timeout:
    """The HTTP deadline of an execute with this timeout directive (one object per distinct value)."""
    return httpx.Timeout(timeout_ms / 1000.0)


# Built once: json.loads with keyword arguments builds a decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_non_json_constant)


def _loads(content: bytes) -> Any:
    """json.loads(content) that refuses NaN/Infinity (what json.loads does with bytes, decoder reused)."""
    return _DECODER.decode(content.decode(json.detect_encoding(content), "surrogatepass"))


def _encode_inputs(inputs: Any) -> bytes:
    if not isinstance(inputs, Mapping):
        raise TypeError(f"inputs must be a dict of the action's input fields (got {type(inputs).__name__}).")
    try:
        return json.dumps(dict(inputs), default=_json_default, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as err:
        raise ValueError(f"inputs cannot be sent as JSON: {err} (NaN/inf and custom objects are not allowed).") from err


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
class _Request:
    """Everything needed to send one request; built without I/O."""

    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    timeout: httpx.Timeout | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def build(self, api_url: str, default_headers: Mapping[str, str], default_timeout: httpx.Timeout) -> httpx.Request:
        """The httpx.Request, built directly: an absolute URL and complete headers, so sending it skips
        the client's per-call URL and header merging (measurable at thousands of calls a second)."""
        url = _parsed_url(self.url if "://" in self.url else api_url + self.url)
        if self.params:
            url = url.copy_merge_params(self.params)
        headers = {**default_headers, **self.headers}
        content = self.content
        if content is not None:
            headers["Content-Type"] = "application/json"
        # The headers httpx would add itself (Host first, Content-Length last), given up front with
        # the body as a ready stream: httpx then skips its per-request content encoding and header
        # re-normalisation. The request is read at once, as httpx does for a bytes body.
        raw: list[tuple[bytes, bytes]] = [(b"Host", url.netloc)]
        raw += [(name.encode("ascii"), value.encode("ascii")) for name, value in headers.items()]
        if content or self.method in ("POST", "PUT", "PATCH"):
            raw.append((b"Content-Length", str(len(content or b"")).encode("ascii")))
        timeout = self.timeout if self.timeout is not None else default_timeout
        request = httpx.Request(self.method, url, headers=raw, stream=httpx.ByteStream(content or b""),
                                extensions={"timeout": timeout.as_dict()})
        request.read()
        return request

    def parts(self, api_url: str, default_headers: Mapping[str, str], default_timeout: httpx.Timeout
              ) -> tuple[str, str, list[tuple[str, str]], bytes | None, dict[str, float | None]]:
        """(method, absolute URL, headers, body, httpx timeout extension) for a sender without httpx:
        the headers :meth:`build` gives, less the ``Host`` and ``Content-Length`` a transport adds."""
        url = _parsed_url(self.url if "://" in self.url else api_url + self.url)
        if self.params:
            url = url.copy_merge_params(self.params)
        headers = {**default_headers, **self.headers}
        if self.content is not None:
            headers["Content-Type"] = "application/json"
        timeout = self.timeout if self.timeout is not None else default_timeout
        return self.method, str(url), list(headers.items()), self.content, timeout.as_dict()


_URL_CACHE: dict[str, httpx.URL] = {}
_URL_CACHE_SIZE = 1024


def _parsed_url(text: str) -> httpx.URL:
    """``httpx.URL(text)``, parsed once per distinct URL (parsing checks every character, every call).

    httpx.URL is immutable, so one parsed instance can back many requests. The cache is bounded:
    past ``_URL_CACHE_SIZE`` distinct URLs it starts again.
    """
    url = _URL_CACHE.get(text)
    if url is None:
        if len(_URL_CACHE) >= _URL_CACHE_SIZE:
            _URL_CACHE.clear()
        url = _URL_CACHE[text] = httpx.URL(text)
    return url


class _NoCookies(httpx.Cookies):
    """A cookie store that keeps nothing: the Platform API authenticates by bearer token, never by cookie,
    and extracting cookies from every response costs a noticeable share of a fast call."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


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


class _ClientBase:
    """Pure request building and response interpretation shared by both clients."""

    def __init__(
        self,
        settings: Settings,
        *,
        timeout_s: float,
        user_agent: str | None,
        auth: ClientCredentialsAuth | None,
    ) -> None:
        if not isinstance(settings, Settings):
            raise TypeError(f"settings must be a genesys_nb.Settings (got {type(settings).__name__}).")
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not timeout_s > 0:
            raise ValueError(f"timeout_s must be a number of seconds > 0 (got {timeout_s!r}).")
        self.settings = settings
        self.user_agent = user_agent or DEFAULT_USER_AGENT
        self.auth = auth if auth is not None else ClientCredentialsAuth(settings, user_agent=self.user_agent)
        self.last_rate_limit: RateLimitInfo | None = None
        self._timeout_s = float(timeout_s)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.settings!r})"

    def _http_options(self) -> dict[str, Any]:
        return {
            "base_url": self.settings.api_url,
            "auth": self.auth,
            "timeout": self._timeout_s,
            "headers": self._default_headers(),
            "follow_redirects": False,
        }

    def _default_headers(self) -> dict[str, str]:
        return {"User-Agent": self.user_agent, "Accept": "application/json"}

    def _prepare(self, http: httpx.Client | httpx.AsyncClient) -> None:
        """Per-client set-up shared by both send loops: drop the cookie store, precompute defaults."""
        http._cookies = _NoCookies()  # no public switch in httpx; tested in test_client
        self._request_defaults = (self.settings.api_url, self._default_headers(), httpx.Timeout(self._timeout_s))

    def _httpx_request(self, request: _Request) -> httpx.Request:
        return request.build(*self._request_defaults)

    # -- requests ------------------------------------------------------------------------------

    @staticmethod
    def _action_path(action_id: str, *suffix: str) -> str:
        parts = [ACTIONS_PATH, quote(_check_action_id(action_id), safe=""), *suffix]
        return "/".join(parts)

    @staticmethod
    def _list_request(
        page_number: int, *, name: str | None, category: str | None, secure: bool | None, page_size: int
    ) -> _Request:
        params = {"pageSize": str(page_size), "pageNumber": str(page_number)}
        if name is not None:
            params["name"] = name
        if category is not None:
            params["category"] = category
        if secure is not None:
            params["secure"] = "true" if secure else "false"
        return _Request("GET", ACTIONS_PATH, params)

    @staticmethod
    def _check_page_size(page_size: Any) -> int:
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 500:
            raise ValueError(f"page_size must be an int in 1..500 (got {page_size!r}).")
        return page_size

    def _get_action_request(self, action_id: str) -> _Request:
        return _Request("GET", self._action_path(action_id), {"expand": "contract", "includeConfig": "true"})

    def _schema_request(self, action: Action, which: str) -> _Request | None:
        """GET of the schema URI the action names, or None when only an inline schema can be used."""
        contract = action.contract
        if contract is None:
            return None
        uri = contract.input_schema_uri if which == "input" else contract.success_schema_uri
        if not uri:
            return None
        parts = urlsplit(uri)
        api = urlsplit(self.settings.api_url)
        # Follow an absolute URI only on our own API host: the bearer token must not leave it.
        if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc) != (api.scheme, api.netloc):
            return None
        return _Request("GET", uri)

    def _start_execution(
        self, action_id: str, inputs: Mapping[str, Any], *, flatten: bool, timeout_ms: Any, operation: str
    ) -> _Execution:
        checked_timeout = validate_timeout_ms(timeout_ms)
        path = self._action_path(action_id, operation)
        params = {"flatten": "true"} if flatten else {}
        correlation_id = str(uuid.uuid4())
        request = _Request(
            "POST", path, params, content=_encode_inputs(inputs), timeout=_execution_timeout(checked_timeout),
            headers={CORRELATION_HEADER_SENT: correlation_id},
        )
        return _Execution(
            action_id, checked_timeout, request, datetime.now(timezone.utc), time.perf_counter(), correlation_id
        )

    def _test_request(self, action_id: str, inputs: Mapping[str, Any], *, flatten: bool) -> _Request:
        params = {"flatten": "true"} if flatten else {}
        return _Request("POST", self._action_path(action_id, "test"), params, content=_encode_inputs(inputs))

    # -- responses -----------------------------------------------------------------------------

    def _note_rate_limit(self, response: AnyResponse) -> RateLimitInfo | None:
        info = rate_limit_from_headers(response.headers)
        if info is not None:
            self.last_rate_limit = info
        return info

    @staticmethod
    def _preview(response: AnyResponse) -> str:
        content_type = response.headers.get("content-type") or "no content type"
        text = response.content[:_BODY_PREVIEW_CHARS].decode("utf-8", errors="replace")
        more = "..." if len(response.content) > _BODY_PREVIEW_CHARS else ""
        if not response.content:
            return f"an empty body ({content_type})"
        return f"a non-JSON body ({content_type}): {text!r}{more}"

    @staticmethod
    def _json(response: AnyResponse) -> tuple[bool, Any]:
        try:
            # NaN/Infinity are not JSON; Python's parser would accept them silently
            return True, _loads(response.content)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError, e.g. a truncated body
            return False, None

    def _error_parts(self, response: AnyResponse) -> tuple[str, ErrorBody, str | None, str, float | None]:
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
    def _correlation_id(response: AnyResponse, error_body: ErrorBody | None) -> str | None:
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
    def _transport_error(exc: httpx.HTTPError, *, operation: str, action_id: str | None) -> APIError:
        """A classified APIError for a list/get/schema/test call whose request never completed."""
        error_class = "timeout" if isinstance(exc, httpx.TimeoutException) else "network"
        cls = ExecutionTimeoutError if error_class == "timeout" else NetworkError
        detail = str(exc) or type(exc).__name__
        return cls(
            format_error_message(error_class, f"{type(exc).__name__}: {detail}", action_id=action_id,
                                 operation=operation),
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

    @staticmethod
    def _check_which(which: Any) -> str:
        if which not in ("input", "success"):
            raise ValueError(f"which must be 'input' or 'success' (got {which!r}).")
        return str(which)

    def _parse_test(self, response: httpx.Response, action_id: str) -> TestExecutionResult:
        body = self._json_or_raise(response, operation="test", action_id=action_id)
        if not isinstance(body, dict):
            raise ContractError(f"test {action_id} failed: the response is not a TestExecutionResult.")
        return TestExecutionResult.from_dict(body)

    def _result_from_response(self, call: _Execution, response: AnyResponse) -> ExecutionResult:
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
    def _result_from_exception(call: _Execution, exc: Exception) -> ExecutionResult:
        """Classify a failure that produced no response; re-raise what is not a network matter."""
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
        elif isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
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
