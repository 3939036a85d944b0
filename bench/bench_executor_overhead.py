"""Benchmark P1: per-call overhead of DataActionExecutor.execute against a bare httpx.Client.post.

Sequential calls to the emulator's zero-latency Echo action, over loopback, the emulator in its own
process. The candidate is the whole single-call pipeline a user gets: ``DataActionExecutor.execute``
(input contract checked with the cached compiled validator, output contract checked, retry
bookkeeping, ExecutionResult) plus one ``AuditLog.write_result`` append per call. The baseline is
``httpx.Client.post`` of the same request (same URL, body and bearer token) with a status check.
Short blocks of calls alternate between the two (order swapped every pair) so a noisy neighbour
hits both alike; the ratio is the median over block pairs.

Target: executor calls/s >= 0.90 x bare-post calls/s.

    python bench/bench_executor_overhead.py [--calls 250] [--repeat 40] [--quick]
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import echo_action_id, emulator_process, machine, parser, table, verdict

TARGET = 0.90
INPUTS = {"message": "C-1001", "sequence": 3}


class RawPoster:
    """The baseline: one kept-alive httpx.Client posting the same request with the same token."""

    def __init__(self, url: str, token: str, action_id: str) -> None:
        self.body = json.dumps(INPUTS, separators=(",", ":")).encode()
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}
        self.path = f"/api/v2/integrations/actions/{action_id}/execute"
        self.client = httpx.Client(base_url=url, timeout=30.0)

    def call(self, index: int) -> None:
        response = self.client.post(self.path, content=self.body, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"bare post answered {response.status_code}: {response.text[:200]}")

    def close(self) -> None:
        self.client.close()


class AuditedExecutor:
    """The candidate: DataActionExecutor.execute (validation cached) + one audit append per call."""

    def __init__(self, settings: Any, action_id: str, audit_path: Path) -> None:
        from genesys_nb.api.client import DataActionsClient
        from genesys_nb.audit.writer import AuditLog
        from genesys_nb.run.executor import DataActionExecutor

        self.action_id = action_id
        self.client = DataActionsClient(settings)
        self.audit = AuditLog(audit_path)
        self.executor = DataActionExecutor(self.client)
        first = self.executor.execute(action_id, INPUTS)  # token, action fetch, validator compiled once
        if not first.ok:
            raise RuntimeError(f"executor warm-up failed: {first.error_class}: {first.error_message}")
        self.action = self.executor.validator.cached_action(action_id)

    def call(self, index: int) -> None:
        result = self.executor.execute(self.action_id, INPUTS)
        if not result.ok:
            raise RuntimeError(f"executor call failed: {result.error_class}: {result.error_message}")
        self.audit.write_result(result, run_id="p1", row_id=str(index), action=self.action, params=INPUTS)

    def close(self) -> None:
        self.audit.close()
        self.client.close()


def timed_block(contender: Any, calls: int) -> float:
    """Calls per second over one block of ``calls`` sequential calls."""
    started = time.perf_counter()
    for index in range(calls):
        contender.call(index)
    return calls / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--calls", type=int, default=250, help="calls per block and contender")
    args_parser.add_argument("--repeat", type=int, default=40, help="interleaved block pairs (median reported)")
    args = args_parser.parse_args(argv)
    if args.quick:
        args.calls, args.repeat = 200, 8

    action_id = echo_action_id()
    raw_rounds: list[float] = []
    executor_rounds: list[float] = []
    with emulator_process(seed=0, rate_per_minute=10**9, max_in_flight=10**6) as emulator, \
            tempfile.TemporaryDirectory(prefix="bench-p1-") as folder:
        raw_poster = RawPoster(emulator.url, emulator.access_token(), action_id)
        candidate_executor = AuditedExecutor(emulator.settings(), action_id, Path(folder) / "p1.ndjson")
        try:
            timed_block(raw_poster, 50)  # warm both connections
            timed_block(candidate_executor, 50)
            for round_number in range(args.repeat):
                # Short blocks, alternating which goes first: a noisy neighbour hits both alike.
                pair = [(raw_rounds, raw_poster), (executor_rounds, candidate_executor)]
                for rounds, contender in pair if round_number % 2 == 0 else reversed(pair):
                    rounds.append(timed_block(contender, args.calls))
        finally:
            raw_poster.close()
            candidate_executor.close()

    raw = statistics.median(raw_rounds)
    candidate = statistics.median(executor_rounds)
    ratio = statistics.median(c / r for c, r in zip(executor_rounds, raw_rounds))
    document = {
        "benchmark": "P1_executor_overhead",
        "calls_per_block": args.calls,
        "block_pairs": args.repeat,
        "ratio_method": "median over block pairs of candidate/baseline calls/s (blocks alternate order)",
        "baseline": "httpx.Client.post (same request, same token), sequential",
        "candidate": "DataActionExecutor.execute (cached validator, output check) + AuditLog append, sequential",
        "baseline_calls_per_s": round(raw, 1),
        "candidate_calls_per_s": round(candidate, 1),
        "overhead_us_per_call": round((1 / candidate - 1 / raw) * 1e6, 1),
        "ratio": round(ratio, 3),
        "target": f">= {TARGET}",
        "verdict": verdict(ratio, TARGET),
        "blocks_calls_per_s": {"baseline": [round(v, 1) for v in raw_rounds],
                               "candidate": [round(v, 1) for v in executor_rounds]},
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not args.json_only:
        print()
        print(table(["contender", "calls/s", "x baseline"], [
            ["httpx.Client.post (baseline)", raw, 1.0],
            ["DataActionExecutor + audit", candidate, ratio],
        ]))
        print(f"overhead {document['overhead_us_per_call']} us/call; target >= {TARGET}: {document['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
