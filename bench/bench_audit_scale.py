"""Benchmark: the audit at scale. Reports beside DuckDB's own query, run start into a big log, memory.

1. **Report vs DuckDB** over one NDJSON file of N rows (3 records a row: intent, result, webhook state;
   written by ``bench/_audit_data.py``): ``LatencyReport.from_audit(path).summary()`` against DuckDB's
   own ``read_json`` query computing the same per-action count, ok/error counts, mean, min,
   p50/p90/p95/p99, max, retries, retry wait and span. Fresh subprocesses, contenders alternating,
   median of ``--repeat``; time and peak RSS (``ru_maxrss``) of each process.
2. **Run start**: 10 rows run by ``MatrixRunner`` (emulator in its own process, loopback) into an audit
   folder already holding N rows of other runs, against a fresh folder; and, for reference, into a
   single NDJSON file of N rows (the layout before folders). Fresh subprocesses, alternating.
3. **Memory across runs**: three consecutive runs of ``--run-rows`` rows in one process into one
   audit folder; RSS after each.
4. **Report peak memory** at each size of ``--peak-rows`` (e.g. 1,000,000 and 3,000,000).

Bench files live in ``--dir`` (default /tmp/genesys-nb-bench-audit; generated once, reused).

    python bench/bench_audit_scale.py [--rows 1000000] [--repeat 3] [--peak-rows 1000000,3000000]
                                      [--run-rows 20000] [--only report,start,runs,peak] [--quick]
"""
from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _audit_data import write_file, write_folder
from _support import emulator_process, machine, parser, table

DUCKDB_QUERY = """
SELECT coalesce(action_name, action_id) AS action, count(*) AS count,
       count(*) FILTER (WHERE success) AS ok,
       count(*) FILTER (WHERE NOT success AND NOT coalesce(expected_invalid, false)) AS errors,
       avg(latency_ms) AS mean_ms, min(latency_ms) AS min_ms,
       quantile_cont(latency_ms, [0.5, 0.9, 0.95, 0.99]) AS pct, max(latency_ms) AS max_ms,
       sum(greatest(attempts - 1, 0)) AS retries, sum(retry_wait_ms) / 1000 AS retry_wait_s,
       epoch(max("timestamp")) - epoch(min("timestamp")) AS span_s,
       count(*) FILTER (WHERE status_code = 429 OR error_class = 'rate_limited') AS rate_limited
FROM read_json(?, format = 'newline_delimited', columns = {kind: 'VARCHAR', "timestamp": 'TIMESTAMPTZ',
     run_id: 'VARCHAR', action_id: 'VARCHAR', action_name: 'VARCHAR', success: 'BOOLEAN',
     status_code: 'BIGINT', error_class: 'VARCHAR', latency_ms: 'DOUBLE', total_ms: 'DOUBLE',
     attempts: 'BIGINT', retry_wait_ms: 'DOUBLE', expected_invalid: 'BOOLEAN'})
WHERE kind IS NULL GROUP BY 1 ORDER BY 1
"""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(argv: list[str]) -> None:
    mode = argv[0]
    began = time.perf_counter()
    out: dict[str, Any] = {"mode": mode}
    if mode == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(DUCKDB_QUERY, [argv[1]]).fetchall()
        out["p95"] = {row[0]: row[6][2] for row in rows}
    elif mode == "report":
        from genesys_nb.report.latency import LatencyReport

        summary = LatencyReport.from_audit(argv[1]).summary()
        out["p95"] = {str(k): float(v) for k, v in summary["p95_ms"].items()}
    elif mode == "start":
        from genesys_nb.api.settings import Settings
        from genesys_nb.run.matrix import ParameterMatrix
        from genesys_nb.run.runner import MatrixRunner

        url, client_id, secret, audit, action = argv[1:6]
        settings = Settings(client_id=client_id, client_secret=secret, api_base_url=url, login_base_url=url)
        matrix = ParameterMatrix.product(sequence=list(range(10))).with_fixed(message="C-1001")
        began = time.perf_counter()
        frame = MatrixRunner(settings, concurrency=4, rate_per_minute=None, audit=audit, progress=False).run(
            action, matrix)
        out["rows"] = len(frame)
    elif mode == "runs":
        import psutil

        from genesys_nb.api.settings import Settings
        from genesys_nb.run.matrix import ParameterMatrix
        from genesys_nb.run.runner import MatrixRunner

        url, client_id, secret, audit, action, rows = argv[1:7]
        settings = Settings(client_id=client_id, client_secret=secret, api_base_url=url, login_base_url=url)
        matrix = ParameterMatrix.product(sequence=list(range(int(rows)))).with_fixed(message="C-1001")
        runner = MatrixRunner(settings, concurrency=32, rate_per_minute=None, audit=audit, progress=False)
        after = []
        for _ in range(3):
            frame = runner.run(action, matrix)
            assert len(frame) == int(rows)
            del frame
            after.append(round(psutil.Process().memory_info().rss / 2**20, 1))
        out["rss_mb_after_each_run"] = after
    out["seconds"] = round(time.perf_counter() - began, 3)
    out["peak_rss_mb"] = round(_peak_mb(), 1)
    print(json.dumps(out))


def _run(*argv: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _median(results: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in results), 3)


def bench_report(path: Path, repeat: int) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {"duckdb": [], "report": []}
    for round_ in range(repeat):
        order = ("duckdb", "report") if round_ % 2 == 0 else ("report", "duckdb")
        for mode in order:
            results[mode].append(_run(mode, str(path)))
    duck, ours = results["duckdb"][0]["p95"], results["report"][0]["p95"]
    assert all(abs(duck[k] - ours[k]) < 1e-6 * max(1.0, duck[k]) for k in duck), (duck, ours)  # same figures
    fig = {mode: {"seconds": _median(r, "seconds"), "peak_rss_mb": _median(r, "peak_rss_mb"),
                  "runs": [(x["seconds"], x["peak_rss_mb"]) for x in r]} for mode, r in results.items()}
    fig["time_ratio"] = round(fig["report"]["seconds"] / fig["duckdb"]["seconds"], 2)
    fig["memory_ratio"] = round(fig["report"]["peak_rss_mb"] / fig["duckdb"]["peak_rss_mb"], 2)
    return fig


def bench_start(emulator: Any, work: Path, rows: int, repeat: int) -> dict[str, Any]:
    from genesys_nb.emulator import action_id_for

    big_folder = work / f"folder-{rows}"
    if not big_folder.exists():
        write_folder(big_folder, rows)
    single = work / f"single-{rows}.ndjson"
    if not single.exists():
        write_file(single, rows)
    action = action_id_for("Echo")
    results: dict[str, list[dict[str, Any]]] = {"fresh folder": [], f"folder of {rows:,} rows": [],
                                                f"single file of {rows:,} rows": []}
    for round_ in range(repeat):
        targets = [("fresh folder", work / f"fresh-{round_}"), (f"folder of {rows:,} rows", big_folder),
                   (f"single file of {rows:,} rows", single)]
        if round_ % 2:
            targets.reverse()
        for name, audit in targets:
            emulator.reset()
            results[name].append(_run("start", emulator.url, emulator.client_id, emulator.client_secret,
                                      str(audit), action))
    fig = {name: {"seconds": _median(r, "seconds"), "peak_rss_mb": _median(r, "peak_rss_mb")}
           for name, r in results.items()}
    fig["folder_time_ratio"] = round(fig[f"folder of {rows:,} rows"]["seconds"] / fig["fresh folder"]["seconds"], 2)
    fig["single_file_time_ratio"] = round(
        fig[f"single file of {rows:,} rows"]["seconds"] / fig["fresh folder"]["seconds"], 2)
    return fig


def bench_runs(emulator: Any, work: Path, rows: int) -> dict[str, Any]:
    from genesys_nb.emulator import action_id_for

    emulator.reset()
    result = _run("runs", emulator.url, emulator.client_id, emulator.client_secret, str(work / "runs-folder"),
                  action_id_for("Echo"), str(rows))
    after = result["rss_mb_after_each_run"]
    return {"rss_mb_after_each_run": after, "growth_mb_first_to_third": round(after[2] - after[0], 1),
            "peak_rss_mb": result["peak_rss_mb"]}


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
        return 0
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--rows", type=int, default=1_000_000)
    args_parser.add_argument("--repeat", type=int, default=3)
    args_parser.add_argument("--peak-rows", default="1000000,3000000")
    args_parser.add_argument("--run-rows", type=int, default=20_000)
    args_parser.add_argument("--only", default="report,start,runs,peak")
    args_parser.add_argument("--dir", type=Path, default=Path("/tmp/genesys-nb-bench-audit"))
    args = args_parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat, args.peak_rows, args.run_rows = 50_000, 1, "50000", 2_000
    only = set(args.only.split(","))
    work = args.dir
    work.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {"benchmark": "audit_scale", "rows": args.rows, "machine": machine()}
    if "report" in only:
        path = work / f"single-{args.rows}.ndjson"
        if not path.exists():
            write_file(path, args.rows)
        document["report_vs_duckdb"] = bench_report(path, args.repeat)
    if "start" in only or "runs" in only:
        with emulator_process(seed=0, rate_per_minute=10**9, max_in_flight=10**6) as emulator:
            if "start" in only:
                document["run_start"] = bench_start(emulator, work, args.rows, args.repeat)
            if "runs" in only:
                document["memory_across_runs"] = bench_runs(emulator, work, args.run_rows)
    if "peak" in only:
        peaks = {}
        for rows in [int(n) for n in args.peak_rows.split(",")]:
            path = work / f"single-{rows}.ndjson"
            if not path.exists():
                write_file(path, rows)
            peaks[f"{rows:,}"] = _run("report", str(path))["peak_rss_mb"]
        document["report_peak_rss_mb"] = peaks
    print(json.dumps(document, indent=2, default=str))
    rows_out = []
    if "report_vs_duckdb" in document:
        fig = document["report_vs_duckdb"]
        rows_out.append(["report vs DuckDB, time", f"{fig['duckdb']['seconds']} s", f"{fig['report']['seconds']} s",
                         f"{fig['time_ratio']}x"])
        rows_out.append(["report vs DuckDB, peak RSS", f"{fig['duckdb']['peak_rss_mb']} MB",
                         f"{fig['report']['peak_rss_mb']} MB", f"{fig['memory_ratio']}x"])
    if "run_start" in document:
        fig = document["run_start"]
        names = list(fig)[:3]
        rows_out.append([f"10 rows: {names[1]} vs {names[0]}", f"{fig[names[0]]['seconds']} s",
                         f"{fig[names[1]]['seconds']} s", f"{fig['folder_time_ratio']}x"])
        rows_out.append([f"10 rows: {names[2]} vs {names[0]}", f"{fig[names[0]]['seconds']} s",
                         f"{fig[names[2]]['seconds']} s", f"{fig['single_file_time_ratio']}x"])
    if "memory_across_runs" in document:
        fig = document["memory_across_runs"]
        rows_out.append(["3 runs in one process, RSS after each", "", str(fig["rss_mb_after_each_run"]),
                         f"+{fig['growth_mb_first_to_third']} MB"])
    if "report_peak_rss_mb" in document:
        for rows, mb in document["report_peak_rss_mb"].items():
            rows_out.append([f"report peak RSS at {rows} rows", "", f"{mb} MB", ""])
    print(table(["what", "baseline", "genesys_nb", "ratio"], rows_out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
