"""Dotted paths over nested JSON objects: ``{"a": {"b": 1}}`` <-> ``{"a.b": 1}``."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["flatten_dotted"]


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
