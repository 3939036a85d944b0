"""The engine's template helpers against the Java reference: velocity-tools 2.0 MathTool and EscapeTool as
they are, and the platform's helpers as Reference.java models them (the same choices as
genesys_nb/engine/macros.py). Seeded calls from tests/conformance/gen_helpers.py; the agreement is printed."""
from __future__ import annotations

from typing import Any

import pytest

from genesys_nb.engine import velocity

from . import gen_helpers
from .reference import JavaReference, chunks, vtl_request

SEED, COUNT = 2020, 3000
THRESHOLD = 0.99  # measured 99.5 %; BENCHMARKS.md lists what still differs

REGRESSIONS = {
    "math add of a double and an int is whole": "$math.add(1.0, 1)",
    "math round is half to even": "$math.round(2.5)|$math.round(3.5)|$math.round(-2.5)",
    "math mul whole result": "$math.mul(2, 2.5)",
    "esc quote(x) is no method": '$esc.quote("x")|$esc.quote',
    "esc property escapes": "$esc.propertyKey($input.s)|$esc.propertyValue($input.s)",
    "esc unicode": "$esc.unicode('00e9')",
    "base64 of credentials": 'Basic $encoding.base64("${input.word}:${input.num}")',
    "salesforce reserved": "$salesforce.escReserved($input.sosl)",
    "dynamics phone filter": '$msdynamics.phoneNumberFilter("$input.phone", ["telephone1", "mobilephone"])',
    "roundTo wraps its int delta: NaN from 32 places": "$math.roundTo(100, 0.1)|$math.roundTo(32, 2.5)",
    "roundTo below two places rounds to one": "$math.roundTo(0, -0.5)|$math.roundTo(-3, 1234.5)",
    "roundTo of a long takes its low 32 bits": "$math.roundTo($input.big, 100)",
    "roundTo saturates Math.round": "$math.roundTo(2, 1e300)",
    "max and min start at Java's extremes": "$math.max()|$math.max(-1)|$math.min()|$math.min(-1e19)",
    "a huge whole result saturates to a long": "$math.mul(1e300, 1e300)|$math.pow(10, 30)|$math.add(1e19, 1)",
    "sub and div take any number of arguments": "$math.div()|$math.div(1, 1, 3)|$math.sub(-1, 1, 2147483647)",
    "pow overflows to a saturated long or an infinity": "$math.pow(10, 2147483647)|$math.pow(-10.0, 2147483647)",
    "pow of a negative base to a fraction is NaN": "$math.pow(-1, 2.5)",
    "floor, ceil, round and toInteger are Java ints":
        "$math.floor($input.big)|$math.ceil($input.big)|$math.round(1e300)|$math.toInteger($input.big)",
    "first from an empty array takes the default": '$successTemplateUtils.firstFromArray("[]", "$esc.quote$esc.quote")',
}


def _engine(template: str, inputs: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"ok": True, "out": velocity.render_template(template, velocity.request_context(inputs),
                                                             template="t").text}
    except velocity.TemplateSyntaxError:
        return {"ok": False}


def compare(ref: JavaReference, templates: list[str]) -> list[tuple[str, Any, Any]]:
    inputs = gen_helpers.context()
    differ = []
    for batch in chunks(templates, 200):
        for template, answer in zip(batch, ref.ask_many(vtl_request(t, {"input": inputs}) for t in batch)):
            mine = _engine(template, inputs)
            theirs = {"ok": True, "out": answer["out"]} if answer["ok"] else {"ok": False}
            if mine != theirs:
                differ.append((template, mine, answer))
    return differ


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_named_helper_regressions_agree(java_reference: JavaReference, name: str) -> None:
    assert compare(java_reference, [REGRESSIONS[name]]) == []


def test_generated_helper_calls_agree(java_reference: JavaReference) -> None:
    templates = gen_helpers.cases(SEED, COUNT)
    differ = compare(java_reference, templates)
    agreement = 1 - len(differ) / len(templates)
    print(f"\nHelper conformance: {len(templates) - len(differ)}/{len(templates)} templates agree with the "
          f"Java reference ({agreement:.2%})")
    for template, mine, theirs in differ[:10]:
        print(f"  {template}: engine {mine} / reference {theirs}")
    assert agreement >= THRESHOLD
