"""Benchmark P3: Little's law. Service time fixed at 50 ms, 50 in flight: achieved rows/s vs 50 / 0.05.

The emulator (its own process, loopback) answers every execute after exactly 50 ms (a fixed-latency
fault rule on the zero-latency Echo action; rate and in-flight limits out of the way). With L = 50
requests in flight and W = 0.05 s per request, Little's law gives the ideal throughput
lambda = L / W = 1,000 rows/s. The runner (``MatrixRunner(concurrency=50, rate_per_minute=None)``)
runs N rows; its achieved rows/s is compared with that ideal, and with what a raw asyncio-socket
client at 50 in flight achieves against the same server in the same run (the machine's own ceiling
for this service time).

Target: runner rows/s >= 0.90 x (50 / 0.05).

    python bench/bench_littles_law.py [--rows 2000] [--repeat 3] [--quick]
"""
from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import echo_action_id, emulator_process, machine, parser, table, verdict
from bench_async_stacks import bench_raw
from bench_runner_throughput import run_runner

TARGET = 0.90
IN_FLIGHT = 50
SERVICE_MS = 50.0


def main(argv: list[str] | None = None) -> int:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--rows", type=int, default=2000)
    args_parser.add_argument("--repeat", type=int, default=3, help="rounds (median reported)")
    args = args_parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat = 1000, 1

    import bench_runner_throughput

    bench_runner_throughput.IN_FLIGHT = IN_FLIGHT  # run_runner reads it: 50 in flight here
    ideal = IN_FLIGHT / (SERVICE_MS / 1000.0)
    action_id = echo_action_id()
    runner_rounds: list[float] = []
    raw_rounds: list[float] = []
    with emulator_process(seed=0, rate_per_minute=10**9, max_in_flight=10**6) as emulator, \
            tempfile.TemporaryDirectory(prefix="bench-p3-") as folder:
        path = f"/api/v2/integrations/actions/{action_id}/execute"
        target = (emulator.url, path, {"Authorization": f"Bearer {emulator.access_token()}"})
        for round_number in range(args.repeat):
            emulator.reset()
            emulator.set_faults([{"type": "latency", "fixed_ms": SERVICE_MS}], action_id=action_id)
            raw_rounds.append(asyncio.run(bench_raw(target, args.rows, IN_FLIGHT)))
            figures = run_runner(emulator.settings(), action_id, args.rows, Path(folder) / f"p3-{round_number}.ndjson")
            runner_rounds.append(figures["rows_per_s"])

    runner = statistics.median(runner_rounds)
    raw = statistics.median(raw_rounds)
    ratio = runner / ideal
    document = {
        "benchmark": "P3_littles_law",
        "rows": args.rows,
        "rounds": args.repeat,
        "in_flight": IN_FLIGHT,
        "service_time_ms": SERVICE_MS,
        "baseline": "Little's law ideal L/W = 50 / 0.05 s = 1,000 rows/s",
        "baseline_rows_per_s": ideal,
        "candidate": "MatrixRunner(concurrency=50, rate_per_minute=None), audit on",
        "candidate_rows_per_s": round(runner, 1),
        "ratio": round(ratio, 3),
        "target": f">= {TARGET}",
        "verdict": verdict(ratio, TARGET),
        "raw_socket_client_rows_per_s": round(raw, 1),
        "raw_socket_client_ratio": round(raw / ideal, 3),
        "rounds_rows_per_s": {"candidate": [round(v, 1) for v in runner_rounds],
                              "raw_socket_client": [round(v, 1) for v in raw_rounds]},
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not args.json_only:
        print()
        print(table(["contender", "rows/s", "x L/W"], [
            ["Little's law ideal L/W (baseline)", ideal, 1.0],
            ["MatrixRunner (50 in flight)", runner, ratio],
            ["raw asyncio sockets (50 in flight)", raw, raw / ideal],
        ]))
        print(f"target >= {TARGET}: {document['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
