"""The engine's Velocity against Apache Velocity 1.7 itself, on thousands of seeded generated and mutated templates.

Figures are printed (``-s`` shows them) and asserted: parse verdict and output text on templates built from the
real exports' constructs and on the whole grammar (success templates in strict mode, request templates lenient),
parse verdicts on single-keystroke mutants of the real templates. Seeds are fixed so a failure reproduces; the
generators live in ``vtl_gen``. Named regression cases for what was fixed are in tests/engine/test_velocity*.py.
"""
from __future__ import annotations

import os
import re
from typing import Any

import pytest

from . import vtl_gen
from .reference import JavaReference, chunks, vtl_request

# (family, seed, count, target share of agreement); GENESYS_NB_CONFORMANCE_SCALE multiplies the counts
FAMILIES = [("real_like", 20, 2500, 0.995), ("grammar", 21, 2500, 0.97), ("mutants", 22, 3000, 0.995)]
SCALE = float(os.environ.get("GENESYS_NB_CONFORMANCE_SCALE", "1"))


def _compare(java_reference: JavaReference, family: str, seed: int, count: int) -> tuple[int, list[Any]]:
    cases = list(getattr(vtl_gen, family)(seed, max(1, int(count * SCALE))))
    answers: list[dict[str, Any]] = []
    for chunk in chunks(cases):
        answers += java_reference.ask_many(
            vtl_request(case.template, case.java_context(), strict=case.strict) for case in chunk)
    verdict_only = family == "mutants"
    differ = [(case, mine, java) for case, java in zip(cases, answers)
              if not vtl_gen.agrees(case, mine := vtl_gen.ours(case), java, verdict_only=verdict_only)]
    return len(cases), differ


@pytest.mark.parametrize(("family", "seed", "count", "target"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_the_engine_agrees_with_velocity(java_reference: JavaReference, family: str, seed: int, count: int,
                                         target: float) -> None:
    total, differ = _compare(java_reference, family, seed, count)
    share = 1 - len(differ) / total
    print(f"\n{family} (seed {seed}): {share:.2%} of {total} agree with Velocity 1.7 (target {target:.1%})")
    shown = "\n".join(f"  {case.template!r}\n    engine: {mine}\n    velocity: {java}"
                      for case, mine, java in differ[:8])
    assert share >= target, f"{family}: {share:.2%} < {target:.1%}; first differences:\n{shown}"


def test_refusals_point_where_velocity_does(java_reference: JavaReference) -> None:
    """Where both refuse a mutant, the error names Velocity's own line and column (the token it met)."""
    cases = list(vtl_gen.mutants(23, max(1, int(3000 * SCALE))))
    answers: list[dict[str, Any]] = []
    for chunk in chunks(cases):
        answers += java_reference.ask_many(vtl_request(case.template, case.java_context()) for case in chunk)
    where = re.compile(r"line (\d+), column (\d+)")
    both = same = 0
    for case, java in zip(cases, answers):
        mine = vtl_gen.ours(case)
        if mine["ok"] or mine["phase"] != "parse" or java["ok"] or java["phase"] != "parse":
            continue
        both += 1
        theirs, ours = where.search(java["err"]), where.search(mine["err"])
        same += bool(theirs and ours and theirs.groups() == ours.groups())
    share = same / max(both, 1)
    print(f"\nmutants refused by both (seed 23): {both}; same line and column as Velocity: {share:.1%}")
    assert both > 100 and share >= 0.85
