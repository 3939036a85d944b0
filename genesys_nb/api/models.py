"""Typed models of the Data Actions API (Action, contract, ErrorBody, test result) and the ExecutionResult.

Every API model keeps the JSON it was built from in ``.raw`` (unknown fields included) and
``to_dict()`` returns JSON equal to what was received.

The error models live in :mod:`genesys_nb.api._error_body`, the test-run models in
:mod:`genesys_nb.api._test_result`; every model is importable from here.
"""
from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_nb.api._error_body import ErrorBody, FieldError
from genesys_nb.api._fields import JSON, _int, _mapping, _require_mapping, _str
from genesys_nb.api._test_result import TestExecutionResult, TestOperation

__all__ = [
    "ACTION_ID_NAMESPACE",
    "Action",
    "ActionContract",
    "ErrorBody",
    "FieldError",
    "RateLimitInfo",
    "TestExecutionResult",
    "TestOperation",
    "stable_action_id",
]

# Namespace of the ids given to exported actions; the emulator serves the same ids.
ACTION_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/genesys_nb/emulator")


def stable_action_id(name: str) -> str:
    """The id an exported action (which carries none) gets: ``custom_-_<uuid5(name)>``, stable across runs."""
    return f"custom_-_{uuid.uuid5(ACTION_ID_NAMESPACE, name)}"


def _schema_of(value: Any) -> JSON | None:
    """A JsonSchemaDocument, unwrapping a FlattenedJsonSchemaDocument ``{schema, arrayProperties}``."""
    schema = _mapping(value)
    if schema is None:
        return None
    inner = schema.get("schema")
    if isinstance(inner, Mapping) and "type" not in schema and "properties" not in schema:
        return dict(inner)
    return schema


@dataclass
class ActionContract:
    """An action's contract: input and success schemas (inline, flattened, or by URI)."""

    input_schema: JSON | None = None
    input_schema_uri: str | None = None
    success_schema: JSON | None = None
    success_schema_uri: str | None = None
    error_schema: JSON | None = None
    error_schema_uri: str | None = None
    raw: JSON = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActionContract:
        raw = _require_mapping(data, "ActionContract")
        inp = _mapping(raw.get("input")) or {}
        out = _mapping(raw.get("output")) or {}
        return cls(
            input_schema=_schema_of(inp.get("inputSchema")) or _schema_of(inp.get("inputSchemaFlattened")),
            input_schema_uri=_str(inp.get("inputSchemaUri")),
            success_schema=_schema_of(out.get("successSchema")) or _schema_of(out.get("successSchemaFlattened")),
            success_schema_uri=_str(out.get("successSchemaUri")),
            error_schema=_schema_of(out.get("errorSchema")) or _schema_of(out.get("errorSchemaFlattened")),
            error_schema_uri=_str(out.get("errorSchemaUri")),
            raw=raw,
        )

    def to_dict(self) -> JSON:
        if self.raw:
            return copy.deepcopy(self.raw)
        inp: JSON = {}
        out: JSON = {}
        if self.input_schema_uri is not None:
            inp["inputSchemaUri"] = self.input_schema_uri
        if self.input_schema is not None:
            inp["inputSchema"] = copy.deepcopy(self.input_schema)
        if self.success_schema_uri is not None:
            out["successSchemaUri"] = self.success_schema_uri
        if self.success_schema is not None:
            out["successSchema"] = copy.deepcopy(self.success_schema)
        if self.error_schema_uri is not None:
            out["errorSchemaUri"] = self.error_schema_uri
        if self.error_schema is not None:
            out["errorSchema"] = copy.deepcopy(self.error_schema)
        return {"input": inp, "output": out}


@dataclass
class Action:
    """A data action as the API returns it (contract and config present when requested)."""

    id: str
    name: str | None = None
    integration_id: str | None = None
    category: str | None = None
    version: int | None = None
    secure: bool = False
    contract: ActionContract | None = None
    config: JSON | None = None
    self_uri: str | None = None
    raw: JSON = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        raw = _require_mapping(data, "Action")
        action_id = raw.get("id")
        if not isinstance(action_id, str) or not action_id:
            raise ValueError("Action JSON has no 'id' string; expected the API's Action object.")
        contract = _mapping(raw.get("contract"))
        return cls(
            id=action_id,
            name=_str(raw.get("name")),
            integration_id=_str(raw.get("integrationId")),
            category=_str(raw.get("category")),
            version=_int(raw.get("version")),
            secure=raw.get("secure") is True,
            contract=ActionContract.from_dict(contract) if contract is not None else None,
            config=_mapping(raw.get("config")),
            self_uri=_str(raw.get("selfUri")),
            raw=raw,
        )

    @classmethod
    def from_export(cls, export: Mapping[str, Any], *, action_id: str | None = None, version: int = 1) -> Action:
        """Build an Action from the exported JSON (name, integrationType, config, contract, secure; no id).

        The result looks like ``GET /actions/{id}?expand=contract&includeConfig=true``: it gets an id
        (``stable_action_id(name)`` unless given), a version, selfUri and schema URIs.
        """
        source = _require_mapping(export, "Action.from_export")
        name = source.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("Exported action has no 'name'; expected the Genesys export JSON shape.")
        new_id = action_id or stable_action_id(name)
        self_uri = f"/api/v2/integrations/actions/{new_id}"
        contract_in = _mapping(source.get("contract")) or {}
        inp = dict(_mapping(contract_in.get("input")) or {})
        out = dict(_mapping(contract_in.get("output")) or {})
        inp.setdefault("inputSchemaUri", f"{self_uri}/schemas/inputschema.json")
        out.setdefault("successSchemaUri", f"{self_uri}/schemas/successschema.json")
        raw: JSON = {"id": new_id, "name": name}
        for key in ("integrationId", "category"):
            if isinstance(source.get(key), str):
                raw[key] = source[key]
        raw["contract"] = {**contract_in, "input": inp, "output": out}
        raw["version"] = version
        raw["secure"] = source.get("secure") is True
        if isinstance(source.get("config"), Mapping):
            raw["config"] = source["config"]
        raw["selfUri"] = self_uri
        return cls.from_dict(raw)

    @property
    def input_schema(self) -> JSON | None:
        return self.contract.input_schema if self.contract else None

    @property
    def success_schema(self) -> JSON | None:
        return self.contract.success_schema if self.contract else None

    @property
    def timeout_seconds(self) -> int | None:
        """``config.timeoutSeconds`` (1..60) when the config was fetched and sets it, else None."""
        if not self.config:
            return None
        return _int(self.config.get("timeoutSeconds"))

    def to_dict(self) -> JSON:
        if self.raw:
            return copy.deepcopy(self.raw)
        out: JSON = {"id": self.id}
        for key, value in (("name", self.name), ("integrationId", self.integration_id),
                           ("category", self.category), ("version", self.version)):
            if value is not None:
                out[key] = value
        if self.contract is not None:
            out["contract"] = self.contract.to_dict()
        out["secure"] = self.secure
        if self.config is not None:
            out["config"] = copy.deepcopy(self.config)
        if self.self_uri is not None:
            out["selfUri"] = self.self_uri
        return out


@dataclass(frozen=True)
class RateLimitInfo:
    """The ``inin-ratelimit-*`` headers of one response: requests counted, allowed, seconds to reset."""

    count: int | None = None
    allowed: int | None = None
    reset_s: float | None = None

    @property
    def remaining(self) -> int | None:
        if self.count is None or self.allowed is None:
            return None
        return max(0, self.allowed - self.count)

    def to_dict(self) -> JSON:
        return {"count": self.count, "allowed": self.allowed, "reset_s": self.reset_s}
