"""Raw widget values <-> the input dict, for the field specs of :mod:`genesys_nb.widgets.spec`.

Raw widget values mirror the schema: an object is a dict of child name -> raw value, an array is a
list of raw item values, and a scalar is what its widget holds:

- ``text``/``password``/``number``/``integer``: the typed string ("" means "not set"). Numbers stay
  text so an optional number can be absent and an out-of-range entry reaches the validator (which
  names the bound) instead of being silently clamped by a bounded widget.
- ``checkbox``: a bool (required booleans only; an optional boolean is a dropdown with "not set").
- ``dropdown``: one of ``options`` or :data:`NOT_SET`.
- ``raw_json``: JSON text ("" means "not set").
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from genesys_nb.contract.patterns import example_for_pattern

from .spec import NOT_SET, ROOT_PATH, FieldSpec, spec_at

__all__ = [
    "Conversion",
    "convert_inputs",
    "example_value",
    "initial_inputs",
    "inputs_from_value",
    "item_initial_input",
    "value_from_inputs",
]

_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Conversion:
    """Raw widget values turned into inputs, plus problems no validator can see (e.g. broken JSON)."""

    value: dict[str, Any]
    problems: dict[str, str]


def convert_inputs(specs: Sequence[FieldSpec], raw: Mapping[str, Any]) -> Conversion:
    """Turn raw widget values (keyed by field name, nested like the schema) into the input dict.

    Empty text, "not set" dropdowns, empty optional arrays and optional objects with nothing set are
    left out, so the validator reports a missing required field by name. Text in a number field that
    does not parse stays a string, so the validator names the type it expected.
    """
    problems: dict[str, str] = {}
    if len(specs) == 1 and specs[0].path == ROOT_PATH:
        value = _convert(specs[0], raw.get(ROOT_PATH, ""), specs[0].path, problems)
        if value is NOT_SET:
            return Conversion({}, problems)
        if not isinstance(value, dict):
            problems[ROOT_PATH] = "the input must be a JSON object, e.g. {\"field\": \"value\"}"
            return Conversion({}, problems)
        return Conversion(value, problems)
    return Conversion(_convert_object(specs, raw, problems), problems)


def value_from_inputs(specs: Sequence[FieldSpec], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The input dict for raw widget values (see :func:`convert_inputs`)."""
    return convert_inputs(specs, raw).value


def inputs_from_value(specs: Sequence[FieldSpec], value: Mapping[str, Any]) -> dict[str, Any]:
    """Raw widget values that show ``value``; inverse of :func:`value_from_inputs` for what a form can show.

    Raises ValueError naming the field when a value cannot be shown (unknown field, a value outside a
    dropdown's options, a non-bool for a checkbox, a non-list for an array, a non-dict for an object).
    """
    if not isinstance(value, Mapping):
        raise TypeError(f"the form value must be a dict of field -> value, got {type(value).__name__}")
    if len(specs) == 1 and specs[0].path == ROOT_PATH:
        return {ROOT_PATH: json.dumps(dict(value), indent=2, ensure_ascii=False) if value else ""}
    return _object_raw(specs, value, "")


def initial_inputs(specs: Sequence[FieldSpec]) -> dict[str, Any]:
    """Raw widget values a fresh form starts with: schema defaults, otherwise empty."""
    if len(specs) == 1 and specs[0].path == ROOT_PATH:
        return {ROOT_PATH: ""}
    return {spec.name: _initial(spec) for spec in specs}


def item_initial_input(spec: FieldSpec) -> Any:
    """The raw value of a new array item (for the form's "add item" button)."""
    if spec.item is None:
        raise ValueError(f"field '{spec.path}' is not an array")
    return _initial(spec.item, use_default=True)


def _initial(spec: FieldSpec, *, use_default: bool = True) -> Any:
    if use_default and spec.has_default:
        try:
            return _raw_for(spec, spec.default, spec.path)
        except ValueError:
            pass  # a default the field cannot show: start empty rather than fail to build
    if spec.kind == "object":
        return {child.name: _initial(child) for child in spec.children}
    if spec.kind == "array":
        count = spec.min_items if spec.required and spec.min_items else 0
        return [_initial(spec.item) for _ in range(count)] if spec.item is not None else []
    if spec.kind == "checkbox":
        return False
    if spec.kind == "dropdown":
        return NOT_SET
    return ""


def _convert_object(specs: Sequence[FieldSpec], raw: Mapping[str, Any], problems: dict[str, str]) -> dict:
    out: dict[str, Any] = {}
    for spec in specs:
        value = _convert(spec, raw.get(spec.name, _initial(spec, use_default=False)), spec.path, problems)
        if value is not NOT_SET:
            out[spec.name] = value
    return out


def _convert(spec: FieldSpec, raw: Any, path: str, problems: dict[str, str]) -> Any:
    if spec.kind == "object":
        if not isinstance(raw, Mapping):
            return NOT_SET
        children = [spec_at(child, f"{path}.{child.name}") for child in spec.children]
        value = _convert_object(children, raw, problems)
        return value if value or spec.required else NOT_SET
    if spec.kind == "array":
        if not isinstance(raw, Sequence) or isinstance(raw, str) or spec.item is None:
            return NOT_SET
        items = []
        for index, item_raw in enumerate(raw):
            item_spec = spec_at(spec.item, f"{path}[{index}]")
            item = _convert(item_spec, item_raw, item_spec.path, problems)
            # An item left empty is dropped rather than sent as null.
            if item is not NOT_SET:
                items.append(item)
        return items if items or spec.required else NOT_SET
    if spec.kind == "checkbox":
        return bool(raw)
    if spec.kind == "dropdown":
        return NOT_SET if raw is NOT_SET or raw is None else raw
    if spec.kind == "raw_json":
        text = "" if raw is None else str(raw)
        if not text.strip():
            return NOT_SET
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            problems[path] = f"not valid JSON ({err.msg} at line {err.lineno} column {err.colno})"
            return NOT_SET
    # text / password / number / integer: typed text
    text = "" if raw is None else str(raw)
    if text == "":
        return NOT_SET
    if spec.json_type in ("number", "integer"):
        return _parse_number(text)
    return text


def _parse_number(text: str) -> Any:
    stripped = text.strip()
    if _INT_RE.match(stripped):
        return int(stripped)
    if _FLOAT_RE.match(stripped):
        number = float(stripped)
        if math.isfinite(number):
            return number
    return text  # the validator then says which type it expected


def _object_raw(specs: Sequence[FieldSpec], value: Mapping[str, Any], parent: str) -> dict[str, Any]:
    known = {spec.name for spec in specs}
    unknown = [key for key in value if key not in known]
    if unknown:
        where = f" in '{parent}'" if parent else ""
        raise ValueError(f"unknown field(s) {unknown}{where}; the form has {sorted(known)}")
    return {spec.name: (_raw_for(spec, value[spec.name], spec.path) if spec.name in value
                        else _initial(spec, use_default=False)) for spec in specs}


def _raw_for(spec: FieldSpec, value: Any, path: str) -> Any:
    if spec.kind == "object":
        if not isinstance(value, Mapping):
            raise ValueError(f"field '{path}' is an object; got {type(value).__name__}")
        return _object_raw(spec.children, value, path)
    if spec.kind == "array":
        if not isinstance(value, list) or spec.item is None:
            raise ValueError(f"field '{path}' is an array; got {type(value).__name__}")
        return [_raw_for(spec.item, item, f"{path}[{index}]") for index, item in enumerate(value)]
    if spec.kind == "checkbox":
        if not isinstance(value, bool):
            raise ValueError(f"field '{path}' is a checkbox; it takes true or false, got {value!r}")
        return value
    if spec.kind == "dropdown":
        for option in spec.options:
            if option == value and type(option) is type(value):
                return option
        raise ValueError(f"field '{path}' takes one of {list(spec.options)}; got {value!r}")
    if spec.kind == "raw_json":
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return json.dumps(value)
    return repr(value) if isinstance(value, float) else str(value)


# An example per string format, for placeholders (realistic rather than all zeros).
FORMAT_EXAMPLES = {
    "email": "jane.doe@example.com", "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "date-time": "2024-05-01T09:30:00Z", "date": "2024-05-01", "time": "09:30:00Z",
    "uri": "https://example.com/path", "url": "https://example.com/path", "hostname": "api.example.com",
    "ipv4": "192.0.2.10", "ipv6": "2001:db8::10",
}


def example_value(spec: FieldSpec) -> str:
    """An example value for a field's placeholder, from its schema: the default, the first enum value,
    an example of its format, a string matching a simple pattern and the lengths, a number within the
    bounds ("" when the schema suggests nothing)."""
    if spec.has_default and not isinstance(spec.default, (dict, list)):
        return _example_text(spec.default)
    if spec.options:
        return _example_text(spec.options[0])
    if spec.json_type == "string":
        if spec.format in FORMAT_EXAMPLES:
            return FORMAT_EXAMPLES[spec.format]
        if spec.pattern:
            try:
                found = example_for_pattern(spec.pattern, min_length=spec.min_length or 0, max_length=spec.max_length)
            except (ValueError, TypeError, RecursionError):  # a pattern too odd to invert: no example
                found = None
            return found or ""
        low = spec.min_length or 0
        high = spec.max_length if spec.max_length is not None else max(low, 7)
        return "example"[:high].ljust(low, "x") if high else ""
    if spec.json_type in ("integer", "number"):
        return _example_number(spec)
    return ""


def _example_number(spec: FieldSpec) -> str:
    integer = spec.json_type == "integer"
    nudge = 1 if integer else 0.5
    low = None if spec.minimum is None else spec.minimum + (nudge if spec.exclusive_minimum else 0)
    high = None if spec.maximum is None else spec.maximum - (nudge if spec.exclusive_maximum else 0)
    if low is not None and high is not None:
        value: float = (low + high) / 2
    elif low is not None:
        value = low
    elif high is not None:
        value = min(high, 10)
    else:
        value = 10 if integer else 2.5
    if integer:
        value = int(value) if low is None or int(value) >= low else int(value) + 1
    return _number_text(float(value)) if not integer else str(int(value))


def _example_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _number_text(value) if isinstance(value, float) else str(value)


def _number_text(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
