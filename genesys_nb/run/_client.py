"""The client a run sends through: made from what the runner was given (a Session, a client or
Settings), paced on the source's clock, and stopped cleanly between rows.

Every execute attempt of :class:`_PacedClient` first waits for its slot from the pacer; a row
stopped before its first request went out raises :class:`RunStopped` instead.
"""
from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from genesys_nb.run.pacing import AsyncPacer

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.api.client import AsyncDataActionsClient
    from genesys_nb.api.result import ExecutionResult


class RunStopped(Exception):
    """Raised inside a row that was stopped before its request was sent (never escapes a run)."""


def _check_source(source: Any) -> None:
    """Raise TypeError unless ``source`` is something a run can get its client from."""
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


def _make_client(source: Any) -> tuple[AsyncDataActionsClient, bool]:
    """The async client for one run and whether the runner owns (and must close) it."""
    from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
    from genesys_nb.api.settings import Settings

    # Without a transport of the caller's, the client sends through httpx's own transport behind the
    # proxy and TLS rules of genesys_nb.api.network (the same as the sync client and its token requests).
    if isinstance(source, AsyncDataActionsClient):
        return source, False
    if isinstance(source, Settings):
        return AsyncDataActionsClient(source), True
    if isinstance(source, DataActionsClient):
        return AsyncDataActionsClient(source.settings, auth=source.auth, network=source.network), True
    # A Session: a client of our own bound to this run's event loop, sharing the session's token.
    transport = getattr(source, "async_transport", None)
    auth = network = None
    for name in ("async_client", "client"):
        auth = getattr(getattr(source, name, None), "auth", None)
        if auth is not None:
            network = getattr(getattr(source, name, None), "network", None)
            break
    return AsyncDataActionsClient(source.settings, transport=transport, auth=auth, network=network), True


def _emulator_time_scale(source: Any) -> float:
    """A session on the embedded emulator may compress time; pacing follows its clock."""
    emulator = getattr(source, "emulator", None)
    limits = getattr(emulator, "limits", None)
    scale = getattr(limits, "time_scale", 1.0)
    return float(scale) if isinstance(scale, (int, float)) and scale > 0 else 1.0


# The row being executed by the current task, so the paced client knows whether it was stopped
# before or after its first request went out.
# It holds [attempts sent, seconds queued for the first slot, perf_counter when the first attempt left,
# perf_counter when the row started] (see new_row and timed_from_first_send).
_ROW_SENT: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("genesys_nb_row_sent", default=None)


def new_row() -> list[Any]:
    """The pacing record of a row about to start (set in ``_ROW_SENT`` for its execution)."""
    return [0, 0.0, 0.0, time.perf_counter()]
# Called with the attempt number once the attempt has its slot and is about to leave: where the
# runner writes the row's "sending" intent (never for an attempt dropped by stop()).
_BEFORE_SEND: contextvars.ContextVar[Callable[[int], object] | None] = contextvars.ContextVar(
    "genesys_nb_before_send", default=None)


def timed_from_first_send(result: ExecutionResult, row: list[Any]) -> ExecutionResult:
    """``result`` with ``queue_ms`` (the wait for the first pacing slot) and ``total_ms`` from the first send.

    The executor measures ``total_ms`` from the row's start (just after :func:`new_row`); the time before
    the first request left (local checks and the queue) is taken off. A row never sent keeps its total
    (its local checks) and no queue time.
    """
    import dataclasses

    _, queue_s, first_sent, row_started = row
    if not first_sent:
        return result
    before_send_ms = max(0.0, (first_sent - row_started) * 1000.0)
    return dataclasses.replace(result, queue_ms=queue_s * 1000.0,
                               total_ms=max(result.total_ms - before_send_ms, result.latency_ms))


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
        queued_at = time.perf_counter()
        seq = await self._gate.acquire(abort=self._stopped_before_sending)
        if seq is None:
            raise RunStopped()
        sent = _ROW_SENT.get()
        if sent is not None:
            if not sent[0]:  # the first attempt of the row leaves now
                sent[2] = time.perf_counter()
                sent[1] = sent[2] - queued_at
            sent[0] += 1
        before_send = _BEFORE_SEND.get()
        if before_send is not None:
            before_send(sent[0] if sent is not None else self.requests + 1)
        self.requests += 1
        result = await self._client.execute(action_id, inputs, **kwargs)
        self._gate.on_response(seq=seq, status_code=result.status_code, rate_limit=result.rate_limit,
                               retry_after_s=result.retry_after_s)
        return result


def run_in_worker_thread(make_coroutine: Callable[[], Any], stop: Callable[[], None]) -> Any:
    """Run a coroutine on its own event loop in a worker thread (for callers already inside a loop).

    Ctrl-C in the calling thread stops the run twice over (rows in flight are cancelled too) and is
    raised again once the worker has ended; the worker's own exception is raised as is.
    """
    import asyncio

    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(make_coroutine())
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread as is
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="genesys-nb-runner", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        stop()
        stop()  # twice: cancel what is in flight as well
        thread.join()
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
