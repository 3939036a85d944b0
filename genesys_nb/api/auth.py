"""OAuth client-credentials auth for httpx: cached token, early refresh, single flight, one re-send on 401.

The token request is yielded from the auth flow, so it travels through the client's own transport
(a MockTransport or the emulator's in-process transport serves it like any other request).
"""
from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx

from genesys_nb.api.errors import AuthenticationError
from genesys_nb.api.settings import Settings

__all__ = ["DEFAULT_REFRESH_MARGIN_S", "TOKEN_PATH", "ClientCredentialsAuth"]

TOKEN_PATH = "/oauth/token"
DEFAULT_REFRESH_MARGIN_S = 60.0
# Used when a token response omits expires_in; the platform's usual client lifetime.
DEFAULT_EXPIRES_IN_S = 86400.0

_CHECK_BOTH = "check GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET (an OAuth client with the Client Credentials grant)"
_OAUTH_HINTS: dict[str, str] = {
    "invalid_client": "the client id or secret is wrong: " + _CHECK_BOTH,
    "unauthorized_client": (
        "this OAuth client may not use the client-credentials grant: check GENESYS_CLIENT_ID names a "
        "Client Credentials client"
    ),
    "invalid_grant": "the grant was refused: " + _CHECK_BOTH,
    "unsupported_grant_type": "the login host refused grant_type=client_credentials: check the region/login host",
    "invalid_request": "the login request was refused: " + _CHECK_BOTH,
}


class _Hidden:
    """Holds the access token so that vars()/debugger dumps of the auth object show '***'."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "'***'"


class ClientCredentialsAuth(httpx.Auth):
    """Bearer-token auth using the client-credentials grant against ``{login_url}/oauth/token``.

    - The token is cached and refreshed ``refresh_margin_s`` (60 s) before ``expires_in`` runs out
      (at most half the lifetime early, so very short tokens are still reused).
    - One token request at a time: a threading.Lock for sync clients, an asyncio.Lock per event
      loop for async clients; waiters reuse the token the first caller fetched.
    - On a 401 from the API: refresh once (unless another caller already did) and re-send once.
      A second 401 is returned to the caller, never looped.
    - ``token_requests`` counts token requests sent (for tests and diagnostics).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin_s: float = DEFAULT_REFRESH_MARGIN_S,
        user_agent: str | None = None,
    ) -> None:
        if refresh_margin_s < 0:
            raise ValueError(f"refresh_margin_s must be >= 0 (got {refresh_margin_s}).")
        self._settings = settings
        self._clock = clock
        self._refresh_margin_s = float(refresh_margin_s)
        self._user_agent = user_agent
        self._state_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._token: _Hidden | None = None
        self._refresh_at: float = 0.0
        self._generation = 0
        self.token_requests = 0

    def __repr__(self) -> str:
        return (
            f"ClientCredentialsAuth(client_id={self._settings.client_id!r}, login_url={self.token_url!r}, "
            f"token_requests={self.token_requests})"
        )

    @property
    def token_url(self) -> str:
        return f"{self._settings.login_url}{TOKEN_PATH}"

    @property
    def has_valid_token(self) -> bool:
        """True when a cached token exists and is not yet due for refresh."""
        return self._current()[0] is not None

    def invalidate(self) -> None:
        """Forget the cached token; the next request fetches a new one."""
        with self._state_lock:
            self._token = None
            self._refresh_at = 0.0

    # -- state (pure apart from the small state lock) ------------------------------------------

    def _current(self) -> tuple[str | None, int]:
        """The usable token (None when missing or due for refresh) and its generation."""
        with self._state_lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token.value, self._generation
            return None, self._generation

    def _drop_if_generation(self, generation: int) -> None:
        with self._state_lock:
            if self._generation == generation:
                self._token = None
                self._refresh_at = 0.0

    def _store(self, token: str, expires_in_s: float) -> tuple[str, int]:
        margin = min(self._refresh_margin_s, expires_in_s / 2.0)
        with self._state_lock:
            self._token = _Hidden(token)
            self._refresh_at = self._clock() + expires_in_s - margin
            self._generation += 1
            return token, self._generation

    def _async_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._state_lock:
            lock = self._async_locks.get(loop)
            if lock is None:
                lock = asyncio.Lock()
                self._async_locks[loop] = lock
            return lock

    # -- the token request and its answer -------------------------------------------------------

    def build_token_request(self, api_request: httpx.Request | None = None) -> httpx.Request:
        """``POST {login}/oauth/token`` with Basic credentials and ``grant_type=client_credentials``."""
        pair = f"{self._settings.client_id}:{self._settings.client_secret}".encode()
        headers = {
            "Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
            "Accept": "application/json",
        }
        if self._user_agent:
            headers["User-Agent"] = self._user_agent
        request = httpx.Request(
            "POST", self.token_url, headers=headers, data={"grant_type": "client_credentials"}
        )
        if api_request is not None and "timeout" in api_request.extensions:
            # The login shares the deadline of the call that needed it.
            request.extensions["timeout"] = api_request.extensions["timeout"]
        with self._state_lock:
            self.token_requests += 1
        return request

    def _login_error(self, response: httpx.Response) -> AuthenticationError:
        status = response.status_code
        host = self._settings.login_url
        oauth_error: str | None = None
        description: str | None = None
        try:
            body: Any = json.loads(response.content)
        except ValueError:
            body = None
        if isinstance(body, dict):
            if isinstance(body.get("error"), str):
                oauth_error = body["error"]
            if isinstance(body.get("error_description"), str):
                description = body["error_description"]
            elif isinstance(body.get("message"), str):
                description = body["message"]
        if status == 407:
            hint = ("a proxy asked for credentials (407): check the user and password in the proxy URL "
                    "(GENESYS_PROXY, Settings(proxy=...), HTTPS_PROXY or HTTP_PROXY)")
        elif oauth_error in _OAUTH_HINTS:
            hint = _OAUTH_HINTS[oauth_error]
        elif status in (400, 401, 403):
            hint = "the credentials were refused: " + _CHECK_BOTH
        elif status == 404:
            hint = (
                f"{host} has no {TOKEN_PATH}: check GENESYS_REGION (or GENESYS_ENV / GENESYS_LOGIN_BASE_URL) "
                "points at the org's region/login host"
            )
        elif status == 429 or status >= 500:
            hint = "the login host is busy or failing; try again shortly"
        elif 200 <= status < 300:
            hint = f"the answer had no access_token: check GENESYS_LOGIN_BASE_URL / the region login host ({host})"
        else:
            hint = "check GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET and the region/login host"
        what = f" ({oauth_error})" if oauth_error else ""
        extra = f" {description}." if description else ""
        message = (
            f"Login to {host}{TOKEN_PATH} failed with HTTP {status}{what} for client id "
            f"{self._settings.client_id!r}.{extra} Fix: {hint}."
        )
        secret = self._settings.client_secret
        if secret and secret in message:  # never echo the secret, even if a server reflected it
            message = message.replace(secret, "***")
        return AuthenticationError(message, status_code=status, oauth_error=oauth_error)

    def _accept(self, response: httpx.Response) -> tuple[str, int]:
        """Store the token from a token response, or raise AuthenticationError naming what to check."""
        if not 200 <= response.status_code < 300:
            raise self._login_error(response)
        try:
            body: Any = json.loads(response.content)
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise self._login_error(response)
        expires_in = body.get("expires_in")
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or expires_in <= 0:
            expires_in = DEFAULT_EXPIRES_IN_S
        return self._store(token, float(expires_in))

    @staticmethod
    def _authorize(request: httpx.Request, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"

    # -- the token a request needs ------------------------------------------------------------

    def _usable(self, refused_generation: int | None) -> tuple[str, int] | None:
        """The token to use now, or None when one must be fetched (dropping a refused one)."""
        token, current = self._current()
        if token is not None and (refused_generation is None or current != refused_generation):
            return token, current  # valid, or already refreshed by another caller
        if refused_generation is not None:
            self._drop_if_generation(refused_generation)
        return None

    def _sync_token(
        self, request: httpx.Request, refused_generation: int | None
    ) -> Generator[httpx.Request, httpx.Response, tuple[str, int]]:
        if refused_generation is None and (ready := self._usable(None)) is not None:
            return ready
        with self._refresh_lock:  # one token request at a time; waiters reuse its token
            ready = self._usable(refused_generation)
            if ready is not None:
                return ready
            token_response = yield self.build_token_request(request)
            token_response.read()
            return self._accept(token_response)

    # -- the flow: where the 401 refresh-and-resend lives -------------------------------------------

    def _steps(self, request: httpx.Request) -> Generator[tuple[str, Any], Any, None]:
        """The one auth flow, without I/O: yields ``("token", refused_generation)`` for a token and
        ``("send", request)`` for the API call; the sync and async drivers below only do the waiting.

        On a 401 the token that request carried is refused: one new token (fetched once however many
        callers saw the same 401) and one re-send. A second 401 is the caller's answer.
        """
        token, generation = yield "token", None
        self._authorize(request, token)
        response = yield "send", request
        if response.status_code != 401:
            return
        token, _ = yield "token", generation
        self._authorize(request, token)
        yield "send", request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.read()  # the body must be replayable for the re-send after a 401
        steps = self._steps(request)
        step = next(steps)
        while True:
            kind, value = step
            reply = (yield value) if kind == "send" else (yield from self._sync_token(request, value))
            try:
                step = steps.send(reply)
            except StopIteration:
                return

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        steps = self._steps(request)
        step = next(steps)
        while True:
            kind, value = step
            if kind == "send":
                reply: Any = yield value
            elif (reply := self._usable(None) if value is None else None) is None:
                async with self._async_lock():
                    reply = self._usable(value)
                    if reply is None:
                        token_response = yield self.build_token_request(request)
                        await token_response.aread()
                        reply = self._accept(token_response)
            try:
                step = steps.send(reply)
            except StopIteration:
                return
