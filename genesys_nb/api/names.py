"""Actions by name wherever an id is accepted: an exact name resolves to its id; an unknown or
ambiguous one is an error that lists the near matches.

Action ids look like ``custom_-_<uuid>`` (``<kind>_-_<id>``); anything else is taken as a name and
looked up with the list endpoint's ``name`` filter. Names are unique in an org; an exact match wins,
then a single match that differs only in case. A name no action has is then tried as an id (an org
may hold an action whose id has another shape); only when no action has that id either is it an
error, which lists the near names.

>>> looks_like_action_id("custom_-_3f0c2c1e-8a51-4c61-9d7e-2a4f1f6b9e10"), looks_like_action_id("Echo")
(True, False)
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from genesys_nb.api.errors import BadRequestError, GenesysNBError, NotFoundError

__all__ = ["UnknownActionError", "aresolve_action_id", "looks_like_action_id", "pick_by_name", "resolve_action_id"]

_ID = re.compile(r"^[A-Za-z0-9]+_-_\S+$")  # the platform's ids: custom_-_<uuid>, static_-_...


class UnknownActionError(GenesysNBError, LookupError):
    """No action has this name (or several differ only in case); ``suggestions`` are the nearest names."""

    def __init__(self, message: str, *, name: str, suggestions: list[str], ambiguous: bool = False) -> None:
        super().__init__(message)
        self.name = name
        self.suggestions = suggestions
        self.ambiguous = ambiguous


def looks_like_action_id(value: str) -> bool:
    return bool(_ID.match(value.strip()))


def pick_by_name(name: str, actions: Iterable[Any], *, everything: Iterable[Any] = ()) -> str:
    """The id of the action called ``name`` among ``actions`` (UnknownActionError listing near matches)."""
    listed = list(actions)
    exact = [a for a in listed if a.name == name]
    if len(exact) == 1:
        return str(exact[0].id)
    folded = [a for a in listed if (a.name or "").casefold() == name.casefold()]
    if len(folded) == 1:
        return str(folded[0].id)
    names = sorted({a.name for a in [*listed, *everything] if a.name})
    if len(folded) > 1:
        raise UnknownActionError(
            f"the action name {name!r} is ambiguous: {', '.join(repr(a.name) for a in folded)}; give the exact "
            "name or the id", name=name, suggestions=[a.name for a in folded], ambiguous=True)
    near = difflib.get_close_matches(name, names, n=5, cutoff=0.5) or [n for n in names if name.casefold() in
                                                                         n.casefold()][:5]
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    raise UnknownActionError(f"no action named {name!r} in this org{hint} (genesys-nb actions list shows them; "
                             "an id looks like custom_-_<uuid>)", name=name, suggestions=near)


# What the platform answers to a get of an id no action has (404), or of text that is no id at all (400).
_NOT_AN_ID = (NotFoundError, BadRequestError)


def resolve_action_id(client: Any, name_or_id: str) -> str:
    """``name_or_id`` itself when it looks like an id, else the id of the action of that name."""
    if not isinstance(name_or_id, str) or not name_or_id.strip():
        raise ValueError("give an action id (custom_-_<uuid>) or an action's exact name")
    if looks_like_action_id(name_or_id):
        return name_or_id.strip()
    candidates = client.list_actions(name=name_or_id)
    try:
        return pick_by_name(name_or_id, candidates)
    except UnknownActionError as missing:
        if missing.ambiguous:  # several names differ only in case: that is the answer, not an id
            raise
        try:
            return str(client.get_action(name_or_id.strip()).id)
        except _NOT_AN_ID:
            return pick_by_name(name_or_id, candidates, everything=client.list_actions())


async def aresolve_action_id(client: Any, name_or_id: str) -> str:
    """The async form of :func:`resolve_action_id`."""
    if not isinstance(name_or_id, str) or not name_or_id.strip():
        raise ValueError("give an action id (custom_-_<uuid>) or an action's exact name")
    if looks_like_action_id(name_or_id):
        return name_or_id.strip()
    candidates = await client.list_actions(name=name_or_id)
    try:
        return pick_by_name(name_or_id, candidates)
    except UnknownActionError as missing:
        if missing.ambiguous:  # several names differ only in case: that is the answer, not an id
            raise
        try:
            return str((await client.get_action(name_or_id.strip())).id)
        except _NOT_AN_ID:
            return pick_by_name(name_or_id, candidates, everything=await client.list_actions())
