"""Sync and async clients for the Data Actions API over one pure request-building base.

``_ClientBase`` (in :mod:`genesys_nb.api.base`) decides every request and interprets every
response without I/O; ``DataActionsClient`` and ``AsyncDataActionsClient`` only repeat the short
send loops.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from types import TracebackType
from typing import Any

import httpx

from genesys_nb.api._analytics import AnalyticsMixin, AsyncAnalyticsMixin
from genesys_nb.api._drafts import AsyncDraftsMixin, DraftsMixin
from genesys_nb.api._files import AsyncFilesMixin, FilesMixin
from genesys_nb.api._integrations import AsyncIntegrationsMixin, IntegrationsMixin
from genesys_nb.api.auth import ClientCredentialsAuth
from genesys_nb.api.base import (
    ACTIONS_PATH,
    CORRELATION_HEADER,
    DEFAULT_TIMEOUT_MS,
    DEFAULT_USER_AGENT,
    MAX_TIMEOUT_MS,
    MIN_TIMEOUT_MS,
    RateLimitInfo,
    SchemaKind,
    _ClientBase,
    _Request,
    rate_limit_from_headers,
    validate_timeout_ms,
)
from genesys_nb.api.errors import AuthenticationError
from genesys_nb.api.models import Action, TestExecutionResult
from genesys_nb.api.network import NetworkPolicy, network_policy
from genesys_nb.api.result import ExecutionResult
from genesys_nb.api.settings import Settings

__all__ = [
    "ACTIONS_PATH",
    "CORRELATION_HEADER",
    "DEFAULT_TIMEOUT_MS",
    "DEFAULT_USER_AGENT",
    "MAX_TIMEOUT_MS",
    "MIN_TIMEOUT_MS",
    "AsyncDataActionsClient",
    "DataActionsClient",
    "RateLimitInfo",
    "rate_limit_from_headers",
    "validate_timeout_ms",
]

# doctest.testmod(genesys_nb.api.client) also runs the examples of the functions re-exported above.
__test__ = {"validate_timeout_ms": validate_timeout_ms}


class DataActionsClient(DraftsMixin, AnalyticsMixin, IntegrationsMixin, FilesMixin, _ClientBase):
    """Blocking client for ``/api/v2/integrations/actions``.

    ``transport`` is the one I/O seam (``httpx.MockTransport``, the emulator's transport, or None
    for the network: httpx's own transport behind the proxy and TLS rules of
    :mod:`genesys_nb.api.network`, or of ``network`` when given). Use as a context manager or call
    ``close()``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 30.0,
        user_agent: str | None = None,
        auth: ClientCredentialsAuth | None = None,
        network: NetworkPolicy | None = None,
    ) -> None:
        super().__init__(settings, timeout_s=timeout_s, user_agent=user_agent, auth=auth)
        if transport is None:
            self.network = network or network_policy(settings)
            transport = self.network.transport()
        self._http = httpx.Client(transport=transport, trust_env=False, **self._http_options())
        self._prepare(self._http)

    def __enter__(self) -> DataActionsClient:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, request: _Request) -> httpx.Response:
        return self._http.send(self._httpx_request(request))

    def _call(self, request: _Request, *, operation: str, action_id: str | None = None) -> httpx.Response:
        """_send for the calls that raise: a transport failure becomes a NetworkError/ExecutionTimeoutError."""
        try:
            return self._send(request)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, operation=operation, action_id=action_id,
                                        proxy=self._proxy_of(exc)) from exc

    def iter_actions(
        self, *, name: str | None = None, category: str | None = None, secure: bool | None = None,
        page_size: int = 100,
    ) -> Iterator[Action]:
        """Yield every action, page after page (pageNumber paging)."""
        self._check_page_size(page_size)
        page_number = 1
        while True:
            request = self._list_request(page_number, name=name, category=category, secure=secure,
                                         page_size=page_size)
            page = self._parse_page(self._call(request, operation="list"), page_number=page_number, page_size=page_size)
            yield from page.actions
            if not page.has_more:
                return
            page_number += 1

    def list_actions(
        self, *, name: str | None = None, category: str | None = None, secure: bool | None = None,
        page_size: int = 100,
    ) -> list[Action]:
        """Every action matching the filters, across all pages."""
        return list(self.iter_actions(name=name, category=category, secure=secure, page_size=page_size))

    def get_action(self, action_id: str) -> Action:
        """One action with its contract and config (``expand=contract&includeConfig=true``)."""
        return self._parse_action(
            self._call(self._get_action_request(action_id), operation="get", action_id=action_id), action_id
        )

    def get_schema(self, action_id: str, which: SchemaKind = "input") -> dict[str, Any]:
        """The input or success JSON Schema, from the URI the contract names (else the inline one)."""
        self._check_which(which)
        action = self.get_action(action_id)
        request = self._schema_request(action, which)
        if request is None:
            return self._inline_schema(action, which)
        return self._parse_schema(self._call(request, operation="schema", action_id=action_id), action, which)

    def execute(
        self, action_id: str, inputs: Mapping[str, Any], *, flatten: bool = False, timeout_ms: int = DEFAULT_TIMEOUT_MS
    ) -> ExecutionResult:
        """One attempt; never raises for an HTTP or network failure (the result says what happened)."""
        call = self._start_execution(action_id, inputs, flatten=flatten, timeout_ms=timeout_ms, operation="execute")
        try:
            response = self._send(call.request)
        except (httpx.HTTPError, AuthenticationError) as exc:
            return self._result_from_exception(call, exc, proxy=self._proxy_of(exc))
        return self._result_from_response(call, response)

    def test(self, action_id: str, inputs: Mapping[str, Any], *, flatten: bool = False) -> TestExecutionResult:
        """Run the action in test mode: per-step operations. Raises APIError on a non-2xx answer."""
        response = self._call(self._test_request(action_id, inputs, flatten=flatten), operation="test", action_id=action_id)
        return self._parse_test(response, action_id)


class AsyncDataActionsClient(AsyncDraftsMixin, AsyncAnalyticsMixin, AsyncIntegrationsMixin, AsyncFilesMixin,
                             _ClientBase):
    """The asyncio twin of DataActionsClient: same methods, awaitable."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 30.0,
        user_agent: str | None = None,
        auth: ClientCredentialsAuth | None = None,
        network: NetworkPolicy | None = None,
    ) -> None:
        super().__init__(settings, timeout_s=timeout_s, user_agent=user_agent, auth=auth)
        if transport is None:
            self.network = network or network_policy(settings)
            transport = self.network.async_transport()
        self._http = httpx.AsyncClient(transport=transport, trust_env=False, **self._http_options())
        self._prepare(self._http)

    async def __aenter__(self) -> AsyncDataActionsClient:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, request: _Request) -> httpx.Response:
        return await self._http.send(self._httpx_request(request))

    async def _call(self, request: _Request, *, operation: str, action_id: str | None = None) -> httpx.Response:
        """_send for the calls that raise: a transport failure becomes a NetworkError/ExecutionTimeoutError."""
        try:
            return await self._send(request)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, operation=operation, action_id=action_id,
                                        proxy=self._proxy_of(exc)) from exc

    async def iter_actions(
        self, *, name: str | None = None, category: str | None = None, secure: bool | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Action]:
        """Yield every action, page after page (pageNumber paging)."""
        self._check_page_size(page_size)
        page_number = 1
        while True:
            request = self._list_request(page_number, name=name, category=category, secure=secure,
                                         page_size=page_size)
            page = self._parse_page(await self._call(request, operation="list"), page_number=page_number, page_size=page_size)
            for action in page.actions:
                yield action
            if not page.has_more:
                return
            page_number += 1

    async def list_actions(
        self, *, name: str | None = None, category: str | None = None, secure: bool | None = None,
        page_size: int = 100,
    ) -> list[Action]:
        """Every action matching the filters, across all pages."""
        return [a async for a in self.iter_actions(name=name, category=category, secure=secure, page_size=page_size)]

    async def get_action(self, action_id: str) -> Action:
        """One action with its contract and config (``expand=contract&includeConfig=true``)."""
        return self._parse_action(
            await self._call(self._get_action_request(action_id), operation="get", action_id=action_id), action_id
        )

    async def get_schema(self, action_id: str, which: SchemaKind = "input") -> dict[str, Any]:
        """The input or success JSON Schema, from the URI the contract names (else the inline one)."""
        self._check_which(which)
        action = await self.get_action(action_id)
        request = self._schema_request(action, which)
        if request is None:
            return self._inline_schema(action, which)
        return self._parse_schema(await self._call(request, operation="schema", action_id=action_id), action, which)

    async def execute(
        self, action_id: str, inputs: Mapping[str, Any], *, flatten: bool = False, timeout_ms: int = DEFAULT_TIMEOUT_MS
    ) -> ExecutionResult:
        """One attempt; never raises for an HTTP or network failure (the result says what happened)."""
        call = self._start_execution(action_id, inputs, flatten=flatten, timeout_ms=timeout_ms, operation="execute")
        try:
            response = await self._send(call.request)
        except (httpx.HTTPError, AuthenticationError) as exc:
            return self._result_from_exception(call, exc, proxy=self._proxy_of(exc))
        return self._result_from_response(call, response)

    async def test(self, action_id: str, inputs: Mapping[str, Any], *, flatten: bool = False) -> TestExecutionResult:
        """Run the action in test mode: per-step operations. Raises APIError on a non-2xx answer."""
        response = await self._call(
            self._test_request(action_id, inputs, flatten=flatten), operation="test", action_id=action_id
        )
        return self._parse_test(response, action_id)
