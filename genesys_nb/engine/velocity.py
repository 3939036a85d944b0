"""Velocity templates run the way a Data Action's URL, headers, body and success templates run.

The parser and evaluator are airspeed's; where airspeed's semantics differ from Apache Velocity 1.7 (what the
platform runs) a node class is subclassed below, each with the reason. The subclasses live in a private copy
of the airspeed module so that other users of airspeed in the same process keep its own behaviour.

>>> render_template("/users/${input.id}?q=$esc.url(${input.q})", request_context({"id": 7, "q": "a b"}),
...                 template="requestUrlTemplate").text
'/users/7?q=a+b'
>>> render_template('{"x": "$!{input.none}", "y": "${input.none}"}', request_context({}), template="t").text
'{"x": "", "y": "${input.none}"}'
"""
# size: one airspeed subclass per Velocity 1.7 rule it gets wrong, plus the public API and its error messages
from __future__ import annotations

import difflib
import functools
import importlib.util
import inspect
import json
import math
import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar

import airspeed as _airspeed_package

from genesys_nb.engine.macros import JAVA_METHODS, MACROS, NoSuchMethod, to_java_string

__all__ = ["Rendered", "TemplateRenderError", "TemplateSyntaxError", "check_template", "render_template",
           "request_context", "success_context"]


def _private_airspeed() -> Any:
    # airspeed's grammar finds its node classes by module-global name, so the subclasses below are installed
    # into this private copy of the module rather than into the shared ``airspeed`` module
    spec = importlib.util.spec_from_file_location("genesys_nb.engine._airspeed", _airspeed_package.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_as: Any = _private_airspeed()
NoMatch = _as.NoMatch
_MISSING = object()
_UNRESOLVED: ContextVar[list[str] | None] = ContextVar("velocity_unresolved_inputs", default=None)
_INPUT_REF = re.compile(r"\$!?\{?input\.([A-Za-z_][\w-]*)")


class TemplateSyntaxError(ValueError):
    """A template the platform's Velocity would refuse: where (1-based line, column), why, how to fix it."""

    def __init__(self, template: str, line: int, column: int, reason: str, hint: str = "") -> None:
        self.template, self.line, self.column, self.reason, self.hint = template, line, column, reason, hint
        where = f"{template} line {line}, column {column}"
        super().__init__(f"{where}: {reason}" + (f" ({hint})" if hint else ""))


class TemplateRenderError(TemplateSyntaxError):
    """A method threw while rendering (Velocity's MethodInvocationException): the action fails there too."""


@dataclass(frozen=True)
class Rendered:
    text: str
    warnings: tuple[str, ...]


class _Break(BaseException):  # not an Exception: airspeed wraps those into TemplateExecutionError
    pass


class _Stop(BaseException):
    pass


class _Out(list):  # type: ignore[type-arg]
    """The output: a list of pieces joined once (cheaper than airspeed's StringIO per write)."""

    write = list.append


# ---------------------------------------------------------------------------- values the Velocity way
def _truthy(value: Any) -> bool:
    # Velocity 1.7: only null and false are false; "" and 0 are true (Python's bool() says otherwise)
    return value is not None and value is not False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equals(a: Any, b: Any) -> bool:
    # ASTEQNode: numbers compare by value, same classes by equals(), anything else by toString()
    if _is_number(a) and _is_number(b):
        return a == b
    if a is None or b is None:
        return a is None and b is None
    if type(a) is type(b) or (isinstance(a, Mapping) and isinstance(b, Mapping)):
        return bool(a == b)
    return to_java_string(a) == to_java_string(b)


def _relational(test: Any) -> Any:
    return lambda a, b: bool(test(a, b)) if _is_number(a) and _is_number(b) else False


def _arith(op: str) -> Any:
    def apply(a: Any, b: Any) -> Any:
        if op == "+" and (isinstance(a, str) or isinstance(b, str)):
            return to_java_string(a) + to_java_string(b)  # ASTAddNode concatenates when a side is a String
        if not (_is_number(a) and _is_number(b)):
            return None
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            return None  # Velocity logs the division by zero and yields null
        if isinstance(a, int) and isinstance(b, int):  # Java integer division and remainder truncate
            quotient = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
            return quotient if op == "/" else a - b * quotient
        return a / b if op == "/" else math.fmod(a, b)
    return apply


def _arity(function: Any) -> tuple[int, float]:
    """How many positional arguments ``function`` takes (least, most), computed once per function."""
    key = getattr(function, "__func__", function)
    cached = _ARITY.get(key)
    if cached is None:
        try:
            params = list(inspect.signature(function).parameters.values())
        except (TypeError, ValueError):  # a builtin without a signature: the call itself decides
            cached = (0, float("inf"))
        else:
            positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            most = float("inf") if any(p.kind is p.VAR_POSITIONAL for p in params) else len(positional)
            cached = (sum(1 for p in positional if p.default is p.empty), most)
        _ARITY[key] = cached
    return cached


_ARITY: dict[Any, tuple[int, float]] = {}


def _java_table(obj: Any) -> dict[str, Any] | None:
    table = JAVA_METHODS.get(type(obj))
    if table is None and isinstance(obj, (str, list, dict)):
        table = JAVA_METHODS[str if isinstance(obj, str) else list if isinstance(obj, list) else dict]
    return table


def _call(function: Any, obj: Any, args: Sequence[Any], bound: bool) -> Any:
    low, high = _arity(function)
    count = len(args) + (0 if bound else 1)
    if not low <= count <= high:
        return None  # no overload takes that many arguments: Velocity treats the call as null
    try:
        return function(*args) if bound else function(obj, *args)
    except NoSuchMethod:
        return None


def _invoke(obj: Any, name: str, args: Sequence[Any]) -> Any:
    """``$obj.name(args)``: Java methods for plain values, public methods for macro objects."""
    if obj is None:
        return None
    table = _java_table(obj)
    if table is not None:
        function = table.get(name)
        return None if function is None else _call(function, obj, args, False)
    method = None if name.startswith("_") else getattr(obj, name, None)
    return _call(method, obj, args, True) if callable(method) else None


def _property(obj: Any, name: str) -> Any:
    """``$obj.name``: a map's entry, else getName()/isName(), as Velocity's uberspector looks them up."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    cap = name[:1].upper() + name[1:]
    table = _java_table(obj)
    if table is not None:
        for getter in ("get" + cap, "is" + cap):
            if getter in table:
                return _call(table[getter], obj, (), False)
        return None
    if name.startswith("_"):
        return None
    for getter in ("get" + cap, "get" + name, "is" + cap):
        method = getattr(obj, getter, None)
        if callable(method):
            return _call(method, obj, (), True)
    value = getattr(obj, name, None)
    return None if callable(value) else value


def _index(value: Any, index: Any) -> Any:
    if isinstance(value, (list, tuple)) and _is_number(index) and isinstance(index, int):
        if index < 0:
            index += len(value)
        return value[index] if 0 <= index < len(value) else None
    if isinstance(value, Mapping):
        return value.get(index)
    return None


class ForeachScope:
    """``$foreach``: index (0-based), count (1-based), hasNext, first, last, parent."""

    def __init__(self, parent: Any, length: int) -> None:
        self.parent, self.length, self.index = parent, length, 0

    def getIndex(self) -> int:
        return self.index

    def getCount(self) -> int:
        return self.index + 1

    def hasNext(self) -> bool:
        return self.index + 1 < self.length

    getHasNext = hasNext

    def isFirst(self) -> bool:
        return self.index == 0

    def isLast(self) -> bool:
        return self.index + 1 == self.length

    def getParent(self) -> Any:
        return self.parent


def _lookup(namespace: Any, name: str) -> Any:
    try:
        return namespace[name]
    except KeyError:
        return None


# ------------------------------------------------------------------------ airspeed nodes, Velocity 1.7 rules
class Text(_as.Text):
    # a backslash run before $ or # is an escape (EscapeRun), not text; a # starting a directive is never text
    PLAIN = re.compile(r"((?:[^\\$#]+|\\+(?![\\$#])|\$(?![!{A-Za-z_])|\$!(?![{A-Za-z_])|#(?![{A-Za-z#*@]))+)",
                       re.DOTALL)

    def parse(self) -> None:
        self.text, = self.identity_match(self.PLAIN)


class NameOrCall(_as.NameOrCall):
    # Velocity 1.7 identifiers may contain '-'; lookups follow Velocity's uberspector (map entry,
    # getX()/isX(), Java String/List/Map methods) instead of Python attributes, and a null on the way gives
    # null, not an error
    NAME = re.compile(r"([_a-z][a-z0-9_-]*)", re.DOTALL | re.IGNORECASE)

    def calculate(self, current: Any, loader: Any, top: Any) -> Any:
        if current is None:
            return None
        if isinstance(current, _as.LocalNamespace):
            value = _lookup(current, self.name)
            if isinstance(value, _as._FunctionDefinition):
                out = _Out()
                args = self.parameters.calculate(top, loader) if self.parameters else []
                value.execute_function(out, top, args, loader)
                return "".join(out)
        elif self.parameters is not None:
            return _invoke(current, self.name, self.parameters.calculate(top, loader))
        else:
            value = _property(current, self.name)
        if self.index is not None and value is not None:
            value = _index(value, self.index.calculate(top, loader))
        return value


class SubExpression(_as.SubExpression):
    # airspeed evaluates "[$i]" against the indexed object instead of the namespace and fails on a null
    def calculate(self, current: Any, loader: Any, top: Any) -> Any:
        if not isinstance(self.expression, _as.ArrayIndex):
            return self.expression.calculate(current, loader, top)
        if current is None:
            return None
        result = _index(current, self.expression.calculate(top, loader))
        return self.subexpression.calculate(result, loader, top) if self.subexpression else result


class FormalReference(_as.FormalReference):
    # Java printing (true, 2.0, [a, b], {k=v}), the reference's own text when it is null, and the note of an
    # unresolved ${input.x} for the warnings
    def parse(self) -> None:
        self.silent, braces = self.identity_match(self.START)
        try:
            self.expression = self.next_element(_as.VariableExpression)
        except NoMatch:
            raise NoMatch() from None  # "${" or "$!{" not followed by a name is text (DollarText)
        if braces:
            self.require_match(self.CLOSING_BRACE, "}")
        self.text = self.my_text()
        self.input_names = tuple(dict.fromkeys(_INPUT_REF.findall(self.text)))
        self.path = self._simple_path()

    def _simple_path(self) -> tuple[str, ...] | None:
        names: list[str] = []
        expression = self.expression
        while expression is not None:
            part = expression.part
            if part.parameters is not None or part.index is not None:
                return None
            names.append(part.name)
            sub = expression.subexpression
            if sub is None:
                break
            if isinstance(sub.expression, _as.ArrayIndex):
                return None
            expression = sub.expression
        return tuple(names) or None

    def value_of(self, namespace: Any, loader: Any) -> Any:
        path = self.path
        if path is not None:  # $a.b.c over maps: the common case, without the general machinery
            current = _lookup(namespace, path[0])
            for name in path[1:]:
                if type(current) is dict:
                    current = current.get(name)
                elif current is None:
                    return None
                else:
                    return self.expression.calculate(namespace, loader)
            if not isinstance(current, _as._FunctionDefinition):
                return current
        return None if self.expression is None else self.expression.calculate(namespace, loader)

    def calculate(self, namespace: Any, loader: Any) -> Any:
        return self.value_of(namespace, loader)

    def note_unresolved(self, namespace: Any) -> None:
        sink = _UNRESOLVED.get()
        if sink is not None and self.input_names:
            given = _lookup(namespace, "input")
            for name in self.input_names:
                if not isinstance(given, Mapping) or given.get(name) is None:
                    sink.append(name)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        value = self.value_of(namespace, loader)
        if value is None:
            if self.silent and self.expression is not None:
                return
            self.note_unresolved(namespace)
            stream.write(self.text)
        else:
            stream.write(value if type(value) is str else to_java_string(value))


class EscapeRun(_as._Element):
    # Velocity 1.7: "\$ref" prints "$ref" when the reference has a value and "\$ref" when it has none;
    # pairs of backslashes print as one; "\#if" prints the directive's name. airspeed just drops one
    # backslash.
    START = re.compile(r"(\\+)(?=[$#])")
    DIRECTIVE = re.compile(r"#\{?(?:if|elseif|else|end|set|foreach|macro|include|parse|stop|break|evaluate|"
                           r"define)\b\}?")

    end: int

    def parse(self) -> None:
        slashes, = self.identity_match(self.START)
        self.count = len(slashes)
        self.reference: Any = None
        self.literal = ""
        self.directive = False
        try:
            self.reference = self.next_element(FormalReference)
            return
        except NoMatch:
            pass
        match = self.DIRECTIVE.match(self._full_text, self.end)
        if match:
            self.directive = True
            if self.count % 2:
                self.literal, self.end = match.group(0), match.end()

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        half = "\\" * (self.count // 2)
        if self.reference is not None:
            value = self.reference.value_of(namespace, loader)
            if value is None:
                self.reference.note_unresolved(namespace)
                stream.write("\\" * self.count + self.reference.text)
            elif self.count % 2:
                stream.write(half + self.reference.text)
            else:
                stream.write(half + (value if type(value) is str else to_java_string(value)))
        elif self.directive:
            stream.write(half + self.literal)
        else:
            stream.write("\\" * self.count)


class StringLiteral(_as.StringLiteral):
    # Velocity 1.7 single-quoted strings: no backslash escapes; '' stands for '
    STRING = re.compile(r"'((?:''|[^'])*)'", re.DOTALL)

    def parse(self) -> None:
        raw, = self.identity_match(self.STRING)
        self.value = raw.replace("''", "'")


class InterpolatedStringLiteral(_as.InterpolatedStringLiteral):
    # Velocity 1.7 keeps backslashes in "..." (only \uXXXX is decoded), "" stands for ", and only a string
    # with $ or # in it is parsed as a template
    STRING = re.compile(r'"((?:\\.|""|[^"\\])*)"', re.DOTALL)
    UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")

    def parse(self) -> None:
        raw, = self.identity_match(self.STRING)
        self.value = self.UNICODE.sub(lambda m: chr(int(m.group(1), 16)), raw).replace('""', '"')
        self.block = Block(self.filename, self.value, 0) if ("$" in self.value or "#" in self.value) else None

    def calculate(self, namespace: Any, loader: Any) -> Any:
        if self.block is None:
            return self.value
        out = _Out()
        self.block.evaluate(out, namespace, loader)
        return "".join(out)


class BooleanLiteral(_as.BooleanLiteral):
    BOOLEAN = re.compile(r"(true|false)\b", re.DOTALL)  # lower case only, and not the start of a longer word


class BinaryOperator(_as.BinaryOperator):
    # word operators need word boundaries; == and != share a precedence; comparisons and arithmetic follow
    # Velocity (numbers by value, toString() otherwise, integer division truncates, + concatenates strings)
    BINARY_OP = re.compile(r"\s*(>=|<=|==|!=|<|>|%|\|\||&&|\+|-|\*|/|(?:or|and|gt|lt|ne|eq|ge|le)\b)\s*",
                           re.DOTALL)
    OPERATORS: ClassVar[dict[str, Any]] = {
        "==": _equals, "eq": _equals,
        "!=": lambda a, b: not _equals(a, b), "ne": lambda a, b: not _equals(a, b),
        ">": _relational(lambda a, b: a > b), "gt": _relational(lambda a, b: a > b),
        ">=": _relational(lambda a, b: a >= b), "ge": _relational(lambda a, b: a >= b),
        "<": _relational(lambda a, b: a < b), "lt": _relational(lambda a, b: a < b),
        "<=": _relational(lambda a, b: a <= b), "le": _relational(lambda a, b: a <= b),
        "+": _arith("+"), "-": _arith("-"), "*": _arith("*"), "/": _arith("/"), "%": _arith("%"),
        "&&": None, "and": None, "||": None, "or": None,
    }
    PRECEDENCE: ClassVar[dict[str, int]] = {
                  "||": 13, "or": 13, "&&": 12, "and": 12, "==": 8, "eq": 8, "!=": 8, "ne": 8,
                  ">": 7, "<": 7, ">=": 7, "<=": 7, "gt": 7, "lt": 7, "ge": 7, "le": 7,
                  "+": 5, "-": 5, "*": 4, "/": 4, "%": 4}

    def parse(self) -> None:
        self.symbol, = self.identity_match(self.BINARY_OP)
        self.apply_to = self.OPERATORS[self.symbol]
        self.precedence = self.PRECEDENCE[self.symbol]


class _Computed:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def calculate(self, namespace: Any, loader: Any) -> Any:
        return self.value


def _apply(op: Any, left: Any, a: Any, right: Any, b: Any) -> Any:
    if op.symbol == "+" and (a is None) != (b is None) and isinstance(a if b is None else b, str):
        # ASTAddNode: a null beside a String is concatenated as its literal text ("x" + $none is "x$none")
        if a is None:
            a = left.my_text().strip() if hasattr(left, "my_text") else "null"
        else:
            b = right.my_text().strip() if hasattr(right, "my_text") else "null"
    return op.apply_to(a, b)


class Expression(_as.Expression):
    # && and || short-circuit and use Velocity truthiness; airspeed evaluates both sides with Python's bool()
    def calculate(self, namespace: Any, loader: Any) -> Any:
        terms = self.expression
        if len(terms) == 1:
            return terms[0].calculate(namespace, loader)
        if len(terms) == 3 and terms[1].apply_to is not None:  # one comparison: the usual #if
            return _apply(terms[1], terms[0], terms[0].calculate(namespace, loader),
                          terms[2], terms[2].calculate(namespace, loader))
        operators: list[Any] = []
        values: list[Any] = [terms[0]]
        rest = terms[1:]

        def reduce() -> None:
            right, left, op = values.pop(), values.pop(), operators.pop()
            a = left.calculate(namespace, loader)
            if op.symbol in ("&&", "and"):
                result = _truthy(a) and _truthy(right.calculate(namespace, loader))
            elif op.symbol in ("||", "or"):
                result = _truthy(a) or _truthy(right.calculate(namespace, loader))
            else:
                result = _apply(op, left, a, right, right.calculate(namespace, loader))
            values.append(_Computed(result))

        while rest:
            if not operators or rest[0].greater_precedence_than(operators[-1]):
                operators.append(rest[0])
                values.append(rest[1])
                rest = rest[2:]
            else:
                reduce()
        while operators:
            reduce()
        return values[0].calculate(namespace, loader)


class UnaryOperatorValue(_as.UnaryOperatorValue):
    UNARY_OP = re.compile(r"\s*(!|not\b)\s*", re.DOTALL)

    def calculate(self, namespace: Any, loader: Any) -> Any:
        return not _truthy(self.value.calculate(namespace, loader))


class IfDirective(_as.IfDirective):
    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        if _truthy(self.condition.calculate(namespace, loader)):
            self.block.evaluate(stream, namespace, loader)
            return
        for branch in self.elseifs:
            if _truthy(branch.calculate(namespace, loader)):
                branch.evaluate(stream, namespace, loader)
                return
        self.else_block.evaluate(stream, namespace, loader)


class ElseBlock(_as.ElseBlock):
    START = re.compile(r"#(?:else\b|\{else\})(?:[ \t]*\r?\n)?", re.DOTALL)  # #else eats the rest of its line


class Comment(_as.Comment):
    # "##" runs through its newline; "#* *#" leaves the newline after it in Velocity 1.7
    COMMENT = re.compile(r"#(?:#[^\n]*(?:\n|$)|\*.*?\*#)", re.DOTALL)


class SetDirective(_as.SetDirective):
    # Velocity 1.7: a null value leaves the variable as it was, and #set writes the template's context, not a
    # scope of the loop or macro it sits in
    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        value = self.value.calculate(namespace, loader)
        if value is None:
            return
        if len(self.terms) == 1:
            target = namespace
            while dict.get(target, self.terms[0], _MISSING) is _MISSING and isinstance(
                    target.parent, _as.LocalNamespace):
                target = target.parent
            dict.__setitem__(target, self.terms[0], value)
            return
        holder = _lookup(namespace, self.terms[0])
        for term in self.terms[1:-1]:
            holder = _property(holder, term)
        if isinstance(holder, dict):
            holder[self.terms[-1]] = value


def _iterable(value: Any) -> list[Any] | None:
    if isinstance(value, Mapping):
        return list(value.values())  # Velocity iterates a map's values
    if isinstance(value, (list, tuple, range)):
        return list(value)
    return None  # a string, a number or null: no iteration


class ForeachDirective(_as.ForeachDirective):
    # maps give their values, strings do not iterate, #break works, $foreach is a scope object, and the loop
    # variable is restored afterwards while a #set inside the loop stays (one context, as in Velocity)
    CLOSE_PAREN = re.compile(r"\s*\)(?:[ \t]*\r?\n)?", re.DOTALL)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        items = _iterable(self.value.calculate(namespace, loader))
        if not items:
            return
        names = (self.loop_var_name, "velocityCount", "velocityHasNext", "foreach")
        saved = [dict.get(namespace, name, _MISSING) for name in names]
        scope = ForeachScope(_lookup(namespace, "foreach"), len(items))
        try:
            for index, item in enumerate(items):
                scope.index = index
                dict.update(namespace, {self.loop_var_name: item, "velocityCount": index + 1,
                                        "velocityHasNext": index + 1 < len(items), "foreach": scope})
                try:
                    self.block.evaluate(stream, namespace, loader)
                except _Break:
                    break
        finally:
            for name, old in zip(names, saved):
                if old is _MISSING:
                    dict.pop(namespace, name, None)
                else:
                    dict.__setitem__(namespace, name, old)


class StopDirective(_as.StopDirective):
    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        raise _Stop


class BreakDirective(_as._Element):
    START = re.compile(r"#(?:break\b|\{break\})", re.DOTALL)

    def parse(self) -> None:
        self.identity_match(self.START)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        raise _Break


class MacroCall(_as.MacroCall):
    # an unknown #name(...) is text in Velocity, whether or not its arguments parse; like every directive's
    # closing parenthesis, the call's eats the newline right after it
    CLOSE_PAREN = re.compile(r"\s*\)(?:[ \t]*\r?\n)?", re.DOTALL)
    def parse(self) -> None:
        try:
            super().parse()
        except _as.TemplateSyntaxError:
            raise NoMatch() from None

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        if _lookup(namespace, "#" + self.macro_name) is None:
            stream.write(self.my_text())
        else:
            super().evaluate_raw(stream, namespace, loader)


class Block(_as.Block):
    ELEMENTS: tuple[Any, ...] = ()
    LINE_INDENT = re.compile(r"(?:^|\n)([ \t]+)$")

    def parse(self) -> None:
        self.children: list[Any] = []
        while True:
            try:
                child = self.next_element(self.ELEMENTS)
            except NoMatch:
                break
            if isinstance(child, SetDirective) and self.children and isinstance(self.children[-1], Text):
                previous = self.children[-1]  # #set eats the indentation before it (its token includes it)
                match = self.LINE_INDENT.search(previous.text)
                if match and (match.start(1) > 0 or len(self.children) == 1):
                    previous.text = previous.text[:match.start(1)]
            self.children.append(child)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        child = None
        try:
            for child in self.children:
                child.evaluate_raw(stream, namespace, loader)
        except _as.TemplateExecutionError:
            raise
        except Exception as err:
            raise _as.TemplateExecutionError(child) from err


class DollarText(_as._Element):
    """A "$", "$!", "${" or "$!{" that starts no reference: plain text."""

    START = re.compile(r"(\$!?\{?)")

    def parse(self) -> None:
        self.text, = self.identity_match(self.START)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        stream.write(self.text)


class _Root(_as.LocalNamespace):
    """The render's own scope over the caller's context: #set and #macro write here, not into the context."""

    def top(self) -> Any:
        return self


for _node in (Text, NameOrCall, SubExpression, FormalReference, StringLiteral, InterpolatedStringLiteral,
              BooleanLiteral, BinaryOperator, Expression, UnaryOperatorValue, IfDirective, ElseBlock, Comment,
              SetDirective, ForeachDirective, StopDirective, MacroCall, Block):
    setattr(_as, _node.__name__, _node)
Block.ELEMENTS = (EscapeRun, Text, FormalReference, Comment, IfDirective, SetDirective, ForeachDirective,
                  _as.IncludeDirective, _as.ParseDirective, _as.MacroDefinition, _as.DefineDefinition,
                  StopDirective, BreakDirective, _as.EvaluateDirective, MacroCall, _as.FallthroughHashText,
                  DollarText)


# -------------------------------------------------------------------- compiling, with errors that say where
_BLOCK_NODES = ("IfDirective", "ForeachDirective", "MacroDefinition", "DefineDefinition", "ElseBlock",
                "ElseifBlock")


def _position(source: str, offset: int) -> tuple[int, int]:
    line_start = source.rfind("\n", 0, offset) + 1
    return source.count("\n", 0, offset) + 1, offset - line_start + 1


def _explain(source: str, err: Any) -> tuple[int, str, str]:
    """(offset, reason, hint) for one of airspeed's syntax errors."""
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
    if kind in _BLOCK_NODES:
        name = re.match(r"#\{?(\w+)", source[element.start:])
        word = f"#{name.group(1)}" if name else "a block"
        if not rest.strip() or "#end" in expected or expected in ("block", "#end"):
            return element.start, f"{word} without #end", "close it with #end"
        return element.end, f"{word}: expected {expected}", "check its (...) part"
    if kind == "FormalReference":
        return element.start, "${ without its closing }", "close the reference with }"
    if kind in ("ParameterList", "ParenthesizedExpression", "Condition"):
        return element.start, "( without its closing )", "close the argument list or condition with )"
    if kind == "SetDirective":
        return element.start, "#set needs the form #set($name = value)", f"expected {expected} here"
    got = rest[:20] or "the end of the template"
    return (element.end, f"expected {expected}, got {got!r}",
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
    try:
        return _as.TemplateBody("<template>", source)
    except _as.TemplateSyntaxError as err:
        offset, reason, hint = _explain(source, err)
        return _Failure(*_position(source, offset), reason, hint)
    except RecursionError:
        return _Failure(1, 1, "the template nests too deeply to parse", "simplify its nesting")


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
                    input_fields: Sequence[str] | None = None) -> Rendered:
    """``source`` rendered over ``context`` as Velocity 1.7 would; a warning per unresolved ${input.x}."""
    body = _compiled(source, template)
    out = _Out()
    unresolved: list[str] = []
    token = _UNRESOLVED.set(unresolved)
    try:
        body.evaluate(out, _Root(context), _as.NullLoader())
    except (_Stop, _Break):
        pass
    except _as.TemplateExecutionError as err:
        cause = err.__cause__
        line, column = _position(source, err.element.start)
        raise TemplateRenderError(template, line, column, f"{type(cause).__name__}: {cause}",
                                  "the platform fails the action here too (a method threw while rendering)"
                                  ) from cause
    except RecursionError as err:
        raise TemplateRenderError(template, 1, 1, "the template recurses too deeply",
                                  "look for a #macro or #define that calls itself") from err
    finally:
        _UNRESOLVED.reset(token)
    text = "".join(out)
    return Rendered(text, _warnings(unresolved, template, input_fields) if unresolved else ())


def _input(inputs: Mapping[str, Any]) -> dict[str, Any]:
    given = dict(inputs)
    given.pop("rawRequest", None)
    # the whole input as JSON text, in the inputs' order, with Jackson-like ", " / ": " spacing
    raw = json.dumps(given, ensure_ascii=False, default=to_java_string)
    return {**given, "rawRequest": raw}


def request_context(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The context of requestUrlTemplate, headers and requestTemplate: ``$input`` and the macro objects."""
    return {**MACROS, "input": _input(inputs)}


def success_context(inputs: Mapping[str, Any], variables: Mapping[str, str],
                    raw_result: str) -> dict[str, Any]:
    """The successTemplate's context: the translated variables (JSON text), ``$rawResult``, ``$input``."""
    return {**MACROS, **variables, "rawResult": raw_result, "input": _input(inputs)}
