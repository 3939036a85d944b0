"""`genesys-nb actions list|show`: the org's data actions as an aligned table, one action's contract and config.

Also home of the small helpers the other commands share (``execute``, ``run``, ``demo``): opening
a session with errors turned into one clear line, and plain aligned tables.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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


# ---- wiring -----------------------------------------------------------------------------------------
def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "actions", help="list the org's data actions, or show one action's contract and config",
        description="List data actions (aligned table) or show one action's input/output contract and config.",
    )
    commands = parser.add_subparsers(dest="actions_command", metavar="{list,show}")
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
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    return fail("actions", "choose a subcommand: 'actions list' or 'actions show ID'")
