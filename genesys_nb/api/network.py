"""Where each request goes and whom it trusts, decided in one place: proxies, NO_PROXY, the loopback
rule and TLS verification.

Every HTTP client genesys_nb builds for the network comes from here, so API calls, token requests,
the runner and webhook deliveries follow the same rules:

- Proxy: ``proxy=`` (``Settings(proxy=...)``) wins, then ``GENESYS_PROXY``, then the usual
  ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` (lower case first, as curl reads them) by
  the URL's scheme. ``proxy="direct"`` turns proxies off whatever the environment says.
  ``http://``, ``https://``, ``socks5://`` and ``socks5h://`` proxies work (SOCKS through httpx's
  socks extra, ``socksio``).
- ``NO_PROXY`` / ``no_proxy``: host names (``example.com`` also covers its subdomains, ``.example.com``
  only them), IP addresses, CIDR ranges (``10.0.0.0/8``), optional ``:port``, and ``*`` for all.
- Loopback (``localhost``, ``*.localhost``, ``127.0.0.0/8``, ``::1``), where the embedded emulator
  listens, is never sent through a proxy.
- TLS: ``verify=`` (``Settings(verify=...)``) takes a CA bundle file or directory, True or False;
  else ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` / ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``; else the
  operating system's trust store (through ``truststore``), where companies install the root CA of
  their TLS-inspecting proxy. ``verify=False`` is explicit and warns once per process.

Build a proxy- and CA-aware client with :func:`build_client` / :func:`build_async_client`, or take
the routing transport of a :class:`NetworkPolicy` (``policy.transport()``) into a client of your own.
"""
from __future__ import annotations

import asyncio
import ipaddress
import os
import ssl
import threading
import weakref
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from genesys_nb.api._tls import InsecureTLSWarning, _context_key, ssl_context
from genesys_nb.api.errors import ConfigError

__all__ = [
    "DEFAULT_LIMITS",
    "DIRECT",
    "PLATFORM_IN_FLIGHT",
    "InsecureTLSWarning",
    "NetworkPolicy",
    "build_async_client",
    "build_client",
    "check_proxy_url",
    "default_async_transport",
    "default_transport",
    "network_policy",
    "redact_proxy",
    "ssl_context",
]

# The platform runs at most 50 executions of one org at a time: the pool holds that many kept-alive
# connections, with room above for the token request and listing calls beside a full run.
PLATFORM_IN_FLIGHT = 50
DEFAULT_LIMITS = httpx.Limits(max_connections=PLATFORM_IN_FLIGHT + 14, max_keepalive_connections=PLATFORM_IN_FLIGHT)

DIRECT = "direct"  # proxy=DIRECT: no proxy, whatever the environment says
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")


def redact_proxy(url: str | None) -> str | None:
    """The proxy URL without its password (``http://user:***@host:port``), fit for messages.

    >>> redact_proxy("http://alice:s3cret@proxy.corp:3128")
    'http://alice:***@proxy.corp:3128'
    """
    if url is None:
        return None
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url
    user = userinfo.partition(":")[0]
    return parts._replace(netloc=f"{user}:***@{hostport}").geturl()


def check_proxy_url(url: str, name: str = "proxy") -> str:
    """``url`` if it is a usable proxy URL (or ``"direct"``); else raise ConfigError naming ``name``."""
    text = url.strip()
    if text.lower() == DIRECT:
        return DIRECT
    if "://" not in text:
        text = f"http://{text}"  # curl and requests read "proxy.corp:3128" as an HTTP proxy
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"{name} has a bad port: {redact_proxy(text)!r}.") from None
    if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
        raise ConfigError(
            f"{name} must look like http://host:port (or https://, socks5://, socks5h://; 'direct' for none); "
            f"got {redact_proxy(text)!r}."
        )
    return text


def _env(environ: Mapping[str, str], name: str) -> str | None:
    for key in (name.lower(), name.upper()):
        value = environ.get(key)
        if value is not None and value.strip():
            return value.strip()
    return None


class _NoProxy:
    """The NO_PROXY rules, plus loopback (always direct)."""

    def __init__(self, text: str | None) -> None:
        self.everything = False
        self.names: list[tuple[str, bool, int | None]] = []  # (suffix, subdomains only, port)
        self.networks: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int | None]] = []
        for raw in (text or "").split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            if entry == "*":
                self.everything = True
                continue
            entry, port = self._split_port(entry)
            try:
                self.networks.append((ipaddress.ip_network(entry.strip("[]"), strict=False), port))
                continue
            except ValueError:
                pass
            only_subdomains = entry.startswith(".")
            self.names.append((entry.lstrip("*").lstrip("."), only_subdomains, port))

    @staticmethod
    def _split_port(entry: str) -> tuple[str, int | None]:
        host, sep, port = entry.rpartition(":")
        if sep and port.isdigit() and (host.startswith("[") or ":" not in host):
            return host, int(port)
        return entry, None

    @staticmethod
    def is_loopback(host: str) -> bool:
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
        return address.is_loopback or (address.version == 4 and address in _LOOPBACK_V4)

    def bypasses(self, host: str, port: int | None) -> bool:
        host = host.lower().rstrip(".")
        if self.is_loopback(host) or self.everything:
            return True
        try:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            address = None
        if address is not None:
            return any(address in net and p in (None, port) for net, p in self.networks)
        for suffix, only_subdomains, p in self.names:
            if p not in (None, port):
                continue
            if host.endswith("." + suffix) or (host == suffix and not only_subdomains):
                return True
        return False


class NetworkPolicy:
    """The proxies, the bypass rules and the TLS context for one set of choices.

    ``transport()`` / ``async_transport()`` give an httpx transport that sends each request direct or
    through the proxy its URL calls for; ``proxy_for(url)`` says which (password masked).
    """

    def __init__(self, *, proxies: Mapping[str, str | None], no_proxy: str | None,
                 context: ssl.SSLContext, trust: str) -> None:
        self._proxies = {scheme: url for scheme, url in proxies.items() if url}
        self._no_proxy = _NoProxy(no_proxy)
        self.ssl_context = context
        self.trust = trust  # where the CA certificates come from, for messages

    def __repr__(self) -> str:
        shown = {scheme: redact_proxy(url) for scheme, url in self._proxies.items()}
        return f"NetworkPolicy(proxies={shown!r}, trust={self.trust!r})"

    def proxy_url(self, url: httpx.URL | str) -> str | None:
        """The proxy URL (credentials included) a request to ``url`` goes through, or None for direct."""
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        proxy = self._proxies.get(parsed.scheme) or self._proxies.get("all")
        if proxy is None or self._no_proxy.bypasses(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)):
            return None
        return proxy

    def proxy_for(self, url: httpx.URL | str) -> str | None:
        """:meth:`proxy_url` with the password masked: what a message may show."""
        return redact_proxy(self.proxy_url(url))

    def _proxy(self, url: str) -> httpx.Proxy:
        return httpx.Proxy(url, ssl_context=self.ssl_context if url.startswith("https:") else None)

    def transport(self, *, limits: httpx.Limits = DEFAULT_LIMITS, http2: bool = False) -> httpx.BaseTransport:
        """A sync transport routing each request direct or through its proxy."""
        return _Router(self, lambda proxy: httpx.HTTPTransport(
            verify=self.ssl_context, limits=limits, http2=http2, trust_env=False,
            proxy=self._proxy(proxy) if proxy else None))

    def async_transport(self, *, limits: httpx.Limits = DEFAULT_LIMITS, http2: bool = False) -> httpx.AsyncBaseTransport:
        """The asyncio twin of :meth:`transport`."""
        return _AsyncRouter(self, lambda proxy: httpx.AsyncHTTPTransport(
            verify=self.ssl_context, limits=limits, http2=http2, trust_env=False,
            proxy=self._proxy(proxy) if proxy else None))

    def client_options(self, *, limits: httpx.Limits = DEFAULT_LIMITS, http2: bool = False,
                       asynchronous: bool = False) -> dict[str, Any]:
        """The keyword arguments that make an ``httpx.Client``/``AsyncClient`` follow this policy."""
        transport = (self.async_transport(limits=limits, http2=http2) if asynchronous
                     else self.transport(limits=limits, http2=http2))
        return {"transport": transport, "trust_env": False}


class _Routes:
    """Hands each request to the direct transport or to the one of its proxy (one pool each)."""

    def __init__(self, policy: NetworkPolicy, make: Any) -> None:
        self.policy = policy
        self._make = make
        self._routes: dict[tuple[bytes, bytes, int | None], Any] = {}
        self._transports: dict[str | None, Any] = {}
        self._lock = threading.Lock()

    def _for(self, url: httpx.URL) -> Any:
        key = (url.raw_scheme, url.raw_host, url.port)
        transport = self._routes.get(key)
        if transport is None:
            proxy = self.policy.proxy_url(url)
            with self._lock:
                transport = self._transports.get(proxy)
                if transport is None:
                    transport = self._transports[proxy] = self._make(proxy)
                if len(self._routes) > 1024:
                    self._routes.clear()
                self._routes[key] = transport
        return transport


class _Router(_Routes, httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._for(request.url).handle_request(request)

    def close(self) -> None:
        for transport in list(self._transports.values()):
            transport.close()


class _AsyncRouter(httpx.AsyncBaseTransport):
    """The asyncio router: one set of pools per event loop, since a connection belongs to the loop that
    opened it (a notebook or script may call ``asyncio.run`` many times with one client)."""

    def __init__(self, policy: NetworkPolicy, make: Any) -> None:
        self.policy = policy
        self._make = make
        self._loop: asyncio.AbstractEventLoop | None = None
        self._current: _Routes = _Routes(policy, make)
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Routes] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _routes_here(self) -> _Routes:
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return self._current
        with self._lock:
            routes = self._per_loop.get(loop)
            if routes is None:
                routes = self._per_loop[loop] = _Routes(self.policy, self._make)
            self._loop, self._current = loop, routes
            return routes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._routes_here()._for(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        routes = self._per_loop.pop(asyncio.get_running_loop(), None)
        if routes is not None:
            for transport in list(routes._transports.values()):
                await transport.aclose()


def network_policy(settings: Any = None, *, proxy: str | None = None, verify: bool | str | None = None,
                   environ: Mapping[str, str] | None = None) -> NetworkPolicy:
    """The policy for ``settings`` (a :class:`genesys_nb.Settings`, or None) and the environment.

    ``proxy`` / ``verify`` given here win over ``settings.proxy`` / ``settings.verify``, which win over
    ``GENESYS_PROXY`` / ``GENESYS_CA_BUNDLE``, which win over the standard variables. ``environ``
    replaces ``os.environ`` (for tests).
    """
    env = os.environ if environ is None else environ
    chosen = proxy if proxy is not None else getattr(settings, "proxy", None)
    if chosen is None:
        chosen = _env(env, "GENESYS_PROXY")
    if verify is None:
        verify = getattr(settings, "verify", None)
    if verify is None and (bundle := _env(env, "GENESYS_CA_BUNDLE")):
        verify = bundle
    proxies: dict[str, str | None]
    if chosen is not None:
        checked = check_proxy_url(chosen)
        proxies = {} if checked == DIRECT else {"all": checked}
    else:
        proxies = {scheme: check_proxy_url(value, f"{scheme.upper()}_PROXY")
                   for scheme in ("http", "https", "all") if (value := _env(env, f"{scheme}_proxy"))}
    _, trust = _context_key(verify, env)
    return NetworkPolicy(proxies=proxies, no_proxy=_env(env, "no_proxy"), context=ssl_context(verify, environ=env),
                         trust=trust)


def default_transport(settings: Any = None, **options: Any) -> httpx.BaseTransport:
    """The sync transport genesys_nb uses when none is given: ``network_policy(settings).transport()``."""
    return network_policy(settings).transport(**options)


def default_async_transport(settings: Any = None, **options: Any) -> httpx.AsyncBaseTransport:
    """The async transport genesys_nb uses when none is given (proxy-, NO_PROXY- and CA-aware)."""
    return network_policy(settings).async_transport(**options)


def build_client(settings: Any = None, *, proxy: str | None = None, verify: bool | str | None = None,
                 limits: httpx.Limits = DEFAULT_LIMITS, http2: bool = False, **client_options: Any) -> httpx.Client:
    """An ``httpx.Client`` that follows genesys_nb's proxy and TLS rules; other keyword arguments
    (``timeout``, ``headers``, ``base_url``, ...) go to ``httpx.Client``."""
    policy = network_policy(settings, proxy=proxy, verify=verify)
    return httpx.Client(**policy.client_options(limits=limits, http2=http2), **client_options)


def build_async_client(settings: Any = None, *, proxy: str | None = None, verify: bool | str | None = None,
                       limits: httpx.Limits = DEFAULT_LIMITS, http2: bool = False,
                       **client_options: Any) -> httpx.AsyncClient:
    """The asyncio twin of :func:`build_client`."""
    policy = network_policy(settings, proxy=proxy, verify=verify)
    return httpx.AsyncClient(**policy.client_options(limits=limits, http2=http2, asynchronous=True),
                             **client_options)
