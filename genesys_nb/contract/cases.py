"""Test cases derived from an input contract, and example strings for a regex pattern.

Each derived row changes one thing from a valid base (an enum value, a numeric bound or just past
it, a length, a pattern matched or broken, an optional field present, a required field missing, a
wrong type, an unexpected field) and says whether the contract should reject it; a row whose
validity the contract's own validator disagrees with is dropped.
:class:`~genesys_nb.run.matrix.ParameterMatrix` builds on the row type and path helpers defined here.
"""
from __future__ import annotations

import copy
import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from genesys_nb.api.errors import GenesysNBError
from genesys_nb.contract.paths import declared_types, json_type
from genesys_nb.contract.patterns import example_for_pattern, violate_pattern

if TYPE_CHECKING:  # pragma: no cover
    from jsonschema.protocols import Validator

__all__ = ["FULL_PRODUCT_LIMIT", "STRATEGIES", "MatrixError", "example_for_pattern"]

STRATEGIES = ("minimal", "boundary", "full")
FULL_PRODUCT_LIMIT = 10_000

_MISSING = object()  # an absent field (a case value, or a NaN/NA table cell)


class MatrixError(GenesysNBError, ValueError):
    """A matrix could not be built from the given axes, records or file (the message says where)."""


@dataclass(frozen=True)
class _Row:
    """A row before it gets its id: the inputs, and what a derived case is about."""

    params: dict[str, Any]
    expected_invalid: bool = False
    case: str | None = None
    own: frozenset[str] = field(default_factory=frozenset)  # dotted paths this row is about
    derived: bool = False


# --------------------------------------------------------------------------------------------
# dotted paths and schema types shared with ParameterMatrix


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _del_path(target: dict[str, Any], dotted: str) -> None:
    parts = dotted.split(".")
    node: Any = target
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(parts[-1], None)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _out_of_range_int(value: Any, path: str) -> str | None:
    """The dotted path of the first integer a 64-bit platform field cannot hold, if any."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return path if not _INT64_MIN <= value <= _INT64_MAX else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _out_of_range_int(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _out_of_range_int(item, f"{path}[{index}]")
            if found:
                return found
    return None


def _canonical(params: Mapping[str, Any]) -> bytes:
    try:
        return orjson.dumps(params, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    except orjson.JSONEncodeError as err:
        field = _out_of_range_int(params, "")
        if field:
            raise MatrixError(
                f"field {field!r}: the integer does not fit in 64 bits, which is the largest the platform "
                "accepts; use a smaller value (or a string if the field is a string)."
            ) from err
        if "surrogates" in str(err):  # text that is not valid Unicode: the row gets an id, and fails alone when run
            return json.dumps(params, sort_keys=True, default=str, ensure_ascii=True,
                              separators=(",", ":")).encode()
        raise MatrixError(f"a row cannot be written as JSON ({err}); row values must be JSON values.") from err


def _types(prop: Mapping[str, Any]) -> list[str]:
    """The declared types, else what an enum or properties imply."""
    declared = declared_types(prop)
    if declared:
        return declared
    if prop.get("enum"):
        return [json_type(prop["enum"][0])]
    if "properties" in prop:
        return ["object"]
    return []




# --------------------------------------------------------------------------------------------
# cases derived from a contract

_FORMAT_EXAMPLES = {
    "date-time": "2024-01-01T00:00:00Z", "date": "2024-01-01", "time": "00:00:00Z",
    "email": "user@example.com", "uri": "https://example.com/", "hostname": "example.com",
    "ipv4": "192.0.2.1", "ipv6": "2001:db8::1", "uuid": "00000000-0000-4000-8000-000000000000",
}
_WRONG_TYPE_VALUES: tuple[tuple[str, Any], ...] = (
    ("integer", 12345), ("string", "not-a-number"), ("boolean", True), ("object", {"unexpected": 1}),
)


def _step(integer: bool) -> float | int:
    return 1 if integer else 0.001


def _number_bounds(prop: Mapping[str, Any], integer: bool) -> tuple[float | None, float | None]:
    """Lowest and highest valid value (draft-04 boolean and draft-06 numeric exclusive forms)."""
    step = _step(integer)
    low = prop.get("minimum")
    high = prop.get("maximum")
    if isinstance(prop.get("exclusiveMinimum"), (int, float)) and not isinstance(prop["exclusiveMinimum"], bool):
        low = prop["exclusiveMinimum"] + step
    elif prop.get("exclusiveMinimum") is True and low is not None:
        low = low + step
    if isinstance(prop.get("exclusiveMaximum"), (int, float)) and not isinstance(prop["exclusiveMaximum"], bool):
        high = prop["exclusiveMaximum"] - step
    elif prop.get("exclusiveMaximum") is True and high is not None:
        high = high - step
    if integer:
        low = math.ceil(low) if low is not None else None
        high = math.floor(high) if high is not None else None
    return low, high


def _string_of_length(prop: Mapping[str, Any], length: int) -> str:
    pattern = prop.get("pattern")
    if isinstance(pattern, str):
        example = example_for_pattern(pattern, min_length=length, max_length=length)
        if example is not None:
            return example
    return ("sample" + "x" * length)[:length] if length else ""


def _generated(prop: Mapping[str, Any]) -> Any:
    types = _types(prop) or ["string"]
    kind = types[0]
    if kind == "string":
        min_length, max_length = int(prop.get("minLength", 0)), prop.get("maxLength")
        pattern = prop.get("pattern")
        if isinstance(pattern, str):
            example = example_for_pattern(pattern, min_length=min_length, max_length=max_length)
            if example is not None:
                return example
        text = _FORMAT_EXAMPLES.get(str(prop.get("format")), "sample")
        if len(text) < min_length:
            text += "x" * (min_length - len(text))
        return text[:max_length] if isinstance(max_length, int) else text
    if kind in ("integer", "number"):
        integer = kind == "integer"
        low, high = _number_bounds(prop, integer)
        value: float = float(low if low is not None else (high if high is not None else (1 if integer else 1.5)))
        multiple = prop.get("multipleOf")
        if isinstance(multiple, (int, float)) and multiple > 0:
            value = math.ceil(value / multiple) * multiple
        return int(value) if integer else value
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "object":
        return _object_sample(prop, everything=False)
    if kind == "array":
        items = prop.get("items")
        item_schema: Mapping[str, Any] = items if isinstance(items, Mapping) else {}
        return [_generated(item_schema) for _ in range(int(prop.get("minItems", 0)))]
    return "sample"


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    props = schema.get("properties")
    return props if isinstance(props, Mapping) else {}


def _object_sample(schema: Mapping[str, Any], *, everything: bool) -> dict[str, Any]:
    props = _properties(schema)
    required = set(schema.get("required") or [])
    return {name: _sample(prop, everything=everything) for name, prop in props.items()
            if isinstance(prop, Mapping) and (everything or name in required)}


def _sample(prop: Mapping[str, Any], *, everything: bool = False) -> Any:
    """A valid value for a property: its default, else its first enum value, else a generated one."""
    if "default" in prop:
        return copy.deepcopy(prop["default"])
    if "const" in prop:
        return copy.deepcopy(prop["const"])
    if isinstance(prop.get("enum"), list) and prop["enum"]:
        return copy.deepcopy(prop["enum"][0])
    if "object" in _types(prop):
        return _object_sample(prop, everything=everything)
    return _generated(prop)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _field_cases(path: str, prop: Mapping[str, Any], required: bool) -> Iterator[tuple[str, Any, bool]]:
    """(case label, value or _MISSING, intended invalid) for one field."""
    types = _types(prop)
    sample = _sample(prop)
    yield (f"{path} missing", _MISSING, True) if required else (f"{path} present", sample, False)
    if isinstance(prop.get("enum"), list):
        for value in prop["enum"]:
            yield f"{path}={_show(value)}", value, False
    if "boolean" in types:
        yield f"{path}=true", True, False
        yield f"{path}=false", False, False
    kind = next((t for t in types if t in ("integer", "number")), None)
    if kind:
        integer = kind == "integer"
        low, high = _number_bounds(prop, integer)
        step = _step(integer)
        past = "1" if integer else "0.001"
        if low is not None:
            yield f"{path}=min", low, False
            yield f"{path}=min-{past}", low - step, True
        if high is not None:
            yield f"{path}=max", high, False
            yield f"{path}=max+{past}", high + step, True
        if isinstance(prop.get("multipleOf"), (int, float)) and prop["multipleOf"] > 0:
            yield f"{path} not a multiple of {_show(prop['multipleOf'])}", sample + prop["multipleOf"] / 2, True
    if "string" in types:
        low_len, high_len = prop.get("minLength"), prop.get("maxLength")
        if isinstance(low_len, int) and low_len > 0:
            yield f"{path}.length=min", _string_of_length(prop, low_len), False
            yield f"{path}.length=min-1", _string_of_length(prop, low_len - 1), True
        if isinstance(high_len, int):
            yield f"{path}.length=max", _string_of_length(prop, high_len), False
            yield f"{path}.length=max+1", _string_of_length(prop, high_len + 1), True
        pattern = prop.get("pattern")
        if isinstance(pattern, str) and isinstance(sample, str):
            yield f"{path} matches pattern", sample, False
            try:
                broken = violate_pattern(pattern, sample, int(low_len or 0), high_len)
            except re.error:
                broken = None
            if broken is not None:
                yield f"{path} breaks pattern", broken, True
    if types:
        wrong = next(((k, v) for k, v in _WRONG_TYPE_VALUES
                      if k not in types and not (k == "integer" and "number" in types)), None)
        if wrong is not None:
            yield f"{path} wrong type ({wrong[0]})", wrong[1], True


def _walk_fields(schema: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    props = _properties(schema)
    required = set(schema.get("required") or [])
    for name, prop in props.items():
        if not isinstance(prop, Mapping):
            continue
        path = f"{prefix}{name}"
        yield path, prop, name in required
        if "object" in _types(prop):
            yield from _walk_fields(prop, prefix=f"{path}.")


def _with_path_present(base: dict[str, Any], schema: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Copy of ``base`` where every ancestor object of ``path`` exists (with its required fields)."""
    row = copy.deepcopy(base)
    parts = path.split(".")
    node, node_schema = row, schema
    for part in parts[:-1]:
        prop = (node_schema.get("properties") or {}).get(part, {})
        if not isinstance(node.get(part), dict):
            node[part] = _object_sample(prop, everything=False)
        node, node_schema = node[part], prop
    return row


def _derive(schema: Mapping[str, Any], strategy: str) -> list[_Row]:
    required_only = _object_sample(schema, everything=False)
    everything = _object_sample(schema, everything=True)
    rows = [_Row(required_only, False, "required only", derived=True),
            _Row(everything, False, "all fields", derived=True)]
    if strategy == "minimal":
        return rows
    fields = list(_walk_fields(schema))
    for path, prop, required in fields:
        for label, value, invalid in _field_cases(path, prop, required):
            params = _with_path_present(required_only, schema, path)
            if value is _MISSING:
                _del_path(params, path)
            else:
                _set_path(params, path, copy.deepcopy(value))
            rows.append(_Row(params, invalid, label, frozenset([path]), derived=True))
    objects = [("", schema)] + [(p + ".", prop) for p, prop, _ in fields if "object" in _types(prop)]
    for prefix, node in objects:
        if node.get("additionalProperties") is False:
            params = _with_path_present(required_only, schema, prefix + "x") if prefix else dict(required_only)
            _set_path(params, prefix + "unexpectedField", "unexpected")
            rows.append(_Row(params, True, f"{prefix}unexpectedField (additionalProperties: false)",
                             frozenset([prefix + "unexpectedField"]), derived=True))
    if strategy == "full":
        axes = [(path, list(prop["enum"]) if isinstance(prop.get("enum"), list) else [True, False])
                for path, prop, _ in fields
                if isinstance(prop.get("enum"), list) or _types(prop) == ["boolean"]]
        size = math.prod(len(values) for _, values in axes) if axes else 0
        if size > FULL_PRODUCT_LIMIT:
            raise MatrixError(f"strategy='full' would make {size} rows (product of every enum/boolean field: "
                              f"{', '.join(f'{p}={len(v)}' for p, v in axes)}); the limit is "
                              f"{FULL_PRODUCT_LIMIT}. Use strategy='boundary' or ParameterMatrix.product().")
        for combo in itertools.product(*(values for _, values in axes)) if axes else ():
            params = copy.deepcopy(everything)
            for (path, _), value in zip(axes, combo):
                _set_path(params, path, value)
            label = ", ".join(f"{path}={_show(value)}" for (path, _), value in zip(axes, combo))
            rows.append(_Row(params, False, f"combination: {label}", frozenset(p for p, _ in axes), derived=True))
    return rows


def _checked(rows: list[_Row], validator: Validator) -> list[_Row]:
    """Keep rows whose validity is what they intend; identical rows merge (their labels joined)."""
    kept: dict[bytes, _Row] = {}
    for row in rows:
        if validator.is_valid(row.params) != (not row.expected_invalid):
            continue  # e.g. a length bound that the pattern makes unreachable on its own
        key = _canonical(row.params)
        first = kept.get(key)
        if first is None:
            kept[key] = row
        else:
            kept[key] = _Row(first.params, first.expected_invalid, f"{first.case}; {row.case}",
                             first.own & row.own, derived=True)
    return list(kept.values())
