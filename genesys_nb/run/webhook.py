"""WebhookDispatcher: signed completion POSTs, retried in the background, an outbox for what failed, replay.

Each finished row (``mode="row"``) or each run (``mode="run"``, one summary) is POSTed as
``{actionId, runId, rowId, success, result}`` with ``X-Source: genesys-nb``. With a secret, the
body is signed: ``X-Genesys-NB-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` and
``X-Genesys-NB-Timestamp: <unix seconds>``; receivers check both with :func:`verify`. Every event
has an ``X-Genesys-NB-Event-Id`` so a receiver can drop a duplicate.

Delivery never fails or blocks a row: events go on a queue served by worker threads; timeouts,
5xx and 429 are retried with backoff; what still fails is appended to the outbox NDJSON file
(body kept byte for byte; never the secret, the signature or a URL's query/credentials) and the
row's state becomes ``"failed"``. After several failures in a row the dispatcher stops trying for a
cool-down and sends events straight to the outbox, so a receiver that is down does not slow a run.
:func:`replay` delivers the outbox later, each event once, and atomically rewrites the file with
what still failed.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from genesys_nb.api.logs import install_log_redaction
from genesys_nb.audit import jsonsafe
from genesys_nb.audit.writer import REDACTED, mask_values, scrub_mapping, secret_strings

install_log_redaction()  # httpx logs webhook URLs at INFO

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

    from genesys_nb.api.models import Action
    from genesys_nb.api.result import ExecutionResult

try:  # POSIX: serialise outbox appends and the replay rewrite across processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "EVENT_ID_HEADER", "SIGNATURE_HEADER", "SOURCE_HEADER", "TIMESTAMP_HEADER", "ReplayReport",
    "WebhookDispatcher", "WebhookTicket", "build_row_payload", "replay", "sign", "verify",
]

logger = logging.getLogger("genesys_nb")

SOURCE_HEADER = "X-Source"
SIGNATURE_HEADER = "X-Genesys-NB-Signature"
TIMESTAMP_HEADER = "X-Genesys-NB-Timestamp"
EVENT_ID_HEADER = "X-Genesys-NB-Event-Id"
MODES = ("row", "run")
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


# --------------------------------------------------------------------------------------------
# payloads and signatures (pure)


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with ``secret`` over ``b"<timestamp>." + body``."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(body: bytes, headers: Mapping[str, str], secret: str, *, tolerance_s: float = 300,
           now: float | None = None) -> bool:
    """For receivers: True when the signature matches the raw body and the timestamp is recent.

    ``headers`` may be any mapping (case-insensitive lookup). ``tolerance_s`` bounds the age of the
    timestamp (replayed captures are refused); use ``tolerance_s=float("inf")`` to skip that check.
    """
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    stamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    if not signature.startswith("sha256=") or not stamp.strip().lstrip("-").isdigit():
        return False
    timestamp = int(stamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(body, secret, timestamp), signature)


def _strip_values(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _strip_values(v) for k, v in value.items() if k != "value"}
    if isinstance(value, list):
        return [_strip_values(v) for v in value]
    return value


def build_row_payload(result: ExecutionResult, *, run_id: str, row_id: str | None,
                      action: Action | None = None, action_id: str | None = None,
                      params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The per-row body: ``{actionId, runId, rowId, success, result}`` with nothing secret in it.

    For a secure action the output is redacted, field errors lose their values and, when the
    row's ``params`` are given, any input value quoted in a message is masked.
    """
    public = result.to_dict()
    if getattr(action, "secure", False):
        public["output"] = REDACTED if public.get("output") is not None else None
        public["errors"] = _strip_values(public.get("errors") or [])  # field errors can echo inputs
        public = mask_values(public, secret_strings(params))
    public = scrub_mapping(public)
    return {"actionId": getattr(action, "id", None) or action_id or result.action_id, "runId": run_id, "rowId": row_id,
            "success": bool(result.ok), "result": public}


def _safe_url(url: str) -> str:
    """The URL without credentials, query or fragment: what may be written to the outbox."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _headers(body: bytes, event_id: str, secret: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", SOURCE_HEADER: "genesys-nb", EVENT_ID_HEADER: event_id}
    if secret:
        timestamp = int(time.time())
        headers[TIMESTAMP_HEADER] = str(timestamp)
        headers[SIGNATURE_HEADER] = sign(body, secret, timestamp)
    return headers


@dataclass
class _Attempt:
    ok: bool
    attempts: int
    status_code: int | None = None
    error: str | None = None
    retry: bool = False


def _post_once(client: httpx.Client, url: str, body: bytes, event_id: str, secret: str | None) -> _Attempt:
    try:
        response = client.post(url, content=body, headers=_headers(body, event_id, secret))
    except httpx.TimeoutException as err:
        return _Attempt(False, 1, None, f"timeout ({type(err).__name__})", retry=True)
    except httpx.TransportError as err:
        return _Attempt(False, 1, None, f"network error ({type(err).__name__})", retry=True)
    if 200 <= response.status_code < 300:
        return _Attempt(True, 1, response.status_code)
    return _Attempt(False, 1, response.status_code, f"HTTP {response.status_code}",
                    retry=response.status_code in _RETRY_STATUS)


def _deliver(client: httpx.Client, url: str, body: bytes, event_id: str, secret: str | None, *,
             max_retries: int, backoff_s: float, backoff_max_s: float,
             wait: Callable[[float], bool]) -> _Attempt:
    """POST with retries; ``wait(delay)`` sleeps and returns False when the caller wants to stop."""
    attempts = 0
    while True:
        outcome = _post_once(client, url, body, event_id, secret)
        attempts += 1
        outcome.attempts = attempts
        if outcome.ok or not outcome.retry or attempts > max_retries:
            return outcome
        if not wait(min(backoff_max_s, backoff_s * 2 ** (attempts - 1))):
            return outcome


# --------------------------------------------------------------------------------------------
# outbox


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _append_outbox(path: Path, entries: list[dict[str, Any]]) -> None:
    data = b"".join(jsonsafe.dumps(entry) + b"\n" for entry in entries)
    with _locked(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def _sleep(delay_s: float) -> bool:
    time.sleep(delay_s)
    return True


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------------------------------
# dispatcher


class WebhookTicket:
    """The delivery state of one event: ``"pending"`` until it settles as ``"delivered"``/``"failed"``."""

    def __init__(self, event_id: str, body: bytes, *, run_id: str | None, row_id: str | None) -> None:
        self.event_id = event_id
        self.body = body
        self.run_id = run_id
        self.row_id = row_id
        self.state = "pending"
        self.attempts = 0
        self.status_code: int | None = None
        self.last_error: str | None = None
        self._done = threading.Event()
        self._callbacks: list[Callable[[WebhookTicket], None]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WebhookTicket(row_id={self.row_id!r}, state={self.state!r}, attempts={self.attempts})"

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout_s: float | None = None) -> str:
        """Block until settled (or ``timeout_s``); returns the state."""
        self._done.wait(timeout_s)
        return self.state

    def add_done_callback(self, callback: Callable[[WebhookTicket], None]) -> None:
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def _settle(self, state: str) -> None:
        with self._lock:
            self.state = state
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback(self)
            except Exception:  # a broken callback must not kill the worker
                logger.exception("webhook state callback failed")


_STOP = object()


class WebhookDispatcher:
    """Delivers completion events in the background; see the module docstring for the guarantees.

    >>> # with WebhookDispatcher(url, secret=..., outbox="out/webhook-outbox.ndjson") as hooks:
    >>> #     state = await hooks.deliver_async(result, run_id=run_id, row_id=row.row_id, action=action)
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        mode: str = "row",
        timeout_s: float = 5.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
        outbox: str | os.PathLike[str] | None = None,
        transport: httpx.BaseTransport | None = None,
        workers: int = 2,
        on_state: Callable[[str | None, str], None] | None = None,
        breaker_threshold: int = 5,
        breaker_cooldown_s: float = 10.0,
        max_queue: int = 10_000,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook url must be an http(s) URL with a host, got {_safe_url(url)!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be 'row' (one POST per row) or 'run' (one summary), got {mode!r}")
        if timeout_s <= 0 or max_retries < 0 or backoff_s < 0 or workers < 1:
            raise ValueError("timeout_s must be > 0, max_retries >= 0, backoff_s >= 0 and workers >= 1")
        self._url = url  # may carry a token in its path or query: shown only via the safe form
        self.mode = mode
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.outbox = Path(outbox) if outbox is not None else None
        self.on_state = on_state
        self.breaker_threshold = breaker_threshold
        self.breaker_cooldown_s = breaker_cooldown_s
        self._secret = secret
        self._client = httpx.Client(transport=transport, timeout=timeout_s, follow_redirects=False)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._stopping = threading.Event()
        self._closed = False
        self._lock = threading.Lock()
        self._consecutive_failures = 0
        self._tripped = False
        self._probing = False
        self._open_until = 0.0
        self._runs: dict[str, dict[str, Any]] = {}
        self.unsaved: list[dict[str, Any]] = []  # failed events when no outbox path is set
        self.counts: Counter[str] = Counter()
        self._workers = [threading.Thread(target=self._work, name=f"genesys-nb-webhook-{n}", daemon=True)
                         for n in range(workers)]
        for worker in self._workers:
            worker.start()

    @property
    def url(self) -> str:
        """The receiver URL without credentials or query (safe to print)."""
        return _safe_url(self._url)

    def __repr__(self) -> str:
        return (f"WebhookDispatcher(url={self.url!r}, mode={self.mode!r}, "
                f"signed={self._secret is not None}, counts={dict(self.counts)})")

    # ---- submitting
    def submit_payload(self, payload: Mapping[str, Any], *, run_id: str | None = None,
                       row_id: str | None = None) -> WebhookTicket:
        """Queue any JSON payload; never blocks, never raises for delivery problems."""
        body = jsonsafe.dumps(payload)
        ticket = WebhookTicket(uuid.uuid4().hex, body, run_id=run_id, row_id=row_id)
        with self._lock:
            self.counts["pending"] += 1
        if self._closed:
            self._fail(ticket, "dispatcher closed before delivery")
            return ticket
        if self._circuit_open():  # receiver known to be down: settle now, so the row's record says so
            self._fail(ticket, "not attempted: receiver failing recently (circuit open)")
            return ticket
        try:
            self._queue.put_nowait(ticket)
        except queue.Full:
            self._fail(ticket, "queue full (receiver too slow); kept in the outbox")
        return ticket

    def submit(self, result: ExecutionResult, *, run_id: str, row_id: str | None,
               action: Action | None = None, action_id: str | None = None,
               params: Mapping[str, Any] | None = None) -> WebhookTicket | None:
        """Queue the row's event (mode="row") and return its ticket at once: ``ticket.state`` is
        ``"pending"``, or already ``"failed"`` while the receiver is known to be down. In mode="run"
        the row is counted for the run's summary and None is returned (the row's state is "none")."""
        action_id = getattr(action, "id", None) or action_id or result.action_id
        if self.mode == "run":
            with self._lock:
                run = self._runs.setdefault(run_id, {"actionId": action_id,
                                                     "rows": 0, "succeeded": 0, "failed": 0,
                                                     "errorClasses": Counter(), "startedAt": _now_iso()})
                run["rows"] += 1
                run["succeeded" if result.ok else "failed"] += 1
                if result.error_class:
                    run["errorClasses"][result.error_class] += 1
            return None
        payload = build_row_payload(result, run_id=run_id, row_id=row_id, action=action, action_id=action_id,
                                    params=params)
        return self.submit_payload(payload, run_id=run_id, row_id=row_id)

    def deliver(self, result: ExecutionResult, *, run_id: str, row_id: str | None,
                action: Action | None = None, action_id: str | None = None,
                params: Mapping[str, Any] | None = None, wait_s: float | None = None) -> str:
        """Submit and wait (at most ``wait_s``) for the outcome: "delivered", "failed", "pending" or
        "none" (mode="run": the run's summary is sent by :meth:`finish_run`)."""
        ticket = self.submit(result, run_id=run_id, row_id=row_id, action=action, action_id=action_id,
                             params=params)
        return "none" if ticket is None else ticket.wait(wait_s)

    async def deliver_async(self, result: ExecutionResult, *, run_id: str, row_id: str | None,
                            action: Action | None = None, action_id: str | None = None,
                            params: Mapping[str, Any] | None = None, wait_s: float | None = None) -> str:
        """Like :meth:`deliver` without blocking the event loop (the POST runs on a worker thread)."""
        ticket = self.submit(result, run_id=run_id, row_id=row_id, action=action, action_id=action_id,
                             params=params)
        if ticket is None:
            return "none"
        return await self.wait_async(ticket, wait_s=wait_s)

    async def wait_async(self, ticket: WebhookTicket, *, wait_s: float | None = None) -> str:
        loop = asyncio.get_running_loop()
        settled: asyncio.Future[str] = loop.create_future()

        def wake(done: WebhookTicket) -> None:
            def resolve() -> None:
                if not settled.done():
                    settled.set_result(done.state)
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(resolve)

        ticket.add_done_callback(wake)
        try:
            return await asyncio.wait_for(asyncio.shield(settled), wait_s)
        except asyncio.TimeoutError:
            return ticket.state

    def finish_run(self, run_id: str) -> WebhookTicket | None:
        """mode="run": send the run's summary now (close() sends any not yet sent)."""
        with self._lock:
            run = self._runs.pop(run_id, None)
        if run is None:
            return None
        summary = {**run, "errorClasses": dict(run["errorClasses"]), "finishedAt": _now_iso()}
        action_id = summary.pop("actionId")
        payload = {"actionId": action_id, "runId": run_id, "rowId": None, "success": summary["failed"] == 0,
                   "result": summary}
        return self.submit_payload(payload, run_id=run_id, row_id=None)

    # ---- delivering
    def _circuit_open(self) -> bool:
        with self._lock:
            return self._tripped and time.monotonic() < self._open_until

    def _admit(self) -> tuple[bool, bool]:
        """(may attempt, is a probe). After the breaker trips, one probe at a time after the cool-down."""
        with self._lock:
            if not self._tripped:
                return True, False
            if self._probing or time.monotonic() < self._open_until:
                return False, False
            self._probing = True
            return True, True

    def _record(self, delivered: bool, probe: bool) -> None:
        with self._lock:
            if probe:
                self._probing = False
            if delivered:
                self._consecutive_failures = 0
                self._tripped = False
                return
            self._consecutive_failures += 1
            if probe or (self.breaker_threshold and self._consecutive_failures >= self.breaker_threshold):
                if not self._tripped:
                    logger.warning("webhook receiver %s is failing; events go to the outbox, retrying "
                                   "every %.0f s", self.url, self.breaker_cooldown_s)
                self._tripped = True
                self._open_until = time.monotonic() + self.breaker_cooldown_s

    def _wait(self, delay_s: float) -> bool:
        return not self._stopping.wait(delay_s)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                self._process(item)
            finally:
                self._queue.task_done()

    def _process(self, ticket: WebhookTicket) -> None:
        if self._stopping.is_set():
            self._fail(ticket, "not attempted: dispatcher closing")
            return
        admitted, probe = self._admit()
        if not admitted:
            self._fail(ticket, "not attempted: receiver failing recently (circuit open)")
            return
        outcome = _deliver(self._client, self._url, ticket.body, ticket.event_id, self._secret,
                           max_retries=0 if probe else self.max_retries, backoff_s=self.backoff_s,
                           backoff_max_s=self.backoff_max_s, wait=self._wait)
        ticket.attempts, ticket.status_code, ticket.last_error = outcome.attempts, outcome.status_code, outcome.error
        self._record(outcome.ok, probe)
        if outcome.ok:
            self._settle(ticket, "delivered")
        else:
            self._fail(ticket, outcome.error or "delivery failed")

    def _fail(self, ticket: WebhookTicket, reason: str) -> None:
        ticket.last_error = ticket.last_error or reason
        entry = {"event_id": ticket.event_id, "created_at": _now_iso(), "url": self.url,
                 "run_id": ticket.run_id, "row_id": ticket.row_id, "attempts": ticket.attempts,
                 "last_status": ticket.status_code, "last_error": ticket.last_error,
                 "body": ticket.body.decode("utf-8")}
        try:
            if self.outbox is not None:
                _append_outbox(self.outbox, [entry])
            else:
                with self._lock:
                    self.unsaved.append(entry)
        except OSError:
            logger.exception("could not write the webhook outbox %s", self.outbox)
            with self._lock:
                self.unsaved.append(entry)
        self._settle(ticket, "failed")

    def _settle(self, ticket: WebhookTicket, state: str) -> None:
        with self._lock:
            self.counts["pending"] -= 1
            self.counts[state] += 1
        ticket._settle(state)
        if self.on_state is not None:
            try:
                self.on_state(ticket.row_id, state)
            except Exception:
                logger.exception("webhook on_state callback failed")

    # ---- lifecycle
    def close(self, timeout_s: float | None = None) -> None:
        """Send pending run summaries, deliver what is queued, then stop the workers.

        After ``timeout_s`` (default: the time one event may take with all its retries) the
        remaining events go to the outbox without more attempts.
        """
        if self._closed:
            return
        for run_id in list(self._runs):
            self.finish_run(run_id)
        self._closed = True
        budget = timeout_s
        if budget is None:
            budget = self.timeout_s * (self.max_retries + 1) + sum(
                min(self.backoff_max_s, self.backoff_s * 2 ** n) for n in range(self.max_retries)) + 1.0
        for _ in self._workers:
            self._queue.put(_STOP)
        deadline = time.monotonic() + budget
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        if any(worker.is_alive() for worker in self._workers):
            self._stopping.set()  # cut retries short: what is left goes to the outbox
            for worker in self._workers:
                worker.join()
        while True:  # anything queued behind the stop markers (a submit racing close)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, WebhookTicket):
                self._fail(item, "not attempted: dispatcher closed")
        self._client.close()

    async def aclose(self, timeout_s: float | None = None) -> None:
        """:meth:`close` without blocking the event loop."""
        await asyncio.to_thread(self.close, timeout_s)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# --------------------------------------------------------------------------------------------
# replay


@dataclass
class ReplayReport:
    """What :func:`replay` did; ``remaining`` events are still in the outbox."""

    total: int = 0
    delivered: int = 0
    failed: int = 0
    unreadable: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.failed + self.unreadable

    def __str__(self) -> str:
        text = f"{self.delivered} of {self.total} event(s) delivered, {self.failed} still failing"
        return text + (f", {self.unreadable} unreadable line(s) kept" if self.unreadable else "")


def replay(outbox_path: str | os.PathLike[str], url: str | None = None, secret: str | None = None, *,
           transport: httpx.BaseTransport | None = None, timeout_s: float = 5.0, max_retries: int = 3,
           backoff_s: float = 0.5, backoff_max_s: float = 8.0) -> ReplayReport:
    """Deliver every event of an outbox once (with retries); rewrite the outbox atomically with the
    events that still failed, plus any appended while the replay ran.

    ``url`` overrides the URL saved with each event (saved without query or credentials).
    Events keep their ``X-Genesys-NB-Event-Id``, so a receiver can drop one it already has.
    """
    path = Path(outbox_path)
    if not path.exists():
        raise FileNotFoundError(f"webhook outbox not found: {path}")
    report = ReplayReport()
    data = path.read_bytes()
    consumed = len(data)
    keep: list[bytes] = []
    with httpx.Client(transport=transport, timeout=timeout_s, follow_redirects=False) as client:
        for line in data.splitlines():
            if not line.strip():
                continue
            try:
                entry = orjson.loads(line)
                body = entry["body"].encode("utf-8")
                event_id = str(entry["event_id"])
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
                report.unreadable += 1
                keep.append(line)
                continue
            report.total += 1
            target = url or entry.get("url")
            if not target:
                report.failed += 1
                report.errors.append(f"{event_id}: no URL saved; pass url=")
                keep.append(line)
                continue
            outcome = _deliver(client, target, body, event_id, secret, max_retries=max_retries,
                               backoff_s=backoff_s, backoff_max_s=backoff_max_s,
                               wait=_sleep)
            if outcome.ok:
                report.delivered += 1
                continue
            report.failed += 1
            report.errors.append(f"{event_id}: {outcome.error}")
            entry.update(attempts=int(entry.get("attempts") or 0) + outcome.attempts,
                         last_status=outcome.status_code, last_error=outcome.error)
            keep.append(jsonsafe.dumps(entry))
    with _locked(path):
        current = path.read_bytes()
        appended = current[consumed:] if current[:consumed] == data else b""
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(b"".join(line + b"\n" for line in keep) + appended)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    return report
