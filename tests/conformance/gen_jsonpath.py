"""Seeded generators of Jayway JSONPaths and of the JSON documents they read.

The grammar covered: dot and bracket notation, quoted names and multi-name brackets, indexes and index
lists, slices, wildcards, deep scan, filters (comparisons, regex, in/nin/contains/subsetof/anyof/noneof/
size/empty, && || !, existence, $-rooted operands, functions inside filters, flat list literals of scalars:
Jayway reads a nested list or a bare $.a inside [...] as json-smart's permissive JSON, which the engine
refuses) and the path functions
length/size/min/max/avg/sum/stddev/first/last/index/keys/concat/append. A few paths in each batch are
mutated by one keystroke or written without ``$`` / with a leading blank, so that compile verdicts are
compared too. Documents carry every JSON type, numbers written in many ways (long decimals, exponents,
big integers) and the names the paths use.
"""
from __future__ import annotations

import json
import random
from typing import Any

NAMES = ["a", "b", "c", "id", "name", "price", "tags", "items", "x-y", "n1"]
STRINGS = ["", "a", "abc", "Ada", "x y", "10", "1.5", "true", "é", "A1", "b"]
NUMBER_TEXTS = ["0", "1", "-1", "2", "3", "10", "42", "2147483648", "12345678901234567890", "0.5", "1.0",
                "2.50", "-0.0", "1e5", "1E+2", "3.14", "0.1234567890123456789", "-12.345678901234567891",
                "100.10", "1.5e-7", "123456789.123456789", "7.0E-10"]
FUNCTIONS = ["length", "size", "min", "max", "avg", "sum", "stddev", "first", "last", "keys", "concat",
             "append", "index"]
OPERATORS = ["==", "!=", "<", "<=", ">", ">=", "===", "!=="]
WORD_OPERATORS = ["in", "nin", "subsetof", "anyof", "noneof", "contains", "size", "empty"]


class _Text:
    """A JSON number kept as the text it is written in, so documents can say 0.1234567890123456789."""

    def __init__(self, text: str) -> None:
        self.text = text


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth < 3 and roll < 0.22:
        return {name: _value(rng, depth + 1) for name in rng.sample(NAMES, rng.randint(0, 4))}
    if depth < 3 and roll < 0.42:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.68:
        return _Text(rng.choice(NUMBER_TEXTS))
    if roll < 0.88:
        return rng.choice(STRINGS)
    return rng.choice([True, False, None])


def _dump(value: Any) -> str:
    if isinstance(value, _Text):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + _dump(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def document(rng: random.Random) -> str:
    """A JSON document as text: an object, sometimes an array, with the paths' names at several levels."""
    if rng.random() < 0.15:
        return _dump([_value(rng, 1) for _ in range(rng.randint(0, 4))])
    root = {name: _value(rng, 1) for name in rng.sample(NAMES, rng.randint(2, 6))}
    if rng.random() < 0.6:
        root["items"] = [{name: _value(rng, 2) for name in rng.sample(NAMES, rng.randint(1, 4))}
                         for _ in range(rng.randint(0, 4))]
    return _dump(root)


def _literal(rng: random.Random, in_list: bool = False) -> str:
    roll = rng.random() * (0.85 if in_list else 1)  # a list literal holds scalars
    if roll < 0.4:
        return rng.choice(NUMBER_TEXTS[:12])
    if roll < 0.75:
        quote = rng.choice(["'", "'", '"'])
        return quote + rng.choice(STRINGS) + quote
    if roll < 0.85:
        return rng.choice(["true", "false", "null"])
    if roll < 0.95:
        return "[" + ",".join(_literal(rng, True) for _ in range(rng.randint(0, 3))) + "]"
    return "$." + rng.choice(NAMES)


def _operand_path(rng: random.Random) -> str:
    head = rng.choice(["@", "@", "@", "$"])
    parts = [f".{rng.choice(NAMES)}" if rng.random() < 0.8 else f"['{rng.choice(NAMES)}']"
             for _ in range(rng.randint(0 if head == "@" else 1, 2))]
    if rng.random() < 0.12:
        parts.append(rng.choice([".length()", ".size()", ".min()", ".max()", ".sum()"]))
    if rng.random() < 0.08:
        parts.append("[0]")
    return head + "".join(parts)


def _filter(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth < 2 and roll < 0.15:
        joiner = rng.choice([" && ", " || ", "&&", "||"])
        return _filter(rng, depth + 1) + joiner + _filter(rng, depth + 1)
    if depth < 2 and roll < 0.2:
        return "(" + _filter(rng, depth + 1) + ")"
    if roll < 0.3:
        return ("!" if rng.random() < 0.4 else "") + _operand_path(rng)
    if roll < 0.45:
        flags = rng.choice(["", "", "i"])
        pattern = rng.choice(["a.*", "A.*", "[0-9]+", ".*b", "x y", "^a", "\\d", "e"])
        return f"{_operand_path(rng)} =~ /{pattern}/{flags}"
    if roll < 0.65:
        word = rng.choice(WORD_OPERATORS)
        right = {"size": rng.choice(["0", "1", "2", "3"]), "empty": rng.choice(["true", "false"])}.get(
            word, _literal(rng))
        return f"{_operand_path(rng)} {word} {right}"
    left, right = _operand_path(rng), _literal(rng)
    if rng.random() < 0.2:
        left, right = right, left
    space = rng.choice([" ", "", " "])
    return f"{left}{space}{rng.choice(OPERATORS)}{space}{right}"


def _segment(rng: random.Random) -> str:
    roll = rng.random()
    name = rng.choice(NAMES)
    if roll < 0.3:
        return "." + name
    if roll < 0.38:
        quote = rng.choice(["'", '"'])
        return f"[{quote}{name}{quote}]"
    if roll < 0.43:
        return "[" + ",".join(f"'{n}'" for n in rng.sample(NAMES, rng.randint(2, 3))) + "]"
    if roll < 0.5:
        return f"[{rng.choice([0, 1, 2, -1, -2, 5])}]"
    if roll < 0.53:
        return "[" + ",".join(str(rng.randint(-2, 3)) for _ in range(rng.randint(2, 3))) + "]"
    if roll < 0.6:
        start, end = rng.choice(["", "0", "1", "-1", "-2"]), rng.choice(["", "1", "2", "-1", "3"])
        return f"[{start}:{end}]" if start or end else "[1:]"
    if roll < 0.68:
        return rng.choice([".*", "[*]"])
    if roll < 0.78:
        return ".." + rng.choice([name, name, "*", f"['{name}']", "[0]", "[*]"])
    return f"[?({_filter(rng)})]"


def _function(rng: random.Random) -> str:
    name = rng.choice(FUNCTIONS)
    if name == "index":
        return f".index({rng.choice([0, 1, -1, 2])})"
    if name in ("concat", "append"):
        args = [rng.choice(['"x"', "1", "$.a", "@.b", "2.5"]) for _ in range(rng.randint(0, 2))]
        return f".{name}({', '.join(args)})"
    if name in ("sum", "max", "min", "avg") and rng.random() < 0.2:
        return f".{name}({rng.choice(['1', '$.a', '$..price'])})"
    return f".{name}()"


def _mutate(rng: random.Random, path: str) -> str:
    roll = rng.random()
    if roll < 0.25:
        return " " + path
    if roll < 0.4:
        return path[1:].lstrip(".")  # without the leading $
    at = rng.randrange(len(path) + 1)
    if roll < 0.7:
        return path[:at] + rng.choice("$.[]()'\"?@*,: =<>!~&|-x0") + path[at:]
    if roll < 0.9 and at < len(path):
        return path[:at] + path[at + 1:]
    return path[:at]


def path(rng: random.Random) -> str:
    """One JSONPath over the grammar; about one in eight mutated by a keystroke."""
    text = "$" + "".join(_segment(rng) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.25:
        text += _function(rng)
    if rng.random() < 0.12:
        text = _mutate(rng, text) or "$"
    return text


def cases(seed: int, count: int) -> list[tuple[str, str]]:
    """``count`` (path, document text) pairs from ``seed``."""
    rng = random.Random(seed)
    return [(path(rng), document(rng)) for _ in range(count)]
