"""Finding audit files and scanning their lines: folders expanded, unreadable lines (a torn last
line after a crash) reported instead of raised, and the row ids a resumed run must skip.

:func:`terminal_row_ids` reads only ``run_id``/``row_id`` (pyarrow when the file allows it,
line by line otherwise).
"""
from __future__ import annotations

import gc
import glob
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Union

import orjson

PathLike = Union[str, os.PathLike]  # noqa: UP007

_AUDIT_SUFFIXES = (".ndjson", ".jsonl", ".parquet")


def audit_files(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    """Expand a file, a folder (``*.ndjson``, ``*.jsonl``, ``*.parquet``, and an audit folder's Parquet
    ``archive/``), a glob (``runs/*.ndjson``) or a list of any of them."""
    from genesys_nb.audit.segments import archive_parts

    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found.extend(archive_parts(path))
            found.extend(sorted(p for p in path.iterdir() if p.suffix in _AUDIT_SUFFIXES and p.is_file()))
        elif path.exists():
            found.append(path)
        elif any(c in str(item) for c in "*?["):
            matches = sorted(Path(p) for p in glob.glob(str(item), recursive=True) if Path(p).is_file())
            if not matches:
                raise FileNotFoundError(f"no audit file matches {item}")
            found.extend(matches)
        else:
            raise FileNotFoundError(f"audit log not found: {path} (give a file, a folder or a list of them)")
    return found


def is_archive(path: Path) -> bool:
    """A Parquet file of the audit archive (every record, ``kind`` included), not a read_audit export."""
    import pyarrow.parquet as pq

    return path.suffix == ".parquet" and "kind" in pq.read_schema(path).names


def archive_records(path: Path, run_id: str | None = None) -> list[dict[str, Any]]:
    """The records of an archive part (one run's, when given) as dicts, in their segment order."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from genesys_nb.audit._columns import _COLUMN_KINDS as terminal  # a result's keys (writer.RECORD_KEYS)

    table = pq.read_table(path)
    if run_id is not None:
        table = table.filter(pc.equal(table["run_id"], run_id))
    if "seq" in table.column_names:
        table = table.sort_by("seq")
    records = []
    for record in table.to_pylist():
        for name in ("params", "output"):
            if isinstance(record.get(name), str):
                record[name] = orjson.loads(record[name])
        extra = record.pop("extra", None)
        if isinstance(extra, str):
            record.update(orjson.loads(extra))
        stamp = record.get("timestamp")
        if hasattr(stamp, "isoformat"):
            record["timestamp"] = stamp.isoformat(timespec="microseconds").replace("+00:00", "Z")
        # A key whose value is null reads as absent, except a result's own keys (always written).
        keep = terminal if record.get("kind") is None else ()
        records.append({k: v for k, v in record.items()
                        if k not in ("seq", "date", "run") and (v is not None or k in keep)})
    return records


def run_records(file: Path, run_id: str, skipped: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Chunks of ``run_id``'s records in one file (NDJSON, or an archive part), in file order."""
    if file.suffix == ".parquet":
        if is_archive(file):
            yield archive_records(file, run_id)
        else:  # a read_audit export holds terminal records only
            import pandas as pd

            frame = pd.read_parquet(file, columns=["run_id", "row_id"])
            yield [{"run_id": run_id, "row_id": row_id}
                   for row_id in frame.loc[frame["run_id"].astype(object) == run_id, "row_id"].astype(str)]
        return
    for records in iter_lines(file, skipped):
        yield [r for r in records if r.get("run_id") == run_id]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building millions of small dicts (it otherwise dominates parse time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def iter_lines(path: Path, skipped: list[dict[str, Any]], chunk_lines: int = 200_000) -> Iterator[list[Any]]:
    """Yield lists of parsed records, chunk by chunk; unparsable lines go to ``skipped``."""
    with open(path, "rb") as handle:
        data = handle.read()
    ends_with_newline = data.endswith(b"\n")
    lines = data.split(b"\n")
    del data
    if ends_with_newline:
        lines.pop()
    total = len(lines)
    loads = orjson.loads
    for start in range(0, total, chunk_lines):
        records: list[Any] = []
        append = records.append
        for offset, line in enumerate(lines[start : start + chunk_lines]):
            try:
                value = loads(line)
            except orjson.JSONDecodeError as err:
                if not line.strip():
                    continue
                number = start + offset + 1
                skipped.append({"path": str(path), "line": number,
                                "torn_last_line": number == total and not ends_with_newline,
                                "error": str(err)})
                continue
            if type(value) is dict:
                append(value)
        yield records


def terminal_row_ids(path: PathLike | Iterable[PathLike], run_id: str) -> set[str]:
    """Row ids of ``run_id`` that already have a terminal audit record (intent and webhook-state records,
    which carry a ``kind``, do not count; see :mod:`genesys_nb.audit.records`)."""
    done: set[str] = set()
    skipped: list[dict[str, Any]] = []
    for file in _files_of_run(path, run_id):
        if file.suffix == ".parquet" and is_archive(file):
            done.update(str(r["row_id"]) for r in archive_records(file, run_id) if r.get("row_id") and not r.get("kind"))
            continue
        if file.suffix == ".parquet":
            import pandas as pd

            frame = pd.read_parquet(file, columns=["run_id", "row_id"])
            done.update(frame.loc[frame["run_id"].astype(object) == run_id, "row_id"].astype(str))
            continue
        fast = _row_ids_fast(file, run_id)
        if fast is not None:
            done.update(fast)
            continue
        with _gc_paused():
            for records in iter_lines(file, skipped):
                done.update(r["row_id"] for r in records
                            if r.get("run_id") == run_id and r.get("row_id") and "kind" not in r)
    return done


def _files_of_run(paths: PathLike | Iterable[PathLike], run_id: str) -> list[Path]:
    """Only the run's own files when ``paths`` is one audit folder; else every file (one log holds all runs)."""
    from genesys_nb.audit.segments import is_audit_folder, run_files

    if isinstance(paths, (str, os.PathLike)) and Path(paths).is_dir() and is_audit_folder(paths):
        return run_files(paths, run_id)
    return audit_files(paths)


def _complete_end(data: bytes, path: Path, skipped: list[dict[str, Any]]) -> int:
    """Length of ``data`` without a torn last line (a crash mid-append), which goes to ``skipped``."""
    if not data or data.endswith(b"\n"):
        return len(data)
    start = data.rfind(b"\n") + 1
    try:
        orjson.loads(data[start:])
        return len(data)
    except orjson.JSONDecodeError as err:
        if data[start:].strip():
            skipped.append({"path": str(path), "line": data.count(b"\n", 0, start) + 1,
                            "torn_last_line": True, "error": str(err)})
        return start


def _row_ids_fast(path: Path, run_id: str) -> list[str] | None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    data = path.read_bytes()
    end = _complete_end(data, path, [])
    schema = pa.schema([("run_id", pa.string()), ("row_id", pa.string()), ("kind", pa.string())])
    try:
        table = pj.read_json(pa.BufferReader(pa.py_buffer(data).slice(0, end)), parse_options=pj.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    matching = table.filter(pc.and_kleene(pc.equal(table["run_id"], pa.scalar(run_id, pa.string())),
                                          pc.is_null(table["kind"])))
    return [row_id for row_id in matching["row_id"].to_pylist() if row_id]
