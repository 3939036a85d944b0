"""What a webhook event says, without I/O: its id and the per-row payload, built from a result or
rebuilt from the row's audit record (so events can be re-sent after a crash from the audit alone).
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from genesys_nb.api.result import ExecutionResult
from genesys_nb.audit.records import UNKNOWN
from genesys_nb.audit.writer import REDACTED, mask_values, scrub_mapping, secret_strings
from genesys_nb.contract.cases import _set_path

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.api.models import Action

# Fixed: the ids of one (run_id, row_id) must be the same in every process and every version.
EVENT_NAMESPACE = uuid.UUID("6c1f0d0e-4b0a-5f57-9a43-6e6573797320")
_MAX_EVENT_ID = 256


def event_id_for(run_id: str, row_id: str | None, *, unknown: bool = False) -> str:
    """The ``webhook-id`` of a row's event: ``evt_<uuid5 of (run_id, row_id)>``.

    The same row of the same run always gets the same id (an event re-sent after a crash, or
    replayed from the outbox, is recognisably the same), and ``row_id=None`` (a run's summary)
    gets an id of its own. ``unknown=True`` is the id of the event announcing that a row's outcome
    is unknown (sent before a crash, never recorded): an id of its own, so the row's real outcome,
    when a later resume sends it again, is a new event rather than a duplicate. The id is safe in
    a header whatever the run and row ids contain.
    """
    parts: list[str | None] = [str(run_id), None if row_id is None else str(row_id)]
    if unknown:
        parts.append(UNKNOWN)
    name = json.dumps(parts, ensure_ascii=True)
    return "evt_" + uuid.uuid5(EVENT_NAMESPACE, name).hex


def row_status(ok: bool, error_class: str | None) -> str:
    """A row event's ``status``: ``ok``, ``failed``, or ``unknown`` (sent before a crash, never recorded)."""
    if ok:
        return "ok"
    return UNKNOWN if error_class == UNKNOWN else "failed"


def _check_event_id(event_id: str) -> str:
    text = str(event_id)
    if not text or len(text) > _MAX_EVENT_ID or not all("!" <= ch <= "~" for ch in text):
        raise ValueError(f"event_id must be 1..{_MAX_EVENT_ID} visible ASCII characters (no spaces), "
                         f"got {text[:40]!r}")
    return text


def _strip_values(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _strip_values(v) for k, v in value.items() if k != "value"}
    if isinstance(value, list):
        return [_strip_values(v) for v in value]
    return value


def build_row_payload(result: ExecutionResult, *, run_id: str, row_id: str | None,
                      action: Action | None = None, action_id: str | None = None,
                      params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The per-row body: ``{actionId, runId, rowId, success, status, result}`` with nothing secret in it.

    ``status`` is ``ok``, ``failed`` or ``unknown`` (see :func:`row_status`).

    For a secure action the output is redacted, field errors lose their values and, when the
    row's ``params`` are given, any input value quoted in a message is masked.
    """
    public = result.to_dict()
    if getattr(action, "secure", False):
        public["output"] = REDACTED if public.get("output") is not None else None
        public["errors"] = _strip_values(public.get("errors") or [])  # field errors can echo inputs
        public = mask_values(public, secret_strings(params))
    public = scrub_mapping(public)
    return {"actionId": getattr(action, "id", None) or action_id or result.action_id, "runId": run_id,
            "rowId": row_id, "success": bool(result.ok), "status": row_status(result.ok, result.error_class),
            "result": public}


def _unflatten(output: Any) -> Any:
    """The audit record's dotted output keys (``{"a.b": 1}``) nested again (``{"a": {"b": 1}}``)."""
    if not isinstance(output, Mapping):
        return output
    nested: dict[str, Any] = {}
    for key, value in output.items():
        _set_path(nested, str(key), value)
    return nested


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str) and value:
        text = value[:-1] + "+00:00" if value.endswith("Z") else value
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    raise ValueError(f"the record's timestamp is not an ISO 8601 time: {value!r}")


def payload_from_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The payload :func:`build_row_payload` made for a row, rebuilt from the row's audit record.

    Kept by the record, and so equal to the original: actionId, runId, rowId, success and the
    result's action_id, ok, output (nested again from the record's dotted keys), status_code,
    error_class, error_code, error_message, correlation_id, latency_ms, total_ms, attempts,
    retry_wait_ms, timeout_ms and timestamp. Not kept by the record: ``errors`` (rebuilt as
    ``[]``), ``retry_after_s`` and ``rate_limit`` (None) and ``request_sent`` (True). A secure
    action's record (params ``"<redacted>"``) gives the redacted output, as the original did.
    """
    missing = [key for key in ("run_id", "row_id", "action_id", "success", "timestamp") if key not in record]
    if missing:
        raise ValueError(f"not an audit record: no {', '.join(missing)}")
    secure = record.get("params") == REDACTED or record.get("output") == REDACTED
    output = record.get("output")
    result = ExecutionResult(
        action_id=str(record["action_id"]), ok=bool(record["success"]),
        output=REDACTED if output == REDACTED else _unflatten(output),
        status_code=record.get("status_code"), error_class=record.get("error_class"),
        error_code=record.get("error_code"), error_message=record.get("error_message"),
        correlation_id=record.get("correlation_id"),
        latency_ms=float(record.get("latency_ms") or 0.0), total_ms=float(record.get("total_ms") or 0.0),
        attempts=int(record.get("attempts") or 1), retry_wait_ms=float(record.get("retry_wait_ms") or 0.0),
        timeout_ms=int(record.get("timeout_ms") or 30000), timestamp=_timestamp(record["timestamp"]),
    )
    action = SimpleNamespace(id=str(record["action_id"]), secure=secure)
    row_id = record["row_id"]
    return build_row_payload(result, run_id=str(record["run_id"]), row_id=None if row_id is None else str(row_id),
                             action=action)  # type: ignore[arg-type]
