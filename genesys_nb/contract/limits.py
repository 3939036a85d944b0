"""The platform's limits on a data action's JSON payloads, checked without recursion."""
from __future__ import annotations

from typing import Any

__all__ = ["MAX_JSON_DEPTH", "json_depth"]

MAX_JSON_DEPTH = 50  # the platform's limit on nested JSON objects in a data action's payloads


def json_depth(value: Any) -> int:
    """How deeply objects and arrays nest in a JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest
