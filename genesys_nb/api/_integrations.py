"""The org's integrations, for both clients: ``GET /api/v2/integrations`` (every page) and one by id.

An action's ``integrationId`` names its integration; the integration's ``integrationType.id``
(``custom-rest-actions``, ``purecloud-data-actions``, ...) is the ``integrationType`` of the admin
UI's export. Reading them needs ``integrations:integration:view``. Credentials are a separate
resource and are never read here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from genesys_nb.api._fields import JSON, _require_mapping, _str
from genesys_nb.api._request import _Request
from genesys_nb.api.base import _ClientBase
from genesys_nb.api.errors import ContractError

__all__ = ["AsyncIntegrationsMixin", "Integration", "IntegrationsMixin"]

INTEGRATIONS_PATH = "/api/v2/integrations"
_PAGE_SIZE = 100


@dataclass
class Integration:
    """One integration: its id, name and kind (``integration_type``, e.g. ``custom-rest-actions``)."""

    id: str
    name: str | None = None
    integration_type: str | None = None
    raw: JSON = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Integration:
        raw = _require_mapping(data, "Integration")
        kind = raw.get("integrationType")
        return cls(id=str(raw.get("id") or ""), name=_str(raw.get("name")),
                   integration_type=_str(kind.get("id")) if isinstance(kind, Mapping) else _str(kind), raw=raw)


class _IntegrationCalls(_ClientBase):
    def _integrations_request(self, page_number: int, integration_type: str | None) -> _Request:
        params = {"pageSize": str(_PAGE_SIZE), "pageNumber": str(page_number)}
        if integration_type:
            params["integrationType"] = integration_type
        return _Request("GET", INTEGRATIONS_PATH, params)

    def _read_integrations(self, response: httpx.Response, page_number: int) -> tuple[list[Integration], bool]:
        body = self._json_or_raise(response, operation="list_integrations", action_id=None)
        entities = body.get("entities") if isinstance(body, dict) else None
        if not isinstance(entities, list):
            raise ContractError("list_integrations failed: the response is not an IntegrationEntityListing.")
        found = [Integration.from_dict(e) for e in entities if isinstance(e, Mapping) and e.get("id")]
        page_count = body.get("pageCount")
        more = page_number < page_count if isinstance(page_count, int) else bool(body.get("nextUri") and found)
        return found, more

    def _read_integration(self, response: httpx.Response, integration_id: str) -> Integration:
        body = self._json_or_raise(response, operation="get_integration", action_id=None)
        if not isinstance(body, dict) or not body.get("id"):
            raise ContractError(f"get_integration {integration_id} failed: the response is not an Integration.")
        return Integration.from_dict(body)


class IntegrationsMixin(_IntegrationCalls):
    """The integration methods of :class:`~genesys_nb.api.client.DataActionsClient`."""

    if TYPE_CHECKING:
        def _call(self, request: _Request, *, operation: str, action_id: str | None = None) -> httpx.Response: ...

    def list_integrations(self, *, integration_type: str | None = None) -> list[Integration]:
        """Every integration of the org (all pages), optionally only one kind (``custom-rest-actions``...)."""
        out: list[Integration] = []
        page_number = 1
        while True:
            response = self._call(self._integrations_request(page_number, integration_type),
                                  operation="list_integrations")
            found, more = self._read_integrations(response, page_number)
            out.extend(found)
            if not more:
                return out
            page_number += 1

    def get_integration(self, integration_id: str) -> Integration:
        """One integration by id."""
        response = self._call(_Request("GET", f"{INTEGRATIONS_PATH}/{integration_id}"), operation="get_integration")
        return self._read_integration(response, integration_id)


class AsyncIntegrationsMixin(_IntegrationCalls):
    """The integration methods of :class:`~genesys_nb.api.client.AsyncDataActionsClient`: same names, awaitable."""

    if TYPE_CHECKING:
        async def _call(self, request: _Request, *, operation: str, action_id: str | None = None
                        ) -> httpx.Response: ...

    async def list_integrations(self, *, integration_type: str | None = None) -> list[Integration]:
        """Every integration of the org (all pages), optionally only one kind (``custom-rest-actions``...)."""
        out: list[Integration] = []
        page_number = 1
        while True:
            response = await self._call(self._integrations_request(page_number, integration_type),
                                        operation="list_integrations")
            found, more = self._read_integrations(response, page_number)
            out.extend(found)
            if not more:
                return out
            page_number += 1

    async def get_integration(self, integration_id: str) -> Integration:
        """One integration by id."""
        response = await self._call(_Request("GET", f"{INTEGRATIONS_PATH}/{integration_id}"),
                                    operation="get_integration")
        return self._read_integration(response, integration_id)
