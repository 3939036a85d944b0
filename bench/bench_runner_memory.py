"""Benchmark P7: peak RSS of a MatrixRunner run over 100,000 rows, and at a smaller size for comparison.

Each measurement is a fresh subprocess (so ``ru_maxrss`` is its own) that runs the zero-latency
Echo action over N rows against the emulator (its own process, loopback, limits out of the way),
at 32 in flight with pacing off and the audit log on disk. Two sizes (N small and N large) show
whether memory grows with rows. The baseline, in the same run, is the same subprocess doing
everything except the run: imports, connecting, building the N-row matrix.

RSS is also sampled (psutil, every 50 ms) while rows stream to the audit log, and reported at
25/50/75/100 % of the rows: that is the part that must stay flat; the peak also includes the
DataFrame returned at the end, whose size is proportional to the rows by nature.

Targets: peak RSS at 100,000 rows < 300 MB; and it does not grow with rows (large/small ratio of the
run's own increment over the baseline close to 1, reported).

    python bench/bench_runner_memory.py [--rows 100000] [--small-rows 20000] [--quick]
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import echo_action_id, emulator_process, machine, parser, table

LIMIT_MB = 300.0


def _child(mode: str, rows: int, url: str, client_id: str, client_secret: str, audit: str) -> None:
    """Runs inside the measured subprocess; prints one JSON line."""
    import threading
    import time

    import pandas  # noqa: F401 - the baseline loads every module the run uses
    import psutil
    import pyarrow  # noqa: F401

    from genesys_nb.api.settings import Settings
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.runner import MatrixRunner

    settings = Settings(client_id=client_id, client_secret=client_secret, api_base_url=url, login_base_url=url)
    matrix = ParameterMatrix.product(sequence=list(range(rows))).with_fixed(message="C-1001")
    len(matrix)  # rows materialised in both modes
    out: dict[str, Any] = {"mode": mode, "rows": rows}
    if mode == "run":
        # RSS sampled while the rows stream to the audit log (its size says how far the run is).
        process, audit_path = psutil.Process(), Path(audit)
        samples: list[tuple[int, float]] = []
        running = threading.Event()
        running.set()

        def sample() -> None:
            while running.is_set():
                size = audit_path.stat().st_size if audit_path.exists() else 0
                samples.append((size, process.memory_info().rss / 2**20))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        runner = MatrixRunner(settings, concurrency=32, rate_per_minute=None, audit=audit, progress=False)
        frame = runner.run(echo_action_id(), matrix)
        running.clear()
        sampler.join()
        summary = runner.last_summary
        assert summary is not None
        final_size = audit_path.stat().st_size
        during = {}
        for fraction in (0.25, 0.5, 0.75, 1.0):
            # the last sample taken before the log reached this fraction: RSS while rows stream
            before = [rss for size, rss in samples if size < fraction * final_size or fraction == 1.0 and size < final_size]
            during[str(fraction)] = round(max(before), 1) if before else None
        out.update(ok_rows=summary.ok_rows, frame_rows=len(frame), rows_per_s=round(summary.rows_per_s, 1),
                   rss_mb_while_streaming_by_fraction_of_rows=during)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(out))


def measure(mode: str, rows: int, emulator: Any, audit: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(rows), emulator.url, emulator.client_id,
         emulator.client_secret, str(audit)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"measurement {mode} {rows} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), *sys.argv[4:8])
        return 0
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--rows", type=int, default=100_000)
    args_parser.add_argument("--small-rows", type=int, default=20_000)
    args = args_parser.parse_args(argv)
    if args.quick:
        args.rows, args.small_rows = 20_000, 5_000

    results: list[dict[str, Any]] = []
    with emulator_process(seed=0, rate_per_minute=10**9, max_in_flight=10**6) as emulator, \
            tempfile.TemporaryDirectory(prefix="bench-p7-") as folder:
        for rows in (args.small_rows, args.rows):
            for mode in ("baseline", "run"):
                emulator.reset()
                results.append(measure(mode, rows, emulator, Path(folder) / f"p7-{mode}-{rows}.ndjson"))

    by = {(r["mode"], r["rows"]): r for r in results}
    small_inc = by[("run", args.small_rows)]["peak_rss_mb"] - by[("baseline", args.small_rows)]["peak_rss_mb"]
    large_inc = by[("run", args.rows)]["peak_rss_mb"] - by[("baseline", args.rows)]["peak_rss_mb"]
    large_peak = by[("run", args.rows)]["peak_rss_mb"]
    streaming = {rows: by[("run", rows)]["rss_mb_while_streaming_by_fraction_of_rows"]
                 for rows in (args.small_rows, args.rows)}
    stream_growth = (streaming[args.rows]["1.0"] or 0) / (streaming[args.rows]["0.25"] or 1)
    growth = large_inc / small_inc if small_inc > 0 else None
    peak_ratio = large_peak / by[("run", args.small_rows)]["peak_rss_mb"]
    for result in results:
        if result["mode"] == "run" and result["ok_rows"] != result["rows"]:
            raise RuntimeError(f"run of {result['rows']} rows finished {result['ok_rows']} ok")
    document = {
        "benchmark": "P7_runner_memory",
        "rows": [args.small_rows, args.rows],
        "baseline": "same subprocess without the run: imports + settings + N-row ParameterMatrix",
        "candidate": "MatrixRunner(concurrency=32, rate_per_minute=None).run over N rows, audit on disk, DataFrame returned",
        "measurements": results,
        "run_increment_mb": {"small": round(small_inc, 1), "large": round(large_inc, 1)},
        "increment_ratio_large_vs_small": None if growth is None else round(growth, 3),
        "peak_ratio_large_vs_small": round(peak_ratio, 3),
        "rows_ratio_large_vs_small": round(args.rows / args.small_rows, 1),
        "peak_rss_mb_at_large": round(large_peak, 1),
        "rss_mb_while_streaming": {str(k): v for k, v in streaming.items()},
        "streaming_rss_ratio_end_vs_quarter_at_large": round(stream_growth, 3),
        "target": f"peak < {LIMIT_MB:.0f} MB at {args.rows:,} rows; flat in rows",
        "verdict": "met" if large_peak < LIMIT_MB else "MISSED",
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not args.json_only:
        print()
        print(table(["measurement", "rows", "peak RSS MB"],
                    [[r["mode"], r["rows"], r["peak_rss_mb"]] for r in results]))
        for rows, fractions in streaming.items():
            shown = ", ".join(f"{float(f):.0%}: {v} MB" for f, v in fractions.items())
            print(f"RSS while {rows:,} rows stream to the audit log: {shown}")
        print(f"run's own increment: {small_inc:.1f} MB at {args.small_rows:,} rows, {large_inc:.1f} MB at "
              f"{args.rows:,} rows ({args.rows / args.small_rows:.0f}x the rows); peak {large_peak:.0f} MB "
              f"< {LIMIT_MB:.0f} MB: {document['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
