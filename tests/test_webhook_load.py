"""Webhooks under load: 20,000 per-row events to a healthy local receiver.

The producer submits far faster than a receiver answers, so the queue fills; a full queue must
make ``submit`` wait for room, never send an event to the outbox. The receiver (threaded,
keep-alive) counts every POST and every distinct ``webhook-id``: each event arrives exactly once.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from webhook_receiver import WebhookReceiver

from genesys_nb.api.result import ExecutionResult
from genesys_nb.run.webhook import WebhookDispatcher, event_id_for, new_secret, verify

pytestmark = pytest.mark.slow

EVENTS = 20_000
SECRET = new_secret()


@pytest.fixture()
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def _result(n: int) -> ExecutionResult:
    return ExecutionResult(action_id="custom_-_load", ok=n % 7 != 0, output={"n": n, "tier": {"name": "gold"}},
                           status_code=200, latency_ms=12.5, total_ms=12.5,
                           timestamp=datetime(2026, 3, 1, tzinfo=timezone.utc))


def _check(receiver: WebhookReceiver, hooks: WebhookDispatcher, outbox: Path, run_id: str) -> None:
    assert not outbox.exists() or outbox.read_text(encoding="utf-8") == "", "events went to the outbox"
    assert hooks.unsaved == []
    assert dict(hooks.counts) == {"pending": 0, "delivered": EVENTS}
    assert receiver.posts == EVENTS, f"{receiver.posts} POSTs for {EVENTS} events"
    ids = receiver.id_counts()
    assert len(ids) == EVENTS and set(ids.values()) == {1}
    assert set(ids) == {event_id_for(run_id, f"row-{n}") for n in range(EVENTS)}
    sample = receiver.requests[::40]
    assert sample and all(verify(body, headers, SECRET) for headers, body in sample)


def test_20000_events_all_delivered_once_none_in_the_outbox(receiver: WebhookReceiver, tmp_path: Path,
                                                           record_property: Any) -> None:
    outbox = tmp_path / "outbox.ndjson"
    started = time.perf_counter()
    with WebhookDispatcher(receiver.url, secret=SECRET, outbox=outbox, backoff_s=0.05) as hooks:
        for n in range(EVENTS):
            hooks.submit(_result(n), run_id="load", row_id=f"row-{n}")
    elapsed = time.perf_counter() - started
    record_property("seconds", round(elapsed, 2))
    print(f"\n{EVENTS} webhook events delivered in {elapsed:.1f} s ({EVENTS / elapsed:,.0f} events/s)")
    _check(receiver, hooks, outbox, "load")


def test_20000_events_from_async_code(receiver: WebhookReceiver, tmp_path: Path, record_property: Any) -> None:
    outbox = tmp_path / "outbox.ndjson"

    async def main() -> tuple[WebhookDispatcher, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        async with WebhookDispatcher(receiver.url, secret=SECRET, outbox=outbox, backoff_s=0.05,
                                     max_queue=500) as hooks:
            for n in range(EVENTS):
                await hooks.submit_async(_result(n), run_id="load-async", row_id=f"row-{n}")
        task.cancel()
        return hooks, ticks

    started = time.perf_counter()
    hooks, ticks = asyncio.run(main())
    elapsed = time.perf_counter() - started
    record_property("seconds", round(elapsed, 2))
    print(f"\n{EVENTS} webhook events (submit_async) delivered in {elapsed:.1f} s "
          f"({EVENTS / elapsed:,.0f} events/s)")
    assert ticks > 10  # the loop kept running while submit_async waited for room
    _check(receiver, hooks, outbox, "load-async")
