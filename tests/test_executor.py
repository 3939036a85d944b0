"""DataActionExecutor / AsyncDataActionExecutor: validation first, retry rules, contracts, sync/async parity.

Every test talks HTTP through httpx.MockTransport playing a scripted platform; sleeps are recorded,
never slept.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any

import httpx
import pytest

from genesys_nb.api.aiohttp_transport import AiohttpTransport
from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
from genesys_nb.api.errors import InputValidationError
from genesys_nb.api.models import Action, FieldError
from genesys_nb.api.result import ExecutionResult
from genesys_nb.api.retry import RetryPolicy
from genesys_nb.api.settings import Settings
from genesys_nb.contract.validator import ContractSchemaError, DataActionValidator
from genesys_nb.run.executor import AsyncDataActionExecutor, DataActionExecutor

API_URL = "https://api.example.test"
LOGIN_URL = "https://login.example.test"
USER_ID = "3f0c2c1e-8a51-4c61-9d7e-2a4f1f6b9e10"
GOOD_INPUT = {"USER_ID": USER_ID}
OUTPUT = {"externalId": "jdoe"}
NO_JITTER = RetryPolicy(jitter=0.0)


@dataclass(frozen=True)
class Reply:
    """One scripted answer to an execute request."""

    status: int = 200
    body: Any = field(default_factory=lambda: dict(OUTPUT))
    headers: dict[str, str] = field(default_factory=dict)


Step = Reply | type[httpx.TransportError]


def error_body(status: int, code: str, message: str, details: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"message": message, "code": code, "status": status, "contextId": f"ctx-{status}",
            "details": details or [], "errors": []}


def reply(status: int, headers: dict[str, str] | None = None, **kwargs: Any) -> Reply:
    codes = {400: "bad.request", 401: "authentication.required", 403: "not.authorized", 404: "not.found",
             429: "too.many.requests.retry.after", 500: "internal.server.error", 502: "bad.gateway",
             503: "service.unavailable", 504: "gateway.timeout"}
    return Reply(status, error_body(status, codes.get(status, "error"), f"HTTP {status}", **kwargs), headers or {})


class Platform:
    """A scripted Genesys Cloud org: token, get action, and execute answers played in order."""

    def __init__(self, action: Action, steps: list[Step], *, get_status: int = 200) -> None:
        self.action = action
        self.steps = list(steps)
        self.get_status = get_status
        self.execute_requests: list[httpx.Request] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "token-abc", "expires_in": 86400, "token_type": "bearer"})
        if request.method == "GET" and path == f"/api/v2/integrations/actions/{self.action.id}":
            if self.get_status != 200:
                return httpx.Response(self.get_status, json=error_body(self.get_status, "not.found", "no such action"))
            return httpx.Response(200, json=self.action.to_dict())
        if path == f"/api/v2/integrations/actions/{self.action.id}/execute":
            self.execute_requests.append(request)
            if not self.steps:
                raise AssertionError("the script ran out of execute answers")
            step = self.steps.pop(0)
            if isinstance(step, type):
                raise step("scripted failure", request=request)
            headers = {"inin-correlation-id": f"corr-{len(self.execute_requests)}", **step.headers}
            return httpx.Response(step.status, content=json.dumps(step.body).encode(),
                                  headers={"content-type": "application/json", **headers})
        return httpx.Response(404, json=error_body(404, "not.found", f"no route {path}"))


@pytest.fixture()
def user_action(real_actions: list[dict[str, Any]]) -> Action:
    """The real 'Get User External ID' export (UUID pattern, 36..36 length) with a config timeout."""
    export = next(a for a in real_actions if a["name"].startswith("Get User External ID"))
    action = Action.from_export(export, action_id="custom_-_a1b2c3d4-0000-4000-8000-000000000001", version=3)
    raw = action.to_dict()
    raw["config"]["timeoutSeconds"] = 45
    return Action.from_dict(raw)


def settings() -> Settings:
    return Settings("client-id", "client-secret", api_base_url=API_URL, login_base_url=LOGIN_URL)


def run(platform: Platform, *, mode: str, retry: RetryPolicy = NO_JITTER, inputs: Any = GOOD_INPUT,
        waits: list[float] | None = None, rng: random.Random | None = None, prime: bool = False,
        validate: bool = True, **kwargs: Any) -> ExecutionResult:
    """Execute once through the sync or async executor against the scripted platform."""
    recorded = waits if waits is not None else []
    if mode == "sync":
        with DataActionsClient(settings(), transport=httpx.MockTransport(platform)) as client:
            executor = DataActionExecutor(client, retry=retry, sleep=recorded.append, rng=rng, validate=validate)
            if prime:
                executor.validator.prime(platform.action)
            return executor.execute(platform.action.id, inputs, **kwargs)

    async def main() -> ExecutionResult:
        async def sleep(seconds: float) -> None:
            recorded.append(seconds)

        async with AsyncDataActionsClient(settings(), transport=httpx.MockTransport(platform)) as client:
            executor = AsyncDataActionExecutor(client, retry=retry, sleep=sleep, rng=rng, validate=validate)
            if prime:
                executor.validator.prime(platform.action)
            return await executor.execute(platform.action.id, inputs, **kwargs)

    return asyncio.run(main())


MODES = ["sync", "async"]

# (case id, script, idempotent, policy, attempts, ok, error_class, waits in seconds)
RETRY_CASES: list[tuple[str, list[Step], bool, RetryPolicy, int, bool, str | None, list[float]]] = [
    ("200", [Reply()], False, NO_JITTER, 1, True, None, []),
    ("429-retry-after-then-200", [reply(429, {"Retry-After": "2"}), Reply()], False, NO_JITTER,
     2, True, None, [2.0]),
    ("429-retry-after-capped-default-60", [reply(429, {"Retry-After": "120"}), Reply()], False, NO_JITTER,
     2, True, None, [60.0]),
    ("429-retry-after-capped-policy", [reply(429, {"Retry-After": "120"}), reply(429, {"Retry-After": "1"}), Reply()],
     False, RetryPolicy(jitter=0.0, max_retry_after_s=5.0), 3, True, None, [5.0, 1.0]),
    ("429-past-http-date", [reply(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), Reply()], False,
     NO_JITTER, 2, True, None, [0.0]),
    ("429-garbage-retry-after-backs-off", [reply(429, {"Retry-After": "soon"}), Reply()], False, NO_JITTER,
     2, True, None, [0.5]),
    ("429-until-the-time-budget", [reply(429, {"Retry-After": "1"})] * 4, False,
     RetryPolicy(jitter=0.0, rate_limit_budget_s=2.5), 4, False, "rate_limited", [1.0, 1.0, 1.0]),
    ("429-storm-outlasts-max-retries", [reply(429, {"Retry-After": "1"})] * 6 + [Reply()], False,
     RetryPolicy(jitter=0.0, max_retries=1), 7, True, None, [1.0] * 6),
    ("429s-do-not-use-up-max-retries", [reply(429, {"Retry-After": "1"}), reply(503), reply(429, {"Retry-After": "1"}),
                                        Reply()], False, RetryPolicy(jitter=0.0, max_retries=1), 4, True, None,
     [1.0, 0.5, 1.0]),
    ("503-503-200", [reply(503), reply(503), Reply()], False, NO_JITTER, 3, True, None, [0.5, 1.0]),
    ("502-not-idempotent", [reply(502)], False, NO_JITTER, 1, False, "server", []),
    ("504-not-idempotent", [reply(504)], False, NO_JITTER, 1, False, "server", []),
    ("502-504-200-idempotent", [reply(502), reply(504), Reply()], True, NO_JITTER, 3, True, None, [0.5, 1.0]),
    ("503-max-retries-2", [reply(503)] * 3, False, RetryPolicy(jitter=0.0, max_retries=2),
     3, False, "server", [0.5, 1.0]),
    ("503-max-retries-0", [reply(503)], True, RetryPolicy(jitter=0.0, max_retries=0), 1, False, "server", []),
    ("503-backoff-capped", [reply(503)] * 5, False,
     RetryPolicy(jitter=0.0, max_retries=4, backoff_initial_s=1.0, backoff_max_s=3.0), 5, False, "server",
     [1.0, 2.0, 3.0, 3.0]),
    ("500-not-idempotent", [reply(500)], False, NO_JITTER, 1, False, "server", []),
    ("500-idempotent", [reply(500), Reply()], True, NO_JITTER, 2, True, None, [0.5]),
    ("500-remote-endpoint-not-idempotent", [reply(500, details=[{"errorCode": "ACTION.REMOTE_ENDPOINT"}])],
     False, NO_JITTER, 1, False, "remote_endpoint", []),
    ("500-remote-endpoint-idempotent", [reply(500, details=[{"errorCode": "ACTION.REMOTE_ENDPOINT"}]), Reply()],
     True, NO_JITTER, 2, True, None, [0.5]),
    ("404-remote-endpoint-idempotent", [reply(404, details=[{"errorCode": "ACTION.REMOTE_ENDPOINT"}])], True,
     NO_JITTER, 1, False, "remote_endpoint", []),
    ("read-timeout-not-idempotent", [httpx.ReadTimeout], False, NO_JITTER, 1, False, "timeout", []),
    ("read-timeout-idempotent", [httpx.ReadTimeout, Reply()], True, NO_JITTER, 2, True, None, [0.5]),
    ("connect-error", [httpx.ConnectError, Reply()], False, NO_JITTER, 2, True, None, [0.5]),
    ("connect-error-until-max-retries", [httpx.ConnectError] * 4, False, NO_JITTER,
     4, False, "network", [0.5, 1.0, 2.0]),
    ("read-error-after-send-not-idempotent", [httpx.ReadError], False, NO_JITTER, 1, False, "network", []),
    ("400", [reply(400)], True, NO_JITTER, 1, False, "bad_request", []),
    ("403", [reply(403)], True, NO_JITTER, 1, False, "permission", []),
    ("404", [reply(404)], True, NO_JITTER, 1, False, "not_found", []),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("case", "script", "idempotent", "policy", "attempts", "ok", "error_class", "waits"),
                         RETRY_CASES, ids=[c[0] for c in RETRY_CASES])
def test_retry_rules(mode: str, case: str, script: list[Step], idempotent: bool, policy: RetryPolicy,
                     attempts: int, ok: bool, error_class: str | None, waits: list[float],
                     user_action: Action) -> None:
    platform = Platform(user_action, script)
    recorded: list[float] = []
    result = run(platform, mode=mode, retry=policy, waits=recorded, idempotent=idempotent)
    assert (result.ok, result.error_class, result.attempts) == (ok, error_class, attempts)
    assert recorded == waits
    assert result.retry_wait_ms == pytest.approx(sum(waits) * 1000.0)
    assert len(platform.execute_requests) == attempts
    assert platform.steps == []  # every scripted answer was used, none more
    # the platform's id when it answered; the id the client sent on the last attempt when it did not
    sent_last = platform.execute_requests[-1].headers["ININ-Correlation-Id"]
    assert result.correlation_id == (f"corr-{attempts}" if not isinstance(script[-1], type) else sent_last)
    assert 0.0 <= result.latency_ms <= result.total_ms
    assert result.timestamp.tzinfo == timezone.utc
    if ok:
        assert result.output == OUTPUT and result.status_code == 200


@pytest.mark.parametrize("mode", MODES)
def test_401_is_not_retried_by_the_executor(mode: str, user_action: Action) -> None:
    # The auth layer refreshes the token and re-sends once; the executor adds no retry of its own.
    platform = Platform(user_action, [reply(401), reply(401)])
    recorded: list[float] = []
    result = run(platform, mode=mode, waits=recorded, idempotent=True)
    assert (result.ok, result.error_class, result.status_code, result.attempts) == (False, "auth", 401, 1)
    assert recorded == []
    assert len(platform.execute_requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_rate_limited_result_carries_retry_after(mode: str, user_action: Action) -> None:
    platform = Platform(user_action, [reply(429, {"Retry-After": "7"})])
    result = run(platform, mode=mode, retry=RetryPolicy(rate_limit_budget_s=0))
    assert (result.error_class, result.retry_after_s, result.attempts) == ("rate_limited", 7.0, 1)
    assert result.error_code == "too.many.requests.retry.after"


def _comparable(result: ExecutionResult) -> dict[str, Any]:
    data = result.to_dict()
    for timing in ("latency_ms", "total_ms", "timestamp"):
        data.pop(timing)
    return data


@pytest.mark.parametrize(("script", "idempotent"), [
    ([reply(429, {"Retry-After": "3"}), reply(503), httpx.ConnectError, Reply()], False),
    ([reply(500), httpx.ReadTimeout, reply(502), reply(500)], True),
    ([reply(403)], True),
    ([Reply(200, {"externalId": 42})], False),
])
def test_sync_and_async_give_identical_results(script: list[Step], idempotent: bool, user_action: Action) -> None:
    outcomes = []
    for mode in MODES:
        waits: list[float] = []
        result = run(Platform(user_action, list(script)), mode=mode, retry=RetryPolicy(jitter=0.5),
                     rng=random.Random(42), waits=waits, idempotent=idempotent)
        outcomes.append((_comparable(result), waits))
    assert outcomes[0] == outcomes[1]


def test_jitter_stays_within_its_band(user_action: Action) -> None:
    waits: list[float] = []
    run(Platform(user_action, [reply(503)] * 4), mode="sync", retry=RetryPolicy(jitter=0.25),
        rng=random.Random(1), waits=waits)
    for wait, base in zip(waits, [0.5, 1.0, 2.0]):
        assert base * 0.75 <= wait <= base


# ---- validation before sending ---------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("prime", [False, True], ids=["fetched", "primed"])
def test_invalid_input_sends_no_execute_request(mode: str, prime: bool, user_action: Action) -> None:
    platform = Platform(user_action, [Reply()])
    result = run(platform, mode=mode, inputs={"USER_ID": "not-a-uuid"}, prime=prime)
    assert platform.execute_requests == []
    assert (result.ok, result.error_class, result.attempts, result.request_sent) == (False, "validation", 0, False)
    assert result.status_code is None and result.retry_wait_ms == 0.0
    assert result.error_code == "minLength"  # the keyword of the first violation
    assert [(e.path, e.validator) for e in result.errors if isinstance(e, FieldError)] == [
        ("$.USER_ID", "minLength"), ("$.USER_ID", "pattern")]
    assert "Get User External ID" in (result.error_message or "")
    assert "$.USER_ID: 'not-a-uuid' is shorter than the minimum length 36" in (result.error_message or "")
    gets = [r for r in platform.requests if r.method == "GET"]
    assert len(gets) == (0 if prime else 1)
    if prime:
        assert platform.requests == []  # not even a token request
    with pytest.raises(InputValidationError):
        result.raise_for_error()


@pytest.mark.parametrize("mode", MODES)
def test_action_fetched_once_for_many_executions(mode: str, user_action: Action) -> None:
    platform = Platform(user_action, [Reply(), Reply(), Reply()])

    if mode == "sync":
        with DataActionsClient(settings(), transport=httpx.MockTransport(platform)) as client:
            executor = DataActionExecutor(client, retry=NO_JITTER, sleep=lambda s: None)
            results = [executor.execute(user_action.id, GOOD_INPUT, timeout_ms=50000) for _ in range(3)]
    else:
        async def main() -> list[ExecutionResult]:
            async def sleep(seconds: float) -> None:
                return None

            async with AsyncDataActionsClient(settings(), transport=httpx.MockTransport(platform)) as client:
                executor = AsyncDataActionExecutor(client, retry=NO_JITTER, sleep=sleep)
                return [await executor.execute(user_action.id, GOOD_INPUT, timeout_ms=50000) for _ in range(3)]

        results = asyncio.run(main())
    assert all(r.ok for r in results)
    gets = [r for r in platform.requests if r.method == "GET"]
    assert len(gets) == 1
    assert gets[0].url.params["expand"] == "contract"
    assert len(platform.execute_requests) == 3
    assert json.loads(platform.execute_requests[0].content) == GOOD_INPUT  # the bare input, no wrapper


@pytest.mark.parametrize("mode", MODES)
def test_validate_false_skips_fetch_and_contracts(mode: str, user_action: Action) -> None:
    platform = Platform(user_action, [Reply(200, {"externalId": 42})])
    result = run(platform, mode=mode, inputs={"USER_ID": "x"}, validate=False)
    assert result.ok and result.output == {"externalId": 42}
    assert [r.method for r in platform.requests if r.url.path.startswith("/api")] == ["POST"]


@pytest.mark.parametrize("mode", MODES)
def test_validate_false_with_known_action_sends_invalid_input_and_checks_output(mode: str,
                                                                               user_action: Action) -> None:
    platform = Platform(user_action, [Reply(200, {"externalId": 42})])
    result = run(platform, mode=mode, inputs={"USER_ID": "x"}, validate=False, prime=True)
    assert json.loads(platform.execute_requests[0].content) == {"USER_ID": "x"}
    assert (result.ok, result.error_class, result.attempts) == (False, "contract", 1)
    assert [r.method for r in platform.requests if r.url.path.startswith("/api")] == ["POST"]


@pytest.mark.parametrize("mode", MODES)
def test_unknown_action_gives_not_found_result(mode: str, user_action: Action) -> None:
    platform = Platform(user_action, [], get_status=404)
    result = run(platform, mode=mode)
    assert (result.ok, result.error_class, result.status_code, result.attempts) == (False, "not_found", 404, 0)
    assert result.request_sent is False and platform.execute_requests == []
    assert user_action.id in (result.error_message or "")


@pytest.mark.parametrize("mode", MODES)
def test_unreachable_platform_while_fetching_gives_network_result(mode: str, user_action: Action) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    platform = Platform(user_action, [])
    if mode == "sync":
        with DataActionsClient(settings(), transport=httpx.MockTransport(refuse)) as client:
            result = DataActionExecutor(client).execute(platform.action.id, GOOD_INPUT)
    else:
        async def main() -> ExecutionResult:
            async with AsyncDataActionsClient(settings(), transport=httpx.MockTransport(refuse)) as client:
                return await AsyncDataActionExecutor(client).execute(platform.action.id, GOOD_INPUT)

        result = asyncio.run(main())
    assert (result.ok, result.error_class, result.attempts, result.request_sent) == (False, "network", 0, False)


# ---- the timeout directive -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("timeout_ms", [0, -5, 60001, 1.5, "30000", True, None])
def test_bad_timeout_raises_before_any_request(mode: str, timeout_ms: Any, user_action: Action) -> None:
    platform = Platform(user_action, [Reply()])
    with pytest.raises(ValueError, match=r"1\.\.60000"):
        run(platform, mode=mode, timeout_ms=timeout_ms)
    assert platform.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_timeout_bounds_accepted(mode: str, user_action: Action) -> None:
    for timeout_ms in (1, 60000):
        result = run(Platform(user_action, [Reply()]), mode=mode, timeout_ms=timeout_ms)
        assert result.ok and result.timeout_ms == timeout_ms


def test_short_timeout_warns_once_per_action(user_action: Action, caplog: pytest.LogCaptureFixture) -> None:
    platform = Platform(user_action, [Reply(), Reply(), Reply()])
    with caplog.at_level(logging.WARNING, logger="genesys_nb"), \
            DataActionsClient(settings(), transport=httpx.MockTransport(platform)) as client:
        executor = DataActionExecutor(client, sleep=lambda s: None)
        executor.execute(user_action.id, GOOD_INPUT, timeout_ms=30000)
        executor.execute(user_action.id, GOOD_INPUT, timeout_ms=30000)
        executor.execute(user_action.id, GOOD_INPUT, timeout_ms=45000)
    warnings = [r for r in caplog.records if r.name == "genesys_nb" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "timeout_ms=30000" in text and "45 s timeoutSeconds" in text and "45000" in text


@pytest.mark.parametrize("mode", MODES)
def test_no_warning_when_timeout_covers_the_action(mode: str, user_action: Action,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="genesys_nb"):
        run(Platform(user_action, [Reply()]), mode=mode, timeout_ms=50000)
    assert not [r for r in caplog.records if r.name == "genesys_nb"]


# ---- the output contract ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_output_failing_success_schema_is_a_contract_error(mode: str, user_action: Action) -> None:
    platform = Platform(user_action, [Reply(200, {"externalId": 42})])
    result = run(platform, mode=mode)
    assert (result.ok, result.error_class, result.status_code, result.attempts) == (False, "contract", 200, 1)
    assert result.output == {"externalId": 42}  # kept for inspection
    assert result.error_code == "type"
    assert [(e.path, e.validator) for e in result.errors if isinstance(e, FieldError)] == [("$.externalId", "type")]
    assert "Output for action 'Get User External ID" in (result.error_message or "")
    assert "$.externalId: 42 is not of type 'string'" in (result.error_message or "")


@pytest.mark.parametrize("mode", MODES)
def test_flattened_output_is_not_checked_against_the_nested_schema(mode: str, user_action: Action) -> None:
    platform = Platform(user_action, [Reply(200, {"externalId": 42})])
    result = run(platform, mode=mode, flatten=True)
    assert result.ok
    assert platform.execute_requests[0].url.params["flatten"] == "true"


def test_executor_shares_a_primed_validator(user_action: Action) -> None:
    platform = Platform(user_action, [Reply()])
    validator = DataActionValidator()
    validator.prime(user_action)
    with DataActionsClient(settings(), transport=httpx.MockTransport(platform)) as client:
        executor = DataActionExecutor(client, validator=validator, sleep=lambda s: None)
        assert executor.execute(user_action.id, GOOD_INPUT, timeout_ms=50000).ok
    assert executor.validator is validator
    assert [r.method for r in platform.requests if r.url.path.startswith("/api")] == ["POST"]


def test_retry_must_be_a_policy(user_action: Action) -> None:
    transport = httpx.MockTransport(Platform(user_action, []))
    with DataActionsClient(settings(), transport=transport) as client, pytest.raises(TypeError, match="RetryPolicy"):
        DataActionExecutor(client, retry=3)  # type: ignore[arg-type]


def test_concurrent_async_executions_fetch_the_action_once(user_action: Action) -> None:
    platform = Platform(user_action, [Reply() for _ in range(20)])

    async def main() -> list[ExecutionResult]:
        async def sleep(seconds: float) -> None:
            return None

        async with AsyncDataActionsClient(settings(), transport=httpx.MockTransport(platform)) as client:
            executor = AsyncDataActionExecutor(client, sleep=sleep)
            return await asyncio.gather(*(executor.execute(user_action.id, GOOD_INPUT, timeout_ms=50000)
                                          for _ in range(20)))

    results = asyncio.run(main())
    assert all(r.ok for r in results)
    assert len([r for r in platform.requests if r.method == "GET"]) == 1
    assert len(platform.execute_requests) == 20


def test_threads_share_one_fetch(user_action: Action) -> None:
    platform = Platform(user_action, [Reply() for _ in range(16)])
    with DataActionsClient(settings(), transport=httpx.MockTransport(platform)) as client, \
            ThreadPoolExecutor(max_workers=8) as pool:
        executor = DataActionExecutor(client, sleep=lambda s: None)
        results = list(pool.map(lambda _: executor.execute(user_action.id, GOOD_INPUT, timeout_ms=50000), range(16)))
    assert all(r.ok for r in results)
    assert len([r for r in platform.requests if r.method == "GET"]) == 1


def _synthetic(input_schema: dict[str, Any], success_schema: dict[str, Any]) -> Action:
    """A hand-made contract (not a real export) for definition errors."""
    return Action.from_export({"name": "Synthetic broken", "contract": {
        "input": {"inputSchema": input_schema}, "output": {"successSchema": success_schema}}},
        action_id="custom_-_synthetic-broken")


@pytest.mark.parametrize("mode", MODES)
def test_broken_input_contract_raises_naming_the_action(mode: str) -> None:
    platform = Platform(_synthetic({"type": "strng"}, {"type": "object"}), [Reply()])
    with pytest.raises(ContractSchemaError, match=r"'Synthetic broken' \(custom_-_synthetic-broken\)"):
        run(platform, mode=mode, inputs={})
    assert platform.execute_requests == []


@pytest.mark.parametrize("mode", MODES)
def test_broken_success_schema_marks_the_output_unchecked(mode: str) -> None:
    platform = Platform(_synthetic({"type": "object"}, {"properties": {"a": {"pattern": "(["}}}), [Reply()])
    result = run(platform, mode=mode, inputs={})
    assert (result.ok, result.error_class, result.error_code, result.attempts) == (
        False, "contract", "invalid_schema", 1)
    assert result.output == OUTPUT
    assert "success schema" in (result.error_message or "")


# ---- over real loopback HTTP against the emulator ----------------------------------------------

# "async-aiohttp": the async client over the aiohttp-backed alternative transport ("async" uses the default one).
LOOPBACK_MODES = [*MODES, "async-aiohttp"]


def _emulated(server: Any, mode: str, script: list[Any], action_name: str, inputs: dict[str, Any], *,
              idempotent: bool = False, waits: list[float] | None = None, retry: RetryPolicy = NO_JITTER,
              timeout_ms: int = 30000, rules: list[dict[str, Any]] | None = None) -> ExecutionResult:
    """Execute through a real HTTP client on loopback against the session's emulator server."""
    emulator = server.emulator
    action_id = emulator.action_named(action_name).id
    plan = list(rules or [])
    if script:
        plan.append({"type": "sequence", "statuses": script, "retry_after_s": 1})
    emulator.set_faults(action_id, {"rules": plan} if plan else None)
    recorded = waits if waits is not None else []
    if mode == "sync":
        with DataActionsClient(server.settings()) as client:
            executor = DataActionExecutor(client, retry=retry, sleep=recorded.append)
            return executor.execute(action_id, inputs, idempotent=idempotent, timeout_ms=timeout_ms)

    async def main() -> ExecutionResult:
        async def sleep(seconds: float) -> None:
            recorded.append(seconds)

        transport = AiohttpTransport() if mode == "async-aiohttp" else None
        async with AsyncDataActionsClient(server.settings(), transport=transport) as client:
            executor = AsyncDataActionExecutor(client, retry=retry, sleep=sleep)
            return await executor.execute(action_id, inputs, idempotent=idempotent, timeout_ms=timeout_ms)

    return asyncio.run(main())


def _executes(server: Any) -> list[Any]:
    return [entry for entry in server.emulator.request_log if entry.operation == "execute"]


@pytest.mark.parametrize("mode", LOOPBACK_MODES)
def test_loopback_retries_429_and_503_then_succeeds(mode: str, emulator_server: Any) -> None:
    waits: list[float] = []
    result = _emulated(emulator_server, mode, [429, 503, 200], "Echo", {"message": "hi", "sequence": 7}, waits=waits)
    assert (result.ok, result.attempts, result.output) == (True, 3, {"message": "hi", "sequence": 7})
    assert waits == [1.0, 0.5]  # Retry-After 1 s, then the first backoff step: a 429 does not use up a retry
    assert [entry.status for entry in _executes(emulator_server)] == [429, 503, 200]
    assert result.correlation_id == _executes(emulator_server)[-1].correlation_id


@pytest.mark.parametrize("mode", LOOPBACK_MODES)
def test_loopback_dropped_connection_after_send_is_not_retried(mode: str, emulator_server: Any) -> None:
    # The update bumps a revision each time it runs: a blind retry would apply it twice.
    result = _emulated(emulator_server, mode, ["reset_after"], "Update Customer Record",
                       {"recordId": "R-1001", "tier": "gold"})
    assert (result.ok, result.error_class, result.attempts, result.request_sent) == (False, "network", 1, True)
    executes = _executes(emulator_server)
    assert len(executes) == 1 and executes[0].executed


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("idempotent", [False, True])
def test_loopback_remote_endpoint_500_is_retried_only_when_idempotent(mode: str, idempotent: bool,
                                                                    emulator_server: Any) -> None:
    # The emulator's 500 says the remote endpoint failed (ACTION.REMOTE_ENDPOINT), as the platform does:
    # the remote was called, so only an action the caller calls idempotent is sent again.
    result = _emulated(emulator_server, mode, [500, 200], "Echo", {"message": "x"}, idempotent=idempotent)
    if idempotent:
        assert (result.ok, result.attempts) == (True, 2)
    else:
        assert (result.ok, result.error_class, result.status_code, result.attempts) == (False, "remote_endpoint",
                                                                                        500, 1)
    assert [e.executed for e in _executes(emulator_server)] == [True] * result.attempts


@pytest.mark.parametrize("mode", LOOPBACK_MODES)
@pytest.mark.parametrize(("idempotent", "attempts"), [(False, 1), (True, 2)])
def test_loopback_read_timeout_retried_only_when_idempotent(mode: str, idempotent: bool, attempts: int,
                                                           emulator_server: Any) -> None:
    result = _emulated(emulator_server, mode, [], "Echo", {"message": "x"}, idempotent=idempotent,
                       retry=RetryPolicy(jitter=0.0, max_retries=1), timeout_ms=100,
                       rules=[{"type": "slow", "delay_ms": 1000, "rate": 1.0}])
    assert (result.ok, result.error_class, result.attempts, result.timeout_ms) == (False, "timeout", attempts, 100)


@pytest.mark.parametrize("mode", MODES)
def test_loopback_invalid_input_never_reaches_the_org(mode: str, emulator_server: Any) -> None:
    result = _emulated(emulator_server, mode, [], "Update Customer Record", {"recordId": "bad", "creditLimit": -1,
                                                                              "nickname": "x"})
    assert (result.error_class, result.attempts) == ("validation", 0)
    assert [(e.path, e.validator) for e in result.errors if isinstance(e, FieldError)] == [
        ("$.creditLimit", "minimum"), ("$.nickname", "additionalProperties"), ("$.recordId", "pattern")]
    assert _executes(emulator_server) == []
    assert [entry.operation for entry in emulator_server.emulator.request_log if entry.operation != "token"] == ["get"]


def test_sync_and_async_executors_have_the_same_surface() -> None:
    def public(cls: type) -> set[str]:
        return {name for name in dir(cls) if not name.startswith("_")}

    assert public(DataActionExecutor) == public(AsyncDataActionExecutor)
    assert inspect.signature(DataActionExecutor.execute) == inspect.signature(AsyncDataActionExecutor.execute)
    assert inspect.iscoroutinefunction(AsyncDataActionExecutor.execute)
    assert not inspect.iscoroutinefunction(DataActionExecutor.execute)


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"next": value}
    return value


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("inputs", "named"), [
    ({"USER_ID": _nested(1000)}, "USER_ID.next.next"),
    ({"USER_ID": "caf\udce9"}, "'USER_ID' holds text that is not valid Unicode"),
    ({"USER_ID": float("nan")}, "'USER_ID' is nan"),
    ({"USER_ID": [1, {"x": float("inf")}]}, "'USER_ID[1].x' is inf"),
])
def test_inputs_no_request_can_carry_fail_alone_without_raising(mode: str, inputs: Any, named: str,
                                                                user_action: Action) -> None:
    platform = Platform(user_action, [])
    result = run(platform, mode=mode, inputs=inputs, validate=False)
    assert (result.ok, result.error_class, result.attempts, result.request_sent) == (False, "validation", 0, False)
    assert named in (result.error_message or "")
    assert platform.execute_requests == []


@pytest.mark.parametrize("mode", MODES)
def test_on_send_runs_before_each_attempt_leaves(mode: str, user_action: Action) -> None:
    platform = Platform(user_action, [reply(503), reply(429, {"Retry-After": "0"}), Reply()])
    seen: list[tuple[int, int]] = []
    result = run(platform, mode=mode, on_send=lambda attempt: seen.append((attempt, len(platform.execute_requests))))
    assert result.ok and result.attempts == 3
    assert seen == [(1, 0), (2, 1), (3, 2)]  # each call came before its request was sent
