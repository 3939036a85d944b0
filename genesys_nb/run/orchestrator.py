"""ExecutionOrchestrator: the single-execution pipeline, validate -> execute with retries -> webhook -> audit.

For callers that run one action at a time (a service handling one request, a notebook cell, the
``genesys-nb execute`` command). Each step is the project's own building block:

1. **validate**: the input contract, checked locally (``validate=False`` skips it); a violation
   is a result with ``error_class="validation"`` and nothing is sent.
2. **execute with retries**: :class:`~genesys_nb.run.executor.DataActionExecutor` under the shared
   retry rules (429 honours Retry-After; 500 and timeouts only when ``idempotent=True``).
3. **webhook**: the completion event goes to the dispatcher; the orchestrator waits at most
   ``webhook_wait_s`` for the outcome so the audit record can say ``delivered``/``failed``
   (``pending`` when delivery takes longer). A webhook never changes the result.
4. **audit**: one record, redacted for secure actions.
5. the :class:`~genesys_nb.api.result.ExecutionResult` is returned; it never raises for a platform or
   network failure (call ``result.raise_for_error()`` for exception style).
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.api._request import request_body_sha256
from genesys_nb.api.errors import APIError, AuthenticationError
from genesys_nb.api.retry import RetryPolicy
from genesys_nb.contract.validator import DataActionValidator
from genesys_nb.run.executor import DataActionExecutor

if TYPE_CHECKING:  # pragma: no cover
    from genesys_nb.api.client import DataActionsClient
    from genesys_nb.api.models import Action
    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.audit.writer import AuditLog
    from genesys_nb.run.webhook import WebhookDispatcher

__all__ = ["ExecutionOrchestrator"]

logger = logging.getLogger("genesys_nb")

# RetryPolicy is frozen, so one shared default instance is safe.
DEFAULT_RETRY = RetryPolicy()


def _client_of(source: Any) -> DataActionsClient:
    from genesys_nb.api.client import DataActionsClient

    if isinstance(source, DataActionsClient):
        return source
    client = getattr(source, "client", None)
    if isinstance(client, DataActionsClient):
        return client  # a Session
    raise TypeError(
        "ExecutionOrchestrator needs a DataActionsClient or a Session from genesys_nb.connect() "
        f"(got {type(source).__name__}); async code can use MatrixRunner.arun or AsyncDataActionExecutor"
    )


class ExecutionOrchestrator:
    """One execution at a time, with every safety step; see the module docstring.

    >>> # with genesys_nb.connect() as session:
    >>> #     pipeline = ExecutionOrchestrator(session, audit="out/audit.ndjson")
    >>> #     result = pipeline.execute("custom_-_...", {"phoneNumber": "+13175550100"})
    """

    def __init__(
        self,
        client_or_session: Any,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        audit: AuditLog | str | Path | None = None,
        webhook: WebhookDispatcher | None = None,
        validate: bool = True,
        run_id: str | None = None,
        webhook_wait_s: float = 2.0,
    ) -> None:
        from genesys_nb.audit.writer import AuditLog

        if not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy (got {type(retry).__name__})")
        if webhook_wait_s < 0:
            raise ValueError(f"webhook_wait_s must be >= 0 (got {webhook_wait_s!r})")
        self.client = _client_of(client_or_session)
        self.retry = retry
        self.validate = validate
        self.validator = DataActionValidator(self.client)
        self.executor = DataActionExecutor(self.client, retry=self.retry, validate=validate, validator=self.validator)
        self._owns_audit = isinstance(audit, (str, Path))
        self.audit: AuditLog | None = AuditLog(audit) if isinstance(audit, (str, Path)) else audit
        self.webhook = webhook
        self.webhook_wait_s = float(webhook_wait_s)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.run_id = run_id or f"exec-{stamp}-{uuid.uuid4().hex[:6]}"
        self.last_record: dict[str, Any] | None = None

    def __repr__(self) -> str:
        audit = str(self.audit.path) if self.audit is not None else None
        return (f"ExecutionOrchestrator(run_id={self.run_id!r}, validate={self.validate}, audit={audit!r}, "
                f"webhook={'on' if self.webhook is not None else 'off'})")

    def _action(self, action_id: str) -> Action | None:
        """The action (fetched once) for the audit record's name/version and secure redaction."""
        known = self.validator.cached_action(action_id)
        if known is not None:
            return known
        try:
            return self.validator.get_action(action_id)
        except (APIError, AuthenticationError):
            return None  # the result already says why the action could not be reached

    def execute(
        self,
        action_id: str,
        inputs: Any,
        *,
        timeout_ms: int = 30000,
        idempotent: bool = False,
        flatten: bool = False,
        row_id: str | None = None,
    ) -> ExecutionResult:
        """Validate, execute (with retries), send the webhook, write the audit record; return the result."""
        row_id = row_id or uuid.uuid4().hex[:16]
        on_send = None
        if self.audit is not None:  # a "sending" intent before each attempt leaves (see genesys_nb.audit.records)
            audit, run_id, digest = self.audit, self.run_id, request_body_sha256(inputs)

            def on_send(attempt: int) -> None:
                audit.write_intent(run_id=run_id, row_id=row_id, action_id=action_id, attempt=attempt,
                                   request_sha256=digest)

        result = self.executor.execute(action_id, inputs, timeout_ms=timeout_ms, idempotent=idempotent,
                                       flatten=flatten, on_send=on_send)
        needs_action = self.audit is not None or self.webhook is not None
        action = self._action(action_id) if needs_action else None
        params = inputs if isinstance(inputs, dict) else {"value": inputs}
        webhook_state = "none"
        if self.webhook is not None:
            try:
                ticket = self.webhook.submit(result, run_id=self.run_id, row_id=row_id, action=action,
                                             action_id=action_id, params=params)
            except Exception:  # a webhook never fails an execution
                logger.warning("webhook for %s could not be queued", action_id, exc_info=True)
                webhook_state = "failed"
            else:
                webhook_state = "none" if ticket is None else ticket.wait(self.webhook_wait_s)
        if self.audit is not None:
            self.last_record = self.audit.write_result(
                result, run_id=self.run_id, row_id=row_id, action=action, params=params, webhook=webhook_state,
            )
        return result

    def close(self) -> None:
        """Close the audit log if the orchestrator opened it (from a path)."""
        if self._owns_audit and self.audit is not None:
            self.audit.close()

    def __enter__(self) -> ExecutionOrchestrator:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
