"""genesys_nb.api.http1 over TLS, as it talks to a real org: a loopback TLS server with a test CA.

The certificate checks are the ones a real API host gets: a server the CA did not sign, or a
certificate for another name, is a connect failure (nothing was sent); ``verify=False`` skips them.
"""
from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import trustme

from genesys_nb.api.http1 import HTTP1Transport

TIMEOUTS = httpx.Timeout(5.0).as_dict()


class _TLSServer:
    """An asyncio TLS server answering each request with the Host header and SNI name it saw."""

    def __init__(self, context: ssl.SSLContext, *, close_delimited: bool = False) -> None:
        self.context = context
        self.close_delimited = close_delimited
        self.sni_names: list[str | None] = []
        context.sni_callback = self._note_sni
        self.connections = 0
        self.requests = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    def _note_sni(self, ssl_object: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        self.sni_names.append(name)

    async def __aenter__(self) -> _TLSServer:  # noqa: PYI034 - typing.Self needs Python 3.11
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                host = ""
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                    elif name.lower() == b"host":
                        host = value.strip().decode()
                await reader.readexactly(length)
                self.requests += 1
                body = json.dumps({"host": host, "sni": self.sni_names[-1] if self.sni_names else None}).encode()
                if self.close_delimited:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + body)
                    await writer.drain()
                    writer.close()
                    return
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            return
        finally:
            writer.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def _trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def _run(server_context: ssl.SSLContext, body: Callable[[_TLSServer], Awaitable[Any]], **server: Any) -> Any:
    async def main() -> Any:
        async with _TLSServer(server_context, **server) as tls_server:
            return await body(tls_server)

    return asyncio.run(main())


def test_verified_tls_round_trip_reuses_the_connection(ca: trustme.CA) -> None:
    async def body(server: _TLSServer) -> list[dict[str, Any]]:
        transport = HTTP1Transport(verify=_trusting(ca))
        try:
            url = f"https://localhost:{server.port}/api/v2/x"
            answers = []
            for _ in range(2):
                response = await transport.send_direct("POST", url, [("Content-Type", "application/json")],
                                                       b'{"a":1}', TIMEOUTS)
                assert response.status_code == 200
                answers.append(json.loads(response.content))
            async with httpx.AsyncClient(transport=transport) as client:
                answers.append((await client.get(url)).json())
            return answers
        finally:
            await transport.aclose()

    answers = _run(_server_context(ca, "localhost"), body)
    # SNI and Host name the host of the URL; the default port is not 443, so it is in Host
    assert all(answer["sni"] == "localhost" and answer["host"].startswith("localhost:") for answer in answers)


def test_one_tls_connection_serves_sequential_requests(ca: trustme.CA) -> None:
    async def body(server: _TLSServer) -> tuple[int, int]:
        transport = HTTP1Transport(verify=_trusting(ca))
        try:
            for _ in range(3):
                await transport.send_direct("GET", f"https://localhost:{server.port}/", [], None, TIMEOUTS)
            return server.connections, server.requests
        finally:
            await transport.aclose()

    assert _run(_server_context(ca, "localhost"), body) == (1, 3)


def test_close_delimited_body_over_tls_is_read_to_the_end(ca: trustme.CA) -> None:
    async def body(server: _TLSServer) -> dict[str, Any]:
        transport = HTTP1Transport(verify=_trusting(ca))
        try:
            response = await transport.send_direct("GET", f"https://localhost:{server.port}/", [], None, TIMEOUTS)
            return dict(json.loads(response.content))
        finally:
            await transport.aclose()

    assert _run(_server_context(ca, "localhost"), body, close_delimited=True)["sni"] == "localhost"


@pytest.mark.parametrize(("names", "verify"), [
    (("localhost",), True),              # the default trust store does not know the test CA
    (("other.example.test",), "ca"),     # trusted CA, certificate for another name
], ids=["unknown-ca", "wrong-name"])
def test_a_certificate_that_does_not_verify_is_a_connect_error(ca: trustme.CA, names: tuple[str, ...],
                                                                verify: Any) -> None:
    async def body(server: _TLSServer) -> tuple[BaseException, int]:
        transport = HTTP1Transport(verify=_trusting(ca) if verify == "ca" else True)
        try:
            await transport.send_direct("POST", f"https://localhost:{server.port}/", [], b"{}", TIMEOUTS)
        except httpx.HTTPError as exc:
            return exc, server.requests
        finally:
            await transport.aclose()
        raise AssertionError("an unverifiable certificate was accepted")

    exc, requests = _run(_server_context(ca, *names), body)
    assert type(exc) is httpx.ConnectError  # nothing was sent: safe to report as never run
    assert "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc)
    assert requests == 0


def test_verify_false_skips_the_certificate_checks(ca: trustme.CA) -> None:
    async def body(server: _TLSServer) -> int:
        transport = HTTP1Transport(verify=False)
        try:
            response = await transport.send_direct("GET", f"https://localhost:{server.port}/", [], None, TIMEOUTS)
            return response.status_code
        finally:
            await transport.aclose()

    assert _run(_server_context(ca, "other.example.test"), body) == 200
