"""The audit folder: one NDJSON segment per run, a Parquet archive beside them.

::

    audit/                                   AuditLog("audit/") writes here
      <run_id>.ndjson                        one segment per run: its intents, results, webhook states
      archive/date=YYYY-MM-DD/run=<run_id>/part-<n>.parquet    compacted runs (genesys-nb audit compact)

A run only ever opens its own segment (and its own archive partition, once compacted), so starting,
resuming and finishing a run cost the same whatever the folder holds. The folder listing is the
index of runs: a segment's name is its run id, URI-encoded (``quote(run_id, safe="-_.")``) so any run
id makes a file name, and the archive's ``run=`` partition uses the same encoding (Hive's).

A single NDJSON file (the layout before the folder) keeps working everywhere; ``genesys-nb audit
migrate FILE FOLDER`` splits one into segments without losing a line.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union
from urllib.parse import quote, unquote

PathLike = Union[str, os.PathLike]  # noqa: UP007

__all__ = ["ARCHIVE", "NO_RUN", "archive_parts", "is_audit_folder", "lock_shared", "run_files",
           "run_id_of_segment", "segment_path", "segments", "try_lock_exclusive"]

ARCHIVE = "archive"
SEGMENT_SUFFIX = ".ndjson"
NO_RUN = "_no_run_id"  # the segment of a record written without a run id (write_record of a bare mapping)


def is_audit_folder(path: PathLike) -> bool:
    """A folder layout: an existing folder, or a path not yet there that has no file suffix."""
    path = Path(path)
    if path.exists():
        return path.is_dir()
    return path.suffix == "" or str(path).endswith(os.sep)


def encode_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not run_id:
        return NO_RUN
    return quote(run_id, safe="-_.")


def segment_path(folder: PathLike, run_id: str) -> Path:
    """Where the run's NDJSON segment lives in an audit folder."""
    return Path(folder) / f"{encode_run_id(run_id)}{SEGMENT_SUFFIX}"


def run_id_of_segment(path: PathLike) -> str:
    return unquote(Path(path).name[: -len(SEGMENT_SUFFIX)])


def segments(folder: PathLike) -> list[Path]:
    """The NDJSON segments of an audit folder, oldest first (by modification time, then name)."""
    found = [p for p in Path(folder).glob(f"*{SEGMENT_SUFFIX}") if p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def archive_parts(folder: PathLike, run_id: str | None = None) -> list[Path]:
    """The archive's Parquet files, of one run or of all, in path order."""
    root = Path(folder) / ARCHIVE
    if not root.is_dir():
        return []
    run = "*" if run_id is None else encode_run_id(run_id)
    return sorted(p for p in root.glob(f"date=*/run={run}/*.parquet") if p.is_file())


def run_files(path: PathLike, run_id: str) -> list[Path]:
    """The files that may hold ``run_id``'s records: in a folder, its archive parts and its segment (only
    those); a single file is itself."""
    path = Path(path)
    if not is_audit_folder(path):
        return [path] if path.exists() else []
    segment = segment_path(path, run_id)
    return [*archive_parts(path, run_id), *([segment] if segment.exists() else [])]


def lock_shared(fd: int) -> bool:
    """Hold a shared lock on an open segment while a writer appends to it (compaction takes it exclusively
    and leaves a segment alone while any writer holds it). False where there are no such locks."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: compaction relies on --min-age there
        return False
    fcntl.flock(fd, fcntl.LOCK_SH)
    return True


def try_lock_exclusive(fd: int) -> bool:
    """Take a segment's exclusive lock without waiting: False while a writer has it open."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
