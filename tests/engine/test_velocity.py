"""Velocity 1.7 rules for action templates: references, directives, printing, errors, warnings, caching."""
from __future__ import annotations

import json

import pytest

from genesys_nb.engine import velocity
from genesys_nb.engine.velocity import Rendered, TemplateSyntaxError, check_template, render_template


def render(source: str, **inputs: object) -> str:
    return render_template(source, velocity.request_context(inputs), template="requestTemplate").text


# ---------------------------------------------------------------------------- references
def test_undefined_references_stay_literally_as_written() -> None:
    assert render("a=${input.x}&b=$input.x&c=$nothing&d=${nothing.deeper}") == \
        "a=${input.x}&b=$input.x&c=$nothing&d=${nothing.deeper}"


def test_silent_references_render_nothing() -> None:
    assert render("[$!{input.x}][$!input.x][$!{input.y}]", y="v") == "[][][v]"


def test_a_null_input_value_is_an_undefined_reference() -> None:
    assert render("${input.x}|$!{input.x}", x=None) == "${input.x}|"


def test_a_null_method_result_leaves_the_call_text() -> None:
    assert render("$esc.jsonString(${input.missing})") == "$esc.jsonString(${input.missing})"
    assert render("${esc.url(${input.missing})}") == "${esc.url(${input.missing})}"


def test_formal_references_as_method_arguments() -> None:
    assert render("$esc.url(${input.q})|${esc.url($input.q)}", q="a b") == "a+b|a+b"


def test_references_end_where_identifiers_end() -> None:
    assert render("$input.a.$input.b!", a="x", b="y") == "x.y!"
    assert render("$5 and $ alone, $ too") == "$5 and $ alone, $ too"
    # Velocity's lexer cannot end the template right after a bare $, $! or #: the template does not parse
    for source in ("cost $", "cost $!", "cost #", "cost \\$", "cost #*", "#[[ open"):
        with pytest.raises(velocity.TemplateSyntaxError):
            render(source)
    assert render("a #* runs to the end") == "a "  # with text after it, an unclosed #* is a comment


def test_a_dollar_brace_that_starts_no_reference_is_text() -> None:
    assert render("${1} $!{ } $ {x} end$ ") == "${1} $!{ } $ {x} end$ "


def test_hyphens_belong_to_identifiers_in_velocity_1_7() -> None:
    assert render("$input.a-b|${input.a}-b", a="x") == "$input.a-b|x-b"


def test_index_notation() -> None:
    assert render("#set($l = ['p', 'q'])$l[1] $l[-1] $l[5]x") == "q q $l[5]x"


# ---------------------------------------------------------------------------- Java printing
def test_values_print_as_java_prints_them() -> None:
    assert render("$input.t $input.f $input.i $input.d $input.w", t=True, f=False, i=5, d=3.5, w=2.0) == \
        "true false 5 3.5 2.0"
    # the blank after a reference is the next #set's (Velocity 1.7's SET_DIRECTIVE token starts with blanks)
    assert render("#set($l = [1, 'a', true])$l #set($m = {'k': 'v', 'n': 2})$m") == "[1, a, true]{k=v, n=2}"


def test_none_never_prints_as_python_none() -> None:
    assert "None" not in render("$input.x $!input.x #set($l = [$input.x])$l", x=None)


# ---------------------------------------------------------------------------- directives
def test_if_elseif_else_end_and_their_newlines() -> None:
    source = "#if($input.n > 5)\nbig\n#elseif($input.n > 2)\nmid\n#else\nsmall\n#end\nafter"
    assert render(source, n=9) == "big\nafter"
    assert render(source, n=3) == "mid\nafter"
    assert render(source, n=1) == "small\nafter"


def test_the_usual_presence_check() -> None:
    source = '{"a": 1#if("$!{input.x}" != ""), "x": "$!{input.x}"#end}'
    assert render(source, x="v") == '{"a": 1, "x": "v"}'
    assert render(source) == '{"a": 1}'
    assert render(source, x="") == '{"a": 1}'


def test_velocity_1_7_truthiness() -> None:
    assert render("#if($input.e)T#{else}F#end #if($input.z)T#{else}F#end #if($input.b)T#{else}F#end "
                  "#if($input.none)T#{else}F#end #if(!$input.none)T#{else}F#end",
                  e="", z=0, b=False) == "T T F F T"


def test_operators() -> None:
    assert render("#if($input.n == 5 && $input.s == 'x')A#end#if($input.n != 5 || $input.s eq 'x')B#end"
                  "#if($input.n == '5')C#end#if($input.n gt 4 and $input.n le 5)D#end", n=5, s="x") == "ABCD"
    assert render("#set($a = 7 / 2)#set($b = -7 % 2)#set($c = 7.0 / 2)#set($d = 'n' + 1)$a $b $c $d") == \
        "3 -1 3.5 n1"
    assert render("#set($x = 1 + 2 * 3)$x #set($y = (1 + 2) * 3)$y") == "79"  # the blank is the #set's
    assert render("#set($q = 'keep')#set($q = 1 / 0)$q #set($q = 5 - 'x')$q") == "keepkeep"
    assert render("#set($s = 'x' + $input.none)$s #set($t = $input.n + 'y')$t", n=2) == "x$input.none2y"


def test_and_short_circuits() -> None:
    assert render("#if($input.s && $input.s.substring(2) == 'c')yes#{else}no#end", s="abc") == "yes"
    assert render("#if($input.none && $input.none.substring(9) == 'c')yes#{else}no#end") == "no"


def test_set_and_null_keeps_the_old_value() -> None:
    assert render("#set($a = 'one')#set($a = $input.none)$a") == "one"
    assert render("#set($m = {})#set($m.k = 'v')$m.k") == "v"


def test_set_eats_its_indentation_and_newline() -> None:
    # Velocity 1.7: the blanks before #set are its token's only where no text runs into them (the lexer takes
    # the longest token, and text after a newline is one TEXT token with the blanks)
    assert render("a\n    #set($x = 1)\nb$x") == "a\n    b1"
    assert render("#if(true)\n    #set($x = 1)\nb$x#end") == "b1"
    assert render("    #set($x = 1)\nb$x") == "b1"


def test_foreach_counters_and_has_next() -> None:
    source = ("#foreach($x in $l)$velocityCount/$foreach.count/$foreach.index=$x"
              "#if($foreach.hasNext), #end#end")
    assert render_template("#set($l = ['a', 'b', 'c'])" + source, velocity.request_context({}),
                           template="t").text == "1/1/0=a, 2/2/1=b, 3/3/2=c"


def test_foreach_over_a_map_gives_values_and_a_string_does_not_iterate() -> None:
    assert render("#foreach($v in {'a': 1, 'b': 2})$v#end|#foreach($c in 'abc')$c#end|"
                  "#foreach($n in [1..3])$n#end") == "12||123"


def test_foreach_restores_the_loop_variable_but_keeps_sets() -> None:
    assert render("#set($x = 'outer')#set($last = '')#foreach($x in [1, 2])#set($last = $x)#end$x $last") == \
        "outer 2"


def test_break_and_stop() -> None:
    assert render("#foreach($i in [1..5])$i#if($i == 2)#break#end#end.") == "12."
    assert render("before#stop after") == "before"


def test_comments() -> None:
    assert render("a## to the end\nb#* block *#c#**#d\n#* two\nlines *#e") == "ab" + "cd\ne"


def test_escapes() -> None:
    assert render("\\$input.x|\\$input.none|\\\\$input.x|\\#if|a\\b", x="v") == \
        "$input.x|\\$input.none|\\v|#if|a\\b"


def test_string_literals_keep_backslashes_and_double_quotes_escape_by_doubling() -> None:
    assert render("#set($a = 'it''s')#set($b = \"say \"\"hi\"\"\")#set($c = 'a\\nb')$a|$b|$c") == \
        "it's|say \"hi\"|a\\nb"


def test_interpolated_strings() -> None:
    assert render('#set($s = "id-${input.id}-$!{input.none}")$s', id=7) == "id-7-"


def test_macros_and_unknown_directives() -> None:
    assert render("#macro(greet $who)Hi $who#end#greet('Ada')") == "Hi Ada"
    assert render("#macro(line $x)[$x]#end\n#line(1)\n#line(2)\nend") == "[1][2]end"
    assert render("#undefinedmacro('x') #ff0000 # x") == "#undefinedmacro('x') #ff0000 # x"


# ---------------------------------------------------------------------------- contexts
def test_raw_request_is_the_inputs_as_json_in_order() -> None:
    context = velocity.request_context({"b": "v", "a": 3, "t": True, "f": 1.5})
    assert context["input"]["rawRequest"] == '{"b": "v", "a": 3, "t": true, "f": 1.5}'
    assert render("${input.rawRequest}", k="v") == '{"k": "v"}'
    assert {"esc", "math", "successTemplateUtils", "urlTool", "dateTool"} <= set(context)


def test_success_context_renders_variables_verbatim() -> None:
    context = velocity.success_context({"id": "1"}, {"tier": '"gold"', "n": "[1,2]"}, '{"a":1}')
    text = render_template('{"tier": ${tier}, "n": $n, "raw": $rawResult, "id": "${input.id}"}', context,
                           template="successTemplate").text
    assert json.loads(text) == {"tier": "gold", "n": [1, 2], "raw": {"a": 1}, "id": "1"}


def test_rendering_does_not_change_the_context() -> None:
    context = velocity.request_context({"x": "1"})
    before = json.dumps(context["input"])
    render_template("#set($input = 'gone')#set($new = 1)#macro(m)#end$input", context, template="t")
    assert json.dumps(context["input"]) == before and "new" not in context and "#m" not in context


# ---------------------------------------------------------------------------- errors
# the line and column are Velocity 1.7's own (checked against it): the token it met, the end of input at the
# last character; the reason says where the unclosed construct starts
@pytest.mark.parametrize(("source", "line", "column", "words"), [
    ("{\n  #if($input.x)\n  x", 3, 3, "the #if of line 2, column 3 has no #end"),
    ("a\nbb\n  #end", 3, 3, "#end without #if/#foreach"),
    ("#foreach($a in $b)\nx", 2, 1, "the #foreach of line 1, column 1 has no #end"),
    ("ok #else", 1, 4, "#else without #if"),
    ("x\n${input.id", 2, 10, "the ${ of line 2, column 1 has no closing }"),
    ("$esc.url(${input.x}", 1, 19, "the ( of line 1, column 9 has no closing )"),
])
def test_syntax_errors_say_where_and_what(source: str, line: int, column: int, words: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        check_template(source, template="requestTemplate")
    err = caught.value
    assert (err.template, err.line, err.column) == ("requestTemplate", line, column)
    assert words in err.reason
    assert str(err).startswith(f"requestTemplate line {line}, column {column}: {words}")
    prefix = f"requestTemplate line {line}, column {column}: {err.reason}"
    assert str(err)[len(prefix):].startswith(" (")  # a hint follows


def test_render_raises_the_same_syntax_error_with_the_template_name() -> None:
    with pytest.raises(TemplateSyntaxError,
                       match=r"^headers\.Accept line 1, column 10: the #if of line 1, column 1 has no #end"):
        render_template("#if(true)x", {}, template="headers.Accept")


def test_valid_templates_check_clean() -> None:
    for source in ("", "plain", "${input.rawRequest}", "#if($a)#elseif($b)#else#end", "$esc.url(${input.x})"):
        check_template(source, template="requestTemplate")


# ---------------------------------------------------------------------------- warnings
def test_no_warnings_when_everything_resolves() -> None:
    rendered = render_template("${input.a} $!{input.b}", velocity.request_context({"a": 1}), template="t",
                               input_fields=("a", "b"))
    assert rendered == Rendered("1 ", ())


def test_an_unresolved_input_reference_is_named() -> None:
    rendered = render_template("/x/${input.id}/$input.id", velocity.request_context({}),
                               template="requestUrlTemplate")
    assert len(rendered.warnings) == 1
    assert rendered.warnings[0].startswith("requestUrlTemplate: ${input.id}")
    assert "'id'" in rendered.warnings[0]


def test_a_reference_outside_the_contract_suggests_the_closest_field() -> None:
    rendered = render_template("${input.contactlistId}", velocity.request_context({"contactListId": "c"}),
                               template="requestTemplate", input_fields=("contactListId", "campaignId"))
    assert len(rendered.warnings) == 1
    assert "not an input field" in rendered.warnings[0]
    assert "did you mean 'contactListId'" in rendered.warnings[0]
    typo = render_template("${input.campainId}", velocity.request_context({}), template="t",
                           input_fields=("contactListId", "campaignId"))
    assert "did you mean 'campaignId'" in typo.warnings[0]


def test_an_optional_field_left_out_says_so() -> None:
    rendered = render_template("${input.note}", velocity.request_context({}), template="t",
                               input_fields=("note",))
    assert "was not given" in rendered.warnings[0] and "$!{input.note}" in rendered.warnings[0]


def test_arguments_of_a_null_call_are_warned_about() -> None:
    rendered = render_template("$esc.url(${input.q})", velocity.request_context({}), template="t")
    assert [w for w in rendered.warnings if "${input.q}" in w]


# ---------------------------------------------------------------------------- caching
def test_compiled_templates_are_cached_by_source() -> None:
    source = "cache-probe ${input.x} #if($input.x)y#end"
    velocity._compile.cache_clear()
    for value in range(50):
        assert render(source, x=value) == f"cache-probe {value} y"
    info = velocity._compile.cache_info()
    assert info.misses == 1 and info.hits == 49


def test_a_matrix_of_rows_renders_quickly() -> None:
    import time
    source = '{"id": "${input.id}"#if("$!{input.note}" != ""), "note": "$esc.jsonString($input.note)"#end}'
    contexts = [velocity.request_context({"id": i, "note": "n" if i % 2 else ""}) for i in range(2000)]
    start = time.perf_counter()
    texts = [render_template(source, context, template="t").text for context in contexts]
    assert texts[1] == '{"id": "1", "note": "n"}' and texts[2] == '{"id": "2"}'
    assert time.perf_counter() - start < 2.0  # thousands of rows per second, with room for slow machines
