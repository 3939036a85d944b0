"""Seeded generators of Velocity templates for the conformance suite, and the comparison with the Java reference.

Three families:

- ``real_like``: templates built from the constructs the real exports use (JSON text around ``${input.x}``,
  ``$!{input.x}``, ``$esc.jsonString(..)``, ``$esc.url(..)``, ``firstFromArray``, ``#if("$!{..}" != "")`` blocks on
  their own lines, indentation, ``#else``/``#elseif``, ``#set``, ``#foreach``, ``##`` comments).
- ``grammar``: any construct of Velocity 1.7's grammar (Parser.jjt): every directive in its plain and braced
  form, comments, unparsed blocks, escapes, literals, ranges, lists, maps, operators, macros, stray ``$``/``#``.
- ``mutants``: the real templates with one keystroke slipped: a character inserted, deleted or duplicated, or the
  template cut short.

A case is compared on its parse verdict and, when both sides render, on the output text (``strict`` for success
templates). Macro names carry the case number: Velocity 1.7 keeps inline macros for the life of the engine.
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genesys_nb.engine import velocity

HERE = Path(__file__).resolve().parent
REAL_DIRS = [HERE.parents[1] / "genesys_nb" / "emulator" / "actions" / "real", HERE.parents[2] / "shared" / "real-actions"]

INPUTS: dict[str, Any] = {
    "id": "42", "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 555 0100", "count": 3,
    "price": 2.5, "big": 12345678901, "flag": True, "off": False, "empty": "", "quote": 'say "hi"\\now',
    "tags": ["a", "b", "c"], "items": [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}],
    "obj": {"k": "v", "n": 1}, "none": None, "zero": 0,
}
VARIABLES = {"ivrId": '"ivr-1"', "count": "7", "names": '["a","b"]', "agent": '{"id":"u1"}', "empty": '""',
             "flag": "true"}
RAW_RESULT = '{"entities":[{"id":"e1"}],"total":1}'


def real_templates() -> list[tuple[str, str]]:
    """(field, template) of every distinct template of the real exports."""
    found: dict[str, str] = {}
    for folder in REAL_DIRS:
        for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            config = json.loads(file.read_text(encoding="utf-8")).get("config") or {}
            request, response = config.get("request") or {}, config.get("response") or {}
            for key in ("requestUrlTemplate", "requestTemplate"):
                if isinstance(request.get(key), str):
                    found.setdefault(request[key], key)
            for value in (request.get("headers") or {}).values():
                found.setdefault(str(value), "headers")
            if isinstance(response.get("successTemplate"), str):
                found.setdefault(response["successTemplate"], "successTemplate")
    return [(field, template) for template, field in found.items()]


@dataclass(frozen=True)
class Case:
    family: str
    template: str
    strict: bool = False

    def context(self) -> dict[str, Any]:
        if self.strict:
            return velocity.success_context(INPUTS, VARIABLES, RAW_RESULT)
        return velocity.request_context(INPUTS)

    def java_context(self) -> dict[str, Any]:
        ctx = self.context()
        return {"input": ctx["input"], **({**VARIABLES, "rawResult": RAW_RESULT} if self.strict else {})}


# ----------------------------------------------------------------------------------------- the real constructs
_FIELDS = list(INPUTS) + ["missing", "Id", "callbackNumber"]


def _ref(rng: random.Random) -> str:
    field = rng.choice(_FIELDS)
    return rng.choice([f"${{input.{field}}}", f"$!{{input.{field}}}", f"$input.{field}", f"$!input.{field}",
                       f"$esc.jsonString($!{{input.{field}}})", f"${{esc.jsonString(${{input.{field}}})}}",
                       f"$esc.url($!{{input.{field}}})", f'"${{input.{field}}}"'])


def _condition(rng: random.Random) -> str:
    field = rng.choice(_FIELDS)
    one = rng.choice([f'"$!{{input.{field}}}" != ""', f'"$!{{input.{field}}}" == ""', f"$input.{field}",
                      f"!$input.{field}", f"$!{{input.{field}}}", f"$input.{field} == {rng.randint(0, 3)}",
                      f'$input.{field} == "42"', f"${{input.{field}}}"])
    if rng.random() < 0.25:
        other = rng.choice(_FIELDS)
        one += rng.choice([" && ", " || "]) + f'"$!{{input.{other}}}" != ""'
    return one


def _indent(rng: random.Random) -> str:
    return rng.choice(["", "", "  ", "    ", "\t"])


def _json_line(rng: random.Random, key: int) -> str:
    return f'{_indent(rng)}"k{key}": {_ref(rng)}' + rng.choice([",", "", ","])


def _real_block(rng: random.Random, depth: int, counter: list[int]) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        counter[0] += 1
        roll = rng.random()
        if roll < 0.45 or depth > 2:
            parts.append(_json_line(rng, counter[0]) + "\n")
        elif roll < 0.75:
            space = rng.choice(["", " "])
            text = f"{_indent(rng)}#if{space}({_condition(rng)})" + rng.choice(["\n", "\n", " "])
            text += _real_block(rng, depth + 1, counter)
            if rng.random() < 0.2:
                text += f"{_indent(rng)}#elseif({_condition(rng)})\n" + _real_block(rng, depth + 1, counter)
            if rng.random() < 0.35:
                text += f"{_indent(rng)}" + rng.choice(["#else", "#{else}"]) + "\n" + _real_block(rng, depth + 1,
                                                                                               counter)
            parts.append(text + _indent(rng) + rng.choice(["#end", "#{end}"]) + rng.choice(["\n", "\n", ""]))
        elif roll < 0.85:
            field = rng.choice(_FIELDS)
            parts.append(f"{_indent(rng)}#set($v{counter[0]} = \"$!{{input.{field}}}\")\n"
                         f'{_indent(rng)}"s{counter[0]}": "$v{counter[0]}",\n')
        elif roll < 0.93:
            parts.append(f"{_indent(rng)}#foreach($t in $input.{rng.choice(['tags', 'items', 'obj', 'none'])})"
                         f'"$t"#if($foreach.hasNext),#end#end\n')
        else:
            parts.append(f"{_indent(rng)}## a note {counter[0]}\n")
    return "".join(parts)


def _real_success(rng: random.Random) -> str:
    name = rng.choice(list(VARIABLES) + ["rawResult", "undefinedName"])
    return rng.choice([
        f'{{"a": ${{{name}}}}}', f'{{"a": ${name}, "b": $!{{{name}}}}}',
        '{"first": ${successTemplateUtils.firstFromArray("${names}", "null")}}',
        f'{{"x": $esc.jsonString(${name})}}', "${rawResult}",
        f'#if(${name})\n{{"a": ${name}}}\n#else\n{{}}\n#end',
    ])


def real_like(seed: int, count: int) -> Iterator[Case]:
    rng = random.Random(seed)
    for _ in range(count):
        if rng.random() < 0.2:
            yield Case("real_like", _real_success(rng), strict=True)
        elif rng.random() < 0.2:
            yield Case("real_like", f"/api/v2/things/{_ref(rng)}?q={_ref(rng)}")
        else:
            yield Case("real_like", "{\n" + _real_block(rng, 0, [0]) + "}")


# ----------------------------------------------------------------------------------------- the whole grammar
_WORDS = ["a", "x", "foo", "input", "input.name", "input.tags", "input.obj.k", "input.none", "input.count",
          "input.items", "n", "i", "input.name.length()", "input.name.substring(1)", "input.tags[0]",
          "input.tags.size()", "input.obj.get('k')", "input.missing"]


def _g_value(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if roll < 0.3 or depth > 2:
        return _g_ref(rng)
    if roll < 0.45:
        return rng.choice(["1", "-2", "3.5", "0", "10", "2147483648", "1.0E3", "-0.5"])
    if roll < 0.6:
        return rng.choice(['"s"', "'s'", '""', "''", '"$input.name"', "'$input.name'", '"a\\nb"', '"x#if(true)y#end"',
                           '"it""s"', "'it''s'", '"\\u0041"', '"${input.count}0"'])
    if roll < 0.7:
        return rng.choice(["true", "false", "null"])
    if roll < 0.8:
        return rng.choice(["[1..3]", "[3..1]", "[]", '[1, "b", $input.name]', "{}", '{"k": 1, "j": $input.count}',
                           "[$input.count..5]"])
    if roll < 0.9:
        return f"({_g_expr(rng, depth + 1)})"
    return rng.choice(["!", "! "]) + _g_value(rng, depth + 1)


_OPS = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||", " and ", " or ", " eq ", " ne ",
        " lt ", " gt ", " le ", " ge "]


def _g_expr(rng: random.Random, depth: int = 0) -> str:
    text = _g_value(rng, depth)
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        op = rng.choice(_OPS)
        text += rng.choice(["", " "]) + op + rng.choice(["", " "]) + _g_value(rng, depth + 1)
    return text


def _g_ref(rng: random.Random) -> str:
    word = rng.choice(_WORDS)
    return rng.choice([f"${word}", f"$!{word}", f"${{{word}}}", f"$!{{{word}}}"])


def _g_space(rng: random.Random) -> str:
    return rng.choice(["", "", " ", "  ", "\n", " \n", "\n  ", "\t", "\n\n", "x", " y "])


def _g_text(rng: random.Random) -> str:
    return rng.choice(["text", " ", "\n", "  \n", "a b", "{", "}", "(", ")", ",", "\"", "'", "$", "#", "$$",
                       "##", "\\", "\\\\", "$1", "#1", "a#b", "a$b", "${", "$!", "$!{", "#{", "#x", "#(",
                       "=", "[", "]", "|", ".", "$.", "#*", "*#", "]]#", "#[[", "\\n", "$-", "@", "#@x"])


def _g_directive(rng: random.Random, depth: int, macros: list[str], case: int) -> str:
    brace = rng.random() < 0.2

    def name(word: str) -> str:
        return f"#{{{word}}}" if brace else f"#{word}"

    sp = rng.choice(["", "", " "])
    roll = rng.random()
    if roll < 0.3:
        text = f"{name('if')}{sp}({_g_expr(rng)})" + _g_body(rng, depth + 1, macros, case)
        for _ in range(rng.choice([0, 0, 1, 2])):
            text += f"{name('elseif')}{sp}({_g_expr(rng)})" + _g_body(rng, depth + 1, macros, case)
        if rng.random() < 0.4:
            text += name("else") + _g_body(rng, depth + 1, macros, case)
        return text + name("end")
    if roll < 0.45:
        target = rng.choice(["$v", "$a", "${v}", "$n", "$input.name", "$m.k"])
        return f"{name('set')}{sp}({rng.choice(['', ' '])}{target}{rng.choice(['', ' '])}={rng.choice(['', ' '])}" \
               f"{_g_expr(rng)})"
    if roll < 0.6:
        source = rng.choice(["$input.tags", "$input.items", "$input.obj", "[1..3]", "$input.none", "$input.name",
                             "[]", '["x", "y"]', "$input.missing"])
        inner = _g_body(rng, depth + 1, macros, case)
        if rng.random() < 0.2:
            inner = "#if($velocityCount == 2)#break#end" + inner
        return f"{name('foreach')}{sp}($i in {source})" + rng.choice(["$i", "$foreach.count", "$foreach.hasNext",
                                                                        "$velocityCount", ""]) + inner + name("end")
    if roll < 0.7:
        macro = f"m{case}x{len(macros)}"
        macros.append(macro)
        params = rng.choice(["", " $p", " $p $q", "$p, $q"])
        return f"#macro({macro}{params})" + _g_body(rng, depth + 1, macros, case) + rng.choice(["$!p", "$p", ""]) \
            + "#end"
    if roll < 0.78 and macros:
        macro = rng.choice(macros)
        return f"#{macro}({rng.choice(['', _g_value(rng, 1), _g_value(rng, 1) + ' ' + _g_value(rng, 1)])})"
    if roll < 0.82:
        return rng.choice(["#stop", "#{stop}", "#break", "#{break}"])
    if roll < 0.88:
        return rng.choice(["## note\n", "## note", "#* block *#", "#* multi\nline *#", "#**doc*#", "#[[ raw $x #if ]]#",
                           "#[[\n]]#"])
    if roll < 0.94:
        return rng.choice(["\\#if(true)x\\#end", "\\$input.name", "\\\\$input.name", "\\$nope", "\\\\#if(true)x#end",
                           "\\#set($x = 1)", "\\\\\\$input.name", "$\\!input.name", "\\${input.name}"])
    return rng.choice(["#define($d)inner $input.name#end$d", "#evaluate('$input.name')", "#nope(1)", "#nope",
                       "#if", "#end", "#else", "${{", "#{if}", "$input.name.", "$input.name()",
                       "$input.", "#set($x = )", "#foreach($i in)", "#{ else }", "#elseif(true)", "#if(true)"])


def _g_body(rng: random.Random, depth: int, macros: list[str], case: int) -> str:
    parts = []
    for _ in range(rng.randint(1, 3 if depth < 3 else 1)):
        roll = rng.random()
        if roll < 0.3:
            parts.append(_g_space(rng))
        elif roll < 0.5:
            parts.append(_g_text(rng))
        elif roll < 0.7 or depth >= 3:
            parts.append(_g_ref(rng))
        else:
            parts.append(_g_directive(rng, depth, macros, case))
    return "".join(parts)


def grammar(seed: int, count: int) -> Iterator[Case]:
    rng = random.Random(seed)
    for case in range(count):
        yield Case("grammar", _g_body(rng, 0, [], seed * 100000 + case) + _g_body(rng, 1, [], seed * 100000 + case),
                   strict=rng.random() < 0.15)


# ----------------------------------------------------------------------------------------- mutants
_KEYS = "{}()[]$#!\"'\\ \n.,=:_-axyz01*@|&"


def mutants(seed: int, count: int) -> Iterator[Case]:
    rng = random.Random(seed)
    templates = [template for _, template in real_templates() if template]
    for _ in range(count):
        template = rng.choice(templates)
        # the slips that matter are near the template's syntax: pick a position near a $ or # as often as not
        marks = [i for i, ch in enumerate(template) if ch in "$#{}()!\""]
        if marks and rng.random() < 0.7:
            at = min(len(template), max(0, rng.choice(marks) + rng.randint(-2, 3)))
        else:
            at = rng.randint(0, len(template))
        kind = rng.choice(["insert", "delete", "duplicate", "truncate"])
        if kind == "insert":
            mutated = template[:at] + rng.choice(_KEYS) + template[at:]
        elif kind == "delete":
            mutated = template[:at] + template[at + 1:]
        elif kind == "duplicate":
            mutated = template[:at] + template[at:at + 1] + template[at:]
        else:
            mutated = template[:at]
        yield Case("mutants", mutated)


# ----------------------------------------------------------------------------------------- comparing
def ours(case: Case) -> dict[str, Any]:
    """The engine's answer in the reference's shape."""
    try:
        velocity.check_template(case.template, template="t")
    except velocity.TemplateSyntaxError as err:
        if not isinstance(err, velocity.TemplateRenderError):
            return {"ok": False, "phase": "parse", "err": str(err)}
    try:
        text = velocity.render_template(case.template, case.context(), template="t", strict=case.strict).text
    except velocity.TemplateSyntaxError as err:
        return {"ok": False, "phase": "render", "err": str(err)}
    except Exception as err:  # noqa: BLE001 - a crash is a disagreement, reported as such
        return {"ok": False, "phase": "crash", "err": f"{type(err).__name__}: {err}"}
    return {"ok": True, "out": text}


def agrees(case: Case, mine: dict[str, Any], java: dict[str, Any], *, verdict_only: bool = False) -> bool:
    mine_parses = mine["ok"] or mine["phase"] != "parse"
    java_parses = java["ok"] or java["phase"] != "parse"
    if verdict_only or mine_parses != java_parses or not mine_parses:
        return mine_parses == java_parses
    if mine["ok"] != java["ok"]:
        return False
    return not mine["ok"] or mine["out"] == java["out"]
