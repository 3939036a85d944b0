"""Webhook signatures in the Standard Webhooks convention (https://www.standardwebhooks.com), no I/O.

Every POST carries ``webhook-id`` (the event id, the same on every re-send of the event) and
``webhook-timestamp`` (unix seconds); with a secret also ``webhook-signature: v1,<base64>``, the
HMAC-SHA256 of ``"{webhook-id}.{webhook-timestamp}.{body}"``. The HMAC itself is the
``standardwebhooks`` library's, so the receiver libraries of every language verify these events.

The secret:

- ``"whsec_<base64>"``: as the convention gives it; the key is the base64-decoded part. This is
  the form to prefer: hand the same string to the receiver's library. :func:`new_secret` makes one.
- ``bytes``: the key itself.
- any other non-empty string: its UTF-8 bytes are the key. A receiver that uses a Standard
  Webhooks library must then be given ``standard_secret(that_string)`` (``"whsec_"`` + the
  base64 of those bytes), because those libraries base64-decode whatever they are given.
- an empty secret (``""``, ``b""``, ``"whsec_"``) is refused with a ValueError.
"""
from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

from standardwebhooks.webhooks import Webhook

SOURCE_HEADER = "X-Source"
EVENT_ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"

Secret = str | bytes

_HOW_TO_MAKE_ONE = ("make one with genesys_nb.run.webhook.new_secret(), or python -c \"import base64, os; "
                    "print('whsec_' + base64.b64encode(os.urandom(32)).decode())\"")


def signing_key(secret: Secret) -> bytes:
    """The HMAC key a secret stands for (see the module docstring); ValueError when it is empty."""
    if isinstance(secret, (bytes, bytearray)):
        key = bytes(secret)
    elif isinstance(secret, str):
        if secret.startswith(SECRET_PREFIX):
            encoded = secret[len(SECRET_PREFIX):]
            try:
                key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"a webhook secret starting with {SECRET_PREFIX!r} must be followed by base64; "
                                 + _HOW_TO_MAKE_ONE) from None
        else:
            key = secret.encode("utf-8")
    else:
        raise TypeError(f"webhook secret must be a str or bytes, got {type(secret).__name__}")
    if not key:
        raise ValueError("webhook secret is empty; pass None to send unsigned events, or a secret: "
                         + _HOW_TO_MAKE_ONE)
    return key


def standard_secret(secret: Secret) -> str:
    """The ``whsec_<base64>`` form of a secret: what to give a receiver's Standard Webhooks library."""
    return SECRET_PREFIX + base64.b64encode(signing_key(secret)).decode("ascii")


def new_secret(nbytes: int = 32) -> str:
    """A fresh random ``whsec_<base64>`` secret (32 random bytes by default; the convention asks 24..64)."""
    if not 24 <= nbytes <= 64:
        raise ValueError("a webhook secret should have 24 to 64 random bytes")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def _signer(secret: Secret) -> Webhook:
    return Webhook(signing_key(secret))


def _moment(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def sign(body: bytes, secret: Secret, *, event_id: str, timestamp: int) -> str:
    """``v1,<base64 HMAC-SHA256 of "{event_id}.{timestamp}.{body}">``: the ``webhook-signature`` value."""
    return _signer(secret).sign(event_id, _moment(int(timestamp)), body)


def verify(body: bytes | str, headers: Mapping[str, str], secret: Secret, *, tolerance_s: float = 300,
           now: float | None = None) -> bool:
    """For receivers: True when ``webhook-signature`` matches the raw body, ``webhook-id`` and
    ``webhook-timestamp``, and the timestamp is within ``tolerance_s`` of now, before or after.

    ``headers`` may be any mapping (names compared case-insensitively); ``webhook-signature`` may
    list several space-separated signatures (one must match). A timestamp older or newer than
    ``tolerance_s`` is refused (a replayed capture, or a clock set ahead); ``float("inf")`` skips
    that check. ``now`` is unix seconds (default: the current time). An empty secret raises
    ValueError: verifying against "no key" would accept forged events.
    """
    webhook = _signer(secret)
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    event_id = lowered.get(EVENT_ID_HEADER, "")
    stamp = lowered.get(TIMESTAMP_HEADER, "").strip()
    signatures = lowered.get(SIGNATURE_HEADER, "").split()
    if not event_id or not signatures or not stamp.isascii() or not stamp.isdigit():
        return False
    timestamp = int(stamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    try:
        expected = webhook.sign(event_id, _moment(timestamp), body).encode("ascii")
    except (OverflowError, OSError, ValueError):  # a timestamp no datetime can hold
        return False
    # Every candidate is compared in constant time; no early exit on a mismatch.
    matches = [secrets.compare_digest(expected, candidate.encode("utf-8")) for candidate in signatures]
    return any(matches)


def _headers(body: bytes, event_id: str, signer: Webhook | None, *,
             timestamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    headers = {"Content-Type": "application/json", SOURCE_HEADER: "genesys-nb", EVENT_ID_HEADER: event_id,
               TIMESTAMP_HEADER: str(stamp)}
    if signer is not None:
        headers[SIGNATURE_HEADER] = signer.sign(event_id, _moment(stamp), body)
    return headers


def _safe_url(url: str) -> str:
    """The URL without credentials, query or fragment: what may be written to the outbox."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
