"""Input and output contracts of Data Actions, checked client-side with JSON Schema.

`DataActionValidator` turns an action's input contract (and its success schema) into a list of
`FieldError`s, each with a JSON path (`$.USER_ID`, `$.address.zip`, `$.items[2]`), the JSON
Schema keyword that failed (`pattern`, `required`, ...) and a message a person can act on.

Choices worth knowing:

- The draft comes from the schema's `$schema`; without one (or with an unknown one) the schema is
  read as draft-04, the draft Genesys Cloud contracts declare. Draft-04 semantics therefore hold:
  `exclusiveMaximum: true` is a boolean modifier of `maximum`, `1.0` is not an `integer`.
  `format` is checked (`date-time`, `email`, `ipv4`, ... as far as the installed checkers go).
- A missing required property is reported at the path of the *missing field*
  (`$.queueId`, validator `"required"`), not at its parent object, so a form can show the error
  next to the field. The same holds for a property refused by `additionalProperties: false`.
- Values of a secure action (`secure: true`) never appear in messages: they read `<redacted>`.
- Compiled validators are cached per (action id, version) and reused; priming an action with a
  new version (or a changed contract) compiles again.
- A contract that is a flat object of scalar properties (`type` string/integer/number/boolean/null,
  `enum`, `pattern`, `minLength`/`maxLength`, `minimum`/`maximum`/`exclusive*`, `multipleOf`,
  `required`, `additionalProperties` true/false) also gets a plain-Python acceptance test, cached
  with its compiled validator (`CompiledContract.accepts`). A valid instance is accepted by that
  test alone; anything it does not accept (or any contract outside that subset) goes through
  jsonschema, which gives the messages. The test is strict: it may send a valid instance on to
  jsonschema (a `float` for `integer` in draft-06+ when not whole, a `Decimal`, a `str` subclass),
  but never accepts one that jsonschema refuses.
- A contract that is not a valid schema raises `ContractSchemaError` naming the action and the
  broken keyword; `$ref`s to remote documents are never fetched.
"""
from __future__ import annotations

import asyncio
import inspect
import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from jsonschema import (
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from jsonschema_specifications import REGISTRY as _METASCHEMA_REGISTRY
from referencing.exceptions import Unresolvable

from genesys_nb.errors import ContractSchemaError, InputValidationError, fix_hint
from genesys_nb.models import Action, FieldError

if TYPE_CHECKING:
    from genesys_nb.client import AsyncDataActionsClient, DataActionsClient

__all__ = [
    "REDACTED",
    "CompiledContract",
    "ContractSchemaError",
    "DataActionValidator",
    "action_label",
    "compile_contract",
    "compile_schema",
    "fast_check",
    "field_errors",
    "format_violations",
    "json_path",
]

REDACTED = "<redacted>"
_MISSING: Any = object()
Which = Literal["input", "success"]
_SIDES: tuple[Which, ...] = ("input", "success")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_VALUE_CHARS = 60


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


# --------------------------------------------------------------------------------------------
# Fast acceptance test for flat contracts of scalar properties

Accepts = Callable[[Any], bool]

# Keywords that only annotate: they never make an instance invalid.
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment"})
_TOP_KEYWORDS = _ANNOTATIONS | {"$schema", "type", "properties", "required", "additionalProperties"}
_PROPERTY_KEYWORDS = _ANNOTATIONS | {
    "type", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
}
_DRAFT4_CLASSES: tuple[type, ...] = (Draft4Validator,)
_MODERN_CLASSES: tuple[type, ...] = (Draft6Validator, Draft7Validator, Draft201909Validator, Draft202012Validator)


def _is_string(value: Any) -> bool:
    return type(value) is str


def _is_integer_draft4(value: Any) -> bool:
    return type(value) is int  # bool is a subclass of int, not int itself


def _is_integer_modern(value: Any) -> bool:
    kind = type(value)
    return kind is int or (kind is float and value.is_integer())


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


def _is_boolean(value: Any) -> bool:
    return value is True or value is False


def _is_null(value: Any) -> bool:
    return value is None


def _type_test(declared: Any, *, modern: bool) -> Accepts | None:
    tests = {
        "string": _is_string,
        "integer": _is_integer_modern if modern else _is_integer_draft4,
        "number": _is_number,
        "boolean": _is_boolean,
        "null": _is_null,
    }
    names = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n in tests for n in names):
        return None
    chosen = tuple(tests[name] for name in dict.fromkeys(names))
    if len(chosen) == 1:
        return chosen[0]
    return lambda value: any(test(value) for test in chosen)


def _enum_test(values: Any) -> Accepts | None:
    """Accepts exactly the scalars that equal an enum member of the same Python type."""
    if not isinstance(values, list):
        return None
    strings = frozenset(v for v in values if type(v) is str)
    others = frozenset((type(v), v) for v in values if type(v) in (int, float, bool, type(None)))

    def member(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            return value in strings
        if kind in (int, float, bool, type(None)):
            return (kind, value) in others
        return False  # lists, dicts, subclasses: left to jsonschema

    return member


def _is_bound(value: Any) -> bool:
    return type(value) in (int, float)


# Each test fails exactly when jsonschema's comparison fails (`not v < b`, not `v >= b`: nan passes both).
def _not_less(bound: Any) -> Accepts:
    return lambda value: not value < bound


def _not_greater(bound: Any) -> Accepts:
    return lambda value: not value > bound


def _not_at_most(bound: Any) -> Accepts:
    return lambda value: not value <= bound


def _not_at_least(bound: Any) -> Accepts:
    return lambda value: not value >= bound


def _not_shorter(length: int) -> Accepts:
    return lambda value: not len(value) < length


def _not_longer(length: int) -> Accepts:
    return lambda value: not len(value) > length


def _searched(search: Callable[[str], re.Match[str] | None]) -> Accepts:
    return lambda value: search(value) is not None


def _numeric_tests(sub: Mapping[str, Any], *, modern: bool) -> list[Accepts] | None:
    """Tests for a number (int or float, never bool); each fails exactly when jsonschema's keyword fails."""
    tests: list[Accepts] = []
    low, high = sub.get("minimum"), sub.get("maximum")
    low_x, high_x = sub.get("exclusiveMinimum"), sub.get("exclusiveMaximum")
    for bound in (low, high):
        if bound is not None and not _is_bound(bound):
            return None
    if modern:
        for bound in (low_x, high_x):
            if bound is not None and not _is_bound(bound):
                return None
        if low is not None:
            tests.append(_not_less(low))
        if high is not None:
            tests.append(_not_greater(high))
        if low_x is not None:
            tests.append(_not_at_most(low_x))
        if high_x is not None:
            tests.append(_not_at_least(high_x))
    else:
        for flag in (low_x, high_x):
            if flag is not None and not isinstance(flag, bool):
                return None
        if low is not None:
            tests.append(_not_at_most(low) if low_x else _not_less(low))
        if high is not None:
            tests.append(_not_at_least(high) if high_x else _not_greater(high))
    if "multipleOf" in sub:
        step = sub["multipleOf"]
        if not _is_bound(step) or step <= 0:
            return None

        def multiple(value: Any, step: Any = step) -> bool:
            # jsonschema's own arithmetic; anything unusual (overflow, nan) is left to jsonschema.
            try:
                if isinstance(step, float):
                    quotient = value / step
                    return bool(int(quotient) == quotient)
                return not value % step
            except (ArithmeticError, ValueError):
                return False

        tests.append(multiple)
    return tests


def _string_tests(sub: Mapping[str, Any]) -> list[Accepts] | None:
    """Tests for a str; lengths count code points, patterns use search semantics (as jsonschema)."""
    tests: list[Accepts] = []
    shortest, longest = sub.get("minLength"), sub.get("maxLength")
    for bound in (shortest, longest):
        if bound is not None and type(bound) is not int:
            return None
    if shortest is not None:
        tests.append(_not_shorter(shortest))
    if longest is not None:
        tests.append(_not_longer(longest))
    if "pattern" in sub:
        if not isinstance(sub["pattern"], str):
            return None
        try:
            search = re.compile(sub["pattern"]).search
        except (re.error, RecursionError, OverflowError):
            return None
        tests.append(_searched(search))
    return tests


def _property_test(sub: Any, *, modern: bool) -> Accepts | None:
    """A test for one property's value, or None when its subschema is outside the supported subset."""
    if not isinstance(sub, Mapping) or not set(sub) <= _PROPERTY_KEYWORDS:
        return None
    type_test = _type_test(sub["type"], modern=modern) if "type" in sub else None
    if "type" in sub and type_test is None:
        return None
    enum_test = _enum_test(sub["enum"]) if "enum" in sub else None
    if "enum" in sub and enum_test is None:
        return None
    string_tests = _string_tests(sub)
    number_tests = _numeric_tests(sub, modern=modern)
    if string_tests is None or number_tests is None:
        return None
    if enum_test is None and not string_tests and not number_tests:
        return type_test if type_test is not None else (lambda value: True)
    if type_test is _is_string and enum_test is None and len(string_tests) == 1:
        (only,) = string_tests  # the common `{"type": "string", "maxLength": n}`
        return lambda value: type(value) is str and only(value)

    def check(value: Any) -> bool:
        if type_test is not None and not type_test(value):
            return False
        kind = type(value)
        if kind is not str and kind not in (int, float, bool, type(None)):
            return False  # a list, dict, Decimal or subclass: left to jsonschema
        if enum_test is not None and not enum_test(value):
            return False
        if kind is str:
            return all(test(value) for test in string_tests)
        if kind is int or kind is float:
            return all(test(value) for test in number_tests)
        return True

    return check


def fast_check(schema: Any, validator_class: type) -> Accepts | None:
    """A plain-Python test accepting only instances `validator_class(schema)` finds valid.

    Built only for a flat object contract of scalar properties (see the module notes) in draft-04,
    -06, -07, 2019-09 or 2020-12; None for anything else (the caller then uses jsonschema alone).
    The test may refuse a valid instance (the caller then asks jsonschema) but never accepts an
    invalid one.
    """
    if validator_class in _DRAFT4_CLASSES:
        modern = False
    elif validator_class in _MODERN_CLASSES:
        modern = True
    else:
        return None
    if not isinstance(schema, Mapping) or not set(schema) <= _TOP_KEYWORDS:
        return None
    if schema.get("type", "object") != "object":
        return None
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    if not isinstance(properties, Mapping) or not isinstance(required, list) or not isinstance(extra, bool):
        return None
    if not all(isinstance(name, str) for name in required):
        return None
    tests: dict[str, Accepts] = {}
    for name, sub in properties.items():
        test = _property_test(sub, modern=modern)
        if test is None:
            return None
        tests[name] = test
    needed = frozenset(required)
    declared = frozenset(properties)
    closed = extra is False
    lookup = tests.get

    def accepts(instance: Any) -> bool:
        if type(instance) is not dict:
            return False
        keys = instance.keys()
        if needed and not keys >= needed:
            return False
        if closed and not keys <= declared:
            return False
        for key, value in instance.items():
            test = lookup(key)
            if test is not None and not test(value):
                return False
        return True

    return accepts


@dataclass(frozen=True)
class CompiledContract:
    """A compiled validator with its optional fast acceptance test (see `fast_check`)."""

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
    except (ArithmeticError, ValueError) as err:
        # jsonschema's own arithmetic fails on numbers JSON cannot carry (multipleOf on inf or nan)
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


# --------------------------------------------------------------------------------------------
# The stateful validator


class DataActionValidator:
    """Checks inputs and outputs against action contracts; actions fetched once, schemas compiled once.

    With a sync `DataActionsClient`, an action that was never primed is fetched on first use.
    With an async client, call `await aget_action(action_id)` (or `prime(action)`) first; the
    checks themselves are pure CPU work and stay synchronous.
    """

    def __init__(self, client: DataActionsClient | AsyncDataActionsClient | None = None) -> None:
        self._client: Any = client
        self._actions: dict[str, Action] = {}
        self._fetched_schemas: dict[tuple[str, int | None, Which], Any] = {}
        self._compiled: dict[tuple[str, int | None, Which], CompiledContract | None] = {}
        self._lock = threading.Lock()
        get_action = getattr(client, "get_action", None)
        self._async_client = get_action is not None and inspect.iscoroutinefunction(get_action)
        self._fetch_locks: dict[str, threading.Lock] = {}
        self._inflight: dict[tuple[int, str], asyncio.Future[Action]] = {}
        self.compile_count = 0
        """How many schemas were compiled so far (each (action id, version, contract side) once)."""

    def __repr__(self) -> str:
        return f"DataActionValidator(actions={len(self._actions)}, compiled={len(self._compiled)})"

    @property
    def _client_is_async(self) -> bool:
        return self._async_client

    # ---- actions -------------------------------------------------------------------------
    def prime(self, action: Action) -> Action:
        """Register an action that was already fetched; a new version or contract is compiled again."""
        action_id = getattr(action, "id", None)
        if not action_id:
            raise ValueError(
                "prime() needs an Action with an id; build exported JSON with "
                "Action.from_export(export, action_id='custom_-_...')."
            )
        with self._lock:
            known = self._actions.get(action_id)
            if known is not None and not _same_contract(known, action):
                for key in [k for k in self._compiled if k[0] == action_id]:
                    del self._compiled[key]
                for key in [k for k in self._fetched_schemas if k[0] == action_id]:
                    del self._fetched_schemas[key]
            self._actions[action_id] = action
        return action

    def forget(self, action_id: str | None = None) -> None:
        """Drop one cached action (or all) so the next check fetches it again."""
        with self._lock:
            ids = list(self._actions) if action_id is None else [action_id]
            for ident in ids:
                self._actions.pop(ident, None)
            for cache in (self._compiled, self._fetched_schemas):
                for key in [k for k in cache if k[0] in ids]:
                    del cache[key]

    def cached_action(self, action_id: str) -> Action | None:
        """The action known for `action_id` without any request (None when never primed/fetched)."""
        return self._actions.get(action_id)

    def get_action(self, action_id: str) -> Action:
        """The known action, or fetch it (with its contract) through the sync client.

        Threads asking for the same unknown action at once share one request.
        """
        action = self._actions.get(action_id)
        if action is None:
            client = self._require_client(action_id, sync=True)
            with self._lock:
                fetch_lock = self._fetch_locks.setdefault(action_id, threading.Lock())
            with fetch_lock:
                action = self._actions.get(action_id) or self.prime(client.get_action(action_id))
        return action

    async def aget_action(self, action_id: str) -> Action:
        """The known action, or fetch it through the async client, with any schema given only by URI.

        Tasks asking for the same unknown action at once share one request.
        """
        action = self._actions.get(action_id)
        if action is None:
            client = self._require_client(action_id, sync=False)
            key = (id(asyncio.get_running_loop()), action_id)
            pending = self._inflight.get(key)
            if pending is None:
                pending = asyncio.ensure_future(client.get_action(action_id))
                self._inflight[key] = pending
                pending.add_done_callback(lambda _: self._inflight.pop(key, None))
            # shield: one caller being cancelled must not cancel the fetch the others wait for.
            action = self.prime(await asyncio.shield(pending))
        if self._client is not None and self._client_is_async:
            for which in _SIDES:
                if self._needs_schema_fetch(action, which):
                    schema = await self._client.get_schema(action_id, which)
                    self._fetched_schemas[(action_id, action.version, which)] = schema
        return action

    def _require_client(self, action_id: str, *, sync: bool) -> Any:
        if self._client is None:
            raise ValueError(
                f"Action {action_id} is not known to this validator and it has no client to fetch it: "
                "pass a client (DataActionValidator(client)) or call prime(action) first."
            )
        if sync and self._client_is_async:
            raise ValueError(
                f"Action {action_id} is not known yet and the validator's client is async: "
                f"call `await validator.aget_action({action_id!r})` (or prime(action)) before checking."
            )
        if not sync and not self._client_is_async:
            raise ValueError(
                f"aget_action({action_id!r}) needs an AsyncDataActionsClient; use get_action() with a sync client."
            )
        return self._client

    def _needs_schema_fetch(self, action: Action, which: Which) -> bool:
        contract = getattr(action, "contract", None)
        if contract is None or _inline_schema(action, which) is not None:
            return False
        uri = contract.input_schema_uri if which == "input" else contract.success_schema_uri
        return bool(uri) and (action.id, action.version, which) not in self._fetched_schemas

    # ---- compiled validators -------------------------------------------------------------
    def _compiled_for(self, action_id: str, which: Which) -> tuple[Action, CompiledContract | None]:
        action = self._actions.get(action_id)
        if action is None:
            action = self._known(action_id) if self._async_client else self.get_action(action_id)
        key = (action_id, action.version, which)
        # Entries are only added or removed (under the lock), never changed: a plain read is safe.
        compiled = self._compiled.get(key, _MISSING)
        if compiled is not _MISSING:
            return action, compiled
        schema = _inline_schema(action, which)
        if schema is None:
            schema = self._fetched_schemas.get(key)
        side = "input contract" if which == "input" else "success schema"
        if schema is None and self._client is not None and self._needs_schema_fetch(action, which):
            # The action came without this schema inline, only its URI: fetch it once. Without a
            # client there is nothing to fetch with, and a primed action is taken as complete.
            if self._client_is_async:
                raise ValueError(
                    f"The {side} of {action_label(action, action_id)} is only given by URI and was not "
                    f"fetched: call `await validator.aget_action({action_id!r})` first (async client)."
                )
            schema = self._client.get_schema(action_id, which)
            self._fetched_schemas[key] = schema
        compiled = None if schema is None else compile_contract(
            schema, label=f"{action_label(action, action_id)}, {side}"
        )
        with self._lock:
            # Another thread may have compiled meanwhile; keep the first so callers share one object.
            if key not in self._compiled:
                self._compiled[key] = compiled
                if compiled is not None:
                    self.compile_count += 1
            return action, self._compiled[key]

    def _known(self, action_id: str) -> Action:
        action = self._actions.get(action_id)
        if action is None:
            self._require_client(action_id, sync=True)  # raises the explanatory error
            raise AssertionError("unreachable")
        return action

    def input_validator(self, action_id: str) -> Validator | None:
        """The compiled input-contract validator (None when the action declares no input schema)."""
        compiled = self._compiled_for(action_id, "input")[1]
        return None if compiled is None else compiled.validator

    def output_validator(self, action_id: str) -> Validator | None:
        """The compiled success-schema validator (None when the action declares none)."""
        compiled = self._compiled_for(action_id, "success")[1]
        return None if compiled is None else compiled.validator

    # ---- checks --------------------------------------------------------------------------
    def check_input(self, action_id: str, inputs: Any) -> list[FieldError]:
        """Every violation of `inputs` against the action's input contract (empty list when valid)."""
        action, compiled = self._compiled_for(action_id, "input")
        if compiled is None or (compiled.accepts is not None and compiled.accepts(inputs)):
            return []
        return field_errors(compiled.validator, inputs, redact=bool(getattr(action, "secure", False)),
                            label=action_label(action, action_id))

    def validate_input(self, action_id: str, inputs: Any) -> None:
        """Raise InputValidationError listing every violation with its JSON path; return when valid."""
        errors = self.check_input(action_id, inputs)
        if errors:
            label = action_label(self._actions.get(action_id), action_id)
            message = f"{format_violations(label, errors)}. Fix: {fix_hint('validation', action_id=action_id)}"
            raise InputValidationError(errors, action_id=action_id, message=message)

    def check_output(self, action_id: str, output: Any) -> list[FieldError]:
        """Every violation of an execution's `output` against the action's success schema."""
        action, compiled = self._compiled_for(action_id, "success")
        if compiled is None or (compiled.accepts is not None and compiled.accepts(output)):
            return []
        return field_errors(compiled.validator, output, redact=bool(getattr(action, "secure", False)),
                            label=action_label(action, action_id))


def _inline_schema(action: Action, which: Which) -> Any:
    return action.input_schema if which == "input" else action.success_schema


def _same_contract(old: Action, new: Action) -> bool:
    return (
        old.version == new.version
        and old.input_schema == new.input_schema
        and old.success_schema == new.success_schema
        and bool(getattr(old, "secure", False)) == bool(getattr(new, "secure", False))
    )
