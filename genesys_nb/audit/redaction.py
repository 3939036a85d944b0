"""Redaction of audit records: credential-like keys masked wherever they appear, a secure action's input
values masked inside messages, and the caller's ``redact=`` option (dotted names or a callable).

Every name here stays importable from :mod:`genesys_nb.audit.writer`.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union

from genesys_nb.audit._columns import _COLUMN_KINDS  # the record's own keys (writer.RECORD_KEYS)

REDACTED = "<redacted>"

# Keys whose values are credentials wherever they appear (params, output): masked on every write.
_SECRET_KEY_RE = re.compile(
    r"(authori[sz]ation|bearer|token|secret|password|passwd|api[_-]?key|cookie|^headers?$|credential)",
    re.IGNORECASE,
)
_BEARER_RE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
# The fixed record keys are known not to look like credentials (tests hold this), so only keys a
# caller or a redact= callable added are tested on each write.
_RECORD_KEY_SET = frozenset(_COLUMN_KINDS)
# Values scrub_mapping keeps as they are without a closer look (no keys inside).
_LEAF_TYPES = frozenset({str, int, float, bool, type(None)})

Redactor = Union[Callable[[dict[str, Any]], dict[str, Any]], Sequence[str], None]  # noqa: UP007


@functools.lru_cache(maxsize=4096)
def _is_secret_key(key: str) -> bool:
    """Whether a key names a credential; params and output repeat the same few keys row after row."""
    return _SECRET_KEY_RE.search(key) is not None


def scrub_mapping(value: Any) -> Any:
    """Mask values whose key looks like a credential (authorization, token, secret, ...), recursively."""
    if not isinstance(value, Mapping):
        return value
    scrubbed: dict[Any, Any] = {}
    for key, item in value.items():
        if isinstance(key, str) and _is_secret_key(key):
            scrubbed[key] = REDACTED
        elif type(item) in _LEAF_TYPES:
            scrubbed[key] = item
        else:
            scrubbed[key] = scrub_mapping(item)
    return scrubbed


def secret_strings(params: Any) -> list[str]:
    """The string values of a secure action's inputs worth masking (longest first; very short ones
    would mangle messages and reveal little)."""
    found: list[str] = []
    stack = [params]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, str) and len(value) >= 3:
            found.append(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and len(str(value)) >= 3:
            found.append(str(value))
    return sorted(set(found), key=len, reverse=True)


def mask_values(value: Any, secrets: Sequence[str]) -> Any:
    """Replace every occurrence of each secret string inside ``value`` (strings, dicts, lists)."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {k: mask_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_values(v, secrets) for v in value]
    return value


def scrub_secrets(record: dict[str, Any]) -> dict[str, Any]:
    """Last-line defence: mask credential-like keys in params/output and bearer strings in messages."""
    for key in ("params", "output"):
        if key in record:  # an intent or webhook-state record has neither
            record[key] = scrub_mapping(record[key])
    message = record.get("error_message")
    if isinstance(message, str):
        record["error_message"] = _BEARER_RE.sub(r"\1 " + REDACTED, message)
    for key in [k for k in record if k not in _RECORD_KEY_SET and isinstance(k, str) and _is_secret_key(k)]:
        del record[key]  # e.g. a caller-added "headers" or "authorization" field
    return record


def _mask_path(record: dict[str, Any], dotted: str) -> None:
    head, _, rest = dotted.partition(".")
    if head not in record:
        return
    if not rest:
        record[head] = REDACTED
        return
    container = record[head]
    if not isinstance(container, dict):
        return
    if rest in container:  # flattened keys ("output" holds "customer.name")
        container[rest] = REDACTED
    else:
        _mask_path(container, rest)


def apply_redaction(record: dict[str, Any], redact: Redactor) -> dict[str, Any]:
    """Apply a ``redact=`` option: a callable(record) -> record, or dotted field names to mask."""
    if redact is None:
        return record
    if callable(redact):
        result = redact(record)
        if not isinstance(result, dict):
            raise TypeError("redact callable must return the record dict")
        return result
    if isinstance(redact, str):
        redact = [redact]
    for dotted in redact:
        _mask_path(record, dotted)
    return record


