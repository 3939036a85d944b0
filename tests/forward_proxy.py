"""Real proxies on 127.0.0.1:0 for the proxy tests: an HTTP forward proxy (CONNECT tunnels and
absolute-URI forwarding, optional Basic proxy auth), a SOCKS5 proxy, and a TLS front for a plain
server. Each keeps a log of what passed.

Names are resolved by the proxy, as a corporate proxy resolves them for its clients: ``hosts`` maps
a name such as ``emulator.test`` (which no DNS knows) to a local address. A request that reaches
such a name can only have gone through the proxy, and the client never sees a loopback address, so
its loopback bypass is not involved.
"""
from __future__ import annotations

import base64
import selectors
import socket
import ssl
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_HOP_BY_HOP = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}


@dataclass(frozen=True)
class Passed:
    """One request the proxy handled: ``CONNECT host:port`` or ``POST http://host/path``."""

    method: str
    target: str
    user: str | None
    status: int


def _tunnel(a: socket.socket, b: socket.socket) -> None:
    """Relay bytes both ways until either side closes (one thread: TLS sockets are not shared)."""
    peers = {a: b, b: a}
    with selectors.DefaultSelector() as selector:
        for sock in peers:
            sock.settimeout(None)
            selector.register(sock, selectors.EVENT_READ)
        try:
            while True:
                for key, _ in selector.select(timeout=30):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    data = sock.recv(65536)
                    if not data:
                        return
                    while isinstance(sock, ssl.SSLSocket) and sock.pending():
                        data += sock.recv(sock.pending())
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            a.close()
            b.close()


class _Listener:
    def __init__(self, hosts: Mapping[str, tuple[str, int]] | None, bind: str = "127.0.0.1") -> None:
        self.hosts = dict(hosts or {})
        self.log: list[Passed] = []
        self._sock = socket.socket()
        self._sock.bind((bind, 0))
        self._sock.listen(128)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._guarded, args=(conn,), daemon=True).start()

    def _guarded(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except OSError:
            conn.close()

    def handle(self, conn: socket.socket) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def upstream(self, host: str, port: int) -> socket.socket:
        return socket.create_connection(self.hosts.get(host.lower(), (host, port)), timeout=10)

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ForwardProxy(_Listener):
    """An HTTP proxy: ``CONNECT`` for https URLs, absolute-URI forwarding for http ones."""

    def __init__(self, hosts: Mapping[str, tuple[str, int]] | None = None,
                 auth: tuple[str, str] | None = None) -> None:
        self.auth = auth
        super().__init__(hosts)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_with_auth(self, user: str, password: str) -> str:
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    def _user(self, headers: dict[str, str]) -> tuple[bool, str | None]:
        value = headers.get("proxy-authorization", "")
        user = None
        if value.lower().startswith("basic "):
            name, _, password = base64.b64decode(value[6:]).decode().partition(":")
            user = name
            if self.auth is not None and (name, password) == self.auth:
                return True, user
        return self.auth is None, user

    def handle(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        line = reader.readline(65537).decode("latin-1").strip()
        if not line:
            conn.close()
            return
        method, target, _ = line.split(" ", 2)
        headers: dict[str, str] = {}
        raw_headers: list[tuple[str, str]] = []
        while (header := reader.readline(65537).decode("latin-1").rstrip("\r\n")):
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
            raw_headers.append((name.strip(), value.strip()))
        allowed, user = self._user(headers)
        body = reader.read(int(headers.get("content-length", "0") or 0)) if method != "CONNECT" else b""
        if not allowed:
            self.log.append(Passed(method, target, user, 407))
            conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n"
                         b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            conn.close()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            try:
                upstream = self.upstream(host.strip("[]"), int(port))
            except OSError:
                self.log.append(Passed(method, target, user, 502))
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                conn.close()
                return
            self.log.append(Passed(method, target, user, 200))
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _tunnel(conn, upstream)
            return
        parts = urlsplit(target)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        upstream = self.upstream(parts.hostname or "", parts.port or 80)
        head = [f"{method} {path} HTTP/1.1"]
        head += [f"{name}: {value}" for name, value in raw_headers if name.lower() not in _HOP_BY_HOP]
        head.append("Connection: close")
        upstream.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        response = b""
        while data := upstream.recv(65536):
            response += data
        upstream.close()
        status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0
        self.log.append(Passed(method, target, user, status))
        conn.sendall(response)  # the upstream said Connection: close; so does this connection
        conn.close()


class Socks5Proxy(_Listener):
    """A SOCKS5 proxy (RFC 1928, CONNECT only) with optional username/password auth (RFC 1929)."""

    def __init__(self, hosts: Mapping[str, tuple[str, int]] | None = None,
                 auth: tuple[str, str] | None = None) -> None:
        self.auth = auth
        super().__init__(hosts)

    def url(self, scheme: str = "socks5") -> str:
        creds = f"{self.auth[0]}:{self.auth[1]}@" if self.auth else ""
        return f"{scheme}://{creds}127.0.0.1:{self.port}"

    @staticmethod
    def _exact(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def handle(self, conn: socket.socket) -> None:
        _, count = self._exact(conn, 2)
        methods = self._exact(conn, count)
        user = None
        if self.auth is not None:
            if 2 not in methods:
                conn.sendall(b"\x05\xff")
                conn.close()
                return
            conn.sendall(b"\x05\x02")
            _, length = self._exact(conn, 2)
            user = self._exact(conn, length).decode()
            (length,) = self._exact(conn, 1)
            password = self._exact(conn, length).decode()
            if (user, password) != self.auth:
                conn.sendall(b"\x01\x01")
                conn.close()
                return
            conn.sendall(b"\x01\x00")
        else:
            conn.sendall(b"\x05\x00")
        _, _command, _, kind = self._exact(conn, 4)
        if kind == 1:
            host = socket.inet_ntoa(self._exact(conn, 4))
        elif kind == 3:
            (length,) = self._exact(conn, 1)
            host = self._exact(conn, length).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, self._exact(conn, 16))
        (port,) = struct.unpack("!H", self._exact(conn, 2))
        try:
            upstream = self.upstream(host, port)
        except OSError:
            self.log.append(Passed("SOCKS5", f"{host}:{port}", user, 502))
            conn.sendall(b"\x05\x04\x00\x01" + bytes(6))
            conn.close()
            return
        self.log.append(Passed("SOCKS5", f"{host}:{port}", user, 200))
        conn.sendall(b"\x05\x00\x00\x01" + bytes(6))
        _tunnel(conn, upstream)


class Relay(_Listener):
    """Listens on ``bind`` (another local address) and relays every connection to ``backend``."""

    def __init__(self, bind: str, backend: tuple[str, int]) -> None:
        self.backend = backend
        super().__init__(None, bind)

    def handle(self, conn: socket.socket) -> None:
        _tunnel(conn, socket.create_connection(self.backend, timeout=10))


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (None when it has none)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") or address == "0.0.0.0" else address


class TLSFront(_Listener):
    """Terminates TLS with ``context`` and relays the plain bytes to ``backend`` (host, port)."""

    def __init__(self, context: ssl.SSLContext, backend: tuple[str, int]) -> None:
        self.context = context
        self.backend = backend
        self.handshakes = 0
        super().__init__(None)

    def handle(self, conn: socket.socket) -> None:
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            conn.close()
            return
        self.handshakes += 1
        _tunnel(tls, socket.create_connection(self.backend, timeout=10))
