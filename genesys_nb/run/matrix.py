"""ParameterMatrix: the rows of inputs a run executes, built from axes, records, CSV or an action's contract.

Every row has a stable ``row_id`` (a hash of its canonical JSON plus an occurrence index for
duplicates), so the same matrix gives the same ids in every run and ``resume`` can skip rows that
already have an audit record. Nested fields are addressed by dotted paths (``"address.zip"``).

``from_schema`` derives test cases from an input contract (enum values, bounds and just past them,
lengths, patterns, optional fields present/absent, required fields missing, wrong types). Each
derived row changes one thing from a valid base and carries ``expected_invalid`` (the contract's
own validator agrees) and a ``case`` label such as ``"maxResults=max+1"``. The derivation and the
pattern example generator live in :mod:`genesys_nb.contract.cases`.

Plain values, dotted names and cell coercion live in :mod:`genesys_nb.run._cells`, the rows of
``product()``/``zip()`` axes in :mod:`genesys_nb.run._axes`.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.contract.cases import (
    FULL_PRODUCT_LIMIT,
    STRATEGIES,
    MatrixError,
    _canonical,
    _checked,
    _derive,
    _Row,
    _set_path,
    _types,
    example_for_pattern,
)
from genesys_nb.contract.limits import guard_depth
from genesys_nb.contract.paths import flatten_dotted
from genesys_nb.run._axes import _AxesRows, _axis_values
from genesys_nb.run._cells import (
    _input_schema,
    _overlaps,
    _prop_at,
    _validator,
    coerce_cell,
    expand_dotted,
)
from genesys_nb.run._csv import delimiter_name, read_csv_rows, typed_columns

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from genesys_nb.api.models import Action

__all__ = [
    "FULL_PRODUCT_LIMIT", "STRATEGIES", "MatrixError", "MatrixRow", "ParameterMatrix", "coerce_cell", "delimiter_name",
    "example_for_pattern", "expand_dotted",
]

_META_COLUMNS = ("row_id", "case", "expected_invalid")


# Fixed values of these types are shared between rows as they are; anything else is copied per row.
_SHARED_TYPES = frozenset({str, int, float, bool, type(None)})


# The fixed values a row with given own fields takes: (top-level shared values to update the row with, None)
# when every one is such a value, else (None, [(dotted path, value) in order]).
_FixedPlan = tuple[dict[str, Any] | None, list[tuple[str, Any]]]
_PLANS_KEPT = 256  # distinct sets of own fields whose plan is kept (a product's rows share one)


def _fixed_plan(fixed: Mapping[str, Any], own: frozenset[str]) -> _FixedPlan:
    paths = [(path, value) for path, value in fixed.items() if not _overlaps(path, own)]
    if all("." not in path and type(value) in _SHARED_TYPES for path, value in paths):
        return dict(paths), paths
    return None, paths


@dataclass(frozen=True)
class MatrixRow:
    """One row: its stable id, the inputs, and (for derived cases) whether the contract rejects it."""

    row_id: str
    params: dict[str, Any]
    expected_invalid: bool = False
    case: str | None = None


class ParameterMatrix:
    """An ordered collection of input rows with stable ids; iterate it to get :class:`MatrixRow`.

    >>> m = ParameterMatrix.product(mediaType=["voice", "chat"], priority=[1, 2]).with_fixed(queueId="q1")
    >>> len(m), next(iter(m)).params
    (4, {'mediaType': 'voice', 'priority': 1, 'queueId': 'q1'})
    """

    def __init__(
        self,
        rows: Iterable[Mapping[str, Any] | _Row] = (),
        *,
        fixed: Mapping[str, Any] | None = None,
        schema: Mapping[str, Any] | None = None,
        label: str = "schema",
    ) -> None:
        self._rows: list[_Row] | _AxesRows
        if isinstance(rows, _AxesRows):
            self._rows = rows  # made on demand, never all at once
        else:
            listed: list[_Row] = []
            for index, row in enumerate(rows):
                if isinstance(row, _Row):
                    listed.append(row)
                elif isinstance(row, Mapping):
                    params = expand_dotted(guard_depth(dict(row)))  # a 1,000-deep cell fails its row alone
                    listed.append(_Row(params, own=frozenset(flatten_dotted(params))))
                else:
                    raise MatrixError(f"row {index + 1} is a {type(row).__name__}; each row must be a dict of inputs")
            self._rows = listed
        self._fixed: dict[str, Any] = dict(fixed or {})
        self._schema = dict(schema) if schema is not None else None
        self._label = label
        self._built: list[MatrixRow] | None = None
        self.csv_delimiter: str | None = None  # the delimiter from_csv read the file with

    # ---- constructors
    @classmethod
    def product(cls, **axes: Iterable[Any]) -> ParameterMatrix:
        """Every combination of the axes' values (``product(a=[1, 2], b=["x", "y"])`` -> 4 rows)."""
        names = list(axes)
        values = [_axis_values(name, axes[name]) for name in names]
        return cls(_AxesRows(names, values, "product")) if names else cls([{}])

    @classmethod
    def zip(cls, **axes: Iterable[Any]) -> ParameterMatrix:
        """Row i takes the i-th value of every axis; all axes must have the same length."""
        values = {name: _axis_values(name, axis) for name, axis in axes.items()}
        lengths = {name: len(v) for name, v in values.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{name}={length}" for name, length in lengths.items())
            raise MatrixError(f"zip() needs axes of equal length; got {shown}. "
                              "Use product() for every combination.")
        return cls(_AxesRows(list(values), list(values.values()), "zip"))

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> ParameterMatrix:
        """One row per dict; dotted keys address nested fields."""
        return cls(records)

    @classmethod
    def from_dataframe(cls, frame: pd.DataFrame, *, action: Action | Mapping[str, Any] | None = None
                       ) -> ParameterMatrix:
        """One row per DataFrame row; NaN/NA cells are absent fields; dotted column names nest.

        With ``action``, cells are conformed to its input types (see :meth:`coerce`): pandas stores
        an integer column with gaps as floats, and ``3.0`` is not an integer to a draft-04 contract.
        """
        columns = [str(c) for c in frame.columns]
        matrix = cls(dict(zip(columns, values)) for values in frame.itertuples(index=False, name=None))
        return matrix.coerce(action) if action is not None else matrix

    @classmethod
    def from_csv(
        cls, path: str | Path, *, action: Action | Mapping[str, Any] | None = None, delimiter: str | None = None,
        encoding: str = "utf-8-sig", unknown_columns: str = "refuse",
    ) -> ParameterMatrix:
        """Rows from a CSV file with a header; cells coerced to the action's input types.

        The delimiter is sniffed (comma, semicolon, tab or pipe) unless given; ``matrix.csv_delimiter``
        says which was used. With an action, a column that is no input of its contract is refused
        with the closest field suggested (``unknown_columns="pass"`` sends it anyway). An empty cell
        leaves the field out. A cell that cannot be read as its field's type, or a file that is not
        ``encoding`` text, raises MatrixError naming the file (and the row, line and column).
        :meth:`rejected` lists the rows the contract would refuse, before anything is sent.
        """
        schema, label = _input_schema(action) if action is not None else (None, "schema")
        rows, used = read_csv_rows(path, schema=schema, label=label, delimiter=delimiter, encoding=encoding,
                                   unknown_columns=unknown_columns)
        matrix = cls(rows, schema=schema, label=label)
        matrix.csv_delimiter = used
        return matrix

    @classmethod
    def from_schema(cls, action: Action | Mapping[str, Any], strategy: str = "boundary") -> ParameterMatrix:
        """Cases derived from an input contract (an Action, an exported action dict, or a schema).

        ``"minimal"``: the required fields only, and every field. ``"boundary"`` (default): also,
        one field at a time, each enum value, numeric bounds and just past them, min/max lengths
        and just past them, a value matching and one breaking each pattern, each optional field
        present, each required field missing, a wrong type, an unexpected field when the contract
        forbids them. ``"full"``: also every combination of the enum and boolean fields.
        """
        if strategy not in STRATEGIES:
            raise MatrixError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
        schema, label = _input_schema(action)
        if not isinstance(schema, Mapping):
            return cls([_Row({}, False, "no inputs", derived=True)], schema=None, label=label)
        validator = _validator(schema, label)
        return cls(_checked(_derive(schema, strategy), validator), schema=schema, label=label)

    # ---- transformations
    def with_fixed(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> ParameterMatrix:
        """The same rows with these values in every row (dotted names nest).

        A row keeps its own value for a field it varies (an axis, a CSV column, or the field a
        derived case is about), so ``"queueId missing"`` stays missing.
        """
        merged = dict(self._fixed)
        for key, value in flatten_dotted(expand_dotted({**(values or {}), **more})).items():
            merged[key] = value
        return ParameterMatrix(self._rows, fixed=merged, schema=self._schema, label=self._label)

    def coerce(self, action: Action | Mapping[str, Any], *, strict: bool = True) -> ParameterMatrix:
        """Cells converted to the types the action's input schema declares: text (CLI, CSV) read as
        integer/number/boolean, and whole floats (``3.0``) made integers for integer fields.

        A text cell that cannot be read as its type raises MatrixError naming row and field; with
        ``strict=False`` it is kept as it is, so the contract check fails that row alone (the runner
        reads a DataFrame or a list of records this way)."""
        schema, label = _input_schema(action)
        rows = []
        for index, row in enumerate(self._rows, start=1):
            flat = flatten_dotted(row.params)
            for path, value in flat.items():
                prop = _prop_at(schema, path)
                if isinstance(value, str):
                    try:
                        flat[path] = coerce_cell(value, prop)
                    except ValueError as err:
                        if strict:
                            raise MatrixError(f"row {index}, field {path!r}: {err}") from None
                elif isinstance(value, float) and value.is_integer() and prop is not None \
                        and "integer" in _types(prop) and "number" not in _types(prop):
                    flat[path] = int(value)
            rows.append(_Row(expand_dotted(flat), row.expected_invalid, row.case, row.own, row.derived))
        return ParameterMatrix(rows, fixed=self._fixed, schema=schema, label=label)

    def rejected(self, action: Action | Mapping[str, Any] | None = None) -> pd.DataFrame:
        """The cells the input contract would refuse, one row per problem: ``row_id``, ``row`` (1-based),
        ``field``, ``message``, ``expected_invalid`` (rows derived to be refused say so). Nothing is sent."""
        import pandas as pd

        schema, label = _input_schema(action) if action is not None else (self._schema, self._label)
        found: list[dict[str, Any]] = []
        if isinstance(schema, Mapping):
            validator = _validator(schema, label)
            for number, row in enumerate(self, start=1):
                for error in validator.iter_errors(row.params):
                    path = ".".join(str(part) for part in error.absolute_path)
                    if error.validator == "required" and isinstance(error.validator_value, list):
                        missing = [n for n in error.validator_value if n not in (error.instance or {})]
                        path = ".".join(filter(None, [path, *missing[:1]]))
                    found.append({"row_id": row.row_id, "row": number, "field": path or "$",
                                  "message": error.message, "expected_invalid": row.expected_invalid})
        return pd.DataFrame(found, columns=["row_id", "row", "field", "message", "expected_invalid"])

    def __add__(self, other: ParameterMatrix) -> ParameterMatrix:
        if not isinstance(other, ParameterMatrix):
            return NotImplemented
        rows = [_Row(r.params, r.expected_invalid, r.case, frozenset(flatten_dotted(r.params)))
                for r in (*self, *other)]
        schema = self._schema if self._schema == other._schema else None
        return ParameterMatrix(rows, schema=schema, label=self._label)

    # ---- access
    def _generate(self) -> Iterator[MatrixRow]:
        """The finished rows in order: fixed values merged, ids assigned (and derived cases re-checked)."""
        validator = _validator(self._schema, self._label) if self._schema and self._fixed else None
        # Rows of distinct axis values cannot repeat: no occurrence count (and no memory per row) needed.
        seen: dict[str, int] | None = None if isinstance(self._rows, _AxesRows) and self._rows.distinct else {}
        fresh = isinstance(self._rows, _AxesRows) and self._rows.flat  # a new dict of immutable values
        fixed = self._fixed
        plans: dict[frozenset[str], _FixedPlan] = {}
        for row in self._rows:
            params = row.params if fresh else copy.deepcopy(row.params)
            if fixed:
                # which fixed values a row takes depends on its own fields only: worked out once per set of them
                plan = plans.get(row.own)
                if plan is None:
                    plan = _fixed_plan(fixed, row.own)
                    if len(plans) < _PLANS_KEPT:
                        plans[row.own] = plan
                top, paths = plan
                if top is not None:
                    params.update(top)
                else:
                    for path, value in paths:
                        _set_path(params, path, value if type(value) in _SHARED_TYPES else copy.deepcopy(value))
            invalid = row.expected_invalid
            if validator is not None and row.derived:
                invalid = not validator.is_valid(params)
            digest = hashlib.sha256(_canonical(params)).hexdigest()[:16]
            if seen is None:
                row_id = digest
            else:
                count = seen.get(digest, 0)
                seen[digest] = count + 1
                row_id = digest if count == 0 else f"{digest}-{count}"
            yield MatrixRow(row_id, params, invalid, row.case)

    def _build(self) -> list[MatrixRow]:
        if self._built is None:
            self._built = list(self._generate())
        return self._built

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[MatrixRow]:
        if isinstance(self._rows, _AxesRows):
            # Axis rows are made as they are read, so a 100,000-row product costs one row of memory.
            return self._generate()
        return iter(self._build())

    def __getitem__(self, index: int) -> MatrixRow:
        if not isinstance(self._rows, _AxesRows):
            return self._build()[index]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"matrix indices must be integers (got {type(index).__name__})")
        size = len(self)
        position = index + size if index < 0 else index
        if not 0 <= position < size:
            raise IndexError("matrix index out of range")
        return next(itertools.islice(self._generate(), position, None))

    @property
    def rows(self) -> list[MatrixRow]:
        return list(self)

    @property
    def fields(self) -> list[str]:
        """Every dotted field name used by some row, in first-seen order."""
        names: dict[str, None] = {}
        if isinstance(self._rows, _AxesRows) and self._rows.uniform:
            rows: Iterable[MatrixRow] = itertools.islice(self, 1)  # every row has the same fields
        else:
            rows = self
        for row in rows:
            names.update(dict.fromkeys(flatten_dotted(row.params)))
        return list(names)

    @property
    def schema(self) -> dict[str, Any] | None:
        return self._schema

    def to_dataframe(self) -> pd.DataFrame:
        """``row_id``, ``case``, ``expected_invalid`` and one column per (dotted) input field."""
        import pandas as pd

        fields = self.fields
        records = []
        for row in self:
            flat = flatten_dotted(row.params)
            record: dict[str, Any] = {"row_id": row.row_id, "case": row.case,
                                      "expected_invalid": row.expected_invalid}
            for name in fields:
                column = f"params.{name}" if name in _META_COLUMNS else name
                record[column] = flat.get(name)
            records.append(record)
        columns = list(_META_COLUMNS) + [f"params.{n}" if n in _META_COLUMNS else n for n in fields]
        frame = pd.DataFrame({name: pd.Series([record.get(name) for record in records], dtype=object)
                              for name in columns})  # object first: a blank cell never makes 3 into 3.0
        frame["expected_invalid"] = frame["expected_invalid"].astype(bool)
        return typed_columns(frame, columns[len(_META_COLUMNS):])

    def __repr__(self) -> str:
        fields = self.fields
        shown = ", ".join(fields[:6]) + (", ..." if len(fields) > 6 else "")
        invalid = sum(r.expected_invalid for r in self)
        return f"ParameterMatrix(rows={len(self)}, expected_invalid={invalid}, fields=[{shown}])"

    def _repr_html_(self) -> str:
        return self.to_dataframe()._repr_html_()  # type: ignore[operator]
