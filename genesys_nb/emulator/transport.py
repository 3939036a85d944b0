"""In-process httpx transports over the emulator's handlers (sync and async), no sockets.

They apply a decision's directives the way a client would see them over a network:
a delay longer than the request's read timeout raises ``httpx.ReadTimeout`` after that timeout;
a connection reset raises ``httpx.ReadError``; an incomplete body raises
``httpx.RemoteProtocolError``. (Over loopback, see ``asgi.py`` for what a client sees there.)
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx

from genesys_nb.emulator.handlers import Emulator
from genesys_nb.emulator.wire import Decision, EmulatorRequest


def _to_emulator_request(request: httpx.Request, body: bytes) -> EmulatorRequest:
    return EmulatorRequest.build(
        request.method, request.url.path, request.url.query, dict(request.headers), body
    )


def _read_timeout_s(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


def _finish(decision: Decision, request: httpx.Request) -> httpx.Response:
    if decision.reset_connection:
        raise httpx.ReadError("Connection reset by peer (emulated)", request=request)
    if decision.incomplete_body:
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body (emulated)", request=request
        )
    return httpx.Response(decision.status, headers=decision.headers, content=decision.body, request=request)


class EmulatorTransport(httpx.BaseTransport):
    """``httpx.Client(transport=EmulatorTransport(emulator), base_url="http://emulator")``."""

    def __init__(self, emulator: Emulator, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.emulator = emulator
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        decision = self.emulator.handle(_to_emulator_request(request, request.read()))
        try:
            deadline = _read_timeout_s(request)
            if deadline is not None and decision.delay_s > deadline:
                self._sleep(deadline)
                raise httpx.ReadTimeout("timed out waiting for the emulated response", request=request)
            if decision.delay_s > 0:
                self._sleep(decision.delay_s)
            decision.complete()
            return _finish(decision, request)
        finally:
            decision.complete()


class AsyncEmulatorTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=AsyncEmulatorTransport(emulator), base_url="http://emulator")``."""

    def __init__(self, emulator: Emulator, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.emulator = emulator
        self._sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        decision = self.emulator.handle(_to_emulator_request(request, body))
        try:
            deadline = _read_timeout_s(request)
            if deadline is not None and decision.delay_s > deadline:
                await self._sleep(deadline)
                raise httpx.ReadTimeout("timed out waiting for the emulated response", request=request)
            if decision.delay_s > 0:
                await self._sleep(decision.delay_s)
            decision.complete()
            return _finish(decision, request)
        finally:
            decision.complete()
