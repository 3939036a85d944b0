"""MatrixRunner: run one data action over every row of a parameter matrix, fast, paced and audited.

One run, start to finish:

1. The action is fetched once (``get_action``) and primed in a shared validator.
2. ``concurrency`` workers (at most the platform's 50 in flight) take rows one at a time. Every
   execute attempt, retries included, first waits for its slot from the pacer
   (:mod:`genesys_nb.run.pacing`): a token bucket under ``rate_per_minute`` that adapts to the
   ``inin-ratelimit-*`` headers and to any 429.
3. Each finished row is appended to the audit log at once (one record per row), then its webhook
   is handed to the dispatcher without waiting for delivery (see :mod:`genesys_nb.run._run_webhooks`:
   the event is durable in the audit first, its settled state later, a resume re-sends what never
   settled). No per-row Python object is kept: the DataFrame is built at the end from the log.
4. Before each attempt leaves, a ``sending`` intent record (row, attempt, the sha256 of the exact
   body) is appended, so a crash leaves rows whose outcome is known to be unknown.
5. ``resume=True`` with the same ``run_id`` runs only the rows that have no record yet. A row that
   was sent and never recorded (kill -9, a cancelled request) has an unknown outcome: it is not sent
   again unless ``idempotent=True`` or ``rerun_unknown=True``; it gets an ``unknown`` record instead
   and is listed in ``last_summary.unknown_rows``.

The DataFrame has one row per matrix row, in matrix order: ``row_id``, ``params.<field>``, ``ok``,
``error_class``, ``status_code``, ``latency_ms`` (last attempt), ``total_ms`` (first send to final
answer), ``queue_ms`` (waited for the first pacing slot), ``attempts``, ``retry_wait_ms``,
``correlation_id``, ``expected_invalid``, ``error_code``, ``error_message``, ``timestamp``, ``webhook``,
then ``output.<field>`` (the output flattened; nested fields dotted). ``frame.attrs`` holds ``run_id``,
``audit_path`` and the run's ``summary``. Rows marked ``expected_invalid`` (cases derived from the
contract to probe its edges) are sent without the local input check: the result shows the platform's answer.

Stopping: ``stop()`` (thread-safe; the notebook Run panel's button) lets rows whose request was
already sent finish and be recorded, and drops rows not yet sent. Ctrl-C / task cancellation
stops at once: finished rows are recorded, unfinished ones are not (``resume`` re-runs them). A
request cut off in flight may still have run on the platform, so for an action that is not
idempotent prefer ``stop()``, which never leaves a sent request unrecorded.

A row's ``webhook`` field ends ``"delivered"`` or ``"failed"`` (a failed event is in the outbox,
from where ``genesys-nb webhook replay`` sends it), ``"none"`` without a per-row dispatcher, or
``"pending"`` while it is on its way: every reader shows the settled state. The paced client is in
:mod:`genesys_nb.run._client`, the summary and result table in :mod:`genesys_nb.run._results`, the
reading of matrix rows in :mod:`genesys_nb.run._rows`.
"""
from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.api.retry import RetryPolicy
from genesys_nb.audit.outcomes import UNKNOWN, failures, outcome_of
from genesys_nb.run._client import (
    _BEFORE_SEND,
    _ROW_SENT,
    RunStopped,
    _check_source,
    _emulator_time_scale,
    _make_client,
    _PacedClient,
    new_row,
    run_in_worker_thread,
    timed_from_first_send,
)
from genesys_nb.run._intents import _intent_writer
from genesys_nb.run._results import RunSummary, _summarize, result_frame
from genesys_nb.run._rows import _as_matrix, _bind_contract, _iter_rows, _Row
from genesys_nb.run._run_webhooks import Settling, dispatch_webhook, open_webhook, per_row, redeliver_pending
from genesys_nb.run.pacing import AsyncPacer, Pacer

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


def _record(audit: AuditLog, result: ExecutionResult, *, run_id: str, row: _Row, action: Action,
            webhook: str) -> None:
    """Append the row's record (the audit writer never fails on odd values: see genesys_nb.audit.jsonsafe)."""
    audit.write_result(result, params=row.params, run_id=run_id, row_id=row.row_id, action=action,
                       expected_invalid=row.expected_invalid, webhook=webhook)


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
    _check_source = staticmethod(_check_source)

    def _make_client(self) -> tuple[AsyncDataActionsClient, bool]:
        """The async client for one run and whether the runner owns (and must close) it."""
        return _make_client(self._source)

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
        run_id: str | None = None, resume: bool = False, rerun_unknown: bool = False,
    ) -> pd.DataFrame:
        """Run every row and return one DataFrame row per matrix row (see the module docstring).

        Works from a script and from a notebook cell: when an event loop is already running in
        this thread, the run gets its own loop in a worker thread.
        """
        coroutine_args = (action_id, matrix)
        kwargs: dict[str, Any] = {"timeout_ms": timeout_ms, "idempotent": idempotent, "run_id": run_id,
                                  "resume": resume, "rerun_unknown": rerun_unknown}
        try:
            asyncio.get_running_loop()
            in_a_loop = True
        except RuntimeError:
            in_a_loop = False
        if in_a_loop:
            return self._run_in_thread(*coroutine_args, **kwargs)
        return asyncio.run(self.arun(*coroutine_args, **kwargs))

    def _run_in_thread(self, action_id: str, matrix: Any, **kwargs: Any) -> pd.DataFrame:
        return run_in_worker_thread(lambda: self.arun(action_id, matrix, **kwargs), self.stop)

    async def arun(
        self, action_id: str, matrix: Any, *, timeout_ms: int = 30000, idempotent: bool = False,
        run_id: str | None = None, resume: bool = False, rerun_unknown: bool = False,
    ) -> pd.DataFrame:
        """The async form of :meth:`run`, for code already inside an event loop."""
        from genesys_nb.api.client import validate_timeout_ms

        if not isinstance(action_id, str) or not action_id.strip():
            raise ValueError("action_id must be a non-empty string such as 'custom_-_...'")
        timeout_ms = validate_timeout_ms(timeout_ms)
        if resume and not run_id:
            raise ValueError("resume=True needs run_id: the id of the run to continue (see last_summary.run_id)")
        if rerun_unknown and not resume:
            raise ValueError("rerun_unknown=True goes with resume=True: it re-sends rows an earlier run left unknown")
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
                                         run_id=run_id, resume=resume, rerun_unknown=rerun_unknown)
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
            self.audit_path = Path(tempfile.mkdtemp(prefix="genesys-nb-run-")) / "audit"  # a folder: one segment per run
            logger.info("audit log for this runner: %s", self.audit_path)
        return AuditLog(self.audit_path), True

    async def _run(
        self, action_id: str, matrix: Any, audit: AuditLog, *, timeout_ms: int, idempotent: bool,
        run_id: str, resume: bool, rerun_unknown: bool = False,
    ) -> Action:
        from genesys_nb.api.names import aresolve_action_id
        from genesys_nb.audit.records import ResumeState, resume_state, run_ids
        from genesys_nb.contract.validator import DataActionValidator
        from genesys_nb.run._run_webhooks import announce_unknown
        from genesys_nb.run.executor import AsyncDataActionExecutor

        assert self.audit_path is not None
        state = resume_state(self.audit_path, run_id) if self.audit_path.exists() else ResumeState()
        if state.seen and not resume:
            raise ValueError(
                f"run_id {run_id!r} already has {len(state.seen)} rows in {self.audit_path}; pass resume=True "
                "to run only its missing rows, or use a new run_id"
            )
        if resume and not state.seen:  # resuming a run that is not there would send every row afresh
            known = run_ids(self.audit_path) if self.audit_path.exists() else []
            raise ValueError(f"nothing to resume: {self.audit_path} has no run {run_id!r}; runs there: "
                             f"{', '.join(known[-10:]) or 'none'}")
        rerun = rerun_unknown or idempotent  # an unknown outcome is re-sent only when that is safe or asked for
        done = state.done if rerun else state.done | state.recorded_unknown
        to_mark = {} if rerun else {k: v for k, v in state.unknown.items() if k not in state.recorded_unknown}
        if to_mark:
            logger.warning("%d rows of run %s were sent and never recorded: their outcome is unknown, so they are "
                           "not sent again (resume with rerun_unknown=True once checked)", len(to_mark), run_id)
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
        dispatcher, owns_dispatcher = open_webhook(self.webhook, self.audit_path)
        unknown_rows: list[str] = []
        redelivered, settling = 0, Settling(self.audit_path)
        try:
            action_id = await aresolve_action_id(client, action_id)  # a name works too
            validator = DataActionValidator(client)
            action = validator.prime(await client.get_action(action_id))  # raises APIError (404, 403...) as is
            _bind_contract(matrix, action)  # a DataFrame or records: read through the contract, in one place
            hooks = per_row(dispatcher)
            if hooks and state.webhook_pending:  # events a killed run had recorded but not delivered
                redelivered = await redeliver_pending(dispatcher, settling, run_id, state.webhook_pending)
            if to_mark:  # sent and never recorded: an unknown record each, announced by its own event
                unknown_rows += await announce_unknown(audit, matrix, to_mark, action=action, action_id=action_id,
                                                       run_id=run_id, timeout_ms=timeout_ms, dispatcher=dispatcher,
                                                       settling=settling)
                counts[UNKNOWN], done = len(unknown_rows), done | set(unknown_rows)
            checked = AsyncDataActionExecutor(paced, retry=self.retry, validate=True, validator=validator)  # type: ignore[arg-type]
            unchecked = AsyncDataActionExecutor(paced, retry=self.retry, validate=False, validator=validator)  # type: ignore[arg-type]
            bar = self._progress_bar(total, len(done), action)

            def pending_rows() -> Any:
                for row in _iter_rows(matrix):
                    if row.row_id in done:
                        continue
                    yield row

            rows = pending_rows()
            shown = [0, 0]  # errors and 429s last shown in the progress bar

            async def worker() -> None:
                for row in rows:  # a shared generator: each row is taken by exactly one worker
                    if self._stopping.is_set():
                        return
                    token = _ROW_SENT.set(sent := new_row())
                    hook = _BEFORE_SEND.set(_intent_writer(audit, run_id, row, action_id))
                    try:
                        executor = unchecked if row.expected_invalid else checked
                        result = await executor.execute(action_id, row.params, timeout_ms=timeout_ms,
                                                        idempotent=idempotent)
                    except RunStopped:
                        return
                    finally:
                        _BEFORE_SEND.reset(hook)
                        _ROW_SENT.reset(token)
                    result = timed_from_first_send(result, sent)  # queue_ms apart, total_ms from the first send
                    # The record first (webhook pending: the event is durable), then the event.
                    _record(audit, result, run_id=run_id, row=row, action=action,
                            webhook="pending" if hooks else "none")
                    if hooks:
                        await dispatch_webhook(dispatcher, settling, action, run_id, row, result)
                    counts[outcome_of(result.ok, row.expected_invalid, result.error_class)] += 1
                    if bar is not None:
                        bar.update(1)
                        errors, limited = failures(counts), gate.pacer.stats.rate_limited
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
                settling.finish()
                if owns_dispatcher:
                    # Waits for deliveries in flight; what still fails goes to the outbox.
                    await asyncio.to_thread(dispatcher.close)
            self.last_summary = _summarize(
                run_id, action_id, action, total, len(done), counts, time.perf_counter() - started, started_at,
                paced.requests, gate.pacer.stats, self.rate_per_minute, audit_path=str(self.audit_path),
                concurrency=self.concurrency, unknown_rows=tuple(unknown_rows), webhooks_redelivered=redelivered,
            )
            if self.last_summary.stopped and action is not None:  # a run that never started stopped nothing
                logger.warning("%s", self.last_summary)
        return action

    def _progress_bar(self, total: int, already: int, action: Action) -> Any:
        if not self.progress:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, initial=already, unit="row", desc=action.name or action.id, dynamic_ncols=True,
                    mininterval=0.2)

    # ---- the result table -------------------------------------------------------------------
    def _frame(self, matrix: Any, run_id: str, *, secure: bool) -> pd.DataFrame:
        """One row per matrix row that has a record, in matrix order, read back from the audit log."""
        assert self.audit_path is not None
        frame = result_frame(self.audit_path, run_id, matrix, secure=secure)
        frame.attrs["audit_path"] = str(self.audit_path)
        if self.last_summary is not None:
            frame.attrs["summary"] = self.last_summary.to_dict()
        return frame


def _new_run_id() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"run-{stamp}-{uuid.uuid4().hex[:6]}"
