"""The engine's JSONPath against Jayway 2.10 (json-smart): compile verdict, definiteness and value.

Generated paths over generated documents (tests/conformance/gen_jsonpath.py), seeded; the agreement is
printed and must reach 99.5 %. Cases that once differed and were fixed are kept below by name.
"""
from __future__ import annotations

import math
from typing import Any

import pytest

from genesys_nb.engine import jsonpath

from . import gen_jsonpath
from .reference import JavaReference, chunks

SEEDS = (2010, 2011)
PER_SEED = 2500
THRESHOLD = 0.995  # BENCHMARKS.md lists what still differs


def _canonical(value: Any) -> str:
    if isinstance(value, float) and not isinstance(value, jsonpath.JavaBigDecimal) and (
            math.isnan(value) or math.isinf(value)):
        return f'"__{jsonpath._number_text(value)}__"'
    return jsonpath._dump(value, ",", ":")


def engine_answer(path: str, doc_text: str) -> dict[str, Any]:
    """What the engine says, in the reference's terms."""
    try:
        compiled = jsonpath.compile_path(path)
    except jsonpath.JsonPathError:
        return {"ok": False, "phase": "compile"}
    try:
        result = compiled.evaluate(jsonpath.parse_json(doc_text))
    except jsonpath.JsonPathError:
        return {"ok": False, "phase": "eval", "definite": compiled.definite, "cls": "JsonPathException"}
    if not result.found:
        return {"ok": False, "phase": "eval", "definite": compiled.definite, "cls": "PathNotFoundException"}
    return {"ok": True, "definite": compiled.definite, "json": _canonical(result.value)}


def reference_answer(answer: dict[str, Any]) -> dict[str, Any]:
    if answer["ok"]:
        return {"ok": True, "definite": answer["definite"], "json": answer["json"]}
    if answer["phase"] == "compile":
        return {"ok": False, "phase": "compile"}
    found = "PathNotFoundException" if answer["cls"] == "PathNotFoundException" else "JsonPathException"
    return {"ok": False, "phase": "eval", "definite": answer["definite"], "cls": found}


def compare(ref: JavaReference, cases: list[tuple[str, str]]) -> list[tuple[str, str, Any, Any]]:
    """The cases where the engine and Jayway differ: (path, document, engine, Jayway)."""
    differ = []
    for batch in chunks(cases):
        answers = ref.ask_many({"kind": "jp", "path": p, "docText": d} for p, d in batch)
        for (path, doc), answer in zip(batch, answers):
            mine, theirs = engine_answer(path, doc), reference_answer(answer)
            if mine != theirs:
                differ.append((path, doc, mine, theirs))
    return differ


# Fixed differences, kept by name: (path, document)
REGRESSIONS = {
    "leading blank does not compile": (" $.a", '{"a":1}'),
    "trailing blank is fine": ("$.a ", '{"a":1}'),
    "long decimal keeps its digits": ("$.a", '{"a":0.1234567890123456789}'),
    "long negative decimal keeps its digits": ("$.a", '{"a":-12.345678901234567891}'),
    "18-character decimal is a double": ("$.a", '{"a":1.2345678901234567}'),
    "long decimal in an array": ("$.a[*]", '{"a":[123456789.123456789, 1.5]}'),
    "max of a long decimal is a double": ("$.a.max()", '{"a":[0.1234567890123456789]}'),
    "filter on a long decimal": ("$.a[?(@ > 0.12345678901234567)]", '{"a":[0.1234567890123456789]}'),
    "first of empty fails": ("$.a.first()", '{"a":[]}'),
    "last of empty fails": ("$.a.last()", '{"a":[]}'),
    "big integer": ("$.a", '{"a":12345678901234567890}'),
    "exponent double": ("$.a", '{"a":1E+2}'),
    "one character after a token is ignored": ("$.a[*]:", '{"a":[1]}'),
    "one quote after a bracket is ignored": ("$['a']\"", '{"a":42}'),
    "an open bracket at the end is ignored": ("$.a[", '{"a":[1,2]}'),
    "a name glued after a bracket": ("$[0]a.b", '[{"a":{"b":1}}]'),
    "a junk name glued after a filter": ("$.n[?(@.b)]!x[0]", '{"n":[{"b":1}]}'),
    "a wildcard glued after a bracket": ("$['a']*[0]", '{"a":{"x":[7]}}'),
    "two wildcards in a row": ("$..**", '{"a":{"b":1}}'),
    "a name glued after a wildcard": ("$.*x", '{"a":{"x":1}}'),
    "a path beginning with a wildcard": ("*$['a']", '{"a":{"$":{"a":2}}}'),
    "a deep scan of an odd name": ("$..0]", '{"a":{"0]":1}}'),
    "length after a deep scan of an odd name": ("$..it~ems.length()", '{"it~ems":[1,2]}'),
    "three dots do not compile": ("$[*]...[0]", '[[1]]'),
    "a blank after a bracket does not compile": ("$[0] ['a']", '[{"a":1}]'),
    "a glued && belongs to the path before it": ("$.a[?(@.b&&@.c)]", '{"a":[{"b":1,"c":2,"b&&@":{"c":1}}]}'),
    "a glued || belongs to the path before it": ("$.a[?(@.b||@.c)]", '{"a":[{"b":1},{"b||@":{"c":0}}]}'),
    "a glued && swallows the next comparison": ("$.a[?(1==@.b&&@.c==2)]", '{"a":[{"b":1,"c":2}]}'),
    "a glued && after a literal is fine": ("$.a[?(@.b==1&&@.c==2)]", '{"a":[{"b":1,"c":2}]}'),
    "a glued || after a string": ("$.a[?(@.b=='x'||@.c)]", '{"a":[{"b":"x"},{"c":1}]}'),
    "a pattern holding | and $": ("$.a[?(@.b =~ /x|y$/)]", '{"a":[{"b":"y"},{"b":"z"}]}'),
    "chained comparisons do not compile": ("$.a[?(@.b==1==true)]", '{"a":[{"b":1}]}'),
    "a comparison of a comparison does not compile": ("$.a[?((@.b==1)==true)]", '{"a":[{"b":1}]}'),
    "concat of an object prints Java's map": ("$.b.concat(@.b[0])",
                                              '{"b":[{"s":"x y","n":null,"l":[1,"a",{"q":2.5}],"o":{"t":1e5}}]}'),
    "max of no numbers prints Java's least double": ("$..tags.max()", '{"tags":[null,"x"]}'),
    "a function path ending a glued path": ("$.a[?(@.b&&@.c.length() > 1)]", '{"a":[{"b&&@":{"c":[1,2]}}]}'),
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_named_regressions_agree_with_jayway(java_reference: JavaReference, name: str) -> None:
    assert compare(java_reference, [REGRESSIONS[name]]) == []


def test_generated_paths_agree_with_jayway(java_reference: JavaReference) -> None:
    cases = [case for seed in SEEDS for case in gen_jsonpath.cases(seed, PER_SEED)]
    differ = compare(java_reference, cases)
    agreement = 1 - len(differ) / len(cases)
    refused = sum(1 for p, _ in cases if engine_answer(p, "{}") == {"ok": False, "phase": "compile"})
    print(f"\nJSONPath conformance: {len(cases) - len(differ)}/{len(cases)} agree with Jayway ({agreement:.2%}); "
          f"the engine refuses {refused} of the paths")
    for path, doc, mine, theirs in differ[:15]:
        print(f"  {path!r} on {doc[:80]}: engine {mine} / Jayway {theirs}")
    assert agreement >= THRESHOLD
