"""Benchmark P4: pacing. The emulator allows N requests per (compressed) minute; the runner's rate vs N.

The emulator (its own process, loopback) enforces ``rate_per_minute = N`` per token in fixed
windows of one platform minute, with ``time_scale`` compressing a minute into ``60 / time_scale``
real seconds (at 60, one minute lasts one second). The runner is told the same platform limit
(``rate_per_minute=N``, scaled alike) and runs enough rows of the zero-latency Echo action to span
several windows at 16 in flight. The achieved rate is the execute requests the emulator logged
divided by the span between the first and the last one (server clock), in requests per platform
minute; the baseline is N itself. Every 429 the emulator answered is counted.

Target: achieved >= 0.95 x N with zero 429s.

    python bench/bench_pacing.py [--rate 300] [--time-scale 20] [--windows 8] [--quick]
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import echo_action_id, emulator_process, machine, parser, table, verdict

TARGET = 0.95
IN_FLIGHT = 16


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def main(argv: list[str] | None = None) -> int:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--rate", type=int, default=300, help="the platform limit N, requests per minute")
    args_parser.add_argument("--time-scale", type=float, default=20.0, help="platform minutes per real minute")
    args_parser.add_argument("--windows", type=int, default=8, help="platform minutes the run should span")
    args_parser.add_argument("--repeat", type=int, default=1)
    args = args_parser.parse_args(argv)
    if args.quick:
        args.windows = 4

    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.runner import MatrixRunner

    action_id = echo_action_id()
    minute_s = 60.0 / args.time_scale
    rows = args.rate * args.windows
    rounds: list[dict[str, float]] = []
    with emulator_process(seed=0, rate_per_minute=args.rate, time_scale=args.time_scale,
                          max_in_flight=10**6) as emulator, tempfile.TemporaryDirectory(prefix="bench-p4-") as folder:
        for round_number in range(args.repeat):
            emulator.reset()
            matrix = ParameterMatrix.product(sequence=list(range(rows))).with_fixed(message="pace")
            # The runner is given the platform limit in platform minutes, converted to this clock.
            runner = MatrixRunner(emulator.settings(), concurrency=IN_FLIGHT, rate_per_minute=args.rate * args.time_scale,
                                  audit=Path(folder) / f"p4-{round_number}.ndjson", progress=False)
            runner.run(action_id, matrix)
            summary = runner.last_summary
            assert summary is not None
            executes = [e for e in emulator.requests() if e["operation"] == "execute"]
            times = sorted(_seconds(e["time"]) for e in executes)
            span_s = times[-1] - times[0]
            achieved_per_minute = (len(times) - 1) / span_s * minute_s
            rounds.append({
                "achieved_per_platform_minute": achieved_per_minute,
                "ratio": achieved_per_minute / args.rate,
                "responses_429": sum(1 for e in executes if e["status"] == 429),
                "execute_requests": len(executes),
                "rows_ok": summary.ok_rows,
                "runner_rows_per_s": summary.rows_per_s,
            })

    ratio = statistics.median(r["ratio"] for r in rounds)
    total_429 = sum(int(r["responses_429"]) for r in rounds)
    met = ratio >= TARGET and total_429 == 0
    document = {
        "benchmark": "P4_pacing",
        "limit_per_platform_minute": args.rate,
        "time_scale": args.time_scale,
        "platform_minute_s": minute_s,
        "rows": rows,
        "in_flight": IN_FLIGHT,
        "baseline": "the emulator's limit N (requests per platform minute per token)",
        "candidate": "MatrixRunner(rate_per_minute=N, concurrency=16): execute requests per platform minute "
                     "(server clock, first to last)",
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
        print(table(["measure", "value", "x N"], [
            ["limit N per platform minute (baseline)", float(args.rate), 1.0],
            ["runner, achieved per platform minute", document["achieved_per_platform_minute"], ratio],
            ["429 answers", total_429, None],
        ]))
        print(f"target >= {TARGET} with zero 429s: {document['verdict']} ({verdict(ratio, TARGET)} on rate)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
