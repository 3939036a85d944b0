"""Pure decisions of the matrix builder: which values each field takes (fixed, list, range, derived).

A field's choice is an :class:`AxisChoice`; :func:`axis_values` turns it into the list of values the
field takes (a range includes its stop), and :func:`build_matrix` turns every field's values into a ParameterMatrix (fields with
one value are fixed in every row, fields with several are axes of a product). Text is read with
the same coercion as CSV cells (:func:`genesys_nb.run.matrix.coerce_cell`), so a number field given
"abc" fails here with a message naming the field, not later on the wire.
"""
from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from genesys_nb.run.matrix import FULL_PRODUCT_LIMIT, ParameterMatrix, coerce_cell, example_for_pattern

from .spec import FieldSpec, iter_specs

__all__ = [
    "MODES",
    "AxisChoice",
    "axis_values",
    "build_matrix",
    "default_choice",
    "derived_values",
    "matrix_fields",
    "modes_for",
]

MODES = ("omit", "fixed", "list", "range", "derive")
_SCALAR_KINDS = ("text", "password", "number", "integer", "checkbox", "dropdown")


@dataclass(frozen=True)
class AxisChoice:
    """How one field varies: ``mode`` is one of MODES; ``text`` holds a fixed value or a comma list."""

    mode: str = "omit"
    text: str = ""
    start: str = ""
    stop: str = ""
    step: str = "1"


def matrix_fields(specs: Sequence[FieldSpec]) -> list[FieldSpec]:
    """The fields a matrix can vary: scalar leaves (dotted paths into objects), arrays and JSON fields."""
    out = []
    for spec in iter_specs(specs):
        if "[" in spec.path or spec.kind == "object":
            continue  # array items vary with their array (as JSON), objects through their leaves
        out.append(spec)
    return out


def modes_for(spec: FieldSpec) -> tuple[str, ...]:
    """The modes that make sense for a field (ranges only for numbers; JSON fields fixed or omitted)."""
    if spec.kind not in _SCALAR_KINDS:
        return ("omit", "fixed")
    if spec.json_type in ("number", "integer"):
        return MODES
    return ("omit", "fixed", "list", "derive")


def default_choice(spec: FieldSpec) -> AxisChoice:
    """A starting choice that gives a valid row: defaults fixed, enums derived, optional fields omitted."""
    if spec.has_default and spec.kind in _SCALAR_KINDS:
        return AxisChoice("fixed", _text(spec.default))
    if not spec.required:
        return AxisChoice("omit")
    if spec.kind in ("dropdown", "checkbox"):
        return AxisChoice("derive")
    if spec.kind in _SCALAR_KINDS:
        values = derived_values(spec)
        return AxisChoice("fixed", _text(values[0]) if values else "")
    return AxisChoice("fixed", "")


def derived_values(spec: FieldSpec) -> list[Any]:
    """Valid values the contract suggests for one field: every enum value, both booleans, the bounds
    (and a middle value) of a number, a string matching the pattern and lengths, else the default."""
    if spec.kind == "dropdown" or spec.options:
        return list(spec.options)
    if spec.json_type == "boolean":
        return [True, False]
    if spec.json_type in ("integer", "number"):
        return _number_cases(spec)
    if spec.json_type == "string":
        if spec.has_default and isinstance(spec.default, str):
            return [spec.default]
        if spec.pattern:
            example = example_for_pattern(spec.pattern, min_length=spec.min_length or 0, max_length=spec.max_length)
            if example is not None:
                return [example]
        length = spec.min_length if spec.min_length else min(spec.max_length or 7, 7)
        return ["example"[:length].ljust(length, "x")] if length else ["example"]
    return [spec.default] if spec.has_default else []


def _number_cases(spec: FieldSpec) -> list[Any]:
    integer = spec.json_type == "integer"
    step = 1 if integer else 0.5
    low = spec.minimum
    high = spec.maximum
    if low is not None and spec.exclusive_minimum:
        low = low + step
    if high is not None and spec.exclusive_maximum:
        high = high - step
    if integer:
        low = None if low is None else math.ceil(low)
        high = None if high is None else math.floor(high)
    values: list[Any] = []
    if low is not None:
        values.append(low)
    if low is not None and high is not None and high - low > step:
        middle = (low + high) / 2
        values.append(math.floor(middle) if integer else middle)
    if high is not None:
        values.append(high)
    if not values:
        values = [spec.default] if spec.has_default else [0, 1]
    unique: list[Any] = []
    for value in values:
        if value not in unique:
            unique.append(int(value) if integer else value)
    return unique


def axis_values(spec: FieldSpec, choice: AxisChoice) -> list[Any]:
    """The values a field takes under ``choice`` ([] for omit). ValueError names the field and the fix."""
    if choice.mode not in modes_for(spec):
        raise ValueError(f"field '{spec.path}': mode {choice.mode!r} does not apply; use one of {modes_for(spec)}")
    if choice.mode == "omit":
        return []
    if choice.mode == "derive":
        values = derived_values(spec)
        if not values:
            raise ValueError(f"field '{spec.path}': nothing to derive from its schema; give a fixed value")
        return values
    if choice.mode == "fixed":
        return [_read(spec, choice.text)]
    if choice.mode == "list":
        cells = next(csv.reader([choice.text], skipinitialspace=True), [])
        values = [_read(spec, cell) for cell in cells if cell.strip() != ""]
        if not values:
            raise ValueError(f"field '{spec.path}': the list is empty; write values separated by commas")
        return values
    return _range(spec, choice)


def _read(spec: FieldSpec, text: str) -> Any:
    if spec.kind not in _SCALAR_KINDS:
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"field '{spec.path}': not valid JSON ({err.msg}); write e.g. [\"a\", \"b\"]") from None
    prop = dict(spec.schema)
    if spec.json_type and "type" not in prop:
        prop["type"] = spec.json_type  # an enum without "type" still has typed values
    try:
        # A value outside an enum is kept on purpose: it probes what the platform answers.
        return coerce_cell(text, prop or None)
    except ValueError as err:
        raise ValueError(f"field '{spec.path}': {err}") from None


def _range(spec: FieldSpec, choice: AxisChoice) -> list[Any]:
    integer = spec.json_type == "integer"
    try:
        start = float(choice.start)
        stop = float(choice.stop)
        step = float(choice.step or "1")
    except ValueError:
        raise ValueError(f"field '{spec.path}': a range needs numbers for start, stop and step "
                         f"(got {choice.start!r}, {choice.stop!r}, {choice.step!r})") from None
    if step <= 0 or not math.isfinite(step):
        raise ValueError(f"field '{spec.path}': the range step must be > 0 (got {choice.step!r})")
    if stop < start:
        raise ValueError(f"field '{spec.path}': the range stop ({choice.stop}) is below its start ({choice.start})")
    count = math.floor((stop - start) / step + 1e-9) + 1
    # The stop is included, as an analyst reading "1 to 20 by 5" expects: off the step's grid, it ends the list.
    off_grid = stop - (start + (count - 1) * step) > abs(step) * 1e-9
    if count + off_grid > FULL_PRODUCT_LIMIT:
        raise ValueError(f"field '{spec.path}': the range has {count + off_grid} values (limit {FULL_PRODUCT_LIMIT}); "
                         "raise the step")
    values = [start + index * step for index in range(count)] + ([stop] if off_grid else [])
    if integer:
        if not all(float(value).is_integer() for value in values):
            raise ValueError(f"field '{spec.path}' is an integer: use a whole start, stop and step")
        return [int(value) for value in values]
    return [round(value, 12) for value in values]


def build_matrix(specs: Sequence[FieldSpec], choices: Mapping[str, AxisChoice]) -> ParameterMatrix:
    """A matrix from every field's choice: product of the multi-valued fields, the rest fixed.

    Raises ValueError listing every field whose choice cannot be read, and when the product is too big.
    """
    axes: dict[str, list[Any]] = {}
    fixed: dict[str, Any] = {}
    problems = []
    for spec in matrix_fields(specs):
        choice = choices.get(spec.path, AxisChoice("omit"))
        try:
            values = axis_values(spec, choice)
        except ValueError as err:
            problems.append(str(err))
            continue
        if len(values) == 1:
            fixed[spec.path] = values[0]
        elif values:
            axes[spec.path] = values
    if problems:
        raise ValueError("; ".join(problems))
    size = math.prod(len(values) for values in axes.values()) if axes else 1
    if size > FULL_PRODUCT_LIMIT:
        raise ValueError(f"the matrix would have {size} rows (limit {FULL_PRODUCT_LIMIT}); "
                         "fix some fields or shorten their lists")
    matrix = ParameterMatrix.product(**axes)
    return matrix.with_fixed(fixed) if fixed else matrix


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)
