"""The fast acceptance test of a contract: jsonschema-rs (JSON Schema in Rust) compiled once per schema.

A valid instance is accepted by jsonschema-rs alone; anything it refuses goes to jsonschema, which
gives the messages users read (paths, the broken limit, secure values kept out). jsonschema-rs
covers the whole of JSON Schema (draft-04, -06, -07, 2019-09, 2020-12), so nested contracts get
the fast path as well as flat ones.

Where the two libraries could disagree, the answer never leans towards sending a row jsonschema
would refuse:

- what jsonschema-rs cannot take as JSON (a dict key that is not a string) is not accepted here,
  and jsonschema decides;
- a value of any type but dict, list, str, int, float, bool and None (a ``Decimal``, a tuple, a
  ``str`` or ``int`` subclass, a numpy scalar) makes the instance go to jsonschema too, since the two
  read those differently (jsonschema-rs takes ``Decimal(1)`` for an integer, jsonschema does not
  under draft-04);
- where jsonschema-rs refuses and jsonschema would not (an exclusive bound against ``NaN``, say),
  jsonschema decides, as for any refusal;
- a schema jsonschema-rs cannot compile (a pattern its regex engine does not know, say) gets no
  fast path;
- ``$ref`` to remote documents are never fetched (``offline``), as with jsonschema.

A refusal by jsonschema-rs that jsonschema does not confirm (a pattern whose ``\\d`` the two engines
read differently) ends as jsonschema says: no errors, the instance is valid.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema_rs
from jsonschema import (
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)

__all__ = ["fast_check"]

Accepts = Callable[[Any], bool]

_RUST_CLASSES: dict[type, Any] = {
    Draft4Validator: jsonschema_rs.Draft4Validator,
    Draft6Validator: jsonschema_rs.Draft6Validator,
    Draft7Validator: jsonschema_rs.Draft7Validator,
    Draft201909Validator: jsonschema_rs.Draft201909Validator,
    Draft202012Validator: jsonschema_rs.Draft202012Validator,
}
_SCALARS = frozenset({str, int, float, bool, type(None)})
_PLAIN = _SCALARS | {dict, list}


def _plain_json(value: Any) -> bool:
    """True when every value inside is a dict, a list or a plain JSON scalar (exactly those types).

    One C-level pass over the types of a container's items: a flat row of scalars costs well under
    a microsecond. Dict keys are not checked here: jsonschema-rs raises on a key that is not a
    string, and the caller takes that as "not accepted".
    """
    kind = type(value)
    if kind is dict:
        items = value.values()
    elif kind is list:
        items = value
    else:
        return kind in _SCALARS
    kinds = set(map(type, items))
    if kinds <= _SCALARS:
        return True
    return kinds <= _PLAIN and all(_plain_json(item) for item in items if type(item) in (dict, list))


_VALUES = frozenset({"enum", "const", "default", "examples"})  # instance data, never a schema


def _without_empty_required(schema: Any) -> Any:
    """The schema without ``"required": []``: it validates nothing, exported contracts carry it and the
    platform accepts it, but draft-04's metaschema (which jsonschema-rs applies) wants one name at least."""
    if isinstance(schema, dict):
        return {key: value if key in _VALUES else _without_empty_required(value)
                for key, value in schema.items() if not (key == "required" and value == [])}
    if isinstance(schema, list):
        return [_without_empty_required(item) for item in schema]
    return schema


def fast_check(schema: Any, validator_class: type) -> Accepts | None:
    """A test accepting only instances `validator_class(schema)` finds valid, or None.

    None for a draft without a jsonschema-rs twin, or a schema jsonschema-rs cannot compile; the
    caller then uses jsonschema alone. The test may refuse a valid instance (the caller then asks
    jsonschema) but never accepts one that is not plain JSON (see the module notes).
    """
    rust_class = _RUST_CLASSES.get(validator_class)
    if rust_class is None:
        return None
    try:
        compiled = rust_class(_without_empty_required(schema), validate_formats=True, offline=True)
    except Exception:  # noqa: BLE001 - any schema it cannot take (ValidationError, ValueError, a regex) means no fast path
        return None
    is_valid = compiled.is_valid

    def accepts(instance: Any) -> bool:
        if not _plain_json(instance):
            return False
        try:
            return bool(is_valid(instance))
        except (ValueError, TypeError, OverflowError):  # e.g. a dict key that is not a string
            return False

    return accepts
