"""The pure core of both Data Actions clients: which request to send, and what came back.

``_ClientBase`` decides every request (paths, query parameters, JSON body, per-request timeout);
what a request is made of lives in :mod:`genesys_nb.api._request`, and how every response or
transport failure becomes an Action, a schema, an ExecutionResult or a classified APIError in
:mod:`genesys_nb.api._response`. :mod:`genesys_nb.api.client` adds only the sync and async send
loops on top.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx

from genesys_nb.api._request import (
    ACTIONS_PATH,
    CORRELATION_HEADER_SENT,
    DEFAULT_TIMEOUT_MS,
    DEFAULT_USER_AGENT,
    MAX_TIMEOUT_MS,
    MIN_TIMEOUT_MS,
    _check_action_id,
    _encode_inputs,
    _execution_timeout,
    _Request,
    validate_timeout_ms,
)
from genesys_nb.api._response import (
    CORRELATION_HEADER,
    _Execution,
    _ResponseReader,
    rate_limit_from_headers,
)
from genesys_nb.api.auth import ClientCredentialsAuth
from genesys_nb.api.logs import install_log_redaction
from genesys_nb.api.models import Action, RateLimitInfo
from genesys_nb.api.network import NetworkPolicy
from genesys_nb.api.settings import Settings

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

SchemaKind = Literal["input", "success"]


class _NoCookies(httpx.Cookies):
    """A cookie store that keeps nothing: the Platform API authenticates by bearer token, never by cookie,
    and extracting cookies from every response costs a noticeable share of a fast call."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _ClientBase(_ResponseReader):
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
        # The proxy and TLS rules the default transport follows (None with a transport of the caller's).
        self.network: NetworkPolicy | None = None

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

    def _proxy_of(self, exc: BaseException) -> str | None:
        """The proxy (password masked) the failed request went through, for the fix hint; else None."""
        if self.network is None or not isinstance(exc, httpx.RequestError):
            return None
        try:
            return self.network.proxy_for(exc.request.url)
        except RuntimeError:  # an exception raised without its request
            return None

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

    @staticmethod
    def _check_which(which: Any) -> str:
        if which not in ("input", "success"):
            raise ValueError(f"which must be 'input' or 'success' (got {which!r}).")
        return str(which)
