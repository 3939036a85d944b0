"""The official Genesys Cloud Python SDK against the emulator server: every answer fits its models.

Each response is deserialized into the SDK's model, serialized back with the SDK's own
``sanitize_for_serialization`` (attribute_map names, None dropped) and compared with the JSON the
emulator sent: an unknown or misspelt field, or a wrong type, makes the comparison fail.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3

PureCloudPlatformClientV2 = pytest.importorskip("PureCloudPlatformClientV2")
from PureCloudPlatformClientV2.default_http_client import DefaultHttpClient
from PureCloudPlatformClientV2.rest import ApiException


class RecordingHttpClient(DefaultHttpClient):
    """The SDK's own HTTP client (its documented seam), keeping each successful response body."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[Any] = []

    def request(self, http_request_options: Any) -> Any:
        response = super().request(http_request_options)
        try:
            self.bodies.append(json.loads(response.data) if response.data else None)
        except ValueError:  # a template is text
            self.bodies.append(response.data)
        return response


class _RawResponse:
    def __init__(self, text: str) -> None:
        self.data = text

    def getheader(self, name: str) -> str:
        return "application/json"


@pytest.fixture()
def sdk(emulator_server: Any) -> tuple[Any, RecordingHttpClient]:
    api_client = PureCloudPlatformClientV2.ApiClient(host=emulator_server.url)
    recorder = RecordingHttpClient()
    api_client.set_http_client(recorder)
    api_client.get_client_credentials_token(emulator_server.client_id, emulator_server.client_secret)
    assert api_client.access_token
    return api_client, recorder


def integrations(api_client: Any) -> Any:
    return PureCloudPlatformClientV2.IntegrationsApi(api_client)


def assert_round_trip(api_client: Any, model: Any, raw: Any) -> None:
    assert api_client.sanitize_for_serialization(model) == raw


def assert_error_round_trip(api_client: Any, error: ApiException, status: int) -> dict[str, Any]:
    assert error.status == status
    raw = json.loads(error.body)
    model = api_client.deserialize(_RawResponse(error.body), "ErrorBody")
    assert api_client.sanitize_for_serialization(model) == raw
    assert model.status == status and model.context_id == error.headers["inin-correlation-id"]
    return raw


def test_login_and_bad_secret(emulator_server: Any) -> None:
    api_client = PureCloudPlatformClientV2.ApiClient(host=emulator_server.url)
    with pytest.raises(ApiException) as info:
        api_client.get_client_credentials_token(emulator_server.client_id, "wrong-secret")
    assert info.value.status == 401 and json.loads(info.value.body)["error"] == "invalid_client"


def test_list_every_page(sdk: tuple[Any, RecordingHttpClient], emulator_server: Any) -> None:
    api_client, recorder = sdk
    api = integrations(api_client)
    first = api.get_integrations_actions(page_size=4, page_number=1)
    assert_round_trip(api_client, first, recorder.bodies[-1])
    seen = [action.id for action in first.entities]
    for number in range(2, first.page_count + 1):
        page = api.get_integrations_actions(page_size=4, page_number=number, include_config=True)
        assert_round_trip(api_client, page, recorder.bodies[-1])
        seen.extend(action.id for action in page.entities)
    assert sorted(seen) == sorted(emulator_server.emulator.actions)
    filtered = api.get_integrations_actions(name="customer", secure=True, sort_order="DESC")
    assert_round_trip(api_client, filtered, recorder.bodies[-1])
    assert [action.name for action in filtered.entities] == ["Verify Customer PIN"]


def test_get_every_action_with_its_contract(sdk: tuple[Any, RecordingHttpClient], emulator_server: Any) -> None:
    api_client, recorder = sdk
    api = integrations(api_client)
    for action_id in emulator_server.emulator.actions:
        action = api.get_integrations_action(action_id, expand="contract", include_config=True)
        assert_round_trip(api_client, action, recorder.bodies[-1])
        assert action.contract.input.input_schema is not None and action.config is not None
        flat = api.get_integrations_action(action_id, expand="contract", flatten=True)
        assert_round_trip(api_client, flat, recorder.bodies[-1])
        assert flat.contract.output.success_schema_flattened is not None
        for file_name in ("inputschema.json", "successschema.json"):
            schema = api.get_integrations_action_schema(action_id, file_name)
            assert_round_trip(api_client, schema, recorder.bodies[-1])


def _config_keys(config: Any) -> dict[str, set[str]]:
    return {part: set(value) for part, value in config.items() if isinstance(value, dict)}


def test_published_actions_and_drafts_answer_one_config_shape(sdk: tuple[Any, RecordingHttpClient],
                                                              emulator_server: Any) -> None:
    api_client, recorder = sdk
    api = integrations(api_client)
    for action_id in emulator_server.emulator.actions:
        action = api.get_integrations_action(action_id, expand="contract", include_config=True)
        assert_round_trip(api_client, action, recorder.bodies[-1])
        published = recorder.bodies[-1]["config"]
        request, response = action.config.request, action.config.response
        # The template URIs the SDK's RequestConfig/ResponseConfig name, each serving that template.
        assert request.request_template_uri.endswith(f"/{action_id}/templates/requesttemplate.vm")
        assert response.success_template_uri.endswith(f"/{action_id}/templates/successtemplate.vm")
        served = api.get_integrations_action_template(action_id, "requesttemplate.vm")
        assert served == (request.request_template or "")
        draft = api.post_integrations_action_draft(action_id)
        assert_round_trip(api_client, draft, recorder.bodies[-1])
        drafted = api.get_integrations_action_draft(action_id, expand="contract", include_config=True)
        assert_round_trip(api_client, drafted, recorder.bodies[-1])
        assert _config_keys(recorder.bodies[-1]["config"]) == _config_keys(published)
        assert drafted.config.request.request_template_uri.endswith(f"/{action_id}/draft/templates/requesttemplate.vm")
        api.delete_integrations_action_draft(action_id)
    listing = api.get_integrations_actions(page_size=100, include_config=True)
    assert_round_trip(api_client, listing, recorder.bodies[-1])
    assert all(entity.config.request.request_template_uri for entity in listing.entities)


def test_categories(sdk: tuple[Any, RecordingHttpClient]) -> None:
    api_client, recorder = sdk
    listing = integrations(api_client).get_integrations_actions_categories(page_size=5)
    assert_round_trip(api_client, listing, recorder.bodies[-1])
    assert len(listing.entities) == 5


@pytest.mark.parametrize("flatten", [False, True])
def test_execute_and_test(sdk: tuple[Any, RecordingHttpClient], emulator_server: Any, flatten: bool) -> None:
    api_client, recorder = sdk
    api = integrations(api_client)
    orders = emulator_server.emulator.action_named("List Customer Orders").id
    output = api.post_integrations_action_execute(orders, {"customerId": "C-000007"}, flatten=flatten)
    assert output == recorder.bodies[-1]
    assert ("orders.orderId" in output) is flatten
    result = api.post_integrations_action_test(orders, {"customerId": "C-000007"}, flatten=flatten)
    assert_round_trip(api_client, result, recorder.bodies[-1])
    assert result.success and [op.step for op in result.operations] == [1, 2, 3, 4, 5, 6, 7, 8]
    failed = api.post_integrations_action_test(orders, {"customerId": "nope"})
    assert_round_trip(api_client, failed, recorder.bodies[-1])
    assert failed.success is False and failed.error.details[0].field_name == "customerId"


def test_400_401_404(sdk: tuple[Any, RecordingHttpClient], emulator_server: Any) -> None:
    api_client, _ = sdk
    api = integrations(api_client)
    phone = emulator_server.emulator.action_named("Get Customer By Phone").id
    with pytest.raises(ApiException) as info:
        api.post_integrations_action_execute(phone, {"phoneNumber": "12"})
    raw = assert_error_round_trip(api_client, info.value, 400)
    assert raw["details"] == [{"errorCode": "ACTION.INPUT_VALIDATION", "fieldName": "phoneNumber"}]
    with pytest.raises(ApiException) as info:
        api.get_integrations_action("custom_-_00000000-0000-0000-0000-000000000000")
    assert_error_round_trip(api_client, info.value, 404)
    with pytest.raises(ApiException) as info:
        api.post_integrations_action_execute(phone, {"phoneNumber": "+13175550000"})
    assert_error_round_trip(api_client, info.value, 404)
    api_client.access_token = "not-a-token"
    with pytest.raises(ApiException) as info:
        api.get_integrations_actions()
    assert_error_round_trip(api_client, info.value, 401)


def test_500_with_remote_endpoint_detail(sdk: tuple[Any, RecordingHttpClient], emulator_server: Any) -> None:
    api_client, _ = sdk
    echo = emulator_server.emulator.action_named("Echo").id
    emulator_server.emulator.set_faults(echo, {"rules": [{"type": "sequence", "statuses": [500]}]})
    with pytest.raises(ApiException) as info:
        integrations(api_client).post_integrations_action_execute(echo, {"message": "m"})
    raw = assert_error_round_trip(api_client, info.value, 500)
    assert raw["details"] == [{"errorCode": "ACTION.REMOTE_ENDPOINT"}]


def test_429_is_retried_by_the_stock_sdk_after_retry_after(sdk: tuple[Any, RecordingHttpClient],
                                                           emulator_server: Any) -> None:
    api_client, _ = sdk
    echo = emulator_server.emulator.action_named("Echo").id
    emulator_server.emulator.set_faults(echo, {"rules": [{"type": "sequence", "statuses": [429], "retry_after_s": 0}]})
    assert integrations(api_client).post_integrations_action_execute(echo, {"message": "m"}) == {"message": "m"}
    statuses = [e.status for e in emulator_server.emulator.request_log if e.operation == "execute"]
    assert statuses == [429, 200]  # urllib3 parsed our Retry-After and re-sent


def test_429_surfaces_as_api_exception_without_urllib3_retries(sdk: tuple[Any, RecordingHttpClient],
                                                               emulator_server: Any) -> None:
    api_client, recorder = sdk
    # The SDK's pool honours Retry-After on its own; switch that off to see the 429 itself.
    recorder.rest_client.pool_manager = urllib3.PoolManager(retries=urllib3.util.Retry(
        total=0, respect_retry_after_header=False, raise_on_status=False))
    emulator_server.emulator.set_limits(rate_per_minute=1)
    api = integrations(api_client)
    api.get_integrations_actions()
    with pytest.raises(ApiException) as info:
        api.get_integrations_actions()
    raw = assert_error_round_trip(api_client, info.value, 429)
    assert raw["code"] == "too.many.requests.retry.after"
    assert raw["message"] == f"Rate limit exceeded the maximum. Retry the request in [{info.value.headers['Retry-After']}] seconds"


def test_draft_lifecycle_fits_the_sdk_models(sdk: tuple[Any, RecordingHttpClient], emulator_server: Any) -> None:
    api_client, recorder = sdk
    api = integrations(api_client)
    lookup = emulator_server.emulator.action_named("Get Customer By Phone")
    draft = api.post_integrations_action_draft(lookup.id)
    assert_round_trip(api_client, draft, recorder.bodies[-1])
    assert draft.version == 1 and draft.config.request.request_template_uri.endswith("/draft/templates/requesttemplate.vm")
    listing = api.get_integrations_actions_drafts(include_config=True)
    assert_round_trip(api_client, listing, recorder.bodies[-1])
    assert [entity.id for entity in listing.entities] == [lookup.id]
    got = api.get_integrations_action_draft(lookup.id, expand="contract", include_config=True)
    assert_round_trip(api_client, got, recorder.bodies[-1])
    flat = api.get_integrations_action_draft(lookup.id, expand="contract", flatten=True, include_config=True)
    assert_round_trip(api_client, flat, recorder.bodies[-1])
    config = api_client.sanitize_for_serialization(got.config)
    config["response"]["successTemplate"] = "#if($customerId) {}"
    body = PureCloudPlatformClientV2.UpdateDraftInput()
    body.config, body.version = config, 1
    patched = api.patch_integrations_action_draft(lookup.id, body)
    assert_round_trip(api_client, patched, recorder.bodies[-1])
    assert patched.version == 2
    validation = api.get_integrations_action_draft_validation(lookup.id)
    assert_round_trip(api_client, validation, recorder.bodies[-1])
    assert validation.valid is False and validation.errors[0].details[0].field_name == "successTemplate"
    schema = api.get_integrations_action_draft_schema(lookup.id, "inputschema.json")
    assert_round_trip(api_client, schema, recorder.bodies[-1])
    template = api.get_integrations_action_draft_template(lookup.id, "successtemplate.vm")
    assert template == "#if($customerId) {}"
    stale = PureCloudPlatformClientV2.PublishDraftInput()
    stale.version = 1
    with pytest.raises(ApiException) as info:
        api.post_integrations_action_draft_publish(lookup.id, stale)
    assert_error_round_trip(api_client, info.value, 409)
    body = PureCloudPlatformClientV2.UpdateDraftInput()
    body.config, body.version = api_client.sanitize_for_serialization(draft.config), 2
    api.patch_integrations_action_draft(lookup.id, body)
    result = api.post_integrations_action_draft_test(lookup.id, {"phoneNumber": "+13175550100"})
    assert_round_trip(api_client, result, recorder.bodies[-1])
    assert result.success
    publish = PureCloudPlatformClientV2.PublishDraftInput()
    publish.version = 3
    published = api.post_integrations_action_draft_publish(lookup.id, publish)
    assert_round_trip(api_client, published, recorder.bodies[-1])
    assert published.version == lookup.version + 1
    with pytest.raises(ApiException) as info:
        api.delete_integrations_action_draft(lookup.id)
    assert_error_round_trip(api_client, info.value, 404)


def test_new_draft_and_delete(sdk: tuple[Any, RecordingHttpClient], emulator_server: Any) -> None:
    api_client, recorder = sdk
    api = integrations(api_client)
    echo = emulator_server.emulator.action_named("Echo")
    body = PureCloudPlatformClientV2.PostActionInput()
    body.name, body.category, body.integration_id = "Echo Copy", "Utilities", echo.integration_id
    body.config = {"request": {"requestUrlTemplate": "https://echo.example.com", "requestType": "POST"},
                   "response": {"successTemplate": "${rawResult}"}}
    body.contract = {"input": {"inputSchema": echo.input_schema}, "output": {"successSchema": echo.success_schema}}
    draft = api.post_integrations_actions_drafts(body)
    assert_round_trip(api_client, draft, recorder.bodies[-1])
    api.delete_integrations_action_draft(draft.id)
    assert api.get_integrations_actions_drafts().entities == []


def test_actions_aggregates_query_fits_the_sdk_models(sdk: tuple[Any, RecordingHttpClient], emulator_server: Any) -> None:
    api_client, recorder = sdk
    api = integrations(api_client)
    echo = emulator_server.emulator.action_named("Echo").id
    for _ in range(3):
        api.post_integrations_action_execute(echo, {"message": "m"})
    query = PureCloudPlatformClientV2.ActionAggregationQuery()
    query.interval = "2000-01-01T00:00:00Z/2100-01-01T00:00:00Z"
    query.group_by = ["actionId", "responseStatus"]
    query.metrics = ["tTotalExecution"]
    analytics = PureCloudPlatformClientV2.AnalyticsApi(api_client)
    response = analytics.post_analytics_actions_aggregates_query(query)
    assert_round_trip(api_client, response, recorder.bodies[-1])
    assert len(response.results) == 1 and response.results[0].group == {"actionId": echo, "responseStatus": "200"}
    stats = response.results[0].data[0].metrics[0].stats
    assert response.results[0].data[0].metrics[0].metric == "tTotalExecution" and stats.count == 3
    query.metrics = ["tNope"]
    with pytest.raises(ApiException) as info:
        analytics.post_analytics_actions_aggregates_query(query)
    assert_error_round_trip(api_client, info.value, 400)
