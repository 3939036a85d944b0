"""Replaying a webhook outbox: every saved event delivered once (with retries), and the outbox
rewritten atomically with what still failed, plus any event appended while the replay ran.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from genesys_nb.api.network import network_policy
from genesys_nb.audit import jsonsafe
from genesys_nb.run._webhook_delivery import _deliver, _locked, _Poster, _sleep
from genesys_nb.run._webhook_signing import Secret, _signer


@dataclass
class ReplayReport:
    """What :func:`replay` did; ``remaining`` events are still in the outbox."""

    total: int = 0
    delivered: int = 0
    failed: int = 0
    unreadable: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.failed + self.unreadable

    def __str__(self) -> str:
        text = f"{self.delivered} of {self.total} event(s) delivered, {self.failed} still failing"
        return text + (f", {self.unreadable} unreadable line(s) kept" if self.unreadable else "")


def replay(outbox_path: str | os.PathLike[str], url: str | None = None, secret: Secret | None = None, *,
           unsigned: bool = False, transport: httpx.BaseTransport | None = None, timeout_s: float = 5.0,
           max_retries: int = 3, backoff_s: float = 0.5, backoff_max_s: float = 8.0) -> ReplayReport:
    """Deliver every event of an outbox once (with retries); rewrite the outbox atomically with the
    events that still failed, plus any appended while the replay ran.

    Each event is signed afresh with ``secret`` (the outbox never holds a signature) and keeps the
    ``webhook-id`` saved with it, so a receiver drops one it already has. Without a secret the
    replay refuses (ValueError) unless ``unsigned=True`` says the receiver takes unsigned events.
    ``url`` overrides the URL saved with each event (saved without query or credentials).
    """
    if secret is None and not unsigned:
        raise ValueError("replay needs the signing secret the run used (secret=...); pass unsigned=True "
                         "only if the receiver accepts unsigned events")
    if secret is not None and unsigned:
        raise ValueError("pass either secret= or unsigned=True, not both")
    signer = None if secret is None else _signer(secret)
    path = Path(outbox_path)
    if not path.exists():
        raise FileNotFoundError(f"webhook outbox not found: {path}")
    report = ReplayReport()
    data = path.read_bytes()
    consumed = len(data)
    keep: list[bytes] = []
    # The proxy and CA rules, unless a transport is given; one kept-alive pool for the whole replay.
    poster = _Poster(transport if transport is not None else network_policy(None).transport(), timeout_s)
    try:
        for line in data.splitlines():
            if not line.strip():
                continue
            try:
                entry = orjson.loads(line)
                body = entry["body"].encode("utf-8")
                event_id = str(entry["event_id"])
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
                report.unreadable += 1
                keep.append(line)
                continue
            report.total += 1
            target = url or entry.get("url")
            if not target:
                report.failed += 1
                report.errors.append(f"{event_id}: no URL saved; pass url=")
                keep.append(line)
                continue
            parsed, fixed = _Poster.target(target)
            outcome = _deliver(poster, parsed, body, event_id, signer, fixed=fixed, max_retries=max_retries,
                               backoff_s=backoff_s, backoff_max_s=backoff_max_s, wait=_sleep)
            if outcome.ok:
                report.delivered += 1
                continue
            report.failed += 1
            report.errors.append(f"{event_id}: {outcome.error}")
            entry.update(attempts=int(entry.get("attempts") or 0) + outcome.attempts,
                         last_status=outcome.status_code, last_error=outcome.error)
            keep.append(jsonsafe.dumps(entry))
    finally:
        poster.close()
    with _locked(path):
        current = path.read_bytes()
        appended = current[consumed:] if current[:consumed] == data else b""
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(b"".join(line + b"\n" for line in keep) + appended)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    return report
