"""Seeded generators of helper calls: ``$math`` (velocity-tools 2.0 MathTool), ``$esc`` (EscapeTool and the
platform's additions), ``$encoding``, ``$successTemplateUtils``, ``$urlTool``, ``$salesforce``, ``$msdynamics``,
with literal, input and null arguments, the wrong number of them, and names that are no method at all."""
from __future__ import annotations

import json
import random
from typing import Any

INPUTS: dict[str, Any] = {"n": 7, "neg": -3, "d": 2.5, "whole": 4.0, "big": 3000000000, "s": "a b&c=d/é~*'()!",
                          "num": "42", "numd": "3.75", "word": "abc", "q": 'say "hi"\n\\ \t', "empty": "",
                          "arr": '["x", 2, {"k": "v/w"}]', "obj": '{"a": {"x": 1}, "b": 2, "c": [1]}',
                          "earr": "[]", "phone": "+1 (317) 555-0100", "sosl": "a-b(c)*?:'x'",
                          "flag": True, "zero": 0, "esc": "a\\nb\\u00e9\\\"", "html": "<a href='x'>&é</a>"}

NUMBERS = ["1", "2", "0", "-1", "7", "2.5", "1.0", "-0.5", "10", "3", "2147483647", "0.1", "100"]
STRINGS = ['"2"', '"3.5"', '"abc"', '"a b&c"', "'x y'", '"é/~"', '""', '"1,234"', '"7abc"', '"-4"', "'${input.word}'"]
REFS = ["$input.n", "$input.neg", "$input.d", "$input.whole", "$input.big", "$input.s", "$input.num",
        "$input.numd", "$input.word", "$input.q", "$input.empty", "$input.none", "$input.flag", "$input.zero",
        "$input.esc", "$input.html", "${input.n}", "$!input.none"]

MATH = {"add": (1, 4), "sub": (2, 2), "mul": (1, 4), "div": (2, 2), "idiv": (2, 2), "mod": (2, 2), "pow": (2, 2),
        "max": (1, 4), "min": (1, 4), "abs": (1, 1), "ceil": (1, 1), "floor": (1, 1), "round": (1, 1),
        "roundTo": (2, 2), "toNumber": (1, 1), "toInteger": (1, 1), "toDouble": (1, 1), "neg": (1, 1)}
ESC_METHODS = ["java", "javascript", "html", "xml", "sql", "velocity", "url", "propertyKey", "propertyValue",
               "unicode", "jsonString", "jsonEncode", "jsonDecode", "uriEncode", "urlFormEncode", "quote",
               "dollar", "hash"]
ESC_PROPERTIES = ["quote", "q", "dollar", "d", "hash", "h", "backslash", "b", "singleQuote", "s", "newline", "n",
                  "exclamation", "e", "Quote", "nothing"]
STRING_REFS = ["$input.s", "$input.q", "$input.word", "$input.empty", "$input.none", "$input.n", "$input.d",
               "$input.esc", "$input.html", "$input.flag", "$input.phone", "$input.sosl"]


def _argument(rng: random.Random, kind: str = "any") -> str:
    roll = rng.random()
    if kind == "number" and roll < 0.75:
        return rng.choice(NUMBERS)
    if kind == "string" and roll < 0.55:
        return rng.choice(STRINGS + ["'<b>\"it\"</b>'", '"tab\there"', '"$"', "'#x'"])
    if kind == "string" and roll < 0.9:
        return rng.choice(STRING_REFS)
    if roll < 0.3:
        return rng.choice(NUMBERS)
    if roll < 0.55:
        return rng.choice(STRINGS)
    return rng.choice(REFS)


def call(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        name = rng.choice(list(MATH))
        low, high = MATH[name]
        count = rng.randint(low, high) if rng.random() < 0.9 else rng.choice([0, high + 1])
        return f"$math.{name}({', '.join(_argument(rng, 'number') for _ in range(count))})"
    if roll < 0.7:
        if rng.random() < 0.25:
            return "$esc." + rng.choice(ESC_PROPERTIES)
        method = rng.choice(ESC_METHODS)
        count = 1 if rng.random() < 0.92 else rng.choice([0, 2])
        return f"$esc.{method}({', '.join(_argument(rng, 'string') for _ in range(count))})"
    if roll < 0.76:
        return f"$encoding.base64({_argument(rng, 'string')})"
    if roll < 0.82:
        return f"$salesforce.escReserved({_argument(rng, 'string')})"
    if roll < 0.87:
        fields = ", ".join(f'"{f}"' for f in rng.sample(["telephone1", "telephone2", "mobilephone"],
                                                      rng.randint(1, 3)))
        phone = rng.choice(["$input.phone", '"$input.phone"', '"555\'01"', "$input.none"])
        return f"$msdynamics.phoneNumberFilter({phone}, [{fields}])"
    if roll < 0.93:
        array = rng.choice(['"$input.arr"', "$input.arr", "$input.earr", '"[1.5, 2]"', "$input.word", '"[]"'])
        default = rng.choice(["", ', "$esc.quote$esc.quote"', ', "none"', ", $input.none"])
        return f"$successTemplateUtils.firstFromArray({array}{default})"
    if roll < 0.96:
        key = rng.choice(["", ', "name"', ', "id"'])
        return f"$successTemplateUtils.moveKeysIntoArrayOfObjects({rng.choice(['$input.obj', '$input.arr'])}{key})"
    first = rng.choice(["", ", true", ", false"])
    return f"$urlTool.optionalQueryParam(\"q\", {_argument(rng, 'string')}{first})"


def cases(seed: int, count: int) -> list[str]:
    """``count`` templates, each a few calls between text."""
    rng = random.Random(seed)
    return [" | ".join(call(rng) for _ in range(rng.randint(1, 3))) for _ in range(count)]


def context() -> dict[str, Any]:
    return json.loads(json.dumps(INPUTS))
