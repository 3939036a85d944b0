"""The emulated org's state: actions, clients, tokens, limits, faults, the request log, records.

No HTTP here: :mod:`genesys_nb.emulator.handlers` answers requests over this state, and the control
plane (:mod:`genesys_nb.emulator.control`) changes it. Randomness comes from one
``random.Random(seed)``, so a sequential run is reproducible.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from genesys_nb.emulator.actions import (
    EmulatedAction,
    default_actions,
    index_actions,
    load_actions_dir,
    parse_action,
)
from genesys_nb.emulator.drafts import DRAFT_PERMISSIONS
from genesys_nb.emulator.faults import FaultPlan
from genesys_nb.emulator.limits import Limits, RateLimiter
from genesys_nb.emulator.log import RequestLog, RequestLogEntry
from genesys_nb.emulator.tokens import (
    ALL_PERMISSIONS,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    OAuthClient,
    TokenStore,
)

GLOBAL_SCOPE = "*"
_LOG = logging.getLogger("genesys_nb.emulator")


class OrgState:
    """A Genesys Cloud org's Data Actions state, in memory (the handlers add the HTTP surface)."""

    def __init__(
        self,
        *,
        seed: int = 0,
        actions_dir: str | Path | Sequence[str | Path] | None = None,
        actions: Iterable[EmulatedAction | Mapping[str, Any]] = (),
        include_real_actions: bool = True,
        include_sample_actions: bool = True,
        time_scale: float = 1.0,
        token_lifetime_s: float = 86400.0,
        rate_per_minute: int = 300,
        max_in_flight: int = 50,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        max_log_entries: int = 200_000,
    ) -> None:
        self.seed = seed
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.RLock()
        loaded = default_actions(include_samples=include_sample_actions, include_real=include_real_actions)
        dirs = [] if actions_dir is None else [actions_dir] if isinstance(actions_dir, (str, Path)) else actions_dir
        for directory in dirs:
            loaded.extend(load_actions_dir(directory))
        loaded.extend(a if isinstance(a, EmulatedAction) else parse_action(a) for a in actions)
        self._actions = index_actions(loaded)
        self._initial_actions = dict(self._actions)
        self._initial_limits = Limits(rate_per_minute, max_in_flight, time_scale, token_lifetime_s)
        self._limits = self._initial_limits
        self._tokens = TokenStore()
        # The org's own client may also edit drafts and read the actions analytics.
        self._tokens.add_client(OAuthClient(client_id, client_secret, ALL_PERMISSIONS | DRAFT_PERMISSIONS))
        self.client_id = client_id
        self._log = RequestLog(max_log_entries)
        self._rate = RateLimiter()
        self._faults: dict[str, FaultPlan] = {}
        self._positions: dict[str, dict[int, int]] = {}
        self._validators: dict[tuple[str, int], Any] = {}
        self._records: dict[str, dict[str, Any]] = {}
        self._remotes: dict[str, Any] = {}  # action id -> what the user set as its remote endpoint
        self._engines: dict[tuple[str, int], Any] = {}
        self._secrets: dict[str, tuple[Any, Any]] = {}  # action id -> (credentials, authResponse) fields
        self._drafts: dict[str, Any] = {}  # action id -> its draft (a drafts.DraftSlot)
        self._in_flight = 0
        self._rng = random.Random(seed)
        self._id_rng = random.Random(f"ids:{seed}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(actions={len(self._actions)}, seed={self.seed}, limits={self._limits})"

    # ------------------------------------------------------------------ control API (Python)
    @property
    def actions(self) -> dict[str, EmulatedAction]:
        return dict(self._actions)

    def action_named(self, name: str) -> EmulatedAction:
        for action in self._actions.values():
            if action.name == name:
                return action
        raise KeyError(f"no emulated action named {name!r}; names: {', '.join(sorted(a.name for a in self._actions.values()))}")

    def add_action(self, action: EmulatedAction | Mapping[str, Any]) -> EmulatedAction:
        parsed = action if isinstance(action, EmulatedAction) else parse_action(action)
        with self._lock:
            self._actions = index_actions([*self._actions.values(), parsed])
            # an action added again under the same id and version must not run the engine of the old config
            self._engines = {key: engine for key, engine in self._engines.items() if key[0] != parsed.id}
        return parsed

    def add_client(self, client_id: str, client_secret: str, permissions: Iterable[str] | None = None) -> None:
        """Register another OAuth client, e.g. one with only ``integrations:action:view``."""
        granted = ALL_PERMISSIONS | DRAFT_PERMISSIONS if permissions is None else frozenset(permissions)
        with self._lock:
            self._tokens.add_client(OAuthClient(client_id, client_secret, granted))

    @property
    def limits(self) -> Limits:
        return self._limits

    def set_limits(self, **changes: Any) -> Limits:
        """Change rate_per_minute, max_in_flight, time_scale or token_lifetime_s (others unchanged)."""
        with self._lock:
            self._limits = self._limits.updated(**changes)
            return self._limits

    @property
    def faults(self) -> dict[str | None, FaultPlan]:
        return {None if scope == GLOBAL_SCOPE else scope: plan for scope, plan in self._faults.items()}

    def set_faults(self, action_id: str | None, plan: FaultPlan | Mapping[str, Any] | list[Any] | None) -> None:
        """Replace the fault plan of one action (or the global plan with ``None``); None/empty clears."""
        parsed = plan if isinstance(plan, FaultPlan) or plan is None else FaultPlan.from_dict(plan)
        if action_id is not None and action_id not in self._actions:
            raise KeyError(f"no emulated action with id {action_id!r}")
        scope = GLOBAL_SCOPE if action_id is None else action_id
        with self._lock:
            if parsed is None or not parsed.rules:
                self._faults.pop(scope, None)
            else:
                self._faults[scope] = parsed
            self._positions.pop(scope, None)

    @property
    def remotes(self) -> dict[str, Any]:
        """The remote stand-ins set with :meth:`set_remote`, by action id (the defaults are not listed)."""
        with self._lock:
            return dict(self._remotes)

    def set_remote(self, action_id: str, remote: Any) -> None:
        """What the action's remote endpoint answers from now on, whatever its behaviour or shipped answer.

        ``remote`` is a JSON value (a 200 answer), a ``RemoteResponse``, a function of the
        ``RenderedRequest``, a ``RouteTable`` or a ``Recording`` (see :mod:`genesys_nb.engine.remote`);
        None goes back to the action's default.
        """
        if action_id not in self._actions:
            raise KeyError(f"no emulated action with id {action_id!r}; ids are listed by Emulator.actions")
        with self._lock:
            if remote is None:
                self._remotes.pop(action_id, None)
            else:
                self._remotes[action_id] = remote

    def set_credentials(self, action_id: str, credentials: dict[str, Any] | None = None,
                        auth_response: dict[str, Any] | None = None) -> None:
        """The ``${credentials.X}`` and ``${authResponse.X}`` fields the action's templates see from now on
        (both None: none). The values never show: every operation of /test prints ``********`` instead."""
        if action_id not in self._actions:
            raise KeyError(f"no emulated action with id {action_id!r}; ids are listed by Emulator.actions")
        with self._lock:
            if credentials is None and auth_response is None:
                self._secrets.pop(action_id, None)
            else:
                self._secrets[action_id] = (credentials, auth_response)
            for key in [key for key in self._engines if key[0] == action_id]:
                del self._engines[key]

    @property
    def credential_fields(self) -> dict[str, dict[str, list[str]]]:
        """Which credential and authResponse fields are set, by action id (names only, never values)."""
        with self._lock:
            return {action_id: {"credentials": sorted(creds or {}), "auth_response": sorted(auth or {})}
                    for action_id, (creds, auth) in self._secrets.items()}

    def reset(self, *, tokens: bool = False) -> None:
        """Back to the start: no faults or remote stand-ins, initial limits and actions, empty log and records,
        reseeded randomness.

        Issued tokens stay valid unless ``tokens=True``.
        """
        with self._lock:
            self._actions = dict(self._initial_actions)
            self._faults.clear()
            self._positions.clear()
            self._limits = self._initial_limits
            self._log.clear()
            self._rate.clear()
            self._records.clear()
            self._remotes.clear()
            self._secrets.clear()
            self._engines.clear()
            self._drafts.clear()
            self._engines.clear()
            self._rng = random.Random(self.seed)
            self._id_rng = random.Random(f"ids:{self.seed}")
            if tokens:
                self._tokens.clear()

    def expire_tokens(self) -> None:
        """Make every issued token expired now (the next API call with one gets 401)."""
        with self._lock:
            self._tokens.expire_all(self._clock())

    def issued_tokens(self) -> list[str]:
        """Every access token issued so far; for tests that scan output for leaked tokens."""
        with self._lock:
            return self._tokens.issued_values()

    @property
    def request_log(self) -> list[RequestLogEntry]:
        with self._lock:
            return self._log.entries()

    def requests_since(self, seq: int) -> list[RequestLogEntry]:
        with self._lock:
            return self._log.entries(seq)

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        """The record store the update action writes to (a copy)."""
        with self._lock:
            return {key: {"fields": dict(value["fields"]), "revision": value["revision"]}
                    for key, value in self._records.items()}

    @property
    def in_flight(self) -> int:
        return self._in_flight

