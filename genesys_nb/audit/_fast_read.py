"""The fast read of an NDJSON audit file: scalar columns through pyarrow's multi-threaded JSON
reader, only ``params``/``output`` through orjson (or, for a lean read, flat ``params`` objects cut
out by a regex and read by pyarrow too).

:func:`_read_ndjson_fast` returns None when pyarrow refuses the file; the caller then takes the
tolerant line-by-line path, which reports each bad line.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from genesys_nb.audit._columns import (
    _COLUMN_KINDS,
    _arrow_column,
    _arrow_type,
    _param_columns,
    _struct_columns,
)
from genesys_nb.audit._files import _complete_end
from genesys_nb.audit.records import terminal_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

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
            if "kind" in record:
                continue  # an intent or webhook-state record: not a row (see genesys_nb.audit.records)
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
                       + [("output_keys", pa.list_(pa.string())), ("kind", pa.string())])
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
    table = terminal_table(table)
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
