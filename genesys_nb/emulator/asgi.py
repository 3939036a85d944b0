"""The emulator as an ASGI app, plus a uvicorn protocol that can really drop a connection.

A connection reset is applied after the whole request was read: the socket is closed with
SO_LINGER 0, so the kernel sends a TCP RST and no response bytes. Over loopback httpx then raises
``httpx.ReadError`` ("Connection reset by peer") or ``httpx.RemoteProtocolError`` ("Server
disconnected without sending a response") depending on timing; both are transport errors raised
after the request was sent. An incomplete body sends the headers (with the full Content-Length)
and half the body, then resets: httpx raises ``httpx.RemoteProtocolError`` or ``httpx.ReadError``.
Under another ASGI server (without the abort hook) a reset falls back to raising, which makes
that server close the connection or answer 500.
"""
from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from genesys_nb.emulator.handlers import Emulator
from genesys_nb.emulator.wire import EmulatorRequest

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
ABORT_KEY = "genesys_nb.abort"


class ConnectionDropped(Exception):
    """Raised when the server offers no way to drop the connection silently."""


def create_app(emulator: Emulator) -> ASGIApp:
    """An ASGI 3 app serving ``emulator`` (lifespan messages are acknowledged)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        request = EmulatorRequest.build(scope["method"], scope["path"], scope["query_string"], headers, b"".join(chunks))
        decision = emulator.handle(request)
        try:
            if decision.delay_s > 0:
                await asyncio.sleep(decision.delay_s)
            decision.complete()  # the execution is over: free its in-flight slot before answering
            if decision.reset_connection:
                await _drop(scope, receive)
                return
            raw_headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in decision.headers]
            raw_headers.append((b"content-length", str(len(decision.body)).encode()))
            await send({"type": "http.response.start", "status": decision.status, "headers": raw_headers})
            if decision.incomplete_body:
                await send({"type": "http.response.body", "body": decision.body[: len(decision.body) // 2],
                            "more_body": True})
                await _drop(scope, receive)
                return
            await send({"type": "http.response.body", "body": decision.body})
        finally:
            decision.complete()

    return app


async def _drop(scope: Scope, receive: Receive) -> None:
    abort = scope.get(ABORT_KEY)
    if abort is None:
        raise ConnectionDropped("emulated connection reset")
    abort()
    try:  # wait until the server noticed, so it does not try to answer for us
        await asyncio.wait_for(receive(), timeout=2.0)
    except asyncio.TimeoutError:
        pass


class AbortableH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, giving the app a hook (``scope["genesys_nb.abort"]``) to reset the socket."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope[ABORT_KEY] = self._abort_connection
            await inner(scope, receive, send)

        self.app = app

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:  # headers and body go out in separate writes: never let Nagle hold the body
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    def _abort_connection(self) -> None:
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.transport.abort()
