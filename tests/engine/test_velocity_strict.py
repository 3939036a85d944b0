"""Strict reference mode, as Velocity 1.7 runs it (texts checked against the Java reference), and the engine's
success step carrying the platform's body."""
from __future__ import annotations

from typing import Any

import pytest

from genesys_nb.engine import ActionEngine
from genesys_nb.engine.velocity import StrictReferenceFailure, render_template, success_context


def _strict(template: str, variables: dict[str, Any]) -> str:
    return render_template(template, success_context({}, variables, "{}"), template="successTemplate",
                           strict=True).text


@pytest.mark.parametrize(("template", "variables", "message", "line", "column"), [
    ('{"PresenceArray" : $Presences}', {}, "Variable $Presences has not been set", 1, 20),
    ("$!bogus", {}, "Variable $bogus has not been set", 1, 1),
    ("$a.b", {"a": {}}, "Reference $a.b evaluated to null when attempting to render", 1, 1),
    ("${a.b}", {"a": {}}, "Reference ${a.b} evaluated to null when attempting to render", 1, 1),
    ("x\n  $a.b.c", {"a": {}}, "Attempted to access 'c' on a null value", 2, 8),
    ("$a.foo()", {"a": "x"}, "Object 'java.lang.String' does not contain method foo()", 1, 4),
    ("$a.foo(1, 'x')", {"a": 3},
     "Object 'java.lang.Integer' does not contain method foo(java.lang.Integer, java.lang.String)", 1, 4),
    ("$a.bar", {"a": "s"}, "Object 'java.lang.String' does not contain property 'bar'", 1, 4),
    ("#set($x = $y)$x", {}, "Variable $y has not been set", 1, 11),
    ("#if($a == 1)y#end", {}, "Variable $a has not been set", 1, 5),
    ("#foreach($i in $nope)x#end", {}, "Variable $nope has not been set", 1, 16),
    ("\\$nope", {}, "Variable $nope has not been set", 1, 1),
    ("$esc.url($nope)", {}, "Variable $nope has not been set", 1, 10),
    ("(#set ( $m.k= {})x", {}, "Variable $m has not been set", 1, 9),  # a #set target's undefined root
    ("#set($m.k.j = 1)x", {"m": {}}, "Attempted to access 'j' on a null value", 1, 11),
    # orderings of what is not a number, with Velocity 1.7's own texts ('>=' for every ordering)
    ("#if($a > 1)y#end", {"a": "s"}, "Left side of '>=' operation is not a Number", 1, 9),
    ("#if($a lt 1)y#end", {"a": "s"}, "Left side of '>=' operation is not a valid Number", 1, 10),
    ("#if(1 < $a)y#end", {"a": "s"}, "Right side of '>=' operation is not a valid Number", 1, 8),
])
def test_strict_mode_fails_with_velocitys_text(template: str, variables: dict[str, Any], message: str, line: int,
                                               column: int) -> None:
    velocity_text = f"{message} at successTemplate[line {line}, column {column}]"
    with pytest.raises(StrictReferenceFailure) as caught:
        _strict(template, variables)
    assert caught.value.velocity_message == velocity_text == str(caught.value)


def test_strict_foreach_over_a_string_fails_with_velocitys_text() -> None:
    with pytest.raises(StrictReferenceFailure) as caught:
        _strict("#foreach($i in $a)x#end", {"a": "s"})
    assert caught.value.velocity_message == (
        "#foreach parameter $a at successTemplate[line 1, column 16] is of type java.lang.String and is either of "
        "wrong type or cannot be iterated.")


@pytest.mark.parametrize(("template", "variables", "output"), [
    ("#if($bogus)y#{else}n#end", {}, "n"),  # a bare reference tested by #if, !, && or || may be undefined
    ("#if(!$bogus)y#end", {}, "y"),
    ("#if($bogus && true)y#{else}n#end", {}, "n"),
    ("#if($a.b == 1)y#end", {"a": {}}, ""),
    ("#set($x = $a.b)$!x", {"a": {}}, ""),  # strict mode sets the null: $x is defined, and $! prints nothing
    ("$!a.b|$a.size()", {"a": {}}, "|0"),
])
def test_strict_mode_lets_through_what_velocity_does(template: str, variables: dict[str, Any], output: str) -> None:
    assert _strict(template, variables) == output


def test_request_templates_stay_lenient_and_the_success_step_fails_like_the_platform() -> None:
    engine = ActionEngine.from_export({"name": "P", "config": {
        "request": {"requestUrlTemplate": "/x/${input.nope}", "requestType": "GET"},
        "response": {"translationMap": {"presences": "$.entities"},
                     "successTemplate": '{"PresenceArray" : $Presences}'}}})
    result = engine.simulate({}, remote={"entities": []})
    url = next(op for op in result.operations if op.name == "Resolve request URL template")
    assert url.result == "/x/${input.nope}"
    failed = result.operations[-1]
    assert failed.name == "Apply output transformation" and not failed.success
    assert failed.error is not None and (failed.error.status, failed.error.code) == (400, "bad.request")
    assert failed.error.details == [{"errorCode": "ACTION.PROCESSING"}]
    assert failed.error.message == (
        "Transform failed to process result using 'successTemplate' template due to error:'Variable $Presences "
        "has not been set at successTemplate[line 1, column 20]'\n Template:'{\"PresenceArray\" : $Presences}'.")


def test_the_strict_setting_can_be_switched_off_per_engine() -> None:
    engine = ActionEngine.from_export({"name": "P", "config": {
        "request": {"requestUrlTemplate": "/x", "requestType": "GET"},
        "response": {"translationMap": {}, "successTemplate": '{"a": "$Nope"}'}}})
    engine.strict_success_template = False
    assert engine.simulate({}, remote={}).output == {"a": "$Nope"}
