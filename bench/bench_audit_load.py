"""Benchmark: load N generated audit records with genesys_nb.read_audit vs pandas.read_json(lines=True).

Each loader then computes latency p50/p95/p99 per action, the first thing a report does.

Each loader runs in its own subprocess so its peak RSS is its own. Prints one JSON document and a
readable table. Usage: ``python bench/bench_audit_load.py [--rows 1000000] [--repeat 1]``.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from _support import write_ndjson

ACTIONS = [
    ("custom_-_a1", "Get Queue Metrics", lambda rng: {"queueId": f"q-{rng.randrange(50)}",
                                                       "mediaType": rng.choice(["voice", "chat", "email"])}),
    ("custom_-_a2", "Create Callback", lambda rng: {"callbackNumber": f"+3312345{rng.randrange(9999):04d}",
                                                     "queueId": f"q-{rng.randrange(50)}",
                                                     "priority": rng.randrange(1, 6)}),
    ("custom_-_a3", "Update Data Table Row", lambda rng: {"Key": f"k{rng.randrange(10**6)}",
                                                          "IntFieldValue1": rng.randrange(100),
                                                          "BoolFieldValue1": rng.random() < 0.5}),
]
CLASSES = [(None, 200)] * 90 + [("rate_limited", 429)] * 4 + [("server", 503)] * 3 + [("timeout", None)] * 2 \
    + [("bad_request", 400)]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    def records() -> Iterator[dict[str, Any]]:
        for index in range(rows):
            action_id, name, make_params = ACTIONS[index % len(ACTIONS)]
            error_class, status = rng.choice(CLASSES)
            ok = error_class is None
            latency = rng.lognormvariate(4.5, 0.5)
            output = {"count": rng.randrange(100), "status": "ok"} if ok else None
            record: dict[str, Any] = {
                "schema_version": 1,
                "timestamp": (start + timedelta(milliseconds=index * 3)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "run_id": f"run-{index // 250_000}", "row_id": f"{index:012x}", "action_id": action_id,
                "action_name": name, "action_version": 3, "success": ok, "status_code": status,
                "error_class": error_class, "error_code": None if ok else "SOME.CODE",
                "error_message": None if ok else "failure message", "latency_ms": latency,
                "total_ms": latency + (0 if ok else 500.0), "attempts": 1 if ok else 2,
                "retry_wait_ms": 0.0 if ok else 500.0, "timeout_ms": 30000,
                "correlation_id": f"c0ffee{index:010d}", "params": make_params(rng),
                "output_keys": list(output or {}), "error_count": 0 if ok else 1, "webhook": "none",
                "expected_invalid": False, "output": output,
            }
            yield record

    write_ndjson(path, records())


def _measure(loader: str, path: str) -> dict[str, Any]:
    import pandas as pd

    started = time.perf_counter()
    if loader in ("read_audit", "read_audit_lean"):
        from genesys_nb.audit.writer import read_audit

        frame = read_audit(path, lean=loader == "read_audit_lean")
        summary = frame.groupby("action_name", observed=True)["latency_ms"].quantile([0.5, 0.95, 0.99])
    elif loader == "pandas.read_json":
        frame = pd.read_json(path, lines=True)
        summary = frame.groupby("action_name")["latency_ms"].quantile([0.5, 0.95, 0.99])
    elif loader == "pyarrow.json":
        import pyarrow as pa
        import pyarrow.json as pj

        schema = pa.schema([("timestamp", pa.string()), ("run_id", pa.string()), ("action_name", pa.string()),
                            ("success", pa.bool_()), ("status_code", pa.int64()),
                            ("error_class", pa.string()), ("latency_ms", pa.float64())])
        table = pj.read_json(path, parse_options=pj.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore"))
        frame = table.to_pandas()
        summary = frame.groupby("action_name")["latency_ms"].quantile([0.5, 0.95, 0.99])
    else:
        raise SystemExit(f"unknown loader {loader}")
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"loader": loader, "rows": len(frame), "seconds": round(seconds, 3),
            "peak_rss_mb": round(peak_kb / 1024, 1), "groups": len(summary)}


def _run_child(loader: str, path: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--measure", loader, str(path)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds; loaders alternate order, median kept")
    parser.add_argument("--measure", nargs=2, metavar=("LOADER", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--loaders", default="read_audit,read_audit_lean,pandas.read_json,pyarrow.json")
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(_measure(*args.measure)))
        return 0
    with tempfile.TemporaryDirectory(prefix="genesys-nb-bench-") as folder:
        path = Path(folder) / "audit.ndjson"
        generate(path, args.rows)
        names = args.loaders.split(",")
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        for round_number in range(args.repeat):
            for name in names if round_number % 2 == 0 else reversed(names):
                runs[name].append(_run_child(name, path))
        results = [sorted(runs[name], key=lambda r: r["seconds"])[len(runs[name]) // 2] for name in names]
        size_mb = path.stat().st_size / 1e6
    base = next((r for r in results if r["loader"] == "pandas.read_json"), None)
    for result in results:
        result["speedup_vs_read_json"] = round(base["seconds"] / result["seconds"], 2) if base else None
    report = {"benchmark": "audit_load", "rows": args.rows, "file_mb": round(size_mb, 1), "results": results}
    print(json.dumps(report, indent=2))
    print(f"\n{'loader':<20} {'rows':>10} {'seconds':>9} {'peak RSS MB':>12} {'x read_json':>12}")
    for r in results:
        print(f"{r['loader']:<20} {r['rows']:>10} {r['seconds']:>9.2f} {r['peak_rss_mb']:>12.0f} "
              f"{r['speedup_vs_read_json'] or 0:>12.2f}")
    print("read_audit: every column, params flattened; read_audit_lean: no raw params/output objects;\n"
          "pyarrow.json: scalar columns only (a floor: it cannot keep params whose shape varies by row).\n"
          "Each timing is load + groupby(action_name) p50/p95/p99 of latency_ms.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
