"""Control plane under /__emulator__/: reset, faults, limits, the request log (no auth; loopback only).

    POST /__emulator__/reset            {"tokens": false}
    GET  /__emulator__/faults           -> {"global": plan|null, "actions": {id: plan}}
    PUT  /__emulator__/faults           {"action_id": id|null, "rules": [...]}   (POST works too)
    GET  /__emulator__/limits           -> limits
    PUT  /__emulator__/limits           {"rate_per_minute": 60, "time_scale": 60, ...}   (POST works too)
    GET  /__emulator__/requests?since=N -> {"entries": [...], "next": M}
    POST /__emulator__/tokens/expire    every issued token expires now
    GET  /__emulator__/actions          -> [{id, name, category, secure, behaviour, source}]
    POST /__emulator__/actions          an exported action JSON (with an optional "emulator" block)
    GET  /__emulator__/remotes          -> {action_id: "response"|"routes"|"recording"|"function"|"value"}
    PUT  /__emulator__/remotes          {"action_id": id, "response": {"status": 200, "body": ...}}
                                        or {"action_id": id, "routes": [{"method", "url", "response"}]}
                                        or {"action_id": id, "recording": {"entries": [...]}};
                                        {"action_id": id, "response": null} goes back to the default
    GET  /__emulator__/credentials      -> {action_id: {"credentials": [names], "auth_response": [names]}}
    PUT  /__emulator__/credentials      {"action_id": id, "credentials": {..}, "auth_response": {..}}
                                        (${credentials.X} / ${authResponse.X}; values are never shown)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from genesys_nb.emulator.actions import ActionDefinitionError
from genesys_nb.emulator.faults import FaultPlan, FaultPlanError
from genesys_nb.emulator.remotes import parse_remote_spec, remote_kind
from genesys_nb.emulator.wire import Decision, EmulatorRequest, error_body, json_decision

if TYPE_CHECKING:
    from genesys_nb.emulator.state import OrgState

PREFIX = "/__emulator__"


def _problem(status: int, message: str) -> Decision:
    return json_decision(status, error_body(status, "bad.request" if status == 400 else "not.found", message,
                                            "emulator-control"))


def _body(request: EmulatorRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    value = orjson.loads(request.body)
    if not isinstance(value, dict):
        raise TypeError("the body must be a JSON object")
    return value


def handle(emulator: OrgState, request: EmulatorRequest) -> Decision:
    route = request.path[len(PREFIX):].strip("/")
    method = request.method
    try:
        if route == "reset" and method == "POST":
            emulator.reset(tokens=bool(_body(request).get("tokens", False)))
            return json_decision(200, {"reset": True})
        if route == "faults" and method == "GET":
            return json_decision(200, _faults_view(emulator))
        if route == "faults" and method in ("PUT", "POST"):
            body = _body(request)
            action_id = body.get("action_id", request.param("action_id"))
            plan_data = body.get("plan", {"rules": body.get("rules", [])})
            emulator.set_faults(action_id, FaultPlan.from_dict(plan_data))
            return json_decision(200, _faults_view(emulator))
        if route == "limits" and method == "GET":
            return json_decision(200, emulator.limits.to_dict())
        if route == "limits" and method in ("PUT", "POST"):
            return json_decision(200, emulator.set_limits(**_body(request)).to_dict())
        if route == "requests" and method == "GET":
            since = int(request.param("since") or 0)
            entries = emulator.requests_since(since)
            next_seq = entries[-1].seq + 1 if entries else since
            return json_decision(200, {"entries": [entry.to_dict() for entry in entries], "next": next_seq})
        if route == "tokens/expire" and method == "POST":
            emulator.expire_tokens()
            return json_decision(200, {"expired": True})
        if route == "actions" and method == "POST":
            action = emulator.add_action(_body(request))
            return json_decision(201, {"id": action.id, "name": action.name})
        if route == "remotes" and method == "GET":
            return json_decision(200, _remotes_view(emulator))
        if route == "remotes" and method in ("PUT", "POST"):
            body = _body(request)
            action_id = body.get("action_id")
            if not isinstance(action_id, str):
                return _problem(400, f"{method} {request.path}: give \"action_id\" (the action's id)")
            emulator.set_remote(action_id, parse_remote_spec(body))
            return json_decision(200, _remotes_view(emulator))
        if route == "credentials" and method == "GET":
            return json_decision(200, emulator.credential_fields)
        if route == "credentials" and method in ("PUT", "POST"):
            body = _body(request)
            action_id = body.get("action_id")
            fields = {name: body.get(name) for name in ("credentials", "auth_response")}
            if not isinstance(action_id, str) or any(v is not None and not isinstance(v, dict)
                                                     for v in fields.values()):
                return _problem(400, f"{method} {request.path}: give \"action_id\" and \"credentials\" and/or "
                                     "\"auth_response\" as objects of field names and values")
            emulator.set_credentials(action_id, fields["credentials"], fields["auth_response"])
            return json_decision(200, emulator.credential_fields)
        if route == "actions" and method == "GET":
            return json_decision(200, [
                {"id": a.id, "name": a.name, "category": a.category, "secure": a.secure,
                 "behaviour": a.behaviour, "synthetic": a.synthetic, "source": a.source}
                for a in emulator.actions.values()
            ])
    except (FaultPlanError, ActionDefinitionError, ValueError, TypeError) as err:
        return _problem(400, f"{method} {request.path}: {err}")
    except KeyError as err:
        return _problem(404, f"{method} {request.path}: {err.args[0] if err.args else err}")
    return _problem(404, f"unknown control route {method} {request.path}; see the genesys_nb.emulator.control docs")


def _remotes_view(emulator: OrgState) -> dict[str, str]:
    return {action_id: remote_kind(remote) for action_id, remote in emulator.remotes.items()}


def _faults_view(emulator: OrgState) -> dict[str, Any]:
    faults = emulator.faults
    global_plan = faults.get(None)
    return {
        "global": global_plan.to_dict() if global_plan else None,
        "actions": {scope: plan.to_dict() for scope, plan in faults.items() if scope is not None},
    }
