"""What a webhook event carries, without I/O: the per-row payload (nothing secret in it), the
headers of a POST and their HMAC-SHA256 signature, and :func:`verify` for receivers.

With a secret, ``X-Genesys-NB-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` and
``X-Genesys-NB-Timestamp: <unix seconds>`` are sent; every event has an ``X-Genesys-NB-Event-Id``.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from genesys_nb.audit.writer import REDACTED, mask_values, scrub_mapping, secret_strings

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.api.models import Action
    from genesys_nb.api.result import ExecutionResult

SOURCE_HEADER = "X-Source"
SIGNATURE_HEADER = "X-Genesys-NB-Signature"
TIMESTAMP_HEADER = "X-Genesys-NB-Timestamp"
EVENT_ID_HEADER = "X-Genesys-NB-Event-Id"


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with ``secret`` over ``b"<timestamp>." + body``."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(body: bytes, headers: Mapping[str, str], secret: str, *, tolerance_s: float = 300,
           now: float | None = None) -> bool:
    """For receivers: True when the signature matches the raw body and the timestamp is recent.

    ``headers`` may be any mapping (case-insensitive lookup). ``tolerance_s`` bounds the age of the
    timestamp (replayed captures are refused); use ``tolerance_s=float("inf")`` to skip that check.
    """
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    stamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    if not signature.startswith("sha256=") or not stamp.strip().lstrip("-").isdigit():
        return False
    timestamp = int(stamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(body, secret, timestamp), signature)


def _strip_values(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _strip_values(v) for k, v in value.items() if k != "value"}
    if isinstance(value, list):
        return [_strip_values(v) for v in value]
    return value


def build_row_payload(result: ExecutionResult, *, run_id: str, row_id: str | None,
                      action: Action | None = None, action_id: str | None = None,
                      params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The per-row body: ``{actionId, runId, rowId, success, result}`` with nothing secret in it.

    For a secure action the output is redacted, field errors lose their values and, when the
    row's ``params`` are given, any input value quoted in a message is masked.
    """
    public = result.to_dict()
    if getattr(action, "secure", False):
        public["output"] = REDACTED if public.get("output") is not None else None
        public["errors"] = _strip_values(public.get("errors") or [])  # field errors can echo inputs
        public = mask_values(public, secret_strings(params))
    public = scrub_mapping(public)
    return {"actionId": getattr(action, "id", None) or action_id or result.action_id, "runId": run_id, "rowId": row_id,
            "success": bool(result.ok), "result": public}


def _safe_url(url: str) -> str:
    """The URL without credentials, query or fragment: what may be written to the outbox."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _headers(body: bytes, event_id: str, secret: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", SOURCE_HEADER: "genesys-nb", EVENT_ID_HEADER: event_id}
    if secret:
        timestamp = int(time.time())
        headers[TIMESTAMP_HEADER] = str(timestamp)
        headers[SIGNATURE_HEADER] = sign(body, secret, timestamp)
    return headers
