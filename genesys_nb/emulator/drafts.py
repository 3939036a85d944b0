"""Drafts of the emulated org's actions: create, read, patch with versions, validate, test, publish, delete.

One draft per action, kept in ``OrgState._drafts`` as a :class:`DraftSlot` (an :class:`EmulatedAction`
whose ``version`` is the draft's own, from 1, up by one on every PATCH). Choices where the platform's
behaviour is not documented (genesys-api.md section 1 lists the endpoints only), marked as the
emulator's:

- a second ``POST .../{id}/draft`` while a draft exists answers **409** ``general.conflict`` (detail
  ``ACTION.DRAFT_EXISTS``); so does a PATCH or publish whose ``version`` is not the draft's current
  one (detail ``ACTION.VERSION_MISMATCH``). A missing ``version`` is a 400 naming the field;
- validation runs the draft's config through :meth:`ActionEngine.problems` (template syntax,
  JSONPath, translation defaults, schemas) plus a missing request URL; each problem is one ErrorBody
  with detail ``ACTION.VALIDATION`` and ``fieldName`` where it is. Publishing an invalid draft is a 400
  carrying the same errors;
- publishing gives the action version ``published + 1`` (1 for a new action) with the draft's name,
  category, secure flag, config and contract, and removes the draft;
- ``POST .../draft/test`` runs the draft's config through the engine against the same remote stand-in
  as the published action (:meth:`Emulator._remote_answer`) with the action's latency model; it is
  logged as ``draft_test``.
"""
from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from jsonschema.exceptions import SchemaError

from genesys_nb.emulator import analytics, catalog, execution, integrations, remotes
from genesys_nb.emulator.actions import ACTIONS_PATH, EmulatedAction
from genesys_nb.emulator.call import Call
from genesys_nb.emulator.faults import FaultOutcome
from genesys_nb.emulator.tokens import EXECUTE_PERMISSION, VIEW_PERMISSION
from genesys_nb.emulator.wire import Decision, error_body
from genesys_nb.engine.steps import Steps

EDIT_PERMISSION = "integrations:action:edit"
ADD_PERMISSION = "integrations:action:add"
DELETE_PERMISSION = "integrations:action:delete"
DRAFT_PERMISSIONS = frozenset({EDIT_PERMISSION, ADD_PERMISSION, DELETE_PERMISSION, analytics.PERMISSION,
                               integrations.PERMISSION})

# The permission each draft operation needs (genesys-api.md section 1).
PERMISSIONS = {
    "drafts_list": VIEW_PERMISSION, "drafts_create": ADD_PERMISSION, "draft_get": VIEW_PERMISSION,
    "draft_update": EDIT_PERMISSION, "draft_create": EDIT_PERMISSION, "draft_delete": DELETE_PERMISSION,
    "draft_schema": VIEW_PERMISSION, "draft_template": VIEW_PERMISSION, "draft_validation": EDIT_PERMISSION,
    "draft_publish": EDIT_PERMISSION, "draft_test": EXECUTE_PERMISSION, "action_aggregates": analytics.PERMISSION,
    "integrations_list": integrations.PERMISSION, "integration_get": integrations.PERMISSION,
}
OPERATIONS = frozenset(PERMISSIONS) - integrations.OPERATIONS
INPUT_STEP = "Validate input against schema"
EXECUTE_STEP = "Execute request"
TEMPLATE_FILES = {"requesttemplate.vm": "request", "successtemplate.vm": "response"}
_POST_REQUIRED = ("name", "category", "integrationId", "config", "contract")


def permission_for(operation: str) -> str:
    """The permission an operation needs: the draft table, execute for execute/test, else view."""
    if operation in PERMISSIONS:
        return PERMISSIONS[operation]
    return EXECUTE_PERMISSION if operation in ("execute", "test") else VIEW_PERMISSION


@dataclass
class DraftSlot:
    """One action's draft, with the engine, validator and problems of its current version (made once)."""

    action: EmulatedAction
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def engine(self) -> Any:
        if "engine" not in self._cache:
            self._cache["engine"] = remotes.engine_for(self.action)
        return self._cache["engine"]

    def problems(self) -> list[Any]:
        if "problems" not in self._cache:
            found = list(self.engine().problems())
            if not (self.action.config.get("request") or {}).get("requestUrlTemplate"):
                found.insert(0, _Problem("config.request.requestUrlTemplate", "is required"))
            self._cache["problems"] = found
        return list(self._cache["problems"])

    def validator(self) -> Any:
        if "validator" not in self._cache:
            self._cache["validator"] = execution.compile_input_validator(self.action.input_schema)
        return self._cache["validator"]


@dataclass(frozen=True)
class _Problem:
    where: str
    message: str


def _conflict(message: str, context_id: str, detail: str) -> dict[str, Any]:
    return error_body(409, "general.conflict", message, context_id, details=[{"errorCode": detail}])


def _bad(message: str, context_id: str, field_name: str) -> dict[str, Any]:
    return error_body(400, "bad.request", message, context_id,
                      details=[{"errorCode": "INVALID_VALUE", "fieldName": field_name}])


def _not_found(message: str, context_id: str, action_id: str) -> dict[str, Any]:
    return error_body(404, "not.found", message, context_id,
                      details=[{"errorCode": "ACTION.NOT_FOUND", "entityId": action_id}])


def draft_json(draft: EmulatedAction, *, expand_contract: bool = True, flatten: bool = False,
               include_config: bool = True) -> dict[str, Any]:
    """The draft as the Action model, its URIs under ``.../{id}/draft``."""
    body = catalog.action_json(draft, expand_contract=expand_contract, flatten=flatten, include_config=False)
    self_uri = f"{draft.self_uri}/draft"
    body["contract"]["input"]["inputSchemaUri"] = f"{self_uri}/schemas/{catalog.INPUT_SCHEMA_FILE}"
    body["contract"]["output"]["successSchemaUri"] = f"{self_uri}/schemas/{catalog.SUCCESS_SCHEMA_FILE}"
    if include_config:
        body["config"] = catalog.config_json(draft.config, self_uri)
    body["selfUri"] = self_uri
    return {key: body[key] for key in ("id", "name", "integrationId", "category", "contract", "version", "secure",
                                       *(("config",) if include_config else ()), "selfUri")}


def _config_without_uris(config: dict[str, Any]) -> dict[str, Any]:
    """A config as sent back by a client that read it: the template URIs are the platform's, not the draft's."""
    cleaned = copy.deepcopy(config)
    for part, (_, key) in catalog.TEMPLATE_URI_KEYS.items():
        if isinstance(cleaned.get(part), dict):
            cleaned[part].pop(key, None)
    return cleaned


def _check_fields(body: dict[str, Any], context_id: str) -> dict[str, Any] | None:
    """The ErrorBody of the first field of an UpdateDraftInput/PostActionInput that is wrong, else None."""
    for name in ("name", "category"):
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 256):
            return _bad(f"'{name}' must be a non-empty string of at most 256 characters", context_id, name)
    if body.get("secure") is not None and not isinstance(body["secure"], bool):
        return _bad("'secure' must be true or false", context_id, "secure")
    config = body.get("config")
    if config is not None:
        if not isinstance(config, dict):
            return _bad("'config' must be an ActionConfig object", context_id, "config")
        timeout = config.get("timeoutSeconds")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 60):
            return _bad(f"'config.timeoutSeconds' must be an integer 1..60, got {timeout!r}", context_id,
                        "config.timeoutSeconds")
    contract = body.get("contract")
    if contract is not None:
        if not isinstance(contract, dict):
            return _bad("'contract' must be {input: {inputSchema}, output: {successSchema}}", context_id, "contract")
        for part, key in (("input", "inputSchema"), ("output", "successSchema")):
            section = contract.get(part)
            if section is not None and (not isinstance(section, dict) or not isinstance(section.get(key, {}), dict)):
                return _bad(f"'contract.{part}.{key}' must be a JSON Schema object", context_id,
                            f"contract.{part}.{key}")
    return None


def _apply(draft: EmulatedAction, body: dict[str, Any], version: int) -> EmulatedAction:
    contract = body.get("contract") or {}
    return replace(
        draft,
        name=body.get("name") or draft.name,
        category=body.get("category") or draft.category,
        secure=draft.secure if body.get("secure") is None else body["secure"],
        config=_config_without_uris(body["config"]) if body.get("config") is not None else draft.config,
        input_schema=(contract.get("input") or {}).get("inputSchema", draft.input_schema),
        success_schema=(contract.get("output") or {}).get("successSchema", draft.success_schema),
        version=version,
    )


def handle(emulator: Any, call: Call, parts: list[str]) -> Decision:
    """Answer one draft (or action-analytics) request; the caller checked the method and permission."""
    operation, request, context_id = call.operation, call.request, call.context_id
    if operation == "action_aggregates":
        return analytics.answer(emulator, call)
    if operation == "drafts_list":
        listing = catalog.list_actions(request, [slot.action for slot in emulator._drafts.values()])
        listing["entities"] = [draft_json(emulator._drafts[e["id"]].action, expand_contract=False,
                                          include_config=catalog.flag(request, "includeConfig"))
                               for e in listing["entities"]]
        for key in ("firstUri", "selfUri", "lastUri", "nextUri", "previousUri"):
            if key in listing:
                listing[key] = listing[key].replace(f"{ACTIONS_PATH}?", f"{ACTIONS_PATH}/drafts?", 1)
        return call.answer(200, listing)
    if operation == "drafts_create":
        return _create_new(emulator, call)
    action_id = parts[0]
    published: EmulatedAction | None = emulator._actions.get(action_id)
    slot: DraftSlot | None = emulator._drafts.get(action_id)
    if operation == "draft_create":
        if published is None:
            return call.error(_not_found(f"Unable to find an action with id {action_id}.", context_id, action_id))
        if slot is not None:
            return call.error(_conflict(f"Action {action_id} already has a draft (version {slot.action.version}); "
                                        "patch it, publish it or delete it first.", context_id, "ACTION.DRAFT_EXISTS"))
        slot = emulator._drafts[action_id] = DraftSlot(replace(published, version=1))
        return call.answer(200, draft_json(slot.action))
    if slot is None:
        what = "an action" if published is None else "a draft for the action"
        return call.error(_not_found(f"Unable to find {what} with id {action_id}.", context_id, action_id))
    draft = slot.action
    if operation == "draft_get":
        return call.answer(200, draft_json(draft, expand_contract=request.param("expand") == "contract",
                                           flatten=catalog.flag(request, "flatten"),
                                           include_config=catalog.flag(request, "includeConfig")))
    if operation == "draft_delete":
        del emulator._drafts[action_id]
        return call.finish(Decision(204, [], b""))
    if operation == "draft_schema":
        document = catalog.schema_document(draft, parts[3], catalog.flag(request, "flatten"))
        if document is None:
            return call.error(error_body(404, "not.found", f"The draft of {action_id} has no schema file "
                                         f"'{parts[3]}'; use the URIs its contract gives.", context_id))
        return call.answer(200, document)
    if operation == "draft_template":
        if parts[3] not in TEMPLATE_FILES:
            return call.error(error_body(404, "not.found", f"The draft of {action_id} has no template "
                                         f"'{parts[3]}'; use {' or '.join(TEMPLATE_FILES)}.", context_id))
        engine = slot.engine()
        text = engine.request_template if parts[3] == "requesttemplate.vm" else engine.success_template
        return call.finish(Decision(200, [("content-type", "text/plain; charset=utf-8")], text.encode("utf-8")))
    if operation == "draft_validation":
        return call.answer(200, validation_result(slot, context_id))
    if operation == "draft_test":
        return _test(emulator, call, slot, published)
    body, problem = execution.parse_input(request.body)
    if body is None:
        return call.error(execution.body_error(str(problem), context_id))
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        return call.error(_bad("'version' is required: the draft's current version (an integer)", context_id,
                               "version"))
    if version != draft.version:
        return call.error(_conflict(f"Version {version} is not the current version {draft.version} of the draft "
                                    f"of {action_id}; get the draft again and retry with its version.",
                                    context_id, "ACTION.VERSION_MISMATCH"))
    if operation == "draft_update":
        wrong = _check_fields(body, context_id)
        if wrong is not None:
            return call.error(wrong)
        slot = emulator._drafts[action_id] = DraftSlot(_apply(draft, body, draft.version + 1))
        return call.answer(200, draft_json(slot.action))
    result = validation_result(slot, context_id)  # draft_publish
    if not result["valid"]:
        return call.error(error_body(400, "bad.request", f"The draft of {action_id} is not valid and cannot be "
                                     f"published: {'; '.join(e['message'] for e in result['errors'])}", context_id,
                                     details=[{"errorCode": "ACTION.VALIDATION"}], errors=result["errors"]))
    action = replace(draft, version=(published.version + 1) if published is not None else 1)
    emulator._actions = {**emulator._actions, action_id: action}
    del emulator._drafts[action_id]
    return call.answer(200, catalog.action_json(action, expand_contract=True, include_config=True))


def validation_result(slot: DraftSlot, context_id: str) -> dict[str, Any]:
    """The DraftValidationResult of a draft: ``{valid, errors[ErrorBody]}``."""
    errors = [{**error_body(400, "bad.request", f"{problem.where}: {problem.message}", context_id,
                            details=[{"errorCode": "ACTION.VALIDATION", "fieldName": problem.where}]),
               "entityId": slot.action.id, "entityName": slot.action.name}
              for problem in slot.problems()]
    return {"valid": not errors, "errors": errors}


def _create_new(emulator: Any, call: Call) -> Decision:
    """POST /actions/drafts: a draft of an action that does not exist yet (PostActionInput)."""
    context_id = call.context_id
    body, problem = execution.parse_input(call.request.body)
    if body is None:
        return call.error(execution.body_error(str(problem), context_id))
    missing = [name for name in _POST_REQUIRED if body.get(name) in (None, "")]
    if missing:
        return call.error(_bad(f"'{missing[0]}' is required (PostActionInput needs {', '.join(_POST_REQUIRED)})",
                               context_id, missing[0]))
    wrong = _check_fields(body, context_id)
    if wrong is not None:
        return call.error(wrong)
    contract = body["contract"]
    input_schema = (contract.get("input") or {}).get("inputSchema")
    success_schema = (contract.get("output") or {}).get("successSchema")
    if not isinstance(input_schema, dict) or not isinstance(success_schema, dict):
        return call.error(_bad("'contract' needs input.inputSchema and output.successSchema", context_id, "contract"))
    integration_id = str(body["integrationId"])
    integration_type = integrations.type_of(emulator, integration_id)
    if integration_type is None:
        return call.error(_bad(f"'integrationId' {integration_id} is not an integration of this org; "
                               "GET /api/v2/integrations lists them", context_id, "integrationId"))
    action_id = f"custom_-_{uuid.UUID(int=emulator._id_rng.getrandbits(128), version=4)}"
    call.action_id = action_id
    draft = EmulatedAction(id=action_id, name=body["name"], category=body["category"], integration_id=integration_id,
                           integration_type=integration_type, version=1, secure=body.get("secure") is True,
                           input_schema=input_schema, success_schema=success_schema,
                           config=_config_without_uris(body["config"]), source="<draft>")
    emulator._drafts[action_id] = DraftSlot(draft)
    return call.answer(200, draft_json(draft))


def _test(emulator: Any, call: Call, slot: DraftSlot, published: EmulatedAction | None) -> Decision:
    """The draft's config through the engine, like the action's /test, against the action's remote stand-in."""
    context_id, draft = call.context_id, slot.action
    inputs, problem = execution.parse_input(call.request.body)
    if inputs is None:
        return call.error(execution.body_error(str(problem), context_id))
    steps = Steps(context_id)
    schema_problems = [p for p in slot.problems() if p.where in ("inputSchema", "successSchema")]
    if schema_problems:
        steps.fail(INPUT_STEP, error_body(400, "bad.request", f"The draft's contract is not valid: "
                                          f"{schema_problems[0].where}: {schema_problems[0].message}", context_id))
        return call.answer(200, _wire_test(steps.to_dict()))
    try:
        field_problems = execution.field_problems(slot.validator(), inputs)
    except SchemaError as err:  # pragma: no cover - problems() reports an invalid schema first
        field_problems = [("$", f"the input schema is not valid: {err.message}")]
    if field_problems:
        steps.fail(INPUT_STEP, execution.validation_error(field_problems, context_id))
        return call.answer(200, _wire_test(steps.to_dict()))
    steps.ok(INPUT_STEP, inputs)
    engine = slot.engine()
    rendered = engine.request_steps(steps, inputs)
    if rendered is None:
        return call.answer(200, _wire_test(steps.to_dict()))
    call.executed = True
    faults = emulator._faults_for("draft_test", draft.id)
    model = draft.latency or (published.latency if published is not None else None)
    delay = FaultOutcome(faults.delay_ms + (model.sample_ms(emulator._rng) if model else 0.0), labels=faults.labels)
    response = emulator._remote_answer(draft, inputs, rendered)
    if isinstance(response, str):
        steps.fail(EXECUTE_STEP, remotes.no_answer_error(response, context_id))
        return call.answer(200, _wire_test(steps.to_dict()), delay)
    final = engine.finish_steps(steps, inputs, response, flatten=catalog.flag(call.request, "flatten"))
    return call.answer(200, _wire_test(steps.to_dict(final)), delay)


def _wire_test(result: dict[str, Any]) -> dict[str, Any]:
    """A TestExecutionResult without the engine's per-step warnings (the platform sends none)."""
    for operation in result["operations"]:
        operation.pop("warnings", None)
    return result
