"""Reliability R5: a webhook receiver that hangs or is down never holds a run back; nothing is lost.

- A receiver that holds every request unanswered until the test lets go: the run still finishes
  (so no row waited on a delivery), every record says ``pending``, and once released each event
  arrives exactly once.
- A receiver that is down for the whole run (connection refused): the run completes at about the
  speed of the same run without webhooks, the outbox holds every row's event, and after the
  receiver comes up ``replay`` delivers each event exactly once, with the ``webhook-id`` the run
  gave it (derived from the run and row ids) and a Standard Webhooks signature that the
  ``standardwebhooks`` library verifies; a second replay sends nothing.
"""
from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from genesys_nb.audit.reader import read_audit
from genesys_nb.emulator import action_id_for
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner
from genesys_nb.run.webhook import (
    EVENT_ID_HEADER,
    SOURCE_HEADER,
    WebhookDispatcher,
    event_id_for,
    new_secret,
    replay,
    verify,
)

pytestmark = pytest.mark.slow

ECHO = action_id_for("Echo")
SECRET = "whsec_d2ViaG9vay1zaWduaW5nLXNlY3JldC1mb3ItdGVzdHM="  # base64 of a 32-byte key
ROWS = 300


class Receiver:
    """A local webhook endpoint recording every request; ``hold`` keeps requests unanswered until released."""

    def __init__(self, port: int = 0, *, hold: bool = False) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.arrived.set()
                receiver.release.wait(60)
                receiver.requests.append(({k: v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def echo_org(emulator_server: Any) -> Any:
    emulator_server.emulator.set_limits(rate_per_minute=10**7)
    return emulator_server


def free_port() -> int:
    """A loopback port nothing listens on (the receiver that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def matrix() -> ParameterMatrix:
    return ParameterMatrix.product(sequence=list(range(ROWS))).with_fixed(message="webhook")


def run(settings: Any, audit: Path, run_id: str, webhook: Any = None) -> MatrixRunner:
    runner = MatrixRunner(settings, concurrency=8, rate_per_minute=None, progress=False, audit=audit, webhook=webhook)
    runner.run(ECHO, matrix(), run_id=run_id)
    assert runner.last_summary is not None and runner.last_summary.ok_rows == ROWS
    return runner


def records(audit: Path, run_id: str) -> list[dict[str, Any]]:
    """The run's terminal records (one per row; intent and webhook-state records have a ``kind``)."""
    return [r for r in (json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines() if line.strip())
            if r["run_id"] == run_id and "kind" not in r]


@pytest.fixture()
def holding_receiver() -> Iterator[Receiver]:
    receiver = Receiver(hold=True)
    yield receiver
    receiver.close()


def test_no_row_waits_on_a_delivery(echo_org: Any, holding_receiver: Receiver, tmp_path: Path) -> None:
    audit = tmp_path / "audit.ndjson"
    hooks = WebhookDispatcher(holding_receiver.url, secret=SECRET, outbox=tmp_path / "outbox.ndjson",
                              timeout_s=60, max_retries=0)
    finished = threading.Event()

    def target() -> None:
        run(echo_org.settings(), audit, "held", webhook=hooks)
        finished.set()

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    # The receiver answers nothing until released; a run that waited on any delivery could not end.
    ended = finished.wait(120)
    holding_receiver.release.set()
    worker.join(30)
    assert ended, "the run did not finish while the receiver held its deliveries: rows waited on webhooks"
    assert holding_receiver.arrived.is_set()
    states = Counter(r["webhook"] for r in records(audit, "held"))
    assert states == Counter({"pending": ROWS}), states
    hooks.close()
    event_ids = Counter(headers[EVENT_ID_HEADER] for headers, _ in holding_receiver.requests)
    assert len(event_ids) == ROWS and set(event_ids.values()) == {1}
    assert set(event_ids) == {event_id_for("held", r["row_id"]) for r in records(audit, "held")}
    assert sorted(json.loads(body)["rowId"] for _, body in holding_receiver.requests) == sorted(
        r["row_id"] for r in records(audit, "held"))


def test_receiver_down_for_the_run_then_up_replay_delivers_each_event_once(echo_org: Any, tmp_path: Path) -> None:
    audit, outbox = tmp_path / "audit.ndjson", tmp_path / "outbox.ndjson"
    port = free_port()
    down_url = f"http://127.0.0.1:{port}/hooks"
    before = run(echo_org.settings(), audit, "no-webhook-before")
    hooks = WebhookDispatcher(down_url, secret=SECRET, outbox=outbox, timeout_s=2, max_retries=2, backoff_s=0.2)
    with_hooks = run(echo_org.settings(), audit, "receiver-down", webhook=hooks)
    hooks.close()
    after = run(echo_org.settings(), audit, "no-webhook-after")

    # Full speed: a generous bound on the ratio to the same run without webhooks, measured before and
    # after it (no absolute times). Waiting on deliveries would cost seconds per row, far beyond this.
    assert with_hooks.last_summary and before.last_summary and after.last_summary
    baseline_s = max(before.last_summary.elapsed_s, after.last_summary.elapsed_s)
    ratio = with_hooks.last_summary.elapsed_s / baseline_s
    assert ratio < 3.0, f"the run took {ratio:.1f}x as long with a receiver that is down"

    rows = records(audit, "receiver-down")
    settled = read_audit(audit, run_id="receiver-down")
    assert len(settled) == ROWS and set(settled["webhook"].astype(str)) == {"failed"}  # each one settled, not pending
    entries = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(entries) == ROWS and len({e["event_id"] for e in entries}) == ROWS
    assert {e["event_id"] for e in entries} == {event_id_for("receiver-down", r["row_id"]) for r in rows}
    assert sorted(e["row_id"] for e in entries) == sorted(r["row_id"] for r in rows)
    assert all(SECRET not in line for line in outbox.read_text(encoding="utf-8").splitlines())
    for entry in entries:
        payload = json.loads(entry["body"])
        assert set(payload) == {"actionId", "runId", "rowId", "success", "status", "result"}
        assert (payload["actionId"], payload["runId"], payload["success"]) == (ECHO, "receiver-down", True)
    assert hooks.counts["failed"] == ROWS and hooks.counts["delivered"] == 0

    # The receiver comes up on the same address; replay delivers every event once, signed.
    receiver = Receiver(port)
    try:
        report = replay(outbox, secret=SECRET, backoff_s=0.01)
        assert (report.total, report.delivered, report.remaining) == (ROWS, ROWS, 0), str(report)
        again = replay(outbox, secret=SECRET, backoff_s=0.01)
        assert again.total == 0 and again.delivered == 0
    finally:
        receiver.close()
    event_ids = Counter(headers[EVENT_ID_HEADER] for headers, _ in receiver.requests)
    assert set(event_ids) == {e["event_id"] for e in entries} and set(event_ids.values()) == {1}
    for headers, body in receiver.requests:
        assert headers[SOURCE_HEADER] == "genesys-nb"
        assert verify(body, headers, SECRET), "a replayed event's signature does not verify"
        assert Webhook(SECRET).verify(body, headers)["rowId"]  # the convention's own library agrees
        assert not verify(body, headers, new_secret())
    assert sorted(json.loads(body)["rowId"] for _, body in receiver.requests) == sorted(r["row_id"] for r in rows)
    assert outbox.read_text(encoding="utf-8").strip() == ""
