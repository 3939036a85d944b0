"""Actions as files, for both clients: ``pull`` the org's actions into export files, ``diff`` files and org.

    client.pull(out_dir="actions")                          # every action, every page, one file each
    client.pull(["Get Customer By Phone"], out_dir="actions", draft=True)
    client.diff("actions/")                                 # what the files change in the org's published actions
    client.diff("actions/lookup.json", "Get Customer By Phone", draft=True)

A diff operand is an export dict, an :class:`~genesys_nb.api.models.Action`, a file, a folder of
``*.json`` files, or an action of the org (exact name or id; its draft with ``draft=True``). With one
operand the org's actions of the same names are the old side and the files the new one. Two
single actions are compared whatever their names; otherwise the two sides are paired by action
name. Reads that meet a 429 wait for its Retry-After and read again (a GET changes nothing). The
``integrationType`` of each export comes from the action's integration
(``integrations:integration:view``); without that permission it is left out and said so in ``note``.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.api.base import _ClientBase
from genesys_nb.api.errors import PermissionDeniedError, RateLimitedError
from genesys_nb.api.export import (
    ExportError,
    export_file_names,
    format_export,
    read_export,
    to_export,
    write_export,
)
from genesys_nb.api.export_diff import ExportsDiff, pair_exports
from genesys_nb.api.models import Action
from genesys_nb.api.names import UnknownActionError, looks_like_action_id, pick_by_name

if TYPE_CHECKING:
    from genesys_nb.api._integrations import Integration

__all__ = ["AsyncFilesMixin", "FilesMixin", "PulledAction"]

_READ_ATTEMPTS = 6
_MAX_WAIT_S = 60.0
Side = dict[str, tuple[str, dict[str, Any]]]  # action name -> (label, export)


@dataclass
class PulledAction:
    """One pulled action: its id, version, export, file name and (when written) path."""

    action_id: str
    name: str
    version: int | None
    export: dict[str, Any]
    file_name: str
    path: Path | None = None
    note: str | None = None

    @property
    def text(self) -> str:
        """The file's text (what was written to ``path``)."""
        return format_export(self.export)


class _FileCalls(_ClientBase):
    """The pure half: which operand is what, the exports and files of what was read."""

    @staticmethod
    def _kinds(integrations: list[Integration] | None) -> dict[str, str]:
        return {i.id: i.integration_type for i in integrations or [] if i.integration_type}

    @staticmethod
    def _pulled(actions: list[Action], kinds: dict[str, str] | None, out_dir: str | Path | None) -> list[PulledAction]:
        names = export_file_names((a.id, a.name or a.id) for a in actions)
        out = []
        for action in actions:
            kind = (kinds or {}).get(action.integration_id or "")
            note = None if kind else ("integrationType left out: the token may not view integrations "
                                      "(integrations:integration:view)" if kinds is None else
                                      f"integrationType left out: integration {action.integration_id} not found")
            pulled = PulledAction(action.id, action.name or action.id, action.version,
                                  to_export(action, integration_type=kind), names[action.id], note=note)
            if out_dir is not None:
                pulled.path = write_export(pulled.export, Path(out_dir) / pulled.file_name)
            out.append(pulled)
        return out

    @staticmethod
    def _local(operand: Any) -> Side | tuple[str, dict[str, Any]] | None:
        """A folder (name -> (file, export)), one export (label, export), or None for an action of the org."""
        if isinstance(operand, Action):
            return (f"{operand.name} (v{operand.version})", to_export(operand, integration_type=None))
        if isinstance(operand, Mapping):
            return (str(operand.get("name", "export")), dict(operand))
        path = Path(operand)
        if path.is_dir():
            side: Side = {}
            for file in sorted(path.glob("*.json")):
                export = read_export(file)
                if export["name"] in side:
                    raise ValueError(f"{file}: the action {export['name']!r} is also in {side[export['name']][0]}; "
                                     "keep one file per action in a folder")
                side[export["name"]] = (str(file), export)
            return side
        if path.suffix.lower() == ".json" or path.is_file():
            return (str(path), read_export(path))
        if isinstance(operand, Path) or str(operand).endswith(("/", "\\")):
            raise ExportError(f"{operand}: no such file or folder; give export files (.json), folders of them, "
                              "or an action's name or id")
        if not isinstance(operand, str):
            raise TypeError(f"diff() takes export dicts, Actions, files, folders or action names (got {operand!r})")
        return None

    @staticmethod
    def _org_export(action: Action, kinds: dict[str, str] | None, draft: bool) -> tuple[str, dict[str, Any]]:
        label = f"org:{action.name} ({'draft' if draft else 'published'} v{action.version})"
        return label, to_export(action, integration_type=(kinds or {}).get(action.integration_id or ""))

    @staticmethod
    def _compare(a: Any, b: Any, a_label: str, b_label: str) -> ExportsDiff:
        if isinstance(a, tuple) and isinstance(b, tuple):
            return pair_exports({"": a}, {"": b}, a_label=a[0], b_label=b[0])
        a_side = a if isinstance(a, dict) else {a[1]["name"]: a}
        b_side = b if isinstance(b, dict) else {b[1]["name"]: b}
        return pair_exports(a_side, b_side, a_label=a_label, b_label=b_label)

    @staticmethod
    def _names(side: Any) -> list[str]:
        return list(side) if isinstance(side, dict) else [side[1]["name"]]


def _wait_s(err: RateLimitedError) -> float:
    return min(err.retry_after_s if err.retry_after_s is not None else 1.0, _MAX_WAIT_S)


class FilesMixin(_FileCalls):
    """``pull`` and ``diff`` of :class:`~genesys_nb.api.client.DataActionsClient`."""

    if TYPE_CHECKING:
        def get_action(self, action_id: str) -> Action: ...
        def get_draft(self, action_id: str, *, flatten: bool = False) -> Action: ...
        def list_actions(self, *, name: str | None = None, category: str | None = None, secure: bool | None = None,
                         page_size: int = 100) -> list[Action]: ...
        def list_drafts(self, *, name: str | None = None, category: str | None = None, secure: bool | None = None,
                        page_size: int = 100) -> list[Action]: ...
        def list_integrations(self, *, integration_type: str | None = None) -> list[Integration]: ...

    def _read(self, action_id: str, draft: bool) -> Action:
        for attempt in range(1, _READ_ATTEMPTS + 1):
            try:
                return self.get_draft(action_id) if draft else self.get_action(action_id)
            except RateLimitedError as err:
                if attempt == _READ_ATTEMPTS:
                    raise
                time.sleep(_wait_s(err))
        raise AssertionError("unreachable")  # pragma: no cover

    def _integration_kinds(self) -> dict[str, str] | None:
        try:
            return self._kinds(self.list_integrations())
        except PermissionDeniedError:
            return None

    def _ids(self, actions: str | Iterable[str] | None, category: str | None, draft: bool) -> list[str]:
        listing = self.list_drafts if draft else self.list_actions
        if actions is None:
            return [a.id for a in listing(category=category)]
        wanted = [actions] if isinstance(actions, str) else list(actions)
        ids = []
        for name in wanted:
            if looks_like_action_id(name):
                ids.append(name)
                continue
            try:
                ids.append(pick_by_name(name, listing(name=name)))
            except UnknownActionError:  # list them all once, for the near names of the error
                ids.append(pick_by_name(name, listing(name=name), everything=listing()))
        return ids

    def pull(self, actions: str | Iterable[str] | None = None, *, category: str | None = None,
             out_dir: str | Path | None = None, draft: bool = False) -> list[PulledAction]:
        """Export actions (names or ids; all of them, or of ``category``, when None), one file each in ``out_dir``."""
        ids = self._ids(actions, category, draft)
        kinds = self._integration_kinds()
        return self._pulled([self._read(action_id, draft) for action_id in ids], kinds, out_dir)

    def diff(self, a: Any, b: Any = None, *, draft: bool = False) -> ExportsDiff:
        """What changes from ``a`` to ``b`` (``b`` omitted: the org's actions of the same names); see the module doc."""
        left, right = self._local(a), (self._local(b) if b is not None else None)
        kinds = self._integration_kinds() if left is None or right is None else {}
        where = "draft" if draft else "org"
        if left is None:
            left = self._org_export(self._read(self._ids(str(a), None, draft)[0], draft), kinds, draft)
        if right is None and b is not None:
            right = self._org_export(self._read(self._ids(str(b), None, draft)[0], draft), kinds, draft)
        if right is None:
            known = {action.name: action.id for action in (self.list_drafts() if draft else self.list_actions())}
            org = {name: self._org_export(self._read(known[name], draft), kinds, draft)
                   for name in self._names(left) if name in known}
            return self._compare(org, left, where, str(a))  # what the files would change
        return self._compare(left, right, str(a), str(b))


class AsyncFilesMixin(_FileCalls):
    """``pull`` and ``diff`` of :class:`~genesys_nb.api.client.AsyncDataActionsClient`: same names, awaitable."""

    if TYPE_CHECKING:
        async def get_action(self, action_id: str) -> Action: ...
        async def get_draft(self, action_id: str, *, flatten: bool = False) -> Action: ...
        async def list_actions(self, *, name: str | None = None, category: str | None = None,
                               secure: bool | None = None, page_size: int = 100) -> list[Action]: ...
        async def list_drafts(self, *, name: str | None = None, category: str | None = None,
                              secure: bool | None = None, page_size: int = 100) -> list[Action]: ...
        async def list_integrations(self, *, integration_type: str | None = None) -> list[Integration]: ...

    async def _read(self, action_id: str, draft: bool) -> Action:
        for attempt in range(1, _READ_ATTEMPTS + 1):
            try:
                return await (self.get_draft(action_id) if draft else self.get_action(action_id))
            except RateLimitedError as err:
                if attempt == _READ_ATTEMPTS:
                    raise
                await asyncio.sleep(_wait_s(err))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _integration_kinds(self) -> dict[str, str] | None:
        try:
            return self._kinds(await self.list_integrations())
        except PermissionDeniedError:
            return None

    async def _ids(self, actions: str | Iterable[str] | None, category: str | None, draft: bool) -> list[str]:
        listing = self.list_drafts if draft else self.list_actions
        if actions is None:
            return [a.id for a in await listing(category=category)]
        wanted = [actions] if isinstance(actions, str) else list(actions)
        ids = []
        for name in wanted:
            if looks_like_action_id(name):
                ids.append(name)
                continue
            try:
                ids.append(pick_by_name(name, await listing(name=name)))
            except UnknownActionError:  # list them all once, for the near names of the error
                ids.append(pick_by_name(name, await listing(name=name), everything=await listing()))
        return ids

    async def pull(self, actions: str | Iterable[str] | None = None, *, category: str | None = None,
                   out_dir: str | Path | None = None, draft: bool = False) -> list[PulledAction]:
        """Export actions (names or ids; all of them, or of ``category``, when None), one file each in ``out_dir``."""
        ids = await self._ids(actions, category, draft)
        kinds = await self._integration_kinds()
        return self._pulled([await self._read(action_id, draft) for action_id in ids], kinds, out_dir)

    async def diff(self, a: Any, b: Any = None, *, draft: bool = False) -> ExportsDiff:
        """What changes from ``a`` to ``b`` (``b`` omitted: the org's actions of the same names); see the module doc."""
        left, right = self._local(a), (self._local(b) if b is not None else None)
        kinds = await self._integration_kinds() if left is None or right is None else {}
        where = "draft" if draft else "org"
        if left is None:
            left = self._org_export(await self._read((await self._ids(str(a), None, draft))[0], draft), kinds, draft)
        if right is None and b is not None:
            right = self._org_export(await self._read((await self._ids(str(b), None, draft))[0], draft), kinds, draft)
        if right is None:
            known = {action.name: action.id for action in await (self.list_drafts() if draft else self.list_actions())}
            org = {name: self._org_export(await self._read(known[name], draft), kinds, draft)
                   for name in self._names(left) if name in known}
            return self._compare(org, left, where, str(a))  # what the files would change
        return self._compare(left, right, str(a), str(b))
