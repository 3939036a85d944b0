"""`genesys-nb actions list|show|pull|diff|push|publish`: the org's data actions, and actions as files.

``list`` and ``show`` read the org. ``pull`` writes actions as export files, ``diff`` compares files,
folders and the org, ``push`` puts files into drafts, ``publish`` publishes a draft behind the
regression gate. Exit codes: 0 done (diff: no difference), 1 something differs or failed (diff: a
difference; push: a file refused, failed or an invalid draft; publish: the gate or the validation
said no), 2 could not run.

Also home of the small helpers the other commands share (``execute``, ``run``, ``demo``): opening
a session with errors turned into one clear line, and plain aligned tables.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.api.models import Action
    from genesys_nb.run.session import Session

EXIT_OK, EXIT_SOME_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2


class CommandError(Exception):
    """A problem to report in one line (exit code 2): it names the argument or cause and the fix."""


def fail(command: str, message: str) -> int:
    print(f"genesys-nb {command}: {message}", file=sys.stderr)
    return EXIT_COULD_NOT_RUN


def guarded(command: str, body: Callable[[], int]) -> int:
    """Run a command body; every expected failure becomes one line on stderr and exit code 2."""
    import httpx

    from genesys_nb.api.errors import GenesysNBError

    try:
        return body()
    except CommandError as err:
        return fail(command, str(err))
    except (GenesysNBError, ValueError, TypeError, OSError, httpx.HTTPError) as err:
        # Library errors carry their own fix hint; they never contain a secret or a token.
        return fail(command, str(err) or type(err).__name__)


@contextmanager
def open_session(*, quiet: bool = False, **emulator_kwargs: Any) -> Iterator[Session]:
    """``connect()``: the org in GENESYS_* variables (or .env), else the embedded emulator."""
    from genesys_nb.run.session import connect

    session = connect(quiet=quiet, **emulator_kwargs)
    try:
        yield session
    finally:
        session.close()


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[str] = (),
                 max_cell: int = 60) -> str:
    """An aligned plain-text table; ``right`` columns are right-aligned, long cells cut with an ellipsis."""
    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        text = text.replace("\n", " ")
        return text if len(text) <= max_cell else text[: max_cell - 1] + "\u2026"

    body = [[cell(value) for value in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if h in right else c.ljust(w) for c, w, h in zip(cells, widths, headers)).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in body)])


# ---- actions list -----------------------------------------------------------------------------------
def actions_table(actions: Sequence[Action]) -> str:
    ordered = sorted(actions, key=lambda a: ((a.category or "").lower(), (a.name or "").lower()))
    headers = ["id", "name", "category", "version", "secure"]
    rows: list[list[Any]] = [[a.id, a.name, a.category, a.version, "yes" if a.secure else "no"] for a in ordered]
    if any(a.timeout_seconds is not None for a in ordered):  # listings carry config only when asked for it
        headers.append("timeout_s")
        for row, action in zip(rows, ordered):
            row.append(action.timeout_seconds)
    return format_table(headers, rows, right=("version", "timeout_s"), max_cell=50)


def _list(args: argparse.Namespace) -> int:
    with open_session(quiet=args.quiet) as session:
        actions = session.client.list_actions(name=args.name, category=args.category, secure=args.secure)
    if not actions:
        filters = ", ".join(f"{k}={v!r}" for k, v in (("name", args.name), ("category", args.category),
                                                      ("secure", args.secure)) if v is not None)
        print(f"no actions{' match ' + filters if filters else ''}")
        return EXIT_OK
    print(actions_table(actions))
    print(f"\n{len(actions)} action(s)")
    return EXIT_OK


# ---- actions show -----------------------------------------------------------------------------------
def _constraints(prop: dict[str, Any]) -> str:
    parts: list[str] = []
    if "enum" in prop:
        parts.append("one of " + ", ".join(json.dumps(v) for v in prop["enum"]))
    for key, label in (("minLength", "min length"), ("maxLength", "max length"), ("minimum", "min"),
                       ("maximum", "max"), ("pattern", "pattern"), ("format", "format")):
        if key in prop:
            parts.append(f"{label} {prop[key]}")
    if "default" in prop:
        parts.append(f"default {json.dumps(prop['default'])}")
    return "; ".join(parts)


def _schema_rows(schema: dict[str, Any] | None, prefix: str = "") -> list[tuple[str, str, str, str, str]]:
    rows: list[tuple[str, str, str, str, str]] = []
    if not isinstance(schema, dict):
        return rows
    required = set(schema.get("required") or [])
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        kind = prop.get("type", "any")
        kind = "|".join(kind) if isinstance(kind, list) else str(kind)
        path = f"{prefix}{name}"
        rows.append((path, kind, "yes" if name in required else "", _constraints(prop),
                     str(prop.get("description", ""))))
        if kind == "object":
            rows.extend(_schema_rows(prop, f"{path}."))
        elif kind == "array" and isinstance(prop.get("items"), dict) and prop["items"].get("type") == "object":
            rows.extend(_schema_rows(prop["items"], f"{path}[]."))
    return rows


def describe_action(action: Action, out: TextIO) -> None:
    """Contract summary (input and output fields) and config summary of one action."""
    print(f"{action.name}  ({action.id})", file=out)
    details = [("category", action.category), ("version", action.version), ("integration", action.integration_id),
               ("secure", "yes (inputs and outputs are redacted in audit logs)" if action.secure else "no"),
               ("timeout", f"{action.timeout_seconds} s" if action.timeout_seconds else "platform default (60 s)")]
    for name, value in details:
        print(f"  {name + ':':<13}{'' if value is None else value}", file=out)
    headers = ("field", "type", "required", "constraints", "description")
    for title, schema in (("Input contract", action.input_schema), ("Output contract", action.success_schema)):
        rows = _schema_rows(schema)
        print(f"\n{title}", file=out)
        print(format_table(headers, rows) if rows else "  (no fields declared)", file=out)
    config = action.config or {}
    request = config.get("request") or {}
    response = config.get("response") or {}
    print("\nConfig", file=out)
    if not config:
        print("  (not included: the token may lack integrations:action:view, or the action has none)", file=out)
        return
    lines = [
        ("request", f"{request.get('requestType', '?')} {request.get('requestUrlTemplate', '?')}"),
        ("headers", ", ".join(sorted(request.get("headers") or {})) or "none"),
        ("body template", request.get("requestTemplate", "none")),
        ("translation", ", ".join(sorted(response.get("translationMap") or {})) or "none"),
        ("success", response.get("successTemplate", "none")),
    ]
    for name, value in lines:
        print(f"  {name + ':':<15}{str(value)[:100]}", file=out)


def _show(args: argparse.Namespace) -> int:
    with open_session(quiet=args.quiet) as session:
        from genesys_nb.api.names import resolve_action_id

        action = session.client.get_action(resolve_action_id(session.client, args.action_id))
    describe_action(action, sys.stdout)
    return EXIT_OK


# ---- actions as files -------------------------------------------------------------------------------
def _pull(args: argparse.Namespace) -> int:
    if not args.actions and not args.all and not args.category:
        raise CommandError("name the actions to pull, or pass --all (or --category C for one category)")
    if args.actions and (args.all or args.category):
        raise CommandError("give action names or --all/--category, not both")
    with open_session(quiet=args.quiet) as session:
        pulled = session.client.pull(args.actions or None, category=args.category, out_dir=args.out,
                                     draft=args.draft)
    for item in pulled:
        version = f"{'draft ' if args.draft else ''}v{item.version}" if item.version is not None else ""
        print(f"{item.path}  ({item.name}, {version})")
        if item.note:
            print(f"  note: {item.note}", file=sys.stderr)
    print(f"{len(pulled)} action(s) pulled into {args.out}")
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    with open_session(quiet=args.quiet) as session:
        result = session.client.diff(args.a, args.b, draft=args.draft)
    print(result.text())
    return EXIT_SOME_FAILED if result else EXIT_OK


def _push(args: argparse.Namespace) -> int:
    from genesys_nb.run.action_files import push

    with open_session(quiet=args.quiet) as session:
        results = push(session, args.files, create=args.create, integration=args.integration,
                       category=args.category)
    for result in results:
        print("\n".join(result.lines()))
    good = sum(result.ok for result in results)
    print(f"{good} of {len(results)} file(s) pushed to a valid draft")
    return EXIT_OK if good == len(results) else EXIT_SOME_FAILED


def _remote_answer(path: str, status: int) -> Any:
    from genesys_nb.engine.remote import RemoteResponse

    try:
        body = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise CommandError(f"--response: cannot read {path} ({err.strerror or err}); give a file holding the "
                           "remote endpoint's JSON answer") from None
    except json.JSONDecodeError as err:
        raise CommandError(f"--response: {path} is not valid JSON ({err.msg} at line {err.lineno} column "
                           f"{err.colno}); give the remote endpoint's JSON answer") from None
    return RemoteResponse(body=body, status=status)


def _publish(args: argparse.Namespace) -> int:
    from genesys_nb.run._regress_compare import parse_fail_on
    from genesys_nb.run.action_files import publish

    try:
        fail_on = parse_fail_on(args.fail_on)
    except ValueError as err:
        raise CommandError(f"--fail-on: {err}") from None
    if (args.offline or args.response) and not args.gate:
        raise CommandError("--offline and --response belong to the gate: add --gate MATRIX.csv")
    if args.offline != bool(args.response):
        raise CommandError("--offline needs --response FILE (the remote endpoint's JSON answer both versions "
                           "get), and --response needs --offline")
    if args.gate and not Path(args.gate).is_file():
        raise CommandError(f"--gate: no file {args.gate}; give a CSV with a header naming the input fields")
    remote = _remote_answer(args.response, args.status) if args.response else None
    with open_session(quiet=args.quiet) as session:
        result = publish(session, args.action, gate=args.gate, fail_on=fail_on, offline_response=remote,
                         rate_per_minute=args.rate_per_minute, audit=args.audit)
    if result.gate is not None:
        first = result.old_version is None
        verdicts = ("ok", "rejected", "error", "accepted") if first else ("equal", "differs", "error_changed",
                                                                         "unknown")
        counts = ", ".join(f"{result.gate.attrs.get(v, 0)} {v}" for v in verdicts)
        against = "alone (never published)" if first else f"against published v{result.old_version}"
        print(f"gate ({result.gate.attrs.get('mode')}): draft v{result.draft_version} {against} over "
              f"{len(result.gate)} row(s): {counts}")
        assert result.regressions is not None
        shown = [[row.row_id[:12], row.case or "-", row.verdict,
                  (row.draft_error or "accepted, but the row is meant to be refused") if first else
                  ", ".join(row.differences) or
                  f"{row.published_error_class or 'ok'} -> {row.draft_error_class or 'ok'}"]
                 for row in result.regressions.head(20).itertuples()]
        if shown:
            print(format_table(["row", "case", "verdict", "what changed"], shown))
    print(result.summary())
    return EXIT_OK if result.published else EXIT_SOME_FAILED


def _register_files(commands: Any) -> None:
    pull = commands.add_parser("pull", help="write actions as export files, one per action",
                               description="Write actions in the admin UI's export format, one file per action "
                               "(a stable name from the action's name, fixed key order), every page of actions.")
    pull.add_argument("actions", nargs="*", metavar="ACTION", help="action names or ids")
    pull.add_argument("--all", action="store_true", help="every action of the org")
    pull.add_argument("--category", help="every action of this category")
    pull.add_argument("--draft", action="store_true", help="pull the drafts instead of the published actions")
    pull.add_argument("-o", "--out", required=True, metavar="DIR", help="the folder to write the files into")
    diff = commands.add_parser("diff", help="compare actions: files, folders, or the org",
                               description="Compare two actions (files, folders of files, or actions of the org "
                               "by name or id): templates by line, maps and schemas as JSON paths. With one "
                               "operand, what the files change in the org's actions of the same names. Exit 0 "
                               "the same, 1 they differ, 2 could not run.")
    diff.add_argument("a", metavar="A", help="a file, a folder, or an action of the org")
    diff.add_argument("b", metavar="B", nargs="?", help="the same kinds (default: the org's actions of A's names)")
    diff.add_argument("--draft", action="store_true", help="the org's drafts instead of its published actions")
    push = commands.add_parser("push", help="put export files into the actions' drafts",
                               description="Check each file with the action engine (refusing what would not "
                               "parse), put its config and contract into the draft of the action of the same "
                               "name (made from the published action if none) and print the draft's validation.")
    push.add_argument("files", nargs="+", metavar="FILE", help="export files, or folders of them")
    push.add_argument("--create", action="store_true", help="a file whose action the org lacks becomes a new "
                      "action's draft")
    push.add_argument("--integration", metavar="NAME", help="with --create: the integration (name or id; default "
                      "the one of the file's integrationType)")
    push.add_argument("--category", help="with --create: the new action's category (default the integration's name)")
    publish = commands.add_parser("publish", help="publish an action's draft, behind a regression gate",
                                  description="Publish the draft of ACTION. With --gate, first compare the draft "
                                  "with the published version over the matrix (live through /draft/test, or "
                                  "--offline through the engine) and publish only when no row fails --fail-on. "
                                  "A never-published action's gate runs the draft alone: every row must come out "
                                  "as the matrix expects.")
    publish.add_argument("action", metavar="ACTION", help="the action id or exact name")
    publish.add_argument("--gate", metavar="MATRIX.csv", help="input rows, a header naming the fields")
    publish.add_argument("--fail-on", default="differs,errors", metavar="LIST",
                         help="what fails the gate: differs, errors, unknown (default differs,errors)")
    publish.add_argument("--offline", action="store_true", help="run the gate through the engine, nothing sent")
    publish.add_argument("--response", metavar="FILE", help="with --offline: the remote endpoint's JSON answer")
    publish.add_argument("--status", type=int, default=200, help="the remote's HTTP status for --response")
    publish.add_argument("--rate-per-minute", type=float, default=300.0, metavar="N",
                         help="gate requests per minute to stay under (default 300)")
    publish.add_argument("--audit", metavar="PATH", help="append the gate's records to this NDJSON file")
    for name, parser, body in (("pull", pull, _pull), ("diff", diff, _diff), ("push", push, _push),
                               ("publish", publish, _publish)):
        parser.add_argument("-q", "--quiet", action="store_true", help="no note when the emulator is used")
        parser.set_defaults(func=lambda args, name=name, body=body: guarded(f"actions {name}", lambda: body(args)))


# ---- wiring -----------------------------------------------------------------------------------------
def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "actions", help="list and show the org's data actions; pull, diff, push and publish them as files",
        description="List data actions (aligned table), show one action's input/output contract and config, "
        "or work from export files: pull, diff, push to a draft, publish behind a regression gate.",
    )
    commands = parser.add_subparsers(dest="actions_command", metavar="{list,show,pull,diff,push,publish}")
    listing = commands.add_parser("list", help="list data actions", description="List data actions.")
    listing.add_argument("--name", help="only actions whose name contains this text")
    listing.add_argument("--category", help="only actions in this category")
    listing.add_argument("--secure", action=argparse.BooleanOptionalAction, default=None,
                         help="only secure actions (--no-secure: only non-secure ones)")
    listing.add_argument("-q", "--quiet", action="store_true", help="no note when the emulator is used")
    listing.set_defaults(func=lambda args: guarded("actions list", lambda: _list(args)))
    show = commands.add_parser("show", help="show one action's contract and config",
                               description="Show one action's input/output contract and config summary.")
    show.add_argument("action_id", metavar="ACTION", help="the action id (custom_-_3f6c...) or its exact name")
    show.add_argument("-q", "--quiet", action="store_true", help="no note when the emulator is used")
    show.set_defaults(func=lambda args: guarded("actions show", lambda: _show(args)))
    _register_files(commands)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    return fail("actions", "choose a subcommand: 'actions list', 'actions show ID', or pull, diff, push, publish")
