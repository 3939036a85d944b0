"""The columns of the audit DataFrame: the kind of every record key, and raw JSON values or
pyarrow arrays turned into typed pandas columns (``params`` flattened into ``params.<name>``).

A value of the wrong type becomes a null, never an exception. pandas, numpy and pyarrow are
imported inside the functions that need them.
"""
from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# column name -> how it is typed in the DataFrame
_COLUMN_KINDS: dict[str, str] = {
    "schema_version": "int", "timestamp": "time", "run_id": "str", "row_id": "str", "action_id": "str",
    "action_name": "cat", "action_version": "int", "success": "bool", "status_code": "int",
    "error_class": "cat", "error_code": "str", "error_message": "str", "latency_ms": "float",
    "total_ms": "float", "queue_ms": "float", "attempts": "int", "retry_wait_ms": "float", "timeout_ms": "int",
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
