"""Example strings for a regex pattern: one that matches (for a valid case) and one that does not."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["example_for_pattern", "violate_pattern"]

# --------------------------------------------------------------------------------------------
# example strings for a pattern (a small generator over Python's own regex parser)

try:  # Python >= 3.11
    import re._parser as _sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_MAXREPEAT: int = _sre_parse.MAXREPEAT
_CANDIDATE_CHARS = "a0Ax_- .@:/+1zZ9"
_CATEGORY_CHARS = {"CATEGORY_DIGIT": "0", "CATEGORY_NOT_DIGIT": "a", "CATEGORY_WORD": "a",
                   "CATEGORY_NOT_WORD": "-", "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": "a"}


def _in_set(char: str, items: Sequence[Any]) -> bool:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL" and chr(arg) == char:
            return True
        if name == "RANGE" and arg[0] <= ord(char) <= arg[1]:
            return True
        if name == "CATEGORY":
            probe = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_WORD": r"\w",
                     "CATEGORY_NOT_WORD": r"\W", "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S"}
            if str(arg) in probe and re.fullmatch(probe[str(arg)], char):
                return True
    return False


def _render(parsed: Any, stretch: int) -> str | None:
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            negate = any(str(o) == "NEGATE" for o, _ in arg)
            items = [(o, a) for o, a in arg if str(o) != "NEGATE"]
            pool = [chr(a) for o, a in items if str(o) == "LITERAL"] + \
                [chr(a[0]) for o, a in items if str(o) == "RANGE"] + \
                [_CATEGORY_CHARS.get(str(a), "a") for o, a in items if str(o) == "CATEGORY"]
            choices = pool + list(_CANDIDATE_CHARS) if not negate else list(_CANDIDATE_CHARS)
            char = next((c for c in choices if _in_set(c, items) != negate), None)
            if char is None:
                return None
            out.append(char)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            count = low + stretch if high == _MAXREPEAT else min(high, low + stretch)
            piece = _render(sub, stretch)
            if piece is None:
                return None
            out.append(piece * count)
        elif name == "SUBPATTERN":
            piece = _render(arg[-1], stretch)
            if piece is None:
                return None
            out.append(piece)
        elif name == "BRANCH":
            piece = _render(arg[1][0], stretch)
            if piece is None:
                return None
            out.append(piece)
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:  # back-references, conditionals: give up, the caller has other candidates
            return None
    return "".join(out)


def example_for_pattern(pattern: str, *, min_length: int = 0, max_length: int | None = None) -> str | None:
    """A short string matching ``pattern`` (JSON Schema semantics: search) within the length bounds."""
    try:
        compiled = re.compile(pattern)
        parsed = _sre_parse.parse(pattern)
    except (re.error, RecursionError):
        return None
    for stretch in range(64):
        text = _render(parsed, stretch)
        if text is None:
            return None
        if max_length is not None and len(text) > max_length:
            return None
        if len(text) >= min_length and compiled.search(text):
            return text
    return None


def violate_pattern(pattern: str, valid: str, min_length: int, max_length: int | None) -> str | None:
    compiled = re.compile(pattern)
    length = max(min_length, len(valid), 1)
    if max_length is not None:
        length = min(length, max_length)
    candidates = ["!" * length, "~" * length, " " * length]
    for index in range(len(valid)):
        candidates.append(valid[:index] + "!" + valid[index + 1:])
    for text in candidates:
        if min_length <= len(text) and (max_length is None or len(text) <= max_length) \
                and not compiled.search(text):
            return text
    return None


