"""Building the requests of the Data Actions API, without I/O: ``_Request``, JSON encoding of
inputs, per-request timeouts and parsed URLs.

:class:`genesys_nb.api.base._ClientBase` decides which request to send; this module holds what a
request is made of and how it becomes an ``httpx.Request``.
"""
from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx

from genesys_nb.api.version import __version__

ACTIONS_PATH = "/api/v2/integrations/actions"
DEFAULT_USER_AGENT = f"genesys-nb/{__version__}"
MIN_TIMEOUT_MS = 1
MAX_TIMEOUT_MS = 60000  # the platform's own ceiling: config.timeoutSeconds is 1..60
DEFAULT_TIMEOUT_MS = 30000
CORRELATION_HEADER_SENT = "ININ-Correlation-Id"


def validate_timeout_ms(timeout_ms: Any) -> int:
    """Return ``timeout_ms`` if it is an int in 1..60000; else raise ValueError naming the bounds.

    >>> validate_timeout_ms(25000)
    25000
    """
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int):
        # ValueError on purpose: callers catch one exception type for "bad timeout_ms".
        raise ValueError(  # noqa: TRY004
            f"timeout_ms must be an int number of milliseconds in {MIN_TIMEOUT_MS}..{MAX_TIMEOUT_MS} "
            f"(got {timeout_ms!r} of type {type(timeout_ms).__name__})."
        )
    if not MIN_TIMEOUT_MS <= timeout_ms <= MAX_TIMEOUT_MS:
        raise ValueError(
            f"timeout_ms must be in {MIN_TIMEOUT_MS}..{MAX_TIMEOUT_MS} ms (got {timeout_ms}); "
            "60000 is the platform's own ceiling for an action."
        )
    return timeout_ms


def _check_action_id(action_id: Any) -> str:
    if not isinstance(action_id, str) or not action_id.strip():
        raise ValueError(f"action_id must be a non-empty string such as 'custom_-_<uuid>' (got {action_id!r}).")
    return action_id


def _json_default(value: Any) -> Any:
    """Serialize what tables commonly hold (numpy scalars, dates) the way a user expects."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@functools.lru_cache(maxsize=64)
def _execution_timeout(timeout_ms: int) -> httpx.Timeout:
    """The HTTP deadline of an execute with this timeout directive (one object per distinct value)."""
    return httpx.Timeout(timeout_ms / 1000.0)


def _encode_inputs(inputs: Any) -> bytes:
    if not isinstance(inputs, Mapping):
        raise TypeError(f"inputs must be a dict of the action's input fields (got {type(inputs).__name__}).")
    try:
        return json.dumps(dict(inputs), default=_json_default, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as err:
        raise ValueError(f"inputs cannot be sent as JSON: {err} (NaN/inf and custom objects are not allowed).") from err


def request_body_sha256(inputs: Any) -> str:
    """The sha256 (hex) of the exact body an execute of ``inputs`` sends ("" when it cannot be encoded)."""
    try:
        return hashlib.sha256(_encode_inputs(inputs)).hexdigest()
    except (TypeError, ValueError):
        return ""


@dataclass
class _Request:
    """Everything needed to send one request; built without I/O."""

    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    timeout: httpx.Timeout | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def build(self, api_url: str, default_headers: Mapping[str, str], default_timeout: httpx.Timeout) -> httpx.Request:
        """The httpx.Request, built directly: an absolute URL and complete headers, so sending it skips
        the client's per-call URL and header merging (measurable at thousands of calls a second)."""
        url = _parsed_url(self.url if "://" in self.url else api_url + self.url)
        if self.params:
            url = url.copy_merge_params(self.params)
        headers = {**default_headers, **self.headers}
        content = self.content
        if content is not None:
            headers["Content-Type"] = "application/json"
        # The headers httpx would add itself (Host first, Content-Length last), given up front with
        # the body as a ready stream: httpx then skips its per-request content encoding and header
        # re-normalisation. The request is read at once, as httpx does for a bytes body.
        raw: list[tuple[bytes, bytes]] = [(b"Host", url.netloc)]
        raw += [(name.encode("ascii"), value.encode("ascii")) for name, value in headers.items()]
        if content or self.method in ("POST", "PUT", "PATCH"):
            raw.append((b"Content-Length", str(len(content or b"")).encode("ascii")))
        timeout = self.timeout if self.timeout is not None else default_timeout
        request = httpx.Request(self.method, url, headers=raw, stream=httpx.ByteStream(content or b""),
                                extensions={"timeout": timeout.as_dict()})
        request.read()
        return request


_URL_CACHE: dict[str, httpx.URL] = {}
_URL_CACHE_SIZE = 1024


def _parsed_url(text: str) -> httpx.URL:
    """``httpx.URL(text)``, parsed once per distinct URL (parsing checks every character, every call).

    httpx.URL is immutable, so one parsed instance can back many requests. The cache is bounded:
    past ``_URL_CACHE_SIZE`` distinct URLs it starts again.
    """
    url = _URL_CACHE.get(text)
    if url is None:
        if len(_URL_CACHE) >= _URL_CACHE_SIZE:
            _URL_CACHE.clear()
        url = _URL_CACHE[text] = httpx.URL(text)
    return url
