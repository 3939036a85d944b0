# size: one job (the HTTP/1.1 wire format, head to body); it goes when httpx becomes the only stack
"""The HTTP/1.1 wire format for :mod:`genesys_nb.api.http1`: request heads, the response parser (one
``asyncio.Protocol`` per connection), response headers and bodies, and URL splitting.

Only what an API client needs: ``Content-Length``, chunked and close-delimited bodies, interim 1xx
responses, keep-alive decisions, ``gzip``/``deflate`` content decoding. Anything else a server
sends is a :class:`httpx.RemoteProtocolError` naming what was wrong.
"""
from __future__ import annotations

import asyncio
import datetime
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["MAX_HEAD_BYTES", "WireHeaders", "WireResponse"]

MAX_HEAD_BYTES = 64 * 1024  # status line + headers; more is a broken or hostile server
_MAX_CHUNK_LINE = 1024
_SMALL_BODY = 64 * 1024  # bodies up to this size go out in the same write as the head

_HEX_DIGITS = b"0123456789abcdefABCDEF"

# Parser states
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _UNTIL_CLOSE, _DONE = range(8)



class _ProtocolViolation(Exception):
    """The server's bytes are not an HTTP/1.1 response."""


class WireHeaders(dict[str, str]):
    """Response headers by lower-cased name (repeated fields joined with ``", "``, as httpx does);
    ``get`` and ``in`` accept any case. ``raw`` keeps the fields as received."""

    __slots__ = ("raw",)

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        # one pass over the header block: names and values decoded together, fields usually unique
        super().__init__(
            (name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in raw
        )
        self.raw = raw
        if len(self) != len(raw):  # a repeated field: join its values in order, as httpx does
            joined: dict[str, list[str]] = {}
            for name, value in raw:
                joined.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
            dict.update(self, {key: ", ".join(values) for key, values in joined.items()})

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.get(self, key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())


@dataclass(slots=True, repr=False, eq=False)
class WireResponse:
    """A complete response from :meth:`HTTP1Transport.send_direct`: the parts of ``httpx.Response``
    an API caller reads (status, reason, headers, decoded content, elapsed), without its stream
    machinery."""

    status_code: int
    reason_phrase: str
    headers: WireHeaders
    content: bytes
    elapsed: datetime.timedelta
    http_version: str = "HTTP/1.1"

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"<WireResponse [{self.status_code} {self.reason_phrase}]>"


@dataclass(slots=True, eq=False)
class _Raw:
    """What a connection hands back: the response as received (content still encoded)."""

    version: bytes
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    keep_alive: bool


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; parses the response to the request in flight as bytes arrive."""

    def __init__(self, forget: Callable[[_Connection], None], key: tuple[str, str, int]) -> None:
        self._forget = forget
        self.loop = asyncio.get_running_loop()
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.last_read = 0.0
        self._waiter: asyncio.Future[_Raw] | None = None
        self._buffer = bytearray()
        self._state = _DONE
        self._scan_from = 0
        self._head_request = False
        # the response being parsed
        self._version = b""
        self._status = 0
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._keep_alive = True
        self._remaining = 0
        self._body = bytearray()

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            # Bytes nobody asked for: this connection can no longer be trusted with a request.
            self.close()
            return
        self.last_read = self.loop.time()
        self._buffer += data
        try:
            finished = self._parse()
        except _ProtocolViolation as exc:
            self.fail(httpx.RemoteProtocolError(f"malformed response: {exc}"))
            return
        if finished:
            self._complete(self._keep_alive and not self._buffer)  # leftover bytes: not reusable

    def eof_received(self) -> bool | None:
        self._finish_at_close(None)
        return None  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._forget(self)
        self._finish_at_close(exc)

    # -- exchange ------------------------------------------------------------------------------

    @property
    def usable(self) -> bool:
        """Open, and not being closed by either side: a request may be written on it."""
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def start(self, data: bytes, body: bytes, head_request: bool) -> asyncio.Future[_Raw]:
        """Write one request and return the future of its response."""
        assert self.transport is not None
        self._waiter = self.loop.create_future()
        self._state = _HEAD
        self._scan_from = 0
        self._head_request = head_request
        self._headers = []
        self._body = bytearray()
        self._keep_alive = True
        self.last_read = self.loop.time()
        if body and len(body) > _SMALL_BODY:
            self.transport.write(data)
            self.transport.write(body)
        else:
            self.transport.write(data + body if body else data)
        return self._waiter

    def fail(self, exc: Exception) -> None:
        self._fail(exc)
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._forget(self)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()  # never wait for a FIN: a half-read connection is worthless

    def _complete(self, keep_alive: bool) -> None:
        waiter, self._waiter = self._waiter, None
        assert waiter is not None
        waiter.set_result(_Raw(self._version, self._status, self._reason, self._headers, bytes(self._body),
                               keep_alive))

    def _fail(self, exc: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def _finish_at_close(self, exc: Exception | None) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._state == _UNTIL_CLOSE and exc is None:
            self._body += self._buffer
            self._buffer.clear()
            self._complete(False)
            return
        if exc is not None:
            error: Exception = httpx.ReadError(f"{type(exc).__name__}: {exc}")
        elif self._state == _HEAD and not self._buffer:
            error = httpx.RemoteProtocolError("Server disconnected without sending a response.")
        else:
            error = httpx.RemoteProtocolError("Server disconnected before the response was complete.")
        self._fail(error)

    # -- parsing -------------------------------------------------------------------------------

    def _parse(self) -> bool:
        """Consume the buffer; True once the response is complete."""
        buffer = self._buffer
        while True:
            state = self._state
            if state == _HEAD:
                end = buffer.find(b"\r\n\r\n", self._scan_from)
                if end < 0:
                    if len(buffer) > MAX_HEAD_BYTES:
                        raise _ProtocolViolation(f"response head larger than {MAX_HEAD_BYTES} bytes")
                    self._scan_from = max(0, len(buffer) - 3)
                    return False
                head = bytes(buffer[:end])
                del buffer[:end + 4]
                self._scan_from = 0
                self._read_head(head)
            elif state == _LENGTH:
                if len(buffer) < self._remaining:
                    return False
                self._body += buffer[:self._remaining]
                del buffer[:self._remaining]
                self._state = _DONE
                return True
            elif state == _CHUNK_SIZE:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > _MAX_CHUNK_LINE:
                        raise _ProtocolViolation("chunk size line too long")
                    return False
                size_text = bytes(buffer[:end]).split(b";", 1)[0].strip()
                del buffer[:end + 2]
                if not size_text or size_text.strip(_HEX_DIGITS):  # hex digits only: no sign, 0x or _
                    raise _ProtocolViolation(f"bad chunk size {size_text[:20]!r}")
                size = int(size_text, 16)
                if size == 0:
                    self._state = _TRAILERS
                else:
                    self._remaining = size
                    self._state = _CHUNK_DATA
            elif state == _CHUNK_DATA:
                take = min(self._remaining, len(buffer))
                if take == 0:
                    return False
                self._body += buffer[:take]
                del buffer[:take]
                self._remaining -= take
                if self._remaining:
                    return False
                self._state = _CHUNK_END
            elif state == _CHUNK_END:
                if len(buffer) < 2:
                    return False
                if buffer[:2] != b"\r\n":
                    raise _ProtocolViolation("chunk not followed by CRLF")
                del buffer[:2]
                self._state = _CHUNK_SIZE
            elif state == _TRAILERS:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD_BYTES:
                        raise _ProtocolViolation("trailer section too large")
                    return False
                del buffer[:end + 2]
                if end == 0:  # the empty line that ends the message
                    self._state = _DONE
                    return True
            elif state == _UNTIL_CLOSE:
                self._body += buffer
                buffer.clear()
                return False
            else:
                return False

    def _read_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        status_line = lines[0]
        version, _, rest = status_line.partition(b" ")
        code = rest[:3]
        if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit() \
                or rest[3:4] not in (b"", b" "):
            raise _ProtocolViolation(f"bad status line {status_line[:40]!r}")
        status = int(code)
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        chunked = False
        keep_alive = version == b"HTTP/1.1"
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip() or b" " in name or b"\t" in name:
                raise _ProtocolViolation(f"bad header line {line[:40]!r}")
            value = value.strip(b" \t")
            headers.append((name, value))
            lowered = name.lower()
            if lowered == b"content-length":
                if not value.isdigit():
                    raise _ProtocolViolation(f"bad Content-Length {value[:20]!r}")
                if length is not None and int(value) != length:
                    raise _ProtocolViolation("conflicting Content-Length fields")
                length = int(value)
            elif lowered == b"transfer-encoding":
                # Only plain chunked framing: a transfer coding such as gzip would have to be undone
                # here, and no API server sends one.
                chunked = [token.strip() for token in value.lower().split(b",")] == [b"chunked"]
                if not chunked:
                    raise _ProtocolViolation(f"unsupported Transfer-Encoding {value[:30]!r}")
            elif lowered == b"connection":
                tokens = {token.strip() for token in value.lower().split(b",")}
                if b"close" in tokens:
                    keep_alive = False
                elif b"keep-alive" in tokens:
                    keep_alive = True
        if 100 <= status < 200:
            if status == 101:
                raise _ProtocolViolation("unexpected protocol switch (101)")
            return  # an interim response (100 Continue, 103 Early Hints): the real one follows
        self._version, self._status, self._reason, self._headers = version, status, rest[4:], headers
        if chunked and length is not None:
            keep_alive = False  # both framings: follow chunked (RFC 9112 6.3) and do not trust the rest
        self._keep_alive = keep_alive
        if self._head_request or status in (204, 304):
            self._remaining = 0  # no body: _parse completes the response through _LENGTH at once
            self._state = _LENGTH
        elif chunked:
            self._state = _CHUNK_SIZE
        elif length is not None:
            self._remaining = length
            self._state = _LENGTH
        else:
            self._keep_alive = False
            self._state = _UNTIL_CLOSE


DEFAULT_PORTS = {"http": 80, "https": 443}


def _host_header(scheme: str, host: str, port: int) -> str:
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"


def _encode_head(method: str, target: str, host_header: str, headers: Iterable[tuple[str, str]],
                 body: bytes | None) -> bytes:
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {host_header}\r\n"]
    for name, value in headers:
        lines.append(f"{name}: {value}\r\n")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body) if body else 0}\r\n")
    lines.append("\r\n")
    text = "".join(lines)
    # Exactly one CRLF per line written above: any other CR or LF came from a name or value.
    if text.count("\n") != len(lines) + 1 or text.count("\r") != len(lines) + 1:
        raise httpx.LocalProtocolError("a request header name or value contains CR or LF; remove it")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise httpx.LocalProtocolError(
            f"request head is not latin-1 ({exc.reason} at {exc.start}); percent-encode the URL "
            "or header value"
        ) from None


def _decode_content(headers: WireHeaders, body: bytes) -> bytes:
    encoding = headers.get("content-encoding")
    if not encoding or not body:
        return body
    for coding in reversed([token.strip().lower() for token in encoding.split(",")]):
        try:
            if coding in ("gzip", "x-gzip"):
                body = zlib.decompress(body, zlib.MAX_WBITS | 16)
            elif coding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:  # raw deflate without the zlib wrapper, as some servers send it
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            elif coding not in ("identity", ""):
                return body  # unknown coding: hand the bytes over as they came (httpx does the same)
        except zlib.error as exc:
            raise httpx.DecodingError(f"response body is not valid {coding}: {exc}") from None
    return body


def _split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, target) of an absolute http(s) URL, for a caller that built it."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(f"only http:// and https:// URLs can be sent (got {url[:40]!r})")
    end = len(rest)  # the authority ends at the first "/", "?" or "#"
    for mark in "/?#":
        found = rest.find(mark)
        if 0 <= found < end:
            end = found
    authority, target = rest[:end], rest[end:]
    if not target.startswith("/"):  # http://host?query or http://host#fragment
        target = "/" + target
    if "@" in authority:
        raise httpx.UnsupportedProtocol("credentials in the URL are not sent; use the Authorization header")
    if authority.startswith("["):  # [IPv6]:port
        end = authority.find("]")
        host, port_text = authority[1:end], authority[end + 2:]
    else:
        host, _, port_text = authority.partition(":")
    if not host:
        raise httpx.UnsupportedProtocol(f"URL without a host: {url[:40]!r}")
    try:
        port = int(port_text) if port_text else DEFAULT_PORTS[scheme]
        if not 0 < port < 65536 or (port_text and not port_text.isdigit()):
            raise ValueError
    except ValueError:
        raise httpx.UnsupportedProtocol(f"bad port in URL {url[:60]!r}: use 1..65535") from None
    return scheme, host, port, target.split("#", 1)[0]
