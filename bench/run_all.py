"""Run every benchmark script in bench/, then print one combined JSON document and a summary table.

Each script runs in its own subprocess (one at a time, so they never compete for the CPU) and
prints a JSON document followed by a readable table; this collects the documents, pulls out each
figure's ratio against its same-run baseline, its target and its verdict, and prints them together.

    python bench/run_all.py [--quick] [--only p1,p2,...] [--out results.json]

``--quick`` gives every script its short setting (a smoke run: the figures are noisier).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from _support import machine, table


@dataclass(frozen=True)
class Bench:
    key: str
    script: str
    title: str
    full_args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] = ("--quick",)


BENCHES: tuple[Bench, ...] = (
    Bench("p1", "bench_executor_overhead.py", "P1 per-call overhead (executor+audit vs httpx post)"),
    Bench("p2", "bench_runner_limits.py", "P2 runner at real limits (300/min, 50 in flight, 200 ms) vs allowed"),
    Bench("p3", "bench_runner_cpu.py", "P3 runner CPU per row (share of one core at 2,500 rows/min)"),
    Bench("p4", "bench_pacing.py", "P4 pacing vs the emulator's rate limit"),
    Bench("p5", "bench_validation.py", "P5 cached check_input vs compiled Draft4Validator.is_valid"),
    Bench("preview", "bench_preview.py", "matrix preview rows/s, widest real action (>= 20,000)"),
    Bench("p6", "bench_report.py", "P6 audit analytics (LatencyReport vs pandas)", (), ("--rows", "100000")),
    Bench("audit_load", "bench_audit_load.py", "audit loading (read_audit vs pandas)", (), ("--rows", "100000")),
    Bench("p7", "bench_runner_memory.py", "P7 runner peak RSS (two sizes)"),
    Bench("webhooks", "bench_webhooks.py", "webhook events/s, 20,000 per-row events (none in the outbox)"),
    Bench("action_files", "bench_action_files.py", "pull of 500 actions vs bare GETs (<= 5 ms per action)"),
)


def first_json_document(text: str) -> dict[str, Any]:
    """The first JSON object printed (each script prints its document before its table)."""
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON document in the output")
    value, _ = json.JSONDecoder().raw_decode(text[start:])
    if not isinstance(value, dict):
        raise ValueError("the first JSON value is not an object")  # noqa: TRY004 - one error type for callers
    return value


def headline(key: str, document: dict[str, Any]) -> tuple[Any, Any, Any, str]:
    """(figure, ratio, target, verdict) for the summary table."""
    if key == "p6":
        candidate: dict[str, Any] = next(
            (r for r in document.get("results", []) if r.get("contender") == "LatencyReport"), {})
        return (f"{candidate.get('seconds')} s, {candidate.get('peak_rss_mb')} MB peak",
                candidate.get("speedup_vs_baseline"), ">= 5x", "met" if document.get("met") else "MISSED")
    if key == "audit_load":
        best: dict[str, Any] = next((r for r in document.get("results", []) if r.get("loader") == "read_audit"), {})
        return f"read_audit {best.get('seconds')} s", best.get("speedup_vs_read_json"), "-", "info"
    if key == "p3":
        return (f"{document.get('us_per_row')} us/row", document.get("share_of_one_core_at_org_cap"),
                document.get("target"), str(document.get("verdict")))
    if key == "p7":
        return (f"{document.get('peak_rss_mb_at_large')} MB peak at {document.get('rows', [0, 0])[-1]:,} rows",
                document.get("peak_ratio_large_vs_small"), document.get("target"), str(document.get("verdict")))
    figure_keys = ("candidate_rows_per_s", "candidate_calls_per_s", "candidate_checks_per_s",
                   "achieved_per_platform_minute")
    figure = next((document[k] for k in figure_keys if k in document), None)
    return figure, document.get("ratio"), document.get("target"), str(document.get("verdict"))


def run_one(bench: Bench, quick: bool) -> dict[str, Any]:
    args = bench.quick_args if quick else bench.full_args
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(BENCH_DIR / bench.script), *args],
                          capture_output=True, text=True, check=False)
    elapsed = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}", "stderr_tail": done.stderr[-2000:], "elapsed_s": elapsed}
    try:
        document = first_json_document(done.stdout)
    except ValueError as err:
        return {"error": str(err), "stdout_tail": done.stdout[-2000:], "elapsed_s": elapsed}
    document["elapsed_s"] = elapsed
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs of every benchmark")
    parser.add_argument("--only", default="", help="comma-separated keys: " + ",".join(b.key for b in BENCHES))
    parser.add_argument("--out", type=Path, help="also write the combined JSON document here")
    args = parser.parse_args(argv)
    wanted = {key.strip() for key in args.only.split(",") if key.strip()}
    unknown = wanted - {b.key for b in BENCHES}
    if unknown:
        parser.error(f"unknown benchmark key(s) {', '.join(sorted(unknown))}; use {', '.join(b.key for b in BENCHES)}")

    results: dict[str, Any] = {}
    rows: list[list[Any]] = []
    for bench in BENCHES:
        if wanted and bench.key not in wanted:
            continue
        print(f"running {bench.script} ...", file=sys.stderr, flush=True)
        document = run_one(bench, args.quick)
        results[bench.key] = document
        if "error" in document:
            rows.append([bench.title, "error", None, None, document["error"]])
            continue
        figure, ratio, target, verdict = headline(bench.key, document)
        rows.append([bench.title, figure, ratio, target, verdict])

    combined = {"quick": args.quick, "machine": machine(), "results": results}
    text = json.dumps(combined, indent=2, default=str)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print()
    print(table(["benchmark", "figure", "ratio", "target", "verdict"], rows))
    return 1 if any(r[1] == "error" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
