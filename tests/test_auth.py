"""Client-credentials auth over httpx.MockTransport: token request shape, caching, early refresh,
single flight across threads and asyncio tasks, 401 refresh-once, and login errors that name the fix."""
from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest

from genesys_nb.api.auth import ClientCredentialsAuth
from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
from genesys_nb.api.errors import AuthenticationError, UnauthorizedError
from genesys_nb.api.settings import Settings

SECRET = "very-secret-value-42"
SETTINGS = Settings("client-abc", SECRET, api_base_url="https://api.test", login_base_url="https://login.test")
ACTION = {"id": "custom_-_1", "name": "A", "version": 1}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Org:
    """A tiny stand-in for the login and API hosts; counts what it saw."""

    def __init__(self, *, expires_in: int = 3600) -> None:
        self.expires_in = expires_in
        self.issued = 0
        self.token_requests: list[httpx.Request] = []
        self.api_requests: list[httpx.Request] = []
        # The re-send after a 401 is the same Request object, so headers are recorded as sent.
        self.api_authorization: list[str | None] = []
        self.valid_tokens: set[str] = set()
        self.lock = threading.Lock()

    def issue(self) -> str:
        with self.lock:
            self.issued += 1
            token = f"token-{self.issued}"
            self.valid_tokens.add(token)
            return token

    def token_response(self, request: httpx.Request) -> httpx.Response:
        self.token_requests.append(request)
        return httpx.Response(200, json={"access_token": self.issue(), "token_type": "bearer",
                                         "expires_in": self.expires_in})

    def api_response(self, request: httpx.Request) -> httpx.Response:
        self.api_requests.append(request)
        self.api_authorization.append(request.headers.get("authorization"))
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.valid_tokens:
            return httpx.Response(401, json={"message": "bad token", "code": "bad.credentials", "status": 401})
        return httpx.Response(200, json=ACTION)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "login.test" and request.url.path == "/oauth/token":
            return self.token_response(request)
        return self.api_response(request)


def sync_client(org: Callable[[httpx.Request], httpx.Response], **kwargs: object) -> DataActionsClient:
    auth = ClientCredentialsAuth(SETTINGS, **kwargs)  # type: ignore[arg-type]
    return DataActionsClient(SETTINGS, transport=httpx.MockTransport(org), auth=auth)


def async_client(org: Callable[..., object], **kwargs: object) -> AsyncDataActionsClient:
    auth = ClientCredentialsAuth(SETTINGS, **kwargs)  # type: ignore[arg-type]
    return AsyncDataActionsClient(SETTINGS, transport=httpx.MockTransport(org), auth=auth)  # type: ignore[arg-type]


def test_token_request_is_basic_auth_form_post_to_login_host() -> None:
    org = Org()
    with sync_client(org) as client:
        client.get_action("custom_-_1")
    (token_request,) = org.token_requests
    assert token_request.method == "POST"
    assert str(token_request.url) == "https://login.test/oauth/token"
    scheme, _, encoded = token_request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == f"client-abc:{SECRET}"
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_request.content.decode()) == {"grant_type": ["client_credentials"]}
    assert SECRET not in token_request.content.decode()
    (api_request,) = org.api_requests
    assert api_request.headers["authorization"] == "Bearer token-1"
    assert api_request.url.host == "api.test"


def test_token_is_cached_across_requests() -> None:
    org = Org()
    with sync_client(org) as client:
        for _ in range(5):
            client.get_action("custom_-_1")
        assert client.auth.token_requests == 1
    assert len(org.token_requests) == 1
    assert set(org.api_authorization) == {"Bearer token-1"}


def test_refresh_happens_60_seconds_before_expiry() -> None:
    clock = FakeClock()
    org = Org(expires_in=3600)
    with sync_client(org, clock=clock) as client:
        client.get_action("custom_-_1")
        clock.now += 3600 - 61  # 61 s left: still good
        client.get_action("custom_-_1")
        assert client.auth.token_requests == 1
        clock.now += 2  # 59 s left: inside the refresh margin
        client.get_action("custom_-_1")
        assert client.auth.token_requests == 2
    assert org.api_authorization[-1] == "Bearer token-2"


def test_short_lived_token_is_reused_for_half_its_life() -> None:
    clock = FakeClock()
    org = Org(expires_in=30)
    with sync_client(org, clock=clock) as client:
        client.get_action("custom_-_1")
        clock.now += 14
        client.get_action("custom_-_1")
        assert client.auth.token_requests == 1
        clock.now += 2
        client.get_action("custom_-_1")
        assert client.auth.token_requests == 2


def test_missing_expires_in_uses_a_long_default() -> None:
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t"})
        return httpx.Response(200, json=ACTION)

    with sync_client(handler, clock=clock) as client:
        client.get_action("custom_-_1")
        clock.now += 3600
        client.get_action("custom_-_1")
        assert client.auth.token_requests == 1


def test_threads_share_one_token_request() -> None:
    org = Org()
    token_gate = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            # Hold the first login open until every thread is inside its request (or a bounded wait).
            token_gate.wait(timeout=2.0)
        return org(request)

    threads_count = 12
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []
    with sync_client(handler) as client:

        def work() -> None:
            try:
                barrier.wait()
                client.get_action("custom_-_1")
            except Exception as err:  # noqa: BLE001 - a worker thread must hand any failure to the test
                errors.append(err)

        threads = [threading.Thread(target=work) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        token_gate.set()
        for thread in threads:
            thread.join()
        assert not errors
        assert client.auth.token_requests == 1
    assert len(org.token_requests) == 1
    assert len(org.api_requests) == threads_count


def test_asyncio_tasks_share_one_token_request() -> None:
    org = Org()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            for _ in range(20):  # let every other task reach the auth flow meanwhile
                await asyncio.sleep(0)
        return org(request)

    async def main() -> int:
        async with async_client(handler) as client:
            results = await asyncio.gather(*(client.get_action("custom_-_1") for _ in range(50)))
            assert all(action.id == "custom_-_1" for action in results)
            return client.auth.token_requests

    assert asyncio.run(main()) == 1
    assert len(org.token_requests) == 1
    assert len(org.api_requests) == 50


def test_asyncio_concurrent_executes_need_one_login() -> None:
    org = Org()

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return org(request)

    async def main() -> None:
        async with async_client(handler) as client:
            results = await asyncio.gather(*(client.execute("custom_-_1", {"n": i}) for i in range(40)))
            assert all(r.ok for r in results)
            assert client.auth.token_requests == 1

    asyncio.run(main())


def test_one_auth_serves_several_event_loops() -> None:
    clock = FakeClock()
    org = Org()
    auth = ClientCredentialsAuth(SETTINGS, clock=clock)

    async def once() -> None:
        async with AsyncDataActionsClient(SETTINGS, transport=httpx.MockTransport(org), auth=auth) as client:
            await client.get_action("custom_-_1")

    asyncio.run(once())
    clock.now += 4000  # expired: the second loop must take its own lock to refresh
    asyncio.run(once())
    assert auth.token_requests == 2


def test_a_401_refreshes_once_and_resends_once() -> None:
    org = Org()
    with sync_client(org) as client:
        client.get_action("custom_-_1")
        org.valid_tokens.clear()  # the platform revoked the token
        action = client.get_action("custom_-_1")
        assert action.id == "custom_-_1"
        assert client.auth.token_requests == 2
    assert org.api_authorization == [
        "Bearer token-1", "Bearer token-1", "Bearer token-2",
    ]


def test_a_second_401_is_returned_not_looped() -> None:
    token_count = 0
    api_count = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal token_count, api_count
        if request.url.path == "/oauth/token":
            token_count += 1
            return httpx.Response(200, json={"access_token": f"t{token_count}", "expires_in": 3600})
        api_count += 1
        return httpx.Response(401, json={"message": "no", "code": "bad.credentials", "status": 401})

    with sync_client(handler) as client:
        with pytest.raises(UnauthorizedError) as info:
            client.get_action("custom_-_1")
        assert "token" in str(info.value) and "credentials" in str(info.value)
        assert (token_count, api_count) == (2, 2)
        result = client.execute("custom_-_1", {})
        assert (result.error_class, result.status_code) == ("auth", 401)
        assert (token_count, api_count) == (3, 4)


def test_async_a_401_refreshes_once_and_resends_once() -> None:
    org = Org()

    async def main() -> None:
        async with async_client(org) as client:
            await client.get_action("custom_-_1")
            org.valid_tokens.clear()
            await client.get_action("custom_-_1")
            assert client.auth.token_requests == 2
            org.valid_tokens.clear()
            org.issue = lambda: "never-valid"  # type: ignore[method-assign]
            result = await client.execute("custom_-_1", {})
            assert result.error_class == "auth"
            assert client.auth.token_requests == 3

    asyncio.run(main())
    assert len(org.api_requests) == 5


def test_concurrent_401s_share_one_refresh_asyncio() -> None:
    org = Org()

    async def handler(request: httpx.Request) -> httpx.Response:
        for _ in range(5):  # interleave the tasks between send and answer
            await asyncio.sleep(0)
        return org(request)

    async def main() -> None:
        async with async_client(handler) as client:
            await client.get_action("custom_-_1")
            org.valid_tokens.clear()  # token-1 revoked while 20 calls are about to use it
            results = await asyncio.gather(*(client.get_action("custom_-_1") for _ in range(20)))
            assert len(results) == 20
            assert client.auth.token_requests == 2

    asyncio.run(main())
    assert org.api_authorization.count("Bearer token-1") == 21
    assert org.api_authorization.count("Bearer token-2") == 20


def test_concurrent_401s_share_one_refresh_threads() -> None:
    org = Org()
    threads_count = 10
    barrier = threading.Barrier(threads_count)
    failures: list[Exception] = []
    with sync_client(org) as client:
        client.get_action("custom_-_1")
        org.valid_tokens.clear()

        def work() -> None:
            try:
                barrier.wait()
                client.get_action("custom_-_1")
            except Exception as err:  # noqa: BLE001 - a worker thread must hand any failure to the test
                failures.append(err)

        threads = [threading.Thread(target=work) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures
        assert client.auth.token_requests == 2


def test_a_401_for_an_older_token_resends_with_the_current_one() -> None:
    """Request A carried token-1; meanwhile B refreshed to token-2. A's 401 must not fetch token-3."""
    auth = ClientCredentialsAuth(SETTINGS)

    def token_response(token: str) -> httpx.Response:
        return httpx.Response(200, json={"access_token": token, "expires_in": 3600})

    unauthorized = httpx.Response(401, json={"message": "expired"})
    request_a = httpx.Request("GET", "https://api.test/a")
    flow_a = auth.sync_auth_flow(request_a)
    assert next(flow_a).url.path == "/oauth/token"
    sent_a = flow_a.send(token_response("token-1"))
    assert sent_a.headers["authorization"] == "Bearer token-1"

    request_b = httpx.Request("GET", "https://api.test/b")
    flow_b = auth.sync_auth_flow(request_b)
    assert next(flow_b).headers["authorization"] == "Bearer token-1"  # cached
    assert flow_b.send(unauthorized).url.path == "/oauth/token"  # B refreshes
    assert flow_b.send(token_response("token-2")).headers["authorization"] == "Bearer token-2"

    resent_a = flow_a.send(unauthorized)  # A's late 401 for token-1
    assert resent_a.url.path == "/a"
    assert resent_a.headers["authorization"] == "Bearer token-2"
    with pytest.raises(StopIteration):
        flow_a.send(unauthorized)  # and never a third send
    assert auth.token_requests == 2


def test_login_shares_the_deadline_of_the_request() -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            seen.append(request.extensions["timeout"])
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(200, json={})

    with sync_client(handler) as client:
        client.execute("custom_-_1", {}, timeout_ms=1500)
    assert seen == [{"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}]


@pytest.mark.parametrize(
    ("status", "body", "must_name"),
    [
        (401, {"error": "invalid_client", "description": "Invalid client credentials"}, "GENESYS_CLIENT_SECRET"),
        (400, {"error": "invalid_client"}, "GENESYS_CLIENT_ID"),
        (400, {"error": "unauthorized_client"}, "GENESYS_CLIENT_ID"),
        (400, {"error": "invalid_grant"}, "GENESYS_CLIENT_SECRET"),
        (401, None, "GENESYS_CLIENT_SECRET"),
        (403, {"message": "forbidden"}, "GENESYS_CLIENT_ID"),
        (404, {"message": "no such route"}, "GENESYS_REGION"),
        (200, {"token_type": "bearer"}, "GENESYS_LOGIN_BASE_URL"),
        (200, "not json at all", "GENESYS_LOGIN_BASE_URL"),
    ],
)
def test_failed_login_names_what_to_check(status: int, body: object, must_name: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            if isinstance(body, str):
                return httpx.Response(status, text=body)
            return httpx.Response(status, json=body) if body is not None else httpx.Response(status)
        raise AssertionError("the API must not be called without a token")

    with sync_client(handler) as client:
        with pytest.raises(AuthenticationError) as info:
            client.get_action("custom_-_1")
        with pytest.raises(AuthenticationError):
            client.execute("custom_-_1", {})  # bad credentials are a setup problem: raised, not returned
    message = str(info.value)
    assert must_name in message
    assert "client-abc" in message
    assert SECRET not in message
    assert info.value.status_code == status


def test_login_error_never_echoes_the_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client", "error_description": f"bad secret {SECRET}"})

    with sync_client(handler) as client, pytest.raises(AuthenticationError) as info:
        client.get_action("custom_-_1")
    assert SECRET not in str(info.value)
    assert info.value.oauth_error == "invalid_client"


def test_login_host_failure_during_execute_is_a_result() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(503, text="unavailable")
        raise AssertionError("no API call without a token")

    with sync_client(handler) as client:
        result = client.execute("custom_-_1", {})
    assert (result.ok, result.error_class, result.status_code, result.request_sent) == (False, "server", 503, False)


def test_login_connect_failure_during_execute_is_a_network_result() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with sync_client(handler) as client:
        result = client.execute("custom_-_1", {})
    assert (result.error_class, result.request_sent) == ("network", False)


def test_repr_shows_neither_secret_nor_token() -> None:
    org = Org()
    with sync_client(org) as client:
        client.get_action("custom_-_1")
        text = repr(client.auth) + repr(client) + repr(vars(client.auth)) + repr(vars(client))
    assert SECRET not in text and "token-1" not in text
    assert "client-abc" in text


def test_invalidate_forces_a_new_token() -> None:
    org = Org()
    with sync_client(org) as client:
        client.get_action("custom_-_1")
        assert client.auth.has_valid_token
        client.auth.invalidate()
        assert not client.auth.has_valid_token
        client.get_action("custom_-_1")
        assert client.auth.token_requests == 2


def test_negative_refresh_margin_is_refused() -> None:
    with pytest.raises(ValueError, match="refresh_margin_s"):
        ClientCredentialsAuth(SETTINGS, refresh_margin_s=-1)


@pytest.mark.parametrize("refusals", [0, 1, 2, 5])
def test_sync_and_async_follow_the_one_flow_alike(refusals: int) -> None:
    """The 401 refresh-and-resend lives in one place (ClientCredentialsAuth._steps): both drivers send
    the same requests with the same tokens whatever the API answers."""

    def make_org() -> tuple[list[str], Callable[[httpx.Request], httpx.Response]]:
        seen: list[str] = []
        issued = [0]

        def org(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/oauth/token":
                issued[0] += 1
                seen.append("login")
                return httpx.Response(200, json={"access_token": f"t{issued[0]}", "expires_in": 3600})
            seen.append(request.headers["authorization"])
            refused = sum(1 for item in seen if item != "login") <= refusals
            return httpx.Response(401, json={}) if refused else httpx.Response(200, json=ACTION)

        return seen, org

    sync_seen, sync_org = make_org()
    with sync_client(sync_org) as client:
        sync_status = client.execute("custom_-_1", {}).status_code
    async_seen, async_org = make_org()

    async def run() -> int | None:
        async with async_client(async_org) as client:
            return (await client.execute("custom_-_1", {})).status_code

    async_status = asyncio.run(run())
    assert sync_seen == async_seen and sync_status == async_status
    expected = ["login", "Bearer t1"] + (["login", "Bearer t2"] if refusals else [])
    assert sync_seen == expected and sync_status == (200 if refusals <= 1 else 401)


def test_a_proxy_407_at_login_names_the_proxy_credentials() -> None:
    def org(request: httpx.Request) -> httpx.Response:
        return httpx.Response(407, headers={"Proxy-Authenticate": "Basic"})

    with sync_client(org) as client, pytest.raises(AuthenticationError) as raised:
        client.get_action("custom_-_1")
    assert raised.value.status_code == 407 and "proxy URL" in str(raised.value)
