"""What an earlier regression run recorded: each side's answer back from its audit record, for a resume."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from genesys_nb.audit._files import iter_lines
from genesys_nb.audit.records import KIND_KEY, resume_state
from genesys_nb.run._regress_compare import SideResult

__all__ = ["recorded_sides", "unflatten"]


def unflatten(flat: Any) -> Any:
    """The nested output back from the audit's dotted keys (``{"a.b": 1}`` -> ``{"a": {"b": 1}}``)."""
    if not isinstance(flat, dict):
        return flat
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        target = nested
        *parents, last = str(key).split(".")
        for part in parents:
            child = target.get(part)
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child
        target[last] = value
    return nested


def recorded_sides(path: Path, run_id: str) -> tuple[dict[str, SideResult], set[str]]:
    """(side row id -> its recorded answer, side row ids sent and never recorded) of ``run_id`` in ``path``."""
    state = resume_state(path, run_id)
    recorded: dict[str, SideResult] = {}
    skipped: list[dict[str, Any]] = []
    for records in iter_lines(path, skipped):
        for record in records:
            if not isinstance(record, dict) or record.get("run_id") != run_id or record.get(KIND_KEY):
                continue
            key = str(record.get("row_id") or "")
            if key not in state.done:
                continue
            recorded[key] = SideResult(
                ok=bool(record.get("success")), output=unflatten(record.get("output")),
                error_class=record.get("error_class"), error_code=record.get("error_code"),
                error_message=record.get("error_message"), status_code=record.get("status_code"),
                latency_ms=record.get("latency_ms"),
            )
    unknown = {key for key in state.unknown if key not in recorded}
    return recorded, unknown
