"""Reading the fields of received JSON without trusting its shape: what every API model is built with.

A field of the wrong type reads as None, never as an exception; only a whole object that is not
an object at all is refused (:func:`_require_mapping`).
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

JSON = dict[str, Any]


def _mapping(value: Any) -> JSON | None:
    return dict(value) if isinstance(value, Mapping) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _require_mapping(data: Any, model: str) -> JSON:
    if not isinstance(data, Mapping):
        raise TypeError(f"{model}.from_dict expects a JSON object (dict), got {type(data).__name__}.")
    return copy.deepcopy(dict(data))
