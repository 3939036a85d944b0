"""Velocity templates run the way a Data Action's URL, headers, body and success templates run.

The parser and evaluator are airspeed's; where airspeed's semantics differ from Apache Velocity 1.7 (what the
platform runs) a node class is subclassed, each with the reason (:mod:`genesys_nb.engine._velocity_refs` for text
and references, :mod:`genesys_nb.engine._velocity_nodes` for operators and directives, over the values of
:mod:`genesys_nb.engine._velocity_values`). This module compiles templates (cached, with errors that say where),
renders them, and builds the contexts the platform gives them.

>>> render_template("/users/${input.id}?q=$esc.url(${input.q})", request_context({"id": 7, "q": "a b"}),
...                 template="requestUrlTemplate").text
'/users/7?q=a+b'
>>> render_template('{"x": "$!{input.none}", "y": "${input.none}"}', request_context({}), template="t").text
'{"x": "", "y": "${input.none}"}'
"""
from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from genesys_nb.engine._java import to_java_string
from genesys_nb.engine._velocity_nodes import DEFINED_MACROS, _Break, _Root, _Stop
from genesys_nb.engine._velocity_refs import _STRICT, _UNRESOLVED, StrictReferenceError, _as, _Out
from genesys_nb.engine._velocity_syntax import lexical_problem
from genesys_nb.engine.macros import MACROS

__all__ = ["Rendered", "StrictReferenceFailure", "TemplateRenderError", "TemplateSyntaxError", "check_template",
           "render_template", "request_context", "success_context"]


class TemplateSyntaxError(ValueError):
    """A template the platform's Velocity would refuse: where (1-based line, column), why, how to fix it."""

    def __init__(self, template: str, line: int, column: int, reason: str, hint: str = "") -> None:
        self.template, self.line, self.column, self.reason, self.hint = template, line, column, reason, hint
        where = f"{template} line {line}, column {column}"
        super().__init__(f"{where}: {reason}" + (f" ({hint})" if hint else ""))


class TemplateRenderError(TemplateSyntaxError):
    """A method threw while rendering (Velocity's MethodInvocationException): the action fails there too."""


class StrictReferenceFailure(TemplateRenderError):
    """Strict reference mode refused a reference; ``velocity_message`` is Velocity 1.7's own text for it.

    e.g. ``Variable $Presences has not been set at successTemplate[line 1, column 20]``.
    """

    def __init__(self, template: str, line: int, column: int, message: str) -> None:
        at = f"at {template}[line {line}, column {column}]"
        self.velocity_message = message.replace("{at}", at) if "{at}" in message else f"{message} {at}"
        super().__init__(template, line, column, message,
                         "define it (a translationMap key), or test it first with #if($name)")
        self.args = (self.velocity_message,)

    def __str__(self) -> str:
        return self.velocity_message


@dataclass(frozen=True)
class Rendered:
    text: str
    warnings: tuple[str, ...]


# -------------------------------------------------------------------- compiling, with errors that say where
_BLOCK_NODES = ("IfDirective", "ForeachDirective", "MacroDefinition", "DefineDefinition", "ElseBlock",
                "ElseifBlock")


def _position(source: str, offset: int) -> tuple[int, int]:
    line_start = source.rfind("\n", 0, offset) + 1
    return source.count("\n", 0, offset) + 1, offset - line_start + 1


def _at(source: str, offset: int, *, skip_blanks: bool = False) -> int:
    """Where Velocity reports a parse error: the token it met (the end of input at the last character)."""
    if skip_blanks:
        while offset < len(source) and source[offset] in " \t\r\n":
            offset += 1
    return max(0, min(offset, len(source) - 1))


def _explain(source: str, err: Any) -> tuple[int, str, str]:
    """(offset, reason, hint) for one of airspeed's syntax errors; the offset is where Velocity reports it."""
    element, expected = err.element, err.args[0].split("expected ", 1)[-1].split(" in ")[0]
    kind = type(element).__name__
    rest = source[element.end:]
    if kind == "TemplateBody":
        directive = re.match(r"#\{?(end|elseif|else)\b\}?", rest)
        if directive and directive.group(1) == "end":
            return (element.end, "#end without #if/#foreach",
                    "remove it, or add the #if/#foreach it should close")
        if directive:
            return (element.end, f"#{directive.group(1)} without #if",
                    "an #else/#elseif belongs between #if and #end")
        return element.end, f"cannot parse {rest[:30]!r}", "check the directive or reference that starts here"
    line, column = _position(source, element.start)
    if kind in _BLOCK_NODES:
        name = re.match(r"#\{?(\w+)", source[element.start:])
        word = f"#{name.group(1)}" if name else "a block"
        if not rest.strip() or "#end" in expected or expected in ("block", "#end"):
            return (_at(source, len(source)), f"the {word} of line {line}, column {column} has no #end",
                    "close it with #end")
        return _at(source, element.end, skip_blanks=True), f"{word}: expected {expected}", "check its (...) part"
    if kind == "FormalReference":
        return (_at(source, element.end), f"the ${{ of line {line}, column {column} has no closing }}",
                "close the reference with }")
    if kind in ("ParameterList", "ParenthesizedExpression", "Condition"):
        return (_at(source, element.end, skip_blanks=True),
                f"the ( of line {line}, column {column} has no closing )",
                "close the argument list or condition with )")
    if kind == "SetDirective":
        return (_at(source, element.end, skip_blanks=True), "#set needs the form #set($name = value)",
                f"expected {expected} here")
    got = rest[:20] or "the end of the template"
    return (_at(source, element.end, skip_blanks=True), f"expected {expected}, got {got!r}",
            "check the directive or reference that starts here")


@dataclass(frozen=True)
class _Failure:
    line: int
    column: int
    reason: str
    hint: str


@functools.lru_cache(maxsize=2048)
def _compile(source: str) -> Any:
    """The parsed template for ``source`` (cached: a matrix preview renders one template for every row)."""
    lexical = lexical_problem(source)
    if lexical is not None:
        offset, reason, hint = lexical
        return _Failure(*_position(source, offset), reason, hint)
    macros: dict[str, Any] = {}
    token = DEFINED_MACROS.set(macros)
    try:
        body = _as.TemplateBody("<template>", source)
        body.macros = macros
        return body
    except _as.TemplateSyntaxError as err:
        offset, reason, hint = _explain(source, err)
        return _Failure(*_position(source, offset), reason, hint)
    except RecursionError:
        return _Failure(1, 1, "the template nests too deeply to parse", "simplify its nesting")
    finally:
        DEFINED_MACROS.reset(token)


def _compiled(source: str, template: str) -> Any:
    body = _compile(source)
    if isinstance(body, _Failure):
        raise TemplateSyntaxError(template, body.line, body.column, body.reason, body.hint)
    return body


def check_template(source: str, *, template: str) -> None:
    """Raise TemplateSyntaxError when the platform's Velocity would refuse ``source``."""
    _compiled(source, template)


# ---------------------------------------------------------------------------- rendering
@functools.lru_cache(maxsize=4096)
def _suggestion(name: str, fields: tuple[str, ...]) -> str | None:
    folded = {field.lower(): field for field in fields}
    if name.lower() in folded:
        return folded[name.lower()]
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
    return close[0] if close else None


def _warnings(names: list[str], template: str, input_fields: Sequence[str] | None) -> tuple[str, ...]:
    found = []
    fields = tuple(input_fields) if input_fields is not None else None
    for name in dict.fromkeys(names):
        ref = f"${{input.{name}}}"
        if fields is None:
            found.append(f"{template}: {ref} stayed in the text unresolved: no input {name!r} was given")
        elif name in fields:
            found.append(f"{template}: {ref} stayed in the text unresolved: the input {name!r} was not given "
                         f"(write $!{{input.{name}}} to render nothing when it is absent)")
        else:
            best = _suggestion(name, fields)
            if best:
                tip = f"; did you mean {best!r} (${{input.{best}}})?"
            else:
                tip = f"; its fields are {', '.join(fields[:12])}" if fields else "; the contract has none"
            found.append(f"{template}: {ref} stayed in the text unresolved: {name!r} is not an input field "
                         f"of the contract{tip}")
    return tuple(found)


def render_template(source: str, context: Mapping[str, Any], *, template: str,
                    input_fields: Sequence[str] | None = None, strict: bool = False) -> Rendered:
    """``source`` rendered over ``context`` as Velocity 1.7 would; a warning per unresolved ${input.x}.

    ``strict`` renders in Velocity's strict reference mode (``runtime.references.strict``): an undefined name,
    a property or method missing, or a null rendered without ``$!`` raises :class:`StrictReferenceFailure`
    with Velocity's text, where lenient mode prints the reference's own text.
    """
    body = _compiled(source, template)
    out = _Out()
    unresolved: list[str] = []
    token = _UNRESOLVED.set(unresolved)
    strict_token = _STRICT.set(strict)
    try:
        # the body's block straight away: its own scope is given, and the wrappers would add nothing
        root = _Root(context)
        dict.update(root, body.macros)  # Velocity defines a template's macros when it parses it
        body.block.evaluate_raw(out, root, _LOADER)
    except (_Stop, _Break):
        pass
    except _as.TemplateExecutionError as err:
        cause = err.__cause__
        if isinstance(cause, StrictReferenceError):
            line, column = _position(cause.source, cause.offset)
            raise StrictReferenceFailure(template, line, column, cause.message) from None
        line, column = _position(source, err.element.start)
        raise TemplateRenderError(template, line, column, f"{type(cause).__name__}: {cause}",
                                  "the platform fails the action here too (a method threw while rendering)"
                                  ) from cause
    except RecursionError as err:
        raise TemplateRenderError(template, 1, 1, "the template recurses too deeply",
                                  "look for a #macro or #define that calls itself") from err
    finally:
        _UNRESOLVED.reset(token)
        _STRICT.reset(strict_token)
    text = "".join(out)
    return Rendered(text, _warnings(unresolved, template, input_fields) if unresolved else ())


_LOADER = _as.NullLoader()  # no #include or #parse source: every load fails, as it has no state
_RAW_JSON = json.JSONEncoder(ensure_ascii=False, default=to_java_string).encode  # json.dumps, made once


def _input(inputs: Mapping[str, Any]) -> dict[str, Any]:
    given = dict(inputs)
    given.pop("rawRequest", None)
    # the whole input as JSON text, in the inputs' order, with Jackson-like ", " / ": " spacing
    raw = _RAW_JSON(given)
    return {**given, "rawRequest": raw}


def _secrets(credentials: Mapping[str, Any] | None, auth_response: Mapping[str, Any] | None) -> dict[str, Any]:
    # ${credentials.<field>}: the fields of a User Defined credential type; ${authResponse.<field>}: the answer
    # of a User Defined (OAuth) login (help center, "How to use the user defined (OAuth) credential type").
    # Left out when not given, so ${credentials.x} stays in the text as the platform prints a null reference.
    found: dict[str, Any] = {}
    if credentials is not None:
        found["credentials"] = dict(credentials)
    if auth_response is not None:
        found["authResponse"] = dict(auth_response)
    return found


def request_context(inputs: Mapping[str, Any], *, credentials: Mapping[str, Any] | None = None,
                    auth_response: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The context of requestUrlTemplate, headers and requestTemplate: ``$input``, the macro objects and,
    when given, ``$credentials`` and ``$authResponse``."""
    return {**MACROS, **_secrets(credentials, auth_response), "input": _input(inputs)}


def success_context(inputs: Mapping[str, Any], variables: Mapping[str, str],
                    raw_result: str, *, credentials: Mapping[str, Any] | None = None,
                    auth_response: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The successTemplate's context: the translated variables (JSON text), ``$rawResult``, ``$input`` and,
    when given, ``$credentials`` and ``$authResponse``."""
    return {**MACROS, **_secrets(credentials, auth_response), **variables, "rawResult": raw_result,
            "input": _input(inputs)}
