"""What Velocity 1.7's lexer cannot read at all, found before the template is parsed.

The parser (airspeed's, with the Velocity 1.7 node classes) works on regular expressions; a few of Velocity's
refusals come from its lexer instead (Parser.jjt's token states): a template may not end inside a ``#*``
comment or a ``#[[`` unparsed block, nor right after a bare ``$``, ``$!`` or ``#`` (the lexer is then in
its reference or directive state and meets the end of input). An unclosed ``#*`` is refused only when
nothing follows it: with text after it, Velocity's lexer skips to the end as a comment.

>>> lexical_problem("total: $")[1]
"the template ends with a bare '$'"
>>> lexical_problem("#*") is not None, lexical_problem("#* note"), lexical_problem("## note"), lexical_problem("cost $ 5")
(True, None, None, None)
"""
from __future__ import annotations

import re

__all__ = ["AFTER_PROPERTY", "lexical_problem"]

_SPECIAL = re.compile(r"##|#\*|#\[\[")
_TAIL = re.compile(r"(?:\$!?|#)\Z")
# a reference that ends in ".name" (indexes allowed after it): Velocity's lexer is still in its modifier state
AFTER_PROPERTY = re.compile(r"(?<!\$)\$!?[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[^\]\n]*\])*"
                            r"\.[A-Za-z_][\w-]*(?:\[[^\]\n]*\])*\Z")


def _pending(source: str, start: int, where: str) -> tuple[int, str, str] | None:
    tail = _TAIL.search(source, start)
    if tail is None:
        return None
    return (len(source), f"the template ends with a bare {tail.group()!r} in its last {where}",
            f"remove the {tail.group()!r}, or close the {where}")


def lexical_problem(source: str) -> tuple[int, str, str] | None:
    """(offset, reason, hint) of the first thing Velocity's lexer cannot read in ``source``, else None.

    The offset is where Velocity reports it: the end of the input, just after the last character.
    """
    at = 0
    while True:
        found = _SPECIAL.search(source, at)
        if found is None:
            break
        kind, start = found.group(), found.start()
        if kind == "##" and AFTER_PROPERTY.search(source, max(0, start - 200), start):
            if start + 2 == len(source):
                return len(source), "the template ends with a bare '#'", "remove it, or end the line after it"
            at = start + 2  # "##" right after "$a.b" is text (see Comment in _velocity_nodes)
            continue
        if kind == "##":
            newline = source.find("\n", start)
            if newline < 0:  # a line comment may end the template, unless its last character leaves a "$" or
                return _pending(source, start + 2, "comment")  # "#" pending (prefixes in every lexer state)
            at = newline + 1
            continue
        closing = "*#" if kind == "#*" else "]]#"
        end = source.find(closing, found.end())
        if end < 0:
            if kind == "#[[":
                return len(source), "#[[ unparsed block without its closing ]]#", "close the block with ]]#"
            if found.end() == len(source):
                return len(source), "#* comment without its closing *#", "close the comment with *#"
            return _pending(source, found.end(), "comment")  # with text after it: a comment to the end
        at = end + len(closing)
    tail = _TAIL.search(source, at)
    if tail is not None:
        bare = tail.group()
        return (len(source), f"the template ends with a bare {bare!r}",
                f"remove the {bare!r}, or finish the {'reference' if bare[0] == '$' else 'directive'} it starts")
    return None
