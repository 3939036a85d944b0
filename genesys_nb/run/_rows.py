"""The rows a run takes: a ParameterMatrix, a list of dicts or a DataFrame, read as (row_id, params,
expected_invalid) one row at a time."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Row:
    row_id: str
    params: dict[str, Any]
    expected_invalid: bool


def _iter_rows(matrix: Any) -> Iterator[_Row]:
    """Rows of a ParameterMatrix (or anything iterable of MatrixRow-like objects)."""
    for row in matrix:
        row_id = getattr(row, "row_id", None)
        params = getattr(row, "params", None)
        if row_id is None or params is None:
            raise _not_a_row(row)
        yield _Row(str(row_id), dict(params), bool(getattr(row, "expected_invalid", False)))


def _not_a_row(row: Any) -> TypeError:
    return TypeError(
        f"matrix rows must have .row_id and .params (got {type(row).__name__}); build the matrix "
        "with ParameterMatrix.product/zip/from_records/from_dataframe/from_csv"
    )


class _RawRows:
    """A DataFrame or list of records given to a run: read through the action's contract once it is
    known (:func:`_bind_contract`), as ``ParameterMatrix.from_dataframe(frame, action=...)`` reads it:
    NaN/NA cells absent, whole floats made integers for integer fields, text read as the declared type.
    """

    def __init__(self, matrix: Any) -> None:
        self.matrix = matrix

    def bind(self, action: Any) -> None:
        if getattr(action, "input_schema", None) is not None:
            self.matrix = self.matrix.coerce(action, strict=False)  # a cell it cannot read fails its row alone

    def __iter__(self) -> Iterator[Any]:
        return iter(self.matrix)

    def __len__(self) -> int:
        return len(self.matrix)


def _bind_contract(matrix: Any, action: Any) -> None:
    """Read the rows of a DataFrame or list of records through the action's input contract (in place)."""
    if isinstance(matrix, _RawRows):
        matrix.bind(action)


def _as_matrix(matrix: Any) -> Any:
    """Accept a ParameterMatrix (or any sized iterable of rows), a list of dicts, or a DataFrame.

    A DataFrame or a list of dicts is read through the action's contract once the run has fetched
    the action (:func:`_bind_contract`); a ParameterMatrix is taken as built.
    """
    if type(matrix).__name__ == "DataFrame" or isinstance(matrix, (list, tuple)):
        from genesys_nb.run.matrix import ParameterMatrix

        if type(matrix).__name__ == "DataFrame":
            return _RawRows(ParameterMatrix.from_dataframe(matrix))
        return _RawRows(ParameterMatrix.from_records(list(matrix)))
    if hasattr(matrix, "__iter__") and hasattr(matrix, "__len__"):
        return matrix
    raise TypeError(
        f"matrix must be a ParameterMatrix, a list of dicts or a DataFrame (got {type(matrix).__name__})"
    )
