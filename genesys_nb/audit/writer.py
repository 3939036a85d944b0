"""Audit log writer: one NDJSON record per finished row, crash-safe appends, redaction.

Writing: each record is serialised to one line and handed to the OS in a single ``os.write`` on a
file opened with ``O_APPEND``, so a crash can at worst leave one torn *last* line, never a
half-interleaved record. A writer that re-opens a file ending in a torn line first closes it with a
newline, so the fragment stays on its own line and the reader can skip it.

Reading lives in :mod:`genesys_nb.audit.reader` (:func:`read_audit`, :func:`terminal_row_ids`,
:func:`to_parquet`); those names stay importable from here, and :meth:`AuditLog.read` is a
shortcut to :func:`read_audit`.
"""
from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from genesys_nb.audit import jsonsafe
from genesys_nb.audit.reader import (
    PathLike,
    audit_files,
    iter_lines,
    read_audit,
    terminal_row_ids,
    to_parquet,
)
from genesys_nb.audit.records import build_intent, build_webhook_state
from genesys_nb.audit.redaction import (
    REDACTED,
    Redactor,
    apply_redaction,
    mask_values,
    scrub_mapping,
    scrub_secrets,
    secret_strings,
)
from genesys_nb.audit.segments import is_audit_folder, lock_shared, segment_path
from genesys_nb.contract.paths import flatten_dotted

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from typing_extensions import Self

    from genesys_nb.api.models import Action
    from genesys_nb.api.result import ExecutionResult

SCHEMA_VERSION = 1
_ORJSON_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_MAX_OPEN_SEGMENTS = 32  # a folder log writing to more runs than this at once reopens them as needed
WEBHOOK_STATES = ("none", "delivered", "failed", "pending")

# Exact record keys, in the order they are written.
RECORD_KEYS: tuple[str, ...] = (
    "schema_version", "timestamp", "run_id", "row_id", "action_id", "action_name", "action_version",
    "success", "status_code", "error_class", "error_code", "error_message", "latency_ms", "total_ms",
    "queue_ms", "attempts", "retry_wait_ms", "timeout_ms", "correlation_id", "params", "output_keys", "error_count",
    "webhook", "expected_invalid", "output",
)

def _isoformat_z(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        if type(value) is datetime and value.year >= 1000:
            # The same text as the strftime below ("+00:00" -> "Z"), in less than half the time.
            return value.isoformat(timespec="microseconds")[:-6] + "Z"
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    raise TypeError(f"timestamp must be a datetime or ISO string, got {type(value).__name__}")


def flatten_output(output: Any, prefix: str = "") -> Any:
    """Flatten nested objects into dotted keys (``{"a": {"b": 1}}`` -> ``{"a.b": 1}``); lists stay."""
    return flatten_dotted(output, prefix) if isinstance(output, Mapping) else output


def build_record(
    result: ExecutionResult,
    *,
    run_id: str,
    row_id: str,
    action: Action | None = None,
    params: Mapping[str, Any] | None = None,
    expected_invalid: bool = False,
    webhook: str = "none",
    redact_secure: bool = True,
) -> dict[str, Any]:
    """Build the audit record (schema version 1) for one finished row; pure, no I/O."""
    if webhook not in WEBHOOK_STATES:
        raise ValueError(f"webhook must be one of {WEBHOOK_STATES}, got {webhook!r}")
    output = flatten_output(result.output)
    if output is not None and not isinstance(output, dict):
        output = {"value": output}  # the record's output is always an object or null
    errors = getattr(result, "errors", None) or []
    secure = bool(getattr(action, "secure", False)) and redact_secure
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "timestamp": _isoformat_z(getattr(result, "timestamp", None)),
        "run_id": run_id,
        "row_id": row_id,
        "action_id": getattr(action, "id", None) or result.action_id,
        "action_name": getattr(action, "name", None),
        "action_version": getattr(action, "version", None),
        "success": bool(result.ok),
        "status_code": result.status_code,
        "error_class": result.error_class,
        "error_code": result.error_code,
        "error_message": result.error_message,
        "latency_ms": float(result.latency_ms),
        "total_ms": float(result.total_ms),
        "queue_ms": float(getattr(result, "queue_ms", 0.0) or 0.0),
        "attempts": int(result.attempts),
        "retry_wait_ms": float(result.retry_wait_ms),
        "timeout_ms": int(result.timeout_ms),
        "correlation_id": result.correlation_id,
        "params": REDACTED if secure else dict(params or {}),
        "output_keys": list(output) if isinstance(output, dict) else [],
        "error_count": len(errors),
        "webhook": webhook,
        "expected_invalid": bool(expected_invalid),
        "output": REDACTED if (secure and output is not None) else output,
    }
    if secure:  # platform messages may quote the input that failed ("'1234' does not match ...")
        record["error_message"] = mask_values(record["error_message"], secret_strings(params))
    return record


class AuditLog:
    """Append-only NDJSON audit log writer; safe to share between threads and asyncio tasks.

    ``path`` is a folder (an existing one, or a path without a suffix such as ``"runs/audit"``): each
    record goes to its run's segment, ``<run_id>.ndjson`` (see :mod:`genesys_nb.audit.segments`), so a
    run never reads another run's records. A path with a suffix (``audit.ndjson``) is one file that
    holds every run, the layout before folders, which keeps working.

    >>> # with AuditLog("out/audit.ndjson") as audit: audit.write_result(result, run_id=..., ...)
    """

    def __init__(
        self,
        path: PathLike,
        *,
        fsync: bool = False,
        redact: Redactor = None,
        redact_secure: bool = True,
    ) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.redact = redact
        self.redact_secure = redact_secure
        self.records_written = 0
        self._lock = threading.Lock()
        # A folder holds one segment per run (see genesys_nb.audit.segments); a file holds every run.
        self.folder = is_audit_folder(self.path)
        self._fds: dict[Path, int] = {}
        self._targets: dict[Any, Path] = {}  # run id -> its segment
        self._closed = False
        if self.folder:
            self.path.mkdir(parents=True, exist_ok=True)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open(self.path)

    @property
    def _fd(self) -> int | None:  # the single file's descriptor (None in a folder or once closed)
        return None if self.folder else self._fds.get(self.path)

    def _open(self, target: Path) -> int:
        """Open ``target`` for appending (a segment: under a shared lock that compaction respects)."""
        while True:
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            if not self.folder or not lock_shared(fd):
                break
            try:  # compaction may have archived and removed the segment while we waited for the lock
                if os.stat(target).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        if len(self._fds) >= _MAX_OPEN_SEGMENTS:
            for old in list(self._fds.values()):
                os.close(old)
            self._fds.clear()
        self._fds[target] = fd
        self._close_torn_line(fd, target)
        return fd

    def _close_torn_line(self, fd: int, target: Path) -> None:
        # A crash mid-write leaves a fragment without "\n"; end it so the next record starts a line.
        size = os.fstat(fd).st_size
        if size:
            with open(target, "rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    self._write_fd(fd, b"\n")

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        layout = ", folder" if self.folder else ""
        return f"AuditLog(path={str(self.path)!r}{layout}, records_written={self.records_written}, {state})"

    def _write_fd(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:  # regular files take the whole buffer in one write; loop only on a short write
            written = os.write(fd, view)
            view = view[written:]
        if self.fsync:
            os.fsync(fd)

    def _write_bytes(self, data: bytes, run_id: Any = None) -> None:
        with self._lock:
            if self._closed:
                raise ValueError(f"audit log {self.path} is closed")
            target = self.path
            if self.folder:
                target = self._targets.get(run_id) or self._targets.setdefault(run_id, segment_path(self.path, run_id))
            fd = self._fds.get(target)
            self._write_fd(self._open(target) if fd is None else fd, data)

    def write_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Redact, scrub and append one record as one line; returns what was written."""
        return self._append(dict(record))  # the caller's mapping is left as it was

    def _append(self, record: dict[str, Any]) -> dict[str, Any]:
        """write_record for a record this log owns (changed in place)."""
        final = apply_redaction(record, self.redact)
        final = scrub_secrets(final)
        line = jsonsafe.dumps(final, option=_ORJSON_OPTS) + b"\n"
        self._write_bytes(line, final.get("run_id"))
        self.records_written += 1
        return final

    def write_result(
        self,
        result: ExecutionResult,
        *,
        run_id: str,
        row_id: str,
        action: Action | None = None,
        params: Mapping[str, Any] | None = None,
        expected_invalid: bool = False,
        webhook: str = "none",
    ) -> dict[str, Any]:
        """Build the record for a finished row from its ExecutionResult and append it."""
        record = build_record(
            result, run_id=run_id, row_id=row_id, action=action, params=params,
            expected_invalid=expected_invalid, webhook=webhook, redact_secure=self.redact_secure,
        )
        return self._append(record)  # freshly built: no copy needed

    def write_intent(self, *, run_id: str, row_id: str, action_id: str, attempt: int,
                     request_sha256: str) -> dict[str, Any]:
        """Append the ``sending`` record of one attempt, before its request leaves (see audit.records)."""
        return self._append(build_intent(run_id=run_id, row_id=row_id, action_id=action_id, attempt=attempt,
                                         request_sha256=request_sha256))

    def write_webhook_state(self, *, run_id: str, row_id: str, state: str, event_id: str | None = None
                            ) -> dict[str, Any]:
        """Append the settled state (delivered or failed) of a row's webhook event."""
        return self._append(build_webhook_state(run_id=run_id, row_id=row_id, state=state, event_id=event_id))

    async def awrite_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Async append: inline when cheap, in a thread when fsync would block the event loop."""
        if self.fsync:
            return await asyncio.to_thread(self.write_record, record)
        return self.write_record(record)

    async def awrite_result(self, result: ExecutionResult, **kwargs: Any) -> dict[str, Any]:
        if self.fsync:
            return await asyncio.to_thread(self.write_result, result, **kwargs)
        return self.write_result(result, **kwargs)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for fd in self._fds.values():
                os.close(fd)  # closing the descriptor releases a segment's lock
            self._fds.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def read(paths: PathLike | Iterable[PathLike], **kwargs: Any) -> pd.DataFrame:
        """Read one or more audit files (or a folder) into a typed DataFrame; see :func:`read_audit`."""
        return read_audit(paths, **kwargs)


__all__ = [
    "RECORD_KEYS",
    "REDACTED",
    "SCHEMA_VERSION",
    "WEBHOOK_STATES",
    "AuditLog",
    "apply_redaction",
    "audit_files",
    "build_record",
    "flatten_output",
    "iter_lines",
    "mask_values",
    "read_audit",
    "scrub_mapping",
    "scrub_secrets",
    "secret_strings",
    "terminal_row_ids",
    "to_parquet",
]
