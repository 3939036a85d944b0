"""How Java prints a template's values, and the Java methods (String, List, Map, Number, Boolean) they have.

Velocity prints a value with ``String.valueOf`` and calls a value's methods by their Java names; these
are the Python stand-ins for both, shared by the renderer and the macro objects.

>>> to_java_string([True, None, 2.0]), JAVA_METHODS[str]["substring"]("abcdef", 1, 3)
('[true, null, 2.0]', 'bc')
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import math as _pymath
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["JAVA_METHODS", "NoSuchMethod", "compact_json", "java_double", "java_regex", "to_java_string",
           "to_number"]


# ---------------------------------------------------------------------------- Java printing
def java_double(value: float) -> str:
    """``Double.toString``: ``2.0``, ``3.5``, ``1.0E7``, ``1.0E-4``, ``NaN``, ``Infinity``."""
    if _pymath.isnan(value):
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if _pymath.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        return text if "." in text else text + ".0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) + int(exponent) - 1
    if len(shown) == 1:  # Java shows at least two digits, the pair nearest the exact value: 4.9E-324
        mantissa, _, power_text = f"{magnitude:.1e}".partition("e")
        shown, power = mantissa.replace(".", "").rstrip("0") or "0", int(power_text)
    return f"{'-' if sign else ''}{shown[0]}.{shown[1:] or '0'}E{power}"


def to_java_string(value: Any) -> str:
    """What Java's ``String.valueOf`` prints for a template value (lists ``[a, b]``, maps ``{k=v}``)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, _dt.datetime):  # java.util.Date.toString
        return value.strftime("%a %b %d %H:%M:%S ") + (value.tzname() or "UTC") + value.strftime(" %Y")
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{to_java_string(k)}={to_java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset, range, type({}.keys()), type({}.values()))):
        return "[" + ", ".join(to_java_string(item) for item in value) + "]"
    return str(value)


def compact_json(value: Any) -> str:
    """JSON text the way Jackson writes it compactly: no spaces, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_NUMBER_PREFIX = re.compile(r"-?(?:\d[\d,]*)?(?:\.\d+)?(?:[eE][-+]?\d+)?")


def to_number(value: Any) -> int | float | None:
    """velocity-tools ``ConversionUtils.toNumber``: numbers as they are, text parsed by its leading number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    match = _NUMBER_PREFIX.match(str(value))
    text = match.group(0).replace(",", "") if match else ""
    if not text.strip("-.") or not any(c.isdigit() for c in text):
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    number = float(text)
    # DecimalFormat.parse gives a Long whenever the parsed value is integral ("3.0" is 3)
    return int(number) if number.is_integer() and abs(number) < 2**63 else number


def _utf16(ch: str) -> list[int]:
    data = ch.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]



# ---------------------------------------------------------------------------- SimpleDateFormat
_JAVA_PATTERN = re.compile(r"'([^']*)'|(y+|M+|d+|H+|h+|m+|s+|S+|E+|a+|Z+|X+|z+)")


def _java_format(moment: _dt.datetime, pattern: str) -> str:
    def piece(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1) or "'"
        token = match.group(2)
        letter, width = token[0], len(token)
        if letter == "y":
            return str(moment.year)[-2:] if width == 2 else str(moment.year).zfill(width)
        if letter == "M":
            if width >= 4:
                return moment.strftime("%B")
            return moment.strftime("%b") if width == 3 else str(moment.month).zfill(width)
        numbers = {"d": moment.day, "H": moment.hour, "h": (moment.hour % 12) or 12, "m": moment.minute,
                   "s": moment.second, "S": moment.microsecond // 1000}
        if letter in numbers:
            return str(numbers[letter]).zfill(width)
        if letter == "E":
            return moment.strftime("%A" if width >= 4 else "%a")
        if letter == "a":
            return "AM" if moment.hour < 12 else "PM"
        offset = moment.utcoffset() or _dt.timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        if letter == "X" and minutes == 0:
            return "Z"
        sign = "+" if minutes >= 0 else "-"
        hours, mins = divmod(abs(minutes), 60)
        if letter == "z":
            return moment.tzname() or "UTC"
        separator = ":" if letter == "X" and width >= 3 else ""
        return f"{sign}{hours:02d}{separator}{mins:02d}"

    return _JAVA_PATTERN.sub(piece, pattern)


# ---------------------------------------------------------------------------- Java methods of plain values
class NoSuchMethod(Exception):
    """No Java overload takes these arguments: Velocity then treats the call as null."""


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise NoSuchMethod
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise NoSuchMethod
    return value


@functools.lru_cache(maxsize=512)
def java_regex(pattern: str) -> re.Pattern[str]:
    """A java.util.regex pattern compiled for Python (possessive quantifiers and \\p{...} classes aside)."""
    translated = re.sub(r"\\p\{(Alpha|Digit|Alnum|Upper|Lower|Punct|Space)\}", lambda m: {
        "Alpha": "[A-Za-z]", "Digit": "[0-9]", "Alnum": "[A-Za-z0-9]", "Upper": "[A-Z]", "Lower": "[a-z]",
        "Punct": r"[!-/:-@\[-`{-~]", "Space": r"\s"}[m.group(1)], pattern)
    return re.compile(translated.replace("(?<", "(?P<") if "(?<" in translated and "(?<=" not in translated
                      and "(?<!" not in translated else translated)


def _java_replacement(replacement: str) -> Any:
    # Matcher.replaceAll: $1 / ${name} are groups, a backslash quotes the next character
    parts: list[tuple[bool, Any]] = []
    i = 0
    while i < len(replacement):
        ch = replacement[i]
        if ch == "\\" and i + 1 < len(replacement):
            parts.append((False, replacement[i + 1]))
            i += 2
        elif ch == "$":
            named = re.match(r"\{(\w+)\}", replacement[i + 1:])
            number = re.match(r"\d", replacement[i + 1:])
            if named:
                parts.append((True, named.group(1)))
                i += 1 + named.end()
            elif number:
                parts.append((True, int(number.group(0))))
                i += 2
            else:
                raise ValueError(f"Illegal group reference in replacement {replacement!r}")
        else:
            parts.append((False, ch))
            i += 1
    return lambda m: "".join((m.group(v) or "") if group else v for group, v in parts)


def _split(s: str, regex: Any, limit: Any = 0) -> list[str]:
    pattern, limit = java_regex(_text(regex)), _int(limit)
    parts: list[str] = []
    position = 0
    for match in pattern.finditer(s):
        if limit > 0 and len(parts) == limit - 1:
            break
        if match.end() == 0:  # a zero-width match at the start never gives a leading empty string
            continue
        parts.append(s[position:match.start()])
        position = match.end()
    if not parts:
        return [s]
    parts.append(s[position:])
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def _substring(s: str, begin: Any, end: Any = None) -> str:
    begin = _int(begin)
    end = len(s) if end is None else _int(end)
    if begin < 0 or end > len(s) or begin > end:
        raise IndexError(f"StringIndexOutOfBoundsException: begin {begin}, end {end}, length {len(s)}")
    return s[begin:end]


def _char_at(s: str, index: Any) -> str:
    index = _int(index)
    if not 0 <= index < len(s):
        raise IndexError(f"StringIndexOutOfBoundsException: index {index}, length {len(s)}")
    return s[index]


def _java_hash(s: str) -> int:
    value = 0
    for unit in s.encode("utf-16-be")[1::2] if s.isascii() else [u for ch in s for u in _utf16(ch)]:
        value = (31 * value + unit) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _compare(a: str, b: Any) -> int:
    b = _text(b)
    for x, y in zip(a, b):
        if x != y:
            return ord(x) - ord(y)
    return len(a) - len(b)


def _list_get(items: list[Any], index: Any) -> Any:
    index = _int(index)
    if not 0 <= index < len(items):
        raise IndexError(f"IndexOutOfBoundsException: Index {index} out of bounds for length {len(items)}")
    return items[index]


def _list_add(items: list[Any], *args: Any) -> Any:
    if len(args) == 2:
        items.insert(_int(args[0]), args[1])
        return ""  # void
    items.append(args[0])
    return True


def _list_remove(items: list[Any], target: Any) -> Any:
    if isinstance(target, int) and not isinstance(target, bool):
        _list_get(items, target)
        return items.pop(target)
    if target in items:
        items.remove(target)
        return True
    return False


def _map_put(mapping: dict[Any, Any], key: Any, value: Any) -> Any:
    previous = mapping.get(key)
    mapping[key] = value
    return previous  # a first put returns null, so "$map.put(...)" stays in the text, as in Velocity


def _number_compare(n: float, other: Any) -> int:
    if isinstance(other, bool) or not isinstance(other, (int, float)):
        raise NoSuchMethod
    return (n > other) - (n < other)


_TRIM = "".join(chr(c) for c in range(33))

_STRING: dict[str, Any] = {
    "length": len, "isEmpty": lambda s: not s, "isBlank": lambda s: not s.strip(),
    "charAt": _char_at, "substring": _substring, "subSequence": _substring,
    "indexOf": lambda s, x, start=0: s.find(_text(x), max(_int(start), 0)),
    "lastIndexOf": lambda s, x, *start: (s.rfind(_text(x), 0, _int(start[0]) + len(x)) if start
                                         else s.rfind(_text(x))),
    "contains": lambda s, x: _text(x) in s,
    "startsWith": lambda s, x, offset=0: s.startswith(_text(x), _int(offset)),
    "endsWith": lambda s, x: s.endswith(_text(x)),
    "equals": lambda s, x: isinstance(x, str) and s == x,
    "equalsIgnoreCase": lambda s, x: isinstance(x, str) and s.lower() == x.lower(),
    "compareTo": _compare, "compareToIgnoreCase": lambda s, x: _compare(s.lower(), _text(x).lower()),
    "toLowerCase": str.lower, "toUpperCase": str.upper, "trim": lambda s: s.strip(_TRIM), "strip": str.strip,
    "stripLeading": str.lstrip, "stripTrailing": str.rstrip, "concat": lambda s, x: s + _text(x),
    "replace": lambda s, a, b: s.replace(_text(a), _text(b)),
    "replaceAll": lambda s, regex, repl: java_regex(_text(regex)).sub(_java_replacement(_text(repl)), s),
    "replaceFirst": lambda s, regex, repl: java_regex(_text(regex)).sub(_java_replacement(_text(repl)), s, 1),
    "matches": lambda s, regex: java_regex(_text(regex)).fullmatch(s) is not None,
    "split": _split, "toString": lambda s: s, "intern": lambda s: s, "hashCode": _java_hash,
    "repeat": lambda s, n: s * _int(n), "codePointAt": lambda s, i: ord(_char_at(s, i)),
    "getBytes": lambda s: list(s.encode("utf-8")),
}
_LIST: dict[str, Any] = {
    "size": len, "isEmpty": lambda xs: not xs, "get": _list_get, "contains": lambda xs, x: x in xs,
    "indexOf": lambda xs, x: xs.index(x) if x in xs else -1, "add": _list_add,
    "set": lambda xs, i, v: (_list_get(xs, i), xs.__setitem__(i, v))[0], "remove": _list_remove,
    "addAll": lambda xs, ys: (xs.extend(ys), True)[1], "clear": lambda xs: (xs.clear(), "")[1],
    "toString": to_java_string, "equals": lambda xs, ys: xs == ys,
}
_MAP: dict[str, Any] = {
    "get": lambda m, k: m.get(k), "getOrDefault": lambda m, k, d: m.get(k, d),
    "containsKey": lambda m, k: k in m, "containsValue": lambda m, v: v in m.values(),
    "keySet": lambda m: list(m), "values": lambda m: list(m.values()),
    "size": len, "isEmpty": lambda m: not m, "put": _map_put, "remove": lambda m, k: m.pop(k, None),
    "putAll": lambda m, other: (m.update(other), "")[1], "toString": to_java_string,
    "equals": lambda m, o: m == o,
}
_NUMBER: dict[str, Any] = {
    "intValue": int, "longValue": int, "doubleValue": float, "floatValue": float, "toString": to_java_string,
    "equals": lambda n, o: type(n) is type(o) and n == o,
    "compareTo": lambda n, o: _number_compare(n, o),
}
_BOOLEAN: dict[str, Any] = {"booleanValue": bool, "toString": to_java_string, "equals": lambda b, o: b is o}

JAVA_METHODS: dict[type, dict[str, Any]] = {str: _STRING, list: _LIST, tuple: _LIST, dict: _MAP, int: _NUMBER,
                                            float: _NUMBER, bool: _BOOLEAN}
