"""The emulator's HTTP surface through the in-process transport: OAuth, listing, get, schemas, execute, test."""
from __future__ import annotations

import base64
import math
from typing import Any

import httpx
import pytest

from genesys_nb.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Emulator,
    EmulatorRequest,
    EmulatorTransport,
)
from genesys_nb.engine.steps import STEP_NAMES

ACTIONS = "/api/v2/integrations/actions"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def login(client: httpx.Client, client_id: str = DEFAULT_CLIENT_ID, secret: str = DEFAULT_CLIENT_SECRET) -> dict[str, str]:
    response = client.post("/oauth/token", auth=(client_id, secret), data={"grant_type": "client_credentials"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def emulator(clock: FakeClock) -> Emulator:
    return Emulator(seed=7, clock=clock)


@pytest.fixture()
def client(emulator: Emulator) -> httpx.Client:
    return httpx.Client(transport=EmulatorTransport(emulator, sleep=lambda s: None), base_url="http://emulator.test")


@pytest.fixture()
def auth(client: httpx.Client) -> dict[str, str]:
    return login(client)


def action_id(emulator: Emulator, name: str) -> str:
    return emulator.action_named(name).id


def assert_error_body(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == status
    assert body["status"] == status and body["code"] == code
    assert set(body) >= {"message", "code", "status", "contextId", "details", "errors"}
    assert response.headers["inin-correlation-id"] == body["contextId"]
    for name in ("inin-ratelimit-count", "inin-ratelimit-allowed", "inin-ratelimit-reset"):
        assert name in response.headers
    return body


# ---------------------------------------------------------------- OAuth
def test_token_with_basic_credentials(client: httpx.Client) -> None:
    response = client.post("/oauth/token", auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
                           data={"grant_type": "client_credentials"})
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer" and body["expires_in"] == 86400 and len(body["access_token"]) > 20


def test_token_with_form_fields(client: httpx.Client) -> None:
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": DEFAULT_CLIENT_ID,
                                                 "client_secret": DEFAULT_CLIENT_SECRET})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("client_id", "secret", "grant", "status", "error"),
    [
        (DEFAULT_CLIENT_ID, "wrong", "client_credentials", 401, "invalid_client"),
        ("nobody", DEFAULT_CLIENT_SECRET, "client_credentials", 401, "invalid_client"),
        (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, "password", 400, "unsupported_grant_type"),
        (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, "", 400, "unsupported_grant_type"),
    ],
)
def test_token_errors_are_oauth_shaped(client: httpx.Client, client_id: str, secret: str, grant: str,
                                       status: int, error: str) -> None:
    response = client.post("/oauth/token", auth=(client_id, secret), data={"grant_type": grant})
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["description"]
    assert secret not in response.text or secret == DEFAULT_CLIENT_SECRET


def test_token_lifetime_is_configurable_and_expires(emulator: Emulator, client: httpx.Client,
                                                    clock: FakeClock) -> None:
    emulator.set_limits(token_lifetime_s=2.5)
    response = client.post("/oauth/token", auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
                           data={"grant_type": "client_credentials"})
    assert response.json()["expires_in"] == 3
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert client.get(ACTIONS, headers=headers).status_code == 200
    clock.now += 2.6
    assert_error_body(client.get(ACTIONS, headers=headers), 401, "bad.credentials")


def test_missing_and_bad_tokens_get_401(client: httpx.Client) -> None:
    body = assert_error_body(client.get(ACTIONS), 401, "authentication.required")
    assert "bearer" in body["message"].lower()
    assert_error_body(client.get(ACTIONS, headers={"Authorization": "Bearer nope"}), 401, "bad.credentials")


def test_expire_tokens_and_reset_keeps_tokens(emulator: Emulator, client: httpx.Client,
                                              auth: dict[str, str]) -> None:
    emulator.reset()
    assert client.get(ACTIONS, headers=auth).status_code == 200
    emulator.expire_tokens()
    assert client.get(ACTIONS, headers=auth).status_code == 401
    fresh = login(client)
    emulator.reset(tokens=True)
    assert client.get(ACTIONS, headers=fresh).status_code == 401


def test_request_log_never_holds_the_token(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    client.get(ACTIONS, headers=auth)
    token = auth["Authorization"].split()[1]
    assert emulator.issued_tokens() == [token]
    text = repr(emulator.request_log) + repr([e.to_dict() for e in emulator.request_log]) + repr(emulator)
    assert token not in text and DEFAULT_CLIENT_SECRET not in text
    assert emulator.request_log[-1].token_id == "tok-1"


# ---------------------------------------------------------------- listing
def test_paging_walks_every_action_once(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    seen: list[str] = []
    url: str | None = f"{ACTIONS}?pageSize=5"
    pages = 0
    while url:
        body = client.get(url, headers=auth).json()
        pages += 1
        assert body["pageSize"] == 5 and body["pageNumber"] == pages
        assert body["total"] == len(emulator.actions)
        assert body["pageCount"] == math.ceil(len(emulator.actions) / 5)
        assert body["firstUri"].endswith("pageSize=5&pageNumber=1")
        assert ("previousUri" in body) == (pages > 1)
        seen.extend(entity["id"] for entity in body["entities"])
        url = body.get("nextUri")
    assert pages == body["pageCount"]
    assert sorted(seen) == sorted(emulator.actions)
    names = [emulator.actions[i].name.lower() for i in seen]
    assert names == sorted(names)


def test_page_past_the_end_is_empty(client: httpx.Client, auth: dict[str, str]) -> None:
    body = client.get(ACTIONS, params={"pageSize": 100, "pageNumber": 9}, headers=auth).json()
    assert body["entities"] == [] and "nextUri" not in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "customer"}, {"Get Customer By Phone", "Update Customer Record", "List Customer Orders",
                                "Verify Customer PIN"}),
        ({"category": "CRM Lookups"}, {"Get Customer By Phone"}),
        ({"secure": "true"}, {"Verify Customer PIN", "LBP - AuthentifierClient"}),
    ],
)
def test_filters(client: httpx.Client, auth: dict[str, str], params: dict[str, str], expected: set[str]) -> None:
    body = client.get(ACTIONS, params={**params, "pageSize": 100}, headers=auth).json()
    assert {entity["name"] for entity in body["entities"]} == expected
    assert body["total"] == len(expected)


def test_ids_filter_sort_and_config(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    ids = [action_id(emulator, "Echo"), action_id(emulator, "Get Credit Score")]
    body = client.get(ACTIONS, params={"ids": ",".join(ids), "sortBy": "name", "sortOrder": "DESC",
                                       "includeConfig": "true"}, headers=auth).json()
    assert [entity["name"] for entity in body["entities"]] == ["Get Credit Score", "Echo"]
    assert all("config" in entity for entity in body["entities"])
    plain = client.get(ACTIONS, headers=auth).json()["entities"][0]
    assert "config" not in plain and "inputSchema" not in plain["contract"]["input"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"pageSize": "0"}, "pageSize"), ({"pageSize": "x"}, "pageSize"), ({"sortBy": "colour"}, "sortBy"),
     ({"sortOrder": "up"}, "sortOrder"), ({"secure": "maybe"}, "secure"),
     ({"ids": ",".join(f"custom_-_{i}" for i in range(51))}, "ids")],
)
def test_bad_query_parameters_get_400_naming_the_parameter(client: httpx.Client, auth: dict[str, str],
                                                           params: dict[str, str], field: str) -> None:
    body = assert_error_body(client.get(ACTIONS, params=params, headers=auth), 400, "bad.request")
    assert field in body["message"] and body["details"][0]["fieldName"] == field


def test_categories(client: httpx.Client, auth: dict[str, str]) -> None:
    body = client.get(f"{ACTIONS}/categories", params={"pageSize": 3}, headers=auth).json()
    assert body["pageSize"] == 3 and body["total"] >= 8 and len(body["entities"]) == 3
    assert set(body) == {"entities", "pageSize", "pageNumber", "total", "pageCount"}


# ---------------------------------------------------------------- one action and its schemas
def test_get_action_expand_contract_and_config(emulator: Emulator, client: httpx.Client,
                                               auth: dict[str, str]) -> None:
    action = emulator.action_named("Get Customer By Phone")
    body = client.get(f"{ACTIONS}/{action.id}", params={"expand": "contract", "includeConfig": "true"},
                      headers=auth).json()
    assert body["id"] == action.id and body["version"] == 3 and body["secure"] is False
    assert body["contract"]["input"]["inputSchema"] == action.input_schema
    assert body["contract"]["output"]["successSchema"] == action.success_schema
    assert body["config"]["timeoutSeconds"] == 10
    assert body["selfUri"] == f"{ACTIONS}/{action.id}"
    bare = client.get(f"{ACTIONS}/{action.id}", headers=auth).json()
    assert "inputSchema" not in bare["contract"]["input"] and "config" not in bare


def test_get_action_flattened_contract(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    action = emulator.action_named("List Customer Orders")
    body = client.get(f"{ACTIONS}/{action.id}", params={"expand": "contract", "flatten": "true"},
                      headers=auth).json()
    output = body["contract"]["output"]
    assert "successSchema" not in output
    flattened = output["successSchemaFlattened"]
    assert "orders.total.amount" in flattened["schema"]["properties"]
    assert "orders.orderId" in flattened["arrayProperties"] and "tags" in flattened["arrayProperties"]
    assert "inputSchemaFlattened" in body["contract"]["input"]


def test_schema_files_follow_the_uris(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    action = emulator.action_named("Get Customer By Phone")
    contract = client.get(f"{ACTIONS}/{action.id}", headers=auth).json()["contract"]
    assert client.get(contract["input"]["inputSchemaUri"], headers=auth).json() == action.input_schema
    assert client.get(contract["output"]["successSchemaUri"], headers=auth).json() == action.success_schema
    missing = client.get(f"{ACTIONS}/{action.id}/schemas/nope.json", headers=auth)
    assert_error_body(missing, 404, "not.found")


def test_unknown_action_and_route_get_real_404(client: httpx.Client, auth: dict[str, str]) -> None:
    body = assert_error_body(client.get(f"{ACTIONS}/custom_-_missing", headers=auth), 404, "not.found")
    assert "custom_-_missing" in body["message"]
    assert_error_body(client.post(f"{ACTIONS}/custom_-_missing/execute", json={}, headers=auth), 404, "not.found")
    assert_error_body(client.get("/api/v2/nothing/here", headers=auth), 404, "not.found")
    assert_error_body(client.get("/favicon.ico"), 404, "not.found")


def test_wrong_method_gets_405(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    assert_error_body(client.get(f"{ACTIONS}/{action_id(emulator, 'Echo')}/execute", headers=auth), 405,
                      "method.not.allowed")


def test_permissions_give_403(emulator: Emulator, client: httpx.Client) -> None:
    emulator.add_client("viewer", "viewer-secret", permissions={"integrations:action:view"})
    headers = login(client, "viewer", "viewer-secret")
    assert client.get(ACTIONS, headers=headers).status_code == 200
    response = client.post(f"{ACTIONS}/{action_id(emulator, 'Echo')}/execute", json={"message": "x"}, headers=headers)
    body = assert_error_body(response, 403, "not.authorized")
    assert "integrations:action:execute" in body["message"]


# ---------------------------------------------------------------- execute and test
def test_execute_returns_the_bare_output(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    url = f"{ACTIONS}/{action_id(emulator, 'Get Customer By Phone')}/execute"
    first = client.post(url, json={"phoneNumber": "+13175550100"}, headers=auth)
    again = client.post(url, json={"phoneNumber": "+13175550100"}, headers=auth)
    assert first.status_code == 200 and first.json() == again.json()
    assert set(first.json()) >= {"customerId", "firstName", "tier"}
    assert first.headers["inin-correlation-id"]
    entry = emulator.request_log[-1]
    assert entry.operation == "execute" and entry.executed and entry.status == 200


def test_execute_validation_names_every_bad_field(emulator: Emulator, client: httpx.Client,
                                                 auth: dict[str, str]) -> None:
    url = f"{ACTIONS}/{action_id(emulator, 'Create Support Ticket (synthetic nested input)')}/execute"
    bad = {"subject": "no", "priority": "meh", "contact": {"email": "not-an-email", "fax": "1"},
           "tags": ["a", "a"], "items": [{"sku": "A", "quantity": 0}]}
    body = assert_error_body(client.post(url, json=bad, headers=auth), 400, "bad.request")
    fields = {detail["fieldName"] for detail in body["details"]}
    assert fields == {"customerId", "subject", "priority", "contact.email", "contact.fax", "tags",
                      "items[0].quantity"}
    assert len(body["errors"]) == len(body["details"])
    assert not emulator.request_log[-1].executed


@pytest.mark.parametrize(("raw", "word"), [(b"{not json", "JSON"), (b"[1, 2]", "object")])
def test_execute_rejects_bodies_that_are_not_objects(emulator: Emulator, client: httpx.Client,
                                                     auth: dict[str, str], raw: bytes, word: str) -> None:
    url = f"{ACTIONS}/{action_id(emulator, 'Echo')}/execute"
    response = client.post(url, content=raw, headers={**auth, "content-type": "application/json"})
    assert word in assert_error_body(response, 400, "bad.request")["message"]


def test_execute_flatten(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    url = f"{ACTIONS}/{action_id(emulator, 'List Customer Orders')}/execute"
    nested = client.post(url, json={"customerId": "C-000042"}, headers=auth).json()
    flat = client.post(url, params={"flatten": "true"}, json={"customerId": "C-000042"}, headers=auth).json()
    assert flat["orders.orderId"] == [order["orderId"] for order in nested["orders"]]
    assert flat["orders.total.currency"] == ["USD"] * len(nested["orders"])
    assert flat["tags"] == nested["tags"]


def test_update_action_keeps_state(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    url = f"{ACTIONS}/{action_id(emulator, 'Update Customer Record')}/execute"
    created = client.post(url, json={"recordId": "R-1001", "tier": "gold"}, headers=auth).json()
    updated = client.post(url, json={"recordId": "R-1001", "tier": "gold", "notes": "vip"}, headers=auth).json()
    same = client.post(url, json={"recordId": "R-1001", "notes": "vip"}, headers=auth).json()
    assert created == {"recordId": "R-1001", "status": "created", "modifiedFields": ["tier"], "revision": 1}
    assert updated["status"] == "updated" and updated["modifiedFields"] == ["notes"] and updated["revision"] == 2
    assert same["status"] == "unchanged" and same["modifiedFields"] == []
    assert emulator.records["R-1001"]["revision"] == 3


def test_remote_not_found_carries_remote_endpoint_detail(emulator: Emulator, client: httpx.Client,
                                                         auth: dict[str, str]) -> None:
    url = f"{ACTIONS}/{action_id(emulator, 'Get Customer By Phone')}/execute"
    body = assert_error_body(client.post(url, json={"phoneNumber": "+13175550000"}, headers=auth), 404, "not.found")
    assert body["details"] == [{"errorCode": "ACTION.REMOTE_ENDPOINT"}]


def test_test_endpoint_numbers_its_operations(emulator: Emulator, client: httpx.Client,
                                              auth: dict[str, str]) -> None:
    url = f"{ACTIONS}/{action_id(emulator, 'Get Customer By Phone')}/test"
    body = client.post(url, json={"phoneNumber": "+13175550100"}, headers=auth).json()
    assert body["success"] is True
    assert [op["step"] for op in body["operations"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [op["name"] for op in body["operations"]] == list(STEP_NAMES)
    assert body["operations"][1]["result"].endswith("phone=%2B13175550100")
    assert body["finalResult"]["customerId"].startswith("C-")
    remote = body["operations"][4]["result"]  # the CRM's own shape, before the translation map
    assert remote["id"] == body["finalResult"]["customerId"] and "customerId" not in remote
    assert body["operations"][5]["result"]["customerId"] == f"\"{body['finalResult']['customerId']}\""


def test_test_endpoint_reports_a_failed_step(emulator: Emulator, client: httpx.Client,
                                             auth: dict[str, str]) -> None:
    url = f"{ACTIONS}/{action_id(emulator, 'Get Customer By Phone')}/test"
    response = client.post(url, json={"phoneNumber": "12"}, headers=auth)
    body = response.json()
    assert response.status_code == 200 and body["success"] is False
    assert body["operations"] == [{"step": 1, "name": "Validate input against schema", "success": False,
                                   "error": body["error"]}]
    assert body["error"]["details"][0]["fieldName"] == "phoneNumber"
    assert "finalResult" not in body


# ---------------------------------------------------------------- limits
def test_rate_limit_per_token_with_retry_after(emulator: Emulator, client: httpx.Client, auth: dict[str, str],
                                               clock: FakeClock) -> None:
    emulator.set_limits(rate_per_minute=3)
    counts = [client.get(ACTIONS, headers=auth).headers["inin-ratelimit-count"] for _ in range(3)]
    assert counts == ["1", "2", "3"]
    clock.now += 20
    limited = client.get(ACTIONS, headers=auth)
    body = assert_error_body(limited, 429, "too.many.requests.retry.after")
    assert limited.headers["retry-after"] == "40"
    assert body["message"] == "Rate limit exceeded the maximum. Retry the request in [40] seconds"
    assert limited.headers["inin-ratelimit-allowed"] == "3"
    other = login(client)
    assert client.get(ACTIONS, headers=other).status_code == 200  # the limit is per token
    clock.now += 40
    assert client.get(ACTIONS, headers=auth).status_code == 200


def test_time_scale_compresses_the_rate_minute_and_latency(emulator: Emulator, client: httpx.Client,
                                                           auth: dict[str, str], clock: FakeClock) -> None:
    emulator.set_limits(rate_per_minute=1, time_scale=60)
    assert client.get(ACTIONS, headers=auth).headers["inin-ratelimit-reset"] == "1"
    assert client.get(ACTIONS, headers=auth).headers["retry-after"] == "1"
    clock.now += 1.0
    assert client.get(ACTIONS, headers=auth).status_code == 200
    action = emulator.action_named("Get Credit Score")
    emulator.set_limits(rate_per_minute=300)
    request = EmulatorRequest.build("POST", f"{ACTIONS}/{action.id}/execute", "", auth,
                                    b'{"customerId": "C-000001", "bureau": "experian"}')
    decision = emulator.handle(request)
    decision.complete()
    assert decision.status == 200
    assert decision.delay_s == pytest.approx(emulator.request_log[-1].delay_ms / 1000 / 60)


def test_executions_in_flight_limit(emulator: Emulator, auth: dict[str, str]) -> None:
    emulator.set_limits(max_in_flight=2)
    echo = emulator.action_named("Echo")

    def execute() -> Any:
        return emulator.handle(EmulatorRequest.build("POST", f"{ACTIONS}/{echo.id}/execute", "", auth,
                                                     b'{"message": "x"}'))

    held = [execute(), execute()]
    assert emulator.in_flight == 2
    refused = execute()
    body = refused.json()
    assert refused.status == 429 and body["code"] == "too.many.requests.retry.after"
    assert "Concurrent executions" in body["message"] and body["limit"]["key"] == "actions.concurrent.executions.max"
    assert dict(refused.headers)["retry-after"] == "1"
    held[0].complete()
    accepted = execute()
    assert accepted.status == 200
    for decision in (held[1], accepted):
        decision.complete()
    assert emulator.in_flight == 0


def test_client_correlation_id_is_echoed(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.get(f"{ACTIONS}/custom_-_x", headers={**auth, "ININ-Correlation-Id": "row-17"})
    assert response.headers["inin-correlation-id"] == "row-17" == response.json()["contextId"]
    assert emulator.request_log[-1].correlation_id == "row-17"


def test_basic_header_that_is_not_base64_is_refused(client: httpx.Client) -> None:
    response = client.post("/oauth/token", headers={"Authorization": "Basic %%%"},
                           data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    encoded = base64.b64encode(b"only-an-id").decode()
    response = client.post("/oauth/token", headers={"Authorization": f"Basic {encoded}"},
                           data={"grant_type": "client_credentials"})
    assert response.status_code == 401


def test_an_internal_failure_is_a_500_error_body(emulator: Emulator, auth: dict[str, str]) -> None:
    class Exploding(dict):  # a header mapping that breaks mid-request
        def get(self, *args: Any) -> Any:
            raise RuntimeError("boom")

    request = EmulatorRequest(method="GET", path=ACTIONS, headers=Exploding(authorization=auth["Authorization"]))
    decision = emulator.handle(request)
    body = decision.json()
    assert decision.status == 500 and body["code"] == "internal.server.error" and "boom" in body["message"]
    assert dict(decision.headers)["inin-correlation-id"] == body["contextId"]


def test_request_log_is_bounded() -> None:
    emulator = Emulator(seed=1, include_real_actions=False, max_log_entries=2)
    client = httpx.Client(transport=EmulatorTransport(emulator), base_url="http://emulator.test")
    headers = login(client)
    for _ in range(4):
        client.get(ACTIONS, headers=headers)
    assert [entry.seq for entry in emulator.request_log] == [3, 4]
    assert [entry.seq for entry in emulator.requests_since(4)] == [4]
