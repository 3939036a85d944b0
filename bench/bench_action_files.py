"""Benchmark: actions as files: pull of a large org against bare GETs, the formatter against json.dumps.

An emulator process serves ``--actions`` copies of the real exports (plus its sample actions) with
the rate limit lifted. Figures, rounds alternating:

* ``pull``: ``client.pull(out_dir=...)`` end to end: every page of the listing, the integrations,
  one GET per action with contract and config, the export built, formatted and written;
* ``bare GETs``: the same requests (listing pages, integrations, one GET per action) with httpx and
  one token, nothing parsed or written: the floor the org's API sets;
* ``format``: ``format_export`` over the 38 real exports against ``json.dumps(indent=2)`` of the same;
* ``diff``: ``client.diff(folder_a, folder_b)`` of two pulled folders (no request is sent).

Target: pull adds at most 5 ms per action on top of the bare requests. On a real org the per-token
limit (300 requests a minute) gives each request a 200 ms slot, so 5 ms is under 2.5% of it: the
org's limit, not the client, sets how long a pull takes (500 actions: at least 100 s).

    python bench/bench_action_files.py [--actions 500] [--repeat 3] [--quick]
"""
from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import emulator_process, machine, parser, table, verdict
from bench_validation import real_actions_dir

TARGET_OVERHEAD_MS = 5.0


def write_copies(folder: Path, count: int) -> None:
    """``count`` exports: the real ones renamed ``<name> #n`` round-robin (distinct names, same configs)."""
    exports = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(real_actions_dir().glob("*.json"))]
    for number in range(count):
        export = dict(exports[number % len(exports)])
        export["name"] = f"{export['name']} #{number:04d}"
        (folder / f"copy-{number:04d}.json").write_text(json.dumps(export), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--actions", type=int, default=500, help="actions in the emulated org")
    args_parser.add_argument("--repeat", type=int, default=3)
    args = args_parser.parse_args(argv)
    if args.quick:
        args.actions, args.repeat = 120, 2

    from genesys_nb.api.client import DataActionsClient
    from genesys_nb.api.export import format_export

    work = Path(tempfile.mkdtemp(prefix="bench-action-files-"))
    source = work / "source"
    source.mkdir()
    write_copies(source, args.actions)
    pull_rounds: list[float] = []
    bare_rounds: list[float] = []
    diff_rounds: list[float] = []
    try:
        with emulator_process(actions_dir=str(source), rate_per_minute=10_000_000, include_real_actions=False) \
                as emulator, DataActionsClient(emulator.settings()) as client:
            ids = [action.id for action in client.list_actions()]
            token = emulator.access_token()
            bare = httpx.Client(base_url=emulator.url, headers={"Authorization": f"Bearer {token}"})

            def run_pull(number: int) -> float:
                target = work / f"pulled-{number}"
                started = time.perf_counter()
                pulled = client.pull(out_dir=target)
                elapsed = time.perf_counter() - started
                if len(pulled) != len(ids):
                    raise RuntimeError(f"pulled {len(pulled)} of {len(ids)} actions")
                return elapsed

            def run_bare(_: int) -> float:
                started = time.perf_counter()
                for page_number in range(1, len(ids) // 100 + 2):  # the same listing pages pull reads
                    bare.get("/api/v2/integrations/actions",
                             params={"pageSize": "100", "pageNumber": str(page_number)}).raise_for_status()
                bare.get("/api/v2/integrations", params={"pageSize": "100"}).raise_for_status()
                for action_id in ids:
                    bare.get(f"/api/v2/integrations/actions/{action_id}",
                             params={"expand": "contract", "includeConfig": "true"}).raise_for_status()
                return time.perf_counter() - started

            for round_number in range(args.repeat):
                pair = [(bare_rounds, run_bare), (pull_rounds, run_pull)]
                for rounds, run in pair if round_number % 2 == 0 else reversed(pair):
                    rounds.append(run(round_number))
            for _ in range(args.repeat):
                started = time.perf_counter()
                changes = client.diff(work / "pulled-0", work / "pulled-1")
                diff_rounds.append(time.perf_counter() - started)
                if changes:
                    raise RuntimeError("two pulls of the same org differ")
            bare.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    exports = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(real_actions_dir().glob("*.json"))]
    loops = 20 if args.quick else 100
    format_rounds, dumps_rounds = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        for _ in range(loops):
            for export in exports:
                format_export(export)
        format_rounds.append(time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(loops):
            for export in exports:
                json.dumps(export, indent=2, ensure_ascii=False)
        dumps_rounds.append(time.perf_counter() - started)

    total = len(ids)
    pull_s, bare_s = statistics.median(pull_rounds), statistics.median(bare_rounds)
    ratio = pull_s / bare_s
    overhead_ms = (pull_s - bare_s) / total * 1000.0
    format_per_s = loops * len(exports) / statistics.median(format_rounds)
    dumps_per_s = loops * len(exports) / statistics.median(dumps_rounds)
    result: dict[str, Any] = {
        "benchmark": "action_files", "machine": machine(), "actions": total, "repeat": args.repeat,
        "pull_s": round(pull_s, 3), "bare_gets_s": round(bare_s, 3), "pull_actions_per_s": round(total / pull_s, 1),
        "pull_vs_bare_ratio": round(ratio, 2), "ratio": round(ratio, 2), "target": "<= 5 ms per action",
        "overhead_ms_per_action": round(overhead_ms, 2),
        "target_overhead_ms": TARGET_OVERHEAD_MS,
        "diff_two_folders_s": round(statistics.median(diff_rounds), 3),
        "format_exports_per_s": round(format_per_s), "json_dumps_per_s": round(dumps_per_s),
        "format_vs_dumps_ratio": round(dumps_per_s / format_per_s, 2),
        "verdict": verdict(overhead_ms, TARGET_OVERHEAD_MS, higher_is_better=False),
    }
    print(json.dumps(result, indent=2))
    print(table(["figure", "value"], [
        ("actions in the org", total),
        ("pull, every action to files (s)", result["pull_s"]),
        ("bare GETs of the same actions (s)", result["bare_gets_s"]),
        ("pull / bare GETs", f"{ratio:.2f}"),
        ("pull's own cost per action (ms)", f"{overhead_ms:.2f} (target <= {TARGET_OVERHEAD_MS}) {result['verdict']}"),
        ("pull, actions per second", result["pull_actions_per_s"]),
        ("diff of two pulled folders (s)", result["diff_two_folders_s"]),
        ("format_export, exports per second", result["format_exports_per_s"]),
        ("json.dumps(indent=2), exports per second", result["json_dumps_per_s"]),
    ]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
