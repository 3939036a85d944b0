"""Architect's flattened form: nested output keys joined with '.', arrays of objects become arrays per leaf."""
from __future__ import annotations

from typing import Any

_SCHEMA_ROOT_KEYS = ("$schema", "title", "description")


def flatten_output(value: Any) -> Any:
    """Flatten an execute output: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``.

    An array of scalars stays an array under its key; an array of objects becomes one array per
    leaf (``{"orders": [{"id": 1}, {"id": 2}]}`` -> ``{"orders.id": [1, 2]}``), with ``None`` where
    an element lacks the leaf, so positions stay aligned. Non-object outputs are returned as is.
    """
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        _flatten_into(str(key), item, out)
    return out


def _flatten_into(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        if not value:
            out[prefix] = {}
        for key, item in value.items():
            _flatten_into(f"{prefix}.{key}", item, out)
    elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        per_element = [flatten_output(item) if isinstance(item, dict) else {"": item} for item in value]
        leaves: list[str] = []
        for element in per_element:
            for leaf in element:
                if leaf not in leaves:
                    leaves.append(leaf)
        for leaf in leaves:
            name = f"{prefix}.{leaf}" if leaf else prefix
            out[name] = [element.get(leaf) for element in per_element]
    else:
        out[prefix] = value


def flatten_schema(schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(flattened schema, names of array-typed flattened properties) for an object schema."""
    properties: dict[str, Any] = {}
    array_properties: list[str] = []
    for name, sub in (schema.get("properties") or {}).items():
        _flatten_schema_into(name, sub if isinstance(sub, dict) else {}, properties, array_properties, False)
    flat: dict[str, Any] = {key: schema[key] for key in _SCHEMA_ROOT_KEYS if key in schema}
    flat["type"] = "object"
    flat["properties"] = properties
    required = [name for name in schema.get("required") or [] if name in properties]
    if required:
        flat["required"] = required
    if "additionalProperties" in schema:
        flat["additionalProperties"] = schema["additionalProperties"]
    return flat, array_properties


def _flatten_schema_into(
    prefix: str, schema: dict[str, Any], out: dict[str, Any], arrays: list[str], in_array: bool
) -> None:
    kind = schema.get("type")
    if kind == "object" and schema.get("properties"):
        for name, sub in schema["properties"].items():
            _flatten_schema_into(f"{prefix}.{name}", sub if isinstance(sub, dict) else {}, out, arrays, in_array)
        return
    if kind == "array":
        raw_items = schema.get("items")
        items: dict[str, Any] = raw_items if isinstance(raw_items, dict) else {}
        if items.get("type") in ("object", "array"):
            _flatten_schema_into(prefix, items, out, arrays, True)
            return
        out[prefix] = dict(schema)
        arrays.append(prefix)
        return
    if in_array:
        leaf = {key: value for key, value in schema.items() if key != "type"}
        out[prefix] = {"type": "array", "items": {"type": kind, **leaf} if kind else leaf}
        arrays.append(prefix)
        return
    out[prefix] = dict(schema)
