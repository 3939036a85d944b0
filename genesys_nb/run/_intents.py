"""What a run writes about requests before their outcome is known: the ``sending`` intent before each
attempt, and the ``unknown`` result a resume records for a row sent and never recorded."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genesys_nb.api._request import request_body_sha256
from genesys_nb.api.result import ExecutionResult
from genesys_nb.audit.records import UNKNOWN

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.audit.writer import AuditLog
    from genesys_nb.run._rows import _Row


def _intent_writer(audit: AuditLog, run_id: str, row: _Row, action_id: str) -> Any:
    """The executor's on_send for one row: a ``sending`` record before each attempt leaves."""
    digest: list[str] = []

    def write(attempt: int) -> None:
        if not digest:  # the body is the same on every attempt: hash it once
            digest.append(request_body_sha256(row.params))
        audit.write_intent(run_id=run_id, row_id=row.row_id, action_id=action_id, attempt=attempt,
                           request_sha256=digest[0])

    return write


def _unknown_result(action_id: str, attempts: int, timeout_ms: int) -> ExecutionResult:
    return ExecutionResult(
        action_id=action_id, ok=False, error_class=UNKNOWN, error_code="sent_unrecorded", attempts=attempts,
        timeout_ms=timeout_ms, request_sent=True,
        error_message=(f"sent ({attempts} attempt(s)) before an earlier run of this run_id stopped, and never "
                       "recorded: the action may or may not have run. Check the target system, then resume with "
                       "rerun_unknown=True (--rerun-unknown) to send it again"))
