"""The values a matrix is built from: plain Python values out of numpy/pandas cells, dotted field
names expanded into nested inputs, an action's input schema looked up by path, and text cells
(CSV, CLI) read as the types that schema declares.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from genesys_nb.contract.cases import _MISSING, MatrixError, _set_path, _types, _walk_fields
from genesys_nb.contract.paths import json_type

if TYPE_CHECKING:  # pragma: no cover
    from jsonschema.protocols import Validator


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


def _overlaps(path: str, paths: Iterable[str]) -> bool:
    return any(path == p or path.startswith(p + ".") or p.startswith(path + ".") for p in paths)


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
    from genesys_nb.contract.validator import compile_schema

    return compile_schema(schema, label=label)


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
            if json_type(value) == kind:
                return value
    hints = {"integer": "a whole number like 42", "number": "a number like 4.5",
             "boolean": "true/false (also yes/no, 1/0)", "object": "a JSON object", "array": "a JSON array"}
    raise ValueError(f"cannot read {text!r} as {' or '.join(types)}: write {hints.get(types[0], types[0])}")


def _flatten_names(schema: Mapping[str, Any]) -> list[str]:
    return [path for path, _, _ in _walk_fields(schema)]
