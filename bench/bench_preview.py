"""Benchmark: matrix preview rows/s on one core, for the real action whose templates render the most.

Of the two widest real exports (``create-callback-extended-with-data.json``,
``update-data-table-row.json``) the one whose URL and body come out longest with every input filled
is used. The matrix varies one field over ``--rows`` distinct values, every other field fixed, so
each row renders every conditional of the template. Three figures, rounds alternating:

* ``preview``: ``preview(engine, matrix)`` end to end (matrix rows, ids, rendering, DataFrame);
* ``render only``: ``engine.render_request(params)`` over the same rows, already built;
* ``matrix only``: reading the matrix rows (ids hashed), nothing rendered.

Target: preview >= 20,000 rows/s. When it is missed (or with ``--profile``) the preview is run under
cProfile and the functions where the time goes are printed.

    python bench/bench_preview.py [--rows 20000] [--repeat 5] [--quick] [--profile]
"""
from __future__ import annotations

import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import machine, parser, table, verdict
from bench_validation import real_actions_dir, valid_value

TARGET_ROWS_PER_S = 20_000.0
CANDIDATES = ("create-callback-extended-with-data.json", "update-data-table-row.json")


def widest_rendering() -> tuple[str, dict[str, Any], dict[str, Any], int]:
    """(file name, export, full inputs, rendered characters) of the candidate that renders the most."""
    from genesys_nb.engine import ActionEngine

    best: tuple[str, dict[str, Any], dict[str, Any], int] | None = None
    for name in CANDIDATES:
        path = real_actions_dir() / name
        if not path.is_file():
            continue
        export = json.loads(path.read_text(encoding="utf-8"))
        schema = ((export.get("contract") or {}).get("input") or {}).get("inputSchema") or {}
        inputs = {field: valid_value(prop) for field, prop in (schema.get("properties") or {}).items()}
        request = ActionEngine.from_export(export).render_request(inputs)
        size = len(request.url) + len(request.body)
        if best is None or size > best[3]:
            best = (name, export, inputs, size)
    if best is None:
        raise FileNotFoundError(f"none of {', '.join(CANDIDATES)} found in {real_actions_dir()}")
    return best


def varied_field(inputs: dict[str, Any], export: dict[str, Any]) -> str:
    """A required string field to vary (every row then differs), else the first string field."""
    schema = export["contract"]["input"]["inputSchema"]
    strings = [f for f, v in inputs.items() if isinstance(v, str)]
    required = [f for f in schema.get("required") or [] if f in strings]
    return (required or strings)[0]


def timed(body: Any, rows: int) -> float:
    started = time.perf_counter()
    body()
    return rows / (time.perf_counter() - started)


def profile_text(body: Any, limit: int = 18) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    body()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--rows", type=int, default=20_000, help="matrix rows per round")
    args_parser.add_argument("--repeat", type=int, default=5)
    args_parser.add_argument("--profile", action="store_true", help="print where the preview's time goes")
    args = args_parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat = 4000, 3

    from genesys_nb.engine import ActionEngine
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.preview import matrix_rows, preview

    name, export, inputs, rendered_chars = widest_rendering()
    engine = ActionEngine.from_export(export)
    field = varied_field(inputs, export)
    fixed = {k: v for k, v in inputs.items() if k != field}
    values = [f"{inputs[field]}-{i}" for i in range(args.rows)]
    matrix = ParameterMatrix.product(**{field: values}).with_fixed(fixed)
    params = [p for _, p in matrix_rows(matrix)]
    frame = preview(engine, matrix)
    failed = int(frame["error"].notna().sum())
    if failed or len(frame) != args.rows:
        raise RuntimeError(f"{failed} of {len(frame)} rows did not render: {frame['error'].dropna().iloc[0]}")
    render = engine.render_request

    def whole() -> None:
        preview(engine, matrix)

    def render_only() -> None:
        for row in params:
            render(row)

    def rows_only() -> None:
        for _ in matrix_rows(matrix):
            pass

    rounds: dict[str, list[float]] = {"preview": [], "render only": [], "matrix only": []}
    bodies = {"preview": whole, "render only": render_only, "matrix only": rows_only}
    for round_number in range(args.repeat):
        order = list(bodies) if round_number % 2 == 0 else list(reversed(bodies))
        for key in order:
            rounds[key].append(timed(bodies[key], args.rows))
    rates = {key: statistics.median(values) for key, values in rounds.items()}
    cand = rates["preview"]
    ratio = cand / TARGET_ROWS_PER_S
    us = {key: 1e6 / rate for key, rate in rates.items()}
    document: dict[str, Any] = {
        "benchmark": "matrix_preview",
        "action": export.get("name"),
        "action_file": name,
        "input_properties": len(inputs),
        "rendered_chars_per_row": rendered_chars,
        "rows": args.rows,
        "candidate": "genesys_nb.run.preview.preview(engine, matrix) -> DataFrame",
        "candidate_rows_per_s": round(cand, 1),
        "us_per_row": round(us["preview"], 2),
        "render_only_rows_per_s": round(rates["render only"], 1),
        "render_only_us_per_row": round(us["render only"], 2),
        "matrix_only_rows_per_s": round(rates["matrix only"], 1),
        "matrix_only_us_per_row": round(us["matrix only"], 2),
        "ratio": round(ratio, 2),
        "target": f">= {TARGET_ROWS_PER_S:,.0f} rows/s (ratio = rows/s / target)",
        "verdict": verdict(ratio, 1.0),
        "rounds": {key: [round(v, 1) for v in values] for key, values in rounds.items()},
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not args.json_only:
        print()
        print(table(["stage", "rows/s", "us/row"], [
            ["preview (matrix + render + DataFrame)", cand, us["preview"]],
            ["render_request only", rates["render only"], us["render only"]],
            ["matrix rows only", rates["matrix only"], us["matrix only"]],
        ]))
        print(f"{export.get('name')!r} ({name}): {len(inputs)} inputs, {rendered_chars} characters rendered "
              f"per row; target >= {TARGET_ROWS_PER_S:,.0f} rows/s: {document['verdict']}")
    if args.profile or (document["verdict"] != "met" and not args.json_only):
        print("\nwhere the preview's time goes (cProfile, by own time):")
        print(profile_text(whole))
    return 0


if __name__ == "__main__":
    sys.exit(main())
