"""The audit log's other records: a ``sending`` intent before each request leaves, a ``webhook`` state
after a row's event settles, an ``unknown`` outcome found on resume; and what a resume reads from them.

A terminal record (one per finished row, :func:`genesys_nb.audit.writer.build_record`) has no
``kind`` key. Every other record has one, and every reader (:func:`read_audit`, the runner's result
table, :func:`terminal_row_ids`) leaves them out of the rows it shows::

    {"schema_version": 1, "kind": "sending", "timestamp": ..., "run_id": ..., "row_id": ...,
     "action_id": ..., "attempt": 1, "request_sha256": "<sha256 of the exact body sent>"}
    {"schema_version": 1, "kind": "webhook", "timestamp": ..., "run_id": ..., "row_id": ...,
     "webhook": "delivered" | "failed", "event_id": ...}

A row whose last record is a ``sending`` intent was sent and never recorded (the process was
killed, or cancelled in flight): its outcome is unknown. A resumed run does not send it again unless
the action is idempotent or the caller asks (``rerun_unknown=True``); it writes an ``unknown``
terminal record for it (``error_class="unknown"``) so the table and the report show it.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from genesys_nb.audit._files import PathLike, _files_of_run, _gc_paused, audit_files, iter_lines, run_records

__all__ = ["KIND_KEY", "SENDING", "UNKNOWN", "WEBHOOK", "ResumeState", "build_intent", "build_webhook_state",
           "resume_state", "run_ids", "terminal_table"]

SCHEMA_VERSION = 1
KIND_KEY = "kind"
SENDING = "sending"
WEBHOOK = "webhook"
UNKNOWN = "unknown"  # the error class of a row sent before a crash and never recorded
SETTLED_WEBHOOK_STATES = ("delivered", "failed")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_intent(*, run_id: str, row_id: str, action_id: str, attempt: int, request_sha256: str) -> dict[str, Any]:
    """The write-ahead record of one attempt, appended before the request leaves."""
    return {"schema_version": SCHEMA_VERSION, KIND_KEY: SENDING, "timestamp": _now(), "run_id": run_id,
            "row_id": row_id, "action_id": action_id, "attempt": int(attempt), "request_sha256": request_sha256}


def build_webhook_state(*, run_id: str, row_id: str, state: str, event_id: str | None = None) -> dict[str, Any]:
    """The settled delivery state of a row's webhook event, appended when it is known."""
    if state not in SETTLED_WEBHOOK_STATES:
        raise ValueError(f"a settled webhook state is one of {SETTLED_WEBHOOK_STATES}, got {state!r}")
    return {"schema_version": SCHEMA_VERSION, KIND_KEY: WEBHOOK, "timestamp": _now(), "run_id": run_id,
            "row_id": row_id, "webhook": state, "event_id": event_id}


def terminal_table(table: Any) -> Any:
    """A pyarrow table of records without its intent and webhook-state rows (and its ``kind`` column), each
    row's ``webhook`` at its settled state. The table needs ``kind``, ``run_id``, ``row_id`` and ``webhook``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kinds = table.column("kind")
    if kinds.null_count == table.num_rows:
        return table.drop_columns(["kind"])
    settled: dict[tuple[Any, Any], Any] = {}
    for run_id, row_id, kind, state in zip(table.column("run_id").to_pylist(), table.column("row_id").to_pylist(),
                                           kinds.to_pylist(), table.column("webhook").to_pylist()):
        if kind == "webhook":
            settled[(run_id, row_id)] = state
    table = table.filter(pc.is_null(kinds)).drop_columns(["kind"])
    if settled:
        states = [settled.get((run_id, row_id), state) for run_id, row_id, state in zip(
            table.column("run_id").to_pylist(), table.column("row_id").to_pylist(),
            table.column("webhook").to_pylist())]
        position = table.schema.get_field_index("webhook")
        table = table.set_column(position, table.schema.field(position), pa.array(states, pa.string()))
    return table


@dataclass
class ResumeState:
    """What the audit says about one run's rows, for a resume."""

    done: set[str] = field(default_factory=set)  # a terminal record other than "unknown"
    unknown: dict[str, int] = field(default_factory=dict)  # sent, never recorded: row id -> attempts sent
    recorded_unknown: set[str] = field(default_factory=set)  # unknown rows that already have their record
    webhook_pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # row id -> its terminal record

    @property
    def seen(self) -> set[str]:
        return self.done | set(self.unknown)


def resume_state(paths: PathLike | Iterable[PathLike], run_id: str) -> ResumeState:
    """Read one run's records in file order: done rows, rows of unknown outcome, webhooks not settled."""
    state = ResumeState()
    last_kind: dict[str, str] = {}
    attempts: dict[str, int] = {}
    pending: dict[str, dict[str, Any]] = {}
    settled: set[str] = set()
    skipped: list[dict[str, Any]] = []
    for file in _files_of_run(paths, run_id):
        with _gc_paused():
            for records in run_records(file, run_id, skipped):
                for record in records:
                    if record.get("run_id") != run_id or not record.get("row_id"):
                        continue
                    row_id = str(record["row_id"])
                    kind = record.get(KIND_KEY)
                    if kind == SENDING:
                        last_kind[row_id] = SENDING
                        attempts[row_id] = max(attempts.get(row_id, 0), int(record.get("attempt") or 1))
                    elif kind == WEBHOOK:  # may land before its row's record: delivery can be that quick
                        settled.add(row_id)
                    elif kind is None:
                        last_kind[row_id] = UNKNOWN if record.get("error_class") == UNKNOWN else "result"
                        if record.get("webhook") == "pending":
                            pending[row_id] = record
                        else:
                            pending.pop(row_id, None)
    for row_id, kind in last_kind.items():
        if kind == "result":
            state.done.add(row_id)
        else:
            state.unknown[row_id] = attempts.get(row_id, 0)
            if kind == UNKNOWN:
                state.recorded_unknown.add(row_id)
    state.webhook_pending = {row_id: record for row_id, record in pending.items()
                             if (row_id in state.done or row_id in state.recorded_unknown) and row_id not in settled}
    return state


def run_ids(paths: PathLike | Iterable[PathLike]) -> list[str]:
    """The run ids an audit log holds, in the order they first appear (an audit folder: its segments and
    archive partitions, without reading them)."""
    from genesys_nb.audit.segments import archive_parts, is_audit_folder, run_id_of_segment, segments

    seen: dict[str, None] = {}
    if isinstance(paths, (str, os.PathLike)) and Path(paths).is_dir() and is_audit_folder(paths):
        from urllib.parse import unquote

        seen.update(dict.fromkeys(unquote(p.parent.name[len("run="):]) for p in archive_parts(paths)))
        seen.update(dict.fromkeys(run_id_of_segment(p) for p in segments(paths)))
        return list(seen)
    skipped: list[dict[str, Any]] = []
    for file in audit_files(paths):
        if file.suffix == ".parquet":
            import pandas as pd

            seen.update(dict.fromkeys(str(v) for v in pd.read_parquet(file, columns=["run_id"])["run_id"].unique()))
            continue
        for records in iter_lines(file, skipped):
            seen.update(dict.fromkeys(str(r["run_id"]) for r in records if r.get("run_id")))
    return list(seen)
