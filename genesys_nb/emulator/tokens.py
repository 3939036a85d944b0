"""OAuth client credentials for the emulated org: clients, issued tokens, and POST /oauth/token."""
from __future__ import annotations

import base64
import binascii
import itertools
import math
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from genesys_nb.emulator.wire import Decision, EmulatorRequest, json_decision

VIEW_PERMISSION = "integrations:action:view"
EXECUTE_PERMISSION = "integrations:action:execute"
ALL_PERMISSIONS = frozenset({VIEW_PERMISSION, EXECUTE_PERMISSION})
DEFAULT_CLIENT_ID = "genesys-nb-emulator"
DEFAULT_CLIENT_SECRET = "emulator-demo-secret"


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str = field(repr=False)
    permissions: frozenset[str] = ALL_PERMISSIONS


@dataclass
class IssuedToken:
    """An access token's record; ``token_id`` is what logs show, never the token."""

    token_id: str
    client_id: str
    issued_at: float
    expires_at: float

    def __repr__(self) -> str:
        return f"IssuedToken(token_id={self.token_id!r}, client_id={self.client_id!r})"


class TokenStore:
    def __init__(self) -> None:
        self.clients: dict[str, OAuthClient] = {}
        self._tokens: dict[str, IssuedToken] = {}
        self._ids = itertools.count(1)

    def add_client(self, client: OAuthClient) -> None:
        self.clients[client.client_id] = client

    def issue(self, client_id: str, now: float, lifetime_s: float) -> tuple[str, IssuedToken]:
        token = secrets.token_urlsafe(32)
        record = IssuedToken(f"tok-{next(self._ids)}", client_id, now, now + lifetime_s)
        self._tokens[token] = record
        return token, record

    def lookup(self, token: str) -> IssuedToken | None:
        return self._tokens.get(token)

    def expire_all(self, now: float) -> None:
        for record in self._tokens.values():
            record.expires_at = min(record.expires_at, now)

    def clear(self) -> None:
        self._tokens.clear()

    def issued_values(self) -> list[str]:
        """Every token ever issued (for tests that scan output for leaked tokens)."""
        return list(self._tokens)


def oauth_error(status: int, error: str, description: str) -> Decision:
    return json_decision(status, {"error": error, "description": description, "error_description": description})


def client_credentials_from(request: EmulatorRequest) -> tuple[str | None, str | None, dict[str, str]]:
    """(client_id, client_secret, form) from a Basic header or, failing that, the form fields."""
    form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    authorization = request.header("authorization") or ""
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None, form
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret, form
    return form.get("client_id"), form.get("client_secret"), form


def token_response(token: str, lifetime_s: float) -> Decision:
    return json_decision(
        200, {"access_token": token, "token_type": "bearer", "expires_in": max(1, math.ceil(lifetime_s))}
    )
