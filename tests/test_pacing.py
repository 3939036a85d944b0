"""Pacing rules as tables: token-bucket spacing, lateness, bursts, 429 cuts and recovery, the window guard."""
from __future__ import annotations

import asyncio
import itertools
import math
from dataclasses import dataclass

import pytest
from windows import max_in_window

from genesys_nb.run.pacing import AsyncPacer, Pacer


@dataclass
class Headers:
    count: int | None
    allowed: int | None
    reset_s: float | None


def greedy_send_times(pacer: Pacer, sends: int, *, start: float = 0.0, lateness: float = 0.0) -> list[float]:
    """A sender that always wants to send: waits what the pacer says (plus `lateness`), then sends."""
    now, times = start, []
    for _ in range(sends):
        delay = pacer.delay_s(now)
        if delay > 0:
            due = now + delay
            now = due + lateness
            pacer.on_send(now, due_at=due)
        else:
            pacer.on_send(now)
        times.append(now)
    return times




# ---- token bucket --------------------------------------------------------------------------------
def exact(rate_per_minute: float | None, **kwargs: object) -> Pacer:
    """A pacer without headroom, so the tables read in round numbers."""
    return Pacer(rate_per_minute, headroom=0.0, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate_per_minute", [60, 300, 1000, 18000])
def test_greedy_sender_stays_just_under_the_configured_rate(rate_per_minute: int) -> None:
    pacer = Pacer(rate_per_minute)  # default headroom: 2 %
    times = greedy_send_times(pacer, 3 * rate_per_minute)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(60.0 / (rate_per_minute * 0.98))
    per_minute = max_in_window(times, 60.0)
    assert 0.97 * rate_per_minute <= per_minute < rate_per_minute  # never more than allowed in a minute


def test_headroom_zero_spaces_sends_at_exactly_the_rate() -> None:
    times = greedy_send_times(exact(120), 11)
    assert times == pytest.approx([0.5 * i for i in range(11)])


@pytest.mark.parametrize(
    ("sends_at", "ask_at", "expected_delay"),
    [
        ([(0.0, None)], 0.0, 1.0),                  # just sent: one interval to wait
        ([(0.0, None)], 0.25, 0.75),
        ([(0.0, None)], 1.0, 0.0),
        ([(0.0, None), (1.3, 1.0)], 1.3, 0.7),      # woke 0.3 s late: the next slot stays at 2.0
        ([(0.0, None), (1.3, None)], 1.3, 1.0),     # did not wait (not late, idle): restart from now
        ([(0.0, None), (2.5, 1.0)], 2.5, 1.0),      # "late" by more than an interval: restart
        ([(0.0, None), (10.0, None)], 10.0, 1.0),   # after an idle spell: no backlog
        ([(0.0, None), (1.0, 1.0)], 1.5, 0.5),      # on time
    ],
)
def test_delay_table_at_60_per_minute(sends_at: list[tuple[float, float | None]], ask_at: float,
                                      expected_delay: float) -> None:
    pacer = exact(60)
    for t, due_at in sends_at:
        pacer.on_send(t, due_at=due_at)
    assert pacer.delay_s(ask_at) == pytest.approx(expected_delay)


def test_small_lateness_does_not_lower_the_rate() -> None:
    pacer = exact(600)  # 0.1 s interval; every send 30 ms late (a busy event loop)
    times = greedy_send_times(pacer, 601, lateness=0.03)
    assert times[-1] - times[0] == pytest.approx(60.0, abs=0.05)


def test_burst_allows_that_many_immediate_sends_then_spaces_them() -> None:
    pacer = exact(60, burst=3)
    times = greedy_send_times(pacer, 5, start=100.0)
    assert times == pytest.approx([100.0, 100.0, 100.0, 101.0, 102.0])


def test_pacing_off_never_waits() -> None:
    pacer = exact(None)
    assert greedy_send_times(pacer, 1000) == [0.0] * 1000
    assert pacer.rate_per_minute_at(5.0) is None


# ---- 429 ------------------------------------------------------------------------------------------
def test_a_429_pauses_everyone_for_retry_after_and_halves_the_rate() -> None:
    pacer = exact(60, recovery_s=10.0)
    seq = pacer.on_send(0.0)
    pacer.on_response(0.5, seq=seq, status_code=429, retry_after_s=3.0)
    assert pacer.delay_s(0.5) == pytest.approx(3.0)
    assert pacer.rate_per_minute_at(0.5) == pytest.approx(30.0)
    assert pacer.stats.rate_limited == 1
    assert pacer.stats.slowdowns == 1


@pytest.mark.parametrize(
    ("elapsed_s", "expected_rate"),
    [(0.0, 30.0), (2.5, 37.5), (5.0, 45.0), (10.0, 60.0), (50.0, 60.0)],
)
def test_rate_recovers_linearly_after_a_429(elapsed_s: float, expected_rate: float) -> None:
    pacer = exact(60, recovery_s=10.0)
    seq = pacer.on_send(0.0)
    pacer.on_response(1.0, seq=seq, status_code=429, retry_after_s=0.0)
    assert pacer.rate_per_minute_at(1.0 + elapsed_s) == pytest.approx(expected_rate)


def test_a_burst_of_429s_from_one_round_cuts_the_rate_once() -> None:
    pacer = exact(6000, recovery_s=100.0)
    seqs = [pacer.on_send(0.001 * i) for i in range(10)]  # 10 in flight
    for seq in seqs:
        pacer.on_response(0.5, seq=seq, status_code=429, retry_after_s=1.0)
    assert pacer.stats.rate_limited == 10
    assert pacer.stats.slowdowns == 1
    assert pacer.rate_per_minute_at(0.5) == pytest.approx(3000.0)
    # A 429 for a request sent after the cut is new evidence: cut again.
    later = pacer.on_send(2.0)
    pacer.on_response(2.1, seq=later, status_code=429, retry_after_s=0.0)
    assert pacer.stats.slowdowns == 2
    assert pacer.rate_per_minute_at(2.1) == pytest.approx(6000 * 0.5 * (0.5 + 0.5 * 1.6 / 100) * 1, rel=0.05)


def test_repeated_cuts_stop_at_the_minimum_fraction() -> None:
    pacer = exact(600, min_fraction=0.2, recovery_s=1000.0)
    for i in range(10):
        seq = pacer.on_send(float(i))
        pacer.on_response(float(i), seq=seq, status_code=429, retry_after_s=0.0)
    assert pacer.rate_per_minute_at(10.0) == pytest.approx(120.0, rel=0.02)


@pytest.mark.parametrize(("retry_after_s", "expected_pause"), [(None, 1.0), (0.0, 0.0), (5.0, 5.0), (600.0, 60.0)])
def test_pause_after_429_uses_retry_after_capped(retry_after_s: float | None, expected_pause: float) -> None:
    pacer = exact(60)
    seq = pacer.on_send(0.0)
    pacer.on_response(0.0, seq=seq, status_code=429, retry_after_s=retry_after_s)
    # The pause and the (now halved) pace both apply; the pause dominates when it is longer.
    assert pacer.delay_s(0.0) == pytest.approx(max(expected_pause, 1.0))


def test_retry_after_is_honoured_even_with_pacing_off() -> None:
    pacer = exact(None)
    seq = pacer.on_send(0.0)
    pacer.on_response(0.0, seq=seq, status_code=429, retry_after_s=2.0)
    assert pacer.delay_s(1.0) == pytest.approx(1.0)
    assert pacer.delay_s(2.0) == 0.0


def test_success_responses_do_not_change_the_pace() -> None:
    pacer = exact(60)
    seq = pacer.on_send(0.0)
    pacer.on_response(0.1, seq=seq, status_code=200, rate_limit=None)
    assert pacer.delay_s(0.1) == pytest.approx(0.9)
    assert pacer.stats.rate_limited == 0


# ---- window guard ---------------------------------------------------------------------------------
def test_window_guard_waits_for_the_reset_when_the_window_is_used_up() -> None:
    pacer = exact(6000)  # fast pace: only the guard can hold sends back
    first = pacer.on_send(0.0)
    pacer.on_send(0.01)  # one more in flight when the headers arrive
    pacer.on_response(0.02, seq=first, status_code=200, rate_limit=Headers(count=298, allowed=300, reset_s=2.0))
    # 300 allowed - 298 counted - 1 sent since = 1 left
    assert pacer.delay_s(0.03) == 0.0
    pacer.on_send(0.03)
    assert pacer.delay_s(0.04) == pytest.approx(1.98)
    assert pacer.delay_s(2.02) == 0.0  # the window reset


def test_window_guard_ignores_headers_older_than_what_it_knows() -> None:
    pacer = exact(6000)
    old, new = pacer.on_send(0.0), pacer.on_send(0.01)
    pacer.on_response(0.02, seq=new, status_code=200, rate_limit=Headers(count=10, allowed=300, reset_s=5.0))
    pacer.on_response(0.03, seq=old, status_code=200, rate_limit=Headers(count=300, allowed=300, reset_s=5.0))
    assert pacer.delay_s(0.04) == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize(
    "headers",
    [Headers(None, 300, 5.0), Headers(10, None, 5.0), Headers(300, 300, None)],
)
def test_window_guard_needs_all_three_headers(headers: Headers) -> None:
    pacer = exact(6000)
    seq = pacer.on_send(0.0)
    pacer.on_response(0.0, seq=seq, status_code=200, rate_limit=headers)
    assert pacer.delay_s(0.5) == 0.0


@pytest.mark.parametrize(("reset_s", "expected_wait"), [(2.0, 2.0), (45.0, 45.0), (600.0, 60.0)])
def test_window_wait_follows_the_reset_header_up_to_the_pause_cap(reset_s: float, expected_wait: float) -> None:
    # Trusted even when the pace asked for is far above what the org allows: that is when it matters.
    pacer = exact(18000)
    seq = pacer.on_send(0.0)
    pacer.on_response(0.0, seq=seq, status_code=200, rate_limit=Headers(count=300, allowed=300, reset_s=reset_s))
    assert pacer.delay_s(0.0) == pytest.approx(expected_wait)


# ---- argument checks ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"rate_per_minute": 0}, ValueError),
        ({"rate_per_minute": -5}, ValueError),
        ({"rate_per_minute": math.nan}, ValueError),
        ({"rate_per_minute": math.inf}, ValueError),
        ({"rate_per_minute": True}, TypeError),
        ({"rate_per_minute": "300"}, TypeError),
        ({"rate_per_minute": 300, "burst": 0}, ValueError),
        ({"rate_per_minute": 300, "min_fraction": 0}, ValueError),
        ({"rate_per_minute": 300, "decrease_factor": 1.0}, ValueError),
        ({"rate_per_minute": 300, "recovery_s": -1.0}, ValueError),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error, match="must"):
        Pacer(**kwargs)  # type: ignore[arg-type]


# ---- async shell ----------------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.naps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def test_async_gate_spaces_concurrent_tasks() -> None:
    clock = FakeClock()
    gate = AsyncPacer(exact(60), clock=clock, sleep=clock.sleep)
    sent: list[tuple[int, float]] = []

    async def task() -> None:
        seq = await gate.acquire()
        sent.append((seq, clock.now))

    async def main() -> None:
        await asyncio.gather(*(task() for _ in range(5)))

    asyncio.run(main())
    assert [seq for seq, _ in sent] == [0, 1, 2, 3, 4]
    assert [t for _, t in sent] == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0])
    assert max(clock.naps) <= 0.25  # the head re-checks the pacer at least every quarter second


def test_async_gate_applies_a_429_to_the_next_send_at_once() -> None:
    clock = FakeClock()
    gate = AsyncPacer(exact(60), clock=clock, sleep=clock.sleep)

    async def main() -> float:
        seq = await gate.acquire()
        gate.on_response(seq=seq, status_code=429, retry_after_s=10.0)
        await gate.acquire()
        return clock.now

    assert asyncio.run(main()) == pytest.approx(10.0)


def test_async_gate_wait_can_be_aborted_without_a_send() -> None:
    clock = FakeClock()
    gate = AsyncPacer(exact(60), clock=clock, sleep=clock.sleep)

    async def main() -> tuple[int | None, int | None]:
        first = await gate.acquire()
        second = await gate.acquire(abort=lambda: clock.now >= 0.5)
        return first, second

    assert asyncio.run(main()) == (0, None)
    assert gate.pacer.stats.sends == 1


def test_window_guard_is_off_when_pacing_is_off() -> None:
    pacer = exact(None)
    seq = pacer.on_send(0.0)
    pacer.on_response(0.0, seq=seq, status_code=200, rate_limit=Headers(count=300, allowed=300, reset_s=5.0))
    assert pacer.delay_s(0.1) == 0.0
