"""The macro objects a Data Action template sees, as Velocity templates call them.

``$esc`` (velocity-tools 2.0 EscapeTool plus the platform's ``jsonString``/``uriEncode``), ``$math``
(MathTool), ``$successTemplateUtils``, ``$urlTool`` and ``$dateTool``. Method names are the Java ones
because templates call them by those names. A ``None`` argument (a Java null) gives ``None`` back, which
leaves the whole call text in the output, as the platform does.

>>> ESC.url("a b&c"), MATH.div(7, 2), to_java_string([True, None, 2.0])
('a+b%26c', 3.5, '[true, null, 2.0]')
"""
# Java printing and the Java methods of plain values live in genesys_nb.engine._java and are importable from
# here as well
from __future__ import annotations

import datetime as _dt
import json
import math as _pymath
import random as _random
from typing import Any
from urllib.parse import quote, quote_plus

from genesys_nb.engine._java import (
    JAVA_METHODS,
    NoSuchMethod,
    _java_format,
    _utf16,
    compact_json,
    java_double,
    java_regex,
    to_java_string,
    to_number,
)

__all__ = ["DATE", "ESC", "JAVA_METHODS", "MACROS", "MATH", "SUCCESS_UTILS", "URL_TOOL", "NoSuchMethod",
           "compact_json", "java_double", "java_regex", "to_java_string", "to_number"]


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

