"""A plain-Python acceptance test for flat scalar contracts, so valid rows skip jsonschema."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import (
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)

__all__ = ["fast_check"]

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
