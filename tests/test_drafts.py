"""Drafts through the SDK against the emulator over loopback: create, patch with versions, validate, test, publish."""
from __future__ import annotations

import asyncio
import copy
import inspect
from typing import Any

import pytest

from genesys_nb.api._draft_models import DraftValidationResult, update_draft_body
from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
from genesys_nb.api.errors import BadRequestError, NotFoundError, PermissionDeniedError
from genesys_nb.api.settings import Settings

PHONE = "+13175550100"


@pytest.fixture()
def client(settings: Any) -> Any:
    with DataActionsClient(settings) as sync_client:
        yield sync_client


@pytest.fixture()
def lookup(emulator_server: Any) -> Any:
    return emulator_server.emulator.action_named("Get Customer By Phone")


def _operations(emulator_server: Any) -> list[tuple[str, int | None]]:
    return [(entry.operation, entry.status) for entry in emulator_server.emulator.request_log
            if entry.operation != "token"]


def test_full_lifecycle_create_patch_validate_test_publish(client: Any, lookup: Any, emulator_server: Any) -> None:
    draft = client.create_draft(lookup.id)
    assert draft.id == lookup.id and draft.version == 1
    assert draft.self_uri.endswith(f"{lookup.id}/draft")
    assert draft.contract.input_schema_uri.endswith("/draft/schemas/inputschema.json")
    assert draft.config["response"]["translationMap"]["tier"] == "$.loyalty.tier"
    assert [d.id for d in client.list_drafts()] == [lookup.id]

    config = copy.deepcopy(draft.config)
    config["response"]["translationMap"]["tier"] = "$.loyalty.level"  # a path the CRM does not have
    patched = client.update_draft(lookup.id, version=1, config=config, name="Get Customer By Phone v2")
    assert patched.version == 2 and patched.name == "Get Customer By Phone v2"
    assert client.get_draft(lookup.id).config["response"]["translationMap"]["tier"] == "$.loyalty.level"
    assert client.validate_draft(lookup.id).valid is True

    on_draft = client.test_draft(lookup.id, {"phoneNumber": PHONE})
    on_published = client.test(lookup.id, {"phoneNumber": PHONE})
    assert on_draft.success and on_published.success
    assert on_draft.final_result["tier"] == "standard"  # the default, as the new path finds nothing
    assert on_published.final_result["tier"] != "standard"
    assert {k: v for k, v in on_draft.final_result.items() if k != "tier"} == \
        {k: v for k, v in on_published.final_result.items() if k != "tier"}  # same remote stand-in

    published = client.publish_draft(lookup.id, version=2)
    assert published.version == lookup.version + 1 and published.name == "Get Customer By Phone v2"
    assert client.get_action(lookup.id).version == lookup.version + 1
    assert client.test(lookup.id, {"phoneNumber": PHONE}).final_result["tier"] == "standard"
    assert client.list_drafts() == []
    with pytest.raises(NotFoundError):
        client.get_draft(lookup.id)
    operations = [op for op, _ in _operations(emulator_server)]
    for name in ("draft_create", "drafts_list", "draft_update", "draft_get", "draft_validation", "draft_test",
                 "test", "draft_publish", "get"):
        assert name in operations, name


def test_version_conflicts_are_409_and_a_second_draft_is_refused(client: Any, lookup: Any) -> None:
    client.create_draft(lookup.id)
    with pytest.raises(BadRequestError) as info:
        client.create_draft(lookup.id)
    assert info.value.status_code == 409 and info.value.error_body.detail_codes == ["ACTION.DRAFT_EXISTS"]
    client.update_draft(lookup.id, version=1, category="CRM v2")
    with pytest.raises(BadRequestError) as info:
        client.update_draft(lookup.id, version=1, category="stale")  # someone else patched it meanwhile
    assert info.value.status_code == 409
    assert info.value.error_body.detail_codes == ["ACTION.VERSION_MISMATCH"]
    assert "current version 2" in str(info.value)
    with pytest.raises(BadRequestError) as info:
        client.publish_draft(lookup.id, version=1)
    assert info.value.status_code == 409
    assert client.get_draft(lookup.id).category == "CRM v2"
    assert client.get_action(lookup.id).version == lookup.version  # nothing was published


def test_validation_finds_a_broken_template_and_a_bad_jsonpath_and_blocks_publish(client: Any, lookup: Any) -> None:
    draft = client.create_draft(lookup.id)
    config = copy.deepcopy(draft.config)
    config["response"]["successTemplate"] = "#if($customerId) {\"customerId\": ${customerId}}"  # no #end
    config["response"]["translationMap"]["tier"] = "$..[?("
    client.update_draft(lookup.id, version=1, config=config)
    result = client.validate_draft(lookup.id)
    assert isinstance(result, DraftValidationResult) and not result.valid
    fields = [error.raw["details"][0]["fieldName"] for error in result.errors]
    assert fields == ["successTemplate", "translationMap.tier"]
    assert "#if of line 1, column 1 has no #end" in result.messages[0] and "JSONPath" in result.messages[1]
    with pytest.raises(BadRequestError) as info:
        client.publish_draft(lookup.id, version=2)
    assert info.value.status_code == 400 and "cannot be published" in str(info.value)
    assert client.get_action(lookup.id).version == lookup.version


@pytest.mark.parametrize(("template", "valid"), [
    ('{"id": "#if( ${input.id}"}', False),  # an #if whose condition never closes
    ("/people/${input.id}/$", False),  # a bare $ at the end: Velocity's lexer refuses it
    ('#if($input.id){"id": 1}#endb', False),  # "#endb" is a word, so the #if is never closed
    ("/people/$esc.url($)", True),  # text to Velocity, not an error
])
def test_validation_refuses_what_velocity_cannot_parse_and_only_that(client: Any, lookup: Any, template: str,
                                                                     valid: bool) -> None:
    draft = client.create_draft(lookup.id)
    config = copy.deepcopy(draft.config)
    config["request"]["requestTemplate"] = template
    client.update_draft(lookup.id, version=1, config=config)
    result = client.validate_draft(lookup.id)
    assert result.valid is valid, result.messages
    if not valid:
        assert [error.raw["details"][0]["fieldName"] for error in result.errors] == ["requestTemplate"]
        assert "line 1, column" in result.messages[0]


def test_validation_finds_an_invalid_schema_and_draft_test_stops_at_the_input_step(client: Any, lookup: Any) -> None:
    draft = client.create_draft(lookup.id)
    contract = {"input": {"inputSchema": {"type": "object", "properties": {"phoneNumber": {"type": "strin"}}}}}
    client.update_draft(lookup.id, version=1, contract=contract)
    result = client.validate_draft(lookup.id)
    assert not result.valid and result.errors[0].raw["details"][0]["fieldName"] == "inputSchema"
    test = client.test_draft(lookup.id, {"phoneNumber": PHONE})
    assert test.success is False and test.operations[0].name == "Validate input against schema"
    assert draft.version == 1


def test_draft_test_reports_input_failures_like_test(client: Any, lookup: Any) -> None:
    client.create_draft(lookup.id)
    on_draft = client.test_draft(lookup.id, {"phoneNumber": "12"})
    on_published = client.test(lookup.id, {"phoneNumber": "12"})
    assert on_draft.success is on_published.success is False
    assert on_draft.error.detail_codes == on_published.error.detail_codes == ["ACTION.INPUT_VALIDATION"]


def test_schemas_templates_delete(client: Any, lookup: Any) -> None:
    client.create_draft(lookup.id)
    assert client.get_draft_schema(lookup.id, "input") == lookup.input_schema
    assert client.get_draft_schema(lookup.id, "success") == lookup.success_schema
    assert client.get_draft_template(lookup.id, "successtemplate.vm") == lookup.config["response"]["successTemplate"]
    assert client.get_draft_template(lookup.id, "requesttemplate.vm") == "${input.rawRequest}"
    with pytest.raises(ValueError, match="file_name"):
        client.get_draft_template(lookup.id, "other.vm")
    client.delete_draft(lookup.id)
    with pytest.raises(NotFoundError):
        client.delete_draft(lookup.id)
    assert client.get_action(lookup.id).version == lookup.version


def test_a_new_action_is_created_as_a_draft_and_published_as_version_1(client: Any, lookup: Any) -> None:
    body = {"name": "Brand New Lookup", "category": "CRM Lookups", "integrationId": lookup.integration_id,
            # No remote of its own yet: the emulator answers with a value of its success schema, returned as is.
            "config": {"request": {"requestUrlTemplate": "https://crm.example.com/v2/${input.phoneNumber}",
                                   "requestType": "GET"}, "response": {"successTemplate": "${rawResult}"}},
            "contract": {"input": {"inputSchema": lookup.input_schema},
                         "output": {"successSchema": lookup.success_schema}}}
    draft = client.create_draft(body)
    assert draft.id.startswith("custom_-_") and draft.id != lookup.id and draft.version == 1
    with pytest.raises(NotFoundError):
        client.get_action(draft.id)  # not published yet
    assert client.test_draft(draft.id, {"phoneNumber": PHONE}).success
    published = client.publish_draft(draft.id, version=1)
    assert published.version == 1 and client.get_action(draft.id).name == "Brand New Lookup"
    with pytest.raises(ValueError, match="integrationId"):
        client.create_draft({"name": "x", "category": "y", "config": {}, "contract": {}})


def test_draft_endpoints_check_their_permissions(emulator_server: Any, lookup: Any) -> None:
    emulator = emulator_server.emulator
    emulator.add_client("viewer", "viewer-secret", ["integrations:action:view", "integrations:action:execute"])
    viewer = DataActionsClient(Settings(client_id="viewer", client_secret="viewer-secret",
                                        api_base_url=emulator_server.url, login_base_url=emulator_server.url))
    with viewer, pytest.raises(PermissionDeniedError) as info:
        viewer.create_draft(lookup.id)
    assert info.value.error_body.message_params == {"permission": "integrations:action:edit"}


def test_update_body_needs_a_version_and_known_fields() -> None:
    assert update_draft_body(3, secure=False) == {"secure": False, "version": 3}
    with pytest.raises(ValueError, match="version"):
        update_draft_body(None, name="x")
    with pytest.raises(TypeError, match="unknown field"):
        update_draft_body(1, integrationId="x")


def test_async_client_has_the_same_draft_methods_and_works(settings: Any, lookup: Any) -> None:
    names = ("list_drafts", "create_draft", "get_draft", "update_draft", "validate_draft", "publish_draft",
             "test_draft", "get_draft_schema", "get_draft_template", "delete_draft", "action_aggregates")
    for name in names:
        sync, async_ = getattr(DataActionsClient, name), getattr(AsyncDataActionsClient, name)
        assert str(inspect.signature(sync)) == str(inspect.signature(async_)), name
        assert inspect.iscoroutinefunction(async_), name
    assert inspect.isasyncgenfunction(AsyncDataActionsClient.iter_drafts)

    async def lifecycle() -> tuple[int | None, bool, int | None]:
        async with AsyncDataActionsClient(settings) as aclient:
            draft = await aclient.create_draft(lookup.id)
            await aclient.update_draft(lookup.id, version=draft.version, name="Async edit")
            test = await aclient.test_draft(lookup.id, {"phoneNumber": PHONE})
            published = await aclient.publish_draft(lookup.id, version=2)
            return draft.version, test.success, published.version

    assert asyncio.run(lifecycle()) == (1, True, lookup.version + 1)
