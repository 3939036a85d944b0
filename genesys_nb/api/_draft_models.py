"""Models of the draft endpoints: DraftValidationResult, and the UpdateDraftInput / PublishDraftInput bodies.

A draft itself is an :class:`genesys_nb.api.models.Action` (the platform answers drafts with the
Action model). JSON names follow the official SDK's ``attribute_map``: UpdateDraftInput is
``{category, name, config, contract, secure, version}``, PublishDraftInput ``{version}``,
DraftValidationResult ``{valid, errors[ErrorBody]}``.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_nb.api._error_body import ErrorBody
from genesys_nb.api._fields import JSON, _require_mapping

__all__ = ["DraftValidationResult", "publish_draft_body", "update_draft_body"]

_UPDATE_FIELDS = ("category", "name", "config", "contract", "secure")


@dataclass
class DraftValidationResult:
    """What ``GET .../draft/validation`` says: whether the draft can be published, and why not."""

    valid: bool
    errors: list[ErrorBody] = field(default_factory=list)
    raw: JSON = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DraftValidationResult:
        raw = _require_mapping(data, "DraftValidationResult")
        errors = raw.get("errors")
        listed = [ErrorBody.from_dict(e) for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else []
        return cls(valid=raw.get("valid") is True, errors=listed, raw=raw)

    @property
    def messages(self) -> list[str]:
        """One line per problem (the platform's message, nested messages included)."""
        return [error.full_message or error.code or "invalid" for error in self.errors]

    def to_dict(self) -> JSON:
        if self.raw:
            return copy.deepcopy(self.raw)
        return {"valid": self.valid, "errors": [error.to_dict() for error in self.errors]}

    def __bool__(self) -> bool:
        return self.valid


def _check_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be the draft's current version, an int >= 1 (got {version!r}); "
                         "client.get_draft(action_id).version gives it.")
    return version


def update_draft_body(version: Any, **changes: Any) -> JSON:
    """The UpdateDraftInput JSON: ``version`` (required) plus the fields given that are not None.

    >>> update_draft_body(2, name="Lookup v2", config=None)
    {'name': 'Lookup v2', 'version': 2}
    """
    unknown = sorted(set(changes) - set(_UPDATE_FIELDS))
    if unknown:
        raise TypeError(f"update_draft() got unknown field(s) {', '.join(unknown)}; "
                        f"UpdateDraftInput has {', '.join(_UPDATE_FIELDS)} and version")
    body: JSON = {}
    for name in _UPDATE_FIELDS:
        value = changes.get(name)
        if value is None:
            continue
        if name in ("config", "contract") and not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a dict (got {type(value).__name__})")
        if name == "secure" and not isinstance(value, bool):
            raise TypeError(f"secure must be True or False (got {value!r})")
        body[name] = copy.deepcopy(dict(value)) if isinstance(value, Mapping) else value
    body["version"] = _check_version(version)
    return body


def publish_draft_body(version: Any) -> JSON:
    """The PublishDraftInput JSON ``{"version": n}`` (the draft's current version)."""
    return {"version": _check_version(version)}
