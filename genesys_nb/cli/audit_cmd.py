"""`genesys-nb audit runs|compact|prune|verify|migrate`: keep a long audit history small and sound.

- ``runs LOG``: one line per run (where it is stored, rows, errors, first and last record, actions).
- ``compact FOLDER``: NDJSON segments -> the Parquet archive (zstd, ``date=/run=`` Hive partitions),
  each segment removed only after its Parquet part reads back record for record; a run being written
  is left alone.
- ``prune FOLDER --older-than 90d``: remove runs whose last record is older (``--dry-run`` lists them).
- ``verify FOLDER``: unreadable lines, archive parts off the contract or unreadable.
- ``migrate FILE FOLDER``: split a single-file log into an audit folder (the file is left as it is).

Exit codes: 0 done (verify: nothing found), 1 verify found problems, 2 could not run (bad path or
argument).
"""
from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_COULD_NOT_RUN = 0, 1, 2
_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """``90d``, ``12h``, ``30m``, ``2w``, ``45s`` -> a timedelta."""
    match = _AGE_RE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not an age: write a number and a unit, e.g. 90d, 12h, 2w")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("audit", help="audit folder tools (runs, compact, prune, verify, migrate)",
                                   description="Audit folder tools: list runs, compact to Parquet, prune, "
                                               "verify, migrate a single-file log.")
    actions = parser.add_subparsers(dest="audit_command", metavar="ACTION")
    runs = actions.add_parser("runs", help="list the runs of an audit log with their counts and span")
    runs.add_argument("log", metavar="LOG", help="audit folder, NDJSON file or glob")
    runs.set_defaults(func=_runs)
    compact = actions.add_parser("compact", help="archive NDJSON segments as verified Parquet (zstd)")
    compact.add_argument("folder", metavar="FOLDER", help="audit folder")
    compact.add_argument("--min-age", type=parse_age, default=timedelta(0), metavar="AGE",
                         help="leave segments written to more recently than this (e.g. 1h)")
    compact.add_argument("--run-id", action="append", default=None, help="only this run (repeatable)")
    compact.set_defaults(func=_compact)
    prune = actions.add_parser("prune", help="remove runs whose last record is older than an age")
    prune.add_argument("folder", metavar="FOLDER", help="audit folder")
    prune.add_argument("--older-than", type=parse_age, required=True, metavar="AGE", help="e.g. 90d, 12h, 2w")
    prune.add_argument("--dry-run", action="store_true", help="list what would go, remove nothing")
    prune.set_defaults(func=_prune)
    verify = actions.add_parser("verify", help="check segments and archive parts")
    verify.add_argument("folder", metavar="FOLDER", help="audit folder")
    verify.set_defaults(func=_verify)
    migrate = actions.add_parser("migrate", help="split a single-file log into an audit folder")
    migrate.add_argument("source", metavar="FILE", help="the NDJSON audit file (left as it is)")
    migrate.add_argument("folder", metavar="FOLDER", help="the audit folder to create or fill")
    migrate.set_defaults(func=_migrate)
    parser.set_defaults(func=lambda args: (parser.print_help(), EXIT_COULD_NOT_RUN)[1])


def _folder(text: str) -> Path | None:
    path = Path(text).expanduser()
    if not path.is_dir():
        print(f"error: {path} is not an audit folder (a folder of <run_id>.ndjson segments; "
              f"`genesys-nb audit migrate FILE FOLDER` makes one from a single file)", file=sys.stderr)
        return None
    return path


def _runs(args: argparse.Namespace) -> int:
    from genesys_nb.audit.archive import runs

    try:
        table = runs(Path(args.log).expanduser())
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    if not len(table):
        print("no runs")
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    shown = Table(box=None, header_style="bold")
    for name in ("run_id", "stored", "rows", "errors", "first", "last", "actions"):
        shown.add_column(name, justify="right" if name in ("rows", "errors") else "left")
    for row in table.itertuples(index=False):
        stamp = [v.strftime("%Y-%m-%d %H:%M:%S") if v is not None else "-" for v in (row.first, row.last)]
        shown.add_row(str(row.run_id), row.stored, f"{row.rows:,}", f"{row.errors:,}", *stamp, str(row.actions or ""))
    Console(width=200).print(shown)
    return EXIT_OK


def _compact(args: argparse.Namespace) -> int:
    from genesys_nb.audit.archive import compact

    folder = _folder(args.folder)
    if folder is None:
        return EXIT_COULD_NOT_RUN
    result = compact(folder, min_age_s=args.min_age.total_seconds(), run_ids=args.run_id)
    ratio = f", {result.ndjson_bytes / result.parquet_bytes:.1f}x smaller" if result.parquet_bytes else ""
    print(f"compacted {len(result.compacted)} run(s), {result.records:,} records: "
          f"{result.ndjson_bytes:,} bytes of NDJSON -> {result.parquet_bytes:,} bytes of Parquet{ratio}")
    if result.skipped:
        print(f"left as NDJSON (being written, or newer than --min-age): {', '.join(result.skipped)}")
    return EXIT_OK


def _prune(args: argparse.Namespace) -> int:
    from genesys_nb.audit.archive import prune

    folder = _folder(args.folder)
    if folder is None:
        return EXIT_COULD_NOT_RUN
    gone = prune(folder, args.older_than, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {len(gone)} run(s){': ' + ', '.join(gone) if gone else ''}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from genesys_nb.audit.archive import verify

    folder = _folder(args.folder)
    if folder is None:
        return EXIT_COULD_NOT_RUN
    problems = verify(folder)
    for problem in problems:
        print(problem)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return EXIT_PROBLEMS if problems else EXIT_OK


def _migrate(args: argparse.Namespace) -> int:
    from genesys_nb.audit.archive import migrate

    source = Path(args.source).expanduser()
    if not source.is_file():
        print(f"error: {source} is not a file", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    try:
        counts = migrate(source, Path(args.folder).expanduser())
    except FileExistsError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    print(f"{sum(counts.values()):,} lines of {source} -> {len(counts)} run segment(s) in {args.folder}; "
          f"{source} is left as it was")
    return EXIT_OK
