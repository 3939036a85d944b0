"""Input and output contracts of Data Actions, checked client-side with JSON Schema.

`DataActionValidator` turns an action's input contract (and its success schema) into a list of
`FieldError`s, each with a JSON path (`$.USER_ID`, `$.address.zip`, `$.items[2]`), the JSON
Schema keyword that failed (`pattern`, `required`, ...) and a message a person can act on.

Choices worth knowing:

- The draft comes from the schema's `$schema`; without one (or with an unknown one) the schema is
  read as draft-04, the draft Genesys Cloud contracts declare. Draft-04 semantics therefore hold:
  `exclusiveMaximum: true` is a boolean modifier of `maximum`, `1.0` is not an `integer`.
  `format` is checked (`date-time`, `email`, `ipv4`, ... as far as the installed checkers go).
- A missing required property is reported at the path of the *missing field*
  (`$.queueId`, validator `"required"`), not at its parent object, so a form can show the error
  next to the field. The same holds for a property refused by `additionalProperties: false`.
- Values of a secure action (`secure: true`) never appear in messages: they read `<redacted>`.
- Compiled validators are cached per (action id, version) and reused; priming an action with a
  new version (or a changed contract) compiles again.
- Every contract jsonschema-rs (JSON Schema in Rust) can compile also gets its acceptance test,
  cached with its compiled validator (`CompiledContract.accepts`, see `genesys_nb.contract.fast`).
  A valid instance is accepted by that test alone; anything it does not accept (or any contract
  it cannot compile) goes through jsonschema, which gives the messages. Only plain JSON is
  accepted that way (a `Decimal`, a `str` subclass, NaN go to jsonschema), so the test never
  accepts what jsonschema would refuse over the values a row can carry.
- A contract that is not a valid schema raises `ContractSchemaError` naming the action and the
  broken keyword; `$ref`s to remote documents are never fetched.
"""
from __future__ import annotations

import asyncio
import inspect
import threading
from typing import TYPE_CHECKING, Any, Literal

from jsonschema.protocols import Validator

from genesys_nb.api.errors import ContractSchemaError, InputValidationError, fix_hint
from genesys_nb.api.models import Action, FieldError

if TYPE_CHECKING:
    from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient

from genesys_nb.contract.check import CompiledContract, compile_contract, field_errors, format_violations
from genesys_nb.contract.fast import fast_check
from genesys_nb.contract.schema import REDACTED, action_label, compile_schema, json_path

__all__ = [
    "REDACTED",
    "CompiledContract",
    "ContractSchemaError",
    "DataActionValidator",
    "action_label",
    "compile_contract",
    "compile_schema",
    "fast_check",
    "field_errors",
    "format_violations",
    "json_path",
]

_MISSING: Any = object()
Which = Literal["input", "success"]
_SIDES: tuple[Which, ...] = ("input", "success")


# --------------------------------------------------------------------------------------------
# The stateful validator


class DataActionValidator:
    """Checks inputs and outputs against action contracts; actions fetched once, schemas compiled once.

    With a sync `DataActionsClient`, an action that was never primed is fetched on first use.
    With an async client, call `await aget_action(action_id)` (or `prime(action)`) first; the
    checks themselves are pure CPU work and stay synchronous.
    """

    def __init__(self, client: DataActionsClient | AsyncDataActionsClient | None = None) -> None:
        self._client: Any = client
        self._actions: dict[str, Action] = {}
        self._fetched_schemas: dict[tuple[str, int | None, Which], Any] = {}
        self._compiled: dict[tuple[str, int | None, Which], CompiledContract | None] = {}
        self._lock = threading.Lock()
        get_action = getattr(client, "get_action", None)
        self._async_client = get_action is not None and inspect.iscoroutinefunction(get_action)
        self._fetch_locks: dict[str, threading.Lock] = {}
        self._inflight: dict[tuple[int, str], asyncio.Future[Action]] = {}
        self.compile_count = 0
        """How many schemas were compiled so far (each (action id, version, contract side) once)."""

    def __repr__(self) -> str:
        return f"DataActionValidator(actions={len(self._actions)}, compiled={len(self._compiled)})"

    @property
    def _client_is_async(self) -> bool:
        return self._async_client

    # ---- actions -------------------------------------------------------------------------
    def prime(self, action: Action) -> Action:
        """Register an action that was already fetched; a new version or contract is compiled again."""
        action_id = getattr(action, "id", None)
        if not action_id:
            raise ValueError(
                "prime() needs an Action with an id; build exported JSON with "
                "Action.from_export(export, action_id='custom_-_...')."
            )
        with self._lock:
            known = self._actions.get(action_id)
            if known is not None and not _same_contract(known, action):
                for key in [k for k in self._compiled if k[0] == action_id]:
                    del self._compiled[key]
                for key in [k for k in self._fetched_schemas if k[0] == action_id]:
                    del self._fetched_schemas[key]
            self._actions[action_id] = action
        return action

    def forget(self, action_id: str | None = None) -> None:
        """Drop one cached action (or all) so the next check fetches it again."""
        with self._lock:
            ids = list(self._actions) if action_id is None else [action_id]
            for ident in ids:
                self._actions.pop(ident, None)
            for cache in (self._compiled, self._fetched_schemas):
                for key in [k for k in cache if k[0] in ids]:
                    del cache[key]

    def cached_action(self, action_id: str) -> Action | None:
        """The action known for `action_id` without any request (None when never primed/fetched)."""
        return self._actions.get(action_id)

    def get_action(self, action_id: str) -> Action:
        """The known action, or fetch it (with its contract) through the sync client.

        Threads asking for the same unknown action at once share one request.
        """
        action = self._actions.get(action_id)
        if action is None:
            client = self._require_client(action_id, sync=True)
            with self._lock:
                fetch_lock = self._fetch_locks.setdefault(action_id, threading.Lock())
            with fetch_lock:
                action = self._actions.get(action_id) or self.prime(client.get_action(action_id))
        return action

    async def aget_action(self, action_id: str) -> Action:
        """The known action, or fetch it through the async client, with any schema given only by URI.

        Tasks asking for the same unknown action at once share one request.
        """
        action = self._actions.get(action_id)
        if action is None:
            client = self._require_client(action_id, sync=False)
            key = (id(asyncio.get_running_loop()), action_id)
            pending = self._inflight.get(key)
            if pending is None:
                pending = asyncio.ensure_future(client.get_action(action_id))
                self._inflight[key] = pending
                pending.add_done_callback(lambda _: self._inflight.pop(key, None))
            # shield: one caller being cancelled must not cancel the fetch the others wait for.
            action = self.prime(await asyncio.shield(pending))
        if self._client is not None and self._client_is_async:
            for which in _SIDES:
                if self._needs_schema_fetch(action, which):
                    schema = await self._client.get_schema(action_id, which)
                    self._fetched_schemas[(action_id, action.version, which)] = schema
        return action

    def _require_client(self, action_id: str, *, sync: bool) -> Any:
        if self._client is None:
            raise ValueError(
                f"Action {action_id} is not known to this validator and it has no client to fetch it: "
                "pass a client (DataActionValidator(client)) or call prime(action) first."
            )
        if sync and self._client_is_async:
            raise ValueError(
                f"Action {action_id} is not known yet and the validator's client is async: "
                f"call `await validator.aget_action({action_id!r})` (or prime(action)) before checking."
            )
        if not sync and not self._client_is_async:
            raise ValueError(
                f"aget_action({action_id!r}) needs an AsyncDataActionsClient; use get_action() with a sync client."
            )
        return self._client

    def _needs_schema_fetch(self, action: Action, which: Which) -> bool:
        contract = getattr(action, "contract", None)
        if contract is None or _inline_schema(action, which) is not None:
            return False
        uri = contract.input_schema_uri if which == "input" else contract.success_schema_uri
        return bool(uri) and (action.id, action.version, which) not in self._fetched_schemas

    # ---- compiled validators -------------------------------------------------------------
    def _compiled_for(self, action_id: str, which: Which) -> tuple[Action, CompiledContract | None]:
        action = self._actions.get(action_id)
        if action is None:
            action = self._known(action_id) if self._async_client else self.get_action(action_id)
        key = (action_id, action.version, which)
        # Entries are only added or removed (under the lock), never changed: a plain read is safe.
        compiled = self._compiled.get(key, _MISSING)
        if compiled is not _MISSING:
            return action, compiled
        schema = _inline_schema(action, which)
        if schema is None:
            schema = self._fetched_schemas.get(key)
        side = "input contract" if which == "input" else "success schema"
        if schema is None and self._client is not None and self._needs_schema_fetch(action, which):
            # The action came without this schema inline, only its URI: fetch it once. Without a
            # client there is nothing to fetch with, and a primed action is taken as complete.
            if self._client_is_async:
                raise ValueError(
                    f"The {side} of {action_label(action, action_id)} is only given by URI and was not "
                    f"fetched: call `await validator.aget_action({action_id!r})` first (async client)."
                )
            schema = self._client.get_schema(action_id, which)
            self._fetched_schemas[key] = schema
        compiled = None if schema is None else compile_contract(
            schema, label=f"{action_label(action, action_id)}, {side}"
        )
        with self._lock:
            # Another thread may have compiled meanwhile; keep the first so callers share one object.
            if key not in self._compiled:
                self._compiled[key] = compiled
                if compiled is not None:
                    self.compile_count += 1
            return action, self._compiled[key]

    def _known(self, action_id: str) -> Action:
        action = self._actions.get(action_id)
        if action is None:
            self._require_client(action_id, sync=True)  # raises the explanatory error
            raise AssertionError("unreachable")
        return action

    def input_validator(self, action_id: str) -> Validator | None:
        """The compiled input-contract validator (None when the action declares no input schema)."""
        compiled = self._compiled_for(action_id, "input")[1]
        return None if compiled is None else compiled.validator

    def output_validator(self, action_id: str) -> Validator | None:
        """The compiled success-schema validator (None when the action declares none)."""
        compiled = self._compiled_for(action_id, "success")[1]
        return None if compiled is None else compiled.validator

    # ---- checks --------------------------------------------------------------------------
    def check_input(self, action_id: str, inputs: Any) -> list[FieldError]:
        """Every violation of `inputs` against the action's input contract (empty list when valid)."""
        action, compiled = self._compiled_for(action_id, "input")
        if compiled is None or (compiled.accepts is not None and compiled.accepts(inputs)):
            return []
        return field_errors(compiled.validator, inputs, redact=bool(getattr(action, "secure", False)),
                            label=action_label(action, action_id))

    def validate_input(self, action_id: str, inputs: Any) -> None:
        """Raise InputValidationError listing every violation with its JSON path; return when valid."""
        errors = self.check_input(action_id, inputs)
        if errors:
            label = action_label(self._actions.get(action_id), action_id)
            message = f"{format_violations(label, errors)}. Fix: {fix_hint('validation', action_id=action_id)}"
            raise InputValidationError(errors, action_id=action_id, message=message)

    def check_output(self, action_id: str, output: Any) -> list[FieldError]:
        """Every violation of an execution's `output` against the action's success schema."""
        action, compiled = self._compiled_for(action_id, "success")
        if compiled is None or (compiled.accepts is not None and compiled.accepts(output)):
            return []
        return field_errors(compiled.validator, output, redact=bool(getattr(action, "secure", False)),
                            label=action_label(action, action_id))


def _inline_schema(action: Action, which: Which) -> Any:
    return action.input_schema if which == "input" else action.success_schema


def _same_contract(old: Action, new: Action) -> bool:
    return (
        old.version == new.version
        and old.input_schema == new.input_schema
        and old.success_schema == new.success_schema
        and bool(getattr(old, "secure", False)) == bool(getattr(new, "secure", False))
    )

