"""JSON values: the JSON Schema type name of a value, and dotted paths over nested objects."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["declared_types", "flatten_dotted", "json_type"]


def flatten_dotted(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted keys; lists, scalars and empty objects stay as values.

    >>> flatten_dotted({"address": {"zip": "02134", "tags": ["a"]}, "empty": {}})
    {'address.zip': '02134', 'address.tags': ['a'], 'empty': {}}
    """
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            flat.update(flatten_dotted(item, f"{name}."))
        else:
            flat[name] = item
    return flat


def json_type(value: Any) -> str:
    """The JSON Schema type name of a decoded JSON value (bool is "boolean", never "integer").

    >>> [json_type(v) for v in (True, 1, 1.5, "x", [1], {}, None)]
    ['boolean', 'integer', 'number', 'string', 'array', 'object', 'null']
    """
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


def declared_types(schema: Mapping[str, Any]) -> list[str]:
    """The type names a schema declares in ``type`` (a string or a list); [] when it declares none.

    >>> declared_types({"type": ["string", "null"]}), declared_types({"enum": [1]})
    (['string', 'null'], [])
    """
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    return []
