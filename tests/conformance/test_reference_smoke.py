"""The reference itself answers as its protocol says: the fixture the conformance suites stand on."""
from __future__ import annotations

from .reference import JavaReference


def test_reference_renders_parses_and_evaluates(java_reference: JavaReference) -> None:
    assert java_reference.vtl("Hello $name", {"name": "you"}) == {"ok": True, "out": "Hello you"}
    broken = java_reference.vtl("#if( ${")
    assert broken["ok"] is False and broken["phase"] == "parse" and "line 1, column 7" in broken["err"]
    strict = java_reference.vtl('{"PresenceArray" : $Presences}', strict=True, name="successTemplate")
    assert strict["phase"] == "method"
    assert "Variable $Presences has not been set at successTemplate[line 1, column 20]" in strict["err"]
    found = java_reference.jp("$.a[*].b", '{"a":[{"b":1},{"b":2.5}]}')
    assert found["ok"] is True and found["json"] == "[1,2.5]" and found["definite"] is False
