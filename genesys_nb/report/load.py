"""Audit loading for reports: only the columns a latency summary needs, read by DuckDB in process.

The full reader (:func:`genesys_nb.audit.writer.read_audit`) builds every column, ``params.<name>`` included.
A latency summary needs a score of scalar fields, so this module has DuckDB read just those, out of
core, over every file at once (NDJSON files, an audit folder's segments, its Parquet archive), leave out
intent and webhook-state records and settle each row's webhook state in the same query
(:func:`genesys_nb.audit.duck.terminal_rows`); pandas only receives the result
(``bench/bench_audit_scale.py``).

Robustness: a torn last line (a crash mid-append) is reported and left out; if DuckDB rejects a file
anyway (a torn fragment mid-file, a value of an unexpected type), that file falls back to a
line-by-line orjson parse that skips and reports each unparsable line.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from genesys_nb.audit._files import is_archive
from genesys_nb.audit.duck import FAILED_ONLY, DuckRejected, terminal_rows, torn_tail

logger = logging.getLogger("genesys_nb")

PathLike = str | os.PathLike

# The scalar audit fields a summary, the error table and the timeline read (types fixed by the record spec).
CORE_SCHEMA = pa.schema(
    [
        ("schema_version", pa.int64()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("run_id", pa.string()),
        ("action_id", pa.string()),
        ("action_name", pa.string()),
        ("action_version", pa.int64()),
        ("success", pa.bool_()),
        ("status_code", pa.int64()),
        ("error_class", pa.string()),
        ("error_code", pa.string()),
        ("error_message", pa.string()),
        ("latency_ms", pa.float64()),
        ("total_ms", pa.float64()),
        ("queue_ms", pa.float64()),  # time queued for a pacing slot; null in older records
        ("attempts", pa.int64()),
        ("retry_wait_ms", pa.float64()),
        ("timeout_ms", pa.float64()),
        ("correlation_id", pa.string()),
        ("webhook", pa.string()),
        ("expected_invalid", pa.bool_()),
    ]
)
CORE_COLUMNS: tuple[str, ...] = tuple(CORE_SCHEMA.names)
# What summary(), timeline(), info() and check() read: a report loads these first, the rest of the core
# columns (errors' examples, webhook states, versions) when a view asks for them.
EAGER_COLUMNS: tuple[str, ...] = (
    "timestamp", "run_id", "action_id", "action_name", "success", "status_code", "error_class", "latency_ms",
    "total_ms", "queue_ms", "attempts", "retry_wait_ms", "expected_invalid",
)
CATEGORY_COLUMNS = ("run_id", "action_id", "action_name", "error_class", "error_code", "webhook")


@dataclass(frozen=True)
class SkippedLine:
    """A line of an audit file that could not be read (kept out of every figure)."""

    path: str
    line: int
    torn_last_line: bool
    error: str


def _coerce_value(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_string(kind):
        return value if isinstance(value, str) else str(value)
    if pa.types.is_boolean(kind):
        return value if isinstance(value, bool) else None
    if pa.types.is_integer(kind):
        if isinstance(value, bool):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    if pa.types.is_floating(kind):
        if isinstance(value, bool):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return value  # timestamps stay strings here and are parsed by pandas afterwards


def _read_lines_tolerant(data: bytes, path: Path, skipped: list[SkippedLine]) -> pd.DataFrame:
    """Slow path: one orjson parse per line; bad lines are skipped and reported, values coerced."""
    columns: dict[str, list[Any]] = {name: [] for name in CORE_COLUMNS}
    keys: list[tuple[Any, Any]] = []
    settled: dict[tuple[Any, Any], Any] = {}
    lines = data.split(b"\n")
    ends_with_newline = data.endswith(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as err:
            torn = number == len(lines) and not ends_with_newline
            skipped.append(SkippedLine(str(path), number, torn, str(err)))
            logger.info("audit %s: skipped unreadable line %d: %s", path, number, err)
            continue
        if not isinstance(record, dict):
            skipped.append(SkippedLine(str(path), number, False, "not a JSON object"))
            continue
        kind = record.get("kind")
        if kind is not None:  # an intent or a webhook's settled state, not a row
            if kind == "webhook":
                settled[(record.get("run_id"), record.get("row_id"))] = record.get("webhook")
            continue
        keys.append((record.get("run_id"), record.get("row_id")))
        for field in CORE_SCHEMA:
            columns[field.name].append(_coerce_value(record.get(field.name), field.type))
    if settled:
        columns["webhook"] = [settled.get(key, state) for key, state in zip(keys, columns["webhook"])]
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, errors="coerce", format="ISO8601")
    return frame


def _arrow_frame(table: pa.Table) -> pd.DataFrame:
    for name in CATEGORY_COLUMNS:  # dictionary-encode in arrow: pandas gets categoricals cheaply
        index = table.schema.get_field_index(name)
        if index < 0 or pa.types.is_dictionary(table.schema.field(index).type):
            continue
        table = table.set_column(index, name, pc.dictionary_encode(table.column(name)))
    return table.to_pandas(self_destruct=True, split_blocks=True)


def read_core(files: list[Path], skipped: list[SkippedLine], columns: Sequence[str] = CORE_COLUMNS
              ) -> pd.DataFrame:
    """The core columns of the report rows of every file, read by DuckDB in one query (NDJSON files and
    segments, the Parquet archive); a file DuckDB refuses is read line by line, each bad line reported.
    A ``read_audit`` export (``to_parquet``) is read with pandas."""
    pairs: list[tuple[Path, bool]] = []
    archive: list[Path] = []
    frames: list[pd.DataFrame] = []
    tolerant_files: list[Path] = []
    for path in files:
        if path.suffix == ".parquet":
            if is_archive(path):
                archive.append(path)
            else:
                frames.append(pd.read_parquet(path))
            continue
        if torn_tail(path) is not None:  # a crash mid-append, not yet resumed: rare, and read exactly
            tolerant_files.append(path)
        else:
            pairs.append((path, False))
    tolerant = [_read_lines_tolerant(path.read_bytes(), path, skipped)[list(columns)] for path in tolerant_files]
    while pairs or archive:
        try:
            table = terminal_rows(pairs, archive, list(columns), failed_only=FAILED_ONLY, dictionary=CATEGORY_COLUMNS)
        except DuckRejected as err:
            logger.info("audit %s: DuckDB declined (%s); reading line by line", err.path, err)
            tolerant.append(_read_lines_tolerant(err.path.read_bytes(), err.path, skipped)[list(columns)])
            pairs = [(f, torn) for f, torn in pairs if f != err.path]
            continue
        frames.insert(0, _arrow_frame(table))
        break
    frames.extend(tolerant)
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    if len(frames) == 1:
        return frames[0]
    for frame in frames:  # categories differ per file; concat on plain values
        for name in frame.columns:
            if isinstance(frame[name].dtype, pd.CategoricalDtype):
                frame[name] = frame[name].astype(object)
    return pd.concat(frames, ignore_index=True, sort=False)


def _to_float(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def normalize(frame: pd.DataFrame, columns: Sequence[str] = CORE_COLUMNS, *, copy: bool = True) -> pd.DataFrame:
    """Give any audit frame (fast path, full reader, Parquet, a user's DataFrame) the same dtypes.

    Missing fields (older schema versions, hand-made frames) get neutral defaults: ``total_ms`` falls
    back to ``latency_ms``, ``attempts`` to 1, ``retry_wait_ms`` to 0, ``expected_invalid`` to False and
    ``success`` to "no error_class"; ``queue_ms`` stays NaN (not measured), never a made-up zero wait.
    """
    if copy or not len(frame):  # copy=False: a frame the caller owns and no longer needs as it was
        frame = frame.copy() if len(frame) else frame.reset_index(drop=True).copy()
    frame = frame.reset_index(drop=True)
    for name in columns:
        if name not in frame.columns:
            frame[name] = pd.Series([None] * len(frame), dtype=object)
    present = set(frame.columns)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, errors="coerce", format="ISO8601")
    frame["latency_ms"] = _to_float(frame["latency_ms"])
    total = _to_float(frame["total_ms"])
    frame["total_ms"] = np.where(np.isnan(total), frame["latency_ms"].to_numpy(), total)
    frame["retry_wait_ms"] = np.nan_to_num(_to_float(frame["retry_wait_ms"]), nan=0.0)
    if "queue_ms" in present:  # older records did not measure it: NaN (not measured), never a made-up 0
        frame["queue_ms"] = _to_float(frame["queue_ms"])
    if "timeout_ms" in present:
        frame["timeout_ms"] = _to_float(frame["timeout_ms"])
    frame["attempts"] = np.nan_to_num(_to_float(frame["attempts"]), nan=1.0).astype("int64")
    flags = frame["expected_invalid"]  # derived cases meant to be rejected; anything else counts as False
    frame["expected_invalid"] = flags.to_numpy() if flags.dtype == bool else flags.astype(object).eq(True).to_numpy(bool)
    frame["status_code"] = pd.to_numeric(frame["status_code"], errors="coerce").astype("Int64")
    for name in ("schema_version", "action_version"):
        if name in present:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("Int64")
    error_class = frame["error_class"].astype(object)
    no_error = error_class.isna().to_numpy()
    success = frame["success"]
    if success.dtype != bool:
        known = success.notna().to_numpy()
        values = np.array([value is True or value is np.True_ for value in success.astype(object)], dtype=bool)
        frame["success"] = np.where(known, values, no_error)
    if frame["action_name"].isna().any():  # records without a name are grouped by their action id
        names = frame["action_name"].astype(object)
        frame["action_name"] = names.where(names.notna(), frame["action_id"].astype(object))
    for name in [c for c in CATEGORY_COLUMNS if c in present]:
        if not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(object).astype("category")
        categories = list(frame[name].cat.categories)
        ordered = sorted(categories, key=str)
        if categories != ordered:  # groups come out in alphabetical order, whatever the reader did
            frame[name] = frame[name].cat.reorder_categories(ordered)
    return frame
