"""Which httpx exception each network failure point maps to, for the async transports genesys_nb ships
(httpx's own behind genesys_nb.api.network, the default; the aiohttp alternative), plus what the
default transport must keep doing: survive successive event loops, queue on its pool limit, verify TLS.

A retry rule may re-send a non-idempotent execute only when the request provably never reached
the server; these tests pin that the transport reports a connect failure only in that case.
Each failure point is a real socket on 127.0.0.1 behaving badly at a chosen moment.
"""
from __future__ import annotations

import asyncio
import socket
import struct
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from genesys_nb.api.aiohttp_transport import AiohttpTransport, map_aiohttp_error
from genesys_nb.api.network import DEFAULT_LIMITS, PLATFORM_IN_FLIGHT, default_async_transport, network_policy

CONNECT_FAILURES = (httpx.ConnectError, httpx.ConnectTimeout)


def _read_request(conn: socket.socket) -> bytes:
    """Read one full HTTP request (head + Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return data


def _reset(conn: socket.socket) -> None:
    """Close with an RST instead of a FIN (SO_LINGER on, timeout 0)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class _BadServer:
    """Accepts connections on 127.0.0.1 and hands each to `behaviour` in a thread."""

    def __init__(self, behaviour: Callable[[socket.socket, _BadServer], None]) -> None:
        self.behaviour = behaviour
        self.requests_seen = 0
        self.release = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self.behaviour, args=(conn, self), daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self._sock.close()


def _reset_on_accept(conn: socket.socket, server: _BadServer) -> None:
    _reset(conn)


def _reset_after_request(conn: socket.socket, server: _BadServer) -> None:
    if _read_request(conn):
        server.requests_seen += 1
    _reset(conn)


def _close_after_request(conn: socket.socket, server: _BadServer) -> None:
    if _read_request(conn):
        server.requests_seen += 1
    conn.close()


def _slow_response(conn: socket.socket, server: _BadServer) -> None:
    if _read_request(conn):
        server.requests_seen += 1
    server.release.wait(10)
    conn.close()


def _garbage_response(conn: socket.socket, server: _BadServer) -> None:
    _read_request(conn)
    conn.sendall(b"this is not HTTP\r\n\r\n")
    conn.close()


@pytest.fixture(params=["genesys_nb", "aiohttp", "httpx_plain"])
def transport_factory(request: pytest.FixtureRequest) -> Callable[[], httpx.AsyncBaseTransport]:
    """The default transport (httpx's own behind the routing of genesys_nb.api.network), the aiohttp
    alternative, and a plain httpx transport for comparison: all must classify alike."""
    if request.param == "genesys_nb":
        return default_async_transport
    if request.param == "aiohttp":
        return AiohttpTransport
    return httpx.AsyncHTTPTransport


@pytest.fixture()
def bad_server() -> Iterator[Callable[[Callable[[socket.socket, _BadServer], None]], _BadServer]]:
    servers: list[_BadServer] = []

    def start(behaviour: Callable[[socket.socket, _BadServer], None]) -> _BadServer:
        server = _BadServer(behaviour)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def _post(url: str, transport: httpx.AsyncBaseTransport, timeout_s: float = 5.0) -> BaseException:
    async def go() -> BaseException:
        async with httpx.AsyncClient(transport=transport, timeout=timeout_s) as client:
            try:
                await client.post(f"{url}/api/v2/integrations/actions/x/execute", json={"a": 1})
            except httpx.HTTPError as exc:
                return exc
        raise AssertionError("the request unexpectedly succeeded")

    return asyncio.run(go())


def test_the_default_pool_is_sized_to_the_platform_limit() -> None:
    assert DEFAULT_LIMITS.max_keepalive_connections == PLATFORM_IN_FLIGHT
    assert DEFAULT_LIMITS.max_connections is not None and DEFAULT_LIMITS.max_connections > PLATFORM_IN_FLIGHT


def test_refused_connection_is_a_connect_error(transport_factory: Callable[[], httpx.AsyncBaseTransport]) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on this port now
    exc = _post(f"http://127.0.0.1:{port}", transport_factory())
    assert isinstance(exc, httpx.ConnectError)


@pytest.mark.parametrize("attempt", range(5))
def test_reset_before_the_request_was_written(transport_factory: Callable[[], httpx.AsyncBaseTransport],
                                              bad_server: Callable[..., _BadServer], attempt: int) -> None:
    # The server resets as soon as it accepts. Depending on the race, the client either saw the reset
    # while still setting the connection up (ConnectError: nothing was written, safe to re-send) or
    # had already handed the request to the socket (ReadError: it must count as sent). Never a
    # timeout, and never a ConnectTimeout (the class httpx_aiohttp gives every connection error).
    server = bad_server(_reset_on_accept)
    exc = _post(server.url, transport_factory())
    assert type(exc) in (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError)


def test_reset_after_the_request_was_written_is_not_a_connect_failure(
    transport_factory: Callable[[], httpx.AsyncBaseTransport], bad_server: Callable[..., _BadServer]
) -> None:
    server = bad_server(_reset_after_request)
    exc = _post(server.url, transport_factory())
    assert server.requests_seen == 1
    assert isinstance(exc, (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError))
    assert not isinstance(exc, CONNECT_FAILURES)


def test_close_after_the_request_was_written_is_a_protocol_error(
    transport_factory: Callable[[], httpx.AsyncBaseTransport], bad_server: Callable[..., _BadServer]
) -> None:
    server = bad_server(_close_after_request)
    exc = _post(server.url, transport_factory())
    assert server.requests_seen == 1
    assert isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError))
    assert not isinstance(exc, CONNECT_FAILURES)


def test_slow_response_is_a_read_timeout(transport_factory: Callable[[], httpx.AsyncBaseTransport],
                                         bad_server: Callable[..., _BadServer]) -> None:
    server = bad_server(_slow_response)
    exc = _post(server.url, transport_factory(), timeout_s=0.3)
    assert server.requests_seen == 1
    assert isinstance(exc, httpx.ReadTimeout)


def test_malformed_response_is_a_protocol_error(transport_factory: Callable[[], httpx.AsyncBaseTransport],
                                                bad_server: Callable[..., _BadServer]) -> None:
    server = bad_server(_garbage_response)
    exc = _post(server.url, transport_factory())
    assert isinstance(exc, httpx.RemoteProtocolError)


@pytest.mark.parametrize(
    ("aiohttp_error", "expected"),
    [
        ("connector", httpx.ConnectError),
        ("connection_timeout", httpx.ConnectTimeout),
        ("socket_timeout", httpx.ReadTimeout),
        ("server_disconnected", httpx.RemoteProtocolError),
        ("os_error", httpx.ReadError),
        ("connection_reset", httpx.ReadError),
        ("payload", httpx.ReadError),
        ("proxy_refused", httpx.ProxyError),
    ],
)
def test_error_mapping_table(aiohttp_error: str, expected: type[Exception]) -> None:
    import aiohttp
    from aiohttp.client_reqrep import ConnectionKey

    key = ConnectionKey("127.0.0.1", 1, False, None, None, None, None)
    errors: dict[str, BaseException] = {
        "connector": aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused")),
        "connection_timeout": aiohttp.ConnectionTimeoutError("connect"),
        "socket_timeout": aiohttp.SocketTimeoutError("read"),
        "server_disconnected": aiohttp.ServerDisconnectedError(),
        "os_error": aiohttp.ClientOSError(104, "reset"),
        "connection_reset": aiohttp.ClientConnectionResetError("reset"),
        "payload": aiohttp.ClientPayloadError("truncated"),
        "proxy_refused": aiohttp.ClientHttpProxyError(None, (), status=407, message="Proxy Authentication Required"),
    }
    assert map_aiohttp_error(errors[aiohttp_error]) is expected


@pytest.mark.parametrize("make_transport", [default_async_transport, AiohttpTransport], ids=["httpx", "aiohttp"])
def test_successful_round_trip_keeps_headers_and_body(bad_server: Callable[..., _BadServer],
                                                      make_transport: Callable[[], httpx.AsyncBaseTransport]) -> None:
    def ok(conn: socket.socket, server: _BadServer) -> None:
        request = _read_request(conn)
        server.requests_seen += 1
        assert b"content-type: application/json" in request.lower()
        body = b'{"ok":true}'
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ninin-ratelimit-count: 7\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        conn.close()

    server = bad_server(ok)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=make_transport()) as client:
            return await client.post(f"{server.url}/x", json={"a": 1})

    response = asyncio.run(go())
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response.headers["inin-ratelimit-count"] == "7"
    assert server.requests_seen == 1


# ---- through the client: what each failure point means for retries ---------------------------------
def _token_then(behaviour: Callable[[socket.socket, _BadServer], None]) -> Callable[[socket.socket, _BadServer], None]:
    """Answer OAuth token requests properly on the connection, then misbehave on the API request."""

    def serve(conn: socket.socket, server: _BadServer) -> None:
        while True:
            conn.settimeout(5)
            try:
                peek = conn.recv(64, socket.MSG_PEEK)
            except OSError:
                return
            if not peek:
                return
            if not peek.startswith(b"POST /oauth/"):
                behaviour(conn, server)
                return
            _read_request(conn)
            body = b'{"access_token":"t0k3n-for-tests","token_type":"bearer","expires_in":86400}'
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)

    return serve


@pytest.mark.parametrize("stack", ["httpx", "aiohttp"])
@pytest.mark.parametrize(
    ("behaviour", "error_class", "request_sent"),
    [
        (None, "network", False),                      # refused: provably never sent, safe to retry
        (_reset_after_request, "network", True),       # reset after it was written: maybe ran
        (_close_after_request, "network", True),
        (_slow_response, "timeout", True),
    ],
)
def test_client_results_say_whether_the_request_may_have_run(
    bad_server: Callable[..., _BadServer], behaviour: Callable[[socket.socket, _BadServer], None] | None,
    error_class: str, request_sent: bool, stack: str,
) -> None:
    from genesys_nb.api.client import AsyncDataActionsClient
    from genesys_nb.api.retry import RetryPolicy, should_retry
    from genesys_nb.api.settings import Settings

    login = bad_server(_token_then(_close_after_request))
    if behaviour is None:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        api_url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        probe.close()
    else:
        api_url = bad_server(_token_then(behaviour)).url
    settings = Settings("id", "secret", api_base_url=api_url, login_base_url=login.url)

    async def go() -> Any:
        transport = AiohttpTransport() if stack == "aiohttp" else None
        async with AsyncDataActionsClient(settings, transport=transport) as client:
            return await client.execute("custom_-_x", {"a": 1}, timeout_ms=300)

    result = asyncio.run(go())
    assert (result.error_class, result.request_sent) == (error_class, request_sent)
    # A non-idempotent action is re-sent only when the request provably never left.
    assert should_retry(result.error_class, status_code=result.status_code, idempotent=False,
                        request_sent=result.request_sent, retry_number=1, policy=RetryPolicy()) is (not request_sent)


@pytest.mark.parametrize("stack", ["httpx", "aiohttp"])
@pytest.mark.parametrize("refusals", [1, 5])
def test_a_401_costs_one_refresh_and_one_resend_never_a_loop(stack: str, refusals: int) -> None:
    from genesys_nb.api.client import AsyncDataActionsClient
    from genesys_nb.api.settings import Settings

    seen: list[str] = []

    async def go() -> Any:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                if head.startswith(b"POST /oauth/token"):
                    seen.append("token")
                    body = b'{"access_token":"tok-%d","expires_in":86400}' % len(seen)
                    status = b"200 OK"
                else:
                    seen.append(head.split(b"Authorization: Bearer ", 1)[1].split(b"\r\n", 1)[0].decode())
                    refused = sum(1 for item in seen if item != "token") <= refusals
                    status, body = (b"401 Unauthorized", b"{}") if refused else (b"200 OK", b'{"ok":true}')
                writer.write(b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\ncontent-length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        transport = AiohttpTransport() if stack == "aiohttp" else None
        try:
            async with AsyncDataActionsClient(Settings("id", "secret", api_base_url=url, login_base_url=url),
                                              transport=transport) as client:
                return await client.execute("custom_-_x", {"a": 1}), client.auth.token_requests
        finally:
            server.close()

    result, token_requests = asyncio.run(go())
    # login, send (401), one refresh, one re-send with the new token: whatever it answers is the result
    assert seen == ["token", "tok-1", "token", "tok-3"] and token_requests == 2
    assert result.status_code == (401 if refusals > 1 else 200)


# ---- what the default transport keeps doing (ported from the hand-written transport's tests) --------
def _ok_keepalive(delay_s: float = 0.0) -> Callable[[socket.socket, _BadServer], None]:
    """Answer every request on the connection with 200 'ok' after `delay_s`, keeping it alive."""

    def serve(conn: socket.socket, server: _BadServer) -> None:
        server.connections = getattr(server, "connections", 0) + 1
        while _read_request(conn):
            server.requests_seen += 1
            if delay_s:
                server.release.wait(delay_s)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            except OSError:
                return
        conn.close()

    return serve


def test_one_client_survives_successive_event_loops(bad_server: Callable[..., _BadServer]) -> None:
    # A notebook calls asyncio.run once per cell with the same session: each loop gets its own pool.
    server = bad_server(_ok_keepalive())
    client = httpx.AsyncClient(transport=default_async_transport())

    async def once() -> bytes:
        return (await client.get(f"{server.url}/x")).content

    assert [asyncio.run(once()) for _ in range(3)] == [b"ok"] * 3
    asyncio.run(client.aclose())
    assert server.requests_seen == 3


def test_the_pool_limit_queues_requests_and_times_out_honestly(bad_server: Callable[..., _BadServer]) -> None:
    server = bad_server(_ok_keepalive(delay_s=0.3))
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def go() -> tuple[list[bytes], BaseException]:
        async with httpx.AsyncClient(transport=network_policy().async_transport(limits=limits)) as client:
            queued = await asyncio.gather(*(client.get(f"{server.url}/x") for _ in range(3)))
            first = asyncio.create_task(client.get(f"{server.url}/x"))
            await asyncio.sleep(0.05)  # the first request owns the only connection
            try:
                await client.get(f"{server.url}/x", timeout=httpx.Timeout(5.0, pool=0.1))
            except httpx.PoolTimeout as exc:
                refused: BaseException = exc
            await first
            return [r.content for r in queued], refused

    contents, refused = asyncio.run(go())
    assert contents == [b"ok"] * 3 and isinstance(refused, httpx.PoolTimeout)
    assert server.connections == 1  # the queued requests took turns on one kept-alive connection


def test_a_cancelled_request_frees_its_pool_slot(bad_server: Callable[..., _BadServer]) -> None:
    server = bad_server(_ok_keepalive(delay_s=0.5))
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def go() -> bytes:
        async with httpx.AsyncClient(transport=network_policy().async_transport(limits=limits)) as client:
            task = asyncio.create_task(client.get(f"{server.url}/x"))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return (await client.get(f"{server.url}/x", timeout=httpx.Timeout(5.0, pool=2.0))).content

    assert asyncio.run(go()) == b"ok"


class _TLSServer(_BadServer):
    """_BadServer over TLS with a certificate from a test CA."""

    def __init__(self, behaviour: Callable[[socket.socket, _BadServer], None], context: Any) -> None:
        self._context = context
        super().__init__(behaviour)
        self.url = self.url.replace("http://", "https://")

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return

            def run(raw: socket.socket = conn) -> None:
                try:
                    tls = self._context.wrap_socket(raw, server_side=True)
                except OSError:  # the client refused the certificate
                    raw.close()
                    return
                self.behaviour(tls, self)

            threading.Thread(target=run, daemon=True).start()


@pytest.fixture(scope="module")
def ca() -> Any:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


def _tls_get(url: str, **policy: Any) -> BaseException | bytes:
    with httpx.Client(transport=network_policy(**policy).transport(), timeout=5.0) as client:
        try:
            return client.get(f"{url}/x").content
        except httpx.HTTPError as exc:
            return exc


def test_tls_verifies_against_a_ca_bundle_and_refuses_what_it_did_not_sign(
        ca: Any, tmp_path: Any, bad_server: Callable[..., _BadServer]) -> None:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server = _TLSServer(_ok_keepalive(), context)
    bundle = tmp_path / "company-root.pem"
    ca.cert_pem.write_to_path(str(bundle))
    try:
        assert _tls_get(server.url, verify=str(bundle)) == b"ok"
        assert _tls_get(server.url, environ={"REQUESTS_CA_BUNDLE": str(bundle)}) == b"ok"
        assert _tls_get(server.url, environ={"SSL_CERT_FILE": str(bundle)}) == b"ok"
        refused = _tls_get(server.url, environ={})  # the system trust store knows nothing of the test CA
        assert isinstance(refused, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(refused)
        other = _TLSServer(_ok_keepalive(), _server_context(ca, "api.example.test"))
        try:
            wrong_name = _tls_get(other.url, verify=str(bundle))
            assert isinstance(wrong_name, httpx.ConnectError)
        finally:
            other.close()
    finally:
        server.close()


def _server_context(ca: Any, name: str) -> Any:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(name).configure_cert(context)
    return context


def test_verify_false_is_explicit_and_warns_once(ca: Any) -> None:
    from genesys_nb.api import _tls
    from genesys_nb.api.network import InsecureTLSWarning

    server = _TLSServer(_ok_keepalive(), _server_context(ca, "127.0.0.1"))
    _tls._WARNED_INSECURE.clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            answers = [_tls_get(server.url, verify=False) for _ in range(2)]
        assert answers == [b"ok", b"ok"]
        assert len([w for w in caught if issubclass(w.category, InsecureTLSWarning)]) == 1
    finally:
        server.close()
