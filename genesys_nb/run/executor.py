"""Run one data action safely: timeout directive, input contract, retries, output contract.

`DataActionExecutor` (sync) and `AsyncDataActionExecutor` share every decision through
`_ExecutorCore`; each repeats only its short send-and-wait loop. The order of one execution:

1. `timeout_ms` is checked (int 1..60000, else ValueError) before anything else.
2. With `validate=True` the action is fetched once (or taken from the validator's cache) and the
   inputs are checked against its input contract. A violation gives an ExecutionResult with
   `error_class="validation"`, `attempts=0` and no request sent. With `validate=False` nothing is
   fetched and the inputs go out unchecked (to see what the platform says about invalid input).
   A log warning (logger `genesys_nb`) says when `timeout_ms` is shorter than the action's
   `config.timeoutSeconds`.
3. Inputs that cannot be sent at all (nested deeper than the platform's 50 levels, a lone
   surrogate or another value JSON cannot carry) give `error_class="validation"` naming the field,
   with no request sent.
4. `client.execute` is called (one attempt each; `on_send(attempt)` runs just before each one
   leaves, so a caller can write an intent record first) and retried per the retry table
   (`genesys_nb.api.retry.RETRY_TABLE`): what may have reached the platform (500, 502, 504, a
   remote 5xx, a reset or timeout after sending) is sent again only when `idempotent=True`; 503
   and failures before sending back off and retry; 429 waits Retry-After for as long as
   `rate_limit_budget_s` allows, apart from `max_retries`; 400/401/403/404 never.
5. When the action is known (fetched, or primed into the validator), a 2xx output that fails the
   success schema becomes `error_class="contract"` (`ok=False`, the output kept). With
   `flatten=True` the output is in Architect's flattened form, which the success schema does not
   describe, so it is not checked.

Platform and network failures never raise: the result says what happened. Fetching the action
for validation counts as part of the execution: if that fails (404, 403, network...), the result
carries that error class with `attempts=0` and no execute request sent. A contract that is not
a valid JSON Schema is a definition problem, not a failure of one execution: its input side raises
ContractSchemaError; a broken success schema turns a 2xx into `error_class="contract"`. A refused
login (wrong credentials) raises AuthenticationError, as the client does: every execution would
fail the same way, and the message says which credential to check.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import httpx

from genesys_nb.api.client import validate_timeout_ms
from genesys_nb.api.errors import APIError, fix_hint
from genesys_nb.api.models import Action, FieldError
from genesys_nb.api.names import (
    UnknownActionError,
    aresolve_action_id,
    looks_like_action_id,
    resolve_action_id,
)
from genesys_nb.api.result import ExecutionResult
from genesys_nb.api.retry import RetryPolicy, retry_delay_s, should_retry
from genesys_nb.contract.limits import MAX_JSON_DEPTH, TooDeep
from genesys_nb.contract.validator import (
    ContractSchemaError,
    DataActionValidator,
    action_label,
    format_violations,
)

if TYPE_CHECKING:
    from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient

__all__ = ["AsyncDataActionExecutor", "DataActionExecutor", "unsendable_inputs"]

logger = logging.getLogger("genesys_nb")


class _ExecutorCore:
    """Everything both executors decide without I/O: results for early exits, retry waits, contracts."""

    def __init__(
        self,
        client: Any,
        *,
        retry: RetryPolicy,
        validate: bool,
        rng: random.Random | None,
        validator: DataActionValidator | None,
    ) -> None:
        if not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy (got {type(retry).__name__}).")
        self.client = client
        self.retry = retry
        self.validate = validate
        self.validator = validator if validator is not None else DataActionValidator(client)
        self._rng = rng
        self._warned: set[tuple[str, int | None, int]] = set()
        self._ids: dict[str, str] = {}  # action names resolved to ids

    def __repr__(self) -> str:
        return f"{type(self).__name__}(retry={self.retry!r}, validate={self.validate})"

    # ---- before sending ------------------------------------------------------------------
    def _warn_short_timeout(self, action: Action | None, timeout_ms: int) -> None:
        if action is None:
            return
        action_s = action.timeout_seconds
        if action_s is None or timeout_ms >= action_s * 1000:
            return
        key = (action.id, action.version, timeout_ms)
        if key not in self._warned:
            self._warned.add(key)
            logger.warning(
                "timeout_ms=%d is shorter than the %d s timeoutSeconds of %s: the client may give up "
                "while the action still runs (outcome unknown). Raise timeout_ms to at least %d.",
                timeout_ms, action_s, action_label(action), action_s * 1000,
            )

    @staticmethod
    def _early_result(
        action_id: str, *, timeout_ms: int, timestamp: datetime, started: float, error_class: str,
        message: str, errors: list[Any] | None = None, status_code: int | None = None,
        correlation_id: str | None = None, retry_after_s: float | None = None, error_code: str | None = None,
    ) -> ExecutionResult:
        """A result for an execution that ended before any execute request was sent."""
        return ExecutionResult(
            action_id=action_id, ok=False, output=None, errors=list(errors or []),
            status_code=status_code, error_class=error_class, error_code=error_code,
            error_message=message, correlation_id=correlation_id, latency_ms=0.0,
            total_ms=(time.perf_counter() - started) * 1000.0, attempts=0, retry_wait_ms=0.0,
            timeout_ms=timeout_ms, timestamp=timestamp, retry_after_s=retry_after_s, request_sent=False,
        )

    def _fetch_failure(self, action_id: str, err: Exception, **context: Any) -> ExecutionResult:
        """The result when the action could not be fetched to check its input contract."""
        prefix = f"could not fetch {action_label(None, action_id)} to check its input contract"
        if isinstance(err, APIError):
            return self._early_result(
                action_id, error_class=err.error_class, message=f"{prefix}: {err}",
                errors=[err.error_body] if err.error_body is not None else [],
                status_code=err.status_code, correlation_id=err.correlation_id,
                retry_after_s=err.retry_after_s, **context,
            )
        # A connect timeout never reached the server: "network", like a refused connection.
        timed_out = isinstance(err, httpx.TimeoutException) and not isinstance(err, httpx.ConnectTimeout)
        error_class = "timeout" if timed_out else "network"
        detail = str(err) or type(err).__name__
        return self._early_result(action_id, error_class=error_class,
                                  message=f"{prefix} ({type(err).__name__}): {detail}", **context)

    def _input_failure(self, action: Action, inputs: Any, **context: Any) -> ExecutionResult | None:
        """A "validation" result when the inputs break the contract, else None."""
        errors = self.validator.check_input(action.id, inputs)
        if not errors:
            return None
        label = action_label(action)
        message = f"{format_violations(label, errors)}. Fix: {fix_hint('validation', action_id=action.id)}"
        # error_code: the JSON Schema keyword of the first violation ("required", "pattern", ...).
        return self._early_result(action.id, error_class="validation", message=message,
                                  errors=list(errors), error_code=errors[0].validator, **context)

    def _unsendable(self, action_id: str, inputs: Any, **context: Any) -> ExecutionResult | None:
        """A "validation" result for inputs no request can carry (too deep, not encodable), else None."""
        problem = unsendable_inputs(inputs)
        if problem is None:
            return None
        return self._early_result(action_id, error_class="validation", error_code="unsendable",
                                  message=f"{problem}. Fix: {fix_hint('validation', action_id=action_id)}",
                                  **context)

    # ---- retry decisions -----------------------------------------------------------------
    def _retry_wait_s(self, result: ExecutionResult, tally: _Tally, idempotent: bool) -> float | None:
        """Seconds to wait before the next attempt, or None when the retry table allows none.

        429s spend the time budget (``rate_limit_budget_s``); every other retry counts against
        ``max_retries``.
        """
        if result.ok:
            return None
        limited = result.error_class == "rate_limited"
        retry_number = tally.retries + 1
        if not should_retry(
            result.error_class, status_code=result.status_code, idempotent=idempotent,
            request_sent=result.request_sent, retry_number=retry_number, policy=self.retry,
            rate_limited_s=tally.rate_limited_s,
        ):
            return None
        wait_s = retry_delay_s(result, self.retry, retry_number=max(1, tally.rate_limits + 1) if limited
                               else retry_number, rng=self._rng)
        if limited:
            tally.rate_limits += 1
            tally.rate_limited_s += wait_s
        else:
            tally.retries += 1
        return wait_s

    # ---- after the last attempt ----------------------------------------------------------
    def _finish(
        self, result: ExecutionResult, *, action: Action | None, flatten: bool, attempts: int,
        waited_s: float, started: float, timestamp: datetime, timeout_ms: int,
    ) -> ExecutionResult:
        final = dataclasses.replace(
            result, attempts=attempts, retry_wait_ms=waited_s * 1000.0, timeout_ms=timeout_ms,
            timestamp=timestamp, total_ms=(time.perf_counter() - started) * 1000.0,
        )
        if not final.ok or action is None or flatten:
            return final
        try:
            errors: list[FieldError] = self.validator.check_output(action.id, final.output)
        except ContractSchemaError as err:
            return dataclasses.replace(final, ok=False, error_class="contract", error_code="invalid_schema",
                                       error_message=f"the output could not be checked: {err}")
        if not errors:
            return final
        message = (f"{format_violations(action_label(action), errors, what='Output')}. "
                   f"Fix: {fix_hint('contract', action_id=action.id)}")
        return dataclasses.replace(final, ok=False, error_class="contract", error_message=message,
                                   error_code=errors[0].validator, errors=list(errors))


@dataclasses.dataclass
class _Tally:
    """Retries so far in one execution: 429s (and the time they cost) apart from the others."""

    retries: int = 0
    rate_limits: int = 0
    rate_limited_s: float = 0.0


def unsendable_inputs(inputs: Any, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why ``inputs`` cannot go out as a JSON request body (naming the field), or None when they can.

    Walks without recursion, so a value nested thousands deep is a finding, not a RecursionError.
    """
    stack: list[tuple[Any, str, int]] = [(inputs, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, TooDeep):  # what a matrix keeps in place of a value too deep to carry
            return (f"input field '{path or '$'}' nests {value.depth} levels deep, deeper than the platform's "
                    f"limit of {max_depth}; flatten it or send it as a JSON string")
        if isinstance(value, (dict, list, tuple)):
            if depth >= max_depth:
                return (f"input field '{path or '$'}' nests deeper than {max_depth} levels, the platform's "
                        "limit for a data action's payload; flatten it or send it as a JSON string")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(value, dict) and not isinstance(key, str):
                    return f"input field '{path or '$'}' has a non-string key {key!r}; JSON keys are strings"
                child = f"{path}[{key}]" if not isinstance(value, dict) else (f"{path}.{key}" if path else str(key))
                stack.append((item, child, depth + 1))
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as err:
                return (f"input field '{path or '$'}' holds text that is not valid Unicode ({err.reason} at "
                        f"character {err.start}); fix the source cell or its encoding")
        elif isinstance(value, float) and not math.isfinite(value):
            return f"input field '{path or '$'}' is {value!r}, which JSON cannot carry; leave it out or use null"
    return None


def _start() -> tuple[datetime, float]:
    return datetime.now(timezone.utc), time.perf_counter()


class DataActionExecutor(_ExecutorCore):
    """Validates, executes with retries and checks the output of data actions (sync).

    `sleep` is how the executor waits between attempts (tests pass a recorder); `rng` feeds the
    backoff jitter; `validator` may be shared (a runner primes it once for many rows).
    """

    def __init__(
        self,
        client: DataActionsClient,
        *,
        retry: RetryPolicy | None = None,
        validate: bool = True,
        sleep: Callable[[float], object] = time.sleep,
        rng: random.Random | None = None,
        validator: DataActionValidator | None = None,
    ) -> None:
        super().__init__(client, retry=retry if retry is not None else RetryPolicy(), validate=validate,
                         rng=rng, validator=validator)
        self._sleep = sleep

    def execute(
        self, action_id: str, inputs: Any, *, timeout_ms: int = 30000, idempotent: bool = False,
        flatten: bool = False, on_send: Callable[[int], object] | None = None,
    ) -> ExecutionResult:
        """Execute once or more (per the retry table) and return what happened; never raises for failures.

        ``action_id`` may be the action's exact name. ``on_send(attempt)`` runs just before each attempt
        leaves (1-based attempt number).
        """
        timeout_ms = validate_timeout_ms(timeout_ms)
        timestamp, started = _start()
        context: dict[str, Any] = {"timeout_ms": timeout_ms, "timestamp": timestamp, "started": started}
        unsendable = self._unsendable(action_id, inputs, **context)  # first: a 1,000-deep value must not recurse
        if unsendable is not None:
            return unsendable
        if not looks_like_action_id(action_id):  # a name: resolved once, then the id is used
            try:
                action_id = self._ids.get(action_id) or self._ids.setdefault(
                    action_id, resolve_action_id(self.client, action_id))
            except UnknownActionError as err:
                return self._early_result(action_id, error_class="not_found", message=str(err), **context)
            except (APIError, httpx.HTTPError) as err:
                return self._fetch_failure(action_id, err, **context)
        if self.validate:
            try:
                action: Action | None = self.validator.get_action(action_id)
            except (APIError, httpx.HTTPError) as err:
                return self._fetch_failure(action_id, err, **context)
        else:
            action = self.validator.cached_action(action_id)
        self._warn_short_timeout(action, timeout_ms)
        if self.validate and action is not None:
            failure = self._input_failure(action, inputs, **context)
            if failure is not None:
                return failure
        attempts, waited_s, tally = 0, 0.0, _Tally()
        while True:
            if on_send is not None:
                on_send(attempts + 1)
            result = self.client.execute(action_id, inputs, flatten=flatten, timeout_ms=timeout_ms)
            attempts += 1
            wait_s = self._retry_wait_s(result, tally, idempotent)
            if wait_s is None:
                break
            self._sleep(wait_s)
            waited_s += wait_s
        return self._finish(result, action=action, flatten=flatten,
                            attempts=attempts, waited_s=waited_s, **context)


class AsyncDataActionExecutor(_ExecutorCore):
    """The async twin of DataActionExecutor: same rules, same results, `await execute(...)`."""

    def __init__(
        self,
        client: AsyncDataActionsClient,
        *,
        retry: RetryPolicy | None = None,
        validate: bool = True,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: random.Random | None = None,
        validator: DataActionValidator | None = None,
    ) -> None:
        super().__init__(client, retry=retry if retry is not None else RetryPolicy(), validate=validate,
                         rng=rng, validator=validator)
        self._sleep = sleep

    async def execute(
        self, action_id: str, inputs: Any, *, timeout_ms: int = 30000, idempotent: bool = False,
        flatten: bool = False, on_send: Callable[[int], object] | None = None,
    ) -> ExecutionResult:
        """Execute once or more (per the retry table) and return what happened; never raises for failures.

        ``action_id`` may be the action's exact name. ``on_send(attempt)`` runs just before each attempt
        leaves (1-based attempt number).
        """
        timeout_ms = validate_timeout_ms(timeout_ms)
        timestamp, started = _start()
        context: dict[str, Any] = {"timeout_ms": timeout_ms, "timestamp": timestamp, "started": started}
        unsendable = self._unsendable(action_id, inputs, **context)  # first: a 1,000-deep value must not recurse
        if unsendable is not None:
            return unsendable
        if not looks_like_action_id(action_id):  # a name: resolved once, then the id is used
            try:
                action_id = self._ids.get(action_id) or self._ids.setdefault(
                    action_id, await aresolve_action_id(self.client, action_id))
            except UnknownActionError as err:
                return self._early_result(action_id, error_class="not_found", message=str(err), **context)
            except (APIError, httpx.HTTPError) as err:
                return self._fetch_failure(action_id, err, **context)
        if self.validate:
            try:
                action: Action | None = await self.validator.aget_action(action_id)
            except (APIError, httpx.HTTPError) as err:
                return self._fetch_failure(action_id, err, **context)
        else:
            action = self.validator.cached_action(action_id)
        self._warn_short_timeout(action, timeout_ms)
        if self.validate and action is not None:
            failure = self._input_failure(action, inputs, **context)
            if failure is not None:
                return failure
        attempts, waited_s, tally = 0, 0.0, _Tally()
        while True:
            if on_send is not None:
                on_send(attempts + 1)
            result = await self.client.execute(action_id, inputs, flatten=flatten, timeout_ms=timeout_ms)
            attempts += 1
            wait_s = self._retry_wait_s(result, tally, idempotent)
            if wait_s is None:
                break
            await self._sleep(wait_s)
            waited_s += wait_s
        return self._finish(result, action=action, flatten=flatten,
                            attempts=attempts, waited_s=waited_s, **context)
