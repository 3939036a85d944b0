"""Fault plans: parsing, seeded decisions, and what each fault looks like to an httpx client in-process."""
from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import orjson
import pytest

from genesys_nb.emulator import (
    AsyncEmulatorTransport,
    BadBody,
    ConnectionReset,
    Emulator,
    EmulatorTransport,
    ErrorRates,
    FaultPlan,
    FaultPlanError,
    Latency,
    LatencyModel,
    SlowResponse,
    StatusSequence,
)
from genesys_nb.emulator.wire import BODY_KINDS

ACTIONS = "/api/v2/integrations/actions"


@pytest.fixture()
def emulator() -> Emulator:
    return Emulator(seed=11, include_real_actions=False)


@pytest.fixture()
def client(emulator: Emulator) -> httpx.Client:
    return httpx.Client(transport=EmulatorTransport(emulator, sleep=lambda s: None), base_url="http://emulator.test")


@pytest.fixture()
def auth(client: httpx.Client, emulator: Emulator) -> dict[str, str]:
    response = client.post("/oauth/token", auth=(emulator.client_id, "emulator-demo-secret"),
                           data={"grant_type": "client_credentials"})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def echo_url(emulator: Emulator) -> str:
    return f"{ACTIONS}/{emulator.action_named('Echo').id}/execute"


# ---------------------------------------------------------------- plans as data
def test_plan_round_trips_through_dicts() -> None:
    plan = FaultPlan((
        Latency(LatencyModel(median_ms=80, sigma=0.4, max_ms=900), rate=0.5),
        SlowResponse(delay_ms=5000, rate=0.01),
        ErrorRates({429: 0.05, 503: 0.02}, retry_after_s=2),
        StatusSequence((429, 503, 200, "reset_after")),
        ConnectionReset(rate=0.01, when="after"),
        BadBody("html", status=502, rate=0.1, operations=("execute", "get")),
    ))
    assert FaultPlan.from_dict(plan.to_dict()) == plan
    assert FaultPlan.from_dict(plan.to_dict()["rules"]) == plan


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"type": "storm"}, "unknown type"),
        ({"type": "errors", "rates": {"418": 0.1}}, "not injectable"),
        ({"type": "errors", "rates": {"500": 0.7, "503": 0.6}}, "at most 1"),
        ({"type": "errors"}, "missing field 'rates'"),
        ({"type": "sequence", "statuses": "429"}, "must be a list"),
        ({"type": "reset", "when": "during"}, "before' or 'after"),
        ({"type": "body", "kind": "xml"}, "unknown body kind"),
        ({"type": "latency"}, "exactly one of fixed_ms or median_ms"),
        ({"type": "latency", "fixed_ms": -1}, ">= 0"),
        ({"type": "slow", "delay_ms": 10, "rate": 2}, "between 0 and 1"),
        ({"type": "slow", "delay_ms": 10, "colour": "red"}, "unknown field(s) colour"),
        ({"type": "slow", "delay_ms": 10, "operations": ["delete"]}, "unknown operation"),
        ("reset", "must be an object"),
    ],
)
def test_bad_rules_are_refused_with_the_field_named(rule: Any, words: str) -> None:
    with pytest.raises(FaultPlanError, match="fault rule #0") as info:
        FaultPlan.from_dict({"rules": [rule]})
    assert words in str(info.value)


def test_lognormal_latency_is_seeded() -> None:
    model = LatencyModel(median_ms=100, sigma=0.5)
    first = [model.sample_ms(random.Random(3)) for _ in range(3)]
    assert first == [model.sample_ms(random.Random(3)) for _ in range(3)]
    samples = sorted(model.sample_ms(rng) for rng in [random.Random(4)] for _ in range(2001))
    assert 80 < samples[1000] < 125  # the median of a lognormal(ln 100, 0.5)
    assert LatencyModel(median_ms=100, sigma=3, max_ms=150).sample_ms(random.Random(1)) <= 150


# ---------------------------------------------------------------- decisions in-process
def test_status_sequence_is_deterministic(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    emulator.set_faults(emulator.action_named("Echo").id, {"rules": [{"type": "sequence",
                                                                     "statuses": [429, 503, 500, 200]}]})
    statuses = [client.post(echo_url(emulator), json={"message": "m"}, headers=auth) for _ in range(5)]
    assert [r.status_code for r in statuses] == [429, 503, 500, 200, 200]
    assert statuses[0].headers["retry-after"] == "1"
    assert statuses[0].json()["message"] == "Rate limit exceeded the maximum. Retry the request in [1] seconds"
    assert statuses[2].json()["details"] == [{"errorCode": "ACTION.REMOTE_ENDPOINT"}]
    assert "Connection reset" in statuses[2].json()["errors"][0]["message"]
    log = [e for e in emulator.request_log if e.operation == "execute"]
    assert [e.executed for e in log] == [False, False, True, True, True]
    assert [e.fault for e in log] == ["status_429", "status_503", "status_500", None, None]


def test_error_rates_are_reproducible_with_the_seed(auth: dict[str, str]) -> None:
    def run() -> list[int]:
        emulator = Emulator(seed=5, include_real_actions=False)
        client = httpx.Client(transport=EmulatorTransport(emulator, sleep=lambda s: None), base_url="http://e")
        token = client.post("/oauth/token", auth=(emulator.client_id, "emulator-demo-secret"),
                            data={"grant_type": "client_credentials"}).json()["access_token"]
        emulator.set_faults(None, {"rules": [{"type": "errors", "rates": {"500": 0.2, "502": 0.1, "504": 0.1}}]})
        return [client.post(echo_url(emulator), json={"message": "m"},
                            headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(200)]

    first = run()
    assert first == run()
    assert {500, 502, 504, 200} == set(first)
    assert 50 < sum(s != 200 for s in first) < 110


def test_flaky_sample_action_fails_sometimes(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    url = f"{ACTIONS}/{emulator.action_named('Check Inventory Availability').id}/execute"
    statuses = [client.post(url, json={"sku": "ABC-1234"}, headers=auth).status_code for _ in range(300)]
    failures = [s for s in statuses if s != 200]
    assert set(failures) <= {500, 502, 503, 504} and 10 < len(failures) < 80


def test_global_and_action_plans_compose(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    echo = emulator.action_named("Echo")
    emulator.set_faults(None, {"rules": [{"type": "latency", "fixed_ms": 30}]})
    emulator.set_faults(echo.id, {"rules": [{"type": "latency", "fixed_ms": 20}, {"type": "sequence",
                                                                                  "statuses": [503]}]})
    client.post(echo_url(emulator), json={"message": "m"}, headers=auth)
    client.post(echo_url(emulator), json={"message": "m"}, headers=auth)
    first, second = [e for e in emulator.request_log if e.operation == "execute"]
    assert (first.status, first.delay_ms) == (503, 50.0)  # the action's plan decided; both latencies add
    assert (second.status, second.delay_ms) == (200, 50.0)
    assert emulator.faults[None].rules[0] == Latency(LatencyModel(fixed_ms=30))
    emulator.set_faults(echo.id, None)
    assert echo.id not in emulator.faults


def test_faults_can_target_reads_and_the_token_endpoint(emulator: Emulator, client: httpx.Client,
                                                        auth: dict[str, str]) -> None:
    emulator.set_faults(None, {"rules": [{"type": "sequence", "statuses": [503], "operations": ["token"]},
                                         {"type": "sequence", "statuses": [502], "operations": ["list"]}]})
    token = client.post("/oauth/token", auth=(emulator.client_id, "emulator-demo-secret"),
                        data={"grant_type": "client_credentials"})
    assert token.status_code == 503
    assert client.get(ACTIONS, headers=auth).status_code == 502
    assert client.get(ACTIONS, headers=auth).status_code == 200
    assert client.post(echo_url(emulator), json={"message": "m"}, headers=auth).status_code == 200


@pytest.mark.parametrize("when", ["before", "after"])
def test_reset_raises_read_error_and_logs_whether_it_ran(emulator: Emulator, client: httpx.Client,
                                                         auth: dict[str, str], when: str) -> None:
    url = f"{ACTIONS}/{emulator.action_named('Update Customer Record').id}/execute"
    emulator.set_faults(None, {"rules": [{"type": "reset", "when": when}]})
    with pytest.raises(httpx.ReadError):
        client.post(url, json={"recordId": "R-2001", "tier": "gold"}, headers=auth)
    entry = emulator.request_log[-1]
    assert entry.status is None and entry.fault == f"reset_{when}"
    assert entry.executed is (when == "after")
    assert ("R-2001" in emulator.records) is (when == "after")


def test_slow_response_beyond_the_deadline_is_a_read_timeout(emulator: Emulator, auth: dict[str, str]) -> None:
    slept: list[float] = []
    client = httpx.Client(transport=EmulatorTransport(emulator, sleep=slept.append), base_url="http://e")
    emulator.set_faults(None, {"rules": [{"type": "slow", "delay_ms": 5000}]})
    with pytest.raises(httpx.ReadTimeout):
        client.post(echo_url(emulator), json={"message": "m"}, headers=auth, timeout=0.25)
    assert slept == [0.25]
    assert emulator.request_log[-1].executed and emulator.request_log[-1].fault == "slow"
    assert client.post(echo_url(emulator), json={"message": "m"}, headers=auth, timeout=10).status_code == 200
    assert slept[-1] == 5.0


@pytest.mark.parametrize("kind", [k for k in BODY_KINDS if k != "incomplete"])
def test_bad_bodies(emulator: Emulator, client: httpx.Client, auth: dict[str, str], kind: str) -> None:
    emulator.set_faults(None, {"rules": [{"type": "body", "kind": kind, "status": 502 if kind == "html" else 200}]})
    response = client.post(echo_url(emulator), json={"message": "a fairly long message"}, headers=auth)
    content_type = response.headers["content-type"]
    if kind in ("html", "non_json", "wrong_content_type"):
        assert not content_type.startswith("application/json")
    if kind == "wrong_content_type":
        assert response.json() == {"message": "a fairly long message"}
    elif kind == "huge":
        assert len(response.content) > 1_000_000
    elif kind in ("empty",):
        assert response.content == b""
    else:
        with pytest.raises(orjson.JSONDecodeError):  # strict JSON, as RFC 8259 says
            orjson.loads(response.content)
    assert response.status_code == (502 if kind == "html" else 200)
    assert emulator.request_log[-1].fault == f"body_{kind}"


def test_incomplete_body_is_a_protocol_error(emulator: Emulator, client: httpx.Client, auth: dict[str, str]) -> None:
    emulator.set_faults(None, {"rules": [{"type": "body", "kind": "incomplete"}]})
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(echo_url(emulator), json={"message": "m"}, headers=auth)


def test_async_transport_applies_the_same_directives(emulator: Emulator, auth: dict[str, str]) -> None:
    emulator.set_faults(None, {"rules": [{"type": "sequence", "statuses": ["reset", 503, 200]},
                                         {"type": "latency", "fixed_ms": 5}]})

    async def main() -> list[Any]:
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        outcomes: list[Any] = []
        async with httpx.AsyncClient(transport=AsyncEmulatorTransport(emulator, sleep=sleep),
                                     base_url="http://e") as client:
            for _ in range(3):
                try:
                    response = await client.post(echo_url(emulator), json={"message": "m"}, headers=auth)
                    outcomes.append(response.status_code)
                except httpx.ReadError:
                    outcomes.append("reset")
        return [outcomes, slept]

    outcomes, slept = asyncio.run(main())
    assert outcomes == ["reset", 503, 200]
    assert slept == [0.005, 0.005, 0.005]


def test_set_faults_refuses_unknown_actions(emulator: Emulator) -> None:
    with pytest.raises(KeyError, match="custom_-_nope"):
        emulator.set_faults("custom_-_nope", FaultPlan())


def test_reset_clears_faults_log_and_sequence_positions(emulator: Emulator, client: httpx.Client,
                                                        auth: dict[str, str]) -> None:
    emulator.set_faults(None, {"rules": [{"type": "sequence", "statuses": [503]}]})
    emulator.set_limits(rate_per_minute=10)
    assert client.post(echo_url(emulator), json={"message": "m"}, headers=auth).status_code == 503
    emulator.reset()
    assert emulator.faults == {} and emulator.request_log == [] and emulator.limits.rate_per_minute == 300
    assert client.post(echo_url(emulator), json={"message": "m"}, headers=auth).status_code == 200
