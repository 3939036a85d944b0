"""`genesys-nb run ID --matrix file.csv | --product k=v1,v2 ...`: run an action over a parameter matrix.

Paced under the per-token rate, bounded concurrency, every row recorded in the audit log, a
latency and error summary at the end. Exit codes: 0 every row succeeded; 1 some rows failed (rows
marked expected-invalid are meant to fail and do not count) or the run was stopped early; 2 the
run could not start (bad arguments, no connection, unknown action). Ctrl-C stops cleanly; the
command prints how to resume.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.cli.actions_cmd import EXIT_OK, EXIT_SOME_FAILED, CommandError, guarded, open_session
from genesys_nb.cli.execute_cmd import check_timeout_ms

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from genesys_nb.api.models import Action
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.runner import RunSummary

DEFAULT_AUDIT = "genesys-nb-audit"  # a folder: one segment per run (see genesys_nb.audit.segments)
LEGACY_DEFAULT_AUDIT = "genesys-nb-audit.ndjson"  # the default before folders, still used when it is there


def parse_assignment(text: str, option: str, *, many: bool) -> tuple[str, list[str]]:
    """``name=value`` (``name=v1,v2`` when ``many``) -> (name, values); errors name the option."""
    example = f"{option} priority=1,2,3" if many else f"{option} queueId=abc"
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise CommandError(f"{option} {text!r}: expected NAME=VALUE{'S' if many else ''}, e.g. {example}")
    values = value.split(",") if many else [value]
    if many and any(v == "" for v in values):
        raise CommandError(f"{option} {text!r}: empty value in the list; e.g. {example}")
    return name, values


def parse_rate(text: str) -> float | None:
    if text.strip().lower() in ("off", "none", "0"):
        return None
    try:
        rate = float(text)
    except ValueError:
        raise CommandError(f"--rate must be requests per minute (e.g. --rate 300) or 'off' (got {text!r})") from None
    if not 0 < rate < float("inf"):
        raise CommandError(f"--rate must be a number > 0 (got {text!r}); use --rate off for no pacing")
    return rate


def build_matrix(args: argparse.Namespace, action: Action) -> ParameterMatrix:
    """The matrix from --matrix or --product, with --fixed, every cell coerced to the contract's types."""
    from genesys_nb.run.matrix import MatrixError, ParameterMatrix

    try:
        if args.matrix:
            path = Path(args.matrix)
            if not path.is_file():
                raise CommandError(f"--matrix: no file {path}; pass a CSV file with a header row of input names")
            matrix = ParameterMatrix.from_csv(path, action=action, encoding=args.encoding,
                                              unknown_columns=args.unknown_columns)
        else:
            axes: dict[str, list[str]] = {}
            for item in args.product:
                name, values = parse_assignment(item, "--product", many=True)
                if name in axes:
                    raise CommandError(f"--product {name} is given twice; list every value once: "
                                       f"--product {name}=a,b,c")
                axes[name] = values
            matrix = ParameterMatrix.product(**axes).coerce(action)
        if args.fixed:
            fixed: dict[str, str] = {}
            for item in args.fixed:
                name, values = parse_assignment(item, "--fixed", many=False)
                fixed[name] = values[0]
            coerced = ParameterMatrix.from_records([fixed]).coerce(action)
            matrix = matrix.with_fixed(next(iter(coerced)).params)
    except MatrixError as err:
        option = "--matrix" if args.matrix else "--product/--fixed"
        raise CommandError(f"{option}: {err}") from None
    if len(matrix) == 0:
        raise CommandError("the matrix has no rows; give --product NAME=V1,V2 or a CSV with data rows")
    return matrix


def unexpected_failures(frame: pd.DataFrame) -> int:
    """Rows that failed although they were meant to succeed (expected-invalid cases are meant to fail)."""
    if not len(frame):
        return 0
    return int((~frame["ok"].astype(bool) & ~frame["expected_invalid"].astype(bool)).sum())


def print_run_report(summary: RunSummary, audit_path: Path) -> None:
    """The run line, then the latency and error tables of this run read back from the audit log."""
    from genesys_nb.cli.report_cmd import print_summary
    from genesys_nb.report.latency import LatencyReport

    print(f"\n{summary}")
    if summary.finished_rows:
        print()
        print_summary(LatencyReport.from_audit(audit_path, run_id=summary.run_id))
    print(f"\naudit log: {audit_path}  (genesys-nb report {audit_path} --run-id {summary.run_id})")


def _run(args: argparse.Namespace) -> int:
    from genesys_nb.api.retry import RetryPolicy
    from genesys_nb.run.runner import MatrixRunner

    if bool(args.matrix) == bool(args.product):
        raise CommandError("give the rows with either --matrix FILE.csv or --product NAME=V1,V2 (not both)")
    if args.resume and args.run_id and args.resume != args.run_id:
        raise CommandError("--resume RUN_ID already names the run; drop --run-id (or make them equal)")
    if args.rerun_unknown and not args.resume:
        raise CommandError("--rerun-unknown goes with --resume RUN_ID: it re-sends the rows that run left unknown")
    timeout_ms = check_timeout_ms(args.timeout_ms)
    rate = parse_rate(args.rate)
    if args.concurrency < 1:
        raise CommandError(f"--concurrency must be at least 1 (got {args.concurrency}); the platform allows 50")
    if args.concurrency > 50:
        print(f"--concurrency {args.concurrency} is above the platform's 50 executions in flight: using 50",
              file=sys.stderr)
    audit_path = Path(args.audit)
    if args.audit == DEFAULT_AUDIT and not audit_path.exists() and Path(LEGACY_DEFAULT_AUDIT).is_file():
        audit_path = Path(LEGACY_DEFAULT_AUDIT)  # an existing single-file log keeps being used
        print(f"audit: {audit_path} (one file for every run; `genesys-nb audit migrate {audit_path} "
              f"{DEFAULT_AUDIT}` makes it a folder, where a run reads only its own records)", file=sys.stderr)
    run_id = args.resume or args.run_id
    with open_session(quiet=args.quiet) as session:
        from genesys_nb.api.names import resolve_action_id

        action = session.client.get_action(resolve_action_id(session.client, args.action_id))  # a name works too
        matrix = build_matrix(args, action)
        used = getattr(matrix, "csv_delimiter", None)
        if used is not None and used != ",":
            from genesys_nb.run.matrix import delimiter_name

            print(f"read {args.matrix} with the {delimiter_name(used)} as delimiter", file=sys.stderr)
        runner = MatrixRunner(session, concurrency=min(args.concurrency, 50), rate_per_minute=rate,
                              audit=audit_path, webhook=args.webhook, retry=RetryPolicy(),
                              progress=not args.no_progress)
        print(f"running {action.name} ({action.id}) over {len(matrix)} rows: concurrency {runner.concurrency}, "
              f"pace {'off' if rate is None else f'{rate:g}/min'}, audit {audit_path}", file=sys.stderr)
        try:
            frame = runner.run(action.id, matrix, timeout_ms=timeout_ms, idempotent=args.idempotent,
                               run_id=run_id, resume=bool(args.resume), rerun_unknown=args.rerun_unknown)
        except KeyboardInterrupt:
            done_run = runner.last_run_id or run_id
            print(f"\ninterrupted: finished rows are in {audit_path}; continue with "
                  f"--resume {done_run} --audit {audit_path}", file=sys.stderr)
            raise
    summary = runner.last_summary
    assert summary is not None
    print_run_report(summary, audit_path)
    return EXIT_OK if unexpected_failures(frame) == 0 and not summary.stopped else EXIT_SOME_FAILED


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run", help="run an action over a parameter matrix (paced, audited, resumable)",
        description="Run a data action over every row of a matrix (a CSV file, or the product of "
        "--product axes), paced under the per-token rate, every row in the audit log. "
        "Exit 0 all rows ok, 1 some rows failed, 2 could not run.",
    )
    parser.add_argument("action_id", metavar="ACTION", help="the action id (custom_-_3f6c...) or its exact name")
    parser.add_argument("--matrix", metavar="FILE.csv", help="rows from a CSV file with a header of input names")
    parser.add_argument("--encoding", default="utf-8-sig", metavar="NAME",
                        help="the CSV file's encoding (default UTF-8; e.g. cp1252 for files saved by Excel)")
    parser.add_argument("--unknown-columns", choices=("refuse", "pass"), default="refuse",
                        help="a CSV column that is no input of the action: refuse it (default, with the closest "
                             "input suggested) or send it anyway")
    parser.add_argument("--product", action="append", default=[], metavar="NAME=V1,V2",
                        help="an axis; every combination of the axes is a row (repeatable)")
    parser.add_argument("--fixed", action="append", default=[], metavar="NAME=VALUE",
                        help="a value for every row (repeatable)")
    parser.add_argument("--concurrency", type=int, default=8, metavar="N", help="rows in flight, max 50 (default 8)")
    parser.add_argument("--rate", default="300", metavar="N",
                        help="requests per minute per token, or 'off' (default 300, the platform limit)")
    parser.add_argument("--timeout-ms", type=int, default=30000, metavar="N",
                        help="client deadline per attempt, 1..60000 ms (default 30000)")
    parser.add_argument("--idempotent", action="store_true",
                        help="the action is safe to repeat: also retry what may have run (500, 502, 504, "
                             "timeouts) and re-send rows of unknown outcome on --resume")
    parser.add_argument("--audit", default=DEFAULT_AUDIT, metavar="PATH",
                        help=f"audit folder (one segment per run) or NDJSON file (default {DEFAULT_AUDIT}, "
                             f"or {LEGACY_DEFAULT_AUDIT} when that file exists)")
    parser.add_argument("--webhook", metavar="URL", help="POST each row's completion here (outbox beside the audit)")
    parser.add_argument("--run-id", metavar="ID", help="name this run (default: generated)")
    parser.add_argument("--resume", metavar="RUN_ID", help="continue this run: only rows without a record run")
    parser.add_argument("--rerun-unknown", action="store_true",
                        help="with --resume: also send again the rows that were sent and never recorded (their "
                             "outcome is unknown; by default they are listed, not re-sent)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("-q", "--quiet", action="store_true", help="no note when the emulator is used")
    parser.set_defaults(func=lambda args: guarded("run", lambda: _run(args)))
