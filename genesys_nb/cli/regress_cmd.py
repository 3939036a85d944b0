"""`genesys-nb regress ACTION --matrix FILE.csv`: a pre-publish gate comparing an action's draft with its published version.

Each matrix row goes to the draft's ``/draft/test`` and the action's ``/test`` (or, with
``--offline --response FILE``, both configs run through the action engine against that remote
answer; nothing is sent but the two reads of the configs). Exit codes: 0 no regression, 1 at least
one row fails the gate (``--fail-on``, default ``differs,errors``), 2 the comparison could not run
(bad arguments, no connection, unknown action, no draft).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from genesys_nb.api.names import resolve_action_id
from genesys_nb.cli.actions_cmd import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    CommandError,
    format_table,
    guarded,
    open_session,
)

_SHOWN_ROWS = 20


def _fail_on(text: str) -> tuple[str, ...]:
    from genesys_nb.run._regress_compare import parse_fail_on

    try:
        return parse_fail_on(text)
    except ValueError as err:
        raise CommandError(f"--fail-on: {err}") from None


def _print(frame: Any, gate: Any, fail_on: tuple[str, ...]) -> None:
    summary = frame.attrs
    print(f"{summary.get('mode')} comparison of draft v{summary.get('draft_version')} with published "
          f"v{summary.get('published_version')}: {summary.get('rows')} row(s), {summary.get('equal')} equal, "
          f"{summary.get('differs')} differ, {summary.get('error_changed')} error class changed, "
          f"{summary.get('unknown')} unknown")
    if summary.get("run_id"):
        print(f"run id: {summary['run_id']} (pass --run-id to resume it)")
    if len(gate):
        rows = [[row.row_id[:12], row.case or "-", row.verdict,
                 ", ".join(row.differences) or f"{row.published_error_class or 'ok'} -> {row.draft_error_class or 'ok'}"]
                for row in gate.head(_SHOWN_ROWS).itertuples()]
        print(format_table(["row", "case", "verdict", "what changed"], rows))
        if len(gate) > _SHOWN_ROWS:
            print(f"... and {len(gate) - _SHOWN_ROWS} more")
        print(f"REGRESSION: {len(gate)} row(s) fail --fail-on {','.join(fail_on)}")
    else:
        print(f"no regression (--fail-on {','.join(fail_on)})")


def _run(args: argparse.Namespace) -> int:
    from genesys_nb.cli.lab_cmd import _response
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.regress import DraftRegression

    fail_on = _fail_on(args.fail_on)
    if args.offline and not args.response:
        raise CommandError("--offline needs --response FILE: the remote endpoint's JSON answer both versions get")
    if args.response and not args.offline:
        raise CommandError("--response is for --offline; online, each version calls its own remote endpoint")
    if not Path(args.matrix).is_file():
        raise CommandError(f"--matrix: no file {args.matrix}; give a CSV with a header naming the input fields")
    remote = _response(args.response, args.status) if args.response else None
    with open_session(quiet=args.quiet) as session:
        action_id = resolve_action_id(session.client, args.action)  # UnknownActionError lists near names
        regression = DraftRegression(session, action_id, audit=args.audit, run_id=args.run_id,
                                     rate_per_minute=args.rate_per_minute)
        published, draft = regression.versions()
        matrix = ParameterMatrix.from_csv(args.matrix, action=published)
        if args.offline:
            frame = regression.offline(matrix, remote, published=published, draft=draft)
        else:
            frame = regression.run(matrix)
    gate = DraftRegression.regressions(frame, fail_on)
    _print(frame, gate, fail_on)
    if args.out:
        frame.to_csv(args.out, index=False)
        print(f"every row written to {args.out}")
    return EXIT_SOME_FAILED if len(gate) else EXIT_OK


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "regress", help="compare an action's draft with its published version over a matrix (a pre-publish gate)",
        description="Run every row of --matrix through the action's draft (/draft/test) and its published "
        "version (/test), or with --offline through both configs and one remote answer, and compare the outputs "
        "row by row. Exit 0 no regression, 1 regressions, 2 could not run.",
    )
    parser.add_argument("action", metavar="ACTION", help="the action id (custom_-_...) or exact name")
    parser.add_argument("--matrix", required=True, metavar="FILE.csv", help="input rows, a header naming the fields")
    parser.add_argument("--fail-on", default="differs,errors", metavar="LIST",
                        help="what fails the gate: differs, errors (error class changed), unknown "
                        "(default differs,errors)")
    parser.add_argument("--offline", action="store_true", help="compare the two configs through the engine")
    parser.add_argument("--response", metavar="FILE", help="with --offline: the remote endpoint's JSON answer")
    parser.add_argument("--status", type=int, default=200, help="the remote's HTTP status for --response")
    parser.add_argument("--audit", metavar="PATH", help="append intent and result records to this NDJSON file")
    parser.add_argument("--run-id", metavar="ID", help="resume this run from --audit (rows recorded are not re-sent)")
    parser.add_argument("--rate-per-minute", type=float, default=300.0, metavar="N",
                        help="requests per minute to stay under (default 300, the per-token limit)")
    parser.add_argument("--out", metavar="FILE.csv", help="write every compared row to this CSV")
    parser.add_argument("-q", "--quiet", action="store_true", help="no note when the emulator is used")
    parser.set_defaults(func=lambda args: guarded("regress", lambda: _run(args)))
