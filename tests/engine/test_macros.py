"""The macro objects and Java methods, called directly and through templates."""
from __future__ import annotations

import pytest

from genesys_nb.engine import velocity
from genesys_nb.engine.macros import (
    DATE,
    ESC,
    JAVA_METHODS,
    MATH,
    SUCCESS_UTILS,
    URL_TOOL,
    java_double,
    to_java_string,
    to_number,
)


def render(source: str, **inputs: object) -> str:
    return velocity.render_template(source, velocity.request_context(inputs), template="t").text


@pytest.mark.parametrize(("value", "text"), [
    (2.0, "2.0"), (3.5, "3.5"), (0.1, "0.1"), (1e7, "1.0E7"), (1.5e-5, "1.5E-5"),
    (123456789.0, "1.23456789E8"),
    (-0.0, "-0.0"), (float("nan"), "NaN"), (float("inf"), "Infinity"), (0.001, "0.001"),
])
def test_doubles_print_as_java_does(value: float, text: str) -> None:
    assert java_double(value) == text


def test_values_print_as_java_string_value_of() -> None:
    assert to_java_string([1, "a", None, True, 2.0]) == "[1, a, null, true, 2.0]"
    assert to_java_string({"k": "v", "n": {"x": False}}) == "{k=v, n={x=false}}"
    assert to_java_string(None) == "null" and to_java_string(5) == "5"


def test_to_number_reads_text_like_velocity_tools() -> None:
    assert to_number("42") == 42 and to_number("3.0") == 3 and to_number("2.5") == 2.5
    assert to_number("1,234") == 1234 and to_number("7abc") == 7
    assert to_number("abc") is None and to_number(True) is None and to_number(None) is None


def test_esc_json_string_escapes_without_quotes() -> None:
    assert ESC.jsonString('say "hi"\n\\ \t\x01') == 'say \\"hi\\"\\n\\\\ \\t\\u0001'
    assert ESC.jsonString(None) is None
    assert ESC.jsonString(5) == "5"


def test_esc_url_is_form_encoding_and_uri_encode_uses_percent_20() -> None:
    assert ESC.url("a b&c=d/é~*") == "a+b%26c%3Dd%2F%C3%A9%7E*"
    assert ESC.urlFormEncode("a b") == "a+b"
    assert ESC.uriEncode("a b/c") == "a%20b%2Fc"
    assert ESC.url(None) is None and ESC.uriEncode(None) is None


def test_esc_quote_xml_html_java_javascript() -> None:
    assert not hasattr(ESC, "quote") and ESC.getQuote() == '"'  # EscapeTool 2.0 has no quote(x)
    assert ESC.xml("<a href='x'>&</a>") == "&lt;a href=&apos;x&apos;&gt;&amp;&lt;/a&gt;"
    assert ESC.html('<b>"é"</b>') == "&lt;b&gt;&quot;&eacute;&quot;&lt;/b&gt;"
    assert ESC.java('a"b\n\u00e9') == 'a\\"b\\n\\u00E9'
    assert ESC.javascript("it's a/b") == "it\\'s a\\/b"


def test_esc_property_forms_render_through_a_template() -> None:
    assert render("$esc.quote$esc.quote|$esc.d$esc.h|$esc.quote('v')") == '""|$#|$esc.quote(\'v\')'


def test_a_null_argument_leaves_the_call_text() -> None:
    assert render("x=$esc.url(${input.none})&y=$encoding.base64($input.none)") == \
        "x=$esc.url(${input.none})&y=$encoding.base64($input.none)"


def test_math_follows_java_number_rules() -> None:
    assert MATH.div(7, 2) == 3.5 and MATH.div(6, 2) == 3 and isinstance(MATH.div(6, 2), int)
    assert MATH.div(1, 0) is None
    assert MATH.add(1, 2) == 3 and MATH.add(1, 2.5) == 3.5 and MATH.add("2", "3") == 5
    assert MATH.sub(5, 7) == -2 and MATH.mul(2, 2.5) == 5.0 and isinstance(MATH.mul(2, 2.5), int)
    assert MATH.max(3, 9) == 9 and MATH.min(3, 9) == 3
    assert MATH.round(2.5) == 2 and MATH.round(-2.5) == -2 and MATH.floor(2.7) == 2 and MATH.ceil(2.1) == 3
    assert MATH.abs(-4) == 4 and MATH.toInteger("42") == 42 and MATH.toNumber("2.5") == 2.5
    assert MATH.idiv(-7, 2) == -3 and MATH.mod(-7, 2) == -1
    assert MATH.add(None, 1) is None and MATH.add("x", 1) is None


def test_math_results_print_as_java_would() -> None:
    assert render("$math.div(7,2) $math.div(6,2) $math.mul(2,2.0) $math.add($input.n, 1)",
                  n=4) == "3.5 3 4 5"  # a whole result is an Integer in velocity-tools 2.0


def test_math_random_stays_in_range() -> None:
    for _ in range(50):
        assert 1 <= MATH.random(1, 4) < 4
        assert 0.0 <= MATH.random() < 1.0


def test_first_from_array_gives_compact_json_or_the_default() -> None:
    assert SUCCESS_UTILS.firstFromArray('[{"count": 3}, {"count": 4}]') == '{"count":3}'
    assert SUCCESS_UTILS.firstFromArray('["x"]') == '"x"'
    assert SUCCESS_UTILS.firstFromArray("[]", '""') == '""'
    assert SUCCESS_UTILS.firstFromArray("[]") == ""
    assert SUCCESS_UTILS.firstFromArray(None) is None


def test_move_keys_into_array_of_objects() -> None:
    moved = SUCCESS_UTILS.moveKeysIntoArrayOfObjects('{"a": {"x": 1}, "b": {"x": 2}}', "id")
    assert moved == '[{"id":"a","x":1},{"id":"b","x":2}]'


def test_optional_query_param_only_when_there_is_a_value() -> None:
    assert URL_TOOL.optionalQueryParam("q", "a b") == "&q=a+b"
    assert URL_TOOL.optionalQueryParam("q", "a", True) == "q=a"
    assert URL_TOOL.optionalQueryParam("q", None) == "" and URL_TOOL.optionalQueryParam("q", "") == ""
    assert render("/x?$urlTool.optionalQueryParam('a', $input.a, true)"
                  "$urlTool.optionalQueryParam('b', $input.b)",
                  a=1) == "/x?a=1"


def test_date_tool_formats_and_parses() -> None:
    moment = DATE.toDate("2024-03-05T10:07:09Z")
    assert moment is not None and moment.year == 2024
    assert DATE.format("yyyy-MM-dd'T'HH:mm:ss", "2024-03-05T10:07:09Z") == "2024-03-05T10:07:09"
    assert DATE.format("dd/MM/yy", 0) == "01/01/70"
    assert DATE.format("yyyy", None) is None


def test_java_string_methods_through_templates() -> None:
    s = " Ada Lovelace "
    assert render("$input.s.trim()|$input.s.toLowerCase()|$input.s.toUpperCase()", s=s) == \
        "Ada Lovelace| ada lovelace | ADA LOVELACE "
    assert render("$input.s.length()|$input.s.substring(1, 4)|$input.s.indexOf('Love')", s=s) == "14|Ada|5"
    assert render("$input.s.replace(' ', '%20')|"
                  "$input.s.trim().replaceAll('(\\w+) (\\w+)', '$2, $1')", s=s) == \
        "%20Ada%20Lovelace%20|Lovelace, Ada"
    assert render("$input.s.contains('Ada') $input.s.startsWith(' A') $input.s.endsWith('x') "
                  "$input.s.equals(' Ada Lovelace ') $input.s.isEmpty() "
                  "$input.s.trim().matches('[A-Za-z ]+')",
                  s=s) == "true true false true false true"
    assert render("#foreach($p in $input.s.trim().split(' '))[$p]#end", s=s) == "[Ada][Lovelace]"


def test_java_split_drops_trailing_empty_strings() -> None:
    split = JAVA_METHODS[str]["split"]
    assert split("a,b,,", ",") == ["a", "b"] and split("", ",") == [""]
    assert split("a,b,c", ",", 2) == ["a", "b,c"] and split("abc", "") == ["a", "b", "c"]


def test_a_method_that_throws_fails_the_render_with_its_position() -> None:
    with pytest.raises(velocity.TemplateRenderError) as caught:
        render("ok\n  $input.s.substring(5)", s="abc")
    assert (caught.value.line, caught.value.column) == (2, 3)
    assert "StringIndexOutOfBounds" in caught.value.reason


def test_unknown_methods_and_wrong_arity_are_null() -> None:
    assert render("$input.s.upper() $input.s.substring() $input.n.substring(1)", s="abc", n=5) == \
        "$input.s.upper() $input.s.substring() $input.n.substring(1)"


def test_list_and_map_methods() -> None:
    assert render("#set($l = [1, 2])$l.size() $l.get(1) $l.contains(2) $l.isEmpty()") == "2 2 true false"
    assert render("#set($l = [])#set($ok = $l.add('x'))$l $ok") == "[x] true"
    assert render("#set($m = {'a': 1})$m.get('a') $m.containsKey('b') $m.keySet() $m.size()") == \
        "1 false [a] 1"
    assert render("#set($m = {})$m.put('k', 'v')|$m") == "$m.put('k', 'v')|{k=v}"


def test_the_platforms_documented_helpers_render() -> None:
    assert render('Basic $encoding.base64("${input.u}:${input.p}")', u="user", p="pa:ss") == "Basic dXNlcjpwYTpzcw=="
    assert render("$esc.jsonEncode($input.q)|$esc.jsonDecode($input.e)", q='a "b"\n', e="x\\ny\\u00e9") == \
        'a \\"b\\"\\n|x\ny\u00e9'
    assert render("$esc.urlFormEncode($input.q)|$esc.uriEncode($input.q)", q="a b!") == "a+b%21|a%20b!"
    assert render("FIND {$salesforce.escReserved($input.p)}", p="+1 (317)-5") == "FIND {\\+1 \\(317\\)\\-5}"
    assert render('$msdynamics.phoneNumberFilter("$input.p", ["telephone1", "mobilephone"])', p="+1 '3") == \
        "telephone1 eq '+1 ''3' or mobilephone eq '+1 ''3'"
    assert render('$successTemplateUtils.moveKeysIntoArrayOfObjects($input.o, "id")', o='{"a": {"x": 1}, "b": 2}') \
        == '[{"id":"a","x":1},{"id":"b","value":2}]'
    assert render("$successTemplateUtils.firstFromArray($input.a, 'none')|"
                  "$successTemplateUtils.firstFromArray('[0.1234567890123456789]')", a="not json") == \
        "none|0.1234567890123456789"
    assert render("?a=1$urlTool.optionalQueryParam('q', $input.q)$urlTool.optionalQueryParam('r', '')", q="x y") \
        == "?a=1&q=x+y"


@pytest.mark.parametrize(("call", "text"), [  # velocity-tools 2.0 MathTool, as the Java reference prints it
    ("$math.add(1.0, 1)", "2"), ("$math.mul(2, 2.5)", "5"), ("$math.sub(3.5, 1.5)", "2"), ("$math.pow(2.0, 2)", "4.0"),
    ("$math.round(2.5)", "2"), ("$math.round(3.5)", "4"), ("$math.round(-2.5)", "-2"), ("$math.abs(-2.0)", "2.0"),
    ("$math.roundTo(2, 1.005)", "1.0"), ("$math.roundTo(1, 2.25)", "2.3"), ("$math.add(0.1, 0.2)", "0.30000000000000004"),
    ("$math.div(1, 0)", "$math.div(1, 0)"), ("$math.idiv(7, 2)", "3"), ("$math.mod(7, -2)", "1"),
])
def test_math_is_velocity_tools_2_math_tool(call: str, text: str) -> None:
    assert render(call) == text
