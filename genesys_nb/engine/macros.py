# size: one object per helper the platform puts in a template's context; each mirrors one Java class, kept together
"""The macro objects a Data Action template sees, as Velocity templates call them.

``$esc`` (velocity-tools 2.0 EscapeTool plus the platform's ``jsonString``/``jsonEncode``/``jsonDecode``/
``uriEncode``/``urlFormEncode``), ``$math`` (MathTool), ``$encoding``, ``$successTemplateUtils``, ``$urlTool``,
``$salesforce``, ``$msdynamics`` and ``$dateTool``. The help center names the platform's helpers without pinning
every behaviour; where it is silent the docstring says what was chosen (tests/conformance/Reference.java models
the same choices), to be settled by a recorded live ``/test``. Method names are the Java ones
because templates call them by those names. A ``None`` argument (a Java null) gives ``None`` back, which
leaves the whole call text in the output, as the platform does.

>>> ESC.url("a b&c"), MATH.div(7, 2), to_java_string([True, None, 2.0])
('a+b%26c', 3.5, '[true, null, 2.0]')
"""
# Java printing and the Java methods of plain values live in genesys_nb.engine._java and are importable from
# here as well
from __future__ import annotations

import base64
import datetime as _dt
import json
import math as _pymath
import random as _random
import re
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
from genesys_nb.engine.jsonpath import _dump, parse_json

__all__ = ["DATE", "ENCODING", "ESC", "JAVA_METHODS", "MACROS", "MATH", "MSDYNAMICS", "SALESFORCE", "SUCCESS_UTILS",
           "URL_TOOL", "NoSuchMethod",
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

    jsonEncode = jsonString  # the newer name the help center gives for the same job

    def jsonDecode(self, value: Any) -> str | None:
        """The reverse of jsonEncode: JSON string escapes (``\\n``, ``\\"``, ``\\u00e9``) read back.

        Chosen: the help center lists the method without its semantics; text that is not a valid JSON
        string body comes back unchanged."""
        if value is None:
            return None
        text = to_java_string(value)
        try:
            decoded = json.loads(f'"{text}"')
        except ValueError:
            return text
        return decoded if isinstance(decoded, str) else text

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

    # no quote(x): EscapeTool 2.0 has only the property $esc.quote, so Velocity leaves $esc.quote(x) as text

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

    def _property(self, value: Any, *, key: bool) -> str | None:
        # velocity-tools 2.0's java.util.Properties escaping: \\ \n \t \r \f, = : # ! behind a backslash,
        # a blank too in a key, and anything outside printable ASCII as a lowercase \\uxxxx
        if value is None:
            return None
        out = []
        for ch in to_java_string(value):
            if ch in "\\\n\t\r\f":
                out.append({"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f"}[ch])
            elif ch in "=:#!" or (key and ch == " "):
                out.append("\\" + ch)
            elif ord(ch) < 0x20 or ord(ch) > 0x7E:
                out.append("".join(f"\\u{unit:04x}" for unit in _utf16(ch)))
            else:
                out.append(ch)
        return "".join(out)

    def propertyKey(self, value: Any) -> str | None:
        return self._property(value, key=True)

    def propertyValue(self, value: Any) -> str | None:
        return self._property(value, key=False)

    def unicode(self, value: Any) -> str | None:
        """The character of a code point written in hex (``\\u00e9`` or ``00e9``); other text fails the
        call, as Integer.parseInt does in EscapeTool."""
        if value is None:
            return None
        text = to_java_string(value)
        digits = text.removeprefix("\\u")
        if not re.fullmatch(r"[+-]?[0-9A-Fa-f]+", digits):
            raise ValueError(f'For input string: "{digits}" under radix 16')
        return chr(int(digits, 16))

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
def _java_long(value: float) -> int:
    # Java's (long) cast and Math.round's range: NaN is 0, beyond the range saturates
    if _pymath.isnan(value):
        return 0
    return max(-(2**63), min(2**63 - 1, int(value) if not _pymath.isinf(value) else 2**63 if value > 0 else -(2**63)))


def _java_int(value: float) -> int:
    # Number.intValue(): a Long keeps its low 32 bits, a Double is cast (NaN 0, saturating, toward zero)
    if isinstance(value, int):
        return (value + 2**31) % 2**32 - 2**31
    return max(-(2**31), min(2**31 - 1, _java_long(value)))


def _java_round(value: float) -> int:
    # Math.round(double): floor(value + 0.5) computed exactly, NaN 0, saturating to a long
    if _pymath.isnan(value) or _pymath.isinf(value):
        return _java_long(value)
    whole = _pymath.floor(value)
    return _java_long(whole + 1 if value - whole >= 0.5 else whole)


def _java_rint(how: Any, value: float | None = None) -> float:
    # Math.rint / Math.floor / Math.ceil on a double: NaN and infinities pass through (Python's raise)
    fn, number = (round, how) if value is None else (how, value)
    return number if _pymath.isnan(number) or _pymath.isinf(number) else float(fn(number))


def _java_pow(base: float, exponent: float) -> float:
    # Math.pow: overflow is an infinity (negative for a negative base to an odd power), a negative base to a
    # fraction is NaN
    try:
        result = _pymath.pow(base, exponent)
    except ValueError:
        return _pymath.nan
    except OverflowError:
        odd = exponent == _pymath.floor(exponent) and exponent % 2 == 1
        return -_pymath.inf if base < 0 and odd else _pymath.inf
    return result


def _is_whole(value: float) -> bool:
    return not _pymath.isnan(value) and (_pymath.isinf(value) or value == _pymath.floor(value))


def _match_type(value: float, *inputs: float) -> int | float:
    # MathTool.matchType: an integral result of integral inputs is a Long (saturating), anything else a Double
    if all(isinstance(n, int) for n in inputs) and _is_whole(value):
        return _java_long(value)
    return float(value)


def _whole_or_double(value: float) -> int | float:
    # velocity-tools 2.0 MathTool.matchType for add/sub/mul/div/max/min: a whole result is an Integer or a
    # Long whatever the inputs were ($math.add(1.0, 1) is 2, $math.mul(2, 2.5) is 5; 1e300 and Infinity
    # saturate to 9223372036854775807), anything else a Double
    return _java_long(value) if _is_whole(value) else float(value)


class MathTool:
    """``$math``: velocity-tools 2.0 MathTool as the Java reference runs it; a null or non-numeric argument
    gives null. A whole result of add/sub/mul/div/max/min prints without ``.0``; pow and abs keep the inputs'
    type; round rounds half to even (``$math.round(2.5)`` is 2, as Math.rint)."""

    def _numbers(self, *values: Any) -> list[int | float] | None:
        numbers = [to_number(v) for v in values]
        return None if any(n is None for n in numbers) else numbers  # type: ignore[return-value]

    def add(self, *values: Any) -> int | float | None:
        nums = self._numbers(*values)
        return None if nums is None else _whole_or_double(sum(float(n) for n in nums))

    def sub(self, *values: Any) -> int | float | None:
        # varargs, as velocity-tools 2.0: the first minus the rest; $math.sub() is 0
        nums = self._numbers(*values)
        if nums is None:
            return None
        value = float(nums[0]) if nums else 0.0
        for n in nums[1:]:
            value -= float(n)
        return _whole_or_double(value)

    def mul(self, *values: Any) -> int | float | None:
        nums = self._numbers(*values)
        if nums is None:
            return None
        product = 1.0
        for n in nums:
            product *= float(n)
        return _whole_or_double(product)

    def div(self, *values: Any) -> int | float | None:
        # varargs, as velocity-tools 2.0: the first divided by each of the rest (null on a zero); $math.div() is 0
        nums = self._numbers(*values)
        if nums is None or any(n == 0 for n in nums[1:]):
            return None
        value = float(nums[0]) if nums else 0.0
        for n in nums[1:]:
            value /= float(n)
        return _whole_or_double(value)

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
        return None if nums is None else _match_type(_java_pow(float(nums[0]), float(nums[1])), *nums)

    def max(self, *values: Any) -> int | float | None:
        # Java starts at Double.MIN_VALUE (the least positive double): $math.max(-1) and $math.max() are 4.9E-324
        nums = self._numbers(*values)
        return None if nums is None else _whole_or_double(max([5e-324, *map(float, nums)]))

    def min(self, *values: Any) -> int | float | None:
        # Java starts at Double.MAX_VALUE, a whole number: $math.min() is 9223372036854775807
        nums = self._numbers(*values)
        return None if nums is None else _whole_or_double(min([1.7976931348623157e308, *map(float, nums)]))

    def abs(self, value: Any) -> int | float | None:
        nums = self._numbers(value)
        return None if nums is None else _match_type(abs(float(nums[0])), *nums)

    def round(self, value: Any) -> int | None:
        nums = self._numbers(value)
        # half to even, as Math.rint, then Java's (int) cast: NaN is 0, beyond the range saturates
        return None if nums is None else _java_int(float(_java_rint(float(nums[0]))))

    def roundTo(self, decimals: Any, value: Any) -> float | None:
        # MathTool 2.0: an int delta = 10^places, at least 10, that wraps as Java's int does (0 from 32 places:
        # NaN), then Math.round(value * delta) / delta; roundTo(2, 1.005) is 1.0 (the double is 1.00499...)
        nums = self._numbers(decimals, value)
        if nums is None:
            return None
        places = _java_int(nums[0])
        delta = _java_int(pow(10, places, 2**32)) if places > 1 else 10
        if delta == 0:
            return _pymath.nan
        return _java_round(float(nums[1]) * delta) / delta

    def floor(self, value: Any) -> int | None:
        nums = self._numbers(value)
        return None if nums is None else _java_int(float(_java_rint(_pymath.floor, float(nums[0]))))

    def ceil(self, value: Any) -> int | None:
        nums = self._numbers(value)
        return None if nums is None else _java_int(float(_java_rint(_pymath.ceil, float(nums[0]))))

    def toInteger(self, value: Any) -> int | None:
        nums = self._numbers(value)  # Number.intValue(): a long keeps its low 32 bits
        return None if nums is None else _java_int(nums[0])

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


# ---------------------------------------------------------------------------- $encoding, $salesforce, $msdynamics
class EncodingTool:
    """``$encoding.base64(text)``: standard Base64 of the text's UTF-8 bytes, as the help center's
    ``Basic $encoding.base64("${credentials.clientId}:${credentials.clientSecret}")`` header needs."""

    def base64(self, value: Any) -> str | None:
        if value is None:
            return None
        return base64.b64encode(to_java_string(value).encode("utf-8")).decode("ascii")


_SOSL_RESERVED = re.compile(r"""([?&|!{}\[\]()^~*:\\"'+\-])""")


class SalesforceTool:
    """``$salesforce.escReserved(text)``: SOSL's reserved characters ``? & | ! { } [ ] ( ) ^ ~ * : \\ " ' + -``
    each behind a backslash, as Genesys' Salesforce modules use it inside ``FIND {...}``. Chosen: the set is
    Salesforce's documented SOSL list; the help center shows only the call."""

    def escReserved(self, value: Any) -> str | None:
        return None if value is None else _SOSL_RESERVED.sub(r"\\\1", to_java_string(value))


class MsDynamicsTool:
    """``$msdynamics.phoneNumberFilter(phone, ["telephone1", ...])``: an OData ``$filter`` matching the phone in
    any of the fields, ``telephone1 eq '+1 317' or mobilephone eq '+1 317'`` (quotes doubled, OData's escape).
    Chosen: Genesys' Dynamics module shows only the call; a null phone or no fields leaves the call text."""

    def phoneNumberFilter(self, phone: Any, fields: Any) -> str | None:
        if phone is None or not isinstance(fields, (list, tuple)) or not fields:
            return None
        quoted = "'" + to_java_string(phone).replace("'", "''") + "'"
        return " or ".join(f"{to_java_string(field)} eq {quoted}" for field in fields)


# ---------------------------------------------------------------------------- $successTemplateUtils, $urlTool
class SuccessTemplateUtils:
    """``$successTemplateUtils``: functions over the translated variables' JSON text."""

    def firstFromArray(self, array_text: Any, default: Any = None) -> str | None:
        """Compact JSON of the array's first element; ``default`` (or empty text) when the array is empty.

        Chosen (the help center shows the calls, not these edges): text that is not a JSON array, or not JSON,
        also gives the default; numbers keep the text they came with (long decimals keep their digits)."""
        if array_text is None:
            return None
        try:
            value = parse_json(to_java_string(array_text))
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, list) and value:
            return _dump(value[0], ",", ":")
        return "" if default is None else to_java_string(default)

    def moveKeysIntoArrayOfObjects(self, object_text: Any, key_name: Any = "key") -> str | None:
        """``{"a": {..}, "b": {..}}`` as ``[{key_name: "a", ..}, {key_name: "b", ..}]`` (compact JSON)."""
        if object_text is None or key_name is None:
            return None
        try:
            value = json.loads(to_java_string(object_text))
        except (ValueError, RecursionError):
            return None
        if not isinstance(value, dict):
            return compact_json(value)
        name = to_java_string(key_name)
        moved = []
        for key, item in value.items():
            moved.append({name: key, **item} if isinstance(item, dict) else {name: key, "value": item})
        return compact_json(moved)


class UrlTool:
    """``$urlTool.optionalQueryParam(name, value[, isFirst])``: ``&name=value`` only when value is set.

    Chosen: the help center names the method for escaping query parameters but not its signature; name and
    value are form-encoded as ``$esc.url`` does, and ``isFirst`` true leaves out the ``&``."""

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

ENCODING = EncodingTool()
SALESFORCE = SalesforceTool()
MSDYNAMICS = MsDynamicsTool()

MACROS: dict[str, Any] = {"esc": ESC, "math": MATH, "successTemplateUtils": SUCCESS_UTILS,
                          "urlTool": URL_TOOL, "dateTool": DATE, "encoding": ENCODING, "salesforce": SALESFORCE,
                          "msdynamics": MSDYNAMICS}

