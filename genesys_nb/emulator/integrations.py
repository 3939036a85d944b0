"""The emulated org's integrations: ``GET /api/v2/integrations`` and ``GET /api/v2/integrations/{id}``.

An action belongs to an integration (``integrationId``); the integration says which kind it is
(``integrationType.id``: ``custom-rest-actions``, ``purecloud-data-actions``, ...), which is what the
admin UI's export calls ``integrationType``. The emulated org has one integration per kind: the three
data-action kinds always, plus any other kind an action of the org uses. JSON names follow the
official SDK's Integration, IntegrationType and IntegrationEntityListing models. Credentials belong
to an integration, never to an action, and are not served here.
"""
from __future__ import annotations

import math
from typing import Any

from genesys_nb.emulator.actions import integration_id_for
from genesys_nb.emulator.call import INTEGRATIONS_PATH, Call
from genesys_nb.emulator.wire import Decision, error_body

PERMISSION = "integrations:integration:view"
OPERATIONS = frozenset({"integrations_list", "integration_get"})
# The name the admin UI gives each kind of data-action integration (also the default category).
NAMES = {
    "purecloud-data-actions": "Genesys Cloud Data Actions",
    "custom-rest-actions": "Web Services Data Actions",
    "salesforce-datadip": "Salesforce Data Actions",
}


def integration_types(emulator: Any) -> list[str]:
    """Every integration kind of the org: the data-action ones, then those its actions use."""
    used = {action.integration_type for action in emulator._actions.values()}
    used |= {slot.action.integration_type for slot in emulator._drafts.values()}
    return [*NAMES, *sorted(used - set(NAMES))]


def type_of(emulator: Any, integration_id: str) -> str | None:
    """The kind of the integration ``integration_id``, None when the org has no such integration."""
    return next((kind for kind in integration_types(emulator) if integration_id_for(kind) == integration_id), None)


def integration_json(kind: str) -> dict[str, Any]:
    integration_id = integration_id_for(kind)
    return {
        "id": integration_id,
        "name": NAMES.get(kind, kind),
        "integrationType": {"id": kind, "name": NAMES.get(kind, kind), "selfUri": f"/api/v2/integrations/types/{kind}"},
        "intendedState": "ENABLED",
        "reportedState": {"code": "ACTIVE"},
        "selfUri": f"{INTEGRATIONS_PATH}/{integration_id}",
    }


def _page_params(call: Call) -> tuple[int, int] | Decision:
    values = []
    for name, default, top in (("pageSize", 25, 100), ("pageNumber", 1, 10_000)):
        text = call.request.param(name)
        try:
            value = default if text in (None, "") else int(text)
        except ValueError:
            value = 0
        if not 1 <= value <= top:
            return call.error(error_body(400, "bad.request", f"'{name}' must be an integer 1..{top}, got {text!r}",
                                         call.context_id, details=[{"errorCode": "INVALID_QUERY",
                                                                    "fieldName": name}]))
        values.append(value)
    return values[0], values[1]


def handle(emulator: Any, call: Call, parts: list[str]) -> Decision:
    """Answer one integrations request; the caller checked the method and permission."""
    if call.operation == "integration_get":
        kind = type_of(emulator, parts[1])
        if kind is None:
            return call.error(error_body(404, "not.found", f"Unable to find an integration with id {parts[1]}.",
                                         call.context_id))
        return call.answer(200, integration_json(kind))
    paging = _page_params(call)
    if isinstance(paging, Decision):
        return paging
    page_size, page_number = paging
    wanted = call.request.param("integrationType")
    kinds = [kind for kind in integration_types(emulator) if not wanted or kind == wanted]
    page_count = max(1, math.ceil(len(kinds) / page_size))
    chosen = kinds[(page_number - 1) * page_size: page_number * page_size]

    def uri(number: int) -> str:
        return f"{INTEGRATIONS_PATH}?pageSize={page_size}&pageNumber={number}"

    listing: dict[str, Any] = {
        "entities": [integration_json(kind) for kind in chosen], "pageSize": page_size,
        "pageNumber": page_number, "total": len(kinds), "firstUri": uri(1), "selfUri": uri(page_number),
        "lastUri": uri(page_count), "pageCount": page_count,
    }
    if page_number < page_count:
        listing["nextUri"] = uri(page_number + 1)
    if page_number > 1:
        listing["previousUri"] = uri(page_number - 1)
    return call.answer(200, listing)
