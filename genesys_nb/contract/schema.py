"""JSON Schema compilation for contracts: the draft a schema declares, checked once, and JSON paths for messages."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import (
    Draft4Validator,
)
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from jsonschema_specifications import REGISTRY as _METASCHEMA_REGISTRY

from genesys_nb.api.errors import ContractSchemaError
from genesys_nb.api.models import Action

__all__ = ["REDACTED", "action_label", "compile_schema", "json_path"]

REDACTED = "<redacted>"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")



# --------------------------------------------------------------------------------------------
# Pure helpers


def json_path(parts: Iterable[str | int]) -> str:
    """`["address", "zip"]` -> `$.address.zip`; indexes as `[2]`; odd keys as `['Phone Number']`."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.match(part):
            path += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            path += f"['{escaped}']"
    return path


def action_label(action: Action | None, action_id: str | None = None) -> str:
    """How messages name an action: `action 'Get Events' (custom_-_...)`."""
    if action is None:
        return f"action {action_id}" if action_id else "the action"
    name = getattr(action, "name", None)
    ident = getattr(action, "id", None) or action_id
    if name and ident:
        return f"action {name!r} ({ident})"
    return f"action {name!r}" if name else f"action {ident}"


def _metaschema_errors(cls: type[Validator], schema: Mapping[str, Any]) -> list[ValidationError]:
    meta_cls = validator_for(cls.META_SCHEMA, default=cls)
    meta = meta_cls(cls.META_SCHEMA, format_checker=meta_cls.FORMAT_CHECKER)
    problems = []
    for error in meta.iter_errors(schema):
        # Draft-04's metaschema wants at least one name in `required`; exported contracts may
        # carry `"required": []`, which validates nothing and is accepted by the platform.
        if error.validator == "minItems" and error.instance == [] and list(error.path)[-1:] == ["required"]:
            continue
        problems.append(error)
    return problems


def compile_schema(schema: Any, *, label: str = "schema") -> Validator:
    """Check `schema` against its draft's metaschema and build a reusable validator for it.

    The draft is taken from `$schema` (draft-04 when absent or unknown); format checking is on.
    Raises ContractSchemaError (a ValueError) naming `label` and the broken keyword.
    """
    if isinstance(schema, bool):
        return Draft4Validator(schema, registry=_METASCHEMA_REGISTRY)
    if not isinstance(schema, Mapping):
        raise ContractSchemaError(
            f"Invalid contract ({label}): not a JSON Schema object (got {type(schema).__name__}); "
            "fix the action's contract in Genesys Cloud."
        )
    declared = schema.get("$schema")
    if declared is not None and not isinstance(declared, str):
        raise ContractSchemaError(
            f"Invalid contract ({label}): '$schema' is not a string ({declared!r}); "
            "use 'http://json-schema.org/draft-04/schema#'."
        )
    cls = validator_for(schema, default=Draft4Validator)
    problems = _metaschema_errors(cls, schema)
    if problems:
        # anyOf/oneOf failures say little ("not valid under any of the given schemas"); the best
        # sub-error says what was expected ("'strin' is not one of ['array', 'boolean', ...]").
        shown = [best_match(error.context) if error.context else error for error in problems[:5]]
        details = "; ".join(f"at {json_path(error.absolute_path)}: {error.message}" for error in shown)
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ContractSchemaError(
            f"Invalid contract ({label}): not a valid {cls.__name__.removesuffix('Validator')} "
            f"JSON Schema: {details}{more}. Fix the schema in the action's contract."
        )
    return cls(schema, format_checker=cls.FORMAT_CHECKER, registry=_METASCHEMA_REGISTRY)
