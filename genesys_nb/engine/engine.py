"""ActionEngine: an action's own config evaluated offline, step by step, the way the platform's ``/test`` runs it.

>>> engine = ActionEngine.from_export({"name": "Echo", "config": {"request": {
...     "requestUrlTemplate": "https://x.example/${input.id}", "requestType": "GET",
...     "requestTemplate": "${input.rawRequest}"}, "response": {"translationMap": {"name": "$.name"},
...     "successTemplate": "{\\"name\\": ${name}}"}}, "contract": {"input": {"inputSchema": {
...     "type": "object", "properties": {"id": {"type": "string"}}}}}})
>>> engine.render_request({"id": "42"}).url
'https://x.example/42'
>>> engine.simulate({"id": "42"}, remote={"name": "Ada"}).output
{'name': 'Ada'}
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from genesys_nb.api.models import Action, TestExecutionResult
from genesys_nb.contract.check import compile_contract
from genesys_nb.contract.flatten import flatten_output
from genesys_nb.contract.limits import MAX_JSON_DEPTH, json_depth
from genesys_nb.contract.schema import action_label
from genesys_nb.engine import jsonpath, velocity
from genesys_nb.engine.remote import NoRemoteAnswer, RemoteResponse, RenderedRequest, as_remote
from genesys_nb.engine.steps import (
    INPUT_VALIDATION,
    MALFORMED_MESSAGE,
    REMOTE_ENDPOINT,
    TEMPLATE_PROCESSING,
    TRANSLATION,
    Steps,
    error_body,
    remote_failure_error,
)
from genesys_nb.engine.translate import Translation, translate

__all__ = ["MAX_JSON_DEPTH", "ActionEngine", "EngineProblem", "json_depth"]

DEFAULT_REQUEST_TEMPLATE = "${input.rawRequest}"
MASK = "********"
_SECRET_REFERENCE = re.compile(r"\$!?\{?(credentials|authResponse)\b")
DEFAULT_SUCCESS_TEMPLATE = "${rawResult}"


@dataclass(frozen=True)
class EngineProblem:
    """A defect found in an action's config without running it: where it is and what is wrong."""

    where: str  # "requestTemplate", "translationMap.tier", "successSchema", ...
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def transform_failure(velocity_message: str, template: str) -> str:
    """The platform's message for a successTemplate that failed to render (text as recorded from a live org)."""
    return (f"Transform failed to process result using 'successTemplate' template due to "
            f"error:'{velocity_message}'\n Template:'{template}'.")


def _raw_result(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class ActionEngine:
    """Evaluates one action's request templates, translation map and success template offline.

    ``strict_success_template`` (True): the successTemplate renders in Velocity's strict reference mode, as the
    platform does. Evidence: a recorded platform test run (genesys-samples/DataActionsWorkshop, "fourth"
    exercise) failed its output step with 400 ``bad.request``, detail ``ACTION.PROCESSING``, message
    ``Transform failed to process result using 'successTemplate' template due to error:'Variable $Presences
    has not been set at successTemplate[line 1, column 20]'``; that quoted text is Apache Velocity 1.7's own
    strict-mode exception, line and column included, which lenient mode never raises. The request
    templates (URL, headers, body) stay lenient: the help center documents that a null ``${x}`` prints its
    own text there. Set the attribute to False (on the class or one engine) should a live org show otherwise.
    """

    strict_success_template: bool = True

    def __init__(self, action: Action, *, remote: Any = None, credentials: Mapping[str, Any] | None = None,
                 auth_response: Mapping[str, Any] | None = None) -> None:
        """``credentials`` are the fields of the integration's credential (``${credentials.clientId}``) and
        ``auth_response`` the answer of its OAuth login (``${authResponse.access_token}``). Their values are
        secrets: the request sent carries them, every step record shows ``********`` in their place."""
        self.action = action
        self._credentials = dict(credentials) if credentials is not None else None
        self._auth_response = dict(auth_response) if auth_response is not None else None
        self._secret_values = sorted({str(value) for source in (credentials or {}, auth_response or {})
                                      for value in source.values() if value is not None and str(value)},
                                     key=len, reverse=True)
        config = action.config or {}
        self._request: Mapping[str, Any] = config.get("request") or {}
        self._response: Mapping[str, Any] = config.get("response") or {}
        schema = action.input_schema or {}
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        self.input_fields: tuple[str, ...] = tuple(properties) if isinstance(properties, Mapping) else ()
        self.remote = remote
        self._input_contract: Any = None
        self._output_contract: Any = None

    @classmethod
    def from_export(cls, export: Mapping[str, Any], *, remote: Any = None) -> ActionEngine:
        """An engine for an exported action JSON (the admin UI's Export shape)."""
        return cls(Action.from_export(export), remote=remote)

    def __repr__(self) -> str:
        return f"ActionEngine({action_label(self.action)})"

    # ------------------------------------------------------------------ templates
    @property
    def method(self) -> str:
        return str(self._request.get("requestType") or "GET").upper()

    @property
    def url_template(self) -> str:
        return str(self._request.get("requestUrlTemplate") or "")

    @property
    def request_template(self) -> str:
        template = self._request.get("requestTemplate")
        return DEFAULT_REQUEST_TEMPLATE if template is None else str(template)

    @property
    def header_templates(self) -> dict[str, str]:
        headers = self._request.get("headers") or {}
        return {str(name): str(value) for name, value in headers.items()} if isinstance(headers, Mapping) else {}

    @property
    def translation_map(self) -> dict[str, str]:
        return dict(self._response.get("translationMap") or {})

    @property
    def translation_defaults(self) -> dict[str, str]:
        return dict(self._response.get("translationMapDefaults") or {})

    @property
    def success_template(self) -> str:
        template = self._response.get("successTemplate")
        return DEFAULT_SUCCESS_TEMPLATE if template is None else str(template)

    def _masked(self, value: Any) -> Any:
        """``value`` with every credential and auth-response value replaced by ``********``."""
        if not self._secret_values:
            return value
        if isinstance(value, str):
            for secret in self._secret_values:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {key: self._masked(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._masked(item) for item in value)
        return value

    def masked(self, request: RenderedRequest) -> RenderedRequest:
        """``request`` as it may be shown: credential and authResponse values as ``********``, and a header
        built from them masked whole (``Basic $encoding.base64(...)`` holds no raw value to find)."""
        return RenderedRequest(request.method, self._masked(request.url), self._shown_headers(request.headers),
                               self._masked(request.body), request.warnings)

    def _shown_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        templates = self.header_templates
        return {name: MASK if self._secret_values and _SECRET_REFERENCE.search(templates.get(name, ""))
                else self._masked(value) for name, value in headers.items()}

    def _request_context(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return velocity.request_context(inputs, credentials=self._credentials, auth_response=self._auth_response)

    def _render(self, source: str, context: Mapping[str, Any], template: str,
                strict: bool = False) -> velocity.Rendered:
        return velocity.render_template(source, context, template=template, input_fields=self.input_fields,
                                        strict=strict)

    def render_request(self, inputs: Mapping[str, Any]) -> RenderedRequest:
        """The URL, body and headers this action sends for ``inputs`` (TemplateSyntaxError on a broken template)."""
        context = self._request_context(inputs)
        url = self._render(self.url_template, context, "requestUrlTemplate")
        body = self._render(self.request_template, context, "requestTemplate")
        headers: dict[str, str] = {}
        warnings = [*url.warnings, *body.warnings]
        for name, value in self.header_templates.items():
            rendered = self._render(value, context, f"headers.{name}")
            headers[name] = rendered.text
            warnings.extend(rendered.warnings)
        return RenderedRequest(self.method, url.text, headers, body.text, tuple(warnings))

    def translate(self, remote_response: Any) -> Translation:
        """Each translationMap variable as JSON text, defaults applied where a definite path found nothing."""
        body = remote_response.body if isinstance(remote_response, RemoteResponse) else remote_response
        return translate(self.translation_map, self.translation_defaults, body)

    def render_success(self, translation: Translation, remote_response: Any,
                       inputs: Mapping[str, Any] | None = None) -> str:
        """The successTemplate rendered over the translated variables, ``rawResult`` and the inputs.

        Strict (see the class's ``strict_success_template``): an undefined reference raises
        :class:`~genesys_nb.engine.velocity.StrictReferenceFailure` with Velocity's text.
        """
        body = remote_response.body if isinstance(remote_response, RemoteResponse) else remote_response
        context = velocity.success_context(inputs or {}, translation.variables, _raw_result(body),
                                           credentials=self._credentials, auth_response=self._auth_response)
        return self._render(self.success_template, context, "successTemplate",
                            strict=self.strict_success_template).text

    # ------------------------------------------------------------------ checks
    def check_input(self, inputs: Any) -> list[Any]:
        """FieldErrors of ``inputs`` against the input contract ([] when there is none)."""
        if self.action.input_schema is None:
            return []
        if self._input_contract is None:
            self._input_contract = compile_contract(self.action.input_schema, label="inputSchema")
        return list(self._input_contract.errors(inputs, redact=self.action.secure, label="inputSchema"))

    def check_output(self, output: Any) -> list[Any]:
        """FieldErrors of ``output`` against the success schema ([] when there is none)."""
        if self.action.success_schema is None:
            return []
        if self._output_contract is None:
            self._output_contract = compile_contract(self.action.success_schema, label="successSchema")
        return list(self._output_contract.errors(output, label="successSchema"))

    def problems(self) -> list[EngineProblem]:
        """Every defect that can be found without running the action: template syntax, JSONPath, defaults, schemas."""
        found: list[EngineProblem] = []
        templates = {"requestUrlTemplate": self.url_template, "requestTemplate": self.request_template,
                     "successTemplate": self.success_template,
                     **{f"headers.{name}": value for name, value in self.header_templates.items()}}
        for where, source in templates.items():
            try:
                velocity.check_template(source, template=where)
            except velocity.TemplateSyntaxError as err:
                found.append(EngineProblem(where, str(err)))
        for name, path in self.translation_map.items():
            try:
                compiled = jsonpath.compile_path(str(path))
            except jsonpath.JsonPathError as err:
                found.append(EngineProblem(f"translationMap.{name}", str(err)))
                continue
            for function in compiled.unknown_functions:
                found.append(EngineProblem(f"translationMap.{name}", (
                    f"JSONPath {path!r}: Jayway has no function {function}(), so reading it fails every time; "
                    f"use one of {', '.join(sorted(jsonpath._FUNCTIONS))}")))
        for name, literal in self.translation_defaults.items():
            try:
                json.loads(literal)
            except (TypeError, ValueError) as err:
                found.append(EngineProblem(f"translationMapDefaults.{name}",
                                           f"{literal!r} is not a JSON literal ({err}); write e.g. '\"\"' or 'null'"))
        for where, schema in (("inputSchema", self.action.input_schema), ("successSchema", self.action.success_schema)):
            if schema is None:
                continue
            try:
                compile_contract(schema, label=where)
            except Exception as err:  # noqa: BLE001 - ContractSchemaError and friends: report, never crash
                found.append(EngineProblem(where, str(err)))
        return found

    # ------------------------------------------------------------------ the whole test
    def simulate(self, inputs: Mapping[str, Any], remote: Any = None, *, flatten: bool = False,
                 context_id: str | None = None) -> TestExecutionResult:
        """Run every step like ``POST /actions/{id}/test``; the remote endpoint is answered by a stand-in."""
        steps = Steps(context_id) if context_id else Steps()
        self.run_steps(steps, inputs, remote if remote is not None else self.remote, flatten=flatten)
        return steps.result

    def run_steps(self, steps: Steps, inputs: Mapping[str, Any], remote: Any, *, flatten: bool = False) -> Any:
        """The steps into ``steps``; returns the final output (None when a step failed). ``steps.result`` holds all."""
        context_id = steps.context_id
        problems = self.check_input(inputs)
        if problems:
            listed = "; ".join(f"{p.path}: {p.message}" for p in problems)
            return steps.finish_fail("Validate input against schema", error_body(
                400, f"The input does not match the input contract: {listed}", context_id=context_id,
                detail=INPUT_VALIDATION))
        steps.ok("Validate input against schema", dict(inputs))
        request = self.request_steps(steps, inputs)
        if request is None:
            return None
        if remote is None:
            return steps.finish_fail("Execute request", error_body(
                500, "No remote stand-in answers this action offline; pass remote= (a value, a function, "
                     "a RouteTable or a Recording)", context_id=context_id, detail=REMOTE_ENDPOINT))
        try:
            response = as_remote(remote)(request)
        except NoRemoteAnswer as err:
            return steps.finish_fail("Execute request", error_body(500, str(err), context_id=context_id,
                                                                   detail=REMOTE_ENDPOINT))
        return self.finish_steps(steps, inputs, response, flatten=flatten)

    def request_steps(self, steps: Steps, inputs: Mapping[str, Any]) -> RenderedRequest | None:
        """The URL, body and headers steps into ``steps``; the request, or None when a template failed."""
        context = self._request_context(inputs)
        parts: dict[str, Any] = {}
        for name, where, source in (("Resolve request URL template", "requestUrlTemplate", self.url_template),
                                    ("Resolve request body template", "requestTemplate", self.request_template)):
            try:
                rendered = self._render(source, context, where)
            except velocity.TemplateSyntaxError as err:
                steps.finish_fail(name, error_body(400, str(err), context_id=steps.context_id,
                                                   detail=TEMPLATE_PROCESSING))
                return None
            steps.ok(name, self._masked(rendered.text), rendered.warnings)
            parts[where] = rendered
        headers: dict[str, str] = {}
        warnings: list[str] = []
        for header, source in self.header_templates.items():
            try:
                rendered = self._render(source, context, f"headers.{header}")
            except velocity.TemplateSyntaxError as err:
                steps.finish_fail("Resolve request headers", error_body(
                    400, str(err), context_id=steps.context_id, detail=TEMPLATE_PROCESSING))
                return None
            headers[header] = rendered.text
            warnings.extend(rendered.warnings)
        steps.ok("Resolve request headers", self._shown_headers(headers), warnings)
        url, body = parts["requestUrlTemplate"], parts["requestTemplate"]
        return RenderedRequest(self.method, url.text, headers, body.text, (*url.warnings, *body.warnings, *warnings))

    def finish_steps(self, steps: Steps, inputs: Mapping[str, Any], response: RemoteResponse, *,
                     flatten: bool = False) -> Any:
        """From the remote's answer on: execute request, translation map, output transformation, output contract."""
        context_id = steps.context_id
        if not response.ok:
            text = response.body if isinstance(response.body, str) else _raw_result(response.body)
            return steps.finish_fail("Execute request", remote_failure_error(
                response.status, f"Response from web service: {text[:500]}", context_id))
        body = response.body
        if isinstance(body, str):
            try:
                body = jsonpath.parse_json(body)  # as Jayway's json-smart: long decimals keep their digits
            except ValueError:
                return steps.finish_fail("Execute request", error_body(
                    400, MALFORMED_MESSAGE, context_id=context_id, detail=REMOTE_ENDPOINT,
                    nested="REST call for action execute failed. Message: the remote endpoint's answer is not "
                           "JSON"))
        if json_depth(body) > MAX_JSON_DEPTH:
            return steps.finish_fail("Execute request", error_body(
                400, f"The remote response nests deeper than {MAX_JSON_DEPTH} levels, the platform's limit",
                context_id=context_id, detail=REMOTE_ENDPOINT))
        steps.ok("Execute request", self._masked(body))
        translation = self.translate(body)
        if not translation.ok:
            listed = "; ".join(error.message for error in translation.errors)
            return steps.finish_fail("Resolve translation map", error_body(
                400, f"The translation map could not be resolved: {listed}", context_id=context_id,
                detail=TRANSLATION), result=translation.variables)
        steps.ok("Resolve translation map", dict(translation.variables),
                 [f"{name}: no value at its path, the default {translation.variables[name]} was used"
                  for name in translation.defaults_used])
        try:
            text = self.render_success(translation, body, inputs)
        except velocity.StrictReferenceFailure as err:
            return steps.finish_fail("Apply output transformation", error_body(
                400, transform_failure(err.velocity_message, self.success_template), context_id=context_id,
                detail=TEMPLATE_PROCESSING))
        except velocity.TemplateSyntaxError as err:
            return steps.finish_fail("Apply output transformation", error_body(
                400, str(err), context_id=context_id, detail=TEMPLATE_PROCESSING))
        try:
            output = json.loads(text)
        except ValueError as err:
            return steps.finish_fail("Apply output transformation", error_body(
                400, f"The successTemplate did not render JSON ({err.args[0]}); rendered: {text[:300]}",
                context_id=context_id, detail=TEMPLATE_PROCESSING), result=text)
        if json_depth(output) > MAX_JSON_DEPTH:
            return steps.finish_fail("Apply output transformation", error_body(
                400, f"The output nests deeper than {MAX_JSON_DEPTH} levels, the platform's limit",
                context_id=context_id, detail=TEMPLATE_PROCESSING))
        steps.ok("Apply output transformation", output)
        problems = self.check_output(output)
        if problems:
            listed = "; ".join(f"{p.path}: {p.message}" for p in problems)
            return steps.finish_fail("Validate output against schema", error_body(
                400, f"The output does not match the success schema: {listed}", context_id=context_id,
                detail=TEMPLATE_PROCESSING), result=output)
        final = flatten_output(output) if flatten else output
        steps.ok("Validate output against schema", final)
        steps.final = final
        return final
