"""`genesys-nb demo`: the whole tool in one command: list actions, run matrices, audit, webhooks, report.

Without credentials it starts the embedded emulator with a compressed clock (a platform minute
lasts two real seconds, so the per-token rate limit is exercised yet the demo ends in well under
a minute) and with faults on (429s, 503s, 500s, dropped connections, slow answers), so retries
and every error class show up. It runs a few hundred rows over several sample actions (a lookup,
a flaky ERP, a slow credit bureau, a non-idempotent update, a secure PIN check, and contract
edge cases of a listing), appends every row to DIR/audit.ndjson, delivers signed webhooks to a
receiver it starts on 127.0.0.1, prints the latency and error summary, and writes
DIR/report.html.

With GENESYS_CLIENT_ID/GENESYS_CLIENT_SECRET set, it does the same against that org on the action
named by --action (required then), with cases derived from its input contract and no faults.

Exit codes: 0 the demo ran (on the emulator, failed rows are injected on purpose); against a
real org 1 when a row meant to succeed failed (expected-invalid contract cases are meant to be
refused); 2 it could not run.
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.cli.actions_cmd import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    CommandError,
    actions_table,
    guarded,
    open_session,
)
from genesys_nb.cli.run_cmd import unexpected_failures

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.api.models import Action
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.session import Session

TIME_SCALE = 30.0  # one platform minute = 2 real seconds
DEFAULT_ROWS = 300
MIN_EMULATOR_ROWS = 6  # one row per sample action at least
TIMEOUT_MS = 2000  # the demo's client deadline, so injected slow answers become timeouts quickly

# The global fault plan while the demo runs: a bit of everything the platform can do to a caller.
DEMO_FAULTS = {"rules": [
    {"type": "errors", "rates": {"429": 0.01, "503": 0.03, "500": 0.01}, "retry_after_s": 1},
    {"type": "reset", "rate": 0.01, "when": "after"},
]}
# The slow bureau also sometimes answers after the client's deadline (scaled: 3 real seconds).
SLOW_FAULTS = {"rules": [{"type": "slow", "delay_ms": 3000 * TIME_SCALE, "rate": 0.03}]}


class WebhookReceiver:
    """A local webhook endpoint (http.server on 127.0.0.1:0) that counts events and checks signatures."""

    def __init__(self, secret: str) -> None:
        from genesys_nb.run.webhook import verify

        self.received = 0
        self.verified = 0
        self.rows: set[str] = set()
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                good = verify(body, dict(self.headers.items()), secret)
                try:
                    row_id = json.loads(body).get("rowId")
                except ValueError:
                    row_id = None
                with lock:
                    receiver.received += 1
                    receiver.verified += int(good)
                    if row_id:
                        receiver.rows.add(str(row_id))
                self.send_response(204 if good else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # keep the terminal for the demo's own output
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/genesys-nb/events"
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-webhook-receiver",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---- the rows ---------------------------------------------------------------------------------------
def _records(count: int, make: Callable[[int], dict[str, Any]]) -> list[dict[str, Any]]:
    return [make(i) for i in range(count)]


def emulator_plan(session: Session, rows: int, seed: int) -> list[tuple[Action, ParameterMatrix, bool]]:
    """(action, matrix, idempotent) for each sample action the demo runs; ``rows`` split between them."""
    from genesys_nb.emulator import action_id_for
    from genesys_nb.run.matrix import ParameterMatrix

    rng = random.Random(seed)
    client = session.client
    orders = client.get_action(action_id_for("List Customer Orders"))
    edge_cases = ParameterMatrix.from_schema(orders)  # valid and expected-invalid cases of its contract
    share = max(1, (rows - min(len(edge_cases), rows // 6)) // 5)
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"

    def phone(i: int) -> dict[str, Any]:  # every tenth number is unknown to the CRM (a remote 404)
        return {"phoneNumber": "+1317555" + ("0000" if i % 10 == 9 else f"{rng.randrange(1, 9999):04d}")}

    def sku(i: int) -> dict[str, Any]:
        code = "".join(rng.choice(letters) for _ in range(3)) + f"-{rng.randrange(10000):04d}"
        return {"sku": code, "warehouse": rng.choice(["east", "west", "central"])}

    def credit(i: int) -> dict[str, Any]:
        return {"customerId": f"C-{rng.randrange(10**6):06d}", "bureau": rng.choice(["experian", "equifax",
                                                                                       "transunion"])}

    def update(i: int) -> dict[str, Any]:
        return {"recordId": f"R-{10000 + i}", "tier": rng.choice(["bronze", "silver", "gold", "platinum"]),
                "creditLimit": rng.randrange(0, 100001, 500), "marketingOptIn": rng.random() < 0.5}

    def pin(i: int) -> dict[str, Any]:
        return {"customerId": f"C-{rng.randrange(10**6):06d}", "pin": f"{rng.randrange(10**6):06d}"}

    def order_rows(i: int) -> dict[str, Any]:
        return {"customerId": f"C-{rng.randrange(10**6):06d}", "maxResults": rng.randrange(1, 21)}

    plan: list[tuple[str, list[dict[str, Any]] | ParameterMatrix, bool]] = [
        ("Get Customer By Phone", _records(share, phone), True),
        ("Check Inventory Availability", _records(share, sku), True),
        ("Get Credit Score", _records(share, credit), True),
        ("Update Customer Record", _records(share, update), False),
        ("Verify Customer PIN", _records(share, pin), True),
    ]
    remaining = max(0, rows - 5 * share)
    cases = list(edge_cases)[:remaining]
    extra = _records(max(0, remaining - len(cases)), order_rows)
    matrices: list[tuple[Action, ParameterMatrix, bool]] = []
    for name, records, idempotent in plan:
        action = orders if name == orders.name else client.get_action(action_id_for(name))
        matrices.append((action, ParameterMatrix.from_records(records), idempotent))  # type: ignore[arg-type]
    if cases or extra:
        from genesys_nb.run.matrix import MatrixRow

        combined = [*cases, *(MatrixRow(row.row_id, row.params) for row in ParameterMatrix.from_records(extra))]
        matrices.append((orders, _RowList(combined), True))  # type: ignore[arg-type]
    return matrices


class _RowList:
    """Rows that already carry their ids and expected-invalid marks (a slice of derived cases)."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def __iter__(self) -> Any:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def real_org_plan(session: Session, action_id: str, rows: int) -> list[tuple[Action, Any, bool]]:
    """The action's derived cases (valid and expected-invalid), repeated up to ``rows``."""
    from genesys_nb.run.matrix import ParameterMatrix

    action = session.client.get_action(action_id)
    cases = list(ParameterMatrix.from_schema(action))
    records = [cases[i % len(cases)] for i in range(rows)] if cases else []
    matrix = ParameterMatrix.from_records([case.params for case in records])
    marked = [type(row)(row.row_id, row.params, case.expected_invalid, case.case)
              for row, case in zip(matrix, records)]
    return [(action, _RowList(marked), False)]


# ---- the demo ---------------------------------------------------------------------------------------
def _run(args: argparse.Namespace) -> int:
    from genesys_nb.api.settings import Settings

    if args.rows < 1:
        raise CommandError(f"--rows must be at least 1 (got {args.rows}); e.g. --rows 300")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CommandError(f"--out {out}: cannot create the folder ({err.strerror or err})") from None
    real_org = Settings.has_credentials_in_env(".env")
    if real_org and not args.action:
        raise CommandError("credentials for a real org are set (GENESYS_CLIENT_ID/GENESYS_CLIENT_SECRET): name the "
                           "action to run with --action ID ('genesys-nb actions list' shows them), or unset them "
                           "to run the demo on the embedded emulator")
    if not real_org and args.rows < MIN_EMULATOR_ROWS:
        raise CommandError(f"--rows must be at least {MIN_EMULATOR_ROWS} on the emulator (one per sample action; "
                           f"got {args.rows}); e.g. --rows 300")
    if not real_org and args.action:
        print("note: --action is used with a real org only; the emulator demo runs its sample actions",
              file=sys.stderr)
    audit_path = out / "audit.ndjson"
    html_path = out / "report.html"
    for stale in (audit_path, html_path, out / "webhook-outbox.ndjson"):  # each demo starts afresh
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    emulator_kwargs: dict[str, Any] = {} if real_org else {"seed": args.seed, "time_scale": TIME_SCALE}
    with open_session(quiet=True, **emulator_kwargs) as session:
        where = "your org" if real_org else f"the embedded emulator at {session.settings.api_url}"
        print(f"genesys-nb demo on {where}")
        if not real_org:
            print(f"  clock compressed {TIME_SCALE:g}x (a platform minute lasts {60 / TIME_SCALE:g} s), "
                  "faults on: 429/500/503, dropped connections, slow answers")
        print()
        print(actions_table(session.client.list_actions()))
        print()
        if real_org:
            plan = real_org_plan(session, args.action, args.rows)
            print(f"note: this executes {plan[0][0].name!r} {args.rows} times for real (derived contract cases)")
        else:
            plan = emulator_plan(session, args.rows, args.seed)
            assert session.emulator is not None
            session.emulator.set_faults(None, DEMO_FAULTS)
            credit = next(action for action, _, _ in plan if action.name == "Get Credit Score")
            session.emulator.set_faults(credit.id, SLOW_FAULTS)
        summaries, unexpected = _run_plan(session, plan, audit_path, progress=not args.no_progress)
    return _report(summaries, unexpected, audit_path, html_path, started, real_org)


class _CompressedClockFilter(logging.Filter):
    """On the compressed clock the demo's 2 s deadline stands for a minute: the short-timeout advice
    the executor logs for a real org would only be noise here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("timeout_ms=%d is shorter")


def _run_plan(session: Session, plan: list[tuple[Action, Any, bool]], audit_path: Path, *,
              progress: bool) -> tuple[list[Any], int]:
    from genesys_nb.api.retry import RetryPolicy
    from genesys_nb.run.runner import MatrixRunner
    from genesys_nb.run.webhook import WebhookDispatcher, new_secret

    secret = new_secret()  # whsec_<base64>: the form any Standard Webhooks receiver library takes
    receiver = WebhookReceiver(secret)
    summaries = []
    unexpected = [0]  # failed rows that were meant to succeed
    quiet_timeouts = _CompressedClockFilter()
    if session.emulator is not None:
        logging.getLogger("genesys_nb").addFilter(quiet_timeouts)
    try:
        outbox = audit_path.with_name("webhook-outbox.ndjson")
        with WebhookDispatcher(receiver.url, secret=secret, outbox=outbox, backoff_s=0.05) as hooks:
            for action, matrix, idempotent in plan:
                runner = MatrixRunner(session, concurrency=16, rate_per_minute=300, audit=audit_path,
                                      webhook=hooks, retry=RetryPolicy(max_retry_after_s=5), progress=progress)
                timeout_ms = TIMEOUT_MS if session.emulator is not None else 30000
                frame = runner.run(action.id, matrix, timeout_ms=timeout_ms, idempotent=idempotent)
                assert runner.last_summary is not None
                summaries.append(runner.last_summary)
                unexpected[0] += unexpected_failures(frame)
                print(f"  {runner.last_summary}", flush=True)
        queued = len(outbox.read_text(encoding="utf-8").splitlines()) if outbox.exists() else 0
        print(f"\nwebhooks: {receiver.received} delivered to {receiver.url} ({receiver.verified} signatures "
              f"verified), {queued} in the outbox {outbox if queued else ''}".rstrip())
    finally:
        receiver.close()
        logging.getLogger("genesys_nb").removeFilter(quiet_timeouts)
    return summaries, unexpected[0]


def _report(summaries: list[Any], unexpected: int, audit_path: Path, html_path: Path, started: float,
            real_org: bool) -> int:
    from genesys_nb.cli.report_cmd import print_summary
    from genesys_nb.report.latency import LatencyReport

    report = LatencyReport.from_audit(audit_path)
    print()
    print_summary(report)
    path = report.to_html(html_path, title="genesys-nb demo: latency and errors")
    from genesys_nb.audit.outcomes import OutcomeCounts

    rows = sum(summary.finished_rows for summary in summaries)
    counts = sum((summary.outcomes for summary in summaries), OutcomeCounts())
    limited = sum(summary.rate_limited for summary in summaries)
    print(f"\n{rows} rows in {time.perf_counter() - started:.1f} s · {counts.text()} · {limited} x 429 answered")
    print(f"audit log:   {audit_path}")
    print(f"HTML report: {path}")
    print(f"next: genesys-nb report {audit_path} --by action_name --by error_class")
    return EXIT_SOME_FAILED if real_org and unexpected else EXIT_OK


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="the whole tool in one command (embedded emulator unless credentials are set)",
        description="List actions, run a few hundred rows over sample actions with faults on, audit every "
        "row, deliver webhooks to a local receiver, print the latency and error summary and write an HTML "
        "report. With GENESYS_CLIENT_ID/GENESYS_CLIENT_SECRET set, runs --action on that org instead.",
    )
    parser.add_argument("--out", default="demo-out", metavar="DIR",
                        help="folder for audit.ndjson and report.html (default demo-out)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, metavar="N",
                        help=f"rows to run in total (default {DEFAULT_ROWS})")
    parser.add_argument("--action", metavar="ID", help="with a real org: the action to run (required there)")
    parser.add_argument("--seed", type=int, default=7, help="seed for the emulator and the generated inputs")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(func=lambda args: guarded("demo", lambda: _run(args)))
