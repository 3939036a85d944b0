"""A run's webhooks, durable across a crash: each row's event is in the audit before it is handed over.

A row's terminal record (an unknown one too) is written first, with ``webhook: "pending"``: from then
on the event can be rebuilt from the audit alone. The event then goes to the dispatcher, with an id derived from run and
row (``event_id_for``), and when it settles its state (``delivered`` or ``failed``, the failed one
also in the outbox) is appended as a ``webhook`` record. A resume re-sends, with the same id, every
event whose row says pending and has no settled state, so a kill -9 at any moment loses no webhook;
a receiver that deduplicates by ``webhook-id`` sees each event once.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.api.models import Action
    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.audit.writer import AuditLog
    from genesys_nb.run._rows import _Row

logger = logging.getLogger("genesys_nb")


def per_row(dispatcher: Any) -> bool:
    """Whether the dispatcher sends one event per row (mode "row"), the events a run keeps durable."""
    return dispatcher is not None and getattr(dispatcher, "mode", "row") == "row"


class Settling:
    """The run's events not yet settled: each settled state is appended to the audit when it comes,
    through a handle of its own, so a delivery that settles after the run returned is still recorded
    (no row, and no run, waits on a delivery)."""

    def __init__(self, audit_path: Path) -> None:
        self._path = audit_path
        self._log: AuditLog | None = None
        self._open: set[Any] = set()
        self._finished = False
        self._lock = threading.Lock()

    def track(self, ticket: Any) -> None:
        with self._lock:
            self._open.add(ticket)
        ticket.add_done_callback(self._settled)

    def _settled(self, ticket: Any) -> None:
        from genesys_nb.audit.writer import AuditLog

        with self._lock:
            self._open.discard(ticket)
            if self._log is None:
                self._log = AuditLog(self._path)
            self._log.write_webhook_state(run_id=ticket.run_id, row_id=ticket.row_id, state=ticket.state,
                                          event_id=ticket.event_id)
            self._close_if_done()

    def finish(self) -> None:
        """The run is over: the handle closes once the last open event has settled."""
        with self._lock:
            self._finished = True
            self._close_if_done()

    def _close_if_done(self) -> None:
        if self._finished and not self._open and self._log is not None:
            self._log.close()
            self._log = None


async def dispatch_webhook(dispatcher: Any, settling: Settling, action: Action, run_id: str, row: _Row,
                           result: ExecutionResult) -> None:
    """Hand the row's event over (its terminal record, already written, says pending); never fails a row.

    Waits for room in the dispatcher's queue without blocking the loop (back-pressure, never a drop).
    """
    from genesys_nb.audit.records import UNKNOWN
    from genesys_nb.run.webhook import event_id_for

    event_id = event_id_for(run_id, row.row_id, unknown=result.error_class == UNKNOWN)
    try:
        ticket = await dispatcher.submit_async(result, run_id=run_id, row_id=row.row_id, action=action,
                                               params=row.params, event_id=event_id)
    except Exception:  # a webhook never fails a row; the row's record says pending, so a resume sends it
        logger.warning("webhook for row %s could not be queued", row.row_id, exc_info=True)
        return
    if ticket is not None:
        settling.track(ticket)


async def announce_unknown(audit: AuditLog, matrix: Any, to_mark: dict[str, int], *, action: Action,
                           action_id: str, run_id: str, timeout_ms: int, dispatcher: Any,
                           settling: Settling) -> list[str]:
    """Record each row sent and never recorded as ``unknown``, and announce it with an event of its own.

    With a per-row dispatcher the record says pending and the event (status ``unknown``, id
    ``event_id_for(run_id, row_id, unknown=True)``) follows, settled like any other: a kill before it
    settles leaves it to the next resume, so each row is announced exactly once. Rows in matrix order.
    """
    from genesys_nb.run._intents import _unknown_result
    from genesys_nb.run._rows import _iter_rows

    hooks = per_row(dispatcher)
    marked: list[str] = []
    for row in _iter_rows(matrix):
        if row.row_id not in to_mark:
            continue
        result = _unknown_result(action_id, to_mark[row.row_id], timeout_ms)
        audit.write_result(result, params=row.params, run_id=run_id, row_id=row.row_id, action=action,
                           expected_invalid=row.expected_invalid, webhook="pending" if hooks else "none")
        marked.append(row.row_id)
        if hooks:
            await dispatch_webhook(dispatcher, settling, action, run_id, row, result)
        if len(marked) == len(to_mark):
            break
    return marked


async def redeliver_pending(dispatcher: Any, settling: Settling, run_id: str,
                            pending: dict[str, dict[str, Any]]) -> int:
    """Send again, with their original ids, the events of rows whose delivery never settled."""
    from genesys_nb.audit.records import UNKNOWN
    from genesys_nb.run.webhook import event_id_for, payload_from_record

    sent = 0
    for row_id, record in pending.items():
        event_id = event_id_for(run_id, row_id, unknown=record.get("error_class") == UNKNOWN)
        try:
            ticket = await dispatcher.submit_payload_async(payload_from_record(record), run_id=run_id,
                                                           row_id=row_id, event_id=event_id)
        except Exception:
            logger.warning("webhook for row %s could not be queued again", row_id, exc_info=True)
            continue
        settling.track(ticket)
        sent += 1
    return sent


def open_webhook(webhook: Any, audit_path: Path) -> tuple[Any, bool]:
    """The dispatcher for this run and whether the runner owns (and must close) it."""
    if webhook is None or not isinstance(webhook, str):
        return webhook, False
    from genesys_nb.run.webhook import WebhookDispatcher

    outbox = audit_path.with_name("webhook-outbox.ndjson")
    return WebhookDispatcher(webhook, outbox=outbox), True
