"""Benchmark P2: MatrixRunner throughput at 32 in flight vs a raw asyncio-socket client at 32 in flight.

Both drive the emulator's zero-latency Echo action over loopback (the emulator in its own process,
one uvicorn worker, limits out of the way). The baseline is the hand-written HTTP/1.1 client of
``bench_async_stacks.bench_raw``: the ceiling this machine and this server allow. The candidate is
``MatrixRunner(concurrency=32, rate_per_minute=None)`` running a matrix of N rows end to end
(validation, retries bookkeeping, one audit record per row; the DataFrame built afterwards is
timed separately). The async stacks that keep the httpx API are measured against the same server
(via ``bench_async_stacks``) so the transport choice can be read from the same run.

Target: runner rows/s >= 0.70 x raw-socket calls/s.

    python bench/bench_runner_throughput.py [--rows 4000] [--repeat 3] [--quick]
"""
from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import echo_action_id, emulator_process, machine, parser, table, verdict
from bench_async_stacks import _stacks, bench_raw

TARGET = 0.70
IN_FLIGHT = 32


def _run_stack(run: Callable[[], Awaitable[float]]) -> float:
    async def measured() -> float:
        return await run()

    return asyncio.run(measured())


def run_runner(settings: Any, action_id: str, rows: int, audit_path: Path) -> dict[str, float]:
    """One MatrixRunner run; rows/s of the run itself and of the whole call (DataFrame included)."""
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.runner import MatrixRunner

    matrix = ParameterMatrix.product(sequence=list(range(rows))).with_fixed(message="C-1001")
    runner = MatrixRunner(settings, concurrency=IN_FLIGHT, rate_per_minute=None, audit=audit_path, progress=False)
    started = time.perf_counter()
    frame = runner.run(action_id, matrix)
    end_to_end_s = time.perf_counter() - started
    summary = runner.last_summary
    assert summary is not None
    if summary.ok_rows != rows or len(frame) != rows:
        raise RuntimeError(f"runner finished {summary.ok_rows} of {rows} rows ok: {summary}")
    return {"rows_per_s": summary.rows_per_s, "end_to_end_rows_per_s": rows / end_to_end_s}


def main(argv: list[str] | None = None) -> int:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--rows", type=int, default=4000, help="rows (and raw calls) per round")
    args_parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (median reported)")
    args_parser.add_argument("--no-stacks", action="store_true", help="skip the async-stack comparison")
    args = args_parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat = 1000, 2

    action_id = echo_action_id()
    raw_rounds: list[float] = []
    runner_rounds: list[float] = []
    end_to_end_rounds: list[float] = []
    stack_rounds: dict[str, list[float]] = {}
    with emulator_process(seed=0, rate_per_minute=10**9, max_in_flight=10**6) as emulator, \
            tempfile.TemporaryDirectory(prefix="bench-p2-") as folder:
        path = f"/api/v2/integrations/actions/{action_id}/execute"
        target = (emulator.url, path, {"Authorization": f"Bearer {emulator.access_token()}"})
        asyncio.run(bench_raw(target, 200, IN_FLIGHT))  # warm the server
        for round_number in range(args.repeat):
            raw_rounds.append(asyncio.run(bench_raw(target, args.rows, IN_FLIGHT)))
            figures = run_runner(emulator.settings(), action_id, args.rows, Path(folder) / f"p2-{round_number}.ndjson")
            runner_rounds.append(figures["rows_per_s"])
            end_to_end_rounds.append(figures["end_to_end_rows_per_s"])
            if not args.no_stacks:
                for name, run in _stacks(target, args.rows, IN_FLIGHT).items():
                    if name != "raw_asyncio_sockets":
                        stack_rounds.setdefault(name, []).append(_run_stack(run))
            emulator.reset()

    raw = statistics.median(raw_rounds)
    runner = statistics.median(runner_rounds)
    ratio = statistics.median(r / c for r, c in zip(runner_rounds, raw_rounds))
    stacks = {name: statistics.median(values) for name, values in stack_rounds.items()}
    document = {
        "benchmark": "P2_runner_throughput",
        "rows_per_round": args.rows,
        "rounds": args.repeat,
        "in_flight": IN_FLIGHT,
        "baseline": "raw asyncio-socket HTTP/1.1 client (bench_async_stacks.bench_raw), 32 connections",
        "candidate": "MatrixRunner(concurrency=32, rate_per_minute=None), audit on, default transport",
        "baseline_calls_per_s": round(raw, 1),
        "candidate_rows_per_s": round(runner, 1),
        "candidate_end_to_end_rows_per_s": round(statistics.median(end_to_end_rounds), 1),
        "ratio": round(ratio, 3),
        "target": f">= {TARGET}",
        "verdict": verdict(ratio, TARGET),
        "async_stacks_calls_per_s": {name: round(value, 1) for name, value in stacks.items()},
        "async_stacks_ratio_to_raw": {name: round(value / raw, 3) for name, value in stacks.items()},
        "rounds_calls_per_s": {"baseline": [round(v, 1) for v in raw_rounds], "candidate": [round(v, 1) for v in runner_rounds]},
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not args.json_only:
        print()
        rows = [["raw asyncio sockets (baseline)", raw, 1.0], ["MatrixRunner (32 in flight)", runner, ratio]]
        rows += [[f"stack: {name}", value, value / raw] for name, value in sorted(stacks.items(), key=lambda i: -i[1])]
        print(table(["contender", "calls/s", "x baseline"], rows))
        print(f"target >= {TARGET}: {document['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
