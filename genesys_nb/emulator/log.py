"""The emulator's request log: one entry per request, with what was decided (never a token)."""
from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    """One request as the emulator saw it.

    ``status`` is None when the connection was dropped without an answer. ``executed`` says whether
    the action's effect happened (True for a reset *after* executing, a slow answer, a 500/504).
    ``body_sha256`` hashes the request body, so repeated sends of the same input can be counted.
    """

    seq: int
    time: float  # wall clock, seconds since the epoch
    method: str
    path: str
    operation: str  # token, list, get, schema, categories, execute, test, unknown
    action_id: str | None
    token_id: str | None
    status: int | None
    fault: str | None
    body_sha256: str | None
    executed: bool
    correlation_id: str | None
    delay_ms: float

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["time"] = datetime.fromtimestamp(self.time, tz=timezone.utc).isoformat().replace("+00:00", "Z")
        return out


class RequestLog:
    """A bounded, append-only list of entries (oldest dropped first beyond ``max_entries``)."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self._entries: deque[RequestLogEntry] = deque(maxlen=max_entries)
        self._next_seq = 0

    def append(self, **fields: Any) -> RequestLogEntry:
        entry = RequestLogEntry(seq=self._next_seq, **fields)
        self._next_seq += 1
        self._entries.append(entry)
        return entry

    def entries(self, since: int = 0) -> list[RequestLogEntry]:
        return [entry for entry in self._entries if entry.seq >= since]

    @property
    def next_seq(self) -> int:
        return self._next_seq

    def clear(self) -> None:
        self._entries.clear()
        self._next_seq = 0
