"""Webhooks over a real loopback receiver: payload, signature, retries, outbox, breaker, replay, CLI."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from genesys_nb.api.models import Action, FieldError
from genesys_nb.api.result import ExecutionResult
from genesys_nb.run.webhook import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookDispatcher,
    build_row_payload,
    replay,
    sign,
    verify,
)

SECRET = "whsec-test-6f1d2c0e9b"
REPO_ROOT = Path(__file__).resolve().parents[1]


class Receiver:
    """An HTTP receiver on 127.0.0.1 that records every request and answers from a status script."""

    def __init__(self, port: int = 0, statuses: list[int] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses or [])
        self.fail_event_ids: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items()}
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    if headers.get(EVENT_ID_HEADER) in receiver.fail_event_ids:
                        status = 500
                    if status < 300:
                        receiver.requests.append((headers, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/genesys"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _result(ok: bool = True, **changes: Any) -> ExecutionResult:
    values: dict[str, Any] = {
        "action_id": "custom_-_a1", "ok": ok, "output": {"count": 2} if ok else None,
        "status_code": 200 if ok else 429, "error_class": None if ok else "rate_limited",
        "latency_ms": 10.0, "total_ms": 10.0, "timestamp": datetime(2026, 3, 1, tzinfo=timezone.utc),
    }
    values.update(changes)
    return ExecutionResult(**values)


def _dispatcher(url: str, tmp_path: Path, **kwargs: Any) -> WebhookDispatcher:
    options: dict[str, Any] = {"secret": SECRET, "outbox": tmp_path / "outbox.ndjson", "backoff_s": 0.0,
                               "timeout_s": 2.0}
    options.update(kwargs)
    return WebhookDispatcher(url, **options)


def _outbox(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "outbox.ndjson"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def test_delivers_signed_payload(receiver: Receiver, tmp_path: Path) -> None:
    states: list[tuple[str | None, str]] = []
    with _dispatcher(receiver.url, tmp_path, on_state=lambda row, state: states.append((row, state))) as hooks:
        state = hooks.deliver(_result(), run_id="run-1", row_id="row-1")
    assert state == "delivered" and states == [("row-1", "delivered")]
    [(headers, body)] = receiver.requests
    payload = json.loads(body)
    assert set(payload) == {"actionId", "runId", "rowId", "success", "result"}
    assert payload["actionId"] == "custom_-_a1" and payload["rowId"] == "row-1" and payload["success"] is True
    assert payload["result"]["output"] == {"count": 2}
    assert headers["X-Source"] == "genesys-nb"
    assert headers[SIGNATURE_HEADER].startswith("sha256=")
    assert verify(body, headers, SECRET)
    assert not verify(body + b" ", headers, SECRET)
    assert not verify(body, headers, "another-secret")
    assert not _outbox(tmp_path)


def test_unsigned_without_secret(receiver: Receiver, tmp_path: Path) -> None:
    with _dispatcher(receiver.url, tmp_path, secret=None) as hooks:
        assert hooks.deliver(_result(), run_id="r", row_id="1") == "delivered"
    headers = receiver.requests[0][0]
    assert SIGNATURE_HEADER not in headers and TIMESTAMP_HEADER not in headers
    assert not verify(receiver.requests[0][1], headers, SECRET)


def test_verify_checks_timestamp_age_and_header_names() -> None:
    body = b'{"a":1}'
    now = 1_700_000_000
    headers = {SIGNATURE_HEADER.lower(): sign(body, SECRET, now), TIMESTAMP_HEADER.upper(): str(now)}
    assert verify(body, headers, SECRET, now=now + 10)
    assert not verify(body, headers, SECRET, now=now + 301)
    assert verify(body, headers, SECRET, now=now + 10_000, tolerance_s=float("inf"))
    assert not verify(body, {SIGNATURE_HEADER: sign(body, SECRET, now)}, SECRET, now=now)
    assert not verify(body, {**headers, TIMESTAMP_HEADER.upper(): "soon"}, SECRET, now=now)


def test_retries_server_errors_then_delivers(tmp_path: Path) -> None:
    server = Receiver(statuses=[503, 502, 200])
    try:
        with _dispatcher(server.url, tmp_path) as hooks:
            ticket = hooks.submit(_result(), run_id="r", row_id="1")
            assert ticket is not None
            assert ticket.wait(30) == "delivered"
        assert ticket.attempts == 3 and len(server.requests) == 1
    finally:
        server.close()


def test_client_error_is_not_retried_and_goes_to_outbox(tmp_path: Path) -> None:
    server = Receiver(statuses=[400, 200])
    try:
        with _dispatcher(server.url + "?token=abc123query", tmp_path) as hooks:
            ticket = hooks.submit(_result(), run_id="r", row_id="1")
            assert ticket is not None and ticket.wait(30) == "failed"
            assert "abc123query" not in repr(hooks) + hooks.url
        assert ticket.attempts == 1 and server.statuses == [200]
        [entry] = _outbox(tmp_path)
        assert entry["row_id"] == "1" and entry["last_status"] == 400 and entry["last_error"] == "HTTP 400"
        assert entry["url"] == server.url  # no query string saved
        text = (tmp_path / "outbox.ndjson").read_text()
        assert SECRET not in text and "abc123query" not in text and "sha256=" not in text
        assert json.loads(entry["body"])["rowId"] == "1"
    finally:
        server.close()


def test_secure_action_output_and_input_values_stay_out_of_the_body() -> None:
    action = Action(id="custom_-_sec", name="Secure", secure=True)
    result = _result(ok=False, output={"token": "t"}, error_class="validation",
                     errors=[FieldError("$.motDePasse", "too long", "maxLength", value="hunter2-pw")])
    payload = build_row_payload(result, run_id="r", row_id="1", action=action)
    text = json.dumps(payload)
    assert "hunter2-pw" not in text
    quoted = _result(ok=False, error_class="bad_request", error_message="Field 'pin': '98765' does not match")
    masked = build_row_payload(quoted, run_id="r", row_id="1", action=action, params={"pin": "98765"})
    assert masked["result"]["error_message"] == "Field 'pin': '<redacted>' does not match"
    assert payload["result"]["output"] == "<redacted>"
    assert payload["result"]["errors"][0]["path"] == "$.motDePasse"
    plain = build_row_payload(_result(output={"authorization": "Bearer abc", "n": 1}), run_id="r", row_id="1")
    assert plain["result"]["output"] == {"authorization": "<redacted>", "n": 1}


def test_receiver_down_then_up_outbox_and_exactly_once_replay(tmp_path: Path) -> None:
    server = Receiver()
    port, url = server.port, server.url
    server.close()  # down for the whole run: connection refused
    with _dispatcher(url, tmp_path, breaker_threshold=2, breaker_cooldown_s=3600, max_retries=2) as hooks:
        tickets = [hooks.submit(_result(), run_id="run-9", row_id=f"row-{n}") for n in range(40)]
        states = [t.wait(60) for t in tickets if t is not None]
    assert states == ["failed"] * 40
    # the breaker keeps a dead receiver from costing every row its retries
    assert sum(t.attempts for t in tickets if t is not None) <= 2 * 2 * 3
    entries = _outbox(tmp_path)
    assert sorted(e["row_id"] for e in entries) == sorted(f"row-{n}" for n in range(40))

    server = Receiver(port=port)  # back up
    try:
        report = replay(tmp_path / "outbox.ndjson", secret=SECRET, backoff_s=0.0)
        assert (report.total, report.delivered, report.failed) == (40, 40, 0)
        assert _outbox(tmp_path) == []
        again = replay(tmp_path / "outbox.ndjson", secret=SECRET, backoff_s=0.0)
        assert again.total == 0
        event_ids = [h[EVENT_ID_HEADER] for h, _ in server.requests]
        assert len(event_ids) == 40 and len(set(event_ids)) == 40
        assert sorted(json.loads(b)["rowId"] for _, b in server.requests) == sorted(e["row_id"] for e in entries)
        assert all(verify(body, headers, SECRET) for headers, body in server.requests)
    finally:
        server.close()


def test_replay_keeps_what_still_fails_and_unreadable_lines(receiver: Receiver, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.ndjson"
    with _dispatcher("http://127.0.0.1:9/hooks", tmp_path, max_retries=0) as hooks:
        for n in range(3):
            hooks.submit(_result(), run_id="r", row_id=str(n))
    with open(outbox, "ab") as handle:
        handle.write(b"not json\n")
    entries = [orjson.loads(x) for x in outbox.read_bytes().splitlines()[:3]]
    receiver.fail_event_ids.add(entries[1]["event_id"])
    report = replay(outbox, url=receiver.url, secret=SECRET, backoff_s=0.0, max_retries=1)
    assert (report.total, report.delivered, report.failed, report.unreadable) == (3, 2, 1, 1)
    lines = outbox.read_bytes().splitlines()
    assert lines[1] == b"not json"
    kept = orjson.loads(lines[0])
    assert kept["event_id"] == entries[1]["event_id"] and kept["last_status"] == 500
    assert kept["attempts"] == entries[1]["attempts"] + 2
    receiver.fail_event_ids.clear()
    assert replay(outbox, url=receiver.url, backoff_s=0.0).delivered == 1
    assert sorted(json.loads(b)["rowId"] for _, b in receiver.requests) == ["0", "1", "2"]


def test_replay_missing_outbox_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.ndjson"):
        replay(tmp_path / "nope.ndjson")


def test_run_mode_sends_one_summary(receiver: Receiver, tmp_path: Path) -> None:
    with _dispatcher(receiver.url, tmp_path, mode="run") as hooks:
        for n in range(5):
            assert hooks.deliver(_result(ok=n != 2), run_id="run-7", row_id=str(n)) == "none"
        assert receiver.requests == []
    [payload] = receiver.bodies()
    assert payload["runId"] == "run-7" and payload["rowId"] is None and payload["success"] is False
    assert payload["result"]["rows"] == 5 and payload["result"]["failed"] == 1
    assert payload["result"]["errorClasses"] == {"rate_limited": 1}


def test_async_delivery_does_not_block_the_loop(receiver: Receiver, tmp_path: Path) -> None:
    async def main() -> list[str]:
        async with _dispatcher(receiver.url, tmp_path, workers=4) as hooks:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0)

            task = asyncio.create_task(ticker())
            states = await asyncio.gather(*(hooks.deliver_async(_result(), run_id="r", row_id=str(n))
                                            for n in range(30)))
            task.cancel()
            assert ticks > 0  # the loop kept running while workers posted
            return list(states)

    assert asyncio.run(main()) == ["delivered"] * 30
    assert len(receiver.requests) == 30


def test_close_drains_the_queue(receiver: Receiver, tmp_path: Path) -> None:
    hooks = _dispatcher(receiver.url, tmp_path, workers=1)
    tickets = [hooks.submit(_result(), run_id="r", row_id=str(n)) for n in range(25)]
    hooks.close()
    assert [t.state for t in tickets if t is not None] == ["delivered"] * 25
    assert hooks.counts["delivered"] == 25 and hooks.counts["pending"] == 0
    late = hooks.submit(_result(), run_id="r", row_id="late")
    assert late is not None and late.state == "failed"  # after close: straight to the outbox
    assert [e["row_id"] for e in _outbox(tmp_path)] == ["late"]


def test_mock_transport_timeouts_are_retried(tmp_path: Path) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(204)

    with _dispatcher("https://hooks.example.com/x", tmp_path, transport=httpx.MockTransport(handler)) as hooks:
        assert hooks.deliver(_result(), run_id="r", row_id="1") == "delivered"
    assert len(calls) == 3


def test_no_outbox_keeps_failures_in_memory(tmp_path: Path) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(410))
    with WebhookDispatcher("https://hooks.example.com/x", transport=transport) as hooks:
        assert hooks.deliver(_result(), run_id="r", row_id="1") == "failed"
    assert [e["row_id"] for e in hooks.unsaved] == ["1"]
    assert "hooks.example.com" in repr(hooks) and SECRET not in repr(hooks)


@pytest.mark.parametrize(("url", "kwargs", "message"), [
    ("ftp://x/y", {}, "http"), ("https://x/y", {"mode": "batch"}, "mode"),
    ("https://x/y", {"timeout_s": 0}, "timeout_s"),
])
def test_bad_arguments(url: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WebhookDispatcher(url, **kwargs)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "genesys_nb", "webhook", "replay", *args],
                          check=False, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
                          env={**os.environ, **(env or {})})


def test_cli_replay_end_to_end(tmp_path: Path) -> None:
    with _dispatcher("http://127.0.0.1:9/hooks", tmp_path, max_retries=0) as hooks:
        for n in range(2):
            hooks.submit(_result(), run_id="r", row_id=str(n))
    outbox = str(tmp_path / "outbox.ndjson")
    missing = _cli(outbox, "--secret-env", "GENESYS_NB_TEST_UNSET_SECRET")
    assert missing.returncode == 2 and "GENESYS_NB_TEST_UNSET_SECRET is not set" in missing.stderr
    server = Receiver()
    try:
        done = _cli(outbox, "--url", server.url, "--secret-env", "HOOK_SECRET", env={"HOOK_SECRET": SECRET})
        assert done.returncode == 0, done.stderr
        assert "2 of 2 event(s) delivered" in done.stdout
        assert SECRET not in done.stdout + done.stderr
        assert all(verify(body, headers, SECRET) for headers, body in server.requests)
        assert len(server.requests) == 2
    finally:
        server.close()
    assert _cli(str(tmp_path / "absent.ndjson")).returncode == 2


def test_cli_replay_reports_failures(tmp_path: Path) -> None:
    with _dispatcher("http://127.0.0.1:9/hooks", tmp_path, max_retries=0) as hooks:
        hooks.submit(_result(), run_id="r", row_id="0")
    failed = _cli(str(tmp_path / "outbox.ndjson"), "--max-retries", "0")
    assert failed.returncode == 1 and "0 of 1 event(s) delivered" in failed.stdout
    assert len(_outbox(tmp_path)) == 1


def test_known_dead_receiver_fails_rows_at_submit(tmp_path: Path) -> None:
    server = Receiver()
    url = server.url
    server.close()
    with _dispatcher(url, tmp_path, breaker_threshold=1, breaker_cooldown_s=3600, max_retries=0) as hooks:
        first = hooks.submit(_result(), run_id="r", row_id="0", action_id="custom_-_named")
        assert first is not None and first.wait(30) == "failed"
        later = [hooks.submit(result=_result(), run_id="r", row_id=str(n), action_id="custom_-_named")
                 for n in range(1, 20)]
        # settled before submit returned: the row's audit record can say "failed" right away
        assert [t.state for t in later if t is not None] == ["failed"] * 19
        assert all(t.attempts == 0 for t in later if t is not None)
    entries = _outbox(tmp_path)
    assert len(entries) == 20
    assert {json.loads(e["body"])["actionId"] for e in entries} == {"custom_-_named"}
