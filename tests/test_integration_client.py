"""genesys_nb's clients against the emulator: over real loopback HTTP, and in-process where time matters."""
from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx
import pytest

from genesys_nb.api.aiohttp_transport import AiohttpTransport
from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
from genesys_nb.api.errors import AuthenticationError, NotFoundError
from genesys_nb.api.network import default_async_transport
from genesys_nb.api.settings import Settings
from genesys_nb.emulator import Emulator, EmulatorTransport


@pytest.fixture()
def client(settings: Settings) -> Any:
    with DataActionsClient(settings, timeout_s=10) as data_actions:
        yield data_actions


def action_id(server: Any, name: str) -> str:
    return server.emulator.action_named(name).id


def test_list_follows_every_page(client: DataActionsClient, emulator_server: Any) -> None:
    actions = client.list_actions(page_size=3)
    assert sorted(a.id for a in actions) == sorted(emulator_server.emulator.actions)
    lists = [e for e in emulator_server.emulator.request_log if e.operation == "list"]
    assert len(lists) >= math.ceil(len(actions) / 3)
    secure = client.list_actions(secure=True)
    assert {a.name for a in secure} == {"Verify Customer PIN", "LBP - AuthentifierClient"}
    assert [a.name for a in client.list_actions(category="Orders")] == ["List Customer Orders"]


def test_get_action_and_schemas(client: DataActionsClient, emulator_server: Any) -> None:
    expected = emulator_server.emulator.action_named("Get Customer By Phone")
    action = client.get_action(expected.id)
    assert (action.id, action.name, action.version, action.secure) == (expected.id, expected.name, 3, False)
    assert action.input_schema == expected.input_schema and action.timeout_seconds == 10
    assert client.get_schema(expected.id, "input") == expected.input_schema
    assert client.get_schema(expected.id, "success") == expected.success_schema
    assert any(e.operation == "schema" for e in emulator_server.emulator.request_log)
    with pytest.raises(NotFoundError) as info:
        client.get_action("custom_-_nope")
    assert info.value.status_code == 404 and info.value.correlation_id


def test_execute_ok_and_test_mode(client: DataActionsClient, emulator_server: Any) -> None:
    phone = action_id(emulator_server, "Get Customer By Phone")
    result = client.execute(phone, {"phoneNumber": "+13175550100"})
    assert result.ok and result.status_code == 200 and result.output["customerId"].startswith("C-")
    entry = emulator_server.emulator.request_log[-1]
    assert result.correlation_id == entry.correlation_id and entry.executed
    assert result.rate_limit is not None and result.rate_limit.allowed == 300
    flat = client.execute(action_id(emulator_server, "List Customer Orders"), {"customerId": "C-000003"}, flatten=True)
    assert flat.ok and "orders.orderId" in flat.output
    test = client.test(phone, {"phoneNumber": "+13175550100"})
    assert test.success and [op.step for op in test.operations] == [1, 2, 3, 4, 5, 6, 7, 8]


@pytest.mark.parametrize(
    ("name", "inputs", "rules", "status", "error_class"),
    [
        ("Get Customer By Phone", {"phoneNumber": "12"}, None, 400, "bad_request"),
        ("Get Customer By Phone", {"phoneNumber": "+13175550000"}, None, 404, "remote_endpoint"),
        ("Echo", {"message": "m"}, [{"type": "sequence", "statuses": [500]}], 500, "remote_endpoint"),
        ("Echo", {"message": "m"}, [{"type": "sequence", "statuses": [503]}], 503, "server"),
        ("Echo", {"message": "m"}, [{"type": "sequence", "statuses": [429], "retry_after_s": 7}], 429,
         "rate_limited"),
        ("Echo", {"message": "m"}, [{"type": "body", "kind": "html", "status": 200}], 200, "contract"),
    ],
)
def test_execute_failures_are_classified(client: DataActionsClient, emulator_server: Any, name: str,
                                         inputs: dict[str, Any], rules: list[Any] | None, status: int,
                                         error_class: str) -> None:
    if rules:
        emulator_server.emulator.set_faults(None, {"rules": rules})
    result = client.execute(action_id(emulator_server, name), inputs)
    assert not result.ok
    assert (result.status_code, result.error_class) == (status, error_class)
    if status == 429:
        assert result.retry_after_s == 7
    if status != 200:
        assert result.correlation_id == emulator_server.emulator.request_log[-1].correlation_id


def test_unknown_action_execute_is_not_found(client: DataActionsClient) -> None:
    result = client.execute("custom_-_nope", {})
    assert (result.status_code, result.error_class) == (404, "not_found")


def test_rate_limit_from_the_per_token_limit(client: DataActionsClient, emulator_server: Any) -> None:
    emulator_server.emulator.set_limits(rate_per_minute=2, time_scale=60)
    echo = action_id(emulator_server, "Echo")
    results = [client.execute(echo, {"message": str(i)}) for i in range(3)]
    assert [r.status_code for r in results] == [200, 200, 429]
    assert results[2].error_class == "rate_limited" and results[2].retry_after_s is not None


def test_reset_and_slow_answers(client: DataActionsClient, emulator_server: Any) -> None:
    echo = action_id(emulator_server, "Echo")
    emulator_server.emulator.set_faults(None, {"rules": [{"type": "sequence", "statuses": ["reset_after"]},
                                                         {"type": "slow", "delay_ms": 800, "rate": 0}]})
    reset = client.execute(echo, {"message": "m"})
    assert (reset.error_class, reset.request_sent) == ("network", True)
    emulator_server.emulator.set_faults(None, {"rules": [{"type": "slow", "delay_ms": 800}]})
    slow = client.execute(echo, {"message": "m"}, timeout_ms=150)
    assert slow.error_class == "timeout" and not slow.ok


def test_wrong_secret_and_missing_permission(emulator_server: Any) -> None:
    wrong = Settings(client_id=emulator_server.client_id, client_secret="wrong-secret",
                     api_base_url=emulator_server.url, login_base_url=emulator_server.url)
    with DataActionsClient(wrong) as bad, pytest.raises(AuthenticationError) as info:
        bad.list_actions()
    assert "wrong-secret" not in str(info.value)
    emulator_server.emulator.add_client("viewer-only", "viewer-secret", permissions={"integrations:action:view"})
    viewer = Settings(client_id="viewer-only", client_secret="viewer-secret",
                      api_base_url=emulator_server.url, login_base_url=emulator_server.url)
    with DataActionsClient(viewer) as limited:
        echo = action_id(emulator_server, "Echo")
        assert limited.get_action(echo).id == echo
        result = limited.execute(echo, {"message": "m"})
        assert (result.status_code, result.error_class) == (403, "permission")


def test_expired_token_is_refreshed_once(client: DataActionsClient, emulator_server: Any) -> None:
    echo = action_id(emulator_server, "Echo")
    assert client.execute(echo, {"message": "1"}).ok
    before = client.auth.token_requests
    emulator_server.emulator.expire_tokens()
    assert client.execute(echo, {"message": "2"}).ok
    assert client.auth.token_requests == before + 1
    tail = [(e.operation, e.status) for e in emulator_server.emulator.request_log][-3:]
    assert tail == [("execute", 401), ("token", 200), ("execute", 200)]


def test_token_lifetime_expiry_in_process() -> None:
    now = [0.0]
    emulator = Emulator(seed=2, include_real_actions=False, token_lifetime_s=3600, clock=lambda: now[0])
    settings = Settings(client_id=emulator.client_id, client_secret="emulator-demo-secret",
                        api_base_url="http://emulator.test", login_base_url="http://emulator.test")
    echo = emulator.action_named("Echo").id
    with DataActionsClient(settings, transport=EmulatorTransport(emulator)) as in_process:
        assert in_process.execute(echo, {"message": "a"}).ok
        now[0] += 3601  # the org's clock passes the token's lifetime; the client's cache does not know
        assert in_process.execute(echo, {"message": "b"}).ok
        assert in_process.auth.token_requests == 2
    statuses = [(e.operation, e.status) for e in emulator.request_log]
    assert statuses == [("token", 200), ("execute", 200), ("execute", 401), ("token", 200), ("execute", 200)]


def _async_transport(name: str) -> httpx.AsyncBaseTransport:
    """The default transport (httpx's own, proxy-aware), the aiohttp alternative, or plain httpx."""
    if name == "default":
        return default_async_transport()
    return AiohttpTransport() if name == "aiohttp" else httpx.AsyncHTTPTransport()


@pytest.mark.parametrize("transport", ["default", "aiohttp", "httpx"])
def test_async_client_matches_the_sync_one(settings: Settings, emulator_server: Any, transport: str) -> None:
    phone = action_id(emulator_server, "Get Customer By Phone")
    with DataActionsClient(settings) as sync_client:
        expected = sync_client.execute(phone, {"phoneNumber": "+13175550100"}).output

    async def main() -> list[Any]:
        chosen = _async_transport(transport)
        async with AsyncDataActionsClient(settings, transport=chosen) as async_client:
            listed = await async_client.list_actions(page_size=7)
            results = await asyncio.gather(*[
                async_client.execute(phone, {"phoneNumber": "+13175550100"}) for _ in range(20)
            ])
            bad = await async_client.execute(phone, {"phoneNumber": "1"})
            return [len(listed), [r.output for r in results], bad.error_class]

    count, outputs, bad_class = asyncio.run(main())
    assert count == len(emulator_server.emulator.actions)
    assert outputs == [expected] * 20 and bad_class == "bad_request"


def test_a_401_that_persists_is_refreshed_once_never_looped(client: DataActionsClient, emulator_server: Any) -> None:
    echo = action_id(emulator_server, "Echo")
    assert client.execute(echo, {"message": "warm-up"}).ok
    before = client.auth.token_requests
    emulator_server.emulator.set_faults(None, {"rules": [{"type": "errors", "rates": {"401": 1.0}}]})
    result = client.execute(echo, {"message": "m"})
    assert (result.status_code, result.error_class) == (401, "auth")
    assert client.auth.token_requests == before + 1
    tail = [(e.operation, e.status) for e in emulator_server.emulator.request_log][-3:]
    assert tail == [("execute", 401), ("token", 200), ("execute", 401)]


@pytest.mark.parametrize("transport", ["default", "aiohttp", "httpx"])
def test_async_client_sees_a_dropped_connection_as_sent(settings: Settings, emulator_server: Any,
                                                        transport: str) -> None:
    echo = action_id(emulator_server, "Echo")
    emulator_server.emulator.set_faults(None, {"rules": [{"type": "sequence", "statuses": [200, "reset_after"]}]})

    async def main() -> Any:
        chosen = _async_transport(transport)
        async with AsyncDataActionsClient(settings, transport=chosen) as async_client:
            assert (await async_client.execute(echo, {"message": "warm"})).ok  # the connection is now pooled
            return await async_client.execute(echo, {"message": "m"})

    result = asyncio.run(main())
    assert (result.error_class, result.request_sent) == ("network", True)
    assert emulator_server.emulator.request_log[-1].executed
