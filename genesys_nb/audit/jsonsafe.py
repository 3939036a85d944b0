"""JSON bytes for records that must never fail to serialise (audit lines, webhook bodies, outbox entries).

orjson refuses two things a remote endpoint can hand us: strings holding lone surrogates (not valid
UTF-8) and integers beyond 64 bits. A record that cannot be written would lose a finished row, so
`dumps` falls back to a scrubbed copy: lone surrogates become U+FFFD and huge integers become strings.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["dumps", "scrub"]

_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1


def scrub(value: Any) -> Any:
    """A copy of `value` that orjson can always serialise (see the module docstring)."""
    if isinstance(value, str):
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if _INT64_MIN <= value <= _UINT64_MAX else str(value)
    if isinstance(value, dict):
        return {scrub(key) if isinstance(key, str) else str(key): scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return value


def dumps(value: Any, *, default: Callable[[Any], Any] | None = str, option: int | None = None) -> bytes:
    """orjson.dumps, retried on a scrubbed copy when the value holds what orjson refuses."""
    try:
        return orjson.dumps(value, default=default, option=option)
    except (TypeError, orjson.JSONEncodeError):
        return orjson.dumps(scrub(value), default=default, option=option)
