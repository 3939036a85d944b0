"""ParameterMatrix: the rows of inputs a run executes, built from axes, records, CSV or an action's contract.

Every row has a stable ``row_id`` (a hash of its canonical JSON plus an occurrence index for
duplicates), so the same matrix gives the same ids in every run and ``resume`` can skip rows that
already have an audit record. Nested fields are addressed by dotted paths (``"address.zip"``).

``from_schema`` derives test cases from an input contract (enum values, bounds and just past them,
lengths, patterns, optional fields present/absent, required fields missing, wrong types). Each
derived row changes one thing from a valid base and carries ``expected_invalid`` (the contract's
own validator agrees) and a ``case`` label such as ``"maxResults=max+1"``.
"""
from __future__ import annotations

import copy
import csv
import hashlib
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from genesys_nb.errors import GenesysNBError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from jsonschema.protocols import Validator

    from genesys_nb.models import Action

__all__ = [
    "STRATEGIES", "MatrixError", "MatrixRow", "ParameterMatrix", "coerce_cell", "example_for_pattern",
    "expand_dotted",
]

STRATEGIES = ("minimal", "boundary", "full")
FULL_PRODUCT_LIMIT = 10_000
_META_COLUMNS = ("row_id", "case", "expected_invalid")
_MISSING = object()


class MatrixError(GenesysNBError, ValueError):
    """A matrix could not be built from the given axes, records or file (the message says where)."""


@dataclass(frozen=True)
class MatrixRow:
    """One row: its stable id, the inputs, and (for derived cases) whether the contract rejects it."""

    row_id: str
    params: dict[str, Any]
    expected_invalid: bool = False
    case: str | None = None


@dataclass(frozen=True)
class _Row:
    params: dict[str, Any]
    expected_invalid: bool = False
    case: str | None = None
    own: frozenset[str] = field(default_factory=frozenset)  # dotted paths this row is about
    derived: bool = False


# --------------------------------------------------------------------------------------------
# dotted paths and plain values


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


def _plain(value: Any) -> Any:
    """numpy/pandas scalars -> Python values; NaN/NA -> _MISSING (an absent field)."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__.startswith("numpy"):
        value = item()
    if isinstance(value, float) and math.isnan(value):
        return _MISSING
    if type(value).__name__ in ("NAType", "NaTType"):
        return _MISSING
    return value


def expand_dotted(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"address.zip": 1, "a": 2}`` -> ``{"address": {"zip": 1}, "a": 2}``; NaN/NA cells dropped."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        if not isinstance(key, str):
            raise MatrixError(f"field names must be strings, got {key!r}")
        value = _plain(value)
        if value is _MISSING:
            continue
        if isinstance(value, Mapping):
            value = expand_dotted(value)
        _set_path(nested, key, value)
    return nested


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _overlaps(path: str, paths: Iterable[str]) -> bool:
    return any(path == p or path.startswith(p + ".") or p.startswith(path + ".") for p in paths)


def _canonical(params: Mapping[str, Any]) -> bytes:
    return orjson.dumps(params, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)


# --------------------------------------------------------------------------------------------
# schema helpers


def _input_schema(action: Any) -> tuple[dict[str, Any] | None, str]:
    """(input schema, label) from an Action, an exported action dict, or a bare schema dict."""
    if isinstance(action, Mapping):
        if "contract" in action:
            contract = action.get("contract") or {}
            schema = (contract.get("input") or {}).get("inputSchema")
            return schema, str(action.get("name") or "action")
        return dict(action), "schema"
    schema = getattr(action, "input_schema", None)
    return schema, str(getattr(action, "name", None) or getattr(action, "id", "action"))


def _validator(schema: Mapping[str, Any], label: str) -> Validator:
    from genesys_nb.validation import compile_schema

    return compile_schema(schema, label=label)


def _types(prop: Mapping[str, Any]) -> list[str]:
    declared = prop.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    if prop.get("enum"):
        return [_json_type(prop["enum"][0])]
    if "properties" in prop:
        return ["object"]
    return []


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _prop_at(schema: Mapping[str, Any] | None, dotted: str) -> Mapping[str, Any] | None:
    node: Any = schema
    for part in dotted.split("."):
        props = node.get("properties") if isinstance(node, Mapping) else None
        if not isinstance(props, Mapping) or part not in props:
            return None
        node = props[part]
    return node if isinstance(node, Mapping) else None


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def coerce_cell(text: str, prop: Mapping[str, Any] | None) -> Any:
    """A CSV/CLI text cell -> the type the property's schema says (integer, number, boolean, string).

    Raises ValueError naming the expected type. Without a schema the text is kept as a string.
    """
    types = _types(prop) if prop else []
    if not types or "string" in types:
        return text
    stripped = text.strip()
    for kind in types:
        if kind == "integer":
            try:
                return int(stripped)
            except ValueError:
                try:
                    number = float(stripped)
                except ValueError:
                    continue
                if number.is_integer():
                    return int(number)
        elif kind == "number":
            try:
                number = float(stripped)
            except ValueError:
                continue
            if math.isfinite(number):
                return int(number) if re.fullmatch(r"[+-]?\d+", stripped) else number
        elif kind == "boolean":
            if stripped.lower() in _TRUE:
                return True
            if stripped.lower() in _FALSE:
                return False
        elif kind == "null" and stripped.lower() == "null":
            return None
        elif kind in ("object", "array"):
            try:
                value = orjson.loads(stripped)
            except orjson.JSONDecodeError:
                continue
            if _json_type(value) == kind:
                return value
    hints = {"integer": "a whole number like 42", "number": "a number like 4.5",
             "boolean": "true/false (also yes/no, 1/0)", "object": "a JSON object", "array": "a JSON array"}
    raise ValueError(f"cannot read {text!r} as {' or '.join(types)}: write {hints.get(types[0], types[0])}")


# --------------------------------------------------------------------------------------------
# example strings for a pattern (a small generator over Python's own regex parser)

try:  # Python >= 3.11
    import re._parser as _sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_MAXREPEAT: int = _sre_parse.MAXREPEAT
_CANDIDATE_CHARS = "a0Ax_- .@:/+1zZ9"
_CATEGORY_CHARS = {"CATEGORY_DIGIT": "0", "CATEGORY_NOT_DIGIT": "a", "CATEGORY_WORD": "a",
                   "CATEGORY_NOT_WORD": "-", "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": "a"}


def _in_set(char: str, items: Sequence[Any]) -> bool:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL" and chr(arg) == char:
            return True
        if name == "RANGE" and arg[0] <= ord(char) <= arg[1]:
            return True
        if name == "CATEGORY":
            probe = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_WORD": r"\w",
                     "CATEGORY_NOT_WORD": r"\W", "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S"}
            if str(arg) in probe and re.fullmatch(probe[str(arg)], char):
                return True
    return False


def _render(parsed: Any, stretch: int) -> str | None:
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            negate = any(str(o) == "NEGATE" for o, _ in arg)
            items = [(o, a) for o, a in arg if str(o) != "NEGATE"]
            pool = [chr(a) for o, a in items if str(o) == "LITERAL"] + \
                [chr(a[0]) for o, a in items if str(o) == "RANGE"] + \
                [_CATEGORY_CHARS.get(str(a), "a") for o, a in items if str(o) == "CATEGORY"]
            choices = pool + list(_CANDIDATE_CHARS) if not negate else list(_CANDIDATE_CHARS)
            char = next((c for c in choices if _in_set(c, items) != negate), None)
            if char is None:
                return None
            out.append(char)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            count = low + stretch if high == _MAXREPEAT else min(high, low + stretch)
            piece = _render(sub, stretch)
            if piece is None:
                return None
            out.append(piece * count)
        elif name == "SUBPATTERN":
            piece = _render(arg[-1], stretch)
            if piece is None:
                return None
            out.append(piece)
        elif name == "BRANCH":
            piece = _render(arg[1][0], stretch)
            if piece is None:
                return None
            out.append(piece)
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:  # back-references, conditionals: give up, the caller has other candidates
            return None
    return "".join(out)


def example_for_pattern(pattern: str, *, min_length: int = 0, max_length: int | None = None) -> str | None:
    """A short string matching ``pattern`` (JSON Schema semantics: search) within the length bounds."""
    try:
        compiled = re.compile(pattern)
        parsed = _sre_parse.parse(pattern)
    except (re.error, RecursionError):
        return None
    for stretch in range(64):
        text = _render(parsed, stretch)
        if text is None:
            return None
        if max_length is not None and len(text) > max_length:
            return None
        if len(text) >= min_length and compiled.search(text):
            return text
    return None


def _violate_pattern(pattern: str, valid: str, min_length: int, max_length: int | None) -> str | None:
    compiled = re.compile(pattern)
    length = max(min_length, len(valid), 1)
    if max_length is not None:
        length = min(length, max_length)
    candidates = ["!" * length, "~" * length, " " * length]
    for index in range(len(valid)):
        candidates.append(valid[:index] + "!" + valid[index + 1:])
    for text in candidates:
        if min_length <= len(text) and (max_length is None or len(text) <= max_length) \
                and not compiled.search(text):
            return text
    return None


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
                broken = _violate_pattern(pattern, sample, int(low_len or 0), high_len)
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


# --------------------------------------------------------------------------------------------
# the matrix


def _axis_values(name: str, values: Any) -> list[Any]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise MatrixError(f"axis {name!r} must be a list of values (got {type(values).__name__}); "
                          f"use .with_fixed({name}=...) for one value in every row")
    listed = [_plain(v) for v in values]
    if not listed:
        raise MatrixError(f"axis {name!r} has no values; give at least one")
    return listed


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
        self._rows: list[_Row] = []
        for index, row in enumerate(rows):
            if isinstance(row, _Row):
                self._rows.append(row)
            elif isinstance(row, Mapping):
                params = expand_dotted(row)
                self._rows.append(_Row(params, own=frozenset(_flatten(params))))
            else:
                raise MatrixError(f"row {index + 1} is a {type(row).__name__}; each row must be a dict of inputs")
        self._fixed: dict[str, Any] = dict(fixed or {})
        self._schema = dict(schema) if schema is not None else None
        self._label = label
        self._built: list[MatrixRow] | None = None

    # ---- constructors
    @classmethod
    def product(cls, **axes: Iterable[Any]) -> ParameterMatrix:
        """Every combination of the axes' values (``product(a=[1, 2], b=["x", "y"])`` -> 4 rows)."""
        names = list(axes)
        values = [_axis_values(name, axes[name]) for name in names]
        return cls(dict(zip(names, combo)) for combo in itertools.product(*values)) if names else cls([{}])

    @classmethod
    def zip(cls, **axes: Iterable[Any]) -> ParameterMatrix:
        """Row i takes the i-th value of every axis; all axes must have the same length."""
        values = {name: _axis_values(name, axis) for name, axis in axes.items()}
        lengths = {name: len(v) for name, v in values.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{name}={length}" for name, length in lengths.items())
            raise MatrixError(f"zip() needs axes of equal length; got {shown}. "
                              "Use product() for every combination.")
        return cls(dict(zip(values, combo)) for combo in zip(*values.values()))

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
        cls, path: str | Path, *, action: Action | Mapping[str, Any] | None = None, delimiter: str = ","
    ) -> ParameterMatrix:
        """Rows from a CSV file with a header; cells coerced to the action's input types.

        An empty cell leaves the field out. A cell that cannot be read as its field's type raises
        MatrixError naming the file, the row (1 = first data row), the line and the column.
        """
        source = Path(path)
        schema, label = _input_schema(action) if action is not None else (None, "schema")
        closed = isinstance(schema, Mapping) and schema.get("additionalProperties") is False
        rows: list[dict[str, Any]] = []
        with source.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            header = reader.fieldnames or []
            if not header or any(not (name or "").strip() for name in header):
                raise MatrixError(f"{source}: the first line must be a header naming every column")
            for column in header:
                if schema is not None and closed and _prop_at(schema, column) is None:
                    known = ", ".join(sorted(_flatten_names(schema)))
                    raise MatrixError(f"{source}: column {column!r} is not an input of {label} "
                                      f"(its contract allows no other fields); inputs: {known}")
            for number, cells in enumerate(reader, start=1):
                if None in cells:
                    raise MatrixError(f"{source}: row {number} (line {reader.line_num}) has more cells "
                                      f"than the header's {len(header)} columns")
                row: dict[str, Any] = {}
                for column in header:
                    text = cells.get(column)
                    if text is None or text == "":
                        continue
                    try:
                        row[column] = coerce_cell(text, _prop_at(schema, column) if schema else None)
                    except ValueError as err:
                        raise MatrixError(f"{source}: row {number} (line {reader.line_num}), "
                                          f"column {column!r}: {err}") from None
                rows.append(row)
        return cls(rows, schema=schema, label=label)

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
        for key, value in _flatten(expand_dotted({**(values or {}), **more})).items():
            merged[key] = value
        return ParameterMatrix(self._rows, fixed=merged, schema=self._schema, label=self._label)

    def coerce(self, action: Action | Mapping[str, Any]) -> ParameterMatrix:
        """Cells converted to the types the action's input schema declares: text (CLI, CSV) read as
        integer/number/boolean, and whole floats (``3.0``) made integers for integer fields."""
        schema, label = _input_schema(action)
        rows = []
        for index, row in enumerate(self._rows, start=1):
            flat = _flatten(row.params)
            for path, value in flat.items():
                prop = _prop_at(schema, path)
                if isinstance(value, str):
                    try:
                        flat[path] = coerce_cell(value, prop)
                    except ValueError as err:
                        raise MatrixError(f"row {index}, field {path!r}: {err}") from None
                elif isinstance(value, float) and value.is_integer() and prop is not None \
                        and "integer" in _types(prop) and "number" not in _types(prop):
                    flat[path] = int(value)
            rows.append(_Row(expand_dotted(flat), row.expected_invalid, row.case, row.own, row.derived))
        return ParameterMatrix(rows, fixed=self._fixed, schema=schema, label=label)

    def __add__(self, other: ParameterMatrix) -> ParameterMatrix:
        if not isinstance(other, ParameterMatrix):
            return NotImplemented
        rows = [_Row(r.params, r.expected_invalid, r.case, frozenset(_flatten(r.params)))
                for r in (*self, *other)]
        schema = self._schema if self._schema == other._schema else None
        return ParameterMatrix(rows, schema=schema, label=self._label)

    # ---- access
    def _build(self) -> list[MatrixRow]:
        if self._built is not None:
            return self._built
        validator = _validator(self._schema, self._label) if self._schema and self._fixed else None
        seen: dict[str, int] = {}
        built: list[MatrixRow] = []
        for row in self._rows:
            params = copy.deepcopy(row.params)
            for path, value in self._fixed.items():
                if not _overlaps(path, row.own):
                    _set_path(params, path, copy.deepcopy(value))
            invalid = row.expected_invalid
            if validator is not None and row.derived:
                invalid = not validator.is_valid(params)
            digest = hashlib.sha256(_canonical(params)).hexdigest()[:16]
            count = seen.get(digest, 0)
            seen[digest] = count + 1
            row_id = digest if count == 0 else f"{digest}-{count}"
            built.append(MatrixRow(row_id, params, invalid, row.case))
        self._built = built
        return built

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[MatrixRow]:
        return iter(self._build())

    def __getitem__(self, index: int) -> MatrixRow:
        return self._build()[index]

    @property
    def rows(self) -> list[MatrixRow]:
        return list(self._build())

    @property
    def fields(self) -> list[str]:
        """Every dotted field name used by some row, in first-seen order."""
        names: dict[str, None] = {}
        for row in self._build():
            names.update(dict.fromkeys(_flatten(row.params)))
        return list(names)

    @property
    def schema(self) -> dict[str, Any] | None:
        return self._schema

    def to_dataframe(self) -> pd.DataFrame:
        """``row_id``, ``case``, ``expected_invalid`` and one column per (dotted) input field."""
        import pandas as pd

        fields = self.fields
        records = []
        for row in self._build():
            flat = _flatten(row.params)
            record: dict[str, Any] = {"row_id": row.row_id, "case": row.case,
                                      "expected_invalid": row.expected_invalid}
            for name in fields:
                column = f"params.{name}" if name in _META_COLUMNS else name
                record[column] = flat.get(name)
            records.append(record)
        columns = list(_META_COLUMNS) + [f"params.{n}" if n in _META_COLUMNS else n for n in fields]
        frame = pd.DataFrame.from_records(records, columns=columns)
        for column in columns[len(_META_COLUMNS):]:
            kind = pd.api.types.infer_dtype(frame[column], skipna=True)
            if kind == "integer" and frame[column].isna().any():
                frame[column] = frame[column].astype("Int64")
            elif kind == "boolean" and frame[column].isna().any():
                frame[column] = frame[column].astype("boolean")
        return frame

    def __repr__(self) -> str:
        fields = self.fields
        shown = ", ".join(fields[:6]) + (", ..." if len(fields) > 6 else "")
        invalid = sum(r.expected_invalid for r in self._build())
        return f"ParameterMatrix(rows={len(self)}, expected_invalid={invalid}, fields=[{shown}])"

    def _repr_html_(self) -> str:
        return self.to_dataframe()._repr_html_()  # type: ignore[operator]


def _flatten_names(schema: Mapping[str, Any]) -> list[str]:
    return [path for path, _, _ in _walk_fields(schema)]


