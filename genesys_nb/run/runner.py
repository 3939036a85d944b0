"""MatrixRunner: run one data action over every row of a parameter matrix, fast, paced and audited.

One run, start to finish:

1. The action is fetched once (``get_action``) and primed in a shared validator.
2. ``concurrency`` workers (at most the platform's 50 in flight) take rows one at a time. Every
   execute attempt, retries included, first waits for its slot from the pacer
   (:mod:`genesys_nb.run.pacing`): a token bucket under ``rate_per_minute`` that adapts to the
   ``inin-ratelimit-*`` headers and to any 429.
3. Each finished row is appended to the audit log at once (one record per row) and its webhook
   is handed to the dispatcher without waiting for delivery. No per-row Python object is kept,
   so memory stays flat in the number of rows; the DataFrame is built at the end from the log.
4. ``resume=True`` with the same ``run_id`` runs only the rows that have no record yet.

The DataFrame has one row per matrix row, in matrix order: ``row_id``, ``params.<field>``, ``ok``,
``error_class``, ``status_code``, ``latency_ms`` (last attempt), ``total_ms``, ``attempts``,
``retry_wait_ms``, ``correlation_id``, ``expected_invalid``, ``error_code``, ``error_message``,
``timestamp``, ``webhook``, then ``output.<field>`` (the output flattened; nested fields dotted).
``frame.attrs`` holds ``run_id``, ``audit_path`` and the run's ``summary``.

Rows marked ``expected_invalid`` (cases derived from the contract to probe its edges) are sent
without the local input check, so the result shows what the platform answers to each.

Stopping: ``stop()`` (thread-safe; the notebook Run panel's button) lets rows whose request was
already sent finish and be recorded, and drops rows not yet sent. Ctrl-C / task cancellation
stops at once: finished rows are recorded, unfinished ones are not (``resume`` re-runs them). A
request cut off in flight may still have run on the platform, so for an action that is not
idempotent prefer ``stop()``, which never leaves a sent request unrecorded.

The audit record's ``webhook`` field is the delivery state known when the record is written:
``"none"`` without a dispatcher, else what the dispatcher reports for the row at that moment,
normally ``"pending"`` (delivery runs in the background; a delivery that finally fails lands in
the dispatcher's outbox, from where ``genesys-nb webhook replay`` sends it).
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.api.retry import RetryPolicy
from genesys_nb.contract.paths import flatten_dotted
from genesys_nb.run.pacing import AsyncPacer, Pacer, PacerStats

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from genesys_nb.api.client import AsyncDataActionsClient
    from genesys_nb.api.models import Action
    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.audit.writer import AuditLog
    from genesys_nb.run.webhook import WebhookDispatcher

__all__ = ["MAX_CONCURRENCY", "MatrixRunner", "RunStopped", "RunSummary", "result_frame"]

logger = logging.getLogger("genesys_nb")

# RetryPolicy is frozen, so one shared default instance is safe.
DEFAULT_RETRY = RetryPolicy()

MAX_CONCURRENCY = 50  # the platform's concurrent executions (actions.concurrent.executions.max)


class RunStopped(Exception):
    """Raised inside a row that was stopped before its request was sent (never escapes a run)."""


@dataclass(frozen=True)
class RunSummary:
    """What one run did: counts, time, throughput and how often the platform said slow down."""

    run_id: str
    action_id: str
    action_name: str | None
    total_rows: int
    skipped_rows: int  # already recorded by an earlier run with this run_id (resume)
    finished_rows: int  # recorded by this run
    ok_rows: int
    failed_rows: int
    error_classes: dict[str, int]
    elapsed_s: float
    rows_per_s: float
    requests: int  # execute attempts sent, retries included
    rate_limited: int  # 429 answers seen
    slowdowns: int  # times the pace was cut after a 429
    stopped: bool  # True when stop() or an interrupt ended the run before every row ran
    audit_path: str
    concurrency: int
    rate_per_minute: float | None  # the pace asked for, per platform minute (None: pacing off)
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))  # UTC

    @property
    def unfinished_rows(self) -> int:
        return self.total_rows - self.skipped_rows - self.finished_rows

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["started_at"] = self.started_at.isoformat().replace("+00:00", "Z")
        out["unfinished_rows"] = self.unfinished_rows
        return out

    def __str__(self) -> str:
        classes = ", ".join(f"{name} {count}" for name, count in sorted(self.error_classes.items())) or "none"
        text = (
            f"run {self.run_id}: {self.finished_rows} rows in {self.elapsed_s:.1f} s "
            f"({self.rows_per_s:.1f} rows/s), ok {self.ok_rows}, failed {self.failed_rows} "
            f"(errors: {classes}), {self.requests} requests, {self.rate_limited} x 429"
        )
        if self.skipped_rows:
            text += f", {self.skipped_rows} already done earlier"
        if self.stopped:
            text += f"; stopped with {self.unfinished_rows} rows not run (resume with run_id={self.run_id!r})"
        return text


@dataclass(frozen=True)
class _Row:
    row_id: str
    params: dict[str, Any]
    expected_invalid: bool


def _iter_rows(matrix: Any) -> Iterator[_Row]:
    """Rows of a ParameterMatrix (or anything iterable of MatrixRow-like objects)."""
    for row in matrix:
        row_id = getattr(row, "row_id", None)
        params = getattr(row, "params", None)
        if row_id is None or params is None:
            raise TypeError(
                f"matrix rows must have .row_id and .params (got {type(row).__name__}); build the matrix "
                "with ParameterMatrix.product/zip/from_records/from_dataframe/from_csv"
            )
        yield _Row(str(row_id), dict(params), bool(getattr(row, "expected_invalid", False)))


def _as_matrix(matrix: Any) -> Any:
    """Accept a ParameterMatrix (or any sized iterable of rows), a list of dicts, or a DataFrame."""
    if type(matrix).__name__ == "DataFrame" or isinstance(matrix, (list, tuple)):
        from genesys_nb.run.matrix import ParameterMatrix

        if type(matrix).__name__ == "DataFrame":
            return ParameterMatrix.from_dataframe(matrix)
        return ParameterMatrix.from_records(list(matrix))
    if hasattr(matrix, "__iter__") and hasattr(matrix, "__len__"):
        return matrix
    raise TypeError(
        f"matrix must be a ParameterMatrix, a list of dicts or a DataFrame (got {type(matrix).__name__})"
    )


# The row being executed by the current task, so the paced client knows whether it was stopped
# before or after its first request went out.
_ROW_SENT: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("genesys_nb_row_sent", default=None)


class _PacedClient:
    """Wraps an async client: every execute attempt waits for its pacing slot and reports back."""

    def __init__(self, client: AsyncDataActionsClient, gate: AsyncPacer, stopping: threading.Event) -> None:
        self._client = client
        self._gate = gate
        self._stopping = stopping
        self.requests = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _stopped_before_sending(self) -> bool:
        sent = _ROW_SENT.get()
        return self._stopping.is_set() and (sent is None or sent[0] == 0)

    async def execute(self, action_id: str, inputs: Mapping[str, Any], **kwargs: Any) -> ExecutionResult:
        if self._stopped_before_sending():
            raise RunStopped()
        seq = await self._gate.acquire(abort=self._stopped_before_sending)
        if seq is None:
            raise RunStopped()
        sent = _ROW_SENT.get()
        if sent is not None:
            sent[0] += 1
        self.requests += 1
        result = await self._client.execute(action_id, inputs, **kwargs)
        self._gate.on_response(seq=seq, status_code=result.status_code, rate_limit=result.rate_limit,
                               retry_after_s=result.retry_after_s)
        return result


def _record(audit: AuditLog, result: ExecutionResult, *, run_id: str, row: _Row, action: Action,
            webhook: str) -> None:
    """Append the row's record (the audit writer never fails on odd values: see genesys_nb.audit.jsonsafe)."""
    audit.write_result(result, params=row.params, run_id=run_id, row_id=row.row_id, action=action,
                       expected_invalid=row.expected_invalid, webhook=webhook)


def _emulator_time_scale(source: Any) -> float:
    """A session on the embedded emulator may compress time; pacing follows its clock."""
    emulator = getattr(source, "emulator", None)
    limits = getattr(emulator, "limits", None)
    scale = getattr(limits, "time_scale", 1.0)
    return float(scale) if isinstance(scale, (int, float)) and scale > 0 else 1.0


class MatrixRunner:
    """Runs a data action over a parameter matrix with bounded concurrency, pacing and an audit log.

    ``session_or_async_client``: a Session from ``genesys_nb.connect()``, an AsyncDataActionsClient,
    a DataActionsClient (its settings and token are reused) or Settings. ``rate_per_minute`` is in
    platform minutes (on an emulator with a compressed clock the pace is compressed alike);
    ``None`` turns pacing off. ``audit`` is an AuditLog, a path, or None (a temporary file, see
    ``audit_path``). ``webhook`` is a WebhookDispatcher, or a URL (the runner then owns a dispatcher
    whose outbox is ``webhook-outbox.ndjson`` beside the audit log).

    >>> # runner = MatrixRunner(connect(), concurrency=16)
    >>> # frame = runner.run("custom_-_...", ParameterMatrix.product(priority=[1, 2, 3]))
    """

    def __init__(
        self,
        session_or_async_client: Any,
        *,
        concurrency: int = 8,
        rate_per_minute: float | None = 300,
        audit: AuditLog | str | Path | None = None,
        webhook: WebhookDispatcher | str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        progress: bool = True,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be an int >= 1 (got {concurrency!r})")
        if concurrency > MAX_CONCURRENCY:
            warnings.warn(
                f"concurrency={concurrency} is above the platform's {MAX_CONCURRENCY} concurrent executions; "
                f"using {MAX_CONCURRENCY}", UserWarning, stacklevel=2,
            )
            concurrency = MAX_CONCURRENCY
        Pacer(rate_per_minute)  # validates the rate now, with a clear message
        if not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy (got {type(retry).__name__})")
        self._source = session_or_async_client
        self._check_source(session_or_async_client)
        self.concurrency = concurrency
        self.rate_per_minute = None if rate_per_minute is None else float(rate_per_minute)
        self.retry = retry
        self.webhook = webhook
        self.progress = progress
        self._audit_arg = audit
        self.audit_path: Path | None = None
        if isinstance(audit, (str, Path)):
            self.audit_path = Path(audit)
        elif audit is not None:
            self.audit_path = Path(audit.path)
        self.last_summary: RunSummary | None = None
        self.last_run_id: str | None = None
        self._stopping = threading.Event()
        self._hard_stop: tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]] | None = None
        self._running = threading.Lock()

    def __repr__(self) -> str:
        return (f"MatrixRunner(concurrency={self.concurrency}, rate_per_minute={self.rate_per_minute}, "
                f"audit={str(self.audit_path) if self.audit_path else None!r})")

    # ---- the source of requests -------------------------------------------------------------
    @staticmethod
    def _check_source(source: Any) -> None:
        from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
        from genesys_nb.api.settings import Settings

        if isinstance(source, (AsyncDataActionsClient, DataActionsClient, Settings)):
            return
        if getattr(source, "settings", None) is not None and (
            hasattr(source, "async_client") or hasattr(source, "client")
        ):
            return  # a Session
        raise TypeError(
            "MatrixRunner needs a Session from genesys_nb.connect(), an AsyncDataActionsClient, "
            f"a DataActionsClient or Settings (got {type(source).__name__})"
        )

    def _make_client(self) -> tuple[AsyncDataActionsClient, bool]:
        """The async client for one run and whether the runner owns (and must close) it."""
        from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
        from genesys_nb.api.http1 import default_async_transport
        from genesys_nb.api.settings import Settings

        source = self._source
        if isinstance(source, AsyncDataActionsClient):
            return source, False
        if isinstance(source, Settings):
            return AsyncDataActionsClient(source, transport=default_async_transport()), True
        if isinstance(source, DataActionsClient):
            return AsyncDataActionsClient(source.settings, transport=default_async_transport(), auth=source.auth), True
        # A Session: a client of our own bound to this run's event loop, sharing the session's token.
        transport = getattr(source, "async_transport", None) or default_async_transport()
        auth = None
        for name in ("async_client", "client"):
            auth = getattr(getattr(source, name, None), "auth", None)
            if auth is not None:
                break
        return AsyncDataActionsClient(source.settings, transport=transport, auth=auth), True

    # ---- control ----------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the current run: rows not yet sent are dropped, rows in flight finish and are recorded.

        Safe to call from any thread (a notebook button). Calling it twice cancels rows in flight
        too (they are then not recorded; resume re-runs them).
        """
        if self._stopping.is_set() and self._hard_stop is not None:
            loop, task = self._hard_stop
            loop.call_soon_threadsafe(task.cancel)
        self._stopping.set()

    @property
    def running(self) -> bool:
        return self._running.locked()

    # ---- running ----------------------------------------------------------------------------
    def run(
        self, action_id: str, matrix: Any, *, timeout_ms: int = 30000, idempotent: bool = False,
        run_id: str | None = None, resume: bool = False,
    ) -> pd.DataFrame:
        """Run every row and return one DataFrame row per matrix row (see the module docstring).

        Works from a script and from a notebook cell: when an event loop is already running in
        this thread, the run gets its own loop in a worker thread.
        """
        coroutine_args = (action_id, matrix)
        kwargs: dict[str, Any] = {"timeout_ms": timeout_ms, "idempotent": idempotent, "run_id": run_id,
                                  "resume": resume}
        try:
            asyncio.get_running_loop()
            in_a_loop = True
        except RuntimeError:
            in_a_loop = False
        if in_a_loop:
            return self._run_in_thread(*coroutine_args, **kwargs)
        return asyncio.run(self.arun(*coroutine_args, **kwargs))

    def _run_in_thread(self, action_id: str, matrix: Any, **kwargs: Any) -> pd.DataFrame:
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["frame"] = asyncio.run(self.arun(action_id, matrix, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread as is
                outcome["error"] = exc

        thread = threading.Thread(target=target, name="genesys-nb-runner", daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.1)
        except KeyboardInterrupt:
            self.stop()
            self.stop()  # twice: cancel what is in flight as well
            thread.join()
            raise
        if "error" in outcome:
            raise outcome["error"]
        return outcome["frame"]

    async def arun(
        self, action_id: str, matrix: Any, *, timeout_ms: int = 30000, idempotent: bool = False,
        run_id: str | None = None, resume: bool = False,
    ) -> pd.DataFrame:
        """The async form of :meth:`run`, for code already inside an event loop."""
        from genesys_nb.api.client import validate_timeout_ms

        if not isinstance(action_id, str) or not action_id.strip():
            raise ValueError("action_id must be a non-empty string such as 'custom_-_...'")
        timeout_ms = validate_timeout_ms(timeout_ms)
        if resume and not run_id:
            raise ValueError("resume=True needs run_id: the id of the run to continue (see last_summary.run_id)")
        matrix = _as_matrix(matrix)
        if not self._running.acquire(blocking=False):
            raise RuntimeError("this MatrixRunner is already running; wait for it or call stop()")
        try:
            self._stopping.clear()
            run_id = run_id or _new_run_id()
            self.last_run_id = run_id
            audit, owns_audit = self._open_audit()
            try:
                action = await self._run(action_id, matrix, audit, timeout_ms=timeout_ms, idempotent=idempotent,
                                         run_id=run_id, resume=resume)
            finally:
                if owns_audit:
                    audit.close()
            return self._frame(matrix, run_id, secure=bool(getattr(action, "secure", False)))
        finally:
            self._hard_stop = None
            self._running.release()

    def _open_audit(self) -> tuple[AuditLog, bool]:
        from genesys_nb.audit.writer import AuditLog

        if isinstance(self._audit_arg, AuditLog):
            self.audit_path = self._audit_arg.path
            return self._audit_arg, False
        if self.audit_path is None:
            self.audit_path = Path(tempfile.mkdtemp(prefix="genesys-nb-run-")) / "audit.ndjson"
            logger.info("audit log for this runner: %s", self.audit_path)
        return AuditLog(self.audit_path), True

    async def _run(
        self, action_id: str, matrix: Any, audit: AuditLog, *, timeout_ms: int, idempotent: bool,
        run_id: str, resume: bool,
    ) -> Action:
        from genesys_nb.audit.writer import terminal_row_ids
        from genesys_nb.contract.validator import DataActionValidator
        from genesys_nb.run.executor import AsyncDataActionExecutor

        assert self.audit_path is not None
        done = terminal_row_ids(self.audit_path, run_id) if self.audit_path.exists() else set()
        if done and not resume:
            raise ValueError(
                f"run_id {run_id!r} already has {len(done)} records in {self.audit_path}; pass resume=True "
                "to run only its missing rows, or use a new run_id"
            )
        total = len(matrix)
        client, owns_client = self._make_client()
        current = asyncio.current_task()
        assert current is not None
        self._hard_stop = (asyncio.get_running_loop(), current)
        started, started_at = time.perf_counter(), datetime.now(timezone.utc)
        counts: Counter[str] = Counter()
        rate = None if self.rate_per_minute is None else self.rate_per_minute * _emulator_time_scale(self._source)
        gate = AsyncPacer(Pacer(rate))
        paced = _PacedClient(client, gate, self._stopping)
        action: Action | None = None
        bar = None
        dispatcher, owns_dispatcher = self._open_webhook()
        try:
            action = await client.get_action(action_id)  # raises APIError (404, 403...) as is
            validator = DataActionValidator(client)
            validator.prime(action)
            checked = AsyncDataActionExecutor(paced, retry=self.retry, validate=True, validator=validator)  # type: ignore[arg-type]
            unchecked = AsyncDataActionExecutor(paced, retry=self.retry, validate=False, validator=validator)  # type: ignore[arg-type]
            bar = self._progress_bar(total, len(done), action)
            rows = (row for row in _iter_rows(matrix) if row.row_id not in done)
            shown = [0, 0]  # errors and 429s last shown in the progress bar

            async def worker() -> None:
                for row in rows:  # a shared generator: each row is taken by exactly one worker
                    if self._stopping.is_set():
                        return
                    token = _ROW_SENT.set([0])
                    try:
                        executor = unchecked if row.expected_invalid else checked
                        result = await executor.execute(action_id, row.params, timeout_ms=timeout_ms,
                                                        idempotent=idempotent)
                    except RunStopped:
                        return
                    finally:
                        _ROW_SENT.reset(token)
                    webhook_state = self._dispatch_webhook(dispatcher, action, run_id, row, result)
                    _record(audit, result, run_id=run_id, row=row, action=action, webhook=webhook_state)
                    counts["ok" if result.ok else (result.error_class or "unknown")] += 1
                    if bar is not None:
                        bar.update(1)
                        errors, limited = sum(counts.values()) - counts["ok"], gate.pacer.stats.rate_limited
                        if [errors, limited] != shown:
                            shown[:] = [errors, limited]
                            bar.set_postfix(errors=errors, **{"429s": limited}, refresh=False)

            workers = [asyncio.create_task(worker()) for _ in range(min(self.concurrency, max(1, total)))]
            try:
                await asyncio.gather(*workers)
            except BaseException:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                self._stopping.set()
                raise
        finally:
            if bar is not None:
                bar.close()
            if owns_client:
                await client.aclose()
            if dispatcher is not None:
                if getattr(dispatcher, "mode", "row") == "run":
                    dispatcher.finish_run(run_id)
                if owns_dispatcher:
                    # Waits for deliveries in flight; what still fails goes to the outbox.
                    await asyncio.to_thread(dispatcher.close)
            self.last_summary = self._summary(
                run_id, action_id, action, total, len(done), counts, time.perf_counter() - started, started_at,
                paced.requests, gate.pacer.stats, self.rate_per_minute,
            )
            if self.last_summary.stopped:
                logger.warning("%s", self.last_summary)
        return action

    def _dispatch_webhook(self, dispatcher: Any, action: Action, run_id: str, row: _Row,
                          result: ExecutionResult) -> str:
        """Hand the row's completion event to the dispatcher (never waits for delivery)."""
        if dispatcher is None:
            return "none"
        try:
            ticket = dispatcher.submit(result, run_id=run_id, row_id=row.row_id, action=action, params=row.params)
        except Exception:  # a webhook never fails a row
            logger.warning("webhook for row %s could not be queued", row.row_id, exc_info=True)
            return "failed"
        return "none" if ticket is None else str(ticket.state)

    def _open_webhook(self) -> tuple[Any, bool]:
        """The dispatcher for this run and whether the runner owns (and must close) it."""
        if self.webhook is None or not isinstance(self.webhook, str):
            return self.webhook, False
        from genesys_nb.run.webhook import WebhookDispatcher

        assert self.audit_path is not None
        outbox = self.audit_path.with_name("webhook-outbox.ndjson")
        return WebhookDispatcher(self.webhook, outbox=outbox), True

    def _progress_bar(self, total: int, already: int, action: Action) -> Any:
        if not self.progress:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, initial=already, unit="row", desc=action.name or action.id, dynamic_ncols=True,
                    mininterval=0.2)

    def _summary(
        self, run_id: str, action_id: str, action: Action | None, total: int, skipped: int, counts: Counter[str],
        elapsed_s: float, started_at: datetime, requests: int, stats: PacerStats, rate: float | None,
    ) -> RunSummary:
        finished = sum(counts.values())
        errors = {name: count for name, count in counts.items() if name != "ok"}
        return RunSummary(
            run_id=run_id, action_id=action_id, action_name=getattr(action, "name", None), total_rows=total,
            skipped_rows=skipped, finished_rows=finished, ok_rows=counts["ok"], failed_rows=finished - counts["ok"],
            error_classes=errors, elapsed_s=elapsed_s, rows_per_s=finished / elapsed_s if elapsed_s > 0 else 0.0,
            requests=requests, rate_limited=stats.rate_limited, slowdowns=stats.slowdowns,
            stopped=skipped + finished < total, audit_path=str(self.audit_path), concurrency=self.concurrency,
            rate_per_minute=rate, started_at=started_at,
        )

    # ---- the result table -------------------------------------------------------------------
    def _frame(self, matrix: Any, run_id: str, *, secure: bool) -> pd.DataFrame:
        """One row per matrix row that has a record, in matrix order, read back from the audit log."""
        assert self.audit_path is not None
        frame = result_frame(self.audit_path, run_id, matrix, secure=secure)
        frame.attrs["audit_path"] = str(self.audit_path)
        if self.last_summary is not None:
            frame.attrs["summary"] = self.last_summary.to_dict()
        return frame


# ---- the result table, streamed from the audit log -------------------------------------------------
_CHUNK_ROWS = 5_000
_SCALARS = (  # (frame column, record key)
    ("row_id", "row_id"), ("ok", "success"), ("error_class", "error_class"), ("status_code", "status_code"),
    ("latency_ms", "latency_ms"), ("total_ms", "total_ms"), ("attempts", "attempts"),
    ("retry_wait_ms", "retry_wait_ms"), ("correlation_id", "correlation_id"),
    ("expected_invalid", "expected_invalid"), ("error_code", "error_code"), ("error_message", "error_message"),
    ("timestamp", "timestamp"), ("webhook", "webhook"),
)


def _flat(value: Any) -> dict[str, Any]:
    """Dotted columns of params/output; a redacted or missing value gives no columns."""
    return flatten_dotted(value) if isinstance(value, Mapping) else {}


def _chunk_frame(records: list[dict[str, Any]], positions: list[int], redacted_fields: list[str] | None
                 ) -> pd.DataFrame:
    import pandas as pd

    from genesys_nb.audit.writer import REDACTED

    columns: dict[str, Any] = {"_position": positions}
    columns["row_id"] = [r.get("row_id") for r in records]
    if redacted_fields is not None:
        params = pd.DataFrame({f"params.{name}": [REDACTED] * len(records) for name in redacted_fields})
    else:
        params = pd.DataFrame.from_records([_flat(r.get("params")) for r in records])
        params.columns = [f"params.{name}" for name in params.columns]
    for column, key in _SCALARS[1:]:
        columns[column] = [r.get(key) for r in records]
    outputs = pd.DataFrame.from_records([_flat(r.get("output")) for r in records])
    outputs.columns = [f"output.{name}" for name in outputs.columns]
    scalars = _typed_scalars(pd.DataFrame(columns))  # typed per chunk: no big column of strings piles up
    return pd.concat([scalars[["_position", "row_id"]], params, scalars.drop(columns=["_position", "row_id"]),
                      outputs], axis=1)


def result_frame(audit_path: Path, run_id: str, matrix: Any, *, secure: bool = False) -> pd.DataFrame:
    """The run's records as one typed DataFrame in matrix order (the last record of a row wins).

    Streams the log in chunks, so building the table costs about the table's own size in memory,
    not the log's. Inputs are the recorded (scrubbed) ``params``; for secure actions every input
    column holds the redaction marker, as in the log.
    """
    import numpy as np
    import orjson
    import pandas as pd

    order: dict[str, int] = {}
    fields: dict[str, None] = {}
    for position, row in enumerate(matrix):
        order[str(row.row_id)] = position
        if secure:
            fields.update(dict.fromkeys(_flat(row.params)))
    redacted_fields = list(fields) if secure else None
    needle = orjson.dumps(run_id)
    chunks: list[pd.DataFrame] = []
    records: list[dict[str, Any]] = []
    positions: list[int] = []
    seen: set[str] = set()
    repeated = False
    with open(audit_path, "rb") as handle:
        for line in handle:
            if needle not in line:
                continue  # another run's record: skip without parsing
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # a torn last line (the reader reports it); its row has no record
            if not isinstance(record, dict) or record.get("run_id") != run_id:
                continue
            row_id = str(record.get("row_id"))
            repeated = repeated or row_id in seen
            seen.add(row_id)
            records.append(record)
            positions.append(order.get(row_id, len(order)))
            if len(records) >= _CHUNK_ROWS:
                chunks.append(_chunk_frame(records, positions, redacted_fields))
                records, positions = [], []
    del seen, order
    if records or not chunks:
        chunks.append(_chunk_frame(records, positions, redacted_fields))
    frame = pd.concat(chunks, ignore_index=True, sort=False) if len(chunks) > 1 else chunks[0]
    del chunks
    if repeated:  # a row recorded twice (a resumed run that re-ran a row by hand): the last record wins
        frame = frame.drop_duplicates("row_id", keep="last")
    positions_column = frame.pop("_position")
    if not positions_column.is_monotonic_increasing:
        # One reordering copy (records arrive in completion order, not matrix order).
        frame = frame.take(np.argsort(positions_column.to_numpy(), kind="stable"))
    del positions_column
    frame = frame.reset_index(drop=True)
    for name in ("error_class", "webhook"):
        frame[name] = frame[name].astype("category")
    frame.attrs["run_id"] = run_id
    return frame


def _typed_scalars(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    frame["row_id"] = frame["row_id"].astype(str)
    frame["ok"] = frame["ok"].fillna(False).astype(bool)
    frame["expected_invalid"] = frame["expected_invalid"].fillna(False).astype(bool)
    frame["status_code"] = pd.array(frame["status_code"], dtype="Int64")
    frame["attempts"] = pd.array(frame["attempts"], dtype="Int64")
    for name in ("latency_ms", "total_ms", "retry_wait_ms"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601", errors="coerce").dt.as_unit("ns")
    for name in ("error_class", "webhook"):
        frame[name] = frame[name].astype(object)  # made categorical once the chunks are joined
    for name in ("correlation_id", "error_code", "error_message"):
        # Arrow-backed text: a few bytes per value instead of a Python object each (None -> <NA>).
        frame[name] = frame[name].astype(_TEXT)
    return frame


_TEXT = "string[pyarrow]"


def _new_run_id() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"run-{stamp}-{uuid.uuid4().hex[:6]}"
