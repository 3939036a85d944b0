"""Getting one webhook event delivered: a POST retried with backoff on timeouts, 5xx and 429, and
the outbox file where an event that still failed waits (appends locked across processes).
"""
from __future__ import annotations

import base64
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from genesys_nb.api.logs import install_log_redaction
from genesys_nb.api.version import __version__
from genesys_nb.audit import jsonsafe
from genesys_nb.run._webhook_signing import _headers

if TYPE_CHECKING:  # pragma: no cover
    from standardwebhooks.webhooks import Webhook

install_log_redaction()  # httpx logs webhook URLs at INFO

try:  # POSIX: serialise outbox appends and the replay rewrite across processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass
class _Attempt:
    ok: bool
    attempts: int
    status_code: int | None = None
    error: str | None = None
    retry: bool = False


class _Poster:
    """POSTs over one transport (the package's proxy and TLS router, or a caller's), kept alive between
    events: the request goes to ``transport.handle_request`` as ``httpx.Client.send`` would hand it,
    without the client's per-request merging of base URL, cookies, auth, redirects and default
    headers, which cost about a third of a delivery's CPU (BENCHMARKS.md, P3). Errors are httpx's own
    (the transport maps them), so timeouts and network errors are classified as before."""

    def __init__(self, transport: httpx.BaseTransport, timeout_s: float) -> None:
        self.transport = transport
        self._timeout = httpx.Timeout(timeout_s).as_dict()

    @staticmethod
    def target(url: str) -> tuple[httpx.URL, dict[str, str]]:
        """The URL to send to and the headers every POST adds, as ``httpx.Client`` would make them:
        credentials in the URL become Basic auth (and leave the URL), and a User-Agent of our own."""
        parsed = httpx.URL(url)
        fixed = {"User-Agent": f"genesys-nb/{__version__}"}
        if parsed.userinfo:
            pair = f"{parsed.username}:{parsed.password}".encode()
            fixed["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
            parsed = parsed.copy_with(username=None, password=None)
        return parsed, fixed

    def post(self, url: httpx.URL, body: bytes, headers: dict[str, str]) -> int:
        request = httpx.Request("POST", url, content=body, headers=headers, extensions={"timeout": self._timeout})
        response = self.transport.handle_request(request)
        try:
            response.read()  # the connection goes back to the pool only once the body is read
        finally:
            response.close()
        return response.status_code

    def close(self) -> None:
        self.transport.close()


def _post_once(poster: _Poster, url: httpx.URL, body: bytes, event_id: str, signer: Webhook | None,
               fixed: dict[str, str]) -> _Attempt:
    try:  # signed afresh on every attempt: the timestamp says when this attempt was sent
        status = poster.post(url, body, {**fixed, **_headers(body, event_id, signer)})
    except httpx.TimeoutException as err:
        return _Attempt(False, 1, None, f"timeout ({type(err).__name__})", retry=True)
    except httpx.TransportError as err:
        return _Attempt(False, 1, None, f"network error ({type(err).__name__})", retry=True)
    if 200 <= status < 300:
        return _Attempt(True, 1, status)
    return _Attempt(False, 1, status, f"HTTP {status}", retry=status in _RETRY_STATUS)


def _deliver(poster: _Poster, url: httpx.URL, body: bytes, event_id: str, signer: Webhook | None, *,
             fixed: dict[str, str],
             max_retries: int, backoff_s: float, backoff_max_s: float,
             wait: Callable[[float], bool]) -> _Attempt:
    """POST with retries; ``wait(delay)`` sleeps and returns False when the caller wants to stop."""
    attempts = 0
    while True:
        outcome = _post_once(poster, url, body, event_id, signer, fixed)
        attempts += 1
        outcome.attempts = attempts
        if outcome.ok or not outcome.retry or attempts > max_retries:
            return outcome
        if not wait(min(backoff_max_s, backoff_s * 2 ** (attempts - 1))):
            return outcome


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _append_outbox(path: Path, entries: list[dict[str, Any]]) -> None:
    data = b"".join(jsonsafe.dumps(entry) + b"\n" for entry in entries)
    with _locked(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def _sleep(delay_s: float) -> bool:
    time.sleep(delay_s)
    return True
