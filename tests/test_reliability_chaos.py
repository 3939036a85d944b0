"""Reliability R1: a 10,000-row run through injected chaos, checked row by row against the emulator's log.

The emulator (its own server on loopback, clock compressed 20x) answers the non-idempotent
"Update Customer Record" action with 429s, 503s, 500s (the action ran), connections dropped before
and after the action ran, and answers slower than the client's deadline. Every row has its own
``recordId``, so each row's requests can be found in the emulator's request log by the SHA-256 of
the body, and the emulator's record store says how many times each row's update really ran.

Checked: exactly one terminal audit record per row and no duplicates; every row's error class,
attempts and correlation id match what the emulator did to it; a row is re-sent only after an
answer that proves the action did not run (429, 503); never after a 500, a dropped connection or
a read timeout, so no update ran twice.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.api.retry import RetryPolicy
from genesys_nb.emulator import EmulatorServer, RequestLogEntry, action_id_for
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner, RunSummary

pytestmark = pytest.mark.slow

UPDATE = action_id_for("Update Customer Record")
ROWS = 10_000
TIME_SCALE = 20.0  # latencies and delays run 20x faster than the platform's
# The client's deadline (real ms), far above a normal answer (a few ms) so a busy CI machine never
# turns one into a timeout; a "slow" answer takes 100 s / 20 = 5 s, far beyond it.
TIMEOUT_MS = 2000
CHAOS = {"rules": [
    {"type": "slow", "delay_ms": 100_000, "rate": 0.004},
    {"type": "errors", "rates": {"429": 0.001, "500": 0.01, "503": 0.03}, "retry_after_s": 1},
    {"type": "reset", "rate": 0.01, "when": "before"},
    {"type": "reset", "rate": 0.005, "when": "after"},
]}
# What the caller must conclude from each thing the emulator did, and whether a non-idempotent
# row may be sent again after it (only when the answer proves the action did not run).
RETRYABLE = {"rate_limited", "server_503"}


@dataclass(frozen=True)
class ChaosRun:
    records: list[dict[str, Any]]
    sends: dict[str, list[RequestLogEntry]]  # body hash -> execute requests in order
    store: dict[str, dict[str, Any]]  # the emulator's records: revision = times the update ran
    summary: RunSummary
    torn_lines: int


def body_hash(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, separators=(",", ":")).encode()).hexdigest()


def outcome(entry: RequestLogEntry) -> str:
    """What the client saw for one request, from the emulator's side of it."""
    if entry.fault and "slow" in entry.fault:
        return "timeout"  # the answer (whatever it was) came after the client's deadline
    if entry.status is None:
        return "network"  # connection dropped, before or after the action ran
    return {200: "ok", 429: "rate_limited", 500: "remote_endpoint", 503: "server_503"}.get(entry.status,
                                                                                          f"status_{entry.status}")


def expected_class(last: str) -> str | None:
    return {"ok": None, "server_503": "server"}.get(last, last)


def run_chaos(tmp_path: Path, *, idempotent: bool = False) -> ChaosRun:
    with EmulatorServer(seed=11, time_scale=TIME_SCALE, rate_per_minute=10**7, max_in_flight=10**4) as server:
        emulator = server.emulator
        emulator.set_faults(UPDATE, CHAOS)
        matrix = ParameterMatrix.from_records([{"recordId": f"R-{n:06d}"} for n in range(ROWS)])
        runner = MatrixRunner(
            server.settings(), concurrency=32, rate_per_minute=None, progress=False,
            audit=tmp_path / "audit.ndjson",
            retry=RetryPolicy(max_retries=3, max_retry_after_s=0.05, backoff_initial_s=0.005, backoff_max_s=0.02),
        )
        runner.run(UPDATE, matrix, timeout_ms=TIMEOUT_MS, idempotent=idempotent, run_id="chaos")
        assert runner.last_summary is not None
        sends: dict[str, list[RequestLogEntry]] = defaultdict(list)
        for entry in emulator.request_log:
            if entry.operation == "execute" and entry.body_sha256:
                sends[entry.body_sha256].append(entry)
        store = emulator.records
    lines = (tmp_path / "audit.ndjson").read_text(encoding="utf-8").splitlines()
    records, torn = [], 0
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            torn += 1
            continue
        if "kind" not in record:  # intent and webhook-state records are not rows
            records.append(record)
    return ChaosRun(records, dict(sends), store, runner.last_summary, torn)


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosRun]:
    yield run_chaos(tmp_path_factory.mktemp("chaos"))


def test_exactly_one_terminal_record_per_row_and_no_duplicates(chaos: ChaosRun) -> None:
    assert chaos.torn_lines == 0
    row_ids = Counter(record["row_id"] for record in chaos.records)
    duplicates = {row_id: count for row_id, count in row_ids.items() if count > 1}
    assert not duplicates, f"rows recorded more than once: {list(duplicates.items())[:5]}"
    assert len(row_ids) == ROWS and len(chaos.records) == ROWS
    assert {json.dumps(r["params"], sort_keys=True) for r in chaos.records} == {
        json.dumps({"recordId": f"R-{n:06d}"}) for n in range(ROWS)}
    assert chaos.summary.finished_rows == ROWS and not chaos.summary.stopped


def test_every_row_class_matches_what_the_emulator_did(chaos: ChaosRun) -> None:
    mismatches = []
    for record in chaos.records:
        sent = chaos.sends.get(body_hash(record["params"]), [])
        assert sent, f"row {record['row_id']} has a record but the emulator never saw its request"
        last = outcome(sent[-1])
        want = expected_class(last)
        got = (record["error_class"], record["success"], record["attempts"])
        if got != (want, want is None, len(sent)):
            mismatches.append((record["row_id"], [outcome(e) for e in sent], got))
            continue
        if last not in ("timeout", "network"):  # an answer arrived: its correlation id is the record's
            assert record["correlation_id"] == sent[-1].correlation_id, record["row_id"]
    assert not mismatches, f"{len(mismatches)} rows disagree with the emulator, e.g. {mismatches[:5]}"


def test_rows_are_resent_only_after_answers_that_prove_the_action_did_not_run(chaos: ChaosRun) -> None:
    bad = []
    for sent in chaos.sends.values():
        outcomes = [outcome(entry) for entry in sent]
        if any(step not in RETRYABLE for step in outcomes[:-1]):
            bad.append(outcomes)  # re-sent after a 500, a dropped connection or a timeout
    assert not bad, f"{len(bad)} non-idempotent rows were re-sent after an ambiguous failure, e.g. {bad[:5]}"


def test_no_update_ran_twice(chaos: ChaosRun) -> None:
    for record in chaos.records:
        record_id = record["params"]["recordId"]
        sent = chaos.sends[body_hash(record["params"])]
        ran = sum(entry.executed for entry in sent)
        assert ran <= 1, f"{record_id}: the update ran {ran} times"
        stored = chaos.store.get(record_id)
        assert (stored["revision"] if stored else 0) == ran, record_id


def test_the_run_really_met_every_fault(chaos: ChaosRun) -> None:
    finals = Counter(outcome(sent[-1]) for sent in chaos.sends.values())
    retried_after = Counter(outcome(entry) for sent in chaos.sends.values() for entry in sent[:-1])
    faults = Counter(entry.fault for sent in chaos.sends.values() for entry in sent if entry.fault)
    assert finals["ok"] > ROWS * 0.8
    for kind in ("remote_endpoint", "timeout", "network"):
        assert finals[kind] > 0, f"no row ended in {kind}: {finals}"
    assert retried_after["server_503"] > 0 and retried_after["rate_limited"] > 0, retried_after
    assert faults["reset_before"] > 0 and faults["reset_after"] > 0, faults
