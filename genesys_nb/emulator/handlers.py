"""The emulated org's HTTP surface: ``Emulator.handle(request) -> Decision``, free of sockets.

The ASGI app and the httpx transports only apply the decision (delay, reset, truncated body).
Control routes under ``/__emulator__/`` go to :mod:`genesys_nb.emulator.control`; the rest are the
platform's API over the state kept by :class:`genesys_nb.emulator.state.OrgState`.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Any

from genesys_nb.emulator import catalog, control, drafts, execution, integrations, remotes
from genesys_nb.emulator.actions import EmulatedAction
from genesys_nb.emulator.call import Call, action_id_of, parse_route
from genesys_nb.emulator.faults import FaultOutcome, FaultPlan
from genesys_nb.emulator.limits import CONCURRENCY_LIMIT_KEY, RATE_LIMIT_KEY, RateState
from genesys_nb.emulator.state import GLOBAL_SCOPE, OrgState
from genesys_nb.emulator.tokens import (
    IssuedToken,
    OAuthClient,
    client_credentials_from,
    oauth_error,
    token_response,
)
from genesys_nb.emulator.wire import Decision, EmulatorRequest, error_body, json_decision
from genesys_nb.engine.remote import RemoteResponse, RenderedRequest, as_remote
from genesys_nb.engine.steps import Steps

INPUT_STEP = "Validate input against schema"
EXECUTE_STEP = "Execute request"

_LOG = logging.getLogger("genesys_nb.emulator")


class Emulator(OrgState):
    """A Genesys Cloud org's Data Actions surface, in memory: the state plus the request handler."""

    # ------------------------------------------------------------------ HTTP surface
    def handle(self, request: EmulatorRequest) -> Decision:
        """Answer one request (never raises: an emulator bug becomes a logged 500 ErrorBody)."""
        try:
            if request.path.startswith(control.PREFIX):
                return control.handle(self, request)
            with self._lock:
                return self._handle(request)
        except Exception as err:  # noqa: BLE001 - the shells must always get a decision
            _LOG.exception("emulator failed on %s %s", request.method, request.path)
            context_id = str(uuid.uuid4())
            body = error_body(500, "internal.server.error", f"The emulator failed: {type(err).__name__}: {err}",
                              context_id)
            return json_decision(500, body, [("inin-correlation-id", context_id)])

    def _handle(self, request: EmulatorRequest) -> Decision:
        now = self._clock()
        context_id = self._context_id(request)
        call = Call(request, context_id, now, time_scale=self._limits.time_scale,
                    rate_peek=self._peek_rate, log=self._log, wall_clock=self._wall_clock)
        if request.path == "/oauth/token":
            return self._oauth(call)
        if not request.path.startswith("/api/"):
            return call.error(error_body(404, "not.found", "The requested resource was not found.", context_id))
        route = parse_route(request.path, request.method)
        if route is not None:  # known before auth, so even a 401 or 429 is logged against its action
            call.operation, parts, _ = route
            call.action_id = action_id_of(parts)
            if call.operation in ("execute", "test", "draft_test"):
                call.body_sha256 = hashlib.sha256(request.body).hexdigest()
        token = self._authenticate(call)
        if isinstance(token, Decision):
            return token
        call.token_id = token.token_id
        call.rate = self._rate.hit(token.token_id, now, self._limits)
        if call.rate.limited:
            body, retry_after = execution.rate_limited_error(
                call.rate.reset_s, context_id, limit_key=RATE_LIMIT_KEY, limit_value=self._limits.rate_per_minute)
            return call.error(body, [("retry-after", retry_after)], fault="rate_limit")
        if route is None:
            return call.error(error_body(404, "not.found", "The requested resource was not found.", context_id))
        return self._route(call, self._tokens.clients[token.client_id], route)

    def _route(self, call: Call, client: OAuthClient, route: tuple[str, list[str], str]) -> Decision:
        request, context_id = call.request, call.context_id
        _, parts, expected = route
        if request.method != expected:
            return call.error(error_body(405, "method.not.allowed", f"HTTP {request.method} is not supported by "
                                         f"{request.path}; use {expected}.", context_id))
        needed = drafts.permission_for(call.operation)
        if needed not in client.permissions:
            return call.error(error_body(403, "not.authorized", "You are not authorized to perform the requested "
                                         f"action. Missing permission: {needed}", context_id,
                                         message_params={"permission": needed}))
        if call.operation in integrations.OPERATIONS:
            return integrations.handle(self, call, parts)
        action = None
        action_id = action_id_of(parts)
        if action_id is not None and call.operation not in drafts.OPERATIONS:  # a draft may have no action yet
            action = self._actions.get(action_id)
            if action is None:
                return call.error(error_body(404, "not.found", f"Unable to find an action with id {action_id}.",
                                             context_id, details=[{"errorCode": "ACTION.NOT_FOUND",
                                                                   "entityId": action_id}]))
        try:
            if call.operation in drafts.OPERATIONS:
                return drafts.handle(self, call, parts)
            if call.operation in ("execute", "test"):
                assert action is not None
                return self._execute(call, action)
            return self._read(call, action, parts)
        except catalog.BadQuery as err:
            return call.error(error_body(400, "bad.request", str(err), context_id,
                                         details=[{"errorCode": "INVALID_QUERY", "fieldName": err.field_name}]))

    def _read(self, call: Call, action: EmulatedAction | None, parts: list[str]) -> Decision:
        request = call.request
        outcome = self._faults_for(call.operation, call.action_id)
        if outcome.reset or outcome.status:
            return self._fault_without_execution(call, outcome, action)
        if call.operation == "list":
            payload: Any = catalog.list_actions(request, self._actions.values())
        elif call.operation == "categories":
            payload = catalog.list_categories(request, self._actions.values())
        elif call.operation == "get":
            assert action is not None
            payload = catalog.action_json(
                action,
                expand_contract=request.param("expand") == "contract",
                flatten=catalog.flag(request, "flatten"),
                include_config=catalog.flag(request, "includeConfig"),
            )
        elif call.operation == "template":  # the file a config's requestTemplateUri/successTemplateUri names
            assert action is not None
            files = {file_name: part for part, (file_name, _) in catalog.TEMPLATE_URI_KEYS.items()}
            if parts[2] not in files:
                return call.error(error_body(404, "not.found", f"Action {action.id} has no template '{parts[2]}'; "
                                             f"use {' or '.join(files)}.", call.context_id))
            engine = remotes.engine_for(action)
            text = engine.request_template if files[parts[2]] == "request" else engine.success_template
            return call.finish(Decision(200, [("content-type", "text/plain; charset=utf-8")], text.encode("utf-8")))
        else:
            assert action is not None
            payload = catalog.schema_document(action, parts[2], catalog.flag(request, "flatten"))
            if payload is None:
                return call.error(error_body(404, "not.found", f"Action {action.id} has no schema file '{parts[2]}'; "
                                             "use the inputSchemaUri/successSchemaUri the action gives.",
                                             call.context_id))
        return call.answer(200, payload, outcome)

    def _execute(self, call: Call, action: EmulatedAction) -> Decision:
        """Execute or test: the input contract, then the action's own config through the engine."""
        request, context_id, is_test = call.request, call.context_id, call.operation == "test"
        inputs, problem = execution.parse_input(request.body)
        if inputs is None:
            return call.error(execution.body_error(str(problem), context_id))
        if self._in_flight >= self._limits.max_in_flight:
            body, retry_after = execution.rate_limited_error(
                1.0, context_id, limit_key=CONCURRENCY_LIMIT_KEY, limit_value=self._limits.max_in_flight,
                concurrency=True)
            return call.error(body, [("retry-after", retry_after)], fault="concurrency_limit")
        steps = Steps(context_id)
        problems = execution.field_problems(self._validator(action), inputs)
        if problems:
            steps.fail(INPUT_STEP, execution.validation_error(problems, context_id))
            return self._failed(call, steps, is_test)
        outcome = self._faults_for(call.operation, action.id)
        if outcome.reset == "before" or (outcome.status is not None and outcome.status not in execution.EXECUTED_STATUSES):
            return self._fault_without_execution(call, outcome, action)
        steps.ok(INPUT_STEP, inputs)
        engine = self._engine(action)
        rendered = engine.request_steps(steps, inputs)
        if rendered is None:  # a template that does not render stops the action before the remote is called
            return self._failed(call, steps, is_test)
        # The remote endpoint is reached from here on: the action's effect happens.
        call.executed = True
        latency_ms = action.latency.sample_ms(self._rng) if action.latency else 0.0
        outcome_delay = FaultOutcome(outcome.delay_ms + latency_ms, outcome.status, outcome.retry_after_s,
                                     outcome.reset, outcome.body_kind, outcome.body_status, outcome.labels)
        self._acquire_slot(call)
        response = self._remote_answer(action, inputs, rendered)
        if isinstance(response, str):
            steps.fail(EXECUTE_STEP, remotes.no_answer_error(response, context_id))
            return self._failed(call, steps, is_test, outcome_delay, fault=outcome.label)
        if outcome.status is not None:
            steps.fail(EXECUTE_STEP, execution.injected_error(outcome.status, context_id,
                                                              timeout_seconds=action.timeout_seconds))
            return self._failed(call, steps, is_test, outcome_delay, fault=outcome.label)
        final = engine.finish_steps(steps, inputs, response, flatten=catalog.flag(request, "flatten"))
        if steps.failed:
            return self._failed(call, steps, is_test, outcome_delay, fault=outcome.label)
        return call.answer(200, _wire_test(steps.to_dict(final)) if is_test else final, outcome_delay)

    def _failed(self, call: Call, steps: Steps, is_test: bool, outcome: FaultOutcome | None = None, *,
                fault: str | None = None) -> Decision:
        """A failed step: /test answers 200 with the operations, execute answers the step's ErrorBody."""
        if is_test:
            return call.answer(200, _wire_test(steps.to_dict()), outcome)
        assert steps.error is not None
        return call.error(steps.error, delay_ms=outcome.delay_ms if outcome else 0.0, fault=fault)

    def _engine(self, action: EmulatedAction) -> Any:
        key = (action.id, action.version)
        engine = self._engines.get(key)
        if engine is None:
            credentials, auth_response = self._secrets.get(action.id, (None, None))
            engine = self._engines[key] = remotes.engine_for(action, credentials=credentials,
                                                             auth_response=auth_response)
        return engine

    def _remote_answer(self, action: EmulatedAction, inputs: dict[str, Any],
                       rendered: RenderedRequest) -> RemoteResponse | str:
        """The remote's answer (set stand-in, shipped answer, else behaviour), or why there is none."""
        chosen = self._remotes.get(action.id)
        if chosen is not None:
            return remotes.answer(as_remote(chosen), rendered, who="the remote stand-in set for this action")
        if action.remote is not None:
            return action.remote
        return remotes.answer(remotes.behaviour_remote(action, inputs, self._records), rendered,
                              who=f"the emulated behaviour '{action.behaviour}'")

    # ------------------------------------------------------------------ helpers
    def _oauth(self, call: Call) -> Decision:
        call.operation = "token"
        request = call.request
        if request.method != "POST":
            return call.finish(oauth_error(405, "invalid_request", "Use POST for /oauth/token"))
        client_id, client_secret, form = client_credentials_from(request)
        if form.get("grant_type") != "client_credentials":
            return call.finish(oauth_error(400, "unsupported_grant_type",
                                           "grant_type must be client_credentials for this client"))
        client = self._tokens.clients.get(client_id or "")
        if client is None:
            return call.finish(oauth_error(401, "invalid_client", "client not found; check the client id"))
        if client.client_secret != client_secret:
            return call.finish(oauth_error(401, "invalid_client", "authentication failed; check the client secret"))
        outcome = self._faults_for("token", None)
        if outcome.reset or outcome.status:
            return self._fault_without_execution(call, outcome, None)
        token, record = self._tokens.issue(client.client_id, call.now, self._limits.token_lifetime_s)
        call.token_id = record.token_id
        decision = token_response(token, self._limits.token_lifetime_s)
        decision.delay_s = self._scaled_s(outcome.delay_ms)
        return call.finish(decision, fault=outcome.label, delay_ms=outcome.delay_ms)

    def _authenticate(self, call: Call) -> IssuedToken | Decision:
        authorization = call.request.header("authorization") or ""
        if authorization[:7].lower() != "bearer " or not authorization[7:].strip():
            return call.error(error_body(401, "authentication.required", "No authentication bearer token specified "
                                         "in authorization header.", call.context_id))
        record = self._tokens.lookup(authorization[7:].strip())
        if record is None or record.expires_at <= call.now:
            return call.error(error_body(401, "bad.credentials", "Invalid login credentials.", call.context_id,
                                         message_params={"reason": "expired" if record else "unknown token"}))
        return record

    def _fault_without_execution(self, call: Call, outcome: FaultOutcome, action: EmulatedAction | None) -> Decision:
        if outcome.reset:
            reset = Decision(0, [], b"", delay_s=self._scaled_s(outcome.delay_ms), reset_connection=True)
            return call.finish(reset, fault=outcome.label, delay_ms=outcome.delay_ms)
        assert outcome.status is not None
        if outcome.status == 429:
            body, retry_after = execution.rate_limited_error(
                outcome.retry_after_s, call.context_id, limit_key=RATE_LIMIT_KEY,
                limit_value=self._limits.rate_per_minute)
            return call.error(body, [("retry-after", retry_after)], delay_ms=outcome.delay_ms, fault=outcome.label)
        if call.operation == "token":
            error = "invalid_client" if outcome.status in (401, 403) else "temporarily_unavailable"
            return call.finish(oauth_error(outcome.status, error, "login refused (injected fault)"),
                               fault=outcome.label, delay_ms=outcome.delay_ms)
        timeout_seconds = action.timeout_seconds if action is not None else 60
        return call.error(execution.injected_error(outcome.status, call.context_id, timeout_seconds=timeout_seconds),
                          delay_ms=outcome.delay_ms, fault=outcome.label)

    def _faults_for(self, operation: str, action_id: str | None) -> FaultOutcome:
        scopes: list[tuple[str, FaultPlan]] = []
        if action_id is not None and action_id in self._faults:
            scopes.append((action_id, self._faults[action_id]))
        if GLOBAL_SCOPE in self._faults:
            scopes.append((GLOBAL_SCOPE, self._faults[GLOBAL_SCOPE]))
        action = self._actions.get(action_id) if action_id else None
        if action is not None and action.faults.rules:
            scopes.append((f"builtin:{action_id}", action.faults))
        delay_ms = 0.0
        labels: list[str] = []
        decided: FaultOutcome | None = None
        for scope, plan in scopes:  # the first plan that decides wins; every plan's latency adds up
            outcome = plan.evaluate(operation, self._rng, self._positions.setdefault(scope, {}),
                                    decide=decided is None)
            delay_ms += outcome.delay_ms
            labels.extend(outcome.labels)
            if decided is None and (outcome.status or outcome.reset or outcome.body_kind):
                decided = outcome
        if decided is None:
            return FaultOutcome(delay_ms, labels=tuple(labels))
        return FaultOutcome(delay_ms, decided.status, decided.retry_after_s, decided.reset,
                            decided.body_kind, decided.body_status, tuple(labels))

    def _validator(self, action: EmulatedAction) -> Any:
        key = (action.id, action.version)
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = execution.compile_input_validator(action.input_schema)
        return validator

    def _acquire_slot(self, call: Call) -> None:
        self._in_flight += 1
        call.release = self._release_slot

    def _release_slot(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _context_id(self, request: EmulatorRequest) -> str:
        supplied = request.header("inin-correlation-id")
        if supplied and len(supplied) <= 128 and supplied.isprintable():
            return supplied
        return str(uuid.UUID(int=self._id_rng.getrandbits(128), version=4))

    def _peek_rate(self, token_id: str | None, now: float) -> RateState:
        return self._rate.peek(token_id, now, self._limits)

    def _scaled_s(self, delay_ms: float) -> float:
        return delay_ms / 1000.0 / self._limits.time_scale


def _wire_test(result: dict[str, Any]) -> dict[str, Any]:
    """A TestExecutionResult as the platform sends it: the engine's per-step warnings are genesys_nb's own
    addition (an offline simulation keeps them), so the emulated org leaves them out, like a real one."""
    for operation in result["operations"]:
        operation.pop("warnings", None)
    return result
