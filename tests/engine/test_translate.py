"""translate(): translationMap variables as JSON text, translationMapDefaults, errors naming the variable."""
from __future__ import annotations

import json
from typing import Any

import pytest

from genesys_nb.engine.translate import Translation, TranslationError, translate

RESPONSE: dict[str, Any] = {
    "id": "c-1",
    "name": None,
    "loyalty": {"points": 12.5, "active": True},
    "entities": [{"id": "a", "tags": ["x"]}, {"id": "b"}],
    "empty": [],
}


def test_values_are_json_text() -> None:
    result = translate({"id": "$.id", "points": "$.loyalty.points", "active": "$.loyalty.active",
                        "name": "$.name", "ids": "$.entities[*].id", "first": "$.entities[0]",
                        "count": "$.entities.length()"}, {}, RESPONSE)
    assert result == Translation(
        variables={"id": '"c-1"', "points": "12.5", "active": "true", "name": "null", "ids": '["a", "b"]',
                   "first": '{"id": "a", "tags": ["x"]}', "count": "2"},
        defaults_used=(), errors=())
    assert result.ok


def test_a_definite_path_that_finds_nothing_takes_its_default_literal() -> None:
    defaults = {"tier": '"none"', "id": '"unused"'}
    result = translate({"tier": "$.loyalty.tier", "id": "$.id"}, defaults, RESPONSE)
    assert result.variables == {"tier": '"none"', "id": '"c-1"'}
    assert result.defaults_used == ("tier",)
    assert result.ok


def test_the_default_literal_is_kept_as_written() -> None:
    result = translate({"d": "$.NULL"}, {"d": '{"count": 0}'}, RESPONSE)
    assert result.variables == {"d": '{"count": 0}'}


def test_an_indefinite_path_that_matches_nothing_is_an_empty_list_not_the_default() -> None:
    defaults = {"tags": '["d"]', "none": "[0]"}
    result = translate({"tags": "$.entities[*].missing", "none": "$..nothing"}, defaults, RESPONSE)
    assert result.variables == {"tags": "[]", "none": "[]"}
    assert result.defaults_used == ()


def test_an_indefinite_path_whose_definite_start_is_missing_takes_the_default() -> None:
    # Jayway throws PathNotFound at $.missing before reaching [*]
    result = translate({"ids": "$.missing[*].id"}, {"ids": "[]"}, RESPONSE)
    assert result.variables == {"ids": "[]"}
    assert result.defaults_used == ("ids",)


def test_a_null_value_is_found_so_no_default() -> None:
    result = translate({"name": "$.name"}, {"name": '"anonymous"'}, RESPONSE)
    assert result.variables == {"name": "null"}
    assert result.defaults_used == ()


def test_nothing_found_and_no_default_is_an_error_naming_the_variable_and_path() -> None:
    result = translate({"tier": "$.loyalty.tier", "id": "$.id"}, None, RESPONSE)
    assert result.variables == {"id": '"c-1"'}
    assert not result.ok
    assert result.errors == (TranslationError(
        "tier", "$.loyalty.tier",
        "translation variable 'tier': $.loyalty.tier found nothing in the response and has no default in "
        "translationMapDefaults; add one, e.g. \"null\""),)


def test_the_suggested_default_of_an_indefinite_path_is_a_list() -> None:
    result = translate({"ids": "$.missing[*].id"}, {}, RESPONSE)
    assert result.errors[0].message.endswith('add one, e.g. "[]"')


@pytest.mark.parametrize("literal", ["[0].[0]", "nope", "{'a': 1}", ""])
def test_an_invalid_default_literal_is_an_error_naming_the_variable(literal: str) -> None:
    result = translate({"tier": "$.loyalty.tier", "id": "$.id"}, {"tier": literal}, RESPONSE)
    assert result.variables == {"id": '"c-1"'}
    (error,) = result.errors
    assert error.variable == "tier"
    assert "translation variable 'tier'" in error.message
    assert repr(literal) in error.message
    assert "not a JSON literal" in error.message


def test_an_invalid_default_is_not_an_error_while_the_path_finds_a_value() -> None:
    # a real export (get-call-offered-count) carries the default "[0].[0]" and works while the path finds data
    result = translate({"id": "$.id"}, {"id": "[0].[0]"}, RESPONSE)
    assert result.ok
    assert result.variables == {"id": '"c-1"'}


def test_a_default_that_is_not_a_string_is_an_error() -> None:
    result = translate({"tier": "$.loyalty.tier"}, {"tier": 0}, RESPONSE)  # type: ignore[dict-item]
    assert "written as a string" in result.errors[0].message


@pytest.mark.parametrize("path", ["$.a[0", "$X", "$.a[?(@.b <> 1)]", ""])
def test_a_bad_jsonpath_is_an_error_naming_the_variable_and_the_others_still_run(path: str) -> None:
    result = translate({"bad": path, "id": "$.id"}, {"bad": "null"}, RESPONSE)
    assert result.variables == {"id": '"c-1"'}
    (error,) = result.errors
    assert error.variable == "bad" and error.path == path
    assert error.message.startswith(f"translation variable 'bad': invalid JSONPath {path}: ")


def test_a_path_that_is_not_a_string_is_an_error() -> None:
    result = translate({"n": 5, "id": "$.id"}, {}, RESPONSE)  # type: ignore[dict-item]
    assert result.variables == {"id": '"c-1"'}
    assert "must be a string" in result.errors[0].message and result.errors[0].variable == "n"


def test_an_evaluation_failure_without_a_default_is_an_error_naming_the_variable() -> None:
    result = translate({"total": "$.empty.sum()", "id": "$.id"}, {}, RESPONSE)
    assert result.variables == {"id": '"c-1"'}
    (error,) = result.errors
    assert error.variable == "total"
    assert error.message.startswith("translation variable 'total': $.empty.sum() failed on the response: ")
    assert "empty array" in error.message and "translationMapDefaults" in error.message


@pytest.mark.parametrize("path", ["$.empty.sum()", "$.empty.first()", "$.empty.last()", "$.empty.index(2)",
                                  "$.empty.avg()"])
def test_a_function_of_an_empty_result_takes_its_default(path: str) -> None:
    result = translate({"v": path}, {"v": '"none"'}, {"empty": [], "nothing": []})
    assert result.ok and result.variables == {"v": '"none"'} and result.defaults_used == ("v",)


def test_a_long_decimal_in_the_response_text_keeps_its_digits() -> None:
    result = translate({"v": "$.v", "w": "$.w"}, {}, '{"v": 0.1234567890123456789, "w": 0.5}')
    assert result.variables == {"v": "0.1234567890123456789", "w": "0.5"}


@pytest.mark.parametrize("body", ["<html>Service Unavailable</html>", b"plain text", b"\xff\xfe", "", "  "])
def test_a_response_that_is_not_json_is_a_clear_error_per_variable(body: Any) -> None:
    result = translate({"id": "$.id", "name": "$.name"}, {"id": '""'}, body)
    assert result.variables == {}
    assert [error.variable for error in result.errors] == ["id", "name"]
    for error in result.errors:
        assert "the remote response is not JSON" in error.message
        assert f"translation variable {error.variable!r}" in error.message


def test_a_response_text_nested_too_deeply_is_not_json() -> None:
    result = translate({"id": "$.id"}, None, "[" * 100_000)
    assert "not JSON" in result.errors[0].message


def test_a_response_as_json_text_is_parsed() -> None:
    text = json.dumps(RESPONSE)
    assert translate({"id": "$.id"}, None, text).variables == {"id": '"c-1"'}
    assert translate({"id": "$.id"}, None, text.encode("utf-8")).variables == {"id": '"c-1"'}


def test_a_bad_path_is_reported_even_when_the_response_is_not_json() -> None:
    result = translate({"bad": "$.a[0"}, None, "not json")
    assert "invalid JSONPath" in result.errors[0].message


def test_no_translation_map() -> None:
    assert translate(None, None, RESPONSE) == Translation({}, (), ())
    assert translate({}, {"x": "1"}, "not json") == Translation({}, (), ())


def test_values_of_other_json_roots() -> None:
    assert translate({"n": "$.length()", "first": "$[0]"}, {}, [1, 2]).variables == {"n": "2", "first": "1"}
    assert translate({"all": "$"}, {}, "3").variables == {"all": "3"}


def test_translation_records_are_frozen() -> None:
    result = translate({"id": "$.id"}, {}, RESPONSE)
    with pytest.raises(AttributeError):
        result.errors = ()  # type: ignore[misc]
