"""The platform's limits on a data action's JSON payloads, checked without recursion."""
from __future__ import annotations

from typing import Any

__all__ = ["MAX_JSON_DEPTH", "TooDeep", "guard_depth", "json_depth"]

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


class TooDeep:
    """Stands in a matrix cell for a value nested deeper than the platform allows: never sent, reported.

    Keeping the value itself would make every recursive step on the row (copying, hashing, writing
    the audit record) fail on it; its row instead fails alone, with this depth in its message.
    """

    __slots__ = ("depth",)

    def __init__(self, depth: int) -> None:
        self.depth = depth

    def __repr__(self) -> str:
        return f"<a value nested {self.depth} levels deep, more than the platform's {MAX_JSON_DEPTH}>"

    __str__ = __repr__

    def __deepcopy__(self, memo: dict[int, Any]) -> TooDeep:
        return self


def guard_depth(fields: Any) -> Any:
    """``fields`` with every top-level value nested deeper than MAX_JSON_DEPTH replaced by a TooDeep."""
    if not isinstance(fields, dict):
        return fields
    guarded = None
    for key, value in fields.items():
        if isinstance(value, (dict, list)):
            depth = json_depth(value)
            if depth > MAX_JSON_DEPTH:
                guarded = dict(fields) if guarded is None else guarded
                guarded[key] = TooDeep(depth)
    return fields if guarded is None else guarded
