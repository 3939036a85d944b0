"""Emulated action definitions: loaded from exported action JSON files plus an "emulator" block.

A file holds one action in the admin UI export shape (name, integrationType, actionType, config,
contract{input{inputSchema}, output{successSchema}}, secure). An optional ``"emulator"`` object
says how the emulator behaves for it::

    "emulator": {"behaviour": "lookup_customer", "category": "CRM Lookups", "version": 3,
                 "latency": {"median_ms": 40, "sigma": 0.3}, "faults": [<fault rules>],
                 "synthetic": false, "remote": {"status": 200, "body": {...}}}

Every action runs through the action engine (its own request templates, translation map and success
template). What its remote endpoint answers comes, first found wins, from a stand-in set at run time
(``Emulator.set_remote``), the block's ``"remote"`` or a ``remotes/<same file name>`` file beside the
action file, else the behaviour; without one the remote answers a value made up from the success
schema. Ids are stable: ``custom_-_<uuid5(name)>``.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, validators
from jsonschema.exceptions import SchemaError

from genesys_nb.emulator.behaviours import BEHAVIOURS
from genesys_nb.emulator.faults import FaultPlan, FaultPlanError, LatencyModel
from genesys_nb.engine.remote import RemoteResponse

ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/genesys_nb/emulator")
ACTIONS_PATH = "/api/v2/integrations/actions"
SAMPLE_ACTIONS_DIR = Path(__file__).resolve().parent / "actions"
REAL_ACTIONS_DIR = SAMPLE_ACTIONS_DIR / "real"

_CATEGORY_BY_TYPE = {
    "purecloud-data-actions": "Genesys Cloud Data Actions",
    "custom-rest-actions": "Web Services Data Actions",
    "salesforce-datadip": "Salesforce Data Actions",
}
_EMULATOR_KEYS = {"behaviour", "category", "version", "latency", "faults", "synthetic", "note", "remote"}
REMOTES_DIR_NAME = "remotes"


class ActionDefinitionError(ValueError):
    """An action file could not be loaded; the message names the file and the problem."""


def action_id_for(name: str, action_type: str = "custom") -> str:
    """The id of the exported action ``name``: ``<actionType>_-_<uuid5(name)>`` (custom_-_ or static_-_)."""
    return f"{action_type}_-_{uuid.uuid5(ID_NAMESPACE, name)}"


def integration_id_for(integration_type: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"integration:{integration_type}"))


@dataclass(frozen=True)
class EmulatedAction:
    """One action of the emulated org, with its behaviour."""

    id: str
    name: str
    category: str
    integration_id: str
    integration_type: str
    version: int
    secure: bool
    input_schema: dict[str, Any]
    success_schema: dict[str, Any]
    config: dict[str, Any]
    behaviour: str = "synthesize"
    latency: LatencyModel | None = None
    faults: FaultPlan = field(default_factory=FaultPlan)
    synthetic: bool = False
    source: str = "<memory>"
    remote: RemoteResponse | None = None  # the remote endpoint's default answer, when the action ships one

    @property
    def self_uri(self) -> str:
        return f"{ACTIONS_PATH}/{self.id}"

    def schema_uri(self, file_name: str) -> str:
        return f"{self.self_uri}/schemas/{file_name}"

    @property
    def timeout_seconds(self) -> int:
        value = self.config.get("timeoutSeconds")
        return int(value) if isinstance(value, int) else 60


def parse_action(data: Any, source: str = "<memory>") -> EmulatedAction:
    """Build an EmulatedAction from an export dict; ActionDefinitionError names ``source`` and the field."""

    def fail(problem: str) -> ActionDefinitionError:
        return ActionDefinitionError(f"{source}: {problem}")

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object (an exported action), got {type(data).__name__}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("missing 'name' (a non-empty string)")
    if len(name) > 256:
        raise fail("'name' is longer than 256 characters")
    contract = data.get("contract")
    if not isinstance(contract, dict):
        raise fail("missing 'contract' object with input.inputSchema and output.successSchema")
    input_schema = (contract.get("input") or {}).get("inputSchema") if isinstance(contract.get("input"), dict) else None
    output = contract.get("output")
    success_schema = output.get("successSchema") if isinstance(output, dict) else None
    for label, schema in (("contract.input.inputSchema", input_schema), ("contract.output.successSchema", success_schema)):
        if not isinstance(schema, dict):
            raise fail(f"missing '{label}' (a JSON Schema object)")
        validator_class = validators.validator_for(schema, default=Draft4Validator)
        try:
            validator_class.check_schema(schema)
        except SchemaError as err:
            path = "/".join(str(part) for part in err.path) or "(root)"
            raise fail(f"'{label}' is not a valid JSON Schema at {path}: {err.message}") from None
    assert isinstance(input_schema, dict) and isinstance(success_schema, dict)  # checked just above
    if input_schema.get("type", "object") != "object":
        raise fail("'contract.input.inputSchema' must describe an object (type: object)")
    config = data.get("config", {})
    if not isinstance(config, dict):
        raise fail("'config' must be an object")
    timeout = config.get("timeoutSeconds")
    if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool) or not 1 <= timeout <= 60):
        raise fail(f"'config.timeoutSeconds' must be an integer 1..60, got {timeout!r}")
    secure = data.get("secure", False)
    if not isinstance(secure, bool):
        raise fail(f"'secure' must be true or false, got {secure!r}")
    integration_type = data.get("integrationType", "custom-rest-actions")
    if not isinstance(integration_type, str):
        raise fail("'integrationType' must be a string")
    action_type = data.get("actionType", "custom")
    if action_type not in ("custom", "static"):
        raise fail(f"'actionType' must be \"custom\" or \"static\", got {action_type!r}")

    block = data.get("emulator", {})
    if not isinstance(block, dict):
        raise fail("'emulator' must be an object")
    unknown = sorted(set(block) - _EMULATOR_KEYS)
    if unknown:
        raise fail(f"unknown key(s) in 'emulator': {', '.join(unknown)}; allowed: {', '.join(sorted(_EMULATOR_KEYS))}")
    behaviour = block.get("behaviour", "synthesize")
    if behaviour not in BEHAVIOURS:
        raise fail(f"unknown emulator.behaviour {behaviour!r}; use one of {', '.join(sorted(BEHAVIOURS))}")
    version = block.get("version", data.get("version", 1))
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail(f"emulator.version must be an integer >= 1, got {version!r}")
    category = data.get("category", block.get("category", _CATEGORY_BY_TYPE.get(integration_type, "Data Actions")))
    if not isinstance(category, str) or not category:
        raise fail("'category' must be a non-empty string")
    try:
        latency = LatencyModel.from_dict(block["latency"]) if "latency" in block else None
        faults = FaultPlan.from_dict(block.get("faults", []))
    except FaultPlanError as err:
        raise fail(f"emulator block: {err}") from None
    remote = _remote_of(block["remote"], fail, "emulator.remote") if "remote" in block else None

    return EmulatedAction(
        id=action_id_for(name, action_type),
        name=name,
        category=category,
        integration_id=integration_id_for(integration_type),
        integration_type=integration_type,
        version=version,
        secure=secure,
        input_schema=input_schema,
        success_schema=success_schema,
        config=config,
        behaviour=behaviour,
        latency=latency,
        faults=faults,
        synthetic=bool(block.get("synthetic", False)),
        source=source,
        remote=remote,
    )


def _remote_of(data: Any, fail: Any, label: str) -> RemoteResponse:
    if not isinstance(data, dict) or "body" not in data:
        raise fail(f"{label} must be an object {{\"status\": 200, \"body\": <the remote's JSON answer>}}")
    try:
        return RemoteResponse.from_dict(data)
    except ValueError as err:
        raise fail(f"{label}: {err}") from None


def load_action_file(path: str | Path) -> EmulatedAction:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ActionDefinitionError(f"{path}: cannot read the file ({err.strerror})") from None
    except UnicodeDecodeError:
        raise ActionDefinitionError(f"{path}: not UTF-8 text; export the action as JSON") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ActionDefinitionError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    action = parse_action(data, str(path))
    sidecar = path.parent / REMOTES_DIR_NAME / path.name
    if action.remote is None and sidecar.is_file():
        action = replace(action, remote=_load_remote(sidecar))
    return action


def _load_remote(path: Path) -> RemoteResponse:
    def fail(problem: str) -> ActionDefinitionError:
        return ActionDefinitionError(f"{path}: {problem}")

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise fail(f"cannot read the remote answer ({err})") from None
    return _remote_of(data, fail, "the remote answer")


def load_actions_dir(directory: str | Path) -> list[EmulatedAction]:
    """Every ``*.json`` file directly in ``directory``, sorted by file name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ActionDefinitionError(f"{directory}: not a directory of exported action JSON files")
    return [load_action_file(path) for path in sorted(directory.glob("*.json"))]


def index_actions(actions: Iterable[EmulatedAction]) -> dict[str, EmulatedAction]:
    """Actions by id; two files defining the same name (so the same id) is an error naming both."""
    by_id: dict[str, EmulatedAction] = {}
    for action in actions:
        previous = by_id.get(action.id)
        if previous is not None:
            raise ActionDefinitionError(
                f"{action.source}: action name {action.name!r} is already defined in {previous.source}; "
                "names must be unique (the id is derived from the name)"
            )
        by_id[action.id] = action
    return by_id


def default_actions(*, include_samples: bool = True, include_real: bool = True) -> list[EmulatedAction]:
    actions: list[EmulatedAction] = []
    if include_samples:
        actions.extend(load_actions_dir(SAMPLE_ACTIONS_DIR))
    if include_real and REAL_ACTIONS_DIR.is_dir():
        actions.extend(load_actions_dir(REAL_ACTIONS_DIR))
    return actions
