"""A Data Action's translationMap over a remote response: each variable as JSON text, with its default."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from genesys_nb.engine.jsonpath import JsonPathError, compile_path, parse_json, to_json_text

__all__ = ["Translation", "TranslationError", "translate"]


@dataclass(frozen=True)
class TranslationError:
    """Why one translation variable has no value: its name, its JSONPath and a message naming both."""

    variable: str
    path: str
    message: str


@dataclass(frozen=True)
class Translation:
    """The translated variables (name -> JSON text), which of them took their default, and what failed."""

    variables: dict[str, str]
    defaults_used: tuple[str, ...]
    errors: tuple[TranslationError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


_NOT_JSON = object()


def translate(translation_map: Mapping[str, str] | None, defaults: Mapping[str, str] | None,
              remote_response: Any) -> Translation:
    """Read every translationMap path from ``remote_response`` as the platform does (Jayway JsonPath 2.10).

    ``remote_response`` is the parsed JSON body, or its raw text (str or bytes), which is parsed here. A path
    that finds nothing takes its translationMapDefaults literal, kept as written; an indefinite path that
    matches nothing gives ``[]``, which is a value, so its default does not apply. A path whose function
    fails on what it found (``first()`` of an empty array, ``avg()`` of no numbers) takes its default too.
    Text is parsed as Jayway's json-smart does, so a long decimal keeps its digits. Each variable succeeds
    or fails on its own.
    """
    document = _document(remote_response)
    variables: dict[str, str] = {}
    used: list[str] = []
    errors: list[TranslationError] = []
    for name, path in (translation_map or {}).items():
        text, defaulted, problem = _variable(name, path, defaults or {}, document, remote_response)
        if problem:
            errors.append(TranslationError(name, str(path), f"translation variable {name!r}: {problem}"))
            continue
        variables[name] = text
        if defaulted:
            used.append(name)
    return Translation(variables, tuple(used), tuple(errors))


def _variable(name: str, path: Any, defaults: Mapping[str, str], document: Any,
              remote_response: Any) -> tuple[str, bool, str]:
    """The variable's JSON text, whether it is the default, and what is wrong ("" when nothing is)."""
    if not isinstance(path, str):
        return "", False, f"the JSONPath must be a string such as '$.id', not {type(path).__name__} {path!r}"
    try:
        compiled = compile_path(path)
    except JsonPathError as err:
        return "", False, f"invalid JSONPath {path}: {err.reason}"
    if document is _NOT_JSON:
        preview = _preview(remote_response)
        return "", False, f"the remote response is not JSON ({preview}), so {path} cannot be read"
    try:
        result = compiled.evaluate(document)
    except JsonPathError as err:
        # first()/last()/index()/min() ... of an empty result: Jayway throws, and the platform treats a path
        # that cannot be read like one that found nothing, so the default applies where there is one
        if name not in defaults:
            return "", False, (f"{path} failed on the response: {err.reason}; add a translationMapDefaults "
                               f"value to use when it does")
        result = None
    if result is not None and result.found:
        return to_json_text(result.value), False, ""
    if name not in defaults:
        assert result is not None
        example = '"null"' if result.definite else '"[]"'
        return "", False, (f"{path} found nothing in the response and has no default in "
                           f"translationMapDefaults; add one, e.g. {example}")
    literal, nothing = defaults[name], f"{path} found nothing and its translationMapDefaults value"
    if not isinstance(literal, str):
        return "", False, (f"{nothing} must be a JSON literal written as a string, e.g. \"null\", "
                           f"not {type(literal).__name__} {literal!r}")
    try:
        json.loads(literal)
    except ValueError as err:
        return "", False, f"{nothing} {literal!r} is not a JSON literal ({err}); write e.g. '\"\"' or 'null'"
    return literal, True, ""


def _document(remote_response: Any) -> Any:
    """The parsed body: JSON values pass through, text is parsed, and text that is not JSON is _NOT_JSON."""
    if isinstance(remote_response, (bytes, bytearray)):
        try:
            remote_response = bytes(remote_response).decode("utf-8")
        except UnicodeDecodeError:
            return _NOT_JSON
    if not isinstance(remote_response, str):
        return remote_response
    try:
        return parse_json(remote_response)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _preview(body: Any) -> str:
    shown = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
    shown = " ".join(shown.split())
    return f"text starting {shown[:40]!r}" if shown else "an empty body"
