"""Benchmark P2: runner efficiency at the platform's real limits. Achieved rows per minute vs allowed.

The emulator (its own process, loopback) plays a real org: 300 requests per minute per token and
at most 50 executions in flight, and every execute takes 200 ms of remote service time (a
fixed-latency fault rule on the zero-latency Echo action). ``time_scale`` compresses the clock (at
60 a platform minute lasts one real second, and 200 ms of service time 3.3 ms), so several
platform minutes pass in seconds. The runner runs with its default settings over the default
transport (httpx's own): ``MatrixRunner(settings, rate_per_minute=300 x time_scale)``, the platform
rate converted to the compressed clock (a remote process gives the runner no clock to follow),
concurrency 8, retries, validation and audit as shipped.

Achieved = execute requests the emulator logged, first to last (server clock), per platform minute;
allowed = 300. Every 429 the emulator answered is counted.

Target: achieved / allowed >= 0.97 with zero 429s.

    python bench/bench_runner_limits.py [--windows 10] [--repeat 3] [--time-scale 60] [--quick]
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import echo_action_id, emulator_process, machine, parser, table, verdict

TARGET = 0.97
ALLOWED_PER_MINUTE = 300
MAX_IN_FLIGHT = 50
SERVICE_MS = 200.0


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def main(argv: list[str] | None = None) -> int:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--time-scale", type=float, default=60.0, help="platform minutes per real minute")
    args_parser.add_argument("--windows", type=int, default=10, help="platform minutes each round spans")
    args_parser.add_argument("--repeat", type=int, default=3, help="rounds (median reported)")
    args = args_parser.parse_args(argv)
    if args.quick:
        args.windows, args.repeat = 4, 1

    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.runner import MatrixRunner

    action_id = echo_action_id()
    minute_s = 60.0 / args.time_scale
    rows = ALLOWED_PER_MINUTE * args.windows
    rounds: list[dict[str, float]] = []
    with emulator_process(seed=0, rate_per_minute=ALLOWED_PER_MINUTE, max_in_flight=MAX_IN_FLIGHT,
                          time_scale=args.time_scale) as emulator, \
            tempfile.TemporaryDirectory(prefix="bench-p2-") as folder:
        for round_number in range(args.repeat):
            emulator.reset()
            emulator.set_faults([{"type": "latency", "fixed_ms": SERVICE_MS}], action_id=action_id)
            matrix = ParameterMatrix.product(sequence=list(range(rows))).with_fixed(message="limits")
            runner = MatrixRunner(emulator.settings(), rate_per_minute=ALLOWED_PER_MINUTE * args.time_scale,
                                  audit=Path(folder) / f"p2-{round_number}.ndjson", progress=False)
            started = time.perf_counter()
            frame = runner.run(action_id, matrix)
            wall_s = time.perf_counter() - started
            executes = [e for e in emulator.requests() if e["operation"] == "execute"]
            times = sorted(_seconds(e["time"]) for e in executes)
            achieved = (len(times) - 1) / (times[-1] - times[0]) * minute_s
            rounds.append({
                "achieved_per_platform_minute": round(achieved, 1),
                "ratio": round(achieved / ALLOWED_PER_MINUTE, 4),
                "rows_ok": int(frame["ok"].sum()),
                "responses_429": sum(1 for e in executes if e["status"] == 429),
                "execute_requests": len(executes),
                "wall_rows_per_platform_minute": round(len(frame) / wall_s * minute_s, 1),
            })

    ratio = statistics.median(r["ratio"] for r in rounds)
    total_429 = sum(int(r["responses_429"]) for r in rounds)
    all_ok = all(r["rows_ok"] == rows for r in rounds)
    met = ratio >= TARGET and total_429 == 0 and all_ok
    document = {
        "benchmark": "P2_runner_at_real_limits",
        "allowed_per_platform_minute": ALLOWED_PER_MINUTE,
        "max_in_flight": MAX_IN_FLIGHT,
        "service_time_ms": SERVICE_MS,
        "time_scale": args.time_scale,
        "rows": rows,
        "baseline": "the platform's allowance: 300 requests per minute per token (50 in flight, 200 ms each)",
        "candidate": "MatrixRunner defaults over httpx (rate converted to the compressed clock): execute "
                     "requests per platform minute, server clock, first to last",
        "achieved_per_platform_minute": round(statistics.median(r["achieved_per_platform_minute"] for r in rounds), 1),
        "ratio": round(ratio, 3),
        "responses_429": total_429,
        "target": f">= {TARGET} with zero 429s",
        "verdict": "met" if met else "MISSED",
        "rounds": rounds,
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not args.json_only:
        print()
        print(table(["measure", "per platform minute", "x allowed"], [
            ["allowed (baseline)", float(ALLOWED_PER_MINUTE), 1.0],
            ["MatrixRunner, achieved (server clock)", document["achieved_per_platform_minute"], ratio],
            ["MatrixRunner, rows / wall time of run()",
             statistics.median(r["wall_rows_per_platform_minute"] for r in rounds),
             statistics.median(r["wall_rows_per_platform_minute"] for r in rounds) / ALLOWED_PER_MINUTE],
            ["429 answers", total_429, None],
        ]))
        print(f"target >= {TARGET} with zero 429s: {document['verdict']} ({verdict(ratio, TARGET)} on rate)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
