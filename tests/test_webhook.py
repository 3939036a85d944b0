"""Webhooks over a real loopback receiver: payload, Standard Webhooks signatures (known-answer vectors),
event ids, back-pressure, on_state, retries, outbox, breaker, replay, rebuilding from the audit, CLI."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from genesys_nb.api.models import Action, FieldError
from genesys_nb.api.result import ExecutionResult
from genesys_nb.audit import jsonsafe
from genesys_nb.audit.writer import build_record
from genesys_nb.run.webhook import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookDispatcher,
    WebhookTicket,
    build_row_payload,
    event_id_for,
    new_secret,
    payload_from_record,
    replay,
    sign,
    standard_secret,
    verify,
)

SECRET = "whsec_" + base64.b64encode(b"genesys-nb webhook tests: 32 b.").decode()
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
    states: list[tuple[str | None, str | None, str]] = []
    with _dispatcher(receiver.url, tmp_path,
                     on_state=lambda t: states.append((t.run_id, t.row_id, t.state))) as hooks:
        state = hooks.deliver(_result(), run_id="run-1", row_id="row-1")
    assert state == "delivered" and states == [("run-1", "row-1", "delivered")]
    [(headers, body)] = receiver.requests
    payload = json.loads(body)
    assert set(payload) == {"actionId", "runId", "rowId", "success", "status", "result"}
    assert payload["actionId"] == "custom_-_a1" and payload["rowId"] == "row-1" and payload["success"] is True
    assert payload["result"]["output"] == {"count": 2}
    assert headers["X-Source"] == "genesys-nb"
    assert headers[EVENT_ID_HEADER] == event_id_for("run-1", "row-1")
    assert headers[SIGNATURE_HEADER].startswith("v1,")
    assert not any(name.lower().startswith("x-genesys-nb") for name in headers)
    assert verify(body, headers, SECRET)
    # the receiver side of the convention, as any Standard Webhooks library does it
    assert Webhook(SECRET).verify(body, headers) == payload
    assert not verify(body + b" ", headers, SECRET)
    assert not verify(body, headers, new_secret())
    # the event id is signed: a rewritten webhook-id no longer verifies
    forged = {**headers, EVENT_ID_HEADER: event_id_for("run-1", "row-2")}
    assert not verify(body, forged, SECRET)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body, forged)
    assert not _outbox(tmp_path)


def test_unsigned_without_secret(receiver: Receiver, tmp_path: Path) -> None:
    with _dispatcher(receiver.url, tmp_path, secret=None) as hooks:
        assert hooks.deliver(_result(), run_id="r", row_id="1") == "delivered"
    headers = receiver.requests[0][0]
    assert SIGNATURE_HEADER not in headers
    assert headers[EVENT_ID_HEADER] == event_id_for("r", "1") and headers[TIMESTAMP_HEADER].isdigit()
    assert not verify(receiver.requests[0][1], headers, SECRET)


# The known-answer vector of the Standard Webhooks reference libraries' tests.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _hmac_b64(key: bytes, message: bytes, digest: Any = hashlib.sha256) -> str:
    return "v1," + base64.b64encode(hmac.new(key, message, digest).digest()).decode()


def _spec_headers(signature: str = SPEC_SIGNATURE, timestamp: int = SPEC_TIMESTAMP) -> dict[str, str]:
    return {EVENT_ID_HEADER: SPEC_ID, TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature}


def test_signature_known_answer_vector() -> None:
    key = base64.b64decode(SPEC_SECRET.removeprefix("whsec_"))
    # computed independently of the library: HMAC-SHA256 of "{id}.{timestamp}.{body}", base64
    assert _hmac_b64(key, f"{SPEC_ID}.{SPEC_TIMESTAMP}.".encode() + SPEC_BODY) == SPEC_SIGNATURE
    assert sign(SPEC_BODY, SPEC_SECRET, event_id=SPEC_ID, timestamp=SPEC_TIMESTAMP) == SPEC_SIGNATURE
    assert verify(SPEC_BODY, _spec_headers(), SPEC_SECRET, now=SPEC_TIMESTAMP)
    # the raw key as bytes and the key's whsec_ form are the same secret
    assert sign(SPEC_BODY, key, event_id=SPEC_ID, timestamp=SPEC_TIMESTAMP) == SPEC_SIGNATURE
    assert standard_secret(key) == SPEC_SECRET and standard_secret(SPEC_SECRET) == SPEC_SECRET


@pytest.mark.parametrize("wrong", [
    "timestamp first", "body without id", "sha1", "hex digest", "other key",
])
def test_verify_refuses_signatures_of_another_construction(wrong: str) -> None:
    key = base64.b64decode(SPEC_SECRET.removeprefix("whsec_"))
    stamp = str(SPEC_TIMESTAMP).encode()
    signature = {
        "timestamp first": _hmac_b64(key, stamp + b"." + SPEC_ID.encode() + b"." + SPEC_BODY),
        "body without id": _hmac_b64(key, stamp + b"." + SPEC_BODY),
        "sha1": _hmac_b64(key, f"{SPEC_ID}.{SPEC_TIMESTAMP}.".encode() + SPEC_BODY, hashlib.sha1),
        "hex digest": "v1," + hmac.new(key, f"{SPEC_ID}.{SPEC_TIMESTAMP}.".encode() + SPEC_BODY,
                                       hashlib.sha256).hexdigest(),
        "other key": _hmac_b64(b"another key", f"{SPEC_ID}.{SPEC_TIMESTAMP}.".encode() + SPEC_BODY),
    }[wrong]
    assert signature != SPEC_SIGNATURE
    assert not verify(SPEC_BODY, _spec_headers(signature), SPEC_SECRET, now=SPEC_TIMESTAMP)
    # one good signature among several (key rotation) is enough
    assert verify(SPEC_BODY, _spec_headers(f"{signature} {SPEC_SIGNATURE}"), SPEC_SECRET, now=SPEC_TIMESTAMP)


def test_verify_bounds_the_timestamp_both_ways_and_reads_headers_case_insensitively() -> None:
    now = SPEC_TIMESTAMP
    headers = {k.upper(): v for k, v in _spec_headers().items()}
    assert verify(SPEC_BODY, headers, SPEC_SECRET, now=now + 300)
    assert verify(SPEC_BODY, headers, SPEC_SECRET, now=now - 300)
    assert not verify(SPEC_BODY, headers, SPEC_SECRET, now=now + 301)  # too old
    assert not verify(SPEC_BODY, headers, SPEC_SECRET, now=now - 301)  # too far in the future
    assert not verify(SPEC_BODY, headers, SPEC_SECRET, now=now - 10, tolerance_s=5)
    assert verify(SPEC_BODY, headers, SPEC_SECRET, now=now + 10**6, tolerance_s=float("inf"))
    # a timestamp in the future is signed like any other: only the bound refuses it
    ahead = sign(SPEC_BODY, SPEC_SECRET, event_id=SPEC_ID, timestamp=now + 3600)
    assert not verify(SPEC_BODY, _spec_headers(ahead, now + 3600), SPEC_SECRET, now=now)
    assert verify(SPEC_BODY, _spec_headers(ahead, now + 3600), SPEC_SECRET, now=now + 3600)
    for name in (EVENT_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER):
        partial = {k: v for k, v in _spec_headers().items() if k != name}
        assert not verify(SPEC_BODY, partial, SPEC_SECRET, now=now)
    for stamp in ("soon", "1614265330.0", "-1614265330", " "):
        assert not verify(SPEC_BODY, {**_spec_headers(), TIMESTAMP_HEADER: stamp}, SPEC_SECRET, now=now)
    assert not verify(SPEC_BODY, {**_spec_headers(), TIMESTAMP_HEADER: "9" * 30}, SPEC_SECRET, now=now,
                      tolerance_s=float("inf"))


@pytest.mark.parametrize("secret", ["", b"", "whsec_", "whsec_==="])
def test_an_empty_secret_is_refused(secret: Any) -> None:
    with pytest.raises(ValueError, match="empty|base64"):
        WebhookDispatcher("https://hooks.example.com/x", secret=secret)
    with pytest.raises(ValueError, match="empty|base64"):
        verify(SPEC_BODY, _spec_headers(), secret, now=SPEC_TIMESTAMP)
    with pytest.raises(ValueError, match="empty|base64"):
        sign(SPEC_BODY, secret, event_id=SPEC_ID, timestamp=SPEC_TIMESTAMP)


def test_a_whsec_secret_that_is_not_base64_says_how_to_make_one() -> None:
    with pytest.raises(ValueError, match="new_secret"):
        WebhookDispatcher("https://hooks.example.com/x", secret="whsec_not base64!")


def test_other_strings_are_their_utf8_bytes_and_standard_secret_gives_the_receiver_form() -> None:
    plain = "receiver-secret"
    signature = sign(SPEC_BODY, plain, event_id=SPEC_ID, timestamp=SPEC_TIMESTAMP)
    assert signature == _hmac_b64(plain.encode(), f"{SPEC_ID}.{SPEC_TIMESTAMP}.".encode() + SPEC_BODY)
    assert signature == sign(SPEC_BODY, plain.encode(), event_id=SPEC_ID, timestamp=SPEC_TIMESTAMP)
    receiver_form = standard_secret(plain)
    assert receiver_form == "whsec_" + base64.b64encode(plain.encode()).decode()
    assert verify(SPEC_BODY, _spec_headers(signature), receiver_form, now=SPEC_TIMESTAMP)
    fresh = new_secret()
    assert fresh.startswith("whsec_") and len(base64.b64decode(fresh[6:])) == 32 and fresh != new_secret()


def test_event_ids_are_derived_from_run_and_row() -> None:
    first = event_id_for("run-1", "row-1")
    assert first == event_id_for("run-1", "row-1")
    assert first.startswith("evt_") and len(first) == 36 and first[4:].isalnum()
    others = {event_id_for("run-1", "row-2"), event_id_for("run-2", "row-1"), event_id_for("run-1", None),
              event_id_for("run-1", "None"), event_id_for("run-1:row", "1"), event_id_for("run-1", "row:1")}
    assert first not in others and len(others) == 6
    # fixed across processes and versions: a receiver may keep ids from an earlier release
    namespace = uuid.UUID("6c1f0d0e-4b0a-5f57-9a43-6e6573797320")
    assert event_id_for("run-1", "row-1") == "evt_" + uuid.uuid5(namespace, '["run-1", "row-1"]').hex


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
        assert SECRET not in text and "abc123query" not in text and "v1," not in text
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
    with _dispatcher(url, tmp_path, breaker_threshold=2, breaker_cooldown_s=3600, max_retries=2,
                     workers=2) as hooks:
        tickets = [hooks.submit(_result(), run_id="run-9", row_id=f"row-{n}") for n in range(40)]
        states = [t.wait(60) for t in tickets if t is not None]
    assert states == ["failed"] * 40
    # the breaker keeps a dead receiver from costing every row its retries: at most the events
    # in flight when it trips (workers x threshold) spend their 3 attempts
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
        # re-signed with the id the run gave each event
        assert sorted(event_ids) == sorted(e["event_id"] for e in entries) == sorted(
            event_id_for("run-9", f"row-{n}") for n in range(40))
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
    assert replay(outbox, url=receiver.url, secret=SECRET, backoff_s=0.0).delivered == 1
    assert sorted(json.loads(b)["rowId"] for _, b in receiver.requests) == ["0", "1", "2"]


def test_replay_missing_outbox_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.ndjson"):
        replay(tmp_path / "nope.ndjson", secret=SECRET)


def test_replay_without_a_secret_refuses_unless_told_to_send_unsigned(receiver: Receiver, tmp_path: Path) -> None:
    with _dispatcher("http://127.0.0.1:9/hooks", tmp_path, max_retries=0) as hooks:
        hooks.submit(_result(), run_id="r", row_id="0")
    outbox = tmp_path / "outbox.ndjson"
    with pytest.raises(ValueError, match="unsigned=True"):
        replay(outbox, url=receiver.url)
    with pytest.raises(ValueError, match="not both"):
        replay(outbox, url=receiver.url, secret=SECRET, unsigned=True)
    assert receiver.requests == [] and len(_outbox(tmp_path)) == 1  # nothing sent, nothing lost
    report = replay(outbox, url=receiver.url, unsigned=True, backoff_s=0.0)
    assert report.delivered == 1
    [(headers, _)] = receiver.requests
    assert SIGNATURE_HEADER not in headers and headers[EVENT_ID_HEADER] == event_id_for("r", "0")


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
    failed = _cli(str(tmp_path / "outbox.ndjson"), "--max-retries", "0", "--unsigned")
    assert failed.returncode == 1 and "0 of 1 event(s) delivered" in failed.stdout
    assert len(_outbox(tmp_path)) == 1


def test_cli_replay_without_a_secret_refuses_unless_unsigned(tmp_path: Path) -> None:
    with _dispatcher("http://127.0.0.1:9/hooks", tmp_path, max_retries=0) as hooks:
        hooks.submit(_result(), run_id="r", row_id="0")
    outbox = str(tmp_path / "outbox.ndjson")
    refused = _cli(outbox, env={"GENESYS_NB_WEBHOOK_SECRET": ""})
    assert refused.returncode == 2 and "--unsigned" in refused.stderr and "GENESYS_NB_WEBHOOK_SECRET" in refused.stderr
    both = _cli(outbox, "--unsigned", "--secret-env", "HOOK_SECRET", env={"HOOK_SECRET": SECRET})
    assert both.returncode == 2 and "not both" in both.stderr
    server = Receiver()
    try:
        done = _cli(outbox, "--url", server.url, "--unsigned", env={"GENESYS_NB_WEBHOOK_SECRET": ""})
        assert done.returncode == 0, done.stderr
        [(headers, _)] = server.requests
        assert SIGNATURE_HEADER not in headers and headers[EVENT_ID_HEADER] == event_id_for("r", "0")
    finally:
        server.close()


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


# ---- event ids, back-pressure, on_state ------------------------------------------------------------
def test_a_row_resent_by_another_dispatcher_keeps_its_webhook_id(receiver: Receiver, tmp_path: Path) -> None:
    for _ in range(2):  # the same row sent again after a crash, by a new process's dispatcher
        with _dispatcher(receiver.url, tmp_path) as hooks:
            assert hooks.deliver(_result(), run_id="run-5", row_id="row-3") == "delivered"
    ids = [headers[EVENT_ID_HEADER] for headers, _ in receiver.requests]
    assert ids == [event_id_for("run-5", "row-3")] * 2  # the receiver can drop the second
    with _dispatcher(receiver.url, tmp_path) as hooks:
        ticket = hooks.submit(_result(), run_id="run-5", row_id="row-4", event_id="order-77.update")
        assert ticket is not None and ticket.wait(30) == "delivered"
        with pytest.raises(ValueError, match="event_id"):
            hooks.submit(_result(), run_id="run-5", row_id="row-4", event_id="has space")
        unnamed = hooks.submit_payload({"n": 1})
        assert unnamed.wait(30) == "delivered"
    headers, body = receiver.requests[2]
    assert headers[EVENT_ID_HEADER] == "order-77.update" and verify(body, headers, SECRET)
    assert receiver.requests[3][0][EVENT_ID_HEADER].startswith("evt_")


class _Gate:
    """A transport whose answers wait for ``release``; counts every event id it was sent."""

    def __init__(self, *, delay_s: float = 0.0, hold: bool = False) -> None:
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.delay_s = delay_s
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.release.wait(30)
        if self.delay_s:
            time.sleep(self.delay_s)
        with self._lock:
            self.seen.append(request.headers[EVENT_ID_HEADER])
        return httpx.Response(204)


def test_a_full_queue_waits_for_room_instead_of_dropping(tmp_path: Path) -> None:
    gate = _Gate(delay_s=0.002)
    with _dispatcher("https://hooks.example.com/x", tmp_path, transport=httpx.MockTransport(gate), workers=1,
                     max_queue=3) as hooks:
        tickets = [hooks.submit(_result(), run_id="r", row_id=str(n)) for n in range(200)]
    assert [t.state for t in tickets if t is not None] == ["delivered"] * 200
    assert _outbox(tmp_path) == [] and len(gate.seen) == len(set(gate.seen)) == 200


def test_the_wait_for_room_is_bounded(tmp_path: Path) -> None:
    gate = _Gate(hold=True)
    hooks = _dispatcher("https://hooks.example.com/x", tmp_path, transport=httpx.MockTransport(gate),
                        workers=1, max_queue=1, submit_wait_s=0.3)
    try:
        first = hooks.submit(_result(), run_id="r", row_id="0")  # taken by the worker, held
        deadline = time.monotonic() + 10
        while not hooks._queue.empty() and time.monotonic() < deadline:
            time.sleep(0.01)
        second = hooks.submit(_result(), run_id="r", row_id="1")  # fills the queue
        started = time.monotonic()
        third = hooks.submit(_result(), run_id="r", row_id="2")
        waited = time.monotonic() - started
        assert third is not None and third.state == "failed" and "queue still full" in str(third.last_error)
        assert 0.25 <= waited < 5
        assert [e["row_id"] for e in _outbox(tmp_path)] == ["2"]
    finally:
        gate.release.set()
        hooks.close()
    assert first is not None and second is not None
    assert (first.state, second.state) == ("delivered", "delivered")


def test_a_tripped_breaker_settles_at_once_even_with_a_full_queue(tmp_path: Path) -> None:
    gate = _Gate(hold=True)
    hooks = _dispatcher("https://hooks.example.com/x", tmp_path, transport=httpx.MockTransport(gate),
                        workers=1, max_queue=1, submit_wait_s=30)
    try:
        hooks.submit(_result(), run_id="r", row_id="0")
        hooks.submit(_result(), run_id="r", row_id="1")
        threading.Timer(0.2, lambda: hooks.breaker.record(False, True)).start()  # the receiver is found down
        started = time.monotonic()
        late = hooks.submit(_result(), run_id="r", row_id="2")
        assert late is not None and late.state == "failed" and "circuit open" in str(late.last_error)
        assert time.monotonic() - started < 5  # not the 30 s wait for room
    finally:
        gate.release.set()
        hooks.close()


def test_submit_async_awaits_room_without_blocking_the_loop(tmp_path: Path) -> None:
    gate = _Gate(delay_s=0.003)

    async def main() -> tuple[list[str], int]:
        async with _dispatcher("https://hooks.example.com/x", tmp_path, transport=httpx.MockTransport(gate),
                               workers=1, max_queue=2) as hooks:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0)

            task = asyncio.create_task(ticker())
            tickets = [await hooks.submit_async(_result(), run_id="r", row_id=str(n)) for n in range(60)]
            states = [await hooks.wait_async(t, wait_s=30) for t in tickets if t is not None]
            task.cancel()
            return states, ticks

    states, ticks = asyncio.run(main())
    assert states == ["delivered"] * 60 and _outbox(tmp_path) == []
    assert ticks > 60  # the loop ran while submit_async waited for room


def test_on_state_is_called_once_per_event_from_a_dispatcher_thread_after_the_outbox_write(
        tmp_path: Path) -> None:
    seen: list[tuple[str | None, str, str, bool]] = []
    lock = threading.Lock()

    def on_state(ticket: WebhookTicket) -> None:
        in_outbox = any(e["event_id"] == ticket.event_id for e in _outbox(tmp_path))
        with lock:
            seen.append((ticket.row_id, ticket.state, threading.current_thread().name, in_outbox))

    statuses = {"0": 204, "1": 400, "2": 204}
    transport = httpx.MockTransport(lambda request: httpx.Response(statuses[json.loads(request.content)["rowId"]]))
    with _dispatcher("https://hooks.example.com/x", tmp_path, transport=transport, on_state=on_state,
                     breaker_threshold=1, breaker_cooldown_s=3600) as hooks:
        assert hooks.deliver(_result(), run_id="r", row_id="0") == "delivered"
        assert hooks.deliver(_result(), run_id="r", row_id="1") == "failed"  # trips the breaker
        tripped = hooks.submit(_result(), run_id="r", row_id="2")  # settled inside submit
        assert tripped is not None and tripped.state == "failed"
    main = threading.current_thread().name
    assert sorted((row, state, in_outbox) for row, state, _, in_outbox in seen) == [
        ("0", "delivered", False), ("1", "failed", True), ("2", "failed", True)]
    assert all(name != main and name.startswith("genesys-nb-webhook") for _, _, name, _ in seen)


# ---- rebuilding from the audit -------------------------------------------------------------------
_NOT_IN_RECORD = ("errors", "retry_after_s", "request_sent", "rate_limit")


def _via_record(result: ExecutionResult, **kwargs: Any) -> dict[str, Any]:
    record = orjson.loads(jsonsafe.dumps(build_record(result, run_id="run-3", row_id="row-8", **kwargs)))
    return payload_from_record(record)


def _kept(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "result": {k: v for k, v in payload["result"].items() if k not in _NOT_IN_RECORD}}


@pytest.mark.parametrize("result", [
    _result(output={"count": 2, "customer": {"id": "C-1", "tier": {"name": "gold"}}, "tags": ["a"]},
            correlation_id="corr-1", attempts=2, retry_wait_ms=125.5, timeout_ms=4000,
            timestamp=datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=timezone.utc)),
    _result(ok=False, error_code="too.many", error_message="Rate limit", retry_after_s=3.0,
            errors=[FieldError("$.n", "too big", "maximum", value=12)]),
])
def test_payload_from_record_equals_the_payload_of_the_result(result: ExecutionResult) -> None:
    original = build_row_payload(result, run_id="run-3", row_id="row-8")
    rebuilt = _via_record(result)
    assert _kept(rebuilt) == _kept(original)
    assert set(rebuilt["result"]) == set(original["result"])
    if not result.errors and result.retry_after_s is None:
        assert rebuilt == original  # nothing the record lacks: the very same payload


def test_payload_from_record_of_a_secure_action_stays_redacted() -> None:
    action = Action(id="custom_-_sec", name="Secure", secure=True)
    result = _result(action_id="custom_-_sec", output={"token": "t", "balance": 10})
    params = {"pin": "98765"}
    original = build_row_payload(result, run_id="run-3", row_id="row-8", action=action, params=params)
    rebuilt = _via_record(result, action=action, params=params)
    assert _kept(rebuilt) == _kept(original) and rebuilt["result"]["output"] == "<redacted>"
    assert "98765" not in json.dumps(rebuilt)


def test_payload_from_record_refuses_what_is_not_a_record() -> None:
    with pytest.raises(ValueError, match="not an audit record"):
        payload_from_record({"run_id": "r"})


def test_close_drains_a_slow_healthy_receiver_past_one_event_budget(tmp_path: Path) -> None:
    gate = _Gate(delay_s=0.01)
    hooks = _dispatcher("https://hooks.example.com/x", tmp_path, transport=httpx.MockTransport(gate), workers=1,
                        timeout_s=0.2, max_retries=0)
    tickets = [hooks.submit(_result(), run_id="r", row_id=str(n)) for n in range(300)]
    started = time.monotonic()
    hooks.close()
    assert time.monotonic() - started > hooks.event_budget_s  # the drain outlasted one event's budget
    assert [t.state for t in tickets if t is not None] == ["delivered"] * 300 and _outbox(tmp_path) == []


def test_close_ends_when_nothing_is_delivered_any_more(tmp_path: Path) -> None:
    def failing(request: httpx.Request) -> httpx.Response:
        time.sleep(0.1)  # 50 events: 5 s of attempts if close waited for them all
        return httpx.Response(503)

    settled: list[str] = []
    hooks = _dispatcher("https://hooks.example.com/x", tmp_path, transport=httpx.MockTransport(failing), workers=1,
                        timeout_s=0.2, max_retries=0, breaker_threshold=0, max_queue=50,
                        on_state=lambda t: settled.append(t.state))
    for n in range(50):
        hooks.submit(_result(), run_id="r", row_id=str(n))
    started = time.monotonic()
    hooks.close()
    assert time.monotonic() - started < hooks.event_budget_s + 1.5  # cut short, not 5 s
    assert settled == ["failed"] * 50 and len(_outbox(tmp_path)) == 50  # every event kept, once


def test_deliveries_reuse_kept_alive_connections_and_carry_url_credentials_as_basic_auth(tmp_path: Path) -> None:
    from webhook_receiver import WebhookReceiver

    from genesys_nb import __version__

    receiver = WebhookReceiver()  # HTTP/1.1 keep-alive
    peers: list[Any] = []
    handler = receiver.server.RequestHandlerClass
    original = handler.do_POST

    def do_post(self: Any) -> None:
        peers.append(self.client_address)
        original(self)

    handler.do_POST = do_post  # type: ignore[method-assign]
    try:
        url = receiver.url.replace("http://", "http://hook-user:s3cret@")
        with _dispatcher(url, tmp_path, workers=2) as hooks:
            for n in range(30):
                assert hooks.deliver(_result(), run_id="keep", row_id=f"row-{n}") == "delivered"
        assert receiver.posts == 30
        assert len(set(peers)) <= 2  # at most one connection per worker: kept alive, never one per event
        headers = {key.lower(): value for key, value in receiver.requests[0][0].items()}
        assert headers["authorization"] == "Basic " + base64.b64encode(b"hook-user:s3cret").decode()
        assert headers["user-agent"] == f"genesys-nb/{__version__}"
        assert "s3cret" not in repr(hooks) and not (tmp_path / "outbox.ndjson").exists()
    finally:
        receiver.close()
