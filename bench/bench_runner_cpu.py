"""Benchmark P3: runner CPU per row. User + system CPU seconds of the runner process / rows.

The emulator (its own process, loopback) runs Echo with no latency at the platform's limits
compressed (300 per minute per token, 50 in flight, ``time_scale`` 60); the runner runs with
everything a real run has switched on: input validation against the contract, the audit log, pacing
at the platform rate (converted to the compressed clock) and, unless ``--no-webhook``, a per-row
webhook to a receiver in a third process. The CPU of the runner's process (every thread: event
loop, audit, webhook workers) is read with ``resource.getrusage`` around ``run()``.

Reported: microseconds of CPU per row, and the share of one core that the org-wide cap of 2,500
rows per minute would take at that cost. Target: < 5 % of one core.

    python bench/bench_runner_cpu.py [--rows 6000] [--repeat 3] [--no-webhook] [--quick]
"""
from __future__ import annotations

import json
import multiprocessing
import resource
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import echo_action_id, emulator_process, machine, parser, table

TARGET_SHARE = 0.05
ORG_CAP_PER_MINUTE = 2500
TIME_SCALE = 60.0


def _receiver(queue: Any) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    queue.put(server.server_address[1])
    server.serve_forever()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--rows", type=int, default=6000)
    args_parser.add_argument("--repeat", type=int, default=3, help="rounds (median reported)")
    args_parser.add_argument("--no-webhook", action="store_true", help="no per-row webhook")
    args = args_parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat = 1500, 1

    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.runner import MatrixRunner

    receiver = None
    webhook_url = None
    if not args.no_webhook:
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        receiver = ctx.Process(target=_receiver, args=(queue,), daemon=True, name="bench-receiver")
        receiver.start()
        webhook_url = f"http://127.0.0.1:{queue.get(timeout=60)}/events"

    action_id = echo_action_id()
    rounds: list[dict[str, float]] = []
    try:
        with emulator_process(seed=0, time_scale=TIME_SCALE) as emulator, \
                tempfile.TemporaryDirectory(prefix="bench-p3-") as folder:
            for round_number in range(args.repeat + 1):  # round 0 warms imports, pools and caches
                emulator.reset()
                matrix = ParameterMatrix.product(sequence=list(range(args.rows))).with_fixed(message="cpu")
                options: dict[str, Any] = {"rate_per_minute": 300 * TIME_SCALE, "progress": False,
                                           "audit": Path(folder) / f"p3-{round_number}.ndjson"}
                hooks = None
                if webhook_url is not None:
                    from genesys_nb.run.webhook import WebhookDispatcher

                    hooks = WebhookDispatcher(webhook_url, outbox=Path(folder) / f"outbox-{round_number}.ndjson")
                    options["webhook"] = hooks
                runner = MatrixRunner(emulator.settings(), **options)
                before = _cpu_s()
                frame = runner.run(action_id, matrix)
                if hooks is not None:
                    hooks.close()  # the deliveries still in flight are part of the run's cost
                used = _cpu_s() - before
                if not frame["ok"].all():
                    raise RuntimeError(f"{int((~frame['ok']).sum())} rows failed")
                if round_number:
                    rounds.append({"cpu_s": round(used, 3), "us_per_row": round(used / args.rows * 1e6, 1)})
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.join(10)

    us_per_row = statistics.median(r["us_per_row"] for r in rounds)
    share = us_per_row / 1e6 * ORG_CAP_PER_MINUTE / 60.0
    document = {
        "benchmark": "P3_runner_cpu_per_row",
        "rows": args.rows,
        "rounds": args.repeat,
        "webhook": webhook_url is not None,
        "baseline": "one core; the org-wide cap of 2,500 rows per minute",
        "candidate": "MatrixRunner over httpx: validation, audit, pacing" + (", per-row webhook" if webhook_url else ""),
        "us_per_row": us_per_row,
        "share_of_one_core_at_org_cap": round(share, 4),
        "ratio": round(share, 4),
        "target": f"< {TARGET_SHARE:.0%} of one core",
        "verdict": "met" if share < TARGET_SHARE else "MISSED",
        "rounds_detail": rounds,
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not args.json_only:
        print()
        print(table(["measure", "value"], [
            ["CPU per row (user + system), us", us_per_row],
            ["share of one core at 2,500 rows/min", f"{share:.2%}"],
        ]))
        print(f"target < {TARGET_SHARE:.0%}: {document['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
