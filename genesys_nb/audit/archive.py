"""The audit folder over time: runs listed, NDJSON segments compacted into a Parquet archive (zstd,
Hive-partitioned by date and run), old runs pruned, everything verified; a single-file log migrated.

The archive's schema is a contract (README, "Parquet archive"): :data:`ARCHIVE_SCHEMA` plus the Hive
partition columns ``date`` (the UTC date of the run's first record) and ``run`` (the run id). Every
record of a segment becomes one row (intents and webhook states too, ``kind`` tells them apart), in
segment order (``seq``), so Spark, Trino, DuckDB, BigQuery or pandas read the archive without
genesys_nb. A record key outside the schema, or a value of the wrong type, is kept as JSON in
``extra``; a line that is not JSON at all (a torn write) is kept as a ``kind = "unreadable"`` row with
its text in ``extra``. Nothing is lost: compaction reads the Parquet back and compares it with the
segment record by record before the segment is removed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from genesys_nb.audit import jsonsafe
from genesys_nb.audit._files import PathLike, archive_records
from genesys_nb.audit.segments import (
    ARCHIVE,
    encode_run_id,
    run_id_of_segment,
    segment_path,
    segments,
    try_lock_exclusive,
)

__all__ = ["ARCHIVE_COLUMNS", "CompactResult", "archive_schema", "compact", "migrate", "prune", "runs", "verify"]

# (column, Arrow type name, what it holds) - the contract, in column order; README lists the same.
ARCHIVE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("seq", "int64", "the record's position in its run's segment (0-based): segment order"),
    ("schema_version", "int64", "record schema version (1)"),
    ("kind", "string", "null for a row's result; 'sending' (intent), 'webhook' (settled state), 'unreadable'"),
    ("timestamp", "timestamp[us, UTC]", "when the record was written"),
    ("run_id", "string", "the run"),
    ("row_id", "string", "the matrix row"),
    ("action_id", "string", "data action id"),
    ("action_name", "string", "data action name"),
    ("action_version", "int64", "data action version"),
    ("success", "bool", "the row succeeded"),
    ("status_code", "int64", "HTTP status of the last attempt"),
    ("error_class", "string", "validation, bad_request, rate_limited, server, timeout, unknown, ..."),
    ("error_code", "string", "the platform's error code"),
    ("error_message", "string", "the platform's message (redacted)"),
    ("latency_ms", "double", "the last attempt's latency"),
    ("total_ms", "double", "every attempt and retry wait"),
    ("queue_ms", "double", "time queued for a pacing slot (null in older records)"),
    ("attempts", "int64", "attempts made"),
    ("retry_wait_ms", "double", "time spent waiting between attempts"),
    ("timeout_ms", "int64", "the timeout asked for"),
    ("correlation_id", "string", "the platform's correlation id"),
    ("params", "string", "the inputs, a JSON object (or the JSON string \"<redacted>\")"),
    ("output_keys", "list<string>", "the output's dotted keys"),
    ("error_count", "int64", "errors in the platform's response"),
    ("webhook", "string", "none, pending, delivered, failed"),
    ("expected_invalid", "bool", "a case derived to be rejected"),
    ("output", "string", "the output, a JSON object with dotted keys"),
    ("attempt", "int64", "an intent's attempt number"),
    ("request_sha256", "string", "an intent's request body hash"),
    ("event_id", "string", "a webhook state's event id"),
    ("extra", "string", "a JSON object of any other key, or of a value that did not fit its column; null when none"),
)
_JSON_COLUMNS = ("params", "output")
_PLAIN = {"int64": int, "double": float, "bool": bool, "string": str}


def archive_schema() -> Any:
    import pyarrow as pa

    types = {"int64": pa.int64(), "double": pa.float64(), "bool": pa.bool_(), "string": pa.string(),
             "timestamp[us, UTC]": pa.timestamp("us", tz="UTC"), "list<string>": pa.list_(pa.string())}
    return pa.schema([(name, types[kind]) for name, kind, _ in ARCHIVE_COLUMNS])


def _parse_stamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        return None
    return stamp.astimezone(timezone.utc)


def _fits(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind == "int64":
        return type(value) is int and -(2**63) <= value < 2**63
    if kind == "double":
        return type(value) in (int, float)
    if kind == "bool":
        return type(value) is bool
    if kind == "string":
        return type(value) is str
    if kind == "list<string>":
        return type(value) is list and all(type(v) is str for v in value)
    return True


def _row(seq: int, record: Any, line: bytes | None = None) -> dict[str, Any]:
    """One record -> one archive row; whatever does not fit a column goes to ``extra``."""
    row: dict[str, Any] = dict.fromkeys(name for name, _, _ in ARCHIVE_COLUMNS)
    row["seq"] = seq
    if not isinstance(record, dict):
        row["kind"] = "unreadable"
        row["extra"] = orjson.dumps({"line": (line or b"").decode("utf-8", "replace")}).decode()
        return row
    extra: dict[str, Any] = {}
    for key, value in record.items():
        kind = next((k for name, k, _ in ARCHIVE_COLUMNS if name == key), None) if key in _KINDS else None
        if kind is None or key in ("seq", "extra"):
            extra[key] = value
        elif key in _JSON_COLUMNS:
            row[key] = None if value is None else jsonsafe.dumps(value).decode()
        elif kind == "timestamp[us, UTC]":
            stamp = _parse_stamp(value)
            if stamp is not None and _stamp_text(stamp) == value:
                row[key] = stamp
            elif value is not None:
                extra[key] = value  # kept as written: only a timestamp that reads back the same is a column
        elif _fits(kind, value):
            row[key] = float(value) if kind == "double" and value is not None else value
        else:
            extra[key] = value
    if extra:
        row["extra"] = jsonsafe.dumps(extra).decode()
    return row


_KINDS = {name: kind for name, kind, _ in ARCHIVE_COLUMNS}


def _stamp_text(stamp: datetime) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _segment_rows(path: Path) -> tuple[list[dict[str, Any]], list[Any]]:
    """Archive rows of a segment, and each line as parsed (the reference the archive is checked against)."""
    rows: list[dict[str, Any]] = []
    parsed: list[Any] = []
    with open(path, "rb") as handle:
        for line in handle:
            text = line.rstrip(b"\n")
            if not text.strip():
                continue
            try:
                record = orjson.loads(text)
            except orjson.JSONDecodeError:
                record = None
            if not isinstance(record, dict):
                record = {"__unreadable__": text.decode("utf-8", "replace")}
                rows.append(_row(len(rows), None, text))
            else:
                rows.append(_row(len(rows), record))
            parsed.append(record)
    return rows, parsed


def _as_written(archived: dict[str, Any]) -> dict[str, Any]:
    """An archive row read back as the record it came from (keys whose value is null are left out)."""
    if archived.get("kind") == "unreadable":
        return {"__unreadable__": orjson.loads(archived["extra"])["line"]}
    return {k: v for k, v in archived.items() if v is not None}


def _same(original: dict[str, Any], archived: dict[str, Any]) -> bool:
    expected = {k: v for k, v in original.items() if v is not None}
    if set(expected) != set(archived):
        return False
    for key, value in expected.items():
        got = archived[key]
        if type(value) is int and type(got) is float and key in _KINDS and _KINDS[key] == "double":
            value = float(value)
        if orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS) != orjson.dumps(
                got, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS):
            return False
    return True


def _read_part(path: Path) -> list[dict[str, Any]]:
    """A part as records (archive_records), unreadable lines as their marker."""
    import pyarrow.parquet as pq

    table = pq.read_table(path).sort_by("seq")
    unreadable = {row["seq"]: row for row in table.filter(_is_unreadable(table)).to_pylist()}
    out = []
    for seq, record in enumerate(archive_records(path)):
        out.append(_as_written(unreadable[seq]) if seq in unreadable else _as_written(record))
    return out


def _is_unreadable(table: Any) -> Any:
    import pyarrow.compute as pc

    return pc.fill_null(pc.equal(table["kind"], "unreadable"), False)


@dataclass(frozen=True)
class CompactResult:
    """What one compaction did."""

    compacted: tuple[str, ...]  # run ids archived (their segments removed)
    skipped: tuple[str, ...]  # runs left as NDJSON: being written, or younger than min_age
    records: int  # records archived
    ndjson_bytes: int  # size of the segments removed
    parquet_bytes: int  # size of the parts written


def _run_date(rows: list[dict[str, Any]], path: Path) -> str:
    """The UTC date the run started: its earliest record (the segment's date when none has a time)."""
    stamps = [row["timestamp"] for row in rows if row.get("timestamp") is not None]
    first = min(stamps) if stamps else datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    return first.strftime("%Y-%m-%d")


def _next_part(partition: Path) -> Path:
    taken = {p.name for p in partition.glob("part-*.parquet")}
    n = 0
    while f"part-{n}.parquet" in taken:
        n += 1
    return partition / f"part-{n}.parquet"


def compact(folder: PathLike, *, min_age_s: float = 0.0, run_ids: list[str] | None = None) -> CompactResult:
    """Archive the folder's NDJSON segments as Parquet; each is removed only once its part reads back
    record for record. A segment a writer holds open (a run in progress) is left alone."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    schema = archive_schema()
    done: list[str] = []
    left: list[str] = []
    records = ndjson_bytes = parquet_bytes = 0
    now = datetime.now(timezone.utc).timestamp()
    for path in segments(folder):
        run_id = run_id_of_segment(path)
        if run_ids is not None and run_id not in run_ids:
            continue
        if now - path.stat().st_mtime < min_age_s:
            left.append(run_id)
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            if not try_lock_exclusive(fd):
                left.append(run_id)
                continue
            rows, parsed = _segment_rows(path)
            if not rows:
                path.unlink()
                continue
            partition = folder / ARCHIVE / f"date={_run_date(rows, path)}" / f"run={encode_run_id(run_id)}"
            partition.mkdir(parents=True, exist_ok=True)
            target = _next_part(partition)
            staging = target.with_name(f".{target.name}.tmp")
            table = pa.Table.from_pylist(rows, schema=schema)
            pq.write_table(table, staging, compression="zstd")
            back = _read_part(staging)
            if len(back) != len(parsed) or not all(_same(a, b) for a, b in zip(parsed, back)):
                staging.unlink()
                raise RuntimeError(f"the Parquet copy of {path} does not read back record for record; "
                                   "the segment is kept")
            os.replace(staging, target)
            size = path.stat().st_size
            path.unlink()
            done.append(run_id)
            records += len(rows)
            ndjson_bytes += size
            parquet_bytes += target.stat().st_size
        finally:
            os.close(fd)
    return CompactResult(tuple(done), tuple(left), records, ndjson_bytes, parquet_bytes)


def runs(folder: PathLike) -> Any:
    """One row per run: where it is (ndjson, parquet), its rows, errors, intents, first and last record,
    its action(s). Read through DuckDB (only these columns)."""
    from genesys_nb.audit.duck import run_table

    return run_table(folder)


def prune(folder: PathLike, older_than: timedelta, *, dry_run: bool = False) -> list[str]:
    """Remove runs whose last record is older than ``older_than`` (segments and archive partitions)."""
    import shutil

    from genesys_nb.audit.segments import archive_parts

    table = runs(folder)
    cutoff = datetime.now(timezone.utc) - older_than
    old = [str(r) for r, last in zip(table["run_id"], table["last"]) if last is not None and last < cutoff]
    if dry_run:
        return old
    for run_id in old:
        segment = segment_path(folder, run_id)
        if segment.exists():
            segment.unlink()
        for part in archive_parts(folder, run_id):
            part.unlink()
            if not any(part.parent.iterdir()):
                shutil.rmtree(part.parent)
                if not any(part.parent.parent.iterdir()):
                    part.parent.parent.rmdir()
    return old


def verify(folder: PathLike) -> list[str]:
    """Problems found: unreadable lines in segments, archive parts that do not match the contract or do
    not read, a run both in a segment and the archive. An empty list means all is well."""
    import pyarrow.parquet as pq

    from genesys_nb.audit.segments import archive_parts

    problems: list[str] = []
    schema = archive_schema()
    for path in segments(folder):
        _, parsed = _segment_rows(path)
        bad = [n for n, record in enumerate(parsed, 1) if "__unreadable__" in record]
        if bad:
            problems.append(f"{path}: {len(bad)} unreadable line(s), first at record {bad[0]} "
                            "(a torn write; compaction keeps it as an 'unreadable' row)")
    for part in archive_parts(folder):
        try:
            found = pq.read_schema(part)
            table = pq.read_table(part, columns=["seq", "run_id"])
        except Exception as err:  # noqa: BLE001 - any failure to read is the finding
            problems.append(f"{part}: does not read as Parquet ({err})")
            continue
        if not found.remove_metadata().equals(schema):
            problems.append(f"{part}: schema differs from the archive contract")
        seqs = table["seq"].to_pylist()
        if seqs != list(range(len(seqs))):
            problems.append(f"{part}: seq is not 0..{len(seqs) - 1} (records missing or repeated)")
    return problems


def migrate(source: PathLike, folder: PathLike) -> dict[str, int]:
    """Split a single-file log into an audit folder, one segment per run, every line kept byte for byte
    in its order (a line without a readable run id goes to the ``_no_run_id`` segment). The source is
    left as it is; returns lines per run. Refuses a folder that already holds one of the runs."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    handles: dict[str, Any] = {}
    try:
        with open(source, "rb") as src:
            for line in src:
                if not line.strip():
                    continue
                try:
                    record = orjson.loads(line)
                    run_id = record.get("run_id") if isinstance(record, dict) else None
                except orjson.JSONDecodeError:
                    run_id = None
                key = run_id if isinstance(run_id, str) and run_id else ""
                handle = handles.get(key)
                if handle is None:
                    target = segment_path(folder, key)
                    if target.exists():
                        raise FileExistsError(f"{target} already exists: migrate into an empty folder")
                    handle = handles[key] = open(target, "xb")  # noqa: SIM115 - closed in finally
                handle.write(line if line.endswith(b"\n") else line + b"\n")
                counts[key] = counts.get(key, 0) + 1
    finally:
        for handle in handles.values():
            handle.close()
    return counts
