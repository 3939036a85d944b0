"""Audit log reader: NDJSON (or Parquet) audit files into one typed DataFrame, and resume ids.

:func:`read_audit` lets pyarrow's multi-threaded JSON reader build the scalar columns and parses only
``params``/``output`` with orjson; when pyarrow refuses a file (a bad line in the middle, a value of
the wrong type) it falls back to a tolerant orjson parse, one bulk parse per chunk of lines, that
reports each unreadable line. On 1,000,000 records it is several times faster than
``pandas.read_json(lines=True)`` (see ``bench/bench_audit_load.py``). ``params`` are flattened into
``params.<name>`` columns so a report can group by a matrix parameter.

:func:`terminal_row_ids` reads only ``run_id``/``row_id``: the rows a resumed run must skip.
pandas and pyarrow are imported inside the functions that need them, so importing the writer stays light.
"""
from __future__ import annotations

import gc
import json
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import orjson

from genesys_nb.audit import jsonsafe

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

PathLike = Union[str, os.PathLike]  # noqa: UP007
# The writer's options: dicts and lists stored as JSON in Parquet read back as the writer wrote them.
_ORJSON_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS

_AUDIT_SUFFIXES = (".ndjson", ".jsonl", ".parquet")


def audit_files(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    """Expand a file, a folder (``*.ndjson``, ``*.jsonl``, ``*.parquet``) or a list of either."""
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in _AUDIT_SUFFIXES and p.is_file()))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"audit log not found: {path} (give a file, a folder or a list of them)")
    return found


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
    """Row ids of ``run_id`` that already have a (terminal) audit record: what resume must skip."""
    done: set[str] = set()
    skipped: list[dict[str, Any]] = []
    for file in audit_files(path):
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
                done.update(r["row_id"] for r in records if r.get("run_id") == run_id and r.get("row_id"))
    return done


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
    schema = pa.schema([("run_id", pa.string()), ("row_id", pa.string())])
    try:
        table = pj.read_json(pa.BufferReader(pa.py_buffer(data).slice(0, end)), parse_options=pj.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    matching = table.filter(pc.equal(table["run_id"], pa.scalar(run_id, pa.string())))
    return [row_id for row_id in matching["row_id"].to_pylist() if row_id]


# column name -> how it is typed in the DataFrame
_COLUMN_KINDS: dict[str, str] = {
    "schema_version": "int", "timestamp": "time", "run_id": "str", "row_id": "str", "action_id": "str",
    "action_name": "cat", "action_version": "int", "success": "bool", "status_code": "int",
    "error_class": "cat", "error_code": "str", "error_message": "str", "latency_ms": "float",
    "total_ms": "float", "attempts": "int", "retry_wait_ms": "float", "timeout_ms": "int",
    "correlation_id": "str", "params": "obj", "output_keys": "obj", "error_count": "int",
    "webhook": "cat", "expected_invalid": "bool", "output": "obj",
}


def _typed(kind: str, values: Sequence[Any]) -> Any:
    """One column of raw JSON values -> a typed array (bad values become nulls, never an exception)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    if kind in ("int", "float", "bool"):
        has_null = None in values
        try:
            if kind == "float":
                return np.array(values, dtype=np.float64)
            if kind == "int":
                return pd.array(values, dtype="Int64") if has_null else np.array(values, dtype=np.int64)
            if not all(type(v) is bool for v in values if v is not None):
                raise TypeError("not booleans")
            return pd.array(values, dtype="boolean") if has_null else np.array(values, dtype=bool)
        except (TypeError, ValueError, OverflowError):
            numeric = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
            return numeric.astype({"int": "Int64", "float": "float64", "bool": "boolean"}[kind]).array
    if kind == "time":
        strings = [v if isinstance(v, str) else None for v in values]
        try:
            stamps = pa.array(strings, type=pa.string()).cast(pa.timestamp("ns", tz="UTC"))
            return pd.Series(stamps.to_pandas(), copy=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = pd.to_datetime(pd.Series(strings, dtype=object), utc=True, format="ISO8601",
                                    errors="coerce")
            return parsed.dt.as_unit("ns")
    if kind == "cat":
        return pd.Categorical([v if v is None or isinstance(v, str) else str(v) for v in values])
    if kind == "str":
        return pd.Series(list(values))
    return pd.Series(list(values), dtype=object)


def _struct_columns(struct: Any, prefix: str) -> dict[str, Any]:
    """A pyarrow struct array -> one pandas column per field (nested structs: dotted names)."""
    import pandas as pd
    import pyarrow as pa

    if not pa.types.is_struct(struct.type):
        return {}
    nullable = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get
    columns: dict[str, Any] = {}
    for field, child in zip(struct.type, struct.flatten()):
        if pa.types.is_struct(field.type):
            columns.update(_struct_columns(child, prefix=f"{prefix}{field.name}."))
        else:
            columns[prefix + field.name] = child.to_pandas(types_mapper=nullable)
    return columns


def _param_columns(params: Sequence[Any], prefix: str = "params.") -> dict[str, Any]:
    """Flatten the ``params`` objects into ``params.<name>`` columns (nested objects: dotted names)."""
    import pandas as pd
    import pyarrow as pa

    objects = [p if type(p) is dict and p else None for p in params]
    try:  # fast path: one C++ pass infers a struct of every key (fails when a key changes type)
        return _struct_columns(pa.array(objects), prefix)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    keys: dict[str, None] = {}
    for value in objects:
        if value is not None:
            keys.update(dict.fromkeys(value))
    columns = {}
    for key in keys:
        values = [p.get(key) if p is not None else None for p in objects]
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if inferred == "mixed" and any(isinstance(v, dict) for v in values):
            columns.update(_param_columns(values, prefix=f"{prefix}{key}."))
        elif inferred == "integer":
            columns[prefix + key] = pd.array(values, dtype="Int64")
        elif inferred == "boolean":
            columns[prefix + key] = pd.array(values, dtype="boolean")
        elif inferred in ("floating", "mixed-integer-float"):
            columns[prefix + key] = pd.array(values, dtype="Float64").astype("float64")
        elif inferred in ("string", "empty"):
            columns[prefix + key] = pd.Series(values)
        else:
            columns[prefix + key] = pd.Series(values, dtype=object)
    return columns


def _frame_from_records(records: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    names = tuple(_COLUMN_KINDS)
    extras: dict[str, None] = {}
    if records and set(map(len, records)) == {len(names)}:
        try:  # every record has exactly the v1 keys: transpose in C
            raw_columns = dict(zip(names, zip(*map(itemgetter(*names), records))))
        except KeyError:
            raw_columns = {}
    else:
        raw_columns = {}
    if not raw_columns:
        known = set(names)
        for record in records:
            if record.keys() != known:
                extras.update(dict.fromkeys(k for k in record if k not in known))
        raw_columns = {name: tuple(r.get(name) for r in records) for name in (*names, *extras)}
    columns: dict[str, Any] = {}
    for name in names:
        columns[name] = _typed(_COLUMN_KINDS[name], raw_columns.pop(name, ()) or [None] * len(records))
        if name == "params":
            columns.update(_param_columns(columns[name]))
    for name in extras:
        columns[name] = pd.Series(raw_columns.pop(name), dtype=object)
    frame = pd.DataFrame(
        {k: v if isinstance(v, pd.Series) else pd.Series(v, copy=False) for k, v in columns.items()},
        copy=False,
    )
    return frame


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "time": pa.string(),
            "cat": pa.string(), "str": pa.string()}.get(kind)


def _arrow_column(kind: str, column: Any) -> Any:
    """A pyarrow column of scalar values -> the same dtype :func:`_typed` gives."""
    import pandas as pd
    import pyarrow as pa

    if kind == "time":
        try:
            return pd.Series(column.cast(pa.timestamp("ns", tz="UTC")).to_pandas(), copy=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return _typed("time", column.to_pylist())
    if kind == "cat":
        return pd.Series(column.dictionary_encode().to_pandas(), copy=False)
    if kind == "int" and column.null_count:
        return column.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    if kind == "bool" and column.null_count:
        return column.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
    return column.to_pandas()


_PARAMS_RE = re.compile(rb'"params":(\{[^{}\n]*\}|"<redacted>"|null)')


def _objects_by_line(data: bytes, end: int) -> tuple[list[Any], list[Any], dict[str, list[Any]]]:
    """params, output and any unknown top-level fields of every non-blank line (orjson per line)."""
    import io

    params: list[Any] = []
    outputs: list[Any] = []
    extras: dict[str, list[Any]] = {}
    width = len(_COLUMN_KINDS)
    known = _COLUMN_KINDS.keys()
    loads = orjson.loads
    position = 0
    with io.BytesIO(data) as stream:
        for line in stream:
            position += len(line)
            if position > end:
                break
            if not line.strip():
                continue
            record = loads(line)
            params.append(record.get("params"))
            outputs.append(record.get("output"))
            if len(record) != width or extras:
                for key in record.keys() - known:
                    if key not in extras:
                        extras[key] = [None] * (len(params) - 1)
                for key, values in extras.items():
                    values.append(record.get(key))
    return params, outputs, extras


def _lean_param_columns(data: bytes, end: int, rows: int) -> dict[str, Any] | None:
    """``params.<name>`` columns without parsing whole lines: flat params objects cut out by a regex
    and read by pyarrow. None (use the full parse) unless there is exactly one match per row and
    pyarrow agrees on one type per parameter."""
    import pyarrow as pa
    import pyarrow.json as pj

    found = _PARAMS_RE.findall(data, 0, end)
    if len(found) != rows:
        return None
    if not rows:
        return {}
    body = b"\n".join(item if item[:1] == b"{" else b"{}" for item in found)
    del found
    try:
        table = pj.read_json(pa.BufferReader(body))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != rows:
        return None
    columns = table.combine_chunks().to_struct_array().combine_chunks()
    return _struct_columns(columns, "params.")


def _read_ndjson_fast(path: Path, skipped: list[dict[str, Any]], lean: bool = False) -> pd.DataFrame | None:
    """Scalar columns through pyarrow's multi-threaded JSON reader; only params/output through orjson.

    Returns None when pyarrow refuses the file (a bad line in the middle, a value of the wrong
    type); the caller then takes the tolerant orjson path, which reports each bad line.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.json as pj

    data = path.read_bytes()
    end = _complete_end(data, path, skipped)
    scalar_kinds = {k: v for k, v in _COLUMN_KINDS.items() if _arrow_type(v) is not None}
    schema = pa.schema([(name, _arrow_type(kind)) for name, kind in scalar_kinds.items()]
                       + [("output_keys", pa.list_(pa.string()))])
    try:
        table = pj.read_json(
            pa.BufferReader(pa.py_buffer(data).slice(0, end)),
            read_options=pj.ReadOptions(block_size=16 << 20),
            parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if skipped and skipped[-1]["path"] == str(path):
            skipped.pop()  # the tolerant path reports it again
        return None
    lean_params = _lean_param_columns(data, end, table.num_rows) if lean else None
    params: list[Any] = []
    outputs: list[Any] = []
    extras: dict[str, list[Any]] = {}
    if lean_params is None:
        params, outputs, extras = _objects_by_line(data, end)
        if len(params) != table.num_rows:
            return None
    del data
    columns: dict[str, Any] = {}
    for name, kind in _COLUMN_KINDS.items():
        if name == "params":
            columns[name] = pd.Series(params or [None] * table.num_rows, dtype=object)
            columns.update(_param_columns(params) if lean_params is None else lean_params)
        elif name == "output":
            columns[name] = pd.Series(outputs or [None] * table.num_rows, dtype=object)
        elif name == "output_keys":
            columns[name] = pd.Series(table.column(name).to_pylist(), dtype=object)
        else:
            columns[name] = _arrow_column(kind, table.column(name))
    del table
    for name, values in extras.items():
        columns[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns, copy=False)


def _from_parquet(path: Path) -> pd.DataFrame:
    import pandas as pd

    frame = pd.read_parquet(path)
    for name in ("params", "output", "output_keys"):
        if name in frame.columns:
            frame[name] = pd.Series(
                [orjson.loads(v) if isinstance(v, (str, bytes)) else None for v in frame[name]],
                index=frame.index, dtype=object,
            )
    return frame


def _conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Make a frame from any source (parquet, older schema, concat) carry every column and dtype."""
    import pandas as pd

    for name, kind in _COLUMN_KINDS.items():
        if name not in frame.columns:
            frame[name] = _typed(kind, [None] * len(frame))
        elif kind == "cat" and not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("category")
        elif kind == "time" and frame[name].dtype != "datetime64[ns, UTC]":
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601").dt.as_unit("ns")
    order = list(_COLUMN_KINDS) + [c for c in frame.columns if c not in _COLUMN_KINDS]
    return frame[order]


def read_audit(
    paths: PathLike | Iterable[PathLike],
    *,
    run_id: str | None = None,
    since: datetime | str | None = None,
    lean: bool = False,
) -> pd.DataFrame:
    """Read audit logs (files, folders, ``.parquet`` too) into one typed DataFrame.

    Dtypes: ``timestamp`` datetime64[ns, UTC]; ``error_class``, ``action_name``, ``webhook``
    categorical; ``success``/``expected_invalid`` bool; ints ``int64`` or nullable ``Int64`` where a
    value is missing; ``params`` flattened into ``params.<name>`` columns (the raw object is kept in
    ``params``). Unparsable lines (a torn last line after a crash) are skipped with a warning and
    listed in ``df.attrs["skipped_lines"]``; records of older schema versions get missing columns
    filled with nulls.

    ``lean=True`` skips the raw ``params``/``output`` objects (those columns stay null; the
    ``params.<name>`` columns are still there): about twice as fast on large logs, for reports.
    """
    import pandas as pd

    skipped: list[dict[str, Any]] = []
    frames: list[pd.DataFrame] = []
    files = audit_files(paths)
    for file in files:
        if file.suffix == ".parquet":
            frame = _from_parquet(file)
            if run_id is not None:
                frame = frame[frame["run_id"].astype(object) == run_id]
            frames.append(frame)
            continue
        with _gc_paused():
            fast_frame = _read_ndjson_fast(file, skipped, lean=lean)
            if fast_frame is not None:
                if run_id is not None:
                    fast_frame = fast_frame[fast_frame["run_id"] == run_id]
                frames.append(fast_frame)
                continue
            records: list[dict[str, Any]] = []
            for chunk in iter_lines(file, skipped):
                if run_id is not None:
                    chunk = [r for r in chunk if r.get("run_id") == run_id]
                records.extend(chunk)
            frames.append(_frame_from_records(records))
            del records
    if not frames:
        frame = _frame_from_records([])
    elif len(frames) == 1:
        frame = frames[0]
    else:
        frame = pd.concat(frames, ignore_index=True, sort=False)
    frame = _conform(frame)
    if since is not None:
        cutoff = pd.Timestamp(since)
        cutoff = cutoff.tz_localize("UTC") if cutoff.tzinfo is None else cutoff.tz_convert("UTC")
        frame = frame[frame["timestamp"] >= cutoff]
    frame = frame.reset_index(drop=True)
    frame.attrs["skipped_lines"] = skipped
    frame.attrs["source_files"] = [str(f) for f in files]
    if skipped:
        where = ", ".join(f"{s['path']}:{s['line']}" for s in skipped[:5])
        warnings.warn(f"skipped {len(skipped)} unreadable audit line(s) (torn write?): {where}",
                      RuntimeWarning, stacklevel=2)
    return frame


def to_parquet(frame: pd.DataFrame, path: PathLike) -> Path:
    """Write an audit DataFrame to Parquet (object columns holding dicts/lists stored as JSON)."""
    out = frame.copy()
    for name in ("params", "output", "output_keys"):
        if name in out.columns:
            out[name] = [None if v is None else jsonsafe.dumps(v, option=_ORJSON_OPTS).decode()
                         for v in out[name]]
    for name in out.columns:
        if out[name].dtype == object and name not in ("params", "output", "output_keys"):
            out[name] = out[name].map(lambda v: v if v is None or isinstance(v, (str, int, float, bool))
                                      else json.dumps(v, default=str))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    out.attrs = {}
    out.to_parquet(target, index=False)
    return target


__all__ = [
    "PathLike",
    "audit_files",
    "iter_lines",
    "read_audit",
    "terminal_row_ids",
    "to_parquet",
]
