"""Values the Velocity 1.7 way: truthiness, equality, arithmetic, and the uberspector's lookups.

Only null and false are false; numbers compare by value and anything else by its Java text; ``$obj.name``
is a map entry or a getter, ``$obj.name(...)`` a Java method of a plain value or a macro object's method.

>>> _truthy(""), _equals(1, 1.0), _arith("/")(-7, 2), _property({"a": 1}, "a"), _invoke("abc", "length", ())
(True, True, -3, 1, 3)
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from typing import Any

from genesys_nb.engine._java import JAVA_METHODS, NoSuchMethod, to_java_string


def _truthy(value: Any) -> bool:
    # Velocity 1.7: only null and false are false; "" and 0 are true (Python's bool() says otherwise)
    return value is not None and value is not False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equals(a: Any, b: Any) -> bool:
    # ASTEQNode: numbers compare by value, same classes by equals(), anything else by toString()
    if type(a) is str and type(b) is str:  # the usual #if("$!{input.x}" != ""), answered first
        return a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if a is None or b is None:
        return a is None and b is None
    if type(a) is type(b) or (isinstance(a, Mapping) and isinstance(b, Mapping)):
        return bool(a == b)
    return to_java_string(a) == to_java_string(b)


def _relational(test: Any) -> Any:
    return lambda a, b: bool(test(a, b)) if _is_number(a) and _is_number(b) else False


def _arith(op: str) -> Any:
    def apply(a: Any, b: Any) -> Any:
        if op == "+" and (isinstance(a, str) or isinstance(b, str)):
            return to_java_string(a) + to_java_string(b)  # ASTAddNode concatenates when a side is a String
        if not (_is_number(a) and _is_number(b)):
            return None
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            return None  # Velocity logs the division by zero and yields null
        if isinstance(a, int) and isinstance(b, int):  # Java integer division and remainder truncate
            quotient = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
            return quotient if op == "/" else a - b * quotient
        return a / b if op == "/" else math.fmod(a, b)
    return apply


def _arity(function: Any) -> tuple[int, float]:
    """How many positional arguments ``function`` takes (least, most), computed once per function."""
    key = getattr(function, "__func__", function)
    cached = _ARITY.get(key)
    if cached is None:
        try:
            params = list(inspect.signature(function).parameters.values())
        except (TypeError, ValueError):  # a builtin without a signature: the call itself decides
            cached = (0, float("inf"))
        else:
            positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            most = float("inf") if any(p.kind is p.VAR_POSITIONAL for p in params) else len(positional)
            cached = (sum(1 for p in positional if p.default is p.empty), most)
        _ARITY[key] = cached
    return cached


_ARITY: dict[Any, tuple[int, float]] = {}


def _java_table(obj: Any) -> dict[str, Any] | None:
    table = JAVA_METHODS.get(type(obj))
    if table is None and isinstance(obj, (str, list, dict)):
        table = JAVA_METHODS[str if isinstance(obj, str) else list if isinstance(obj, list) else dict]
    return table


def _call(function: Any, obj: Any, args: Sequence[Any], bound: bool) -> Any:
    low, high = _arity(function)
    count = len(args) + (0 if bound else 1)
    if not low <= count <= high:
        return None  # no overload takes that many arguments: Velocity treats the call as null
    try:
        return function(*args) if bound else function(obj, *args)
    except NoSuchMethod:
        return None


def _invoke(obj: Any, name: str, args: Sequence[Any]) -> Any:
    """``$obj.name(args)``: Java methods for plain values, public methods for macro objects."""
    if obj is None:
        return None
    table = _java_table(obj)
    if table is not None:
        function = table.get(name)
        return None if function is None else _call(function, obj, args, False)
    method = None if name.startswith("_") else getattr(obj, name, None)
    return _call(method, obj, args, True) if callable(method) else None


def _property(obj: Any, name: str) -> Any:
    """``$obj.name``: a map's entry, else getName()/isName(), as Velocity's uberspector looks them up."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    cap = name[:1].upper() + name[1:]
    table = _java_table(obj)
    if table is not None:
        for getter in ("get" + cap, "is" + cap):
            if getter in table:
                return _call(table[getter], obj, (), False)
        return None
    if name.startswith("_"):
        return None
    for getter in ("get" + cap, "get" + name, "is" + cap):
        method = getattr(obj, getter, None)
        if callable(method):
            return _call(method, obj, (), True)
    value = getattr(obj, name, None)
    return None if callable(value) else value


def _finds_property(obj: Any, name: str) -> bool:
    """Whether the uberspector finds ``$obj.name`` at all (a map always does, though the entry may be null)."""
    if isinstance(obj, Mapping):
        return True
    cap = name[:1].upper() + name[1:]
    table = _java_table(obj)
    if table is not None:
        return "get" + cap in table or "is" + cap in table
    if name.startswith("_"):
        return False
    if any(callable(getattr(obj, getter, None)) for getter in ("get" + cap, "get" + name, "is" + cap)):
        return True
    return hasattr(obj, name) and not callable(getattr(obj, name))


def _finds_method(obj: Any, name: str, count: int) -> bool:
    """Whether ``$obj.name(...)`` with ``count`` arguments names a method Velocity would find."""
    table = _java_table(obj)
    if table is not None:
        function, bound = table.get(name), False
    else:
        function, bound = (None if name.startswith("_") else getattr(obj, name, None)), True
    if not callable(function):
        return False
    low, high = _arity(function)
    return low <= count + (0 if bound else 1) <= high


def _index(value: Any, index: Any) -> Any:
    if isinstance(value, (list, tuple)) and _is_number(index) and isinstance(index, int):
        if index < 0:
            index += len(value)
        return value[index] if 0 <= index < len(value) else None
    if isinstance(value, Mapping):
        return value.get(index)
    return None


class ForeachScope:
    """``$foreach``: index (0-based), count (1-based), hasNext, first, last, parent."""

    def __init__(self, parent: Any, length: int) -> None:
        self.parent, self.length, self.index = parent, length, 0

    def getIndex(self) -> int:
        return self.index

    def getCount(self) -> int:
        return self.index + 1

    def hasNext(self) -> bool:
        return self.index + 1 < self.length

    getHasNext = hasNext

    def isFirst(self) -> bool:
        return self.index == 0

    def isLast(self) -> bool:
        return self.index + 1 == self.length

    def getParent(self) -> Any:
        return self.parent
