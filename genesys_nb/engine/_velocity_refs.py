"""Text and references of a Velocity template: airspeed's nodes for them, with the Velocity 1.7 rules.

airspeed's grammar finds its node classes by module-global name, so the subclasses here (and those of
:mod:`genesys_nb.engine._velocity_nodes`, which installs them all) go into a private copy of the airspeed
module; other users of airspeed in the same process keep its own behaviour.
"""
from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import airspeed as _airspeed_package

from genesys_nb.engine._java import to_java_string
from genesys_nb.engine._velocity_values import _finds_method, _finds_property, _index, _invoke, _property


def _private_airspeed() -> Any:
    # the module's own code, run again as a module of its own: installing node classes changes this copy only
    spec = importlib.util.spec_from_file_location("genesys_nb.engine._airspeed", _airspeed_package.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_as: Any = _private_airspeed()
NoMatch = _as.NoMatch
_MISSING = object()
_UNRESOLVED: ContextVar[list[str] | None] = ContextVar("velocity_unresolved_inputs", default=None)
# strict reference mode (Velocity's runtime.references.strict) for the render under way: see render_template
_STRICT: ContextVar[bool] = ContextVar("velocity_strict_references", default=False)


class StrictReferenceError(Exception):
    """Velocity's strict reference mode refused a reference: its message, and where in the source (offset)."""

    def __init__(self, message: str, source: str, offset: int) -> None:
        super().__init__(message)
        self.message, self.source, self.offset = message, source, offset


_JAVA_CLASSES = {str: "java.lang.String", bool: "java.lang.Boolean", float: "java.lang.Double",
                 dict: "java.util.LinkedHashMap", list: "java.util.ArrayList"}


def _java_class(value: Any) -> str:
    if type(value) is int:
        return "java.lang.Integer" if -2**31 <= value < 2**31 else "java.lang.Long"
    return _JAVA_CLASSES.get(type(value)) or str(getattr(value, "java_class", type(value).__name__))
_INPUT_REF = re.compile(r"\$!?\{?input\.([A-Za-z_][\w-]*)")


class _Out(list):  # type: ignore[type-arg]
    """The output: a list of pieces joined once (cheaper than airspeed's StringIO per write)."""

    write = list.append


_LocalNamespace = _as.LocalNamespace
_FunctionDefinition = _as._FunctionDefinition
_VALUE_TYPES = frozenset({str, int, float, bool, type(None), dict, list})  # never a #define's body


def _lookup(namespace: Any, name: str) -> Any:
    """``namespace[name]``, None when absent: the scopes walked without a KeyError raised in each."""
    while isinstance(namespace, _LocalNamespace):
        value = dict.get(namespace, name, _MISSING)
        if value is not _MISSING:
            return value
        namespace = namespace.parent
    if type(namespace) is dict:
        return namespace.get(name)
    try:
        return namespace[name]
    except KeyError:
        return None


# ------------------------------------------------------------------------ text and references, Velocity 1.7 rules
class Text(_as.Text):
    # a backslash run before $ or # is an escape (EscapeRun), not text; a # starting a directive is never text
    PLAIN = re.compile(r"((?:[^\\$#]+|\\+(?![\\$#])|\$(?![!{A-Za-z_#$]|\\!)|\$!(?![{A-Za-z_\s.#$])|#(?![{A-Za-z#*@]|\[\[))+)",
                       re.DOTALL)

    def parse(self) -> None:
        self.text, = self.identity_match(self.PLAIN)


class NameOrCall(_as.NameOrCall):
    # Velocity 1.7 identifiers may contain '-'; lookups follow Velocity's uberspector (map entry,
    # getX()/isX(), Java String/List/Map methods) instead of Python attributes, and a null on the way gives
    # null, not an error
    NAME = re.compile(r"([_a-z][a-z0-9_-]*)", re.DOTALL | re.IGNORECASE)
    # Velocity looks 3 tokens ahead for a method (name, "(", the next): only a token that can start an argument,
    # or ")", commits it; "$e.x(" at the end or "$e.x(a)" is the property $e.x and text. The first name of a
    # reference never takes arguments ("$e(" is $e and text).
    COMMITS = re.compile(r"""\((?=[ \t\r\n"'\[{)0-9]|-[0-9]|(?:\$!?)+[{A-Za-z_]|(?:true|false)(?![A-Za-z0-9_]))""")

    # after "$e.x(" without a commit, Velocity's lexer still reads in its method state: only these stay text
    TEXT_AFTER = re.compile(r"\((?:\Z|[\\#]|\$\)|[A-Za-z_][\w-]*[),])")

    def parse(self) -> None:
        self.name, = self.identity_match(self.NAME)
        full = self._full_text
        if self.start and full[self.start - 1] == "." and full.startswith("(", self.end):
            if self.COMMITS.match(full, self.end):
                self.parameters = self.next_element(_as.ParameterList)
                return
            if not self.TEXT_AFTER.match(full, self.end):
                self.end += 1
                raise self.syntax_error("an argument or ) after (")
        try:
            self.index = self.next_element(_as.ArrayIndex)
        except NoMatch:
            pass

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
    DOLLARS = re.compile(r"((?:\$!?)*)")
    prefix = ""
    # Java printing (true, 2.0, [a, b], {k=v}), the reference's own text when it is null, and the note of an
    # unresolved ${input.x} for the warnings
    def parse(self) -> None:
        self.silent, braces = self.identity_match(_as.FormalReference.START)
        if braces:
            if self._full_text.startswith("[", self.end):
                raise self.syntax_error("a name after ${")  # Velocity reads "${[" as an index with no reference
            # "${$x}": Velocity's lexer takes a "$" or "$!" as a prefix (MORE) of the next token, so the name
            # is "$x", which nothing defines
            self.prefix, = self.next_match(self.DOLLARS)
        try:
            self.expression = self.next_element(_as.VariableExpression)
        except NoMatch:
            raise NoMatch() from None  # "${" or "$!{" not followed by a name is text (DollarText)
        if braces:
            self.require_match(self.CLOSING_BRACE, "}")
        self.text = self.my_text()
        self.where = self.start  # where strict mode reports it: an escape's backslashes move it (EscapeRun)
        self.lenient_root = False  # #if($x), #if(!$x), #if($x && ..): strict mode lets $x be undefined
        self.input_names = tuple(dict.fromkeys(_INPUT_REF.findall(self.text)))
        self.path = self._simple_path()
        self.head, self.rest = (self.path[0], self.path[1:]) if self.path else ("", ())

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

    def strict_value(self, namespace: Any, loader: Any) -> Any:
        """The value as Velocity's strict reference mode finds it: an undefined name or a null on the way fails."""
        source, expression = self._full_text, self.expression
        part = expression.part
        if part.parameters is not None:  # $name(...) names a #define or macro: no strict lookup of its own
            return expression.calculate(namespace, loader)
        scope, value = namespace, _MISSING
        while isinstance(scope, _LocalNamespace):
            value = dict.get(scope, part.name, _MISSING)
            if value is not _MISSING:
                break
            scope = scope.parent
        else:
            if isinstance(scope, Mapping):
                value = scope.get(part.name, _MISSING)
        if value is _MISSING:
            if self.lenient_root and expression.subexpression is None and part.index is None:
                return None
            raise StrictReferenceError(f"Variable ${part.name} has not been set", source, self.where)
        if isinstance(value, _FunctionDefinition):  # a #define's block: rendered where it is referenced
            value = part.calculate(namespace, loader, namespace)
        if part.index is not None and value is not None:
            value = _index(value, part.index.calculate(namespace, loader))
        sub = expression.subexpression
        while sub is not None:
            step = sub.expression
            if isinstance(step, _as.ArrayIndex):
                value = None if value is None else _index(value, step.calculate(namespace, loader))
                sub = sub.subexpression
                continue
            call = step.part
            if value is None:
                raise StrictReferenceError(f"Attempted to access '{call.name}' on a null value", source, call.start)
            if call.parameters is not None:
                args = call.parameters.calculate(namespace, loader)
                if not _finds_method(value, call.name, len(args)):
                    types = ", ".join("null" if a is None else _java_class(a) for a in args)
                    raise StrictReferenceError(f"Object '{_java_class(value)}' does not contain method "
                                               f"{call.name}({types})", source, call.start)
                value = _invoke(value, call.name, args)
            else:
                if not _finds_property(value, call.name):
                    raise StrictReferenceError(f"Object '{_java_class(value)}' does not contain property "
                                               f"'{call.name}'", source, call.start)
                value = _property(value, call.name)
            if call.index is not None and value is not None:
                value = _index(value, call.index.calculate(namespace, loader))
            sub = step.subexpression
        return value

    def value_of(self, namespace: Any, loader: Any) -> Any:
        if self.prefix:  # a name that starts with "$": never defined
            if _STRICT.get() and not self.lenient_root:
                raise StrictReferenceError(f"Variable ${self.prefix}{self.expression.part.name} has not been set",
                                           self._full_text, self.where)
            return None
        if self.expression is not None and _STRICT.get():
            return self.strict_value(namespace, loader)
        if self.path is not None:  # $a.b.c over maps: the common case, without the general machinery
            scope = namespace  # _lookup(namespace, self.head), inline: a template makes this lookup most
            while isinstance(scope, _LocalNamespace):
                current = dict.get(scope, self.head, _MISSING)
                if current is not _MISSING:
                    break
                scope = scope.parent
            else:
                current = scope.get(self.head) if type(scope) is dict else _lookup(scope, self.head)
            for name in self.rest:
                if type(current) is dict:
                    current = current.get(name)
                elif current is None:
                    return None
                else:
                    return self.expression.calculate(namespace, loader)
            if type(current) in _VALUE_TYPES or not isinstance(current, _FunctionDefinition):
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

    def printed(self, namespace: Any, loader: Any) -> str:
        """What the reference prints: its value as Java prints it, nothing ($!) or its own text when null."""
        value = self.value_of(namespace, loader)
        if value is None:
            if self.silent and self.expression is not None:
                return ""
            if _STRICT.get():
                raise StrictReferenceError(f"Reference {self.text} evaluated to null when attempting to render",
                                           self._full_text, self.where)
            self.note_unresolved(namespace)
            return self.text  # type: ignore[no-any-return]
        return value if type(value) is str else to_java_string(value)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        stream.write(self.printed(namespace, loader))


class ArgReference(FormalReference):
    """A reference as a directive's or method's argument, where the "$" of "$$x" is a prefix Velocity drops."""

    end: int  # airspeed's parse position, set by its _Element

    START = re.compile(r"((?:\$!?)*)\$(!?)(\{?)", re.DOTALL)

    def parse(self) -> None:
        start = self.end
        prefix, _silent, _braces = self.identity_match(self.START)
        self.end = start + len(prefix)
        super().parse()
        self.start = start
        self.where = start
        self.text = self.my_text()
        self.prefix = ""  # here the prefix is dropped: "$$x" is $x (checked against Velocity 1.7)


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
        self.block = _as.Block(self.filename, self.value, 0) if ("$" in self.value or "#" in self.value) else None
        children: list[Any] = self.block.children if self.block is not None else []
        # "$!{input.x}" alone, the usual #if operand: printed without a block and an output of its own
        self.reference = children[0] if len(children) == 1 and type(children[0]) is FormalReference else None

    def calculate(self, namespace: Any, loader: Any) -> Any:
        if self.block is None:
            return self.value
        reference = self.reference
        if reference is not None:
            try:
                return reference.printed(namespace, loader)
            except _as.TemplateExecutionError:
                raise
            except Exception as err:  # as the block would report it: at the reference
                raise _as.TemplateExecutionError(reference) from err
        out = _Out()
        self.block.evaluate(out, namespace, loader)
        return "".join(out)
