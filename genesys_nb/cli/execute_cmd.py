"""`genesys-nb execute ID --input JSON|@file`: run one data action (or test it with --dry-run) and print the outcome.

Exit codes: 0 the execution (or every test step) succeeded, 1 it failed (the error class, status,
message and fix are printed), 2 it could not run (bad arguments, no connection, unknown action).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from genesys_nb.api.names import resolve_action_id
from genesys_nb.cli.actions_cmd import EXIT_OK, EXIT_SOME_FAILED, CommandError, guarded, open_session

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.api.models import TestExecutionResult
    from genesys_nb.api.result import ExecutionResult

INPUT_EXAMPLE = "--input '{\"phoneNumber\": \"+13175550100\"}' or --input @inputs.json"


def parse_json_argument(value: str, *, option: str = "--input", example: str = INPUT_EXAMPLE) -> dict[str, Any]:
    """A JSON object given inline or as ``@path``; errors name the option and show the expected form."""
    source = "the value"
    text = value
    if value.startswith("@"):
        path = Path(value[1:])
        source = f"file {path}"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise CommandError(f"{option}: cannot read {path} ({err.strerror or err}); pass {example}") from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as err:
        raise CommandError(
            f"{option}: {source} is not valid JSON ({err.msg} at line {err.lineno} column {err.colno}); "
            f"pass {example}"
        ) from None
    if not isinstance(parsed, dict):
        raise CommandError(f"{option}: expected a JSON object of input fields, got {type(parsed).__name__}; "
                           f"pass {example}")
    return parsed


def check_timeout_ms(value: int) -> int:
    from genesys_nb.api.client import validate_timeout_ms

    try:
        return validate_timeout_ms(value)
    except ValueError:
        raise CommandError(f"--timeout-ms must be a whole number of milliseconds from 1 to 60000 (got {value}); "
                           "e.g. --timeout-ms 30000") from None


def print_result(result: ExecutionResult, out: TextIO) -> None:
    state = "ok" if result.ok else f"FAILED ({result.error_class})"
    print(f"result:      {state}", file=out)
    print(f"status:      {result.status_code if result.status_code is not None else '-'}", file=out)
    print(f"latency:     {result.latency_ms:.1f} ms (total {result.total_ms:.1f} ms, {result.attempts} attempt(s), "
          f"{result.retry_wait_ms:.0f} ms waiting to retry)", file=out)
    print(f"correlation: {result.correlation_id or '-'}", file=out)
    if not result.ok:
        print(f"error:       {result.error_message or '-'}", file=out)
        from genesys_nb.api.errors import fix_hint

        if result.error_class and "Fix:" not in (result.error_message or ""):
            print(f"fix:         {fix_hint(result.error_class, action_id=result.action_id, retry_after_s=result.retry_after_s)}",
                  file=out)
    if result.output is not None:
        print("output:", file=out)
        print(json.dumps(result.output, indent=2, ensure_ascii=False, default=str), file=out)


def print_test(test: TestExecutionResult, out: TextIO) -> None:
    for operation in test.operations:
        mark = "ok  " if operation.success else "FAIL"
        print(f"  [{mark}] step {operation.step if operation.step is not None else '?'}: {operation.name or ''}",
              file=out)
        if operation.error is not None:
            print(f"         {operation.error.message or operation.error.code or 'error'}", file=out)
    print(f"test:        {'ok' if test.success else 'FAILED'}", file=out)
    if test.error is not None and not test.success:
        print(f"error:       {test.error.message}", file=out)
    if test.final_result is not None:
        print("final result:", file=out)
        print(json.dumps(test.final_result, indent=2, ensure_ascii=False, default=str), file=out)


def _run(args: argparse.Namespace) -> int:
    from genesys_nb.run.orchestrator import ExecutionOrchestrator

    inputs = parse_json_argument(args.input)
    timeout_ms = check_timeout_ms(args.timeout_ms)
    with open_session(quiet=args.quiet) as session:
        args.action_id = resolve_action_id(session.client, args.action_id)  # a name works too
        if args.dry_run:
            print(f"dry run of {args.action_id} through /test (nothing is changed)")
            test = session.client.test(args.action_id, inputs, flatten=args.flatten)
            print_test(test, sys.stdout)
            return EXIT_OK if test.success else EXIT_SOME_FAILED
        with ExecutionOrchestrator(session, audit=args.audit) as pipeline:
            result = pipeline.execute(args.action_id, inputs, timeout_ms=timeout_ms, idempotent=args.idempotent,
                                      flatten=args.flatten)
    if result.error_class in ("not_found", "auth", "permission") and result.attempts == 0:
        # The action itself could not be reached: nothing ran, the command could not run.
        raise CommandError(result.error_message or result.error_class)
    print_result(result, sys.stdout)
    if args.audit:
        print(f"audit record appended to {args.audit}")
    return EXIT_OK if result.ok else EXIT_SOME_FAILED


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "execute", help="execute one data action (or test it with --dry-run)",
        description="Execute a data action once, with input validation and safe retries, and print the "
        "outcome. --dry-run uses the /test endpoint and prints each step. Exit 0 ok, 1 failed, 2 could not run.",
    )
    parser.add_argument("action_id", metavar="ACTION", help="the action id (custom_-_3f6c...) or its exact name")
    parser.add_argument("--input", required=True, metavar="JSON|@FILE",
                        help="the inputs as a JSON object, or @path to a file holding one")
    parser.add_argument("--timeout-ms", type=int, default=30000, metavar="N",
                        help="client deadline per attempt, 1..60000 ms (default 30000)")
    parser.add_argument("--flatten", action="store_true", help="ask for Architect's flattened output")
    parser.add_argument("--idempotent", action="store_true",
                        help="the action is safe to repeat: also retry what may have run (500, 502, 504, timeouts)")
    parser.add_argument("--dry-run", action="store_true", help="use /test: run each step, change nothing")
    parser.add_argument("--audit", metavar="PATH", help="append the audit record to this NDJSON file")
    parser.add_argument("-q", "--quiet", action="store_true", help="no note when the emulator is used")
    parser.set_defaults(func=lambda args: guarded("execute", lambda: _run(args)))
