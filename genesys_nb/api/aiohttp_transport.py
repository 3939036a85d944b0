"""An alternative async transport: httpx's API over aiohttp's connection pool, with honest failure mapping.

The default async transport is httpx's own behind :mod:`genesys_nb.api.network`; this one is for a
caller who prefers aiohttp's client. Pass it explicitly:
``AsyncDataActionsClient(settings, transport=AiohttpTransport(settings))``. It needs the ``aiohttp``
extra (``pip install genesys_nb[aiohttp]``). It follows the same proxy and TLS rules as the default
transport (``network_policy(settings)``: proxy settings, NO_PROXY, loopback direct, CA bundle or
system trust store), except that aiohttp speaks no SOCKS: a SOCKS proxy raises ConfigError here.

Why not ``httpx_aiohttp.AiohttpTransport`` as is: it maps every ``aiohttp.ClientConnectionError``
to ``httpx.ConnectTimeout``, including a server that drops the connection *after* a POST was
written. A retry rule for "failed to connect" would then run a non-idempotent action twice.
This transport maps each failure point to the httpx exception that says what happened:

=====================================================  ======================  =============
failure                                                httpx exception          request sent
=====================================================  ======================  =============
connection refused, DNS failure, TLS handshake failed  ``ConnectError``         no
(the proxy's or the server's)
the proxy refused the tunnel (407, 403, 502 ...)       ``ProxyError``           no
reset while the connection was being set up            ``ConnectError``         no
connect phase exceeded the connect/pool deadline       ``ConnectTimeout``       no
connection reset/closed once connected (any time)      ``ReadError`` /          maybe: treated
                                                       ``RemoteProtocolError``  as yes
no response byte within the read deadline              ``ReadTimeout``          yes
malformed response                                     ``RemoteProtocolError``  yes
=====================================================  ======================  =============

A reset that arrives after the connection was established is never reported as a connect
failure: once the request bytes may have left the process, only the server knows whether it
ran the action, so the caller must treat it as sent.
"""
from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

try:
    import aiohttp
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "genesys_nb.api.aiohttp_transport needs aiohttp; install it with: pip install 'genesys_nb[aiohttp]' "
        "(or use the default transport, httpx's own, which needs nothing more)"
    ) from exc
import yarl

from genesys_nb.api.errors import ConfigError
from genesys_nb.api.network import DEFAULT_LIMITS, NetworkPolicy, network_policy

__all__ = ["AiohttpTransport", "map_aiohttp_error"]

# httpx always sets these itself; aiohttp must not add its own (it would add a Content-Type).
_SKIP_AUTO_HEADERS = ("User-Agent", "Accept-Encoding", "Accept", "Content-Type")


def map_aiohttp_error(exc: BaseException) -> type[httpx.TransportError]:
    """Return the httpx exception class that honestly describes an aiohttp (or socket) failure.

    Connect-phase failures (the request was provably not written) map to ``ConnectError`` /
    ``ConnectTimeout``; everything after the connection was made maps to a read/protocol error.
    """
    if isinstance(exc, aiohttp.ClientHttpProxyError):  # the proxy answered CONNECT with an error
        return httpx.ProxyError
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS: before any byte was sent
        return httpx.ConnectError
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # connect (or pool wait) deadline
        return httpx.ConnectTimeout
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):  # read deadline
        return httpx.ReadTimeout
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError
    if isinstance(exc, (aiohttp.ClientResponseError, aiohttp.ClientPayloadError)):
        return httpx.RemoteProtocolError if isinstance(exc, aiohttp.ClientResponseError) else httpx.ReadError
    if isinstance(exc, (aiohttp.InvalidURL,)):
        return httpx.UnsupportedProtocol
    # ClientOSError / ClientConnectionResetError / any other connection error after connecting.
    return httpx.ReadError


@contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        error_type = map_aiohttp_error(exc)
        raise error_type(f"{type(exc).__name__}: {exc}", request=request) from exc


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` backed by one ``aiohttp.ClientSession`` per event loop.

    httpx keeps doing what it does well (auth flows, timeouts as extensions, decoding, cookies,
    the MockTransport seam); aiohttp only moves bytes. Automatic decompression, cookies and
    redirects are left to httpx so behaviour matches the default transport.
    """

    def __init__(
        self,
        settings: Any = None,
        *,
        verify: ssl.SSLContext | bool | str | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
        network: NetworkPolicy | None = None,
    ) -> None:
        if network is None:
            network = network_policy(settings, verify=None if isinstance(verify, ssl.SSLContext) else verify)
        self.network = network
        self._ssl: ssl.SSLContext = verify if isinstance(verify, ssl.SSLContext) else network.ssl_context
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # A session is bound to the loop that created it; a client reused from a new loop
            # (asyncio.run twice in a script) gets a fresh pool instead of a "different loop" error.
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry,
                ssl=self._ssl,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                timeout=aiohttp.ClientTimeout(total=None),
                skip_auto_headers=_SKIP_AUTO_HEADERS,  # once per session, not rebuilt per request
            )
            self._loop = loop
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = await request.aread()
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
        session = self._get_session()
        proxy = self.network.proxy_url(request.url)
        if proxy is not None and proxy.startswith("socks"):
            raise ConfigError(
                f"the aiohttp transport cannot use the SOCKS proxy {self.network.proxy_for(request.url)}: "
                "use the default transport (httpx with socksio) for SOCKS proxies."
            )
        client_timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("pool"),
            sock_connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        with _mapped(request):
            response = await session.request(
                request.method,
                yarl.URL(str(request.url), encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                compress=None,
                **self._proxy_options(proxy),
                timeout=client_timeout,
            )
            try:
                # API answers are small JSON documents: reading the body here, in one go, saves a
                # round of async iteration per request (httpx still decodes Content-Encoding).
                content = await response.read()
            finally:
                response.release()
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("ascii", "replace")
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            content=content,
            request=request,
            extensions=extensions,
        )

    @staticmethod
    def _proxy_options(proxy: str | None) -> dict[str, Any]:
        if proxy is None:
            return {}
        url = yarl.URL(proxy)
        if url.user is None:
            return {"proxy": url}
        return {"proxy": url.with_user(None), "proxy_auth": aiohttp.BasicAuth(url.user, url.password or "")}

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            try:
                await session.close()
            except RuntimeError:  # the loop that owned it is gone; nothing left to release
                pass

