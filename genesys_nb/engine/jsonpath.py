# size: one library's semantics (grammar, path tokens, filter evaluators, functions), checked against Jayway's together
"""Jayway JsonPath 2.10 semantics for translation maps, on python-jsonpath's lexer, parser and filter tree."""
from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar

from jsonpath import JSONPathEnvironment, selectors
from jsonpath import filter as nodes
from jsonpath import token as kinds
from jsonpath.exceptions import JSONPathError, JSONPathSyntaxError
from jsonpath.lex import Lexer
from jsonpath.parse import Parser
from jsonpath.segments import JSONPathRecursiveDescentSegment
from jsonpath.stream import TokenStream

_Syntax = JSONPathSyntaxError

# python-jsonpath parses Jayway's filter syntax (in, contains, =~ /re/, && || !) into its own expression tree,
# whose comparisons this module routes to Jayway's evaluators. Evaluation itself is Jayway's, not RFC 9535's
# (filters on objects, PathNotFound, multi-property merges, per-match functions, deep-scan rules), which
# python-jsonpath's selectors cannot be told; so the parsed segments become the steps walked below.

__all__ = ["CompiledPath", "JavaBigDecimal", "JsonPathError", "PathResult", "compile_path", "evaluate", "parse_json",
           "to_json_text"]


class JsonPathError(ValueError):
    """A JSONPath Jayway would reject, or whose evaluation fails; ``str()`` names the path and the cause."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"JSONPath {path!r}: {reason}")
        self.path, self.reason = path, reason


@dataclass(frozen=True)
class PathResult:
    """Jayway's read(): one value (definite path) or a list (indefinite); found=False is PathNotFound."""

    definite: bool
    found: bool
    value: Any


class _NotFound(Exception):
    """Jayway's PathNotFoundException."""


class _EvalError(Exception):
    """Jayway's JsonPathException while evaluating (an aggregation of nothing, an index out of range)."""


class _InvalidPath(_EvalError):
    """Jayway's InvalidPathException while evaluating; inside a filter it only rejects the item."""


_UNDEF = object()  # Jayway's UndefinedNode: a filter path that found nothing
_AGGREGATES = ("avg", "stddev", "sum", "min", "max")
# Jayway skips function arguments that are not a path, a number or a "string": 'quoted', true, null, names
_SKIPPED_ARGUMENTS = (kinds.TOKEN_SINGLE_QUOTE_STRING, kinds.TOKEN_TRUE, kinds.TOKEN_FALSE, kinds.TOKEN_NIL,
                      kinds.TOKEN_NAME)
_FUNCTIONS = frozenset({*_AGGREGATES, "concat", "length", "size", "append", "keys", "first", "last", "index"})


@dataclass(frozen=True, eq=False)
class _Step:
    kind: str  # name | index | slice | wild | filter | scan | func
    names: tuple[str, ...] = ()
    indexes: tuple[int, ...] = ()
    bounds: tuple[int | None, int | None] = (None, None)
    expression: nodes.FilterExpression | None = None
    func: str = ""
    args: tuple[Any, ...] = ()  # a CompiledPath, or a JSON value in a 1-tuple


@dataclass(frozen=True, eq=False)
class CompiledPath:
    """A parsed path: its steps and, per step, whether all steps before it are definite (last: the path)."""

    path: str
    steps: tuple[_Step, ...]
    upstream_definite: tuple[bool, ...]

    @property
    def definite(self) -> bool:
        return self.upstream_definite[-1]

    @property
    def unknown_functions(self) -> tuple[str, ...]:
        """Function steps Jayway compiles but cannot run (``$.a.foo()`` fails each time it is read)."""
        return tuple(step.func for step in self.steps if step.kind == "func" and step.func not in _FUNCTIONS)

    def evaluate(self, document: Any) -> PathResult:
        """Read this path from ``document`` as Jayway's JsonPath.read() does with default options."""
        try:
            values = list(_run(self, 0, document, document, False))
        except _NotFound:
            return PathResult(self.definite, False, None)
        except _EvalError as err:
            raise JsonPathError(self.path, str(err)) from None
        except RecursionError:
            raise JsonPathError(self.path, "the document is nested too deeply") from None
        if self.definite:
            return PathResult(True, bool(values), values[-1] if values else None)
        return PathResult(False, True, values)


def _finish(path: str, steps: list[_Step]) -> CompiledPath:
    if steps and steps[0].kind == "scan" and steps[-1].kind == "func":  # Jayway reads $..x.fn() as $.fn($..x)
        first = next(i for i, step in enumerate(steps) if step.kind == "func")
        args = _length_argument(steps[first].func, (_finish(path, steps[:first]),))
        steps = [replace(steps[first], args=args), *steps[first + 1:]]
    flags = [True]
    for i, step in enumerate(steps):
        definite = step.kind == "func" or (step.kind == "index" and len(step.indexes) == 1) or (
            step.kind == "name" and (len(step.names) == 1 or i == len(steps) - 1))  # a leaf ['a','b'] merges
        flags.append(flags[-1] and definite)
    return CompiledPath(path, tuple(steps), tuple(flags))


def _length_argument(name: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Jayway's length($.x) counts $.x[*]: a path argument that ends without a function gets a wildcard."""
    first = args[0] if name in ("length", "size") and args else None
    if isinstance(first, CompiledPath) and not (first.steps and first.steps[-1].kind == "func"):
        return (_finish(first.path, [*first.steps, _Step("wild")]), *args[1:])
    return args


def _steps(segments: list[Any]) -> list[_Step]:
    steps: list[_Step] = []
    for segment in segments:
        if isinstance(segment, _Step):
            steps.append(segment)
            continue
        if isinstance(segment, JSONPathRecursiveDescentSegment):
            steps.append(_Step("scan"))
        chosen, one = segment.selectors, segment.selectors[0]
        types = {type(selector) for selector in chosen}
        if types == {selectors.NameSelector}:
            steps.append(_Step("name", names=tuple(s.name for s in chosen)))
        elif types == {selectors.IndexSelector}:
            steps.append(_Step("index", indexes=tuple(s.index for s in chosen)))
        elif len(chosen) == 1 and isinstance(one, selectors.SliceSelector):
            if one.slice.start is None and one.slice.stop is None:  # Jayway ignores a step
                raise _Syntax("a slice needs a start or an end, as in [1:] or [:2]", token=one.token)
            steps.append(_Step("slice", bounds=(one.slice.start, one.slice.stop)))
        elif len(chosen) == 1 and isinstance(one, selectors.WildcardSelector):
            steps.append(_Step("wild"))
        elif len(chosen) == 1 and isinstance(one, selectors.Filter):
            steps.append(_Step("filter", expression=one.expression))
        else:
            raise _Syntax("Jayway brackets hold 'names', indexes, a slice, * or one [?(...)], "
                                      "unmixed", token=one.token)
    return steps


# ------------------------------------------------------------------ evaluation: Jayway's path tokens
def _run(path: CompiledPath, i: int, node: Any, root: Any, require: bool) -> Iterator[Any]:
    """The values steps[i:] reach from ``node``; ``require`` is Jayway's REQUIRE_PROPERTIES (for exists)."""
    steps = path.steps
    if i == len(steps):
        yield node
        return
    step, definite_before, leaf = steps[i], path.upstream_definite[i], i == len(steps) - 1
    kind = step.kind
    if kind in ("name", "index", "slice") and not isinstance(node, dict if kind == "name" else list):
        if definite_before:  # a definite path met the wrong type or null: PathNotFound
            raise _NotFound
        return
    if kind == "name" and len(step.names) > 1 and leaf:
        if require and any(name not in node for name in step.names):
            raise _NotFound
        yield {name: node[name] for name in step.names if name in node}
    elif kind == "name":
        for name in step.names:
            if name in node:
                yield from _run(path, i + 1, node[name], root, require)
            elif require or (not leaf and definite_before and len(step.names) == 1):
                raise _NotFound
    elif kind in ("index", "slice"):
        for index in step.indexes if kind == "index" else _slice(step.bounds, len(node)):
            index = len(node) + index if index < 0 else index
            if 0 <= index < len(node):  # out of range is silent
                yield from _run(path, i + 1, node[index], root, require)
    elif kind == "wild":
        values = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        for value in list(values):
            yield from _run(path, i + 1, value, root, require)
    elif kind == "filter":  # an object is tested itself, an array item by item
        for item in [node] if isinstance(node, dict) else node if isinstance(node, list) else ():
            if _accept(step, item, root):
                yield from _run(path, i + 1, item, root, require)
        if definite_before and not isinstance(node, (dict, list)):
            raise _InvalidPath(f"a filter can not be applied to the primitive {to_json_text(node)}")
    elif kind == "scan":
        yield from _scan(path, i + 1, node, root, require)
    else:
        yield from _run(path, i + 1, _call(step, node, root), root, require)


def _slice(bounds: tuple[int | None, int | None], length: int) -> range:
    start, stop = bounds
    if stop is None:  # [from:]
        start = start or 0
        return range(max(0, length + start if start < 0 else start), length)
    if not length:
        return range(0)
    if start is None:  # [:to]
        return range(min(length, length + stop if stop < 0 else stop))
    return range(start, min(length, stop))  # [from:to]: Jayway maps each negative index on its own


def _scan(path: CompiledPath, i: int, node: Any, root: Any, require: bool) -> Iterator[Any]:
    """Jayway's deep scan: pre-order over objects and arrays, target steps[i] applied where it may match."""
    target, count = path.steps[i], len(path.steps)
    if not isinstance(node, (dict, list)):
        return
    if target.kind == "name":
        matches = isinstance(node, dict) and ((len(target.names) > 1 and i < count - 1)
                                              or all(name in node for name in target.names))
    elif target.kind == "filter":
        matches = _accept(target, node, root)
    else:
        matches = target.kind == "wild" or (target.kind in ("index", "slice") and isinstance(node, list))
    if matches and (isinstance(node, dict) or i == count - 1):
        yield from _run(path, i, node, root, require)
    elif matches:
        # On an array Jayway skips the target and runs the rest on every item; a lone leaf property after it
        # is kept only for the item whose index the target names ($..[2].author).
        lone = i + 2 == count and path.steps[i + 1].kind == "name" and len(path.steps[i + 1].names) == 1
        for index, item in enumerate(node):
            if not lone or (target.kind == "index" and target.indexes == (index,)):
                yield from _run(path, i + 1, item, root, require)
    for child in list(node.values() if isinstance(node, dict) else node):
        yield from _scan(path, i, child, root, require)


def _accept(step: _Step, item: Any, root: Any) -> bool:
    assert step.expression is not None
    try:
        return bool(step.expression.evaluate(selectors.FilterContext(env=_ENV, current=item, root=root)))
    except _InvalidPath:
        return False


def _value(path: CompiledPath, document: Any, root: Any, require: bool = False) -> Any:
    """Jayway's getValue(): the last value of a definite path (PathNotFound if none), else the list."""
    values = list(_run(path, 0, document, root, require))
    if path.definite and not values:
        raise _NotFound
    return values[-1] if path.definite else values


# ------------------------------------------------------------------ functions: Jayway's PathFunctions
def _call(step: _Step, model: Any, root: Any) -> Any:
    name = step.func
    if name not in _FUNCTIONS:  # Jayway compiles any name and fails when it runs
        known = ", ".join(sorted(_FUNCTIONS))
        raise _EvalError(f"Function with name: {name} does not exist; Jayway has {known}")
    if name in ("length", "size"):
        if step.args and not isinstance(step.args[0], CompiledPath):
            raise _EvalError(f"{name}() takes a path argument")
        inner = _value(step.args[0], model, model) if step.args else None
        if isinstance(inner, list):
            return len(inner)
        return len(model) if isinstance(model, (list, dict)) else None
    args = [arg[0] if isinstance(arg, tuple) else _value(arg, root, root) for arg in step.args]
    flat = [item for arg in args for item in (arg if isinstance(arg, list) else [arg])]
    if name == "append":
        return [*model, *args] if isinstance(model, list) else model  # Jayway appends in place; this copies
    if name == "keys":
        return list(model) if isinstance(model, dict) else None
    if name == "concat":
        own = [item for item in model if isinstance(item, str)] if isinstance(model, list) else []
        return "".join(own + [_java_str(item) for item in flat if item is not None])
    if name in ("first", "last", "index"):
        if not isinstance(model, list):
            raise _EvalError("Aggregation function attempted to calculate value using empty array")
        numbers = [item for item in flat if _number(item)]
        if name == "index" and not numbers:
            raise _EvalError("index() needs a number argument")
        target = int(numbers[0]) if name == "index" else 0 if name == "first" else -1
        real = target if target >= 0 else len(model) + target
        if real >= len(model) or (target < 0 and real <= 0):  # sic: Jayway's last() of one item fails
            raise _EvalError(f"Target index:{target} larger than object count:{len(model)}")
        return model[real]
    numbers = [float(item) for item in (model if isinstance(model, list) else []) + flat if _number(item)]
    if not numbers:
        raise _EvalError("Aggregation function attempted to calculate value using empty array")
    total = squares = 0.0
    low, high = 1.7976931348623157e308, 5e-324  # Jayway starts max() at Double.MIN_VALUE
    for number in numbers:  # in order, as Java adds doubles
        total, squares = total + number, squares + number * number
        low, high = min(low, number), max(high, number)
    variance = squares / len(numbers) - total * total / len(numbers) / len(numbers)
    return {"sum": total, "avg": total / len(numbers), "min": low, "max": high,
            "stddev": math.sqrt(variance) if variance >= 0 else math.nan}[name]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ------------------------------------------------------------ filters: Jayway's ValueNodes and Evaluators
class _Operand:
    """A filter's path, read lazily: as a value for a comparison, as an existence check on its own."""

    __slots__ = ("document", "path", "root")

    def __init__(self, path: CompiledPath, document: Any, root: Any) -> None:
        self.path, self.document, self.root = path, document, root

    def value(self) -> Any:
        try:
            return _value(self.path, self.document, self.root)
        except _NotFound:
            return _UNDEF

    def exists(self) -> bool:
        try:
            _value(self.path, self.document, self.root, require=True)
        except _NotFound:
            return False
        return True


class _Logical(nodes.InfixExpression):
    """&& and || as Java evaluates them: the right side only when the left does not decide (it may throw)."""

    __slots__ = ()

    def evaluate(self, context: selectors.FilterContext) -> bool:
        env = context.env
        left = env.is_truthy(self.left.evaluate(context))
        if left == (self.operator == "||"):
            return left
        return bool(env.is_truthy(self.right.evaluate(context)))


class _PathExpression(nodes.BaseExpression):
    """An @ or $ path inside a filter, read with Jayway's path semantics."""

    __slots__ = ("path", "relative")
    FORCE_CACHE = True

    def __init__(self, path: CompiledPath, relative: bool) -> None:
        self.path, self.relative = path, relative
        super().__init__()
        self.volatile = relative

    def evaluate(self, context: selectors.FilterContext) -> _Operand:
        return _Operand(self.path, context.current if self.relative else context.root, context.root)

    async def evaluate_async(self, context: selectors.FilterContext) -> _Operand:
        return self.evaluate(context)

    def children(self) -> list[nodes.BaseExpression]:
        return []

    def set_children(self, children: list[nodes.BaseExpression]) -> None:
        return


def _kind(value: Any) -> str:
    if value is _UNDEF or value is None or isinstance(value, bool):
        return "undefined" if value is _UNDEF else "null" if value is None else "boolean"
    if isinstance(value, (int, float, str)):
        return "string" if isinstance(value, str) else "number"
    if isinstance(value, (list, dict)):
        return "json"
    return "pattern" if isinstance(value, re.Pattern) else "other"


def _decimal(value: Any) -> Decimal | None:
    if _kind(value) == "number":
        return Decimal(value if isinstance(value, int) else repr(value))  # a JavaBigDecimal's repr is its text
    is_number = isinstance(value, str) and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value)
    return Decimal(value) if is_number else None  # Jayway reads such a string as a BigDecimal


def _equal(left: Any, right: Any) -> bool:
    """Jayway's left.equals(right): a number equals a string of its value, a string a number's text."""
    lkind, rkind = _kind(left), _kind(right)
    if lkind == rkind == "json":
        return _same_json(left, right)
    if lkind == "string" and rkind in ("string", "number"):
        return left == (right if rkind == "string" else _number_text(right))
    if lkind == "number" and rkind in ("string", "number"):
        return _decimal(right) is not None and _decimal(left) == _decimal(right)
    if lkind == rkind == "pattern":
        return (left.pattern, left.flags) == (right.pattern, right.flags)
    return lkind == rkind and lkind in ("boolean", "null") and left == right


def _same_json(left: Any, right: Any) -> bool:
    """Java's equals on parsed JSON: 1 and 1.0 differ, true and 1 differ."""
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_same_json, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same_json(left[key], right[key]) for key in left)
    return bool(left == right)


def _order(left: Any, right: Any) -> int | None:
    if _kind(left) == _kind(right) == "number":
        a, b = _decimal(left), _decimal(right)
    elif _kind(left) == _kind(right) == "string":
        a, b = left.encode("utf-16-be"), right.encode("utf-16-be")  # Java compares UTF-16 code units
    else:
        return None
    return (a > b) - (a < b)  # type: ignore[operator]


def _matches(left: Any, right: Any) -> bool:
    if (_kind(left) == "pattern") == (_kind(right) == "pattern"):
        return False
    pattern, subject = (left, right) if _kind(left) == "pattern" else (right, left)
    inputs = [item if isinstance(item, str) else _number_text(item) if _kind(item) == "number" else
              to_json_text(item) if _kind(item) == "boolean" else "" for item in
              (subject if isinstance(subject, list) else [subject])]
    return any(pattern.fullmatch(text) for text in inputs)


def _in(left: Any, right: Any) -> bool:
    return isinstance(right, list) and any(_equal(left, item) for item in right)


def _both_lists(test: Callable[[list[Any], list[Any]], bool]) -> Callable[[Any, Any], bool]:
    return lambda left, right: isinstance(left, list) and isinstance(right, list) and test(left, right)


def _compared(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    return lambda left, right: (order := _order(left, right)) is not None and test(order)


def _contains(left: Any, right: Any) -> bool:
    if _kind(left) == _kind(right) == "string":
        return right in left
    return isinstance(left, list) and _in(right, left)


def _size(left: Any, right: Any) -> bool:
    if _kind(right) != "number":
        return False
    if isinstance(left, str):
        return len(left.encode("utf-16-le")) // 2 == int(right)  # Java counts UTF-16 units
    return isinstance(left, (list, dict)) and (len(left) if isinstance(left, list) else -1) == int(right)


def _value_list(test: Callable[[Any, Any], bool], *, right_list: bool = False) -> Callable[[Any, Any], bool]:
    """Jayway turns a JSON array on the left into a list of value nodes: an array or object in it fails
    (the set operators first give false when the right side is no list)."""
    def checked(left: Any, right: Any) -> bool:
        if right_list and not isinstance(right, list):
            return False
        if isinstance(left, list) and any(isinstance(item, (list, dict)) for item in left):
            raise _EvalError("Could not determine value type")
        return test(left, right)
    return checked


def _empty(left: Any, right: Any) -> bool:
    if isinstance(left, dict):  # Jayway casts the node to a Collection
        raise _EvalError("empty can not be applied to an object")
    return _kind(right) == "boolean" and isinstance(left, (str, list)) and (len(left) == 0) == right


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _equal,
    "!=": lambda a, b: not _equal(a, b),
    "===": lambda a, b: _kind(a) == _kind(b) and _equal(a, b),
    "!==": lambda a, b: not (_kind(a) == _kind(b) and _equal(a, b)),
    "<": _compared(lambda order: order < 0),
    "<=": _compared(lambda order: order <= 0),
    ">": _compared(lambda order: order > 0),
    ">=": _compared(lambda order: order >= 0),
    "=~": _value_list(_matches),
    "in": _in,
    "nin": lambda a, b: isinstance(b, list) and not _in(a, b),  # Jayway: no list on the right, no match
    "contains": _value_list(_contains),
    "subsetof": _value_list(_both_lists(lambda a, b: all(_in(item, b) for item in a)), right_list=True),
    "anyof": _value_list(_both_lists(lambda a, b: any(_in(item, b) for item in a)), right_list=True),
    "noneof": _value_list(_both_lists(lambda a, b: not any(_in(item, b) for item in a)), right_list=True),
    "size": _size,
    "empty": _empty,
}


# ------------------------------------------------------------ syntax: python-jsonpath told Jayway's grammar
# Jayway names may start with a digit and hold - $ : @; its operator words are case-insensitive
# (&& and || glued to a name are part of it: Jayway reads @.a&&@.b as the one path @.a&&@ . b)
_NAME = r"[^\s.\[\]()'\"=<>!~&|,*][^\s.\[\]()'\"=<>!~,]*"
_WORDS = ("nin", "subsetof", "anyof", "noneof", "size", "empty", "in", "contains")
_RULES = {"J_FUNC": r"\.[A-Za-z_]\w*\(", "J_PROP": r"\." + _NAME, "J_SCAN_NAME": r"(?<=\.\.)" + _NAME,
          "J_WORD": r"(?i:" + "|".join(_WORDS) + r")\b", "J_STRICT": r"===|!==",
          "J_REGEX": r"/(?:\\.|[^/\\])*/[dixmsuU]*"}


class _Lexer(Lexer):
    logical_not_pattern, logical_and_pattern, logical_or_pattern = r"!", r"&&", r"\|\|"

    def __init__(self, *, env: JSONPathEnvironment) -> None:
        super().__init__(env=env)
        self.dot_key_pattern = r"(?!x)x"  # no ~keys selector
        self.rules = self.compile_rules()

    def compile_rules(self) -> re.Pattern[str]:
        extra = "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _RULES.items())
        return re.compile(extra + "|" + super().compile_rules().pattern, re.DOTALL)

    def tokenize(self, path: str) -> Iterator[kinds.Token]:
        tokens = [token for lexed in super().tokenize(path) for token in self._jayway(lexed, path)]
        for token, after in itertools.pairwise(tokens):
            if token.kind in (kinds.TOKEN_ROOT, kinds.TOKEN_SELF) and after.kind in (
                    kinds.TOKEN_AND, kinds.TOKEN_OR) and after.index == token.index + 1:
                raise _Syntax(f"expected '.' or '[' after {token.value!r}; put a blank before {after.value}",
                              token=after)
        following: list[kinds.Token | None] = [*tokens[1:], None]
        for current, nxt in zip(tokens, following):
            if current.kind != kinds.TOKEN_DOT or nxt is None or nxt.kind != kinds.TOKEN_LBRACKET:
                yield current  # Jayway reads $.[0] and $.['a'] as $[0] and $['a']

    @staticmethod
    def _jayway(token: kinds.Token, path: str) -> list[kinds.Token]:
        kind, value, at = token.kind, token.value, token.index

        def make(new_kind: str, text: str, index: int = at) -> kinds.Token:
            return kinds.Token(new_kind, text, index, path)

        if kind == "J_FUNC":
            return [make(kind, value[1:-1], at + 1), make(kinds.TOKEN_LPAREN, "(", at + len(value) - 1)]
        if kind == "J_PROP":
            return [make(kinds.TOKEN_DOT, "."), make(kinds.TOKEN_NAME, value[1:], at + 1)]
        if kind == "J_WORD":
            word = value.lower()
            known = {"in": kinds.TOKEN_IN, "contains": kinds.TOKEN_CONTAINS}
            return [make(known.get(word, "J_" + word), word)]
        if kind == "J_REGEX":
            end = value.rindex("/")
            return [make(kinds.TOKEN_RE_PATTERN, value[1:end], at + 1),
                    make(kinds.TOKEN_RE_FLAGS, value[end + 1:], at + end + 1)]
        literal = kind in (kinds.TOKEN_TRUE, kinds.TOKEN_FALSE, kinds.TOKEN_NIL)
        if kind in ("J_SCAN_NAME", kinds.TOKEN_UNDEFINED, kinds.TOKEN_MISSING) or (
                literal and value not in ("true", "false", "null")):
            return [make(kinds.TOKEN_NAME, value)]  # True, nil, undefined ... are not Jayway literals
        return [make(value if kind == "J_STRICT" else kind, value)]


class _Parser(Parser):
    _EXTRA: ClassVar[dict[str, str]] = {"===": "===", "!==": "!==",
                                        **{"J_" + word: word for word in _WORDS[:6]}}
    INFIX_LITERAL_OPERATORS = Parser.INFIX_LITERAL_OPERATORS | frozenset(_EXTRA.values())
    _FLAGS: ClassVar[dict[str, int]] = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL,
                                        "x": re.VERBOSE}

    def __init__(self, *, env: JSONPathEnvironment) -> None:
        super().__init__(env=env)
        self.PRECEDENCES = {**Parser.PRECEDENCES, **dict.fromkeys(self._EXTRA, Parser.PRECEDENCE_RELATIONAL)}
        self.BINARY_OPERATORS = {**Parser.BINARY_OPERATORS, **self._EXTRA}
        del self.BINARY_OPERATORS[kinds.TOKEN_LG]  # Jayway has no <>

    def parse_query(self, stream: TokenStream) -> Iterator[Any]:
        while True:  # python-jsonpath stops before a .fn( token; Jayway's functions are path steps
            yield from super().parse_query(stream)
            if stream.current().kind != "J_FUNC":
                return
            yield self._function(stream)

    def _function(self, stream: TokenStream) -> _Step:
        token = stream.next()
        if token.value.startswith(_ODD_FUNCTION):
            token = kinds.Token(token.kind, bytes.fromhex(token.value[len(_ODD_FUNCTION):]).decode("utf-8"),
                                token.index, token.path)
        stream.eat(kinds.TOKEN_LPAREN)
        args: list[Any] = []
        while True:
            stream.skip_whitespace()
            if stream.current().kind == kinds.TOKEN_RPAREN:
                break
            current = stream.next()
            if current.kind in (kinds.TOKEN_ROOT, kinds.TOKEN_SELF):  # Jayway reads @ on the document too
                args.append(_finish("", _steps(list(self.parse_query(stream)))))
            elif current.kind in (kinds.TOKEN_INT, kinds.TOKEN_FLOAT):
                text = current.value.lstrip(":")  # python-jsonpath's float rule may take a leading ':'
                args.append((float(text) if any(c in text for c in ".eE") else int(text),))
            elif current.kind == kinds.TOKEN_DOUBLE_QUOTE_STRING:
                args.append((self._decode_string_literal(current),))
            elif current.kind == kinds.TOKEN_LBRACKET:
                stream.pos -= 1
                self.parse_list_literal(stream)  # ignored, as Jayway does
            elif current.kind == kinds.TOKEN_EOF:
                raise _Syntax(f"the arguments of {token.value}() are not closed", token=current)
            elif current.kind not in _SKIPPED_ARGUMENTS:
                raise _Syntax(f"unexpected {current.value!r} in {token.value}()", token=current)
            stream.skip_whitespace()
            if stream.current().kind == kinds.TOKEN_COMMA:
                stream.next()
            elif stream.current().kind != kinds.TOKEN_RPAREN:
                raise _Syntax(f"the arguments of {token.value}() are not closed", token=stream.current())
        stream.next()
        return _Step("func", func=token.value, args=_length_argument(token.value, tuple(args)))

    def parse_filter_selector(self, stream: TokenStream, *, keys: bool = False) -> selectors.Filter:
        token = stream.next()
        stream.skip_whitespace()
        if stream.current().kind != kinds.TOKEN_LPAREN:
            raise _Syntax("a Jayway filter is written [?(...)]", token=token)
        expression = self.parse_grouped_expression(stream)
        stream.skip_whitespace()
        if stream.current().kind != kinds.TOKEN_RBRACKET:
            raise _Syntax("a Jayway filter is written [?(...)]", token=stream.current())
        if isinstance(expression, (nodes.FilterExpressionLiteral, nodes.Nil, nodes.ListLiteral)):
            raise _Syntax("a filter needs a path or a comparison", token=token)
        return selectors.Filter(env=self.env, token=token, expression=nodes.FilterExpression(expression))

    def parse_prefix_expression(self, stream: TokenStream) -> nodes.BaseExpression:
        expression = super().parse_prefix_expression(stream)
        stream.skip_whitespace()
        kind = stream.current().kind
        compared = kind in self.BINARY_OPERATORS and kind not in (kinds.TOKEN_AND, kinds.TOKEN_OR)
        if compared and isinstance(getattr(expression, "right", None), _PathExpression):
            return expression.right  # type: ignore[attr-defined]  # Jayway: !@.a == 1 is @.a == 1
        return expression

    def parse_singular_query_selector(self, stream: TokenStream) -> selectors.SingularQuerySelector:
        raise _Syntax("Jayway brackets hold 'names', indexes, a slice, * or [?(...)]; quote names as ['a']",
                      token=stream.current())

    def parse_infix_expression(self, stream: TokenStream, left: nodes.BaseExpression) -> nodes.BaseExpression:
        if stream.current().kind not in self.BINARY_OPERATORS:
            raise _Syntax(f"unexpected {stream.current().value!r} in a filter", token=stream.current())
        if stream.current().kind not in (kinds.TOKEN_AND, kinds.TOKEN_OR) and isinstance(
                left, (nodes.InfixExpression, nodes.PrefixExpression)):  # Jayway: Value [operator Value]
            raise _Syntax(f"unexpected {stream.current().value!r} after a comparison; join comparisons with "
                          "&& or ||", token=stream.current())
        expression = super().parse_infix_expression(stream, left)
        if isinstance(expression, nodes.InfixExpression) and expression.operator not in ("&&", "||") and (
                isinstance(expression.right, nodes.InfixExpression)
                and expression.right.operator not in ("&&", "||")):
            raise _Syntax(f"{expression.operator!r} is followed by another comparison; join comparisons with "
                          "&& or ||", token=stream.current())
        if isinstance(expression, nodes.InfixExpression) and expression.operator in ("&&", "||"):
            expression.__class__ = _Logical
        return expression

    def parse_relative_query(self, stream: TokenStream) -> nodes.BaseExpression:
        relative = stream.next().kind == kinds.TOKEN_SELF
        return _PathExpression(_finish("", _steps(list(self.parse_query(stream)))), relative)

    parse_absolute_query = parse_relative_query

    def parse_regex(self, stream: TokenStream) -> nodes.BaseExpression:
        token, letters = stream.next(), stream.next().value
        flags = 0 if "u" in letters or "U" in letters else re.ASCII  # Java's classes and case are ASCII
        for letter in letters:
            flags |= self._FLAGS.get(letter, 0)
        try:  # Java names groups (?<name>...)
            pattern = re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", token.value)
            return nodes.RegexLiteral(value=re.compile(pattern, flags))
        except re.error as err:
            raise _Syntax(f"invalid regular expression /{token.value}/: {err}", token=token) from None


class _Environment(JSONPathEnvironment):
    pseudo_root_token = filter_context_token = intersection_token = key_token = ""  # none of these in Jayway
    keys_selector_token = keys_filter_token = union_token = ""
    lexer_class, parser_class = _Lexer, _Parser

    def __init__(self) -> None:
        super().__init__(well_typed=False)

    def setup_function_extensions(self) -> None:
        return  # Jayway has no RFC 9535 filter functions

    def is_truthy(self, obj: object) -> bool:
        return obj.exists() if isinstance(obj, _Operand) else bool(obj)

    def compare(self, left: object, operator: str, right: object) -> bool:
        if operator in ("&&", "||"):
            return super().compare(left, operator, right)
        values = [side.value() if isinstance(side, _Operand) else side for side in (left, right)]
        return _RELATIONS[operator](*values)


_ENV = _Environment()


def compile_path(path: str) -> CompiledPath:
    """Parse ``path`` as Jayway does (cached per string); JsonPathError says what is wrong and where."""
    if not isinstance(path, str) or not path.strip():
        raise JsonPathError(str(path), "a JSONPath must be a non-empty string such as $.id")
    return _compile(path)


@lru_cache(maxsize=2048)
def _compile(path: str) -> CompiledPath:
    # Jayway looks at the first character before trimming: a.b reads as $.a.b and @.a as $.a, but " $.a"
    # becomes "$. $.a", which does not parse; blanks at the end are trimmed away
    offset = 0 if path[0] in "$@" else 2
    text = _java_trim("$" + path[1:] if offset == 0 else "$." + path)
    if text.endswith("."):
        raise JsonPathError(path, "a path must not end with '.' or '..'")
    if len(text) > 2 and text[1] == "." and text[2] <= " ":
        blank = "start with a blank" if offset == 2 else "have a blank after its first '.'"
        raise JsonPathError(path, f"a path must not {blank}; remove it")
    if len(text) > 1 and text[1] not in ".[":
        raise JsonPathError(path, f"expected '.' or '[' after {path[0]!r}")
    try:
        text = _dotted_names(path, text, offset)
        return _finish(path, _steps(list(_ENV.parser.parse(TokenStream(_ENV.lexer.tokenize(text))))))
    except JSONPathError as err:
        at = err.token.index - offset if err.token and err.token.index >= 0 else None
        where = "" if at is None else f" at position {max(0, at)}"
        message = re.sub(r"'?TOKEN_(\w+?)'?(?=\W|$)", lambda m: m.group(1).lower().replace("_", " "),
                         str(err.message))  # "expected TOKEN_COMMA" -> "expected comma"
        if message == "unexpected token '{'":
            message += " (JSON object literals are not supported in filters)"
        raise JsonPathError(path, message + where) from None
    except RecursionError:
        raise JsonPathError(path, "the path is nested too deeply") from None


_PLAIN_NAME = re.compile(_NAME + r"\Z")
_ODD_FUNCTION = "_jayway_fn_"


def _dotted_names(path: str, text: str, offset: int) -> str:
    """Jayway's path compiler (outside filters) reads a dotted name up to the next '.', '[' or '(': any other
    character, ``|`` ``!`` ``=`` ``<`` ``@`` ``'`` included, belongs to the name, and a blank is an error. Such
    names are rewritten here in bracket notation (function names in a form the lexer takes) before lexing.
    As in Jayway, a token may follow a ']', ')' or '*' directly (``$[0]name``, ``$[?(...)]*``), and a single
    character left after a token is ignored (its CharacterIndex stops one short: ``$.a[*]:`` is ``$.a[*]``)."""
    out: list[str] = []

    def glued(i: int) -> int:  # Jayway's readNextToken right after a token ended at i
        if i >= len(text) - 1:
            return len(text)
        ch = text[i]
        if ch in ".[":
            return i
        if ch == "*":
            out.append("[*]")
            return glued(i + 1)
        if ch == " ":
            raise JsonPathError(path, f"could not parse a token at position {max(0, i - offset)}")
        return name(i, i, 0)

    def name(start: int, i: int, dots: int) -> int:  # a property or function name from i, after `dots` dots
        end = i
        while end < len(text) and text[end] not in ".[(":
            end += 1
        word = text[i:end]
        if " " in word or any(c <= " " for c in word):
            raise JsonPathError(path, "a name with a blank needs bracket notation, as ['my prop'] "
                                      f"(position {max(0, i + word.index(' ') - offset)})"
                                if " " in word else "a name must not hold control characters")
        if end < len(text) and text[end] == "(":
            plain = re.fullmatch(r"[A-Za-z_]\w*", word) and _PLAIN_NAME.match(word)
            out.append("." * max(dots, 1) + (word if plain else _ODD_FUNCTION + word.encode("utf-8").hex()))
            return end
        if dots and _PLAIN_NAME.match(word):
            out.append(text[start:end])
        else:
            escaped = word.replace("\\", "\\\\").replace("'", "\\'")
            out.append((".." if dots == 2 else "") + f"['{escaped}']")
        return glued(end)

    i, depth, quote = 0, 0, ""
    filters: list[int] = []  # the bracket depth of each open filter
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            quote = "" if ch == quote else quote
        elif depth and ch in "'\"":
            quote = ch
        elif filters and ch == "/" and text[:i].rstrip().endswith("~"):  # a pattern: to its closing '/'
            end = _unescaped(text, "/", i + 1)
            if end > 0:
                out.append(text[i:end + 1])
                i = end + 1
                continue
        elif filters and ch in "@$":
            end = _filter_path_end(text, i)
            if end < 0:  # the brackets do not match: the parser says where
                out.append(text[i:])
                break
            inner = text[i:end]
            if "&" in inner or "|" in inner:  # glued '&&' / '||' belong to the path, as in Jayway
                inner = inner[0] + _dotted_names(path, "$" + inner[1:], offset)[1:]
            out.append(inner)
            i = end
            continue
        elif ch in "[(":
            depth += 1
            if ch == "[" and text[i + 1:].lstrip().startswith("?"):
                filters.append(depth)
        elif ch in "])" and depth:
            if filters and filters[-1] == depth and ch == "]":
                filters.pop()
            depth -= 1
            if depth == 0:  # a bracket token or a function call ended
                out.append(ch)
                i = glued(i + 1)
                continue
        elif ch == "." and depth == 0:
            dots = 2 if text.startswith("..", i) else 1
            if text.startswith("...", i):
                raise JsonPathError(path, f"'...' is not valid (position {max(0, i + 2 - offset)})")
            if text.startswith("*", i + dots):  # a wildcard token, and whatever follows it
                out.append(text[i:i + dots + 1])
                i = glued(i + dots + 1)
            elif i + dots < len(text) and text[i + dots] not in "[":
                i = name(i, i + dots, dots)
            else:
                out.append(text[i:i + dots])
                i += dots
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unescaped(text: str, char: str, start: int) -> int:
    """The index of the next ``char`` not after a backslash, from ``start``; -1 if none."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def _matching_bracket(text: str, start: int) -> int:
    """The ']' closing the '[' at ``start`` (quoted text skipped), as Jayway's indexOfMatchingCloseChar; -1."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            i = _unescaped(text, ch, i + 1)
            if i < 0:
                return -1
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _filter_path_end(text: str, start: int) -> int:
    """Where Jayway's FilterCompiler.readPath ends a path starting at ``start``: at a blank, a relational
    character (< > = ~ !) or a ')' that does not close a function call; '&' and '|' do not end it."""
    i = start + 1
    while i < len(text):
        if text[i] == "[":
            close = _matching_bracket(text, i)
            if close < 0:
                return -1
            i = close + 1
            if i >= len(text):
                break
        ch = text[i]
        if ch == ")":
            before = text[start:i].rstrip()
            if not (before.endswith("(") and "." in before[1:-1]):
                break
        elif ch in "<>=~! ":
            break
        i += 1
    return i


def _java_trim(text: str) -> str:
    """Java's String.trim(): every character up to U+0020 off both ends."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def evaluate(path: str, document: Any) -> PathResult:
    """Read ``path`` from ``document`` as Jayway 2.10 does with default options; JsonPathError if it fails."""
    return compile_path(path).evaluate(document)


# ------------------------------------------------------------------ JSON text
class JavaBigDecimal(float):
    """A JSON number json-smart keeps as a BigDecimal: written with a fraction or exponent in more than 18
    characters. It prints as BigDecimal.toString() of its text (``0.1234567890123456789`` keeps every digit),
    compares by its exact value in filters, and counts as its double in min/max/avg/sum/stddev, as in Jayway.
    """

    text: str

    def __new__(cls, text: str) -> JavaBigDecimal:  # noqa: PYI034
        number = super().__new__(cls, text)
        exact = Decimal(text)
        number.text = str(exact.copy_abs() if exact.is_zero() else exact)  # BigDecimal has no -0
        return number

    def __repr__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[Any, ...]:
        return JavaBigDecimal, (self.text,)


def _json_smart_float(text: str) -> float:
    return JavaBigDecimal(text) if len(text) > 18 else float(text)


def parse_json(text: str | bytes) -> Any:
    """JSON text parsed as Jayway's json-smart provider parses it: a long decimal stays exact (JavaBigDecimal),
    other numbers with a fraction or exponent are doubles, integers stay integers of any size."""
    return json.loads(text, parse_float=_json_smart_float)


def to_json_text(value: Any) -> str:
    """A translated value as JSON text: doubles as Java prints them, ', ' and ': ' between members."""
    return _dump(value, ", ", ": ")


def _dump(value: Any, comma: str, colon: str) -> str:
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value) if isinstance(value, int) else _number_text(value)
    if isinstance(value, dict):
        return "{" + comma.join(json.dumps(str(key), ensure_ascii=False) + colon + _dump(item, comma, colon)
                                for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + comma.join(_dump(item, comma, colon) for item in value) + "]"
    return json.dumps(value if isinstance(value, str) else str(value), ensure_ascii=False)


def _java_str(value: Any) -> str:
    """Java's toString() of a JSON value, as concat() uses it: an object is json-smart's LinkedHashMap
    (``{k=v, k2=v2}``, strings unquoted), an array its JSONArray (JSON text)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={'null' if item is None else _java_str(item)}"
                               for key, item in value.items()) + "}"
    return value if isinstance(value, str) else _dump(value, ",", ":")


def _number_text(number: float) -> str:
    """Java's Double.toString (ints as they are): plain from 1e-3 to 1e7, else d.dddE±n, with a fraction."""
    if isinstance(number, JavaBigDecimal):
        return number.text
    if isinstance(number, int) or math.isnan(number) or math.isinf(number):
        return str(number) if isinstance(number, int) else "NaN" if math.isnan(number) else (
            "Infinity" if number > 0 else "-Infinity")
    if number == 0:
        return "-0.0" if math.copysign(1.0, number) < 0 else "0.0"
    sign, digit_tuple, exponent = Decimal(repr(number)).as_tuple()
    digits, point = "".join(map(str, digit_tuple)).rstrip("0") or "0", len(digit_tuple) + int(exponent)
    if len(digits) == 1:  # Java shows at least two digits, the pair nearest the exact value: 4.9E-324
        mantissa, _, power = f"{abs(number):.1e}".partition("e")
        digits, point = mantissa.replace(".", "").rstrip("0") or "0", int(power) + 1
    if not 1e-3 <= abs(number) < 1e7:
        text = f"{digits[0]}.{digits[1:] or '0'}E{point - 1}"
    elif point <= 0:
        text = "0." + "0" * -point + digits
    else:
        text = digits[:point] + "0" * (point - len(digits)) + "." + (digits[point:] or "0")
    return ("-" if sign else "") + text
