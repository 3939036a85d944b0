"""HTTP/1.1 behaviour of genesys_nb.api.http1 against real loopback sockets.

A threaded server on 127.0.0.1 plays hand-written response bytes, step by step, for each request it
reads; it counts the connections it accepted and notices those the client closed, so each test can
tell a reused connection from a new one. (The failure mapping is pinned by tests/test_transport.py.)
"""
from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

import httpx
import pytest

from genesys_nb.api.http1 import HTTP1Transport, WireHeaders, WireResponse
from genesys_nb.api.http1_wire import _split_url

T = TypeVar("T")
CLOSE = "close"  # step: close the connection now
HOLD = "hold"  # step: keep the connection open (reading nothing more) until the client closes it
Step = bytes | float | str | Callable[[], object]  # bytes: send; float: sleep; callable: call
Script = Callable[[int, bytes], Sequence[Step]]  # (request index across connections, request) -> steps
TIMEOUTS = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def _fields(request: bytes) -> dict[bytes, bytes]:
    lines = request.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]
    return {name.strip().lower(): value.strip() for name, _, value in (ln.partition(b":") for ln in lines)}


def _read_request(conn: socket.socket) -> bytes:
    """One request (head + Content-Length body); b"" when the client closed the connection."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < int(_fields(data).get(
            b"content-length", b"0")):
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    return data


class _Closed(OSError):
    """The server closed the connection itself (not counted as closed by the client)."""


class _Server:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0
        self.requests: list[tuple[int, bytes]] = []  # (connection number, request bytes)
        self.closed_by_client: set[int] = set()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1  # only this thread writes it
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._handle, args=(conn, self.connections), daemon=True).start()

    def _handle(self, conn: socket.socket, number: int) -> None:
        with conn:
            try:
                while (request := _read_request(conn)) and self._play(conn, number, request):
                    pass
            except _Closed:
                return
            except OSError:  # reset by the client
                pass
            with self._lock:
                self.closed_by_client.add(number)

    def _play(self, conn: socket.socket, number: int, request: bytes) -> bool:
        """Play the script for one request; False once the client closed the connection."""
        with self._lock:
            index = len(self.requests)
            self.requests.append((number, request))
        for step in self.script(index, request):
            if isinstance(step, bytes):
                conn.sendall(step)
            elif isinstance(step, float):
                time.sleep(step)
            elif step == CLOSE:
                raise _Closed
            elif step == HOLD:
                conn.settimeout(0.1)
                while not self.release.is_set():
                    try:
                        if not conn.recv(65536):
                            return False
                    except TimeoutError:
                        pass
                raise _Closed
            elif callable(step):
                step()
        return True

    def wait_closed(self, number: int) -> bool:
        deadline = time.monotonic() + 5.0
        while number not in self.closed_by_client and time.monotonic() < deadline:
            time.sleep(0.01)
        return number in self.closed_by_client

    def close(self) -> None:
        self.release.set()
        self._sock.close()


Serve = Callable[[Script], _Server]


@pytest.fixture()
def serve() -> Iterator[Serve]:
    servers: list[_Server] = []

    def start(script: Script) -> _Server:
        servers.append(_Server(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def always(*steps: Step) -> Script:
    return lambda index, request: steps


def _ok(body: bytes = b"ok", *headers: str, version: str = "HTTP/1.1") -> bytes:
    extra = "".join(f"{header}\r\n" for header in headers)
    return f"{version} 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


async def _send(transport: HTTP1Transport, url: str, method: str = "GET",
                headers: Sequence[tuple[str, str]] = (), body: bytes | None = None,
                **timeouts: float) -> WireResponse:
    return await transport.send_direct(method, url, list(headers), body, {**TIMEOUTS, **timeouts})


def _run(exchange: Callable[[HTTP1Transport], Awaitable[T]], **limits: Any) -> T:
    """Run `exchange` in a fresh event loop with a new transport, closed afterwards."""
    async def go() -> T:
        transport = HTTP1Transport(limits=httpx.Limits(**limits)) if limits else HTTP1Transport()
        try:
            return await exchange(transport)
        finally:
            await transport.aclose()

    return asyncio.run(go())


def _sequence(url: str, *methods: str, pause: float = 0.0, **limits: Any) -> list[WireResponse]:
    """Sequential requests on one transport; `pause` seconds between them."""
    async def exchange(transport: HTTP1Transport) -> list[WireResponse]:
        responses = []
        for n, method in enumerate(methods):
            await asyncio.sleep(pause if n else 0)
            responses.append(await _send(transport, f"{url}/{n}", method))
        return responses

    return _run(exchange, **limits)


def _fails(url: str) -> Exception:
    async def exchange(transport: HTTP1Transport) -> Exception:
        try:
            response = await _send(transport, url)
        except httpx.HTTPError as exc:
            return exc
        raise AssertionError(f"no error; got {response!r} with {response.content[:60]!r}")

    return _run(exchange)


# -- framing ---------------------------------------------------------------------------------------

def test_content_length_body_split_across_writes(serve: Serve) -> None:
    big = bytes(range(256)) * 1200
    server = serve(lambda index, request: [
        b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r", 0.05, b"\nhel", 0.05, b"lo wo", 0.05, b"rld",
    ] if index == 0 else [f"HTTP/1.1 200 OK\r\nContent-Length: {len(big)}\r\n\r\n".encode(), big])
    first, second = _sequence(server.url, "GET", "GET")
    assert (first.status_code, first.content) == (200, b"hello world")
    assert second.content == big and server.connections == 1


def test_chunked_body_with_extensions_and_trailers_then_reuse(serve: Serve) -> None:
    server = serve(always(CHUNKED + b"5;ext=1\r\nhel", 0.05, b"lo\r\n1\r\n \r", 0.05,
                          b"\nA\r\n0123456789\r\n", 0.05, b"0\r\nX-Trailer: t\r\n\r\n"))
    responses = _sequence(server.url, "GET", "GET")
    assert [r.content for r in responses] == [b"hello 0123456789"] * 2
    assert server.connections == 1 and len(server.requests) == 2


def test_close_delimited_body_is_read_to_the_end_and_not_reused(serve: Serve) -> None:
    server = serve(always(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst ", 0.05, b"part", CLOSE))
    responses = _sequence(server.url, "GET", "GET")
    assert [r.content for r in responses] == [b"first part"] * 2
    assert server.connections == 2


@pytest.mark.parametrize(("response", "connections"), [
    (_ok(b"ok", "Connection: close"), 2), (_ok(b"ok", "Connection: Keep-Alive, Close"), 2),
    (_ok(b"ok", version="HTTP/1.0"), 2), (_ok(b"ok"), 1),
    (_ok(b"ok", "Connection: keep-alive", version="HTTP/1.0"), 1),
], ids=["close", "close-token", "http10", "keep-alive", "http10-keep-alive"])
def test_connection_reuse_follows_the_response(serve: Serve, response: bytes, connections: int) -> None:
    server = serve(always(response))  # never closes by itself: only the client can decide
    responses = _sequence(server.url, "GET", "GET")
    assert [r.content for r in responses] == [b"ok"] * 2 and server.connections == connections
    if connections == 2:
        assert server.wait_closed(1), "the connection not to be reused was left open"


def test_interim_responses_are_skipped(serve: Serve) -> None:
    server = serve(always(b"HTTP/1.1 100 Continue\r\n\r\n", 0.05,
                          b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + _ok(b"real", "X-Final: 1")))
    response, again = _sequence(server.url, "POST", "GET")
    assert (response.status_code, response.content) == (200, b"real")
    assert response.headers["x-final"] == "1" and "link" not in response.headers
    assert again.content == b"real" and server.connections == 1


@pytest.mark.parametrize(("method", "head"), [
    ("GET", b"HTTP/1.1 204 No Content\r\n\r\n"),
    ("GET", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
    ("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
    ("HEAD", CHUNKED),
], ids=["204", "304", "head", "head-chunked"])
def test_bodiless_responses_leave_the_connection_usable(serve: Serve, method: str, head: bytes) -> None:
    server = serve(lambda index, request: [head] if index == 0 else [_ok(b"second")])
    first, second = _sequence(server.url, method, "GET")
    assert (first.content, second.content, server.connections) == (b"", b"second", 1)


# -- content decoding ------------------------------------------------------------------------------

TEXT = b"decoded text " * 50
_RAW = zlib.compressobj(wbits=-zlib.MAX_WBITS)


@pytest.mark.parametrize(("coding", "body"), [
    ("gzip", gzip.compress(TEXT)), ("deflate", zlib.compress(TEXT)),
    ("deflate", _RAW.compress(TEXT) + _RAW.flush()),
], ids=["gzip", "deflate-zlib", "deflate-raw"])
def test_content_encoding_is_decoded(serve: Serve, coding: str, body: bytes) -> None:
    server = serve(always(_ok(body, f"Content-Encoding: {coding}")))

    async def exchange(transport: HTTP1Transport) -> tuple[WireResponse, httpx.Response]:
        through_httpx = await httpx.AsyncClient(transport=transport).get(server.url)
        return await _send(transport, server.url), through_httpx

    direct, through_httpx = _run(exchange)
    assert direct.content == TEXT and direct.headers["content-encoding"] == coding
    assert through_httpx.content == TEXT


def test_corrupt_gzip_is_a_decoding_error(serve: Serve) -> None:
    server = serve(always(_ok(b"\x1f\x8b this is not gzip", "Content-Encoding: gzip")))
    assert isinstance(_fails(server.url), httpx.DecodingError)


# -- malformed and truncated responses -------------------------------------------------------------

@pytest.mark.parametrize("response", [
    b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nX-No-Colon\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
    CHUNKED + b"zz\r\nok\r\n0\r\n\r\n",
    CHUNKED + b"-2\r\nok\r\n0\r\n\r\n",
    CHUNKED + b"2\r\nokXX0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (70 * 1024),
    CHUNKED + b"1_0\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n",  # int(text, 16) would accept the "_"
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",  # never undone
], ids=["status-code", "version", "no-colon", "space-before-colon", "length-text", "length-conflict",
        "chunk-size-text", "chunk-size-negative", "chunk-no-crlf", "transfer-coding", "head-over-64k",
        "chunk-size-underscore", "gzip-then-chunked"])
def test_malformed_response_is_a_protocol_error(serve: Serve, response: bytes) -> None:
    server = serve(always(response, HOLD))  # held open: the error can only come from the parser
    exc = _fails(server.url)
    assert isinstance(exc, httpx.RemoteProtocolError) and "malformed response" in str(exc), repr(exc)
    assert server.wait_closed(1)


@pytest.mark.parametrize("response", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
    CHUNKED + b"5\r\nhello\r\n3\r\nab",
    CHUNKED + b"5\r\nhello\r\n",
    CHUNKED + b"5\r\nhello\r\n0\r\n",
], ids=["length", "chunk-data", "no-last-chunk", "no-final-crlf"])
def test_truncated_body_is_a_protocol_error(serve: Serve, response: bytes) -> None:
    server = serve(always(response, 0.05, CLOSE))
    exc = _fails(server.url)
    assert isinstance(exc, httpx.RemoteProtocolError), repr(exc)
    assert "before the response was complete" in str(exc)


# -- request encoding ------------------------------------------------------------------------------

def test_bad_header_values_are_refused_before_anything_is_sent(serve: Serve) -> None:
    server = serve(always(_ok()))

    async def exchange(transport: HTTP1Transport) -> WireResponse:
        for name, value in [("X-Evil", "a\r\nInjected: 1"), ("X-Evil", "a\nInjected: 1"),
                            ("X-Evil\r\nInjected", "1"), ("X-Name", "\u540d")]:
            with pytest.raises(httpx.LocalProtocolError):
                await _send(transport, f"{server.url}/x", "POST", [(name, value)], b"body")
        with pytest.raises(httpx.LocalProtocolError):
            await httpx.AsyncClient(transport=transport).get(server.url, headers={"X-Evil": "a\r\nB: 1"})
        return await _send(transport, f"{server.url}/after")

    assert _run(exchange).content == b"ok"
    assert server.connections == 1
    assert len(server.requests) == 1 and server.requests[0][1].startswith(b"GET /after HTTP/1.1\r\n")


def test_request_head_carries_host_and_content_length(serve: Serve) -> None:
    server = serve(always(_ok()))

    async def exchange(transport: HTTP1Transport) -> None:
        await _send(transport, f"{server.url}/submit?x=1", "POST", [("X-Kind", "json")], b'{"a": 1}')
        await _send(transport, f"{server.url}/get#fragment")
        await _send(transport, f"{server.url}/empty", "POST", body=b"")
        await httpx.AsyncClient(transport=transport).post(f"{server.url}/via-httpx", content=b"abc")

    _run(exchange)
    (_, post), (_, get), (_, empty), (_, via_httpx) = server.requests
    host = f"127.0.0.1:{server.port}".encode()
    assert post.startswith(b"POST /submit?x=1 HTTP/1.1\r\n") and post.endswith(b'\r\n\r\n{"a": 1}')
    assert _fields(post)[b"host"] == host and _fields(post)[b"content-length"] == b"8"
    assert get.startswith(b"GET /get HTTP/1.1\r\n") and _fields(get) == {b"host": host}
    assert _fields(empty)[b"content-length"] == b"0"
    assert _fields(via_httpx)[b"host"] == host and _fields(via_httpx)[b"content-length"] == b"3"
    assert via_httpx.lower().count(b"\r\nhost:") == 1 and via_httpx.lower().count(b"\r\ncontent-length:") == 1


# -- pool ------------------------------------------------------------------------------------------

def test_connection_limit_queues_requests_on_one_connection(serve: Serve) -> None:
    server = serve(always(0.2, _ok(b"slow")))

    async def exchange(transport: HTTP1Transport) -> list[WireResponse]:
        return list(await asyncio.gather(*(_send(transport, server.url) for _ in range(3))))

    assert [r.content for r in _run(exchange, max_connections=1)] == [b"slow"] * 3
    assert server.connections == 1 and len(server.requests) == 3


def test_pool_timeout_when_the_only_connection_stays_busy(serve: Serve) -> None:
    gate = threading.Event()
    server = serve(always(lambda: gate.wait(1.0), _ok(b"late")))

    async def exchange(transport: HTTP1Transport) -> list[WireResponse]:
        first = asyncio.create_task(_send(transport, server.url))
        await asyncio.sleep(0.05)  # the first request owns the only connection
        with pytest.raises(httpx.PoolTimeout):
            await _send(transport, server.url, pool=0.2)
        gate.set()
        return [await first, await _send(transport, server.url, pool=2.0)]  # the pool still works

    assert [r.content for r in _run(exchange, max_connections=1)] == [b"late"] * 2
    assert server.connections == 1 and len(server.requests) == 2


def test_idle_connection_expires(serve: Serve) -> None:
    server = serve(always(_ok()))
    responses = _sequence(server.url, "GET", "GET", keepalive_expiry=0.2)
    assert server.connections == 1
    responses += _sequence(server.url, "GET", "GET", pause=0.4, keepalive_expiry=0.2)
    assert [r.content for r in responses] == [b"ok"] * 4
    assert server.connections == 3  # one for the quick pair, two for the pair 0.4 s apart


def test_connection_closed_by_the_server_while_idle_is_not_reused(serve: Serve) -> None:
    server = serve(always(_ok(), CLOSE))  # keep-alive by its headers, closed right after
    responses = _sequence(server.url, "GET", "GET", "GET", pause=0.2)
    assert [r.content for r in responses] == [b"ok"] * 3
    assert server.connections == 3


def test_transport_survives_successive_event_loops(serve: Serve) -> None:
    server = serve(always(_ok()))
    transport = HTTP1Transport()

    async def once(close: bool) -> WireResponse:
        response = await _send(transport, server.url)
        if close:
            await transport.aclose()
        return response

    assert asyncio.run(once(close=False)).content == b"ok"
    assert asyncio.run(once(close=True)).content == b"ok"  # the pool rebinds to the new loop
    assert server.connections == 2


def test_aclose_from_a_later_event_loop(serve: Serve) -> None:
    server = serve(always(_ok()))
    transport = HTTP1Transport()
    for _ in range(2):  # the first loop's connection is left open when its loop closes
        assert asyncio.run(_send(transport, server.url)).content == b"ok"
    asyncio.run(transport.aclose())  # a script closing its transport in a final asyncio.run
    assert asyncio.run(_send(transport, server.url)).content == b"ok"
    assert server.connections == 3


def test_cancelled_request_closes_its_connection_and_frees_the_pool(serve: Serve) -> None:
    partial_sent = threading.Event()
    server = serve(lambda index, request: [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf", partial_sent.set, HOLD,
    ] if index == 0 else [_ok(b"next")])

    async def exchange(transport: HTTP1Transport) -> WireResponse:
        task = asyncio.create_task(_send(transport, server.url))
        assert await asyncio.to_thread(partial_sent.wait, 5.0)
        await asyncio.sleep(0.1)  # the partial response reaches the client
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await _send(transport, server.url, pool=2.0)  # would time out if the slot leaked

    assert _run(exchange, max_connections=1).content == b"next"
    assert server.connections == 2 and server.wait_closed(1)


# -- helpers ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("http://example.com", ("http", "example.com", 80, "/")),
    ("HTTPS://example.com/a/b", ("https", "example.com", 443, "/a/b")),
    ("http://example.com:8080/p?q=1", ("http", "example.com", 8080, "/p?q=1")),
    ("https://example.com:8443", ("https", "example.com", 8443, "/")),
    ("http://[::1]:8080/x?y=1", ("http", "::1", 8080, "/x?y=1")),
    ("https://[::1]/x", ("https", "::1", 443, "/x")),
    ("http://example.com?q=1", ("http", "example.com", 80, "/?q=1")),
    ("http://example.com/p?q=1#frag", ("http", "example.com", 80, "/p?q=1")),
    ("ftp://example.com/file", "only http:// and https://"),
    ("example.com/path", "only http:// and https://"),
    ("http://user:pw@example.com/", "credentials in the URL are not sent"),
    ("http://example.com:port/", "bad port"),
    ("http:///path", "without a host"),
    ("http://example.com#top", ("http", "example.com", 80, "/")),
    ("http://example.com?next=/a/b", ("http", "example.com", 80, "/?next=/a/b")),
    ("http://example.com:99999/", "bad port"),
])
def test_split_url(url: str, expected: tuple[str, str, int, str] | str) -> None:
    if isinstance(expected, str):  # the words of the refusal
        with pytest.raises(httpx.UnsupportedProtocol, match=expected):
            _split_url(url)
    else:
        assert _split_url(url) == expected


def test_out_of_range_port_is_an_httpx_error() -> None:
    with pytest.raises(httpx.TransportError):
        asyncio.run(_send(HTTP1Transport(), "http://127.0.0.1:99999/"))


def test_wire_headers() -> None:
    raw = [(b"Content-Type", b"text/plain"), (b"Set-Cookie", b"a=1"), (b"set-cookie", b"b=2"), (b"X-E", b"")]
    headers = WireHeaders(raw)
    assert headers["content-type"] == headers["CONTENT-TYPE"] == headers.get("Content-Type") == "text/plain"
    assert "CONTENT-type" in headers and "x-e" in headers and "missing" not in headers and 1 not in headers
    assert headers.get("Missing") is None and headers.get("missing", "d") == "d"
    assert headers["Set-Cookie"] == "a=1, b=2"
    assert headers.raw == raw and len(headers) == 3
    with pytest.raises(KeyError):
        headers["missing"]
