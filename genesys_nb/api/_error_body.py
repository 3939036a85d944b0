"""What the platform says went wrong: its error JSON (:class:`ErrorBody`) and one contract violation
(:class:`FieldError`).
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_nb.api._fields import JSON, _int, _mapping, _require_mapping, _str

__all__ = ["ErrorBody", "FieldError"]


@dataclass(frozen=True)
class FieldError:
    """One contract violation: a JSON path and a message.

    ``$.priority`` for a field (a missing required field sits on its own path, ``$.<field>``, so a
    form can show it beside the field); ``$`` for the whole object (e.g. not an object at all).
    """

    path: str
    message: str
    validator: str
    value: Any = None

    def to_dict(self) -> JSON:
        return {"path": self.path, "message": self.message, "validator": self.validator, "value": self.value}

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class ErrorBody:
    """The platform's error JSON: message, code, status, contextId, details, nested errors."""

    message: str | None = None
    code: str | None = None
    status: int | None = None
    context_id: str | None = None
    details: list[JSON] = field(default_factory=list)
    errors: list[ErrorBody] = field(default_factory=list)
    message_params: JSON = field(default_factory=dict)
    raw: JSON = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErrorBody:
        raw = _require_mapping(data, "ErrorBody")
        details = raw.get("details")
        nested = raw.get("errors")
        return cls(
            message=_str(raw.get("message")),
            code=_str(raw.get("code")),
            status=_int(raw.get("status")),
            context_id=_str(raw.get("contextId")),
            details=[dict(d) for d in details if isinstance(d, Mapping)] if isinstance(details, list) else [],
            errors=[cls.from_dict(e) for e in nested if isinstance(e, Mapping)] if isinstance(nested, list) else [],
            message_params=_mapping(raw.get("messageParams")) or {},
            raw=raw,
        )

    @property
    def detail_codes(self) -> list[str]:
        """Every ``details[].errorCode``, this body's first, then those of nested errors (no duplicates)."""
        codes: list[str] = []
        for detail in self.details:
            code = detail.get("errorCode")
            if isinstance(code, str) and code not in codes:
                codes.append(code)
        for nested in self.errors:
            for code in nested.detail_codes:
                if code not in codes:
                    codes.append(code)
        return codes

    @property
    def full_message(self) -> str:
        """The top-level message followed by the nested ones (the nested one often says what really failed)."""
        parts: list[str] = []
        for text in self._messages():
            # Nested errors often repeat (part of) the top-level text: keep only what adds something.
            if not any(text in part for part in parts):
                parts.append(text)
        return " | ".join(parts)

    def _messages(self) -> list[str]:
        found = [self.message] if self.message else []
        for nested in self.errors:
            found.extend(nested._messages())
        return found

    def to_dict(self) -> JSON:
        if self.raw:
            return copy.deepcopy(self.raw)
        out: JSON = {}
        for key, value in (("message", self.message), ("code", self.code), ("status", self.status),
                           ("contextId", self.context_id)):
            if value is not None:
                out[key] = value
        if self.message_params:
            out["messageParams"] = dict(self.message_params)
        out["details"] = [dict(d) for d in self.details]
        out["errors"] = [e.to_dict() for e in self.errors]
        return out
