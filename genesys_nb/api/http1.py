"""A lean HTTP/1.1 client over asyncio protocols: the default async transport of genesys_nb.

Why a client of its own: a run keeps up to 50 executions in flight, and whatever the client spends
per request between two responses is added to every row's latency while the responses of a burst
wait their turn on the event loop. aiohttp's client costs about twice the CPU per request of this
one (``bench/bench_async_stacks.py`` measures the stacks; figures in BENCHMARKS.md), and httpx's
own async transport stops scaling beyond about 8 requests in flight (encode/httpx#3215).

What it does, and no more: one request per connection at a time, keep-alive with an idle expiry,
a limit on open connections, TLS through :mod:`ssl` (verified by default), ``Content-Length``,
chunked and close-delimited bodies, ``gzip``/``deflate`` decoding for :meth:`HTTP1Transport.send_direct`
(through httpx, httpx decodes). No proxies, no HTTP/2, no redirects (httpx handles those it should).

Every failure is reported as the httpx exception that says whether the request can have reached
the server, so a retry rule can never send a non-idempotent action twice:

=====================================================  ======================  =============
failure                                                httpx exception          request sent
=====================================================  ======================  =============
connection refused, DNS failure, TLS handshake failed  ``ConnectError``         no
connect phase exceeded the connect deadline            ``ConnectTimeout``       no
no free connection within the pool deadline            ``PoolTimeout``          no
header value with CR/LF, non-latin-1 header            ``LocalProtocolError``   no
connection reset once connected (any time)             ``ReadError``            maybe: treated
connection closed before the response was complete     ``RemoteProtocolError``  as yes
no response byte within the read deadline              ``ReadTimeout``          yes
malformed response                                     ``RemoteProtocolError``  yes
=====================================================  ======================  =============
"""
from __future__ import annotations

import asyncio
import datetime
import functools
import ssl
import time
from collections import deque
from collections.abc import Iterable, Mapping

import httpx

from genesys_nb.api.http1_wire import (
    DEFAULT_PORTS,
    MAX_HEAD_BYTES,
    WireHeaders,
    WireResponse,
    _Connection,
    _decode_content,
    _encode_head,
    _host_header,
    _Raw,
    _split_url,
)

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_HEAD_BYTES",
    "HTTP1Pool",
    "HTTP1Transport",
    "WireHeaders",
    "WireResponse",
    "default_async_transport",
]

# Above the platform's 50 concurrent executions, so the pool never becomes the limit.
# Idle connections are dropped after 4 s: servers commonly close them at 5 s (uvicorn) or later, and
# a request written onto a connection the server is closing can only fail as 'maybe sent'.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=4.0)


class _LoopState:
    """The connections of one event loop (asyncio transports cannot cross loops)."""

    __slots__ = ("idle", "loop", "open", "waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self.open: set[_Connection] = set()
        self.waiters: deque[asyncio.Future[None]] = deque()


class HTTP1Pool:
    """Connections per (scheme, host, port), bounded, reused while they are fresh."""

    def __init__(self, *, verify: ssl.SSLContext | bool = True, limits: httpx.Limits = DEFAULT_LIMITS) -> None:
        self._verify = verify
        self._ssl: ssl.SSLContext | None = verify if isinstance(verify, ssl.SSLContext) else None
        self._max_connections = limits.max_connections or 0  # 0: unlimited
        self._max_idle = limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry if limits.keepalive_expiry is not None else float("inf")
        self._state: _LoopState | None = None
        self._opening = 0

    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._state
        if state is None or state.loop is not loop:
            # A pool reused from a new loop (asyncio.run twice in a script) starts afresh; the
            # old loop's connections died with it.
            state = self._state = _LoopState(loop)
            self._opening = 0
        return state

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            if self._verify:
                self._ssl = _default_ssl_context()
            else:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                self._ssl = context
        return self._ssl

    def forget(self, connection: _Connection) -> None:
        state = self._state
        if state is not None and connection in state.open:
            state.open.discard(connection)
            self._wake(state)

    @staticmethod
    def _wake(state: _LoopState) -> None:
        while state.waiters:
            waiter = state.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _acquire(self, key: tuple[str, str, int], timeouts: Mapping[str, float | None]) -> _Connection:
        state = self._loop_state()
        deadline: float | None = None
        while True:
            idle = state.idle.get(key)
            if idle:
                now = state.loop.time()
                while idle:
                    connection = idle.pop()
                    if connection.usable and now - connection.idle_since < self._expiry:
                        return connection
                    connection.close()
            if not self._max_connections or len(state.open) + self._opening < self._max_connections:
                return await self._connect(state, key, timeouts.get("connect"))
            if self._close_one_idle(state):
                continue
            pool_timeout = timeouts.get("pool")
            if deadline is None and pool_timeout is not None:
                deadline = state.loop.time() + pool_timeout
            waiter: asyncio.Future[None] = state.loop.create_future()
            state.waiters.append(waiter)
            try:
                remaining = None if deadline is None else max(0.0, deadline - state.loop.time())
                await asyncio.wait_for(waiter, remaining)
            except asyncio.TimeoutError:
                raise httpx.PoolTimeout(
                    f"no free connection within {pool_timeout} s ({self._max_connections} open)"
                ) from None

    @staticmethod
    def _close_one_idle(state: _LoopState) -> bool:
        for connections in state.idle.values():
            while connections:
                connection = connections.pop(0)  # the oldest
                if not connection.closed:
                    connection.close()
                    return True
        return False

    async def _connect(self, state: _LoopState, key: tuple[str, str, int], timeout: float | None) -> _Connection:
        scheme, host, port = key
        context = self._ssl_context() if scheme == "https" else None
        self._opening += 1
        try:
            _, connection = await asyncio.wait_for(
                state.loop.create_connection(
                    lambda: _Connection(self.forget, key), host, port, ssl=context,
                    server_hostname=host if context is not None else None,
                ),
                timeout,
            )
        except asyncio.TimeoutError:
            raise httpx.ConnectTimeout(f"could not connect to {host}:{port} within {timeout} s") from None
        except OSError as exc:  # refused, unreachable, DNS (gaierror), TLS (SSLError)
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._opening -= 1
        if not connection.usable:
            # Closed or reset by the server while it was being set up: nothing was written.
            connection.close()
            raise httpx.ConnectError(f"{host}:{port} closed the connection as it was set up")
        state.open.add(connection)
        return connection

    def _release(self, connection: _Connection, keep_alive: bool) -> None:
        state = self._state
        if state is None or connection.closed or not keep_alive or state.loop is not asyncio.get_running_loop():
            connection.close()
            return
        idle = state.idle.setdefault(connection.key, [])
        if self._max_idle is not None and len(idle) >= self._max_idle:
            connection.close()
            return
        connection.idle_since = state.loop.time()
        idle.append(connection)
        self._wake(state)

    async def request(
        self, method: str, scheme: str, host: str, port: int, target: str,
        headers: Iterable[tuple[str, str]], body: bytes | None, timeouts: Mapping[str, float | None],
        host_header: str | None = None,
    ) -> _Raw:
        """One exchange; raises the httpx exception of the module table on failure."""
        data = _encode_head(method, target, host_header or _host_header(scheme, host, port), headers, body)
        key = (scheme, host, port)
        connection = await self._acquire(key, timeouts)
        read_timeout = timeouts.get("read")
        future = connection.start(data, body or b"", method == "HEAD")
        timer = None
        if read_timeout is not None:
            timer = _ReadTimer(connection, future, read_timeout)
        try:
            raw = await future
        except BaseException:  # failure or cancellation: the connection's state is unknown
            connection.close()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        self._release(connection, raw.keep_alive)
        return raw

    async def aclose(self) -> None:
        state, self._state = self._state, None
        if state is None or state.loop.is_closed():
            return  # a closed loop cannot close its transports; their sockets go when collected
        if state.loop is not asyncio.get_running_loop():
            # Closed from another loop (a notebook's sync helper): the owning loop closes its own.
            state.loop.call_soon_threadsafe(self._close_all, state)
            return
        self._close_all(state)

    @staticmethod
    def _close_all(state: _LoopState) -> None:
        for connection in list(state.open):  # idle connections are open ones too
            connection.fail(httpx.ReadError("the transport was closed"))
        state.idle.clear()
        while state.waiters:
            waiter = state.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(httpx.PoolTimeout("the transport was closed"))


class _ReadTimer:
    """Read deadline: fails the exchange when no byte arrived for ``timeout`` seconds."""

    __slots__ = ("connection", "future", "handle", "timeout")

    def __init__(self, connection: _Connection, future: asyncio.Future[_Raw], timeout: float) -> None:
        self.connection = connection
        self.future = future
        self.timeout = timeout
        self.handle = connection.loop.call_later(timeout, self._check)

    def _check(self) -> None:
        if self.future.done():
            return
        loop = self.connection.loop
        quiet = loop.time() - self.connection.last_read
        if quiet < self.timeout:  # bytes arrived meanwhile: wait out the rest of the deadline
            self.handle = loop.call_later(self.timeout - quiet, self._check)
            return
        self.connection.fail(httpx.ReadTimeout(f"no response data within {self.timeout} s"))

    def cancel(self) -> None:
        self.handle.cancel()


class HTTP1Transport(httpx.AsyncBaseTransport):
    """``httpx.AsyncBaseTransport`` over :class:`HTTP1Pool`, plus :meth:`send_direct` for callers
    that build complete requests themselves (the async client's execute)."""

    def __init__(self, *, verify: ssl.SSLContext | bool = True, limits: httpx.Limits = DEFAULT_LIMITS) -> None:
        self.pool = HTTP1Pool(verify=verify, limits=limits)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"only http:// and https:// URLs can be sent (got {scheme!r})")
        host = url.raw_host.decode("ascii")
        port = url.port or DEFAULT_PORTS[scheme]
        host_header = None
        headers = []
        for name, value in request.headers.raw:
            lowered = name.lower()
            if lowered == b"host":
                host_header = value.decode("latin-1")
            elif lowered not in (b"content-length", b"transfer-encoding"):
                headers.append((name.decode("latin-1"), value.decode("latin-1")))
        raw = await self.pool.request(
            request.method, scheme, host, port, url.raw_path.decode("ascii"), headers, body,
            request.extensions.get("timeout", {}), host_header=host_header,
        )
        return httpx.Response(
            status_code=raw.status,
            headers=raw.headers,
            content=raw.body,  # httpx decodes Content-Encoding itself
            request=request,
            extensions={"http_version": raw.version, "reason_phrase": raw.reason},
        )

    async def send_direct(
        self, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes | None,
        timeouts: Mapping[str, float | None],
    ) -> WireResponse:
        """One exchange without an ``httpx.Request``; ``Host`` and ``Content-Length`` are added here.

        Same pool, timeouts and failure mapping as :meth:`handle_async_request`; the content is
        decoded (gzip/deflate) and ``elapsed`` covers this exchange only.
        """
        started = time.perf_counter()
        scheme, host, port, target = _split_url(url)
        raw = await self.pool.request(method, scheme, host, port, target, headers, body, timeouts)
        response_headers = WireHeaders(raw.headers)
        return WireResponse(
            raw.status, raw.reason.decode("latin-1"), response_headers, _decode_content(response_headers, raw.body),
            datetime.timedelta(seconds=time.perf_counter() - started), raw.version.decode("ascii"),
        )

    async def aclose(self) -> None:
        await self.pool.aclose()


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """The verifying SSL context (httpx's: certifi bundle), built once per process: loading the CA
    bundle takes tens of milliseconds, which a runner creating a transport per run would pay."""
    return httpx.create_ssl_context(verify=True)


def default_async_transport() -> httpx.AsyncBaseTransport:
    """The async transport genesys_nb uses when a session or caller gives none (chosen by measurement)."""
    return HTTP1Transport()
