"""What an emulated action's remote endpoint answers, and how the emulator runs an action's config.

The emulator runs every action through :class:`genesys_nb.engine.ActionEngine`: the action's own
request templates, translation map and success template. Only the remote service is pretend. Its
answer comes from, first found wins:

1. a stand-in set at run time (``Emulator.set_remote`` or ``PUT /__emulator__/remotes``): a JSON
   value, a :class:`RemoteResponse`, a function of the :class:`RenderedRequest`, a
   :class:`RouteTable` or a :class:`Recording`;
2. the answer the action ships with (its emulator block's ``"remote"``, or ``remotes/<file>``);
3. its behaviour (:mod:`genesys_nb.emulator.behaviours`), which by default makes a value up from the
   success schema.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genesys_nb.api.models import Action
from genesys_nb.emulator.actions import EmulatedAction
from genesys_nb.emulator.behaviours import BEHAVIOURS, BehaviourContext, RemoteFailure
from genesys_nb.emulator.wire import error_body, nested_error
from genesys_nb.engine import ActionEngine
from genesys_nb.engine.remote import (
    NoRemoteAnswer,
    Recording,
    RemoteResponse,
    RemoteStandIn,
    RenderedRequest,
    RouteTable,
)
from genesys_nb.engine.steps import REMOTE_ENDPOINT

__all__ = ["RemoteSpecError", "answer", "behaviour_remote", "engine_for", "no_answer_error", "parse_remote_spec",
           "remote_kind"]


class RemoteSpecError(ValueError):
    """A control-plane remote description that cannot be used; the message says what to send instead."""


def engine_for(action: EmulatedAction, *, credentials: dict[str, Any] | None = None,
               auth_response: dict[str, Any] | None = None) -> ActionEngine:
    """An engine over the emulated action's config and contract, as the platform would run it, with the
    integration's credential and OAuth-answer fields when they are set."""
    export = {
        "name": action.name,
        "integrationType": action.integration_type,
        "actionType": "custom",
        "config": action.config,
        "contract": {"input": {"inputSchema": action.input_schema},
                     "output": {"successSchema": action.success_schema}},
        "secure": action.secure,
    }
    return ActionEngine(Action.from_export(export, action_id=action.id, version=action.version),
                        credentials=credentials, auth_response=auth_response)


def behaviour_remote(action: EmulatedAction, inputs: dict[str, Any],
                     records: dict[str, dict[str, Any]]) -> RemoteStandIn:
    """The action's behaviour as its remote endpoint: the behaviour's value is the remote's 200 body."""
    behaviour = BEHAVIOURS[action.behaviour]

    def remote(request: RenderedRequest) -> RemoteResponse:
        try:
            return RemoteResponse(body=behaviour(inputs, BehaviourContext(action.success_schema, records)))
        except RemoteFailure as failure:
            return RemoteResponse(body=failure.message, status=failure.status)

    return remote


def answer(stand_in: RemoteStandIn, request: RenderedRequest, *, who: str) -> RemoteResponse | str:
    """The stand-in's answer, or the text of why it has none (never raises: a broken stand-in is the remote
    failing, which the caller turns into the Execute request step's error)."""
    try:
        response = stand_in(request)
    except NoRemoteAnswer as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - a stand-in that fails is the remote endpoint failing
        return f"{who} failed on this request ({type(err).__name__}: {err})"
    if not isinstance(response, RemoteResponse):
        return f"{who} answered {type(response).__name__}, not a RemoteResponse"
    return response


def no_answer_error(reason: str, context_id: str) -> dict[str, Any]:
    """The Execute request step's ErrorBody when the stand-in had no answer (:func:`answer`'s text)."""
    return error_body(500, "internal.server.error", reason, context_id, details=[{"errorCode": REMOTE_ENDPOINT}],
                      errors=[nested_error(500, "INTERNAL_SERVER_ERROR",
                                           f"REST call for action execute failed. Message: {reason} [{context_id}]")])


def parse_remote_spec(body: Mapping[str, Any]) -> Any:
    """The stand-in a control-plane body describes, or None to go back to the action's default.

    ``{"response": {"status": 200, "body": ...}}``, ``{"routes": [{"method", "url", "response"}]}`` or
    ``{"recording": {"entries": [...]}}`` (a file ``Recording.save`` wrote); ``{"response": null}`` clears.
    """
    given = [key for key in ("response", "routes", "recording") if key in body]
    if len(given) > 1:
        raise RemoteSpecError(f"give one of response, routes or recording, not {' and '.join(given)}")
    if not given or body[given[0]] is None:
        return None
    key = given[0]
    value = body[key]
    try:
        if key == "response":
            if not isinstance(value, Mapping):
                raise RemoteSpecError('"response" must be an object {"status": 200, "body": <JSON>}')
            return RemoteResponse.from_dict(value)
        if key == "routes":
            if not isinstance(value, list):
                raise RemoteSpecError('"routes" must be a list of {"method": "GET", "url": "<glob or re:...>", '
                                      '"response": {"status": 200, "body": <JSON>}}')
            table = RouteTable()
            for number, route in enumerate(value, start=1):
                if not isinstance(route, Mapping) or not isinstance(route.get("url"), str):
                    raise RemoteSpecError(f'routes[{number}] needs a "url" pattern (and "method", default "*")')
                response = route.get("response")
                if not isinstance(response, Mapping):
                    raise RemoteSpecError(f'routes[{number}] needs a "response" object {{"status", "body"}}')
                table.add(str(route.get("method", "*")), route["url"], RemoteResponse.from_dict(response))
            return table
        if not isinstance(value, Mapping) or not isinstance(value.get("entries"), list):
            raise RemoteSpecError('"recording" must be an object {"entries": [...]}, as Recording.save writes')
        return Recording(value["entries"], action=value.get("action"))
    except RemoteSpecError:
        raise
    except (ValueError, TypeError) as err:
        raise RemoteSpecError(f"{key}: {err}") from None


def remote_kind(remote: Any) -> str:
    """A word for what answers: response, routes, recording or function (the control plane lists these)."""
    if isinstance(remote, RemoteResponse):
        return "response"
    if isinstance(remote, RouteTable):
        return "routes"
    if isinstance(remote, Recording):
        return "recording"
    return "function" if callable(remote) else "value"
