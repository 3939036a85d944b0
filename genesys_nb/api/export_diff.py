"""A readable diff of two action exports: templates as text with line numbers, maps and schemas as JSON paths.

Both sides are put in canonical form first (:func:`~genesys_nb.api.export.canonical_export`), so key
order and the platform's template URIs never show up as a change. Key order inside a map (``headers``,
``properties``) is not a change either; the order of a list (``required``, ``enum``) is.

>>> old = {"name": "A", "config": {"response": {"translationMap": {"tier": "$.tier"}}}}
>>> new = {"name": "A", "config": {"response": {"translationMap": {"tier": "$.level"}}}}
>>> print(diff_exports(old, new, a_label="old", b_label="new").text())
--- old
+++ new
~ $.config.response.translationMap.tier: "$.tier" -> "$.level"
"""
from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_nb.api.export import canonical_export

__all__ = ["TEXT_FIELDS", "ActionDiff", "Change", "ExportsDiff", "diff_exports", "json_path", "pair_exports"]

# Velocity templates: compared line by line, shown with the line numbers of each side.
TEXT_FIELDS = ("$.config.request.requestTemplate", "$.config.response.successTemplate")
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_CONTEXT_LINES = 1


def json_path(parent: str, key: str | int) -> str:
    """``parent`` extended by one key or index: ``$.a.b``, ``$.a['results.id']``, ``$.a[0]``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if _PLAIN_KEY.match(key) else f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` is added, removed, changed or text (a template; ``lines`` show it)."""

    path: str
    kind: str
    old: Any = None
    new: Any = None
    lines: tuple[str, ...] = ()

    def text(self) -> str:
        if self.kind == "added":
            return f"+ {self.path}: {_show(self.new)}"
        if self.kind == "removed":
            return f"- {self.path}: {_show(self.old)}"
        if self.kind == "changed":
            return f"~ {self.path}: {_show(self.old)} -> {_show(self.new)}"
        return "\n".join([f"~ {self.path} (template, by line)", *(f"    {line}" for line in self.lines)])


@dataclass
class ActionDiff:
    """The changes from ``a`` to ``b`` (empty when they are the same action); ``text()`` prints them."""

    a_label: str
    b_label: str
    changes: list[Change] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.changes

    def __bool__(self) -> bool:
        """True when the two differ (so ``if client.diff(a, b):`` reads as "if they differ")."""
        return bool(self.changes)

    @property
    def paths(self) -> list[str]:
        return [change.path for change in self.changes]

    def text(self) -> str:
        head = [f"--- {self.a_label}", f"+++ {self.b_label}"]
        if not self.changes:
            return "\n".join([*head, "(no difference)"])
        return "\n".join([*head, *(change.text() for change in self.changes)])

    def __str__(self) -> str:
        return self.text()


def _text_lines(old: str, new: str) -> tuple[str, ...]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    if old_lines == new_lines:  # the same lines: only the line ends (or a final newline) changed
        return ("only the line ends differ (\\r\\n against \\n, or a final newline)",)
    width = len(str(max(len(old_lines), len(new_lines), 1)))
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(_CONTEXT_LINES):
        first, last = group[0], group[-1]
        out.append(f"@@ {first[1] + 1}-{last[2]} -> {first[3] + 1}-{last[4]} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(f"  {i + 1:>{width}} | {old_lines[i]}" for i in range(i1, i2))
                continue
            out.extend(f"- {i + 1:>{width}} | {old_lines[i]}" for i in range(i1, i2))
            out.extend(f"+ {j + 1:>{width}} | {new_lines[j]}" for j in range(j1, j2))
    return tuple(out)


def _walk(old: Any, new: Any, path: str, out: list[Change]) -> None:
    if path in TEXT_FIELDS and isinstance(old, str) and isinstance(new, str):
        if old != new:
            out.append(Change(path, "text", old, new, _text_lines(old, new)))
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in old:
            if key not in new:
                out.append(Change(json_path(path, key), "removed", old=old[key]))
            else:
                _walk(old[key], new[key], json_path(path, key), out)
        for key in new:
            if key not in old:
                out.append(Change(json_path(path, key), "added", new=new[key]))
        return
    if (isinstance(old, list) and isinstance(new, list) and len(old) == len(new)
            and any(isinstance(item, (Mapping, list)) for item in [*old, *new])):
        for index, (left, right) in enumerate(zip(old, new)):
            _walk(left, right, json_path(path, index), out)
        return
    if old != new or type(old) is not type(new):
        out.append(Change(path, "changed", old, new))


def diff_exports(a: Mapping[str, Any], b: Mapping[str, Any], *, a_label: str = "a", b_label: str = "b") -> ActionDiff:
    """What changes from export ``a`` to export ``b`` (see the module doc)."""
    changes: list[Change] = []
    _walk(canonical_export(a), canonical_export(b), "$", changes)
    return ActionDiff(a_label, b_label, changes)


@dataclass
class ExportsDiff:
    """Several action diffs (folders, or files against the org), paired by action name.

    True when anything differs: an action changed, or is only on one side (``only_in_a``/``only_in_b``).
    """

    a_label: str
    b_label: str
    diffs: list[ActionDiff] = field(default_factory=list)
    only_in_a: list[str] = field(default_factory=list)
    only_in_b: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(self.diffs) or bool(self.only_in_a or self.only_in_b)

    @property
    def same(self) -> bool:
        return not self

    @property
    def changed(self) -> list[ActionDiff]:
        return [diff for diff in self.diffs if diff]

    def text(self) -> str:
        blocks = [diff.text() for diff in self.changed]
        blocks.extend(f"only in {self.a_label}: {name}" for name in self.only_in_a)
        blocks.extend(f"only in {self.b_label}: {name}" for name in self.only_in_b)
        compared = len(self.diffs)
        summary = (f"{len(self.changed)} of {compared} action(s) differ, {compared - len(self.changed)} the same"
                   + (f"; {len(self.only_in_a)} only in {self.a_label}" if self.only_in_a else "")
                   + (f"; {len(self.only_in_b)} only in {self.b_label}" if self.only_in_b else ""))
        return "\n\n".join([*blocks, summary])

    def __str__(self) -> str:
        return self.text()


def pair_exports(a: Mapping[str, tuple[str, Mapping[str, Any]]], b: Mapping[str, tuple[str, Mapping[str, Any]]],
                 *, a_label: str, b_label: str) -> ExportsDiff:
    """Diff the exports of two sides keyed by action name: ``{name: (label, export)}`` each."""
    result = ExportsDiff(a_label, b_label)
    for name, (label, export) in a.items():
        if name in b:
            result.diffs.append(diff_exports(export, b[name][1], a_label=label, b_label=b[name][0]))
        else:
            result.only_in_a.append(name)
    result.only_in_b = [name for name in b if name not in a]
    return result
