"""Operators, expressions and directives of a Velocity template: airspeed's nodes, with the Velocity 1.7 rules.

# size: every directive and expression node subclass lives here because airspeed's grammar finds them by
# module-global name and they refer to each other (Value, Expression, IfDirective, MacroCall...); split, they
# would import each other in a circle.

Where airspeed's semantics differ from Apache Velocity 1.7 (what the platform runs) a node class is subclassed,
each with the reason. Importing this module installs these classes and those of
:mod:`genesys_nb.engine._velocity_refs` into the private airspeed copy, whose grammar then builds them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, ClassVar

from genesys_nb.engine._velocity_refs import (
    _MISSING,
    _STRICT,
    ArgReference,
    FormalReference,
    InterpolatedStringLiteral,
    NameOrCall,
    NoMatch,
    StrictReferenceError,
    StringLiteral,
    SubExpression,
    Text,
    _as,
    _java_class,
    _lookup,
)
from genesys_nb.engine._velocity_syntax import AFTER_PROPERTY
from genesys_nb.engine._velocity_text import DollarText, EscapeRun
from genesys_nb.engine._velocity_values import (
    ForeachScope,
    _arith,
    _equals,
    _property,
    _relational,
    _truthy,
)

# Velocity 1.7's directive names are case-sensitive words: "#endx" or "#elsewhere" is another word (text)
_WORD_END = r"(?![A-Za-z0-9_])"


class _Break(BaseException):  # not an Exception: airspeed wraps those into TemplateExecutionError
    pass


class _Stop(BaseException):
    pass



class BooleanLiteral(_as.BooleanLiteral):
    BOOLEAN = re.compile(r"(true|false)\b", re.DOTALL)  # lower case only, and not the start of a longer word


class BinaryOperator(_as.BinaryOperator):
    # word operators need word boundaries; == and != share a precedence; comparisons and arithmetic follow
    # Velocity (numbers by value, toString() otherwise, integer division truncates, + concatenates strings)
    BINARY_OP = re.compile(r"\s*(>=|<=|==|!=|<|>|%|\|\||&&|\+|-(?![0-9])|\*|/|(?:or|and|gt|lt|ne|eq|ge|le)\b)\s*",
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


def _evaluate(node: Any, namespace: Any, loader: Any) -> bool:
    """Velocity 1.7's ``Node.evaluate``: the truth of an #if condition and of the operands of ``!``, ``&&``, ``||``.

    Only a reference (null and false are false), ``true``, a comparison and the logical operators have one; every
    other node keeps SimpleNode's ``false``: ``#if("text")``, ``#if(1)``, ``#if([1])``, ``#if($a + 1)`` are false.
    """
    if isinstance(node, Value):
        node = node.expression
    if isinstance(node, FormalReference):
        return _truthy(node.calculate(namespace, loader))
    if isinstance(node, _Computed):  # a comparison's or a logical operator's result; arithmetic has no truth
        return node.value is True
    if isinstance(node, BooleanLiteral):
        return node.value is True
    if isinstance(node, UnaryOperatorValue):
        return not _evaluate(node.value, namespace, loader)
    if isinstance(node, ParenthesizedExpression):
        return node.expression.test(namespace, loader)
    if isinstance(node, Expression):
        return node.test(namespace, loader)
    return False


def _test_terms(terms: list[Any], namespace: Any, loader: Any) -> bool:
    if len(terms) == 1:
        return _evaluate(terms[0], namespace, loader)
    # the node at the top binds loosest; operators are left-associative, so it is the last of them
    loosest = max(terms[i].precedence for i in range(1, len(terms), 2))
    at = max(i for i in range(1, len(terms), 2) if terms[i].precedence == loosest)
    symbol = terms[at].symbol
    if symbol in ("&&", "and"):
        return _test_terms(terms[:at], namespace, loader) and _test_terms(terms[at + 1:], namespace, loader)
    if symbol in ("||", "or"):
        return _test_terms(terms[:at], namespace, loader) or _test_terms(terms[at + 1:], namespace, loader)
    if terms[at].precedence > 5:  # a comparison: its boolean
        return _calculate_terms(terms, namespace, loader) is True
    return False  # arithmetic


_ORDERING = frozenset({">", ">=", "<", "<=", "gt", "ge", "lt", "le"})


def _strict_ordering(op: Any, a: Any, b: Any) -> None:
    """Strict mode: an ordering of a value that is not a number fails (Velocity 1.7's texts, '>=' and all)."""
    for side, value in (("Left", a), ("Right", b)):
        if value is not None and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
            valid = "a valid " if op.symbol in ("<", "lt") else "a "
            text = op.my_text()
            end = op.start + text.index(op.symbol) + len(op.symbol)
            raise StrictReferenceError(f"{side} side of '>=' operation is not {valid}Number", op.full_text(), end)


def _apply(op: Any, left: Any, a: Any, right: Any, b: Any) -> Any:
    if op.symbol in _ORDERING and _STRICT.get():
        _strict_ordering(op, a, b)
    if op.symbol == "+" and (a is None) != (b is None) and isinstance(a if b is None else b, str):
        # ASTAddNode: a null beside a String is concatenated as its literal text ("x" + $none is "x$none")
        if a is None:
            a = left.my_text().strip() if hasattr(left, "my_text") else "null"
        else:
            b = right.my_text().strip() if hasattr(right, "my_text") else "null"
    return op.apply_to(a, b)


class Expression(_as.Expression):
    # && and || short-circuit and use Velocity truthiness; airspeed evaluates both sides with Python's bool()
    def test(self, namespace: Any, loader: Any) -> bool:
        """The expression's truth as an #if condition (Velocity's evaluate(), not the value's)."""
        terms = self.expression
        if self.comparison is not None and not _STRICT.get():  # one comparison, the usual #if: its boolean
            return self.comparison(terms[0].calculate(namespace, loader),
                                   terms[2].calculate(namespace, loader)) is True
        if len(terms) == 1 and isinstance(terms[0].expression, FormalReference):  # #if($x)
            return _truthy(terms[0].expression.value_of(namespace, loader))
        return _test_terms(terms, namespace, loader)

    def parse(self) -> None:
        super().parse()
        terms = self.expression
        # one comparison, the usual #if: its test, called with both sides (a "+" needs _apply's null rule)
        self.comparison = (terms[1].apply_to if len(terms) == 3 and terms[1].apply_to is not None
                           and terms[1].symbol != "+" else None)

    def calculate(self, namespace: Any, loader: Any) -> Any:
        terms = self.expression
        if self.comparison is not None and not _STRICT.get():
            return self.comparison(terms[0].calculate(namespace, loader), terms[2].calculate(namespace, loader))
        if len(terms) == 1:
            return terms[0].calculate(namespace, loader)
        if len(terms) == 3 and terms[1].apply_to is not None:  # one comparison: the usual #if
            return _apply(terms[1], terms[0], terms[0].calculate(namespace, loader),
                          terms[2], terms[2].calculate(namespace, loader))
        return _calculate_terms(terms, namespace, loader)


def _calculate_terms(terms: list[Any], namespace: Any, loader: Any) -> Any:
    operators: list[Any] = []
    values: list[Any] = [terms[0]]
    rest = terms[1:]

    def reduce() -> None:
        right, left, op = values.pop(), values.pop(), operators.pop()
        if op.symbol in ("&&", "and"):
            result = _evaluate(left, namespace, loader) and _evaluate(right, namespace, loader)
        elif op.symbol in ("||", "or"):
            result = _evaluate(left, namespace, loader) or _evaluate(right, namespace, loader)
        else:
            result = _apply(op, left, left.calculate(namespace, loader), right,
                            right.calculate(namespace, loader))
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
        return not _evaluate(self.value, namespace, loader)


class Value(_as.Value):
    # an operand is its expression: calculated without a call of its own in between; Velocity 1.7 has no null
    # literal ("#if(null)" does not parse)
    def parse(self) -> None:
        self.expression = self.next_element((
            ArgReference, _as.FloatingPointLiteral, _as.IntegerLiteral, StringLiteral, InterpolatedStringLiteral,
            _as.ArrayLiteral, _as.DictionaryLiteral, ParenthesizedExpression, UnaryOperatorValue, BooleanLiteral))
        self.calculate = self.expression.calculate


class ParenthesizedExpression(_as.ParenthesizedExpression):
    def parse(self) -> None:  # the expression kept, for _lenient_operands
        self.identity_match(self.START)
        self.expression = self.next_element(Expression)
        self.require_match(self.END, ")")
        self.calculate = self.expression.calculate


class Condition(_as.Condition):
    def parse(self) -> None:
        self.expression = self.next_element(ParenthesizedExpression)
        self.optional_match(_as.WHITESPACE_TO_END_OF_LINE)
        self.calculate = self.expression.calculate


_LOGICAL = frozenset({"&&", "and", "||", "or"})


def _lenient_operands(expression: Any) -> None:
    """Mark the bare references of an #if condition that strict mode lets be undefined.

    Velocity 1.7 (ASTReference.init): a reference without children whose parent is the #if's expression, a
    ``!``, ``&&`` or ``||`` is not strict, so ``#if($x)`` tests an undefined ``$x`` as false; ``$x == 1`` or
    ``$x.y`` still fail.
    """
    terms = expression.expression
    for i in range(0, len(terms), 2):
        if all(terms[j].symbol in _LOGICAL for j in (i - 1, i + 1) if 0 < j < len(terms)):
            _lenient_operand(terms[i].expression)


def _lenient_operand(node: Any) -> None:
    if isinstance(node, FormalReference):
        node.lenient_root = True
    elif isinstance(node, UnaryOperatorValue):
        _lenient_operand(node.value.expression)
    elif isinstance(node, ParenthesizedExpression):
        _lenient_operands(node.expression)


class ElseifBlock(_as.ElseifBlock):
    START = re.compile(rf"#(?:elseif{_WORD_END}|\{{elseif\}})\s*")

    def parse(self) -> None:
        super().parse()
        _lenient_operands(self.condition.expression.expression)


class IfDirective(_as.IfDirective):
    START = re.compile(rf"#(?:if{_WORD_END}|\{{if\}})\s*")

    def parse(self) -> None:
        # "#if" is always the directive in Velocity: without its (condition) it is an error, never text
        self.identity_match(self.START)
        self.condition = self.require_next_element(Condition, "(condition)")
        self.block = self.require_next_element(Block, "block")
        self.elseifs = []
        while True:
            try:
                self.elseifs.append(self.next_element(ElseifBlock))
            except NoMatch:
                break
        try:
            self.else_block = self.next_element(ElseBlock)
        except NoMatch:
            pass
        self.require_next_element(End, "#else, #elseif or #end")
        _lenient_operands(self.condition.expression.expression)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        if self.condition.expression.expression.test(namespace, loader):
            self.block.evaluate(stream, namespace, loader)
            return
        for branch in self.elseifs:
            if branch.condition.expression.expression.test(namespace, loader):
                branch.evaluate(stream, namespace, loader)
                return
        self.else_block.evaluate(stream, namespace, loader)


class End(_as.End):
    END = re.compile(rf"#(?:end{_WORD_END}|\{{end\}})")


class ElseBlock(_as.ElseBlock):
    START = re.compile(rf"#(?:else{_WORD_END}|\{{else\}})(?:[ \t]*\r?\n)?")  # #else eats the rest of its line


class UnparsedBlock(_as._Element):
    """``#[[ ... ]]#``: its content is text, as written."""

    START = re.compile(r"#\[\[(.*?)\]\]#", re.DOTALL)

    def parse(self) -> None:
        self.text, = self.identity_match(self.START)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        stream.write(self.text)


class FloatingPointLiteral(_as.FloatingPointLiteral):
    # Velocity 1.7: 1.5, 1., .5, 1e3, 1.0E-3 (a trailing "." only when no second "." follows: 1..3 is a range)
    FLOAT = re.compile(r"(-?(?:\d+\.(?!\.)\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+))")


class MacroDefinition(_as.MacroDefinition):
    # Velocity 1.7 defines a template's macros when it parses it: a call may come first, a #macro inside an #if
    # that is false still counts, and rendering the definition again changes nothing. A call with fewer
    # arguments leaves the others unset; extra ones are dropped.
    START = re.compile(rf"#(?:macro{_WORD_END}|\{{macro\}})")
    NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_-]*)")
    ARG_NAME = re.compile(r"[,\s]*\$([A-Za-z_][A-Za-z0-9_-]*)")

    def parse(self) -> None:
        super().parse()
        defined = DEFINED_MACROS.get()
        if defined is not None:
            defined.setdefault("#" + self.function_name.lower(), self)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        pass

    def execute_function(self, stream: Any, namespace: Any, arg_values: Any, loader: Any) -> None:
        scope = _as.LocalNamespace(namespace)
        scope.update(zip(self.arg_names, arg_values))
        self.block.evaluate(stream, scope, loader)


# the macros of the template being parsed, by "#name" (velocity._compile sets a dict and keeps what it collects)
DEFINED_MACROS: ContextVar[dict[str, Any] | None] = ContextVar("velocity_defined_macros", default=None)


class EvaluateDirective(_as.EvaluateDirective):
    CLOSE_PAREN = re.compile(r"\s*\)(?:[ \t]*\r?\n)?")  # a directive's ")" eats the rest of its line


class FallthroughHashText(_as.FallthroughHashText):
    PLAIN = re.compile(rf"(#(?!(?:end|else|elseif){_WORD_END}|\{{(?:end|else|elseif)\}}))")


class Comment(_as.Comment):
    # "##" runs through its newline; "#* *#" leaves the newline after it in Velocity 1.7; an unclosed "#*" with
    # anything after it runs to the end (Velocity's lexer skips to the end of input without complaint)
    COMMENT = re.compile(r"#(?:#[^\n]*(?:\n|$)|\*(?:.*?\*#|.+\Z))", re.DOTALL)
    # "##" right after "$a.b" (the lexer still in its reference-modifier state) is text, not a comment
    AFTER_PROPERTY = AFTER_PROPERTY

    def parse(self) -> None:
        if self._full_text.startswith("##", self.end) and self.AFTER_PROPERTY.search(
                self._full_text, max(0, self.end - 200), self.end):
            raise NoMatch()
        super().parse()


class SetDirective(_as.SetDirective):
    START = re.compile(r"#(?:set|\{set\}) *\(")  # SET_DIRECTIVE: "#set" or "#{set}", blanks, "("
    # the target: $name.a.b, ${name.a.b}, $!name (Velocity's Reference production)
    PLACE = re.compile(r"\s*\$(!?)(?:\{([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\}"
                       r"|([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*))")

    def parse(self) -> None:
        self.identity_match(self.START)
        self.place_at = self._full_text.find("$", self.end)  # where strict mode reports an undefined target
        bang, braced, plain = self.require_match(self.PLACE, "place")
        self.terms = (braced or plain).split(".")
        # Velocity 1.7 names a single target by its first token's text less the "$": "${v}" and "$!v" set a
        # variable no reference can name, so they change nothing visible (a chained target is set as usual)
        self.unreachable = bool(bang or braced) and len(self.terms) == 1
        self.require_match(self.EQUALS, "=")
        self.value = self.require_next_element(Expression, "expression")
        self.require_match(self.END, "closing paren")

    # Velocity 1.7: a null value leaves the variable as it was, and #set writes the template's context, not a
    # scope of the loop or macro it sits in
    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        value = self.value.calculate(namespace, loader)
        if (value is None and not _STRICT.get()) or self.unreachable:  # strict implies set.null.allowed
            return
        if len(self.terms) == 1:
            target = namespace
            while dict.get(target, self.terms[0], _MISSING) is _MISSING and isinstance(
                    target.parent, _as.LocalNamespace):
                target = target.parent
            dict.__setitem__(target, self.terms[0], value)
            return
        holder = _lookup(namespace, self.terms[0])
        if holder is None and _STRICT.get():
            raise StrictReferenceError(f"Variable ${self.terms[0]} has not been set", self._full_text, self.place_at)
        for index, term in enumerate(self.terms[1:-1], start=1):
            holder = _property(holder, term)
            if holder is None and _STRICT.get():
                at = self.place_at + 2 + len(".".join(self.terms[:index + 1]))
                raise StrictReferenceError(f"Attempted to access '{self.terms[index + 1]}' on a null value",
                                           self._full_text, at)
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
    START = re.compile(rf"#(?:foreach{_WORD_END}|\{{foreach\}})")
    CLOSE_PAREN = re.compile(r"\s*\)(?:[ \t]*\r?\n)?", re.DOTALL)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        value = self.value.calculate(namespace, loader)
        items = _iterable(value)
        if items is None and value is not None and _STRICT.get():
            raise StrictReferenceError(f"#foreach parameter {self.value.my_text()} {{at}} is of type "
                                       f"{_java_class(value)} and is either of wrong type or cannot be iterated.",
                                       self._full_text, self.value.start)
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
    STOP = re.compile(rf"#(?:stop{_WORD_END}|\{{stop\}})")

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        raise _Stop


class BreakDirective(_as._Element):
    START = re.compile(r"#(?:break\b|\{break\})", re.DOTALL)

    def parse(self) -> None:
        self.identity_match(self.START)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        raise _Break


class MacroCall(_as.MacroCall):
    # Velocity 1.7: "#word" alone is text; "#word(" commits to a directive call whose arguments must parse, even
    # for a word that names no macro (it then renders as text). Like every directive's, the call's closing
    # parenthesis eats the rest of its line.
    START = re.compile(r"#(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})")
    CLOSE_PAREN = re.compile(r"\s*\)(?:[ \t]*\r?\n)?", re.DOTALL)
    WORD = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)")
    RESERVED = frozenset({"if", "else", "elseif", "end", "set", "foreach", "macro", "define", "stop", "break",
                          "evaluate", "include", "parse"})

    def parse(self) -> None:
        plain, braced = self.identity_match(self.START)
        self.macro_name = (plain or braced).lower()  # as MacroDefinition keeps it
        self.args: list[Any] = []
        if (plain or braced) in self.RESERVED or not self.optional_match(self.OPEN_PAREN):
            raise NoMatch()
        while True:
            try:
                self.args.append(self.next_element(Value))
            except NoMatch:
                if not self.optional_match(self.WORD):  # a bare word: an argument Velocity accepts here
                    break
                self.args.append(_Word())
            if not self.optional_match(self.SPACE_OR_COMMA):
                break
        self.require_match(self.CLOSE_PAREN, "argument value or )")

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        if _lookup(namespace, "#" + self.macro_name) is None:
            if _STRICT.get():
                raise StrictReferenceError(f"Macro '#{self.macro_name}' is not defined", self._full_text, self.start)
            stream.write(self.my_text())
        else:
            super().evaluate_raw(stream, namespace, loader)


class _Word:
    def calculate(self, namespace: Any, loader: Any) -> Any:
        return None


class Block(_as.Block):
    ELEMENTS: tuple[Any, ...] = ()
    TRAILING_BLANKS = re.compile(r"[ \t]+\Z")

    def parse(self) -> None:
        self.children: list[Any] = []
        while True:
            try:
                child = self.next_element(self.ELEMENTS)
            except NoMatch:
                break
            if isinstance(child, SetDirective) and self.children and isinstance(self.children[-1], Text):
                # Velocity 1.7's SET_DIRECTIVE token starts with the blanks before "#set", but the lexer takes the
                # longest token: blanks that follow other text are that TEXT token's, and stay. So #set eats the
                # blanks before it only where a directive, reference, comment or escape ended right before them.
                previous = self.children[-1]
                match = self.TRAILING_BLANKS.search(previous.text)
                if match and (match.start() == 0 or previous.text[match.start() - 1] in "$#\\"):
                    previous.text = previous.text[:match.start()]
            self.children.append(child)

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        child = None
        try:
            write = stream.write
            for child in self.children:
                if child.__class__ is Text:  # plain text, written without a call of its own
                    write(child.text)
                else:
                    child.evaluate_raw(stream, namespace, loader)
        except _as.TemplateExecutionError:
            raise
        except Exception as err:
            raise _as.TemplateExecutionError(child) from err

    # only a TemplateExecutionError (or a BaseException such as #stop) leaves evaluate_raw, which is all the
    # wrapper evaluate() would let through: the wrapper is skipped
    evaluate = evaluate_raw


class _Root(_as.LocalNamespace):
    """The render's own scope over the caller's context: #set and #macro write here, not into the context."""

    def top(self) -> Any:
        return self


for _node in (Text, NameOrCall, SubExpression, FormalReference, StringLiteral, InterpolatedStringLiteral,
              Value, BooleanLiteral, BinaryOperator, Expression, UnaryOperatorValue, ParenthesizedExpression,
              Condition, IfDirective, ElseifBlock, ElseBlock, End, FallthroughHashText, Comment, FloatingPointLiteral,
              MacroDefinition,
              SetDirective, ForeachDirective, StopDirective, MacroCall, Block):
    setattr(_as, _node.__name__, _node)
Block.ELEMENTS = (EscapeRun, Text, FormalReference, UnparsedBlock, Comment, IfDirective, SetDirective, ForeachDirective,
                  _as.IncludeDirective, _as.ParseDirective, MacroDefinition, _as.DefineDefinition,
                  StopDirective, BreakDirective, EvaluateDirective, MacroCall, FallthroughHashText,
                  DollarText)

