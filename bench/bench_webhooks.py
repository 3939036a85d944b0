"""Benchmark: per-row webhook events/s through WebhookDispatcher to a healthy local receiver.

The receiver (threaded ``http.server``, HTTP/1.1 keep-alive, answers 204) runs in its own process,
so the client being measured never shares a GIL with it; it counts POSTs and distinct
``webhook-id`` values. The baseline is what a script without genesys_nb does: one thread posting
each signed event in turn over one keep-alive ``httpx.Client``. The candidate is
``WebhookDispatcher.submit`` for every event (the producer is far faster than the receiver, so
the queue fills and ``submit`` waits for room), timed until ``close()`` returns with everything
delivered. Rounds alternate.

Target: zero events in the outbox and every event delivered exactly once (POSTs == distinct ids ==
events) in every round; the events/s figure and its ratio to the baseline are reported.

    python bench/bench_webhooks.py [--events 20000] [--repeat 3] [--workers 8] [--delay-ms 0] [--quick]
"""
from __future__ import annotations

import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import machine, parser, table


def _serve(queue: Any, delay_s: float) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    lock = threading.Lock()
    seen: set[str] = set()
    posts = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if delay_s:
                time.sleep(delay_s)  # the receiver's own work (a database write...)
            with lock:
                posts[0] += 1
                seen.add(self.headers.get("webhook-id", ""))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # /count, then the counters start again
            with lock:
                body = json.dumps({"posts": posts[0], "distinct": len(seen)}).encode()
                posts[0] = 0
                seen.clear()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    queue.put(server.server_address[1])
    server.serve_forever()


def _count(url: str) -> dict[str, int]:
    return dict(httpx.get(url.replace("/events", "/count"), timeout=30).json())


def _result(n: int) -> Any:
    from genesys_nb.api.result import ExecutionResult

    return ExecutionResult(action_id="custom_-_bench", ok=True, output={"n": n, "tier": {"name": "gold"}},
                           status_code=200, latency_ms=12.5, total_ms=12.5,
                           timestamp=datetime(2026, 3, 1, tzinfo=timezone.utc))


def baseline(url: str, events: int, secret: str, run_id: str) -> float:
    from standardwebhooks.webhooks import Webhook

    from genesys_nb.audit import jsonsafe
    from genesys_nb.run.webhook import build_row_payload, event_id_for

    signer = Webhook(secret)
    started = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        for n in range(events):
            body = jsonsafe.dumps(build_row_payload(_result(n), run_id=run_id, row_id=str(n)))
            event_id, now = event_id_for(run_id, str(n)), datetime.now(timezone.utc)
            headers = {"content-type": "application/json", "webhook-id": event_id,
                       "webhook-timestamp": str(int(now.timestamp())),
                       "webhook-signature": signer.sign(event_id, now, body)}
            client.post(url, content=body, headers=headers).raise_for_status()
    return events / (time.perf_counter() - started)


def candidate(url: str, events: int, secret: str, run_id: str, workers: int) -> tuple[float, int]:
    from genesys_nb.run.webhook import WebhookDispatcher

    with tempfile.TemporaryDirectory() as folder:
        outbox = Path(folder) / "outbox.ndjson"
        started = time.perf_counter()
        with WebhookDispatcher(url, secret=secret, outbox=outbox, workers=workers) as hooks:
            for n in range(events):
                hooks.submit(_result(n), run_id=run_id, row_id=str(n))
        rate = events / (time.perf_counter() - started)
        kept = len(outbox.read_bytes().splitlines()) if outbox.exists() else 0
    return rate, kept + len(hooks.unsaved)


def main(argv: list[str] | None = None) -> int:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--events", type=int, default=20000, help="events per round")
    args_parser.add_argument("--repeat", type=int, default=3)
    args_parser.add_argument("--workers", type=int, default=8, help="dispatcher worker threads")
    args_parser.add_argument("--delay-ms", type=float, default=0.0,
                             help="time the receiver spends on each event before answering (default 0)")
    args = args_parser.parse_args(argv)
    if args.quick:
        args.events, args.repeat = 4000, 1

    from genesys_nb.run.webhook import new_secret

    secret = new_secret()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_serve, args=(queue, args.delay_ms / 1000), daemon=True, name="bench-webhook-receiver")
    process.start()
    try:
        url = f"http://127.0.0.1:{queue.get(timeout=60)}/events"
        base_rounds: list[float] = []
        cand_rounds: list[float] = []
        exact: list[bool] = []
        for round_number in range(args.repeat):
            order = ["baseline", "candidate"] if round_number % 2 == 0 else ["candidate", "baseline"]
            for which in order:
                run_id = f"bench-{which}-{round_number}"
                if which == "baseline":
                    base_rounds.append(baseline(url, args.events, secret, run_id))
                    _count(url)
                    continue
                rate, kept = candidate(url, args.events, secret, run_id, args.workers)
                counted = _count(url)
                cand_rounds.append(rate)
                exact.append(kept == 0 and counted == {"posts": args.events, "distinct": args.events})
                if not exact[-1]:
                    print(f"round {round_number}: outbox {kept}, receiver {counted}", file=sys.stderr)
    finally:
        process.terminate()
        process.join(10)
    base, cand = statistics.median(base_rounds), statistics.median(cand_rounds)
    ratio = statistics.median(c / b for c, b in zip(cand_rounds, base_rounds))
    document = {
        "benchmark": "webhooks",
        "events": args.events,
        "workers": args.workers,
        "receiver_delay_ms": args.delay_ms,
        "baseline": "one thread, one keep-alive httpx.Client, each signed event posted in turn",
        "candidate": "WebhookDispatcher.submit per event (bounded queue, waits for room), until close()",
        "baseline_events_per_s": round(base, 1),
        "candidate_events_per_s": round(cand, 1),
        "candidate_calls_per_s": round(cand, 1),
        "ratio": round(ratio, 2),
        "target": "0 in the outbox, each event delivered once",
        "verdict": "met" if all(exact) else "MISSED",
        "rounds": {"baseline": [round(v, 1) for v in base_rounds], "candidate": [round(v, 1) for v in cand_rounds]},
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not args.json_only:
        print()
        print(table(["contender", "events/s", "x baseline"], [
            ["httpx.Client, one thread, in turn (baseline)", base, 1.0],
            [f"WebhookDispatcher, {args.workers} workers", cand, ratio],
        ]))
        print(f"{args.events:,} events per round; each delivered once, none in the outbox: {document['verdict']}")
    return 0 if all(exact) else 1


if __name__ == "__main__":
    sys.exit(main())
