"""Reading a matrix from a CSV file: the delimiter sniffed, the encoding named, headers checked against
the contract (a misspelled column is refused with the closest field), cells coerced to their types."""
from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from genesys_nb.contract.cases import MatrixError
from genesys_nb.run._cells import _flatten_names, _prop_at, coerce_cell

__all__ = ["DELIMITERS", "UNKNOWN_COLUMNS", "read_csv_rows", "typed_columns"]

DELIMITERS = ",;\t|"
UNKNOWN_COLUMNS = ("refuse", "pass")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def delimiter_name(delimiter: str) -> str:
    return _NAMES.get(delimiter, repr(delimiter))


def _sniff(sample: str) -> str:
    """The delimiter of a CSV sample: csv.Sniffer among , ; tab |, else the one the header line uses most."""
    header = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {candidate: header.count(candidate) for candidate in DELIMITERS}
        best = max(counts, key=lambda candidate: counts[candidate])
        return best if counts[best] else ","


def _read_text(source: Path, encoding: str) -> str:
    try:
        return source.read_text(encoding=encoding)
    except FileNotFoundError:
        raise MatrixError(f"{source}: no such file; give the path of a CSV file with a header of input names") from None
    except UnicodeDecodeError as err:
        raise MatrixError(
            f"{source}: not {encoding} text (byte {err.object[err.start]:#04x} at position {err.start}); "
            "save it as UTF-8, or pass the file's encoding, e.g. from_csv(path, encoding='cp1252') "
            "(genesys-nb run --encoding cp1252)") from None
    except LookupError:
        raise MatrixError(f"{source}: unknown encoding {encoding!r}; use e.g. 'utf-8', 'cp1252' or 'latin-1'") from None


def _check_columns(source: Path, header: list[str], schema: Mapping[str, Any] | None, label: str,
                   unknown_columns: str) -> None:
    if not header or any(not (name or "").strip() for name in header):
        raise MatrixError(f"{source}: the first line must be a header naming every column")
    if schema is None or unknown_columns == "pass":
        return
    known = _flatten_names(schema)
    closed = schema.get("additionalProperties") is False
    for column in header:
        if _prop_at(schema, column) is not None:
            continue
        close = difflib.get_close_matches(column, known, n=1, cutoff=0.6) or difflib.get_close_matches(
            column.lower(), [name.lower() for name in known], n=1, cutoff=0.6)
        suggestion = ""
        if close:
            match = next((name for name in known if name.lower() == close[0].lower()), close[0])
            suggestion = f"; did you mean {match!r}?"
        why = "its contract allows no other fields" if closed else "it would be sent as an extra field"
        raise MatrixError(
            f"{source}: column {column!r} is not an input of {label} ({why}){suggestion} Inputs: "
            f"{', '.join(sorted(known)) or 'none'}. Rename the column, or pass unknown_columns='pass' "
            "(genesys-nb run --unknown-columns pass) to send it anyway")


def read_csv_rows(path: str | Path, *, schema: Mapping[str, Any] | None, label: str, delimiter: str | None = None,
                  encoding: str = "utf-8-sig", unknown_columns: str = "refuse") -> tuple[list[dict[str, Any]], str]:
    """(rows, the delimiter used): an empty cell leaves its field out; a cell its field's type cannot
    take raises MatrixError naming the file, the row (1 = first data row), the line and the column."""
    if unknown_columns not in UNKNOWN_COLUMNS:
        raise ValueError(f"unknown_columns must be one of {UNKNOWN_COLUMNS}, not {unknown_columns!r}")
    source = Path(path)
    text = _read_text(source, encoding)
    used = delimiter if delimiter is not None else _sniff(text[:64 * 1024])
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=used)
    header = list(reader.fieldnames or [])
    _check_columns(source, header, schema, label, unknown_columns)
    rows: list[dict[str, Any]] = []
    for number, cells in enumerate(reader, start=1):
        if None in cells:
            raise MatrixError(f"{source}: row {number} (line {reader.line_num}) has more cells than the header's "
                              f"{len(header)} columns (the delimiter used is the {delimiter_name(used)})")
        row: dict[str, Any] = {}
        for column in header:
            value = cells.get(column)
            if value is None or value == "":
                continue
            try:
                row[column] = coerce_cell(value, _prop_at(schema, column) if schema else None)
            except ValueError as err:
                raise MatrixError(f"{source}: row {number} (line {reader.line_num}), column {column!r}: {err}") from None
        rows.append(row)
    return rows, used


def typed_columns(frame: Any, columns: Any) -> Any:
    """Input columns typed by what they hold: whole numbers stay integers (``Int64`` where a cell is
    empty, never ``3.0``), booleans ``boolean`` where one is missing, text as it is."""
    import pandas as pd

    for column in columns:
        values = frame[column]
        kind = pd.api.types.infer_dtype(values, skipna=True)
        missing = bool(values.isna().any())
        if kind == "integer":
            frame[column] = values.astype("Int64") if missing else values.astype("int64")
        elif kind == "boolean":
            frame[column] = values.astype("boolean") if missing else values.astype(bool)
        elif kind in ("floating", "mixed-integer-float"):
            frame[column] = values.astype("float64")
    return frame
