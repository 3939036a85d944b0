"""The macro objects a Data Action template sees, the Java methods its values have, and how Java prints them.

``$esc`` (velocity-tools 2.0 EscapeTool plus the platform's ``jsonString``/``uriEncode``), ``$math``
(MathTool), ``$successTemplateUtils``, ``$urlTool`` and ``$dateTool``. Method names are the Java ones
because templates call them by those names. A ``None`` argument (a Java null) gives ``None`` back, which
leaves the whole call text in the output, as the platform does.

>>> ESC.url("a b&c"), MATH.div(7, 2), to_java_string([True, None, 2.0])
('a+b%26c', 3.5, '[true, null, 2.0]')
"""
# size: the five macro objects and the Java String/List/Map method tables belong together: one Java surface
from __future__ import annotations

import datetime as _dt
import functools
import json
import math as _pymath
import random as _random
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["DATE", "ESC", "JAVA_METHODS", "MACROS", "MATH", "SUCCESS_UTILS", "URL_TOOL", "NoSuchMethod",
           "compact_json", "java_double", "java_regex", "to_java_string", "to_number"]


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


# ---------------------------------------------------------------------------- $esc
def _java_escape(text: str, *, javascript: bool) -> str:
    # commons-lang 2 StringEscapeUtils.escapeJava / escapeJavaScript, as velocity-tools 2.0 uses them
    out = []
    for ch in text:
        code = ord(ch)
        if code > 0x7F:
            out.append("".join(f"\\u{unit:04X}" for unit in _utf16(ch)))
        elif ch in "\b\n\t\f\r":
            out.append({"\b": "\\b", "\n": "\\n", "\t": "\\t", "\f": "\\f", "\r": "\\r"}[ch])
        elif code < 32:
            out.append(f"\\u{code:04X}")
        elif ch == '"' or ch == "\\" or javascript and ch in "'/":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _utf16(ch: str) -> list[int]:
    data = ch.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HTML_NAMED = {'"': "&quot;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}


class EscapeTool:
    """``$esc``: velocity-tools 2.0 EscapeTool and the platform's additions."""

    def jsonString(self, value: Any) -> str | None:
        if value is None:
            return None
        text = to_java_string(value)
        return "".join(_JSON_ESCAPES.get(ch) or (f"\\u{ord(ch):04x}" if ord(ch) < 32 else ch) for ch in text)

    jsonEncode = jsonString

    def url(self, value: Any) -> str | None:
        """``URLEncoder.encode(s, "UTF-8")``: form style, space as ``+``."""
        if value is None:
            return None
        return quote_plus(to_java_string(value), safe="*").replace("~", "%7E")

    urlFormEncode = url

    def uriEncode(self, value: Any) -> str | None:
        """Percent-encoding for a URI component: space as ``%20``."""
        if value is None:
            return None
        return quote(to_java_string(value), safe="-_.!~*'()")

    def quote(self, value: Any) -> str | None:
        return None if value is None else f'"{to_java_string(value)}"'

    def xml(self, value: Any) -> str | None:
        if value is None:
            return None
        out = []
        for ch in to_java_string(value):
            if ch in _HTML_NAMED:
                out.append(_HTML_NAMED[ch])
            elif ch == "'":
                out.append("&apos;")
            elif ord(ch) > 0x7F:
                out.append(f"&#{ord(ch)};")
            else:
                out.append(ch)
        return "".join(out)

    def html(self, value: Any) -> str | None:
        if value is None:
            return None
        from html import entities
        out = []
        for ch in to_java_string(value):
            if ch in _HTML_NAMED:
                out.append(_HTML_NAMED[ch])
            elif ord(ch) > 0x7F:
                name = entities.codepoint2name.get(ord(ch))
                out.append(f"&{name};" if name else f"&#{ord(ch)};")
            else:
                out.append(ch)
        return "".join(out)

    def java(self, value: Any) -> str | None:
        return None if value is None else _java_escape(to_java_string(value), javascript=False)

    def javascript(self, value: Any) -> str | None:
        return None if value is None else _java_escape(to_java_string(value), javascript=True)

    def sql(self, value: Any) -> str | None:
        return None if value is None else to_java_string(value).replace("'", "''")

    def velocity(self, value: Any) -> str | None:
        if value is None:
            return None
        return to_java_string(value).replace("$", "${esc.d}").replace("#", "${esc.h}")

    # the property forms: $esc.quote, $esc.d, $esc.hash ...
    def getQuote(self) -> str:
        return '"'

    getQ = getQuote

    def getSingleQuote(self) -> str:
        return "'"

    getS = getSingleQuote

    def getDollar(self) -> str:
        return "$"

    getD = getDollar

    def getHash(self) -> str:
        return "#"

    getH = getHash

    def getBackslash(self) -> str:
        return "\\"

    getB = getBackslash

    def getNewline(self) -> str:
        return "\n"

    getN = getNewline

    def getExclamation(self) -> str:
        return "!"

    getE = getExclamation


# ---------------------------------------------------------------------------- $math
def _match_type(value: float, *inputs: float) -> int | float:
    # MathTool.matchType: an integral result of integral inputs stays integral, anything else is a Double
    if all(isinstance(n, int) for n in inputs) and value == _pymath.floor(value) and abs(value) < 2**63:
        return int(value)
    return float(value)


class MathTool:
    """``$math``: velocity-tools 2.0 MathTool; a null or non-numeric argument gives null."""

    def _numbers(self, *values: Any) -> list[int | float] | None:
        numbers = [to_number(v) for v in values]
        return None if any(n is None for n in numbers) else numbers  # type: ignore[return-value]

    def add(self, *values: Any) -> int | float | None:
        nums = self._numbers(*values)
        return None if nums is None else _match_type(sum(float(n) for n in nums), *nums)

    def sub(self, a: Any, b: Any) -> int | float | None:
        nums = self._numbers(a, b)
        return None if nums is None else _match_type(float(nums[0]) - float(nums[1]), *nums)

    def mul(self, *values: Any) -> int | float | None:
        nums = self._numbers(*values)
        if nums is None:
            return None
        product = 1.0
        for n in nums:
            product *= float(n)
        return _match_type(product, *nums)

    def div(self, a: Any, b: Any) -> int | float | None:
        nums = self._numbers(a, b)
        if nums is None or nums[1] == 0:
            return None
        return _match_type(float(nums[0]) / float(nums[1]), *nums)

    def idiv(self, a: Any, b: Any) -> int | None:
        nums = self._numbers(a, b)
        if nums is None or int(nums[1]) == 0:
            return None
        x, y = int(nums[0]), int(nums[1])
        return abs(x) // abs(y) * (1 if (x >= 0) == (y >= 0) else -1)

    def mod(self, a: Any, b: Any) -> int | None:
        nums = self._numbers(a, b)
        if nums is None or int(nums[1]) == 0:
            return None
        x, y = int(nums[0]), int(nums[1])
        return int(_pymath.fmod(x, y))

    def pow(self, a: Any, b: Any) -> int | float | None:
        nums = self._numbers(a, b)
        return None if nums is None else _match_type(float(nums[0]) ** float(nums[1]), *nums)

    def max(self, *values: Any) -> int | float | None:
        nums = self._numbers(*values)
        return None if nums is None else _match_type(float(max(nums)), *nums)

    def min(self, *values: Any) -> int | float | None:
        nums = self._numbers(*values)
        return None if nums is None else _match_type(float(min(nums)), *nums)

    def abs(self, value: Any) -> int | float | None:
        nums = self._numbers(value)
        return None if nums is None else _match_type(abs(float(nums[0])), *nums)

    def round(self, value: Any) -> int | None:
        nums = self._numbers(value)
        return None if nums is None else _pymath.floor(float(nums[0]) + 0.5)  # Math.round

    def roundTo(self, decimals: Any, value: Any) -> float | None:
        nums = self._numbers(decimals, value)
        if nums is None:
            return None
        scale = 10 ** int(nums[0])
        return _pymath.floor(float(nums[1]) * scale + 0.5) / scale

    def floor(self, value: Any) -> int | None:
        nums = self._numbers(value)
        return None if nums is None else _pymath.floor(float(nums[0]))

    def ceil(self, value: Any) -> int | None:
        nums = self._numbers(value)
        return None if nums is None else _pymath.ceil(float(nums[0]))

    def toInteger(self, value: Any) -> int | None:
        nums = self._numbers(value)
        return None if nums is None else int(nums[0])

    def toDouble(self, value: Any) -> float | None:
        nums = self._numbers(value)
        return None if nums is None else float(nums[0])

    def toNumber(self, value: Any) -> int | float | None:
        return to_number(value)

    def random(self, low: Any = None, high: Any = None) -> int | float | None:
        if low is None and high is None:
            return _random.random()
        nums = self._numbers(low, high)
        if nums is None:
            return None
        if all(isinstance(n, int) for n in nums):
            return _random.randrange(int(nums[0]), int(nums[1])) if nums[1] > nums[0] else None
        return float(nums[0]) + _random.random() * (float(nums[1]) - float(nums[0]))

    def getRandom(self) -> float:
        return _random.random()


# ---------------------------------------------------------------------------- $successTemplateUtils, $urlTool
class SuccessTemplateUtils:
    """``$successTemplateUtils``: functions over the translated variables' JSON text."""

    def firstFromArray(self, array_text: Any, default: Any = None) -> str | None:
        """Compact JSON of the array's first element; ``default`` (or empty text) when the array is empty."""
        if array_text is None:
            return None
        value = json.loads(to_java_string(array_text))
        if isinstance(value, list):
            if not value:
                return "" if default is None else to_java_string(default)
            return compact_json(value[0])
        return compact_json(value)

    def moveKeysIntoArrayOfObjects(self, object_text: Any, key_name: Any = "key") -> str | None:
        """``{"a": {..}, "b": {..}}`` as ``[{key_name: "a", ..}, {key_name: "b", ..}]`` (compact JSON)."""
        if object_text is None or key_name is None:
            return None
        value = json.loads(to_java_string(object_text))
        if not isinstance(value, dict):
            return compact_json(value)
        name = to_java_string(key_name)
        moved = []
        for key, item in value.items():
            moved.append({name: key, **item} if isinstance(item, dict) else {name: key, "value": item})
        return compact_json(moved)


class UrlTool:
    """``$urlTool.optionalQueryParam(name, value[, isFirst])``: ``&name=value`` only when value is set."""

    def optionalQueryParam(self, name: Any, value: Any = None, is_first: Any = False) -> str:
        if value is None or to_java_string(value) == "":
            return ""
        prefix = "" if is_first is True or to_java_string(is_first).lower() == "true" else "&"
        return f"{prefix}{ESC.url(name)}={ESC.url(value)}"


# ---------------------------------------------------------------------------- $dateTool
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


class DateTool:
    """``$dateTool``: velocity-tools DateTool basics, in UTC (the platform's zone)."""

    ISO = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"

    def _moment(self, value: Any) -> _dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, _dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _dt.datetime.fromtimestamp(value / 1000, tz=_dt.timezone.utc)
        try:
            parsed = _dt.datetime.fromisoformat(to_java_string(value).replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.timezone.utc)

    def getDate(self) -> _dt.datetime:
        return _dt.datetime.now(_dt.timezone.utc)

    def getSystemTime(self) -> int:
        return int(_dt.datetime.now(_dt.timezone.utc).timestamp() * 1000)

    def format(self, pattern: Any, *value: Any) -> str | None:
        """``format(pattern, date)`` with a Java SimpleDateFormat pattern; ``format(pattern)`` formats now."""
        if pattern is None or len(value) > 1:
            return None
        moment = self.getDate() if not value else self._moment(value[0])
        if moment is None:
            return None
        named = {"iso": self.ISO, "default": "yyyy-MM-dd HH:mm:ss", "short": "M/d/yy h:mm a"}
        text = to_java_string(pattern)
        return _java_format(moment.astimezone(_dt.timezone.utc), named.get(text, text))

    def toDate(self, *args: Any) -> _dt.datetime | None:
        """``toDate(value)`` or ``toDate(pattern, value)`` (ISO-8601 text or epoch milliseconds)."""
        return self._moment(args[-1]) if args else None

    def getYear(self, value: Any = None) -> int | None:
        moment = self._moment(value) if value is not None else self.getDate()
        return None if moment is None else moment.year


ESC = EscapeTool()
MATH = MathTool()
SUCCESS_UTILS = SuccessTemplateUtils()
URL_TOOL = UrlTool()
DATE = DateTool()

MACROS: dict[str, Any] = {"esc": ESC, "math": MATH, "successTemplateUtils": SUCCESS_UTILS,
                          "urlTool": URL_TOOL, "dateTool": DATE}


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
