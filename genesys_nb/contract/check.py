"""Compiled contracts and their violations: FieldErrors with a JSON path and a message a person can act on."""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from genesys_nb.api.errors import ContractSchemaError
from genesys_nb.api.models import FieldError
from genesys_nb.contract.fast import Accepts, fast_check
from genesys_nb.contract.schema import REDACTED, compile_schema, json_path

__all__ = ["CompiledContract", "compile_contract", "field_errors", "format_violations"]

_MAX_VALUE_CHARS = 60  # a value quoted in a message is cut to this many characters


@dataclass(frozen=True)
class CompiledContract:
    """A compiled validator with its optional fast acceptance test (jsonschema-rs, see `fast_check`)."""

    validator: Validator
    accepts: Accepts | None = None

    def errors(self, instance: Any, *, redact: bool = False, label: str = "schema") -> list[FieldError]:
        """`field_errors` for this contract: [] at once when the fast test accepts."""
        return field_errors(self, instance, redact=redact, label=label)


def compile_contract(schema: Any, *, label: str = "schema") -> CompiledContract:
    """`compile_schema` plus the fast acceptance test when the schema allows one."""
    validator = compile_schema(schema, label=label)
    return CompiledContract(validator, fast_check(schema, type(validator)))


def _show(value: Any, redact: bool) -> str:
    if redact:
        return REDACTED
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def _type_names(expected: Any) -> str:
    if isinstance(expected, list):
        return "one of " + ", ".join(repr(name) for name in expected)
    return repr(expected)


def _message(error: ValidationError, redact: bool) -> str:
    """A message for one violation, with the limit that was broken and never a secure value."""
    keyword = error.validator
    expected = error.validator_value
    instance = error.instance
    shown = _show(instance, redact)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if keyword == "type":
        hint = ""
        if expected == "integer" and isinstance(instance, float):
            hint = " (a whole number without a decimal point is required)"
        elif expected in ("integer", "number") and isinstance(instance, bool):
            hint = " (a boolean is not a number)"
        elif expected in ("integer", "number") and isinstance(instance, str):
            hint = " (send a JSON number, not a string)"
        elif expected == "boolean" and isinstance(instance, str):
            hint = " (send true or false, not a string)"
        return f"{shown} is not of type {_type_names(expected)}{hint}"
    if keyword == "enum":
        return f"{shown} is not one of {_show(list(expected), False)}"
    if keyword == "pattern":
        return f"{shown} does not match pattern {expected!r}"
    if keyword in ("minLength", "maxLength") and isinstance(instance, str):
        relation = "shorter" if keyword == "minLength" else "longer"
        bound = "minimum" if keyword == "minLength" else "maximum"
        return f"{shown} is {relation} than the {bound} length {expected} (length {len(instance)})"
    if keyword in ("minimum", "maximum"):
        below = keyword == "minimum"
        exclusive = schema.get("exclusiveMinimum" if below else "exclusiveMaximum") is True
        relation = ("less than" if below else "greater than") + (" or equal to" if exclusive else "")
        kind = ("exclusive " if exclusive else "") + keyword
        return f"{shown} is {relation} the {kind} {expected}"
    if keyword in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(expected, bool):
        relation = "less than or equal to" if keyword == "exclusiveMinimum" else "greater than or equal to"
        return f"{shown} is {relation} the exclusive {keyword[9:].lower()} {expected}"
    if keyword == "format":
        return f"{shown} is not a valid {expected!r}"
    if keyword == "const":
        return f"{shown} is not the required value {_show(expected, False)}"
    if redact:
        return f"value fails {keyword!r} ({_show(expected, False)})"
    return error.message


def _missing_names(error: ValidationError) -> list[str]:
    if not isinstance(error.instance, Mapping) or not isinstance(error.validator_value, list):
        return []
    return [name for name in error.validator_value if name not in error.instance]


def _extra_names(error: ValidationError) -> list[str]:
    instance, schema = error.instance, error.schema
    if not isinstance(instance, Mapping) or not isinstance(schema, Mapping):
        return []
    declared = schema.get("properties") or {}
    patterns = [re.compile(p) for p in (schema.get("patternProperties") or {})]
    return [
        name for name in instance
        if name not in declared and not any(p.search(name) for p in patterns)
    ]


def _expand(errors: Iterable[ValidationError], redact: bool) -> Iterator[FieldError]:
    pending_required: dict[tuple[Any, ...], Iterator[str]] = {}
    for error in errors:
        parts = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.validator_value, list):
            # jsonschema reports one error per missing name, in `required` order.
            key = (tuple(parts), tuple(error.absolute_schema_path))
            names = pending_required.setdefault(key, iter(_missing_names(error)))
            name = next(names, None)
            if name is not None:
                yield FieldError(
                    path=json_path([*parts, name]),
                    message=f"{name!r} is a required property",
                    validator="required",
                    value=None,
                )
                continue
        if error.validator == "additionalProperties" and error.validator_value is False:
            extras = _extra_names(error)
            if extras:
                for name in extras:
                    yield FieldError(
                        path=json_path([*parts, name]),
                        message=f"{name!r} is not a property of the contract (additionalProperties is false)",
                        validator="additionalProperties",
                        value=REDACTED if redact else error.instance[name],
                    )
                continue
        yield FieldError(
            path=json_path(parts),
            message=_message(error, redact),
            validator=str(error.validator),
            value=REDACTED if redact else error.instance,
        )


def field_errors(validator: Validator | CompiledContract, instance: Any, *, redact: bool = False,
                 label: str = "schema") -> list[FieldError]:
    """Every violation of `instance` against a compiled `validator`, ordered by JSON path.

    `validator` is a `compile_schema` validator or a `compile_contract` result; with the latter an
    instance its fast test accepts gives [] without running jsonschema.
    `redact=True` keeps values out of messages and `FieldError.value` (secure actions).
    A `$ref` that cannot be resolved raises ContractSchemaError naming `label`.
    """
    if isinstance(validator, CompiledContract):
        if validator.accepts is not None and validator.accepts(instance):
            return []
        validator = validator.validator
    try:
        raw = list(validator.iter_errors(instance))
    except Unresolvable as err:
        raise ContractSchemaError(
            f"Invalid contract ({label}): a $ref cannot be resolved ({err}); "
            "inline the referenced definition in the schema."
        ) from err
    except (ArithmeticError, ValueError, TypeError) as err:
        # jsonschema's own arithmetic fails on numbers JSON cannot carry (multipleOf on inf or nan) and on
        # mixed number types (a Decimal value under a float multipleOf)
        return _unchecked_numbers(instance, err, redact)
    found = list(_expand(raw, redact))
    return sorted(found, key=lambda item: (item.path, item.validator))


def _non_finite(value: Any, parts: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], float]]:
    if isinstance(value, float) and not math.isfinite(value):
        yield parts, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _non_finite(item, (*parts, str(key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _non_finite(item, (*parts, index))


def _unchecked_numbers(instance: Any, err: Exception, redact: bool) -> list[FieldError]:
    """FieldErrors for an instance jsonschema could not evaluate: each NaN/Infinity by its path."""
    found = [
        FieldError(path=json_path(parts), validator="type", value=REDACTED if redact else value,
                   message="is not a finite number (NaN and Infinity cannot be sent as JSON); use a finite number")
        for parts, value in _non_finite(instance)
    ]
    return found or [FieldError(
        path="$", validator="type", value=REDACTED if redact else instance,
        message=f"cannot be checked against the contract ({type(err).__name__}: {err}); "
                "check the numbers in it are ones JSON can carry",
    )]


def format_violations(label: str, errors: list[FieldError], *, what: str = "Input") -> str:
    """`Input for action 'X' (id) violates its contract (2 problems): $.a: ...; $.b: ...`."""
    count = len(errors)
    listed = "; ".join(f"{error.path}: {error.message}" for error in errors)
    noun = "problem" if count == 1 else "problems"
    return f"{what} for {label} violates its contract ({count} {noun}): {listed}"
