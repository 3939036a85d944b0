"""Reliability R6: token expiry and 401s, proven with the emulator's request log over loopback.

- A token that expires mid-run while 50 requests are in flight costs exactly one token request:
  every request that met the expired token waits for that one refresh and is re-sent once.
- A 401 triggers one refresh and one re-send, never a loop: against an org whose tokens are
  always refused, every execute is sent exactly twice and then reported as ``auth``.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
from genesys_nb.api.retry import RetryPolicy
from genesys_nb.emulator import EmulatorServer, action_id_for
from genesys_nb.run.executor import DataActionExecutor
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner

ECHO = action_id_for("Echo")
IN_FLIGHT = 50


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    """An org of its own: these tests expire and shorten tokens, which must not touch other tests."""
    with EmulatorServer(seed=6, rate_per_minute=10**7, max_in_flight=10**4) as running:
        yield running


@pytest.fixture()
def org(server: EmulatorServer) -> EmulatorServer:
    server.emulator.reset(tokens=True)
    return server


def body_hash(inputs: dict[str, Any]) -> str:
    """The emulator logs sha256 of the body; the clients send compact JSON."""
    return hashlib.sha256(json.dumps(inputs, separators=(",", ":")).encode()).hexdigest()


def test_token_expiring_with_50_in_flight_costs_exactly_one_token_request(org: EmulatorServer,
                                                                          tmp_path: Path) -> None:
    emulator = org.emulator
    # Every execute takes 100 ms and a login 300 ms: the expiry lands while the 50 workers each have a
    # request in flight, and the one refresh is slow enough for every worker to need it meanwhile.
    emulator.set_faults(ECHO, {"rules": [{"type": "latency", "fixed_ms": 100}]})
    emulator.set_faults(None, {"rules": [{"type": "latency", "fixed_ms": 300, "operations": ["token"]}]})
    rows = 1200
    matrix = ParameterMatrix.product(sequence=list(range(rows))).with_fixed(message="token")
    expired_at: list[int] = []
    in_flight_at_expiry: list[int] = []

    def expire_mid_run() -> None:
        # Expire once the run is in its stride: past the first waves, with most workers in flight
        # (on a loaded machine the ramp-up can take a while, so wait for both, within a bound).
        deadline = threading.Event()
        for _ in range(4000):
            executes = sum(1 for e in emulator.request_log if e.operation == "execute")
            if executes >= 2 * IN_FLIGHT and emulator.in_flight >= IN_FLIGHT - 5:
                break
            if executes >= 4 * IN_FLIGHT and emulator.in_flight >= IN_FLIGHT // 2:
                break  # a loaded machine may never show 45 at once: half of them, as asserted below, will do
            deadline.wait(0.005)
        in_flight_at_expiry.append(emulator.in_flight)
        emulator.expire_tokens()
        expired_at.append(emulator.requests_since(0)[-1].seq)

    watcher = threading.Thread(target=expire_mid_run, daemon=True)
    watcher.start()
    runner = MatrixRunner(org.settings(), concurrency=IN_FLIGHT, rate_per_minute=None, progress=False,
                          audit=tmp_path / "audit.ndjson", retry=RetryPolicy(max_retries=0))
    frame = runner.run(ECHO, matrix, run_id="expiry")
    watcher.join(5)

    assert expired_at, "the run ended before the token could be expired"
    assert bool(frame["ok"].all()) and len(frame) == rows
    after = [e for e in emulator.request_log if e.seq > expired_at[0]]
    token_requests = [e for e in after if e.operation == "token"]
    refused = [e for e in after if e.operation == "execute" and e.status == 401]
    assert in_flight_at_expiry[0] >= IN_FLIGHT // 2, f"only {in_flight_at_expiry[0]} executions were in flight"
    assert len(token_requests) == 1, f"{len(token_requests)} token requests after the expiry; want exactly 1"
    assert refused, "no request met the expired token: the expiry was not exercised"
    # Every execute after the refresh carries the one new token; none went out with another.
    new_token = token_requests[0].token_id
    # The log records the token request when it is decided, before its 300 ms answer delay: requests sent
    # with the expired token during that delay are logged after it, refused (401) with no valid token id.
    # Every accepted execute after it carries the one new token; no other token went out.
    later_all = [e for e in after if e.operation == "execute" and e.seq > token_requests[0].seq]
    assert all(e.token_id is None for e in later_all if e.status == 401)
    later = [e for e in later_all if e.status != 401]
    assert later and {e.token_id for e in later} == {new_token}

    sends: dict[str | None, list[Any]] = defaultdict(list)
    for entry in emulator.request_log:
        if entry.operation == "execute":
            sends[entry.body_sha256].append(entry)
    for row in range(rows):
        attempts = sends[body_hash({"sequence": row, "message": "token"})]
        statuses = [entry.status for entry in attempts]
        # Each row succeeded once; a 401 is followed by exactly one re-send with the new token.
        assert statuses in ([200], [401, 200]), f"row {row} was answered {statuses}"


def test_a_401_refreshes_once_and_resends_once_never_a_loop(org: EmulatorServer) -> None:
    emulator = org.emulator
    # Tokens die a nanosecond after they are issued: every API call with any token gets 401.
    emulator.set_limits(token_lifetime_s=1e-9)
    start = emulator.requests_since(0)[-1].seq + 1 if emulator.request_log else 0
    with DataActionsClient(org.settings()) as client:
        executor = DataActionExecutor(client, validate=False, retry=RetryPolicy(backoff_initial_s=0.001),
                                      sleep=lambda _s: None)
        result = executor.execute(ECHO, {"message": "refused", "sequence": 1})
    assert (result.ok, result.error_class, result.status_code, result.attempts) == (False, "auth", 401, 1)
    assert "token" in (result.error_message or "").lower() or "credential" in (result.error_message or "").lower()
    log = emulator.requests_since(start)
    operations = Counter(entry.operation for entry in log)
    assert operations == Counter({"token": 2, "execute": 2}), operations  # login, 401, refresh, 401: done
    assert [entry.status for entry in log if entry.operation == "execute"] == [401, 401]


def test_concurrent_401s_each_resend_once_and_share_refreshes(org: EmulatorServer) -> None:
    emulator = org.emulator
    emulator.set_limits(token_lifetime_s=1e-9)
    start = emulator.requests_since(0)[-1].seq + 1 if emulator.request_log else 0
    calls = 30

    async def run_all() -> list[Any]:
        from genesys_nb.api.network import default_async_transport

        async with AsyncDataActionsClient(org.settings(), transport=default_async_transport()) as client:
            return await asyncio.gather(*(client.execute(ECHO, {"message": "refused", "sequence": n})
                                          for n in range(calls)))

    results = asyncio.run(run_all())
    assert {(r.error_class, r.status_code) for r in results} == {("auth", 401)}
    log = emulator.requests_since(start)
    per_body = Counter(entry.body_sha256 for entry in log if entry.operation == "execute")
    assert len(per_body) == calls and set(per_body.values()) == {2}, per_body  # sent, refused, re-sent once
    token_requests = sum(1 for entry in log if entry.operation == "token")
    assert 1 <= token_requests <= 1 + calls, token_requests  # at most one refresh per refused request
