"""A run's webhooks: the dispatcher it opens, each row's event handed over, the settled state recorded."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.api.models import Action
    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.run._rows import _Row

logger = logging.getLogger("genesys_nb")


def dispatch_webhook(dispatcher: Any, action: Action, run_id: str, row: _Row, result: ExecutionResult) -> str:
    """Hand the row's completion event to the dispatcher (never waits for delivery)."""
    if dispatcher is None:
        return "none"
    try:
        ticket = dispatcher.submit(result, run_id=run_id, row_id=row.row_id, action=action, params=row.params)
    except Exception:  # a webhook never fails a row
        logger.warning("webhook for row %s could not be queued", row.row_id, exc_info=True)
        return "failed"
    return "none" if ticket is None else str(ticket.state)

def open_webhook(webhook: Any, audit_path: Path) -> tuple[Any, bool]:
    """The dispatcher for this run and whether the runner owns (and must close) it."""
    if webhook is None or not isinstance(webhook, str):
        return webhook, False
    from genesys_nb.run.webhook import WebhookDispatcher

    assert audit_path is not None
    outbox = audit_path.with_name("webhook-outbox.ndjson")
    return WebhookDispatcher(webhook, outbox=outbox), True
