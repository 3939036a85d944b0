"""`genesys-nb lab ACTION_OR_FILE`: an action's config run offline, step by step, or previewed over a matrix.

    genesys-nb lab export.json --input queueId=q1 --response answer.json [--json]
    genesys-nb lab "Get Customer By Phone" --input phoneNumber=+13175550123 --record
    genesys-nb lab export.json --matrix rows.csv --out preview.csv

ACTION_OR_FILE is an exported action JSON file, or the id or name of an action in the org (or the
embedded emulator when no credentials are set). Nothing is sent to the action's remote endpoint: its
answer comes from --response (or, with --record, from the org's own /test).

Exit codes: 0 every step succeeded (every row rendered), 1 a step failed (a row did not render),
2 it could not run (missing file, bad JSON, unknown action, bad --input).
"""
from __future__ import annotations

import argparse
import json
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.cli.actions_cmd import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    CommandError,
    format_table,
    guarded,
    open_session,
)

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.api.models import Action, TestExecutionResult

_CELL = 60


def _is_file_argument(value: str) -> bool:
    return value.lower().endswith(".json") or "/" in value or "\\" in value or Path(value).is_file()


def _load_file(value: str) -> Action:
    from genesys_nb.api.models import Action
    from genesys_nb.run.preview import load_export

    export = load_export(value)  # ValueError naming the file: missing, unreadable, not JSON
    try:
        if isinstance(export.get("id"), str) and export.get("id"):
            return Action.from_dict(export)
        return Action.from_export(export)
    except ValueError as err:
        raise CommandError(f"{value}: {err}") from None


def _find_in_org(client: Any, wanted: str) -> Action:
    from genesys_nb.api.names import UnknownActionError, resolve_action_id

    try:
        return client.get_action(resolve_action_id(client, wanted))
    except UnknownActionError as err:
        raise CommandError(f"{err} (and no export file of that name)") from None


def _unknown_input(name: str, action: Action) -> CommandError | None:
    """An error naming the closest input when ``name`` is not one of the contract's fields, else None."""
    import difflib

    from genesys_nb.run._cells import _flatten_names, _prop_at

    schema = action.input_schema
    known = _flatten_names(schema) if isinstance(schema, dict) else []
    if not known or _prop_at(schema, name) is not None:
        return None
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5) or difflib.get_close_matches(
        name.lower(), [k.lower() for k in known], n=1, cutoff=0.5)
    match = next((k for k in known if close and k.lower() == close[0].lower()), None)
    hint = f" Did you mean --input {match}=...?" if match else ""
    return CommandError(f"--input {name}: {action.name or action.id} has no input {name!r}.{hint} "
                        f"Its inputs: {', '.join(sorted(known))}")


def _inputs(pairs: list[str], action: Action) -> dict[str, Any]:
    from genesys_nb.run.matrix import MatrixError, _prop_at, coerce_cell, expand_dotted

    flat: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--input {pair!r}: write NAME=VALUE, e.g. --input queueId=q-1")
        unknown = _unknown_input(name.strip(), action)
        if unknown is not None:
            raise unknown
        prop = _prop_at(action.input_schema, name.strip()) if action.input_schema else None
        try:
            flat[name.strip()] = coerce_cell(text, prop)
        except ValueError as err:
            raise CommandError(f"--input {name.strip()}: {err}") from None
    try:
        return expand_dotted(flat)
    except MatrixError as err:
        raise CommandError(f"--input: {err}") from None


def _secrets(pairs: list[str] | None, flag: str) -> dict[str, str] | None:
    """--credential / --auth-response NAME=VALUE pairs; None when the flag was not given."""
    if not pairs:
        return None
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"{flag} {name.strip() or '?'}: write NAME=VALUE, e.g. {flag} API_Key=$API_KEY")
        found[name.strip()] = value
    return found


def _response(path: str, status: int) -> Any:
    from genesys_nb.engine.remote import RemoteResponse

    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as err:
        raise CommandError(f"--response: cannot read {source} ({err.strerror or err}); give a file holding "
                           "the remote endpoint's JSON answer") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as err:
        raise CommandError(f"--response: {source} is not valid JSON ({err.msg} at line {err.lineno} column "
                           f"{err.colno}); give the remote endpoint's JSON answer") from None
    return RemoteResponse(body=body, status=status)


_CREDENTIAL_WORDS = ("auth", "token", "secret", "key", "password", "cookie")


def _short(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _masked_headers(headers: Any) -> Any:
    """Header values whose names look like credentials, shown as ***."""
    if not isinstance(headers, dict):
        return headers
    return {name: "***" if any(word in str(name).lower() for word in _CREDENTIAL_WORDS) else value
            for name, value in headers.items()}


def steps_table(result: TestExecutionResult) -> str:
    """One line per step: number, name, ok/failed/not reached, the result (or the error) and its warnings."""
    rows = []
    for op in result.operations:
        shown = _masked_headers(op.result) if op.name == "Resolve request headers" else op.result
        detail = (op.error.message or op.error.code or "failed") if op.error is not None else _short(shown)
        count = len(op.warnings)
        rows.append([op.step, op.name, "ok" if op.success else "failed", detail,
                     f"{count} (listed below)" if count else ""])
    if not result.success:  # the steps after the failing one did not run: say so rather than leave them out
        from genesys_nb.engine.steps import STEP_NAMES

        done = {op.name for op in result.operations}
        rows.extend([number, name, "not reached", "", ""] for number, name in enumerate(STEP_NAMES, start=1)
                    if name not in done)
    return format_table(["step", "operation", "outcome", "result", "warnings"], rows, right=("step",),
                        max_cell=_CELL)


def _print_problems(action: Action, problems: list[Any]) -> None:
    """The config's defects, found without running it: printed before anything else."""
    if not problems:
        return
    print(f"Problems in the config of {action.name or action.id} ({len(problems)}):")
    for problem in problems:
        print(f"  {problem}")
    print()


def _print_steps(action: Action, result: TestExecutionResult, as_json: bool, problems: list[Any]) -> int:
    failed_code = EXIT_SOME_FAILED if problems or not result.success else EXIT_OK
    if as_json:
        print(json.dumps({"action": {"id": action.id, "name": action.name},
                          "problems": [{"where": p.where, "message": p.message} for p in problems],
                          **result.to_dict()}, indent=2, ensure_ascii=False, default=str))
        return failed_code
    print(f"{action.name}  (offline: the action's own templates and translation map)")
    print(steps_table(result))
    warnings = [(op.name, w) for op in result.operations for w in op.warnings]
    if warnings:
        print("\nwarnings:")
        for name, warning in warnings:
            print(f"  {name}: {warning}")
    if result.success:
        print("\noutput:")
        print(json.dumps(result.output, indent=2, ensure_ascii=False, default=str))
    else:
        failed = result.failed_operation
        message = result.error.message if result.error is not None else "failed"
        print(f"\nfailed at {failed.name if failed else '?'}: {message}")
    if problems and result.success:
        print(f"\nthe steps ran, but the config has {len(problems)} problem(s), listed at the top")
    return failed_code


def _preview(action: Action, args: argparse.Namespace) -> int:
    from genesys_nb.run.matrix import MatrixError, ParameterMatrix
    from genesys_nb.run.preview import preview

    path = Path(args.matrix)
    if not path.is_file():
        raise CommandError(f"--matrix: no such file {path}; give a CSV with a header naming the inputs")
    try:
        matrix = ParameterMatrix.from_csv(path, action=action)
    except MatrixError as err:
        raise CommandError(f"--matrix: {err}") from None
    frame = preview(action, matrix)
    failed = int(frame["error"].notna().sum())
    if args.out:
        frame.to_csv(args.out, index=False)
        note = f"; {failed} could not be rendered" if failed else ""
        print(f"wrote {len(frame)} row(s) to {args.out}{note}")
    elif args.json:
        print(frame.to_json(orient="records", indent=2, force_ascii=False))
    else:
        rows = [[r.row_id, r.method, r.url, r.body, r.warnings or r.error or ""] for r in frame.itertuples()]
        print(format_table(["row_id", "method", "url", "body", "warnings / error"], rows, max_cell=_CELL))
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from genesys_nb.engine.engine import ActionEngine
    from genesys_nb.engine.recording import EXECUTE_STEP

    if args.out and not args.matrix:
        raise CommandError("--out writes a matrix preview; give --matrix FILE.csv too")
    with ExitStack() as stack:
        client = None
        if _is_file_argument(args.action):
            action = _load_file(args.action)
        else:
            client = stack.enter_context(open_session(quiet=True)).client
            action = _find_in_org(client, args.action)
        engine = ActionEngine(action, credentials=_secrets(args.credential, "--credential"),
                              auth_response=_secrets(args.auth_response, "--auth-response"))
        problems = engine.problems()
        if not args.json:
            _print_problems(action, problems)  # first: a broken template is the news, whatever the inputs
        if args.matrix:
            return _preview(action, args)
        inputs = _inputs(args.input or [], action)
        remote: Any = _response(args.response, args.status) if args.response else None
        if args.record:
            if client is None:
                raise CommandError("--record needs an action of the org (an id or name), not a file")
            from genesys_nb.engine.remote import RemoteResponse

            live = client.test(action.id, inputs)
            step = next((op for op in live.operations if op.name == EXECUTE_STEP), None)
            if step is not None:
                remote = RemoteResponse(body=step.result) if step.success else RemoteResponse(
                    body=step.error.message if step.error else None,
                    status=step.error.status if step.error is not None and step.error.status else 500)
        result = engine.simulate(inputs, remote=remote if remote is not None else _no_response(client))
    return _print_steps(action, result, args.json, problems)


def _no_response(client: Any) -> Any:
    """The remote stand-in when no answer was given: the Execute request step says which flag gives one."""
    from genesys_nb.engine.remote import NoRemoteAnswer

    how = "--response FILE (the remote endpoint's JSON answer)" + (
        " or --record (take it from the org's /test)" if client is not None else "")

    def no_answer(_request: Any) -> Any:
        raise NoRemoteAnswer(f"no remote answer given: add {how}")

    return no_answer


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lab", help="run an action's templates and translation map offline, step by step (or over a matrix)",
        description="Evaluate an action's config offline: the rendered request, the translation map over a "
        "given remote answer, the output and its contract check, step by step like /test. With --matrix, "
        "write each row's rendered request instead. Exit 0 ok, 1 a step failed, 2 could not run.",
    )
    parser.add_argument("action", metavar="ACTION_OR_FILE",
                        help="an exported action JSON file, or an action id or name in the org/emulator")
    parser.add_argument("--input", action="append", metavar="NAME=VALUE",
                        help="one input field (repeat it); values are read as the contract's types")
    parser.add_argument("--credential", action="append", metavar="NAME=VALUE",
                        help="a field of the integration's credential, as ${credentials.NAME} (repeatable); "
                        "shown as ******** in every step")
    parser.add_argument("--auth-response", action="append", metavar="NAME=VALUE",
                        help="a field of the OAuth login's answer, as ${authResponse.NAME} (repeatable); "
                        "shown as ******** in every step")
    parser.add_argument("--response", metavar="FILE", help="the remote endpoint's JSON answer")
    parser.add_argument("--status", type=int, default=200, metavar="N",
                        help="the remote's HTTP status for --response (default 200)")
    parser.add_argument("--record", action="store_true",
                        help="take the remote's answer from the org's /test (an org action only)")
    parser.add_argument("--matrix", metavar="FILE.csv", help="preview every row of this CSV instead")
    parser.add_argument("--out", metavar="FILE.csv", help="with --matrix: write the preview here")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=lambda args: guarded("lab", lambda: _run(args)))
