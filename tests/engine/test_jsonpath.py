"""Jayway JsonPath 2.10 semantics of genesys_nb.engine.jsonpath; many cases come from Jayway's own tests."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from genesys_nb.engine.jsonpath import JsonPathError, PathResult, compile_path, evaluate, to_json_text

# Jayway's BaseTest.JSON_DOCUMENT
DOC: dict[str, Any] = {
    "string-property": "string-value",
    "int-max-property": 2147483647,
    "long-max-property": 9223372036854775807,
    "boolean-property": True,
    "null-property": None,
    "int-small-property": 1,
    "max-price": 10,
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century",
             "display-price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour",
             "display-price": 12.99},
            {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick",
             "isbn": "0-553-21311-3", "display-price": 8.99},
            {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings",
             "isbn": "0-395-19395-8", "display-price": 22.99},
        ],
        "bicycle": {"foo": "baz", "color": "red", "display-price": 19.95, "foo:bar": "fooBar",
                    "dot.notation": "new", "dash-notation": "dashes"},
    },
    "foo": "bar",
    "@id": "ID",
}
AUTHORS = ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"]
TITLES = [book["title"] for book in DOC["store"]["book"]]
NUMBERS = {"empty": [], "numbers": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}  # Jayway's BaseFunctionTest.NUMBER_SERIES
TEXT = {"text": ["a", "b", "c", "d", "e", "f"], "numbers": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
SLICES = [1, 3, 5, 7, 8, 13, 20]  # Jayway's ArraySlicingTest.JSON_ARRAY

FOUND_DEFINITE = [
    ("$", DOC),
    ("$.store.book[0].author", "Nigel Rees"),
    ("$['store']['book'][0]['author']", "Nigel Rees"),
    ('$["store"]["book"][0]["author"]', "Nigel Rees"),
    ("$.store.book[-1].author", "J. R. R. Tolkien"),
    ("$.store.book[-4].author", "Nigel Rees"),
    ("$.[\"store\"].bicycle.color", "red"),
    ("$.store.bicycle.['color']", "red"),
    ("store.bicycle.color", "red"),  # Jayway reads a path without $ as $.path
    ("@.store.bicycle.color", "red"),
    ("$.foo  ", "bar"),  # Jayway trims the end; a leading blank does not compile (test below)
    ("$.store.bicycle['dot.notation']", "new"),
    ("$.store.bicycle.dash-notation", "dashes"),
    ("$.store.bicycle.foo:bar", "fooBar"),
    ("$.@id", "ID"),
    ("$['@id']", "ID"),
    ("$.null-property", None),
    ("$.boolean-property", True),
    ("$.long-max-property", 9223372036854775807),
    ("$.store.bicycle['color', 'foo']", {"color": "red", "foo": "baz"}),  # leaf multi-props merge
    ("$.store.bicycle['color', 'nope']", {"color": "red"}),
    ("$.store.book.length()", 4),
    ("$.store.book.size()", 4),
    ("$['store'].length()", 2),
    ("$..book.length()", 4),  # Jayway evaluates $..x.fn() as $.fn($..x)
    ("$.store.keys()", ["book", "bicycle"]),
    ("$.store.book[0].title.length()", None),  # Jayway's length() of a string is null
]
FOUND_INDEFINITE = [
    ("$.store.book[*].author", AUTHORS),
    ("$..author", AUTHORS),
    ("$.store..author", AUTHORS),
    ("$.store.book[0,1].author", AUTHORS[:2]),
    ("$.store.book[:2].author", AUTHORS[:2]),
    ("$.store.book[1:3].author", AUTHORS[1:3]),
    ("$.store.book[-2:].author", AUTHORS[2:]),
    ("$.store.book[?(@.isbn)].isbn", ["0-553-21311-3", "0-395-19395-8"]),
    ("$.store.book[?(@['isbn'])].isbn", ["0-553-21311-3", "0-395-19395-8"]),
    ("$..book[2].author", ["Herman Melville"]),
    ("$..[2].author", ["Herman Melville"]),  # Jayway issue 273
    ("$.store..['display-price']", [8.95, 12.99, 8.99, 22.99, 19.95]),
    ("$.store.book[*].missing", []),  # an indefinite path that matches nothing is an empty list, a value
    ("$.store.book[9].isbn[*]", []),  # an index past the end is silent, not PathNotFound
    ("$.store.*.color", ["red"]),
    ("$.store['book', 'bicycle'].color", ["red"]),  # non-leaf multi-props iterate
    ("$.store.book[?(@.author == 'Nigel Rees')].missing.deeper", []),
    ("$.store.book[*].title.length()", [None, None, None, None]),  # functions apply per match
    ("$..[?(@.color == 'red')].foo", ["baz"]),
]
SLICE_CASES = [  # Jayway's ArraySlicingTest, plus its own reading of negative starts
    ("$[3]", True, 7),
    ("$[:3]", False, [1, 3, 5]),
    ("$[1:5]", False, [3, 5, 7, 8]),
    ("$[0:1]", False, [1]),
    ("$[1:15]", False, [3, 5, 7, 8, 13, 20]),
    ("$[-3:]", False, [8, 13, 20]),
    ("$[3:]", False, [7, 8, 13, 20]),
    ("$[0,1,2]", False, [1, 3, 5]),
    ("$[:-5]", False, [1, 3]),
    ("$[-3:-1]", False, [8, 13]),
    ("$[-2:2]", False, [13, 20, 1, 3]),  # Jayway steps from -2 up to 2, mapping each negative index
    ("$[5:2]", False, []),
    ("$[1:3:2]", False, [3, 5]),  # Jayway ignores a step
    ("$[10]", True, None),
    ("$[-8]", True, None),
]


@pytest.mark.parametrize(("path", "expected"), FOUND_DEFINITE)
def test_definite_paths_give_one_value(path: str, expected: Any) -> None:
    assert evaluate(path, DOC) == PathResult(definite=True, found=True, value=expected)


@pytest.mark.parametrize(("path", "expected"), FOUND_INDEFINITE)
def test_indefinite_paths_give_a_list(path: str, expected: list[Any]) -> None:
    assert evaluate(path, DOC) == PathResult(definite=False, found=True, value=expected)


@pytest.mark.parametrize(("path", "definite", "expected"), SLICE_CASES)
def test_indexes_and_slices(path: str, definite: bool, expected: Any) -> None:
    result = evaluate(path, SLICES)
    assert result.definite is definite
    assert result.found is (expected is not None)
    assert result.value == expected


NOT_FOUND = [  # Jayway's PathNotFoundException: translation defaults apply
    "$.NULL",
    "$.store.book[0].missing",
    "$.store.missing.deeper",
    "$.store.book[10].author",
    "$.foo.bar",  # a property of a string
    "$.null-property.x",  # a property of null
    "$.foo[0]",  # an index into a string
    "$.missing[*]",  # a definite prefix that is missing ends even an indefinite path
    "$.missing[?(@.a)].b",
    "$.store.missing..author",
    "$.store.bicycle[0]",  # an index into an object
    "$.missing.length()",
    "$.concat($.missing, \"x\")",  # a definite argument that finds nothing
    "$.length($.missing)",
]


@pytest.mark.parametrize("path", NOT_FOUND)
def test_paths_that_find_nothing(path: str) -> None:
    result = evaluate(path, DOC)
    assert result.found is False
    assert result.value is None


def test_missing_leaf_and_null_leaf_differ() -> None:
    assert evaluate("$.a", {"a": None}) == PathResult(True, True, None)
    assert evaluate("$.a", {}) == PathResult(True, False, None)
    assert evaluate("$[*].a", [{"a": None}, {}]) == PathResult(False, True, [None])


def test_jayway_null_handling_test() -> None:
    # Jayway's old/NullHandlingTest
    doc = {"children": [{"id": 0, "name": "Charlie", "age": 5}, {"id": 1, "name": "Heidi", "age": 1},
                        {"id": 2, "name": "Tosha", "age": None}, None]}
    assert evaluate("$.children[0].child.age", doc).found is False
    assert evaluate("$.children[2].age", doc) == PathResult(True, True, None)
    assert evaluate("$.children[1].age", doc).value == 1
    assert evaluate("$.children[*].age", doc).value == [5, 1, None]


NESTED_PROPS = {"v": [[{}, 1, {"a": {"v": 5}, "b": {"v": 4}, "c": {"v": 1, "flag": True}}]]}
DEEP_SCAN = [  # Jayway's DeepScanTest and MultiPropTest
    ({"x": [0, 1, [0, 1, 2, 3, None], None]}, "$..[2][3]", [3]),
    ({"x": [0, 1, [0, 1, 2], None], "y": [0, 1, 2]}, "$..[2][3]", []),
    ({"x": [None, None, [0, 1, 2, 3, None], None], "y": [0, 1, None]}, "$..[2][3]", [3]),
    ({"x": [0, 1, [0, 1, 2, 3, 10], None]}, "$..[4]", [10]),
    ({"x": {"foo": {"bar": 4}}, "y": {"foo": 1}}, "$..foo", [{"bar": 4}, 1]),
    ({"x": {"foo": {"bar": 4}}, "y": {"foo": 1}}, "$..foo.bar", [4]),
    ({"x": {"foo": {"bar": 4}}, "y": {"foo": 1}}, "$..[*].foo.bar", [4]),
    ({"x": {"foo": {"baz": 4}}, "y": {"foo": 1}}, "$..[*].foo.bar", []),
    ({"x": {"foo": {"bar": 4}}, "y": {"foo": 1}}, "$..foo[?(@.bar)].bar", [4]),
    ([{"a": "a-val", "b": "b-val", "c": "c-val"}, [1, 5], {"a": "a-val"}], "$..['a', 'c']",
     [{"a": "a-val", "c": "c-val"}]),
    (NESTED_PROPS, "$..['a', 'c'].v", [5, 1]),
    (NESTED_PROPS, "$..['a', 'c'][?(@.flag)].v", [1]),
    ({"a": {"v": 5}, "b": {"v": 4}, "c": {"v": 1}}, "$['d', 'a', 'c', 'm'].v", [5, 1]),
    ({"x": [None, {"a": {"v": 5}, "b": {"v": 4}, "c": {"v": 1}}]}, "$.x[*]['a', 'c'].v", [5, 1]),
    ([{"mammal": True, "color": "brown"}, {"mammal": True, "color": "white"}, {"mammal": False}],
     "$..[?(@.mammal == true)].color", ["brown", "white"]),
    ({"key": "v_value"}, "$..key", ["v_value"]),
    ({"a": {"key": 1, "b": [{"key": 2}]}}, "$..key", [1, 2]),
    ([[{"author": "x"}, {"author": "y"}], {"author": "z"}], "$..[1].author", ["z", "y"]),
    ({"a": [{"name": 1}]}, "$..[*].name", []),  # Jayway's scan skips [*] before a lone leaf property
]


@pytest.mark.parametrize(("document", "path", "expected"), DEEP_SCAN)
def test_deep_scan(document: Any, path: str, expected: list[Any]) -> None:
    assert evaluate(path, document) == PathResult(False, True, expected)


BOOKS = DOC["store"]["book"]
FILTERS = [  # (path over DOC['store']['book'], titles matched); many from Jayway's InlineFilterTest
    ("$[?(@.category == 'reference')]", TITLES[:1]),
    ('$[?(@.category == "reference")]', TITLES[:1]),
    ("$[?('reference' == @.category)]", TITLES[:1]),
    ("$[?(@.category != 'fiction')]", TITLES[:1]),
    ("$[?(@.display-price < 10)]", [TITLES[0], TITLES[2]]),
    ("$[?(@.display-price <= 8.99)]", [TITLES[0], TITLES[2]]),
    ("$[?(@.display-price > 12.99)]", TITLES[3:]),
    ("$[?(@.display-price >= 12.99)]", [TITLES[1], TITLES[3]]),
    ("$[?(@.display-price <= $.max)]", []),  # $ is the filtered array here; $.max is missing
    ("$[?(@.author =~ /.*REES/i)]", TITLES[:1]),
    ("$[?(@.author =~ /.*Rees/)]", TITLES[:1]),
    ("$[?(@.author =~ /Rees/)]", []),  # =~ matches the whole string
    ("$[?(/reference/ =~ @.category)]", TITLES[:1]),
    ("$[?(@.isbn)]", TITLES[2:]),
    ("$[?(!@.isbn)]", TITLES[:2]),
    ("$[?(@.category == 'fiction' && @.display-price < 10)]", [TITLES[2]]),
    ("$[?(@.author == 'Nigel Rees' || @.author == 'Evelyn Waugh')]", TITLES[:2]),
    ("$[?((@.author == 'Nigel Rees' || @.author == 'Evelyn Waugh') && @.category == 'reference')]",
     TITLES[:1]),
    ("$[?(!(@.category == 'fiction'))]", TITLES[:1]),
    ("$[?(@.category in ['reference', 'poetry'])]", TITLES[:1]),
    ("$[?(@.category IN ['reference'])]", TITLES[:1]),
    ("$[?(@.category nin ['fiction'])]", TITLES[:1]),
    ("$[?(@.author contains 'Rees')]", TITLES[:1]),
    ("$[?(@.title size 9)]", [TITLES[2]]),
    ("$[?(@.isbn empty false)]", TITLES[2:]),
    ("$[?(@.category == @.category)]", TITLES),
    ("$[?(@ == @)]", TITLES),
    ("$[?(@.category != @)]", TITLES),
    ("$[?('a' == 'a')]", TITLES),
    ("$[?('a' == 'b')]", []),
    ("$[?(@.title.length() > 5)]", []),  # length() of a string is null, and null > 5 is false
    ("$[?(@.missing == null)]", []),  # missing is not null
    ("$[?(@.missing != 'x')]", TITLES),
    ("$[ ?(@.category == 'reference') ]", TITLES[:1]),
]


@pytest.mark.parametrize(("path", "titles"), FILTERS)
def test_filters(path: str, titles: list[str]) -> None:
    result = evaluate(path, BOOKS)
    assert result.definite is False
    assert [book["title"] for book in result.value] == titles


COMPARISONS = [  # (item, filter, matches); Jayway's FilterTest, InlineFilterTest and EvaluatorFactory
    ({"value": "5"}, "@.value == '5'", True),
    ({"value": 5}, "@.value == 5", True),
    ({"value": "5.1.26"}, "@.value == '5.1.26'", True),
    ({"value": 5}, "@.value == '5.1.26'", False),
    ({"value": 5.1}, "@.value == '5.1.26'", False),
    ({"value": "5.1.26"}, "@.value == 5", False),
    ({"value": "5"}, "@.value < '7'", True),
    ({"value": 5}, "@.value < 7.1", True),
    ({"value": 7.1}, "@.value < 5", False),
    ({"value": "5"}, "@.value < 7", False),  # no ordering between a string and a number
    ({}, "1 == '1'", True),
    ({}, "'1' == 1", True),
    ({}, "1 === '1'", False),
    ({}, "1 === 1", True),
    ({}, "1 !== '1'", True),
    ({"v": 3.0}, "@.v == '3'", True),  # a number read as BigDecimal: 3.0 equals 3
    ({"v": 3.0}, "'3' == @.v", False),  # a string compares with the number's text, "3.0"
    ({"v": 1}, "@.v == 1.0", True),
    ({"v": True}, "@.v == true", True),
    ({"v": True}, "@.v == 1", False),
    ({"v": False}, "@.v", True),  # a path on its own tests existence
    ({"v": None}, "@.v", True),
    ({"v": None}, "@.v == null", True),
    ({}, "@.v == null", False),
    ({}, "!@.v", True),
    ({"a": [1, 2]}, "@.a == [1, 2]", True),
    ({"a": [1, 2]}, "@.a == [1.0, 2]", False),  # Java's equals: Integer 1 is not Double 1.0
    ({"a": "abc"}, "@.a contains 'b'", True),
    ({"a": ["x", "y"]}, "@.a contains 'y'", True),
    ({"a": {"x": 1}}, "@.a contains 'x'", False),
    ({"a": 1}, "@.a in [1, 2]", True),
    ({"a": "1"}, "@.a in [1, 2]", True),
    ({"a": 3}, "@.a in 'abc'", False),
    ({"a": None}, "@.a in ['a', null]", True),
    ({}, "@.a nin ['a']", True),
    ({"a": ["a", "b"]}, "@.a subsetof ['a', 'b', 'c']", True),
    ({"a": ["a", "d"]}, "@.a subsetof ['a', 'b', 'c']", False),
    ({"a": []}, "@.a subsetof ['a']", True),
    ({"a": "a"}, "@.a subsetof ['a']", False),
    ({"a": ["a", "d"]}, "@.a anyof ['a', 'b']", True),
    ({"a": ["x", "d"]}, "@.a anyof ['a', 'b']", False),
    ({"a": ["x", "d"]}, "@.a noneof ['a', 'b']", True),
    ({"a": ["a", "d"]}, "@.a noneof ['a', 'b']", False),
    ({"a": "x"}, "@.a noneof ['a', 'b']", False),  # noneof needs two lists
    ({"a": [1, 2, 3]}, "@.a size 3", True),
    ({"a": "abc"}, "@.a size 3", True),
    ({"a": "abc"}, "@.a SIZE 4", False),
    ({"a": 123}, "@.a size 3", False),
    ({"s": "fo", "n": 2}, "@.s size @.n", True),
    ({"a": ""}, "@.a empty true", True),
    ({"a": []}, "@.a empty true", True),
    ({"a": [1]}, "@.a empty false", True),
    ({"a": None}, "@.a empty true", False),
    ({"a": 5}, "@.a =~ /\\d/", True),
    ({"a": True}, "@.a =~ /true/", True),
    ({"a": ["x", "Reference"]}, "@.a =~ /reference/i", True),
    ({"a": "x"}, "@.a =~ /\\/|x/", True),
    ({"a": "AB"}, "@.a =~ /(?<first>A)B/", True),  # Java's named groups
    ({"a": "é"}, "@.a =~ /\\w/", False),  # Java classes are ASCII
    ({"a": "é"}, "@.a =~ /\\w/U", True),
    ({"a": "it\\"}, "@.a == 'it\\\\'", True),  # Jayway's PathCompilerTest: escaped backslash
    ({"a": "\"it\""}, "@.a == '\"it\"'", True),
    ({"a": "] it"}, "@.a == '] it'", True),
    ({"a": "&& it"}, "@.a == '&& it'", True),
    ({"a": "(it"}, "@.a =~ /\\(it/", True),
    ({"id": 2}, "@.message && (@.id == 1 || @.id == 2)", False),
    ({"id": 2}, "(@.id == 2 || @.id == 1) && @.id", True),
    ({"id": 2}, "@.x && @.y || @.id", True),
    ({"a": "b"}, "@.a > 'a'", True),
    ({"a": "\U0001F600"}, "@.a < '\uffff'", True),  # Java compares UTF-16 code units
    ({"a": {"b": [1, 2]}}, "@.a.b[1] == 2", True),
    ({"a": {"b": [1, 2]}}, "@.a.b.length() == 2", True),
    ({"a": {"b": [1, 2]}}, "@.a.b[*] == [1, 2]", True),  # an indefinite path compares as a list
    ({"a": {"b": [1, 2]}}, "@..b[0] == 1", False),
    ({"a": 10}, "@.a == $.limit", True),
]


@pytest.mark.parametrize(("item", "expression", "matches"), COMPARISONS)
def test_filter_operators(item: dict[str, Any], expression: str, matches: bool) -> None:
    document = {"limit": 10, "items": [item]}
    assert evaluate(f"$.items[?({expression})]", document).value == ([item] if matches else [])


def test_a_not_before_a_compared_path_is_dropped_as_jayway_does() -> None:
    items = [{"a": 1}, {"a": 2}, {}]
    assert evaluate("$[?(!@.a == 1)]", items).value == [{"a": 1}]
    assert evaluate("$[?(!(@.a == 1))]", items).value == [{"a": 2}, {}]
    assert evaluate("$[?(!@.a)]", items).value == [{}]
    assert evaluate("$[?(@.a == 2 && !@.a == 2)]", items).value == [{"a": 2}]


def test_filter_on_an_object_tests_the_object_itself() -> None:
    assert evaluate("$.a[?(@.b == 1)]", {"a": {"b": 1}}).value == [{"b": 1}]
    assert evaluate("$.a[?(@.b == 2)]", {"a": {"b": 1}}).value == []


def test_filter_on_a_primitive_with_a_definite_upstream_fails() -> None:
    with pytest.raises(JsonPathError, match="primitive"):
        evaluate("$.a[?(@.b)]", {"a": 3})
    assert evaluate("$[*][?(@.b)]", [3]).value == []


def test_filter_null_handling() -> None:
    # Jayway's InlineFilterTest: a list with a null
    ints = [0, 1, None, 2, 3]
    assert evaluate("$[?(@)]", ints).value == ints
    assert evaluate("$[?(@ != null)]", ints).value == [0, 1, 2, 3]
    assert evaluate("$[?(!@)]", ints).value == []


def test_filter_with_root_reference_and_nested_path() -> None:
    prices = evaluate("$.store.book[?(@.display-price <= $.max-price)].display-price", DOC)
    assert prices.value == [8.95, 8.99]
    store = {"store": [{"name": "First", "book": BOOKS},
                       {"name": "Second", "book": [{"category": "fiction"}]}]}
    assert evaluate("$.store[?(@.book[*].category =~ /Reference/i)].name", store).value == ["First"]
    nested = evaluate("$.store[?(@.book[?(@.category == 'reference')])].name", store)
    assert nested.value == ["First", "Second"]  # an indefinite path exists even when it matches nothing


FUNCTIONS = [  # Jayway's NumericPathFunctionTest, NestedFunctionTest, SequentialPathFunctionTest ...
    (NUMBERS, "$.numbers.avg()", 5.5),
    (NUMBERS, "$.numbers.sum()", 55.0),
    (NUMBERS, "$.numbers.max()", 10.0),
    (NUMBERS, "$.numbers.min()", 1.0),
    (NUMBERS, "$.numbers.stddev()", 2.8722813232690143),
    (NUMBERS, "$.numbers.length()", 10),
    (NUMBERS, "$.avg($.numbers.min(), $.numbers.max())", 5.5),
    (NUMBERS, "$.numbers.sum($.numbers.min(), $.numbers.max())", 66.0),
    (NUMBERS, "$.sum(5, 3, $.numbers.max(), 2)", 20.0),
    (NUMBERS, "$.sum(5)", 5.0),
    (NUMBERS, "$.numbers.sum( )", 55.0),
    (NUMBERS, "$.sum( 5 , 3 )", 8.0),
    (NUMBERS, "$.numbers.append(11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 0).avg()", 10.0),
    (NUMBERS, "$.numbers.append(\"0\", \"11\").sum()", 55.0),  # aggregations skip text
    (NUMBERS, "$.numbers.first()", 1),
    (NUMBERS, "$.numbers.last()", 10),
    (NUMBERS, "$.numbers.index(0)", 1),
    (NUMBERS, "$.numbers.index(-1)", 10),
    (NUMBERS, "$.numbers.index(1)", 2),
    (NUMBERS, "$.sum($.numbers[*])", 55.0),
    (NUMBERS, "$.length($.numbers)", 10),
    ({"a": {"price": 1}, "b": [{"price": 3}]}, "$..price.max()", 3.0),  # read as max($..price)
    ({"a": [-5, -2]}, "$.a.max()", 5e-324),  # Jayway's max starts at Double.MIN_VALUE
    (TEXT, "$.text.concat()", "abcdef"),
    (TEXT, "$.concat($.text[0], $.numbers[0])", "a1"),
    (TEXT, "$.text.concat(\"-\", \"ghijk\")", "abcdef-ghijk"),
    (TEXT, "$.text.concat('ignored', \"-\")", "abcdef-"),  # Jayway ignores single-quoted arguments
    (TEXT, "$.text.first()", "a"),
    (TEXT, "$.text.index(-1)", "f"),
    ({"key": "first"}, "concat(\"/\", $.key)", "/first"),  # Jayway issue 680
    ({"key": 1}, "min($.key)", 1.0),
    ({"data": {"a": 1, "b": 2}}, "$.data.keys()", ["a", "b"]),
    ({"a": {"b": [1, 2, 3]}}, "$.a.b.length()", 3),
]


@pytest.mark.parametrize(("document", "path", "expected"), FUNCTIONS)
def test_functions(document: Any, path: str, expected: Any) -> None:
    before = copy.deepcopy(document)
    result = evaluate(path, document)
    assert result == PathResult(True, True, expected)
    assert type(result.value) is type(expected)
    assert document == before


def test_functions_after_an_indefinite_path_apply_to_each_match() -> None:
    # Jayway's JSONEntityPathFunctionTest.testPredicateWithFunctionCallTwoMatches
    batches = {"batches": {"minBatchSize": 10, "results": [
        {"productId": 23, "values": [2, 45, 34, 23, 3, 5, 4, 3, 2, 1]},
        {"productId": 23, "values": [52, 3, 12, 11, 18, 22, 1]}]}}
    path = "$.batches.results[?(@.values.length() >= 3)].values.avg()"
    assert evaluate(path, batches).value == [12.2, 17.0]
    path = "$.batches.results[?(@.values.length() >= $.batches.minBatchSize)].values.avg()"
    assert evaluate(path, batches).value == [12.2]
    assert evaluate("$.batches.length()", batches).value == 2


@pytest.mark.parametrize(("document", "path", "message"), [
    (NUMBERS, "$.empty.avg()", "empty array"),
    (NUMBERS, "$.empty.sum()", "empty array"),
    (NUMBERS, "$..numbers.sum()", "empty array"),  # sum($..numbers) gets [[1, ...]], a list of lists
    ({"a": [{"n": 1}]}, "$.a[*].n.sum()", "empty array"),  # Jayway issue 996: sum per match, of a number
    ({"a": [1]}, "$.a.last()", "larger than object count"),  # Jayway's last() of a single item fails
    ({"a": 1}, "$.a.first()", "empty array"),
    ({"a": [1]}, "$.a.index(5)", "larger than object count"),
    ({"a": [1]}, "$.a.foo()", "Function with name: foo does not exist"),
    ({"a": [{"b": {}}]}, "$.a[?(@.b empty true)]", "object"),  # Jayway casts the object to a Collection
    ({"a": [{"b": [[1]]}]}, "$.a[?(@.b contains 1)]", "value type"),
    ({"a": [{"b": [{}]}]}, "$.a[?(@.b anyof [1])]", "value type"),  # Jayway compiles any name
    ({"a": [1]}, "$.a.ma@x()", "Function with name: ma@x does not exist"),
])
def test_function_failures_are_errors(document: Any, path: str, message: str) -> None:
    with pytest.raises(JsonPathError, match=message) as caught:
        evaluate(path, document)
    assert caught.value.path == path


SYNTAX_ERRORS = [  # (path, words in the reason); many from Jayway's PathCompilerTest
    ("", "non-empty"),
    ("$X", "expected '.' or '['"),
    ("$.", ""),
    ("$.prop.", ""),
    ("$..", ""),
    ("$.prop..", ""),
    ("$.foo bar", ""),
    ("$[0, 1, 2 4]", ""),
    ("$['1','2',]", ""),
    ("$.store.book[?(@.a == 1]", ""),
    ("$.store.book[?(@.a == 'x)]", ""),
    ("$.a[?(@.b == 1) && (@.c == 2)]", "[?(...)]"),
    ("$.a[?@.b == 1]", "[?(...)]"),
    ("$.a[?(true)]", "path or a comparison"),
    ("$.numbers.append(0, 1, 2", "arguments"),
    ("$.A.B.C.sum(D()", ""),
    ("$.a[::2]", "slice"),
    ("$.a[0, 'b']", "unmixed"),
    ("$[a]", "quote names"),
    ("$[$.a]", "quote names"),
    ("$.a[?(@.b <> 1)]", ""),
    ("$.a[?(@.b and @.c)]", ""),
    ("$.a[?(@.b == True)]", ""),
    ("$.a | $.b", ""),
    ("$.a[?(@.b =~ /(/)]", "regular expression"),
    ("$.a[?(length(@.b) > 1)]", ""),
]


@pytest.mark.parametrize(("path", "words"), SYNTAX_ERRORS)
def test_syntax_errors_name_the_path(path: str, words: str) -> None:
    with pytest.raises(JsonPathError) as caught:
        compile_path(path)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.path == path
    assert words in error.reason
    assert repr(path) in str(error) and error.reason in str(error)


@pytest.mark.parametrize("path", [None, 5, ["$.a"], "   "])
def test_a_path_that_is_not_a_non_empty_string_is_an_error(path: Any) -> None:
    with pytest.raises(JsonPathError, match="non-empty string"):
        compile_path(path)


def test_json_object_literals_in_filters_are_named_as_unsupported() -> None:
    with pytest.raises(JsonPathError, match="object literals"):
        compile_path('$.a[?(@.b == {"x": 1})]')


def test_syntax_error_gives_the_position() -> None:
    with pytest.raises(JsonPathError, match="position 6"):
        compile_path("$.a[0 x]")


def test_compile_is_cached_and_reports_definiteness() -> None:
    assert compile_path("$.a.b") is compile_path("$.a.b")
    assert compile_path("$.a[0].b").definite is True
    assert compile_path("$.a['x', 'y']").definite is True
    for path in ("$..a", "$.a[*]", "$.a[0,1]", "$.a[1:]", "$.a[?(@.b)]", "$.a['x', 'y'].b"):
        assert compile_path(path).definite is False, path


def test_keywords_are_names_after_a_scan_and_a_dot() -> None:
    document = {"x": {"in": 1, "size": 2, "true": 3, "empty": 4}}
    assert evaluate("$..in", document).value == [1]
    assert evaluate("$..size", document).value == [2]
    assert evaluate("$.x.true", document).value == 3
    assert evaluate("$.x.empty", document).value == 4
    assert evaluate("$.1.2", {"1": {"2": "deep"}}).value == "deep"  # Jayway issue 612


@pytest.mark.parametrize(("value", "text"), [
    ("v_value", '"v_value"'),
    (["v_value"], '["v_value"]'),
    (["a", "b"], '["a", "b"]'),
    ({"count": 3}, '{"count": 3}'),
    ([{"count": 3}], '[{"count": 3}]'),
    (3, "3"),
    (2.5, "2.5"),
    (55.0, "55.0"),
    (1e7, "1.0E7"),
    (12345678.9, "1.23456789E7"),
    (0.001, "0.001"),
    (0.0001, "1.0E-4"),
    (-0.0, "-0.0"),
    (True, "true"),
    (False, "false"),
    (None, "null"),
    ([], "[]"),
    ({}, "{}"),
    ("é \"q\"\n", '"é \\"q\\"\\n"'),
])
def test_to_json_text(value: Any, text: str) -> None:
    assert to_json_text(value) == text
    assert json.loads(text) == value


def test_a_document_nested_too_deeply_is_an_error_not_a_crash() -> None:
    document: Any = "leaf"
    for _ in range(5000):
        document = {"a": document}
    with pytest.raises(JsonPathError, match="too deeply"):
        evaluate("$..leaf", document)


def test_the_document_is_not_changed() -> None:
    document = copy.deepcopy(DOC)
    for path, _ in FOUND_DEFINITE + FOUND_INDEFINITE:
        evaluate(path, document)
    assert document == DOC


@pytest.mark.parametrize("path", [" $.a", "  $.foo", " a", "$. a", "$.a.", "$..", "\t$.a"])
def test_what_jayway_refuses_around_blanks_and_dots_does_not_compile(path: str) -> None:
    with pytest.raises(JsonPathError, match="blank|end with"):
        compile_path(path)


def test_long_decimals_keep_the_text_json_smart_keeps() -> None:
    from genesys_nb.engine.jsonpath import JavaBigDecimal, parse_json
    document = parse_json('{"a": 0.1234567890123456789, "b": 1.2345678901234567, "c": -0.000000000000000000,'
                          ' "d": [1.5000000000000000000e5, 12345678901234567890]}')
    assert isinstance(document["a"], JavaBigDecimal) and not isinstance(document["b"], JavaBigDecimal)
    assert to_json_text(evaluate("$.a", document).value) == "0.1234567890123456789"
    assert to_json_text(evaluate("$.b", document).value) == "1.2345678901234567"  # 18 characters: a double
    assert to_json_text(evaluate("$.c", document).value) == "0E-18"  # BigDecimal.toString, no minus zero
    assert to_json_text(evaluate("$.d", document).value) == "[150000.00000000000000, 12345678901234567890]"
    assert evaluate("$.d.max()", document).value == 1.2345678901234567890e19
    assert evaluate("$[?(@.a > 0.12345678901234567)].b", [document]).value == [1.2345678901234567]
