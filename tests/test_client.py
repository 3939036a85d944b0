"""Sync and async Data Actions clients over httpx.MockTransport: requests as the real API expects them,
paging, schemas, every error class, failures that never raise out of execute, and sync/async parity."""
from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from genesys_nb import __version__
from genesys_nb.api.client import (
    AsyncDataActionsClient,
    DataActionsClient,
    rate_limit_from_headers,
    validate_timeout_ms,
)
from genesys_nb.api.errors import (
    APIError,
    BadRequestError,
    ContractError,
    ExecutionTimeoutError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RemoteEndpointError,
    ServerError,
    UnauthorizedError,
)
from genesys_nb.api.models import TestExecutionResult
from genesys_nb.api.result import ExecutionResult
from genesys_nb.api.settings import Settings

SECRET = "client-secret-never-printed"
SETTINGS = Settings("cid", SECRET, api_base_url="https://api.test", login_base_url="https://login.test")
TOKEN = "access-token-value-q7"
ACTION_ID = "custom_-_3f0c2c1e-8a51-4c61-9d7e-2a4f1f6b9e10"
BASE = f"/api/v2/integrations/actions/{ACTION_ID}"
INPUT_SCHEMA = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["phone"],
                "properties": {"phone": {"type": "string"}}}
SUCCESS_SCHEMA = {"type": "object", "properties": {"tier": {"type": "string"}}}
ACTION = {
    "id": ACTION_ID, "name": "Lookup", "version": 2, "secure": False, "category": "CRM",
    "contract": {
        "input": {"inputSchemaUri": f"{BASE}/schemas/inputschema.json", "inputSchema": INPUT_SCHEMA},
        "output": {"successSchemaUri": f"{BASE}/schemas/successschema.json", "successSchema": SUCCESS_SCHEMA},
    },
    "config": {"timeoutSeconds": 10},
    "selfUri": BASE,
    "somethingNew": 1,
}
Handler = Callable[[httpx.Request], httpx.Response]


class Api:
    """Serves the token endpoint and hands API requests to ``respond``; records every API request."""

    def __init__(self, respond: Handler) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": TOKEN, "expires_in": 86400})
        self.requests.append(request)
        return self.respond(request)


def client_for(respond: Handler) -> tuple[DataActionsClient, Api]:
    api = Api(respond)
    return DataActionsClient(SETTINGS, transport=httpx.MockTransport(api)), api


def async_client_for(respond: Handler) -> tuple[AsyncDataActionsClient, Api]:
    api = Api(respond)
    return AsyncDataActionsClient(SETTINGS, transport=httpx.MockTransport(api)), api


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Handler:
    def respond(request: httpx.Request) -> httpx.Response:
        if isinstance(body, (bytes, str)):
            return httpx.Response(status, content=body, headers=headers)
        if body is None:
            return httpx.Response(status, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return respond


def raising(exc_type: type[httpx.HTTPError]) -> Handler:
    def respond(request: httpx.Request) -> httpx.Response:
        raise exc_type("simulated", request=request)  # type: ignore[call-arg]

    return respond


# -- timeout directive ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1, 2, 30000, 59999, 60000])
def test_valid_timeouts(value: int) -> None:
    assert validate_timeout_ms(value) == value


@pytest.mark.parametrize("value", [0, -1, 60001, 10**9, True, False, 1.5, 30000.0, "30000", None])
def test_invalid_timeouts_name_the_bounds(value: Any) -> None:
    with pytest.raises(ValueError, match="1..60000"):
        validate_timeout_ms(value)


@pytest.mark.parametrize("value", [0, 60001, True, 2.5])
def test_bad_timeout_fails_before_any_request(value: Any) -> None:
    client, api = client_for(reply(200, {}))
    with client, pytest.raises(ValueError, match="1..60000"):
        client.execute(ACTION_ID, {"phone": "1"}, timeout_ms=value)
    assert api.requests == []
    assert client.auth.token_requests == 0


def test_async_bad_timeout_fails_before_any_request() -> None:
    client, api = async_client_for(reply(200, {}))

    async def main() -> None:
        async with client:
            with pytest.raises(ValueError, match="1..60000"):
                await client.execute(ACTION_ID, {}, timeout_ms=0)

    asyncio.run(main())
    assert api.requests == []


# -- execute: the request ------------------------------------------------------------------------

def test_execute_sends_the_raw_input_with_the_deadline() -> None:
    client, api = client_for(reply(200, {"tier": "gold"}, {"inin-correlation-id": "corr-1"}))
    with client:
        result = client.execute(ACTION_ID, {"phone": "+1317", "n": 3}, timeout_ms=2500)
    (request,) = api.requests
    assert request.method == "POST"
    assert request.url.path == f"{BASE}/execute"
    assert "flatten" not in request.url.params
    assert json.loads(request.content) == {"phone": "+1317", "n": 3}  # no {"input": ...} wrapper
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == f"genesys-nb/{__version__}"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.extensions["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    assert result.ok and result.output == {"tier": "gold"}
    assert result.status_code == 200 and result.correlation_id == "corr-1"
    assert result.timeout_ms == 2500 and result.attempts == 1 and result.request_sent
    assert result.error_class is None and result.errors == []
    assert result.latency_ms >= 0 and result.timestamp.tzinfo is not None


def test_execute_flatten_sets_the_query_parameter() -> None:
    client, api = client_for(reply(200, {"a.b": 1}))
    with client:
        assert client.execute(ACTION_ID, {}, flatten=True).output == {"a.b": 1}
    assert api.requests[0].url.params["flatten"] == "true"


def test_execute_quotes_the_action_id() -> None:
    client, api = client_for(reply(404, {"message": "nf", "status": 404}))
    with client:
        client.execute("a/b c", {})
    assert api.requests[0].url.raw_path.decode().startswith("/api/v2/integrations/actions/a%2Fb%20c/execute")


def test_execute_converts_table_scalars() -> None:
    class NumpyLike:
        def item(self) -> int:
            return 7

    client, api = client_for(reply(200, {}))
    with client:
        client.execute(ACTION_ID, {"n": NumpyLike()})
    assert json.loads(api.requests[0].content) == {"n": 7}


@pytest.mark.parametrize(("inputs", "exc"), [([1, 2], TypeError), ({"x": float("nan")}, ValueError),
                                             ({"x": object()}, ValueError)])
def test_execute_refuses_unsendable_inputs(inputs: Any, exc: type[Exception]) -> None:
    client, api = client_for(reply(200, {}))
    with client, pytest.raises(exc):
        client.execute(ACTION_ID, inputs)
    assert api.requests == []


@pytest.mark.parametrize("action_id", ["", "   ", None, 5])
def test_bad_action_id_is_refused(action_id: Any) -> None:
    client, _ = client_for(reply(200, {}))
    with client, pytest.raises(ValueError, match="action_id"):
        client.execute(action_id, {})


# -- execute: every error class ------------------------------------------------------------------

REMOTE_400 = {
    "message": "The request could not be understood by the server due to malformed syntax.",
    "code": "bad.request", "status": 400, "contextId": "ctx-400",
    "details": [{"errorCode": "ACTION.REMOTE_ENDPOINT"}],
    "errors": [{"message": "REST call for action execute failed. Message: Request to backend service failed.",
                "code": "BAD_REQUEST", "status": 400, "details": [], "errors": []}],
}
RESET_500 = {
    "message": "The server encountered an unexpected condition", "code": "internal.server.error", "status": 500,
    "contextId": "ctx-500", "details": [{"errorCode": "ACTION.REMOTE_ENDPOINT"}],
    "errors": [{"message": "Connection reset", "code": "INTERNAL_SERVER_ERROR", "status": 500}],
}
RATE_429 = {"message": "Rate limit exceeded the maximum. Retry the request in [42] seconds",
            "code": "too.many.requests.retry.after", "status": 429, "contextId": "ctx-429",
            "details": [], "errors": []}


@pytest.mark.parametrize(
    ("status", "body", "headers", "error_class", "error_code", "exc"),
    [
        (400, {"message": "bad", "code": "bad.request", "status": 400}, {}, "bad_request", "bad.request",
         BadRequestError),
        (400, REMOTE_400, {}, "remote_endpoint", "ACTION.REMOTE_ENDPOINT", RemoteEndpointError),
        (400, {"message": "x", "details": [{"errorCode": "ACTION.AUTHENTICATION"}]}, {}, "remote_endpoint",
         "ACTION.AUTHENTICATION", RemoteEndpointError),
        (500, RESET_500, {}, "remote_endpoint", "ACTION.REMOTE_ENDPOINT", RemoteEndpointError),
        (401, {"message": "no", "code": "bad.credentials", "status": 401}, {}, "auth", "bad.credentials",
         UnauthorizedError),
        (403, {"message": "You are not authorized", "code": "not.authorized", "status": 403}, {}, "permission",
         "not.authorized", PermissionDeniedError),
        (404, {"message": "not found", "code": "not.found", "status": 404}, {}, "not_found", "not.found",
         NotFoundError),
        (429, RATE_429, {"Retry-After": "42"}, "rate_limited", "too.many.requests.retry.after", RateLimitedError),
        (500, {"message": "boom", "code": "internal.server.error", "status": 500}, {}, "server",
         "internal.server.error", ServerError),
        (502, {"message": "bad gateway", "status": 502}, {}, "server", None, ServerError),
        (503, {"message": "unavailable", "code": "service.unavailable"}, {}, "server", "service.unavailable",
         ServerError),
        (504, {"message": "timeout", "details": [{"errorCode": "ACTION.REMOTE_ENDPOINT"}]}, {}, "remote_endpoint",
         "ACTION.REMOTE_ENDPOINT", RemoteEndpointError),
    ],
)
def test_execute_classifies_error_responses(
    status: int, body: dict[str, Any], headers: dict[str, str], error_class: str, error_code: str | None,
    exc: type[APIError],
) -> None:
    client, _ = client_for(reply(status, body, headers))
    with client:
        result = client.execute(ACTION_ID, {"phone": "1"})
    assert not result.ok
    assert (result.status_code, result.error_class, result.error_code) == (status, error_class, error_code)
    assert result.output is None
    assert result.error_body is not None and result.error_body.to_dict() == body
    assert result.error_message
    with pytest.raises(exc) as info:
        result.raise_for_error()
    assert info.value.status_code == status
    assert "Fix:" in str(info.value)


def test_remote_endpoint_message_includes_the_nested_cause() -> None:
    client, _ = client_for(reply(500, RESET_500))
    with client:
        result = client.execute(ACTION_ID, {})
    assert result.error_message is not None and "Connection reset" in result.error_message
    assert result.correlation_id == "ctx-500"  # from contextId when the header is missing


def test_correlation_header_wins_over_context_id() -> None:
    client, _ = client_for(reply(400, REMOTE_400, {"ININ-Correlation-Id": "hdr-1"}))
    with client:
        assert client.execute(ACTION_ID, {}).correlation_id == "hdr-1"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "42"}, 42.0),
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "-4"}, 0.0),
        ({"Retry-After": "soon"}, 42.0),  # garbage header: the normalized message still says [42]
        ({}, 42.0),
    ],
)
def test_retry_after_reaches_the_result(headers: dict[str, str], expected: float) -> None:
    client, _ = client_for(reply(429, RATE_429, headers))
    with client:
        result = client.execute(ACTION_ID, {})
    assert result.retry_after_s == expected
    with pytest.raises(RateLimitedError, match=f"wait {expected:g} s"):
        result.raise_for_error()


def test_429_without_any_hint_has_no_retry_after() -> None:
    client, _ = client_for(reply(429, {"message": "slow down", "status": 429}))
    with client:
        assert client.execute(ACTION_ID, {}).retry_after_s is None


def test_fix_hints_in_raised_errors() -> None:
    client, _ = client_for(reply(403, {"message": "nope", "status": 403}))
    with client:
        with pytest.raises(PermissionDeniedError, match="integrations:action:execute"):
            client.execute(ACTION_ID, {}).raise_for_error()
        with pytest.raises(PermissionDeniedError, match="integrations:action:view"):
            client.get_action(ACTION_ID)
        with pytest.raises(PermissionDeniedError, match="integrations:action:view"):
            client.list_actions()
        with pytest.raises(PermissionDeniedError, match="integrations:action:execute"):
            client.test(ACTION_ID, {})
    client, _ = client_for(reply(404, {"message": "no", "status": 404}))
    with client:
        with pytest.raises(NotFoundError, match=ACTION_ID):
            client.get_action(ACTION_ID)
        with pytest.raises(NotFoundError, match=ACTION_ID):
            client.execute(ACTION_ID, {}).raise_for_error()


# -- execute: bodies that are not what they should be ---------------------------------------------

@pytest.mark.parametrize(
    "content", [b"<html>oops</html>", b'{"tier": "go', b"", b"\xff\xfe\x00garbage", b"null-ish"]
)
def test_non_json_success_body_is_a_contract_error(content: bytes) -> None:
    client, _ = client_for(reply(200, content, {"Content-Type": "text/html"}))
    with client:
        result = client.execute(ACTION_ID, {})
    assert (result.ok, result.error_class, result.status_code) == (False, "contract", 200)
    assert result.error_message is not None and "text/html" in result.error_message
    with pytest.raises(ContractError):
        result.raise_for_error()


def test_204_is_success_without_output() -> None:
    client, _ = client_for(reply(204))
    with client:
        result = client.execute(ACTION_ID, {})
    assert result.ok and result.output is None


@pytest.mark.parametrize(
    ("status", "content", "error_class"),
    [
        (502, b"<html><body>Bad Gateway</body></html>", "server"),
        (503, b"", "server"),
        (500, b'{"message": "trunc', "server"),
        (400, b"plain words", "bad_request"),
        (403, b"Forbidden", "permission"),
        (429, b"Too Many", "rate_limited"),
    ],
)
def test_non_json_error_body_is_classified_by_status(status: int, content: bytes, error_class: str) -> None:
    client, _ = client_for(reply(status, content, {"Content-Type": "text/html; charset=utf-8"}))
    with client:
        result = client.execute(ACTION_ID, {})
    assert (result.error_class, result.status_code) == (error_class, status)
    message = result.error_message or ""
    assert "text/html" in message
    assert content[:10].decode(errors="replace") in message
    assert f"HTTP {status}" in message


def test_long_non_json_body_is_cut_in_the_message() -> None:
    client, _ = client_for(reply(502, b"x" * 5000, {"Content-Type": "text/plain"}))
    with client:
        result = client.execute(ACTION_ID, {})
    assert result.error_message is not None and len(result.error_message) < 400


@pytest.mark.parametrize(
    ("exc", "error_class", "request_sent"),
    [
        (httpx.ConnectError, "network", False),
        (httpx.ConnectTimeout, "network", False),
        (httpx.ReadTimeout, "timeout", True),
        (httpx.WriteTimeout, "timeout", True),
        (httpx.PoolTimeout, "timeout", False),
        (httpx.RemoteProtocolError, "network", True),
        (httpx.ReadError, "network", True),
        (httpx.WriteError, "network", True),
        (httpx.LocalProtocolError, "network", False),
    ],
)
def test_transport_failures_never_raise(exc: type[httpx.HTTPError], error_class: str, request_sent: bool) -> None:
    client, _ = client_for(raising(exc))
    with client:
        result = client.execute(ACTION_ID, {}, timeout_ms=1234)
    assert (result.ok, result.error_class, result.request_sent) == (False, error_class, request_sent)
    assert result.status_code is None and result.error_code == exc.__name__
    assert result.timeout_ms == 1234
    expected_exc = ExecutionTimeoutError if error_class == "timeout" else NetworkError
    with pytest.raises(expected_exc):
        result.raise_for_error()


def test_timeout_message_names_timeout_ms() -> None:
    client, _ = client_for(raising(httpx.ReadTimeout))
    with client:
        result = client.execute(ACTION_ID, {}, timeout_ms=1234)
    assert result.error_message is not None and "1234" in result.error_message
    with pytest.raises(ExecutionTimeoutError, match="raise timeout_ms"):
        result.raise_for_error()


def test_programming_errors_are_not_swallowed() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        raise KeyError("bug in a transport")

    client, _ = client_for(respond)
    with client, pytest.raises(KeyError):
        client.execute(ACTION_ID, {})


# -- rate limit headers ----------------------------------------------------------------------------

def test_rate_limit_headers_reach_result_and_client() -> None:
    headers = {"inin-ratelimit-count": "12", "inin-ratelimit-allowed": "180", "inin-ratelimit-reset": "47"}
    client, _ = client_for(reply(200, ACTION, headers))
    with client:
        assert client.last_rate_limit is None
        result = client.execute(ACTION_ID, {})
        assert result.rate_limit is not None
        assert (result.rate_limit.count, result.rate_limit.allowed, result.rate_limit.reset_s) == (12, 180, 47.0)
        assert client.last_rate_limit == result.rate_limit
        client.get_action(ACTION_ID)  # non-execute calls update it too
        assert client.last_rate_limit == result.rate_limit


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"inin-ratelimit-count": "x"}, None),
        ({"inin-ratelimit-allowed": "300"}, (None, 300, None)),
        ({"inin-ratelimit-count": "1", "inin-ratelimit-allowed": "180", "inin-ratelimit-reset": "61"}, (1, 180, 61.0)),
    ],
)
def test_rate_limit_from_headers(headers: dict[str, str], expected: tuple[Any, ...] | None) -> None:
    info = rate_limit_from_headers(httpx.Headers(headers))
    if expected is None:
        assert info is None
    else:
        assert info is not None and (info.count, info.allowed, info.reset_s) == expected


# -- list / get / schema / test ----------------------------------------------------------------------

def paged(total: int, *, page_count: bool = True, extra_empty: bool = False) -> Handler:
    def respond(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["pageSize"])
        number = int(request.url.params["pageNumber"])
        ids = list(range(total))[(number - 1) * size: number * size]
        body: dict[str, Any] = {"entities": [{"id": f"a{i}", "name": f"A{i}"} for i in ids],
                                "pageSize": size, "pageNumber": number, "total": total}
        if page_count:
            body["pageCount"] = -(-total // size)
        return httpx.Response(200, json=body)

    return respond


def test_list_actions_follows_every_page() -> None:
    client, api = client_for(paged(7))
    with client:
        actions = client.list_actions(page_size=3)
    assert [a.id for a in actions] == [f"a{i}" for i in range(7)]
    assert [r.url.params["pageNumber"] for r in api.requests] == ["1", "2", "3"]
    assert all(r.url.path == "/api/v2/integrations/actions" for r in api.requests)


def test_list_actions_without_page_count_stops_on_short_or_empty_page() -> None:
    client, api = client_for(paged(6, page_count=False))
    with client:
        assert len(client.list_actions(page_size=3)) == 6
    assert len(api.requests) == 3  # the third page is empty
    client, api = client_for(paged(5, page_count=False))
    with client:
        assert len(client.list_actions(page_size=3)) == 5
    assert len(api.requests) == 2  # the second page is short


def test_list_actions_stops_on_empty_entities_even_if_page_count_lies() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["pageNumber"])
        entities = [{"id": "a1"}] if number == 1 else []
        return httpx.Response(200, json={"entities": entities, "pageCount": 99})

    client, api = client_for(respond)
    with client:
        assert [a.id for a in client.list_actions()] == ["a1"]
    assert len(api.requests) == 2


def test_list_actions_passes_filters() -> None:
    client, api = client_for(paged(1))
    with client:
        client.list_actions(name="Look", category="CRM", secure=False)
        client.list_actions(secure=True)
    params = api.requests[0].url.params
    assert (params["name"], params["category"], params["secure"], params["pageSize"]) == ("Look", "CRM", "false",
                                                                                          "100")
    assert api.requests[1].url.params["secure"] == "true"
    assert "name" not in api.requests[1].url.params


@pytest.mark.parametrize("page_size", [0, 501, True, "10"])
def test_list_actions_page_size_bounds(page_size: Any) -> None:
    client, _ = client_for(paged(1))
    with client, pytest.raises(ValueError, match="page_size"):
        client.list_actions(page_size=page_size)


def test_list_actions_rejects_a_non_listing() -> None:
    client, _ = client_for(reply(200, {"unexpected": True}))
    with client, pytest.raises(ContractError, match="entities"):
        client.list_actions()


def test_get_action_expands_contract_and_config() -> None:
    client, api = client_for(reply(200, ACTION))
    with client:
        action = client.get_action(ACTION_ID)
    params = api.requests[0].url.params
    assert api.requests[0].url.path == BASE
    assert (params["expand"], params["includeConfig"]) == ("contract", "true")
    assert action.to_dict() == ACTION
    assert action.timeout_seconds == 10 and action.input_schema == INPUT_SCHEMA


def test_get_action_non_json_is_a_contract_error() -> None:
    client, _ = client_for(reply(200, b"<html/>", {"Content-Type": "text/html"}))
    with client, pytest.raises(ContractError, match="text/html"):
        client.get_action(ACTION_ID)


def schema_server(schema_status: int = 200) -> Handler:
    def respond(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == BASE:
            return httpx.Response(200, json=ACTION)
        if path.endswith("/schemas/inputschema.json"):
            return httpx.Response(schema_status, json={**INPUT_SCHEMA, "title": "from uri"})
        if path.endswith("/schemas/successschema.json"):
            return httpx.Response(schema_status, json={**SUCCESS_SCHEMA, "title": "from uri"})
        return httpx.Response(404, json={"message": "no route"})

    return respond


@pytest.mark.parametrize("which", ["input", "success"])
def test_get_schema_follows_the_uri(which: str) -> None:
    client, api = client_for(schema_server())
    with client:
        schema = client.get_schema(ACTION_ID, which)  # type: ignore[arg-type]
    assert schema["title"] == "from uri"
    assert api.requests[1].url.path == f"{BASE}/schemas/{which}schema.json"


def test_get_schema_falls_back_to_the_inline_schema() -> None:
    client, _ = client_for(schema_server(schema_status=404))
    with client:
        assert client.get_schema(ACTION_ID, "input") == INPUT_SCHEMA

    no_uri = json.loads(json.dumps(ACTION))
    del no_uri["contract"]["output"]["successSchemaUri"]
    client, api = client_for(reply(200, no_uri))
    with client:
        assert client.get_schema(ACTION_ID, "success") == SUCCESS_SCHEMA
    assert len(api.requests) == 1


def test_get_schema_never_sends_the_token_to_another_host() -> None:
    foreign = json.loads(json.dumps(ACTION))
    foreign["contract"]["input"]["inputSchemaUri"] = "https://evil.example/schema.json"
    client, api = client_for(reply(200, foreign))
    with client:
        assert client.get_schema(ACTION_ID) == INPUT_SCHEMA
    assert all(r.url.host == "api.test" for r in api.requests)


def test_get_schema_without_any_schema_is_a_contract_error() -> None:
    client, _ = client_for(reply(200, {"id": ACTION_ID, "contract": {"input": {}, "output": {}}}))
    with client, pytest.raises(ContractError, match="no input schema"):
        client.get_schema(ACTION_ID)


def test_get_schema_rejects_unknown_kind() -> None:
    client, api = client_for(schema_server())
    with client, pytest.raises(ValueError, match="'input' or 'success'"):
        client.get_schema(ACTION_ID, "error")  # type: ignore[arg-type]
    assert api.requests == []


TEST_BODY = {
    "success": True,
    "operations": [{"step": 1, "name": "Validate input against schema", "success": True, "result": {}},
                   {"step": 2, "name": "Execute request", "success": True, "result": {"id": "C-1"}}],
    "finalResult": {"tier": "gold"},
}


def test_test_returns_operations() -> None:
    client, api = client_for(reply(200, TEST_BODY))
    with client:
        result = client.test(ACTION_ID, {"phone": "1"}, flatten=True)
    assert isinstance(result, TestExecutionResult)
    assert result.success and len(result.operations) == 2 and result.final_result == {"tier": "gold"}
    assert result.to_dict() == TEST_BODY
    request = api.requests[0]
    assert request.url.path == f"{BASE}/test" and request.url.params["flatten"] == "true"
    assert json.loads(request.content) == {"phone": "1"}


def test_test_raises_on_error_status() -> None:
    client, _ = client_for(reply(400, REMOTE_400))
    with client, pytest.raises(RemoteEndpointError) as info:
        client.test(ACTION_ID, {})
    assert info.value.correlation_id == "ctx-400"
    assert info.value.error_body is not None and info.value.error_body.detail_codes == ["ACTION.REMOTE_ENDPOINT"]


def test_get_action_429_carries_retry_after() -> None:
    client, _ = client_for(reply(429, RATE_429, {"Retry-After": "5"}))
    with client, pytest.raises(RateLimitedError) as info:
        client.get_action(ACTION_ID)
    assert info.value.retry_after_s == 5.0


# -- async twins -----------------------------------------------------------------------------------

def test_async_client_does_the_same_work() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v2/integrations/actions":
            return paged(5)(request)
        if path.endswith("/execute"):
            return httpx.Response(200, json={"echo": json.loads(request.content)},
                                  headers={"inin-correlation-id": "c-9"})
        if path.endswith("/test"):
            return httpx.Response(200, json=TEST_BODY)
        return schema_server()(request)

    client, api = async_client_for(respond)

    async def main() -> tuple[Any, ...]:
        async with client:
            actions = await client.list_actions(page_size=2)
            streamed = [a.id async for a in client.iter_actions(page_size=2)]
            action = await client.get_action(ACTION_ID)
            schema = await client.get_schema(ACTION_ID, "success")
            result = await client.execute(ACTION_ID, {"x": 1}, flatten=True, timeout_ms=900)
            tested = await client.test(ACTION_ID, {})
            return actions, streamed, action, schema, result, tested

    actions, streamed, action, schema, result, tested = asyncio.run(main())
    assert [a.id for a in actions] == streamed == [f"a{i}" for i in range(5)]
    assert action.to_dict() == ACTION
    assert schema["title"] == "from uri"
    assert isinstance(result, ExecutionResult)
    assert result.ok and result.output == {"echo": {"x": 1}} and result.correlation_id == "c-9"
    execute_request = next(r for r in api.requests if r.url.path.endswith("/execute"))
    assert execute_request.extensions["timeout"]["read"] == 0.9
    assert execute_request.url.params["flatten"] == "true"
    assert tested.success


@pytest.mark.parametrize(
    ("exc", "error_class", "request_sent"),
    [(httpx.ConnectError, "network", False), (httpx.ReadTimeout, "timeout", True),
     (httpx.RemoteProtocolError, "network", True)],
)
def test_async_transport_failures_never_raise(
    exc: type[httpx.HTTPError], error_class: str, request_sent: bool
) -> None:
    client, _ = async_client_for(raising(exc))

    async def main() -> ExecutionResult:
        async with client:
            return await client.execute(ACTION_ID, {})

    result = asyncio.run(main())
    assert (result.error_class, result.request_sent) == (error_class, request_sent)


def test_async_error_classification_matches_sync() -> None:
    for status, body in [(403, {"message": "x"}), (429, RATE_429), (500, RESET_500), (502, b"<html>")]:
        sync, _ = client_for(reply(status, body, {"Retry-After": "2"}))
        with sync:
            expected = sync.execute(ACTION_ID, {})
        async_client, _ = async_client_for(reply(status, body, {"Retry-After": "2"}))

        async def main(c: AsyncDataActionsClient = async_client) -> ExecutionResult:
            async with c:
                return await c.execute(ACTION_ID, {})

        got = asyncio.run(main())
        keys = ("ok", "status_code", "error_class", "error_code", "error_message", "retry_after_s")
        assert {k: getattr(got, k) for k in keys} == {k: getattr(expected, k) for k in keys}
        if isinstance(body, dict) and body.get("contextId"):
            assert got.correlation_id == expected.correlation_id == body["contextId"]
        else:  # nothing came back to name the request: each keeps the id it sent (one per attempt)
            assert got.correlation_id and expected.correlation_id and got.correlation_id != expected.correlation_id


def test_async_non_execute_errors_raise() -> None:
    client, _ = async_client_for(reply(404, {"message": "nf", "status": 404}))

    async def main() -> None:
        async with client:
            with pytest.raises(NotFoundError, match=ACTION_ID):
                await client.get_action(ACTION_ID)

    asyncio.run(main())


# -- parity and hygiene ----------------------------------------------------------------------------

def public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_sync_and_async_clients_have_the_same_public_methods() -> None:
    sync = public_methods(DataActionsClient)
    async_ = public_methods(AsyncDataActionsClient)
    sync.pop("close")
    async_.pop("aclose")
    assert set(sync) == set(async_)
    assert set(sync) >= {"list_actions", "iter_actions", "get_action", "get_schema", "execute", "test"}
    for name, signature in sync.items():
        assert str(signature) == str(async_[name]).replace("AsyncIterator", "Iterator"), name
    for name in ("list_actions", "get_action", "get_schema", "execute", "test"):
        assert inspect.iscoroutinefunction(getattr(AsyncDataActionsClient, name)), name
    assert inspect.isasyncgenfunction(AsyncDataActionsClient.iter_actions)


def test_constructors_match_apart_from_the_transport_type() -> None:
    sync = inspect.signature(DataActionsClient.__init__).parameters
    async_ = inspect.signature(AsyncDataActionsClient.__init__).parameters
    assert list(sync) == list(async_)
    for name in sync:
        if name != "transport":
            assert sync[name].default == async_[name].default


def test_client_repr_hides_the_secret() -> None:
    client, _ = client_for(reply(200, {}))
    with client:
        client.execute(ACTION_ID, {})
        text = repr(client) + str(client) + repr(client.settings) + repr(client.auth)
    assert SECRET not in text and TOKEN not in text
    assert "cid" in text


def test_constructor_validates_its_arguments() -> None:
    with pytest.raises(TypeError, match="Settings"):
        DataActionsClient({"client_id": "x"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout_s"):
        DataActionsClient(SETTINGS, timeout_s=0)


def test_custom_user_agent_and_default_timeout() -> None:
    api = Api(reply(200, ACTION))
    with DataActionsClient(SETTINGS, transport=httpx.MockTransport(api), user_agent="nb-test/1",
                           timeout_s=7) as client:
        client.get_action(ACTION_ID)
    assert api.requests[0].headers["user-agent"] == "nb-test/1"
    assert api.requests[0].extensions["timeout"]["read"] == 7.0



def test_latency_is_within_total() -> None:
    client, _ = client_for(reply(200, {}))
    with client:
        first = client.execute(ACTION_ID, {})  # includes the login in total_ms
        second = client.execute(ACTION_ID, {})
    for result in (first, second):
        assert 0 <= result.latency_ms <= result.total_ms


def test_docstring_examples_run() -> None:
    import doctest

    import genesys_nb.api.client

    outcome = doctest.testmod(genesys_nb.api.client)
    assert outcome.attempted > 0 and outcome.failed == 0


# --- transport failures on the calls that raise ---------------------------------------------


def _failing_transport(exc: Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t-1", "expires_in": 3600, "token_type": "bearer"})
        raise exc

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("refused"), NetworkError),
        (httpx.ReadError("reset by peer"), NetworkError),
        (httpx.ReadTimeout("slow"), ExecutionTimeoutError),
    ],
)
def test_non_execute_calls_raise_classified_errors_on_transport_failure(exc: Exception, expected: type) -> None:
    settings = Settings("id", "s3cret", api_base_url="https://api.example.test")
    with DataActionsClient(settings, transport=_failing_transport(exc)) as client, pytest.raises(expected) as info:
        client.get_action("custom_-_abc")
    assert "custom_-_abc" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.HTTPError)
    with DataActionsClient(settings, transport=_failing_transport(exc)) as client, pytest.raises(expected):
        client.list_actions()


def test_async_non_execute_calls_raise_classified_errors_on_transport_failure() -> None:
    settings = Settings("id", "s3cret", api_base_url="https://api.example.test")

    async def main() -> None:
        async with AsyncDataActionsClient(settings, transport=_failing_transport(httpx.ConnectError("refused"))) as client:
            with pytest.raises(NetworkError):
                await client.test("custom_-_abc", {})

    asyncio.run(main())


# --- correlation ids ----------------------------------------------------------------------------


def test_execute_sends_a_correlation_id_and_keeps_it_when_no_response_came() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t-1", "expires_in": 3600})
        seen.append(request.headers["ININ-Correlation-Id"])
        if len(seen) == 1:
            raise httpx.ReadTimeout("slow")
        if len(seen) == 2:
            return httpx.Response(200, json={"ok": 1})  # no correlation header in the answer
        return httpx.Response(200, json={"ok": 1}, headers={"inin-correlation-id": "platform-id"})

    settings = Settings("id", "s3cret", api_base_url="https://api.example.test")
    with DataActionsClient(settings, transport=httpx.MockTransport(handler)) as client:
        timed_out = client.execute("custom_-_abc", {})
        answered = client.execute("custom_-_abc", {})
        echoed = client.execute("custom_-_abc", {})
    assert timed_out.error_class == "timeout" and timed_out.correlation_id == seen[0]
    assert answered.ok and answered.correlation_id == seen[1]
    assert echoed.correlation_id == "platform-id"
    assert len(set(seen)) == 3


def test_cookies_set_by_the_server_are_never_sent_back() -> None:
    cookie_headers: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t-1", "expires_in": 3600})
        cookie_headers.append(request.headers.get("cookie"))
        return httpx.Response(200, json={}, headers={"Set-Cookie": "session=abc; Path=/"})

    settings = Settings("id", "s3cret", api_base_url="https://api.example.test")
    with DataActionsClient(settings, transport=httpx.MockTransport(handler)) as client:
        client.execute("custom_-_abc", {})
        client.execute("custom_-_abc", {})
    assert cookie_headers == [None, None]


def test_both_clients_default_to_httpx_behind_the_network_policy() -> None:
    from genesys_nb.api.network import NetworkPolicy

    settings = Settings("id", "s3cret", api_base_url="https://api.example.test", proxy="http://proxy.corp:3128")
    sync_client = DataActionsClient(settings)
    async_client = AsyncDataActionsClient(settings)
    try:
        for client in (sync_client, async_client):
            assert isinstance(client.network, NetworkPolicy)
            assert client.network.proxy_for("https://api.example.test/x") == "http://proxy.corp:3128"
            assert client.network.proxy_for("http://127.0.0.1:8080/x") is None
            assert client._http.trust_env is False  # the policy decides, not httpx's own env reading
    finally:
        sync_client.close()
        asyncio.run(async_client.aclose())


def test_a_transport_of_the_callers_is_used_as_is() -> None:
    client = DataActionsClient(Settings("id", "s3cret", proxy="http://proxy.corp:3128"),
                               transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    assert client.network is None  # no proxy routing around a MockTransport or the emulator's transport
    client.close()
