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


def _as_matrix(matrix: Any) -> Any:
    """Accept a ParameterMatrix (or any sized iterable of rows), a list of dicts, or a DataFrame."""
    if type(matrix).__name__ == "DataFrame" or isinstance(matrix, (list, tuple)):
        from genesys_nb.run.matrix import ParameterMatrix

        if type(matrix).__name__ == "DataFrame":
            return ParameterMatrix.from_dataframe(matrix)
        return ParameterMatrix.from_records(list(matrix))
    if hasattr(matrix, "__iter__") and hasattr(matrix, "__len__"):
        return matrix
    raise TypeError(
        f"matrix must be a ParameterMatrix, a list of dicts or a DataFrame (got {type(matrix).__name__})"
    )
