"""Escapes and stray dollars of a Velocity template: how Velocity 1.7's lexer leaves ``\\$x``, ``\\#if`` and ``$``.

Split from :mod:`genesys_nb.engine._velocity_refs` (the references themselves);
:mod:`genesys_nb.engine._velocity_nodes` puts both kinds of node into the grammar.
"""
from __future__ import annotations

import re
from typing import Any

from genesys_nb.engine._java import to_java_string
from genesys_nb.engine._velocity_refs import _STRICT, FormalReference, NoMatch, StrictReferenceError, _as

__all__ = ["DollarText", "EscapeRun"]


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
            self.reference.where = self.start
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
            if value is None:  # ASTReference.render: the escape prefix, then the literal (none when $! and even)
                self.reference.note_unresolved(namespace)
                if self.count % 2:
                    stream.write(half + "\\" + self.reference.text)
                else:
                    stream.write(half + half + ("" if self.reference.silent else self.reference.text))
            elif self.count % 2:
                stream.write(half + self.reference.text)
            else:
                stream.write(half + (value if type(value) is str else to_java_string(value)))
        elif self.directive:
            stream.write(half + self.literal)
        else:
            stream.write("\\" * self.count)


class DollarText(_as._Element):
    """A "$", "$!", "${" or "$!{" that starts no reference: text, as Velocity 1.7's lexer leaves it.

    Its "$" and "$!" are prefixes (MORE) of the next token: before "#set(", "#if", "#else", "#end" or "#*"
    they vanish; before another "#word" they make it an unknown directive, printed as written; before
    "#[[" they join the block, which then loses its first three characters; "$\\!name.b" prints "$!name".
    A "$!" before a blank prints as "$", before a "." as nothing.
    """

    end: int
    START = re.compile(r"(\$!?\{?)")
    RUN = re.compile(r"(?:\$!?)+")
    VANISHES = re.compile(r"#(?:set *\(|\{set\} *\(|(?:if|elseif|else|end)(?![A-Za-z0-9_])|\{(?:if|elseif)\}|\*)")
    WORD = re.compile(r"#(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})")
    BLOCK = re.compile(r"#\[\[.*?\]\]#", re.DOTALL)
    BANG = re.compile(r"\\!(?:([A-Za-z_][\w-]*)(?:\.[A-Za-z_][\w-]*(?:\([^()]*\))?|\[[^\]]*\])*|\{)")
    strict_name = ""

    def parse(self) -> None:
        full = self._full_text
        run = self.RUN.match(full, self.end)
        if run is not None:
            after = run.end()
            if self.VANISHES.match(full, after):
                self.text, self.end = "", after
                return
            for pattern in (self.WORD, self.BLOCK):
                found = pattern.match(full, after)
                if found is not None:
                    image = full[self.end:found.end()]
                    self.text, self.end = (image if pattern is self.WORD else image[3:-3]), found.end()
                    return
            bang = self.BANG.match(full, after) if run.group() == "$" else None
            if bang is not None:
                self.strict_name = bang.group(1) or ""
                self.text = "$!" + (bang.group(1) or "{")
                self.end = bang.end()
                return
        self.text, = self.identity_match(self.START)
        if self.text == "$!":
            following = full[self.end:self.end + 1]
            if following in (" ", "\t", "\n", "\r"):
                self.text = "$"
            elif following == ".":
                self.text = ""

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        if self.strict_name and _STRICT.get():
            raise StrictReferenceError(f"Variable $$!{self.strict_name} has not been set", self._full_text, self.start)
        stream.write(self.text)
