"""Wire values shared by the emulator's handlers and shells: request, decision, ErrorBody builders."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson

JSON_CONTENT_TYPE = "application/json"

# Body faults a decision can carry; each shell renders them the same way (see apply notes below).
BODY_KINDS = (
    "malformed_json",  # syntactically broken JSON, consistent Content-Length
    "truncated_json",  # the real body cut in half, consistent Content-Length
    "non_json",  # text/plain prose
    "html",  # an HTML error page, text/html
    "wrong_content_type",  # valid JSON labelled text/plain
    "empty",  # no body at all
    "huge",  # a valid JSON object of several megabytes
    "nan",  # JSON with NaN / Infinity tokens (not valid JSON)
    "odd_unicode",  # valid JSON with lone surrogates, BOM and control characters
    "incomplete",  # Content-Length promises more bytes than are sent, then the connection closes
)


@dataclass(frozen=True)
class EmulatorRequest:
    """One HTTP request as the handlers see it: no sockets, no framework."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        query_string: str | bytes = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> EmulatorRequest:
        if isinstance(query_string, bytes):
            query_string = query_string.decode("latin-1")
        query = tuple(parse_qsl(query_string, keep_blank_values=True))
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        return cls(method=method.upper(), path=path, query=query, headers=lowered, body=body)

    def param(self, name: str) -> str | None:
        """First value of a query parameter, or None."""
        for key, value in self.query:
            if key == name:
                return value
        return None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Decision:
    """What to answer, plus directives the shell applies (delay, reset, truncation).

    ``body`` is the exact bytes to send. ``incomplete_body`` means: declare ``len(body)`` in
    Content-Length, send only the first half, then drop the connection. ``reset_connection``
    means: drop the connection after the request was read, sending nothing. ``on_complete`` is
    called by the shell once the response is finished (it releases the in-flight slot).
    """

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    delay_s: float = 0.0
    reset_connection: bool = False
    incomplete_body: bool = False
    on_complete: Callable[[], None] | None = None

    def complete(self) -> None:
        callback, self.on_complete = self.on_complete, None
        if callback is not None:
            callback()

    def json(self) -> Any:
        return orjson.loads(self.body)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def json_decision(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Decision:
    all_headers = [("content-type", JSON_CONTENT_TYPE)]
    all_headers.extend(headers or [])
    return Decision(status=status, headers=all_headers, body=dumps(payload))


def error_body(
    status: int,
    code: str,
    message: str,
    context_id: str,
    *,
    details: list[dict[str, str]] | None = None,
    errors: list[dict[str, Any]] | None = None,
    message_params: dict[str, str] | None = None,
    limit: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The public ErrorBody form: message, code, status, messageParams, contextId, details, errors."""
    body: dict[str, Any] = {
        "message": message,
        "code": code,
        "status": status,
        "messageParams": message_params or {},
        "contextId": context_id,
        "details": details or [],
        "errors": errors or [],
    }
    if limit is not None:
        body["limit"] = limit
    return body


def nested_error(status: int, code: str, message: str) -> dict[str, Any]:
    """An entry of ErrorBody.errors (no contextId, as the platform nests them)."""
    return {"message": message, "code": code, "status": status, "messageParams": {}, "details": [], "errors": []}


def retry_after_header(seconds: float) -> str:
    """Whole seconds rounded up (the platform, and urllib3's parser, only speak integers)."""
    return str(max(0, math.ceil(seconds - 1e-9)))


def rate_limit_message(retry_after: str) -> str:
    return f"Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds"


def render_body_fault(kind: str, real_body: bytes, status: int) -> tuple[bytes, str, bool]:
    """(body bytes, content type, incomplete) for a body fault; ``real_body`` is what would be sent."""
    if kind == "malformed_json":
        return b'{"result": {"id": "C-1", "tier": "gold",, }', JSON_CONTENT_TYPE, False
    if kind == "truncated_json":
        cut = max(1, len(real_body) // 2)
        return real_body[:cut], JSON_CONTENT_TYPE, False
    if kind == "non_json":
        return b"Service temporarily unavailable. Please try again later.", "text/plain", False
    if kind == "html":
        page = (
            f"<!DOCTYPE html><html><head><title>{status} Error</title></head>"
            f"<body><h1>{status} Error</h1><p>The upstream gateway returned an error page.</p>"
            "<hr><address>nginx</address></body></html>"
        )
        return page.encode(), "text/html; charset=utf-8", False
    if kind == "wrong_content_type":
        return real_body, "text/plain; charset=utf-8", False
    if kind == "empty":
        return b"", JSON_CONTENT_TYPE, False
    if kind == "huge":
        blob = {"items": [{"index": i, "text": "x" * 200} for i in range(20000)]}
        return dumps(blob), JSON_CONTENT_TYPE, False
    if kind == "nan":
        return b'{"score": NaN, "upper": Infinity, "lower": -Infinity}', JSON_CONTENT_TYPE, False
    if kind == "odd_unicode":
        return (
            '\ufeff{"name": "\\ud800 lone", "rtl": "\u202eevil", "nul": "a\\u0000b", "emoji": "\U0001f600"}'
        ).encode("utf-8"), JSON_CONTENT_TYPE, False
    if kind == "incomplete":
        return real_body, JSON_CONTENT_TYPE, True
    raise ValueError(f"unknown body fault kind {kind!r}; use one of {', '.join(BODY_KINDS)}")
