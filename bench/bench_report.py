"""Benchmark P6: summarise N generated audit records with LatencyReport vs pandas.read_json + groupby.

The baseline is what a notebook user writes by hand: ``pandas.read_json(lines=True)``, then a groupby
by action with count, mean, min, max, ok rate and the p50/p90/p95/p99 quantiles. The candidate is
``LatencyReport.from_audit(path).summary()`` (which also computes throughput and retries). For
reference, ``read_audit`` (the full typed reader, every column) + ``summary()`` is measured too.

Each contender runs in its own subprocess so its peak RSS (ru_maxrss) is its own. Both must agree on
every action's p95 (checked). Prints one JSON document, then a readable table.

Usage: ``python bench/bench_report.py [--rows 1000000] [--repeat 3] [--contenders a,b,c]``
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from _support import write_ndjson

ACTIONS = ("Get user", "Lookup order", "Create callback", "Update data table row")
CLASSES = [(None, 200)] * 92 + [("rate_limited", 429)] * 4 + [("server", 503)] * 2 + [("timeout", None)] \
    + [("bad_request", 400)]
QUANTILES = (0.5, 0.9, 0.95, 0.99)
CONTENDERS = ("pandas.read_json", "LatencyReport", "read_audit+LatencyReport")


def generate(path: Path, rows: int, seed: int = 6) -> None:
    """Write ``rows`` schema-1 audit records (about 600 bytes each, params and output included)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    def records() -> Iterator[dict[str, Any]]:
        for row in range(rows):
            action = row % len(ACTIONS)
            error_class, status = rng.choice(CLASSES)
            ok = error_class is None
            latency = rng.lognormvariate(5.0, 0.5)
            attempts = 1 if ok or error_class == "bad_request" else rng.randint(1, 4)
            wait_ms = 0.0 if attempts == 1 else 500.0 * (attempts - 1)
            record = {
                "schema_version": 1,
                "timestamp": (start + timedelta(milliseconds=4 * row)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "run_id": f"run-{row // 500_000}", "row_id": str(row),
                "action_id": f"custom_-_{action:08x}-5b1c-5f2a-9d7e-2c4b8a6f0e1d",
                "action_name": ACTIONS[action], "action_version": 2, "success": ok, "status_code": status,
                "error_class": error_class, "error_code": None if ok else f"{error_class}.code",
                "error_message": None if ok else f"{error_class}: the request failed",
                "latency_ms": latency, "total_ms": latency + wait_ms, "attempts": attempts,
                "retry_wait_ms": wait_ms, "timeout_ms": 30000,
                "correlation_id": f"5f1c2a9e-0000-4000-8000-{row:012d}",
                "params": {"userId": f"u-{rng.randrange(10_000)}", "priority": rng.choice(["low", "high"]),
                           "limit": rng.randrange(1, 100)},
                "output_keys": ["id", "name", "state"] if ok else [], "error_count": 0 if ok else 1,
                "webhook": "none", "expected_invalid": False,
                "output": {"id": f"x-{row}", "name": "Somebody Else", "state": "active"} if ok else None,
            }
            yield record

    write_ndjson(path, records())


def _measure(contender: str, path: str) -> dict[str, Any]:
    """Runs in a child process: load + summarise, then report time, peak RSS and each action's p95."""
    import pandas as pd

    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if contender == "pandas.read_json":
        frame = pd.read_json(path, lines=True)
        grouped = frame.groupby("action_name")
        stats = grouped["latency_ms"].agg(["count", "mean", "min", "max"])
        stats["ok_rate"] = grouped["success"].mean()
        quantiles = grouped["latency_ms"].quantile(list(QUANTILES)).unstack()
        summary = stats.join(quantiles)
        p95 = summary[0.95]
    elif contender == "LatencyReport":
        from genesys_nb.report.latency import LatencyReport

        summary = LatencyReport.from_audit(path).summary()
        p95 = summary["p95_ms"]
    elif contender == "read_audit+LatencyReport":
        from genesys_nb.audit.writer import read_audit
        from genesys_nb.report.latency import LatencyReport

        summary = LatencyReport.from_audit(read_audit(path)).summary()
        p95 = summary["p95_ms"]
    else:
        raise SystemExit(f"unknown contender {contender!r}; choose from {', '.join(CONTENDERS)}")
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "contender": contender,
        "rows": int(summary["count"].sum()),
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "rss_before_mb": round(rss_before_kb / 1024, 1),
        "p95_ms": {str(k): float(v) for k, v in p95.items()},
    }


def _run_child(contender: str, path: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--measure", contender, str(path)],
                          check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{contender} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _machine() -> dict[str, Any]:
    import numpy
    import pandas
    import pyarrow

    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "pandas": pandas.__version__, "pyarrow": pyarrow.__version__, "numpy": numpy.__version__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="records to generate (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds; contenders alternate order each round and the median is kept")
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset")
    parser.add_argument("--measure", nargs=2, metavar=("CONTENDER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(_measure(*args.measure)))
        return 0
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    with tempfile.TemporaryDirectory(prefix="genesys-nb-bench-report-") as folder:
        path = Path(folder) / "audit.ndjson"
        generate(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        names = [name.strip() for name in args.contenders.split(",")]
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        for round_number in range(args.repeat):  # the order alternates, so drift hits every contender alike
            for name in names if round_number % 2 == 0 else reversed(names):
                runs[name].append(_run_child(name, path))
    results = []
    for name in names:
        ordered = sorted(runs[name], key=lambda r: r["seconds"])
        median = dict(ordered[len(ordered) // 2])
        median["rounds_seconds"] = [r["seconds"] for r in runs[name]]
        median["peak_rss_mb"] = statistics.median(r["peak_rss_mb"] for r in runs[name])
        results.append(median)
    base = next((r for r in results if r["contender"] == "pandas.read_json"), None)
    for result in results:
        if base is None:
            result["speedup_vs_baseline"] = None
            continue
        # the median over rounds of the per-round speedup (each round's pair ran back to back)
        result["speedup_vs_baseline"] = round(statistics.median(
            b / c for b, c in zip(base["rounds_seconds"], result["rounds_seconds"])), 2)
        if base is not None:  # the figures must agree, or the speed means nothing
            result["p95_agrees_with_baseline"] = all(
                abs(result["p95_ms"][k] - v) <= 1e-6 * max(1.0, abs(v)) for k, v in base["p95_ms"].items()
            ) and set(result["p95_ms"]) == set(base["p95_ms"])
    for result in results:
        del result["p95_ms"]
    candidate = next((r for r in results if r["contender"] == "LatencyReport"), None)
    document = {
        "benchmark": "P6 audit analytics: load + summary",
        "rows": args.rows,
        "file_mb": round(size_mb, 1),
        "target_speedup": 5.0,
        "met": bool(candidate and candidate.get("speedup_vs_baseline") and candidate["speedup_vs_baseline"] >= 5.0),
        "machine": _machine(),
        "results": results,
    }
    print(json.dumps(document, indent=2))
    print(f"\n{args.rows:,} audit records, {size_mb:,.0f} MB on disk")
    print(f"{'contender':<26} {'seconds':>9} {'peak RSS MB':>12} {'x baseline':>11} {'p95 agrees':>11}")
    for r in results:
        agrees = {True: "yes", False: "NO", None: "-"}[r.get("p95_agrees_with_baseline")]
        print(f"{r['contender']:<26} {r['seconds']:>9.2f} {r['peak_rss_mb']:>12,.0f} "
              f"{r['speedup_vs_baseline'] or 0:>11.2f} {agrees:>11}")
    print("baseline = pandas.read_json(lines=True) + groupby(action_name) count/mean/min/max/ok rate/"
          "p50/p90/p95/p99; target: LatencyReport >= 5x the baseline.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
