"""Drafts of data actions, for both clients: list, create, get, patch, validate, test, publish, delete.

``_DraftCalls`` decides every request and reads every answer without I/O; :class:`DraftsMixin` and
:class:`AsyncDraftsMixin` only send (through the client's own ``_call``, so errors are the same
classified :class:`~genesys_nb.api.errors.APIError` tree and the same token handling as every other
call). A version conflict (PATCH or publish with a version that is not the draft's current one) is
the platform's 409, raised as :class:`~genesys_nb.api.errors.BadRequestError` with ``status_code``
409. Like the other non-execute calls, nothing here is re-sent on failure: a PATCH or publish that
may have been applied must not be applied twice.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from genesys_nb.api._draft_models import DraftValidationResult, publish_draft_body, update_draft_body
from genesys_nb.api._request import ACTIONS_PATH, _encode_inputs, _Request
from genesys_nb.api.base import SchemaKind, _ClientBase
from genesys_nb.api.errors import ContractError
from genesys_nb.api.models import Action, TestExecutionResult

__all__ = ["AsyncDraftsMixin", "DraftsMixin"]

DRAFTS_PATH = f"{ACTIONS_PATH}/drafts"
_SCHEMA_FILES = {"input": "inputschema.json", "success": "successschema.json"}
_TEMPLATE_FILES = ("requesttemplate.vm", "successtemplate.vm")
_POST_ACTION_REQUIRED = ("name", "category", "integrationId", "config", "contract")


class _DraftCalls(_ClientBase):
    """The pure half of the draft methods: requests to send and how each answer reads."""

    def _draft_path(self, action_id: str, *suffix: str) -> str:
        return self._action_path(action_id, "draft", *suffix)

    def _drafts_page_request(self, page_number: int, *, name: str | None, category: str | None,
                             secure: bool | None, page_size: int) -> _Request:
        request = self._list_request(page_number, name=name, category=category, secure=secure, page_size=page_size)
        request.url = DRAFTS_PATH
        request.params["includeConfig"] = "true"
        return request

    def _create_draft_request(self, source: str | Mapping[str, Any]) -> _Request:
        if isinstance(source, str):  # a draft of the published action
            return _Request("POST", self._draft_path(source))
        if not isinstance(source, Mapping):
            raise TypeError("create_draft() takes an action id (a draft of the published action) or a "
                            f"PostActionInput dict (a new action), not {type(source).__name__}")
        missing = [name for name in _POST_ACTION_REQUIRED if source.get(name) in (None, "")]
        if missing:
            raise ValueError(f"a new draft needs {', '.join(missing)} (PostActionInput requires "
                             f"{', '.join(_POST_ACTION_REQUIRED)}; secure is optional)")
        return _Request("POST", DRAFTS_PATH, content=_encode_inputs(source))

    def _get_draft_request(self, action_id: str, *, flatten: bool) -> _Request:
        params = {"expand": "contract", "includeConfig": "true"}
        if flatten:
            params["flatten"] = "true"
        return _Request("GET", self._draft_path(action_id), params)

    def _update_draft_request(self, action_id: str, version: Any, changes: Mapping[str, Any]) -> _Request:
        return _Request("PATCH", self._draft_path(action_id), content=_encode_inputs(update_draft_body(version, **changes)))

    def _publish_request(self, action_id: str, version: Any) -> _Request:
        return _Request("POST", self._draft_path(action_id, "publish"), content=_encode_inputs(publish_draft_body(version)))

    def _draft_test_request(self, action_id: str, inputs: Mapping[str, Any], *, flatten: bool) -> _Request:
        params = {"flatten": "true"} if flatten else {}
        return _Request("POST", self._draft_path(action_id, "test"), params, content=_encode_inputs(inputs))

    def _draft_schema_request(self, action_id: str, which: SchemaKind) -> _Request:
        self._check_which(which)
        return _Request("GET", self._draft_path(action_id, "schemas", _SCHEMA_FILES[which]))

    def _draft_template_request(self, action_id: str, file_name: str) -> _Request:
        if file_name not in _TEMPLATE_FILES:
            raise ValueError(f"file_name must be one of {', '.join(_TEMPLATE_FILES)} (got {file_name!r})")
        # The platform answers a template as text; TF sends Accept: */* for it.
        return _Request("GET", self._draft_path(action_id, "templates", file_name), headers={"Accept": "*/*"})

    # -- answers -------------------------------------------------------------------------------

    def _read_draft(self, response: httpx.Response, action_id: str | None, operation: str) -> Action:
        body = self._json_or_raise(response, operation=operation, action_id=action_id)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ContractError(f"{operation} {action_id or ''} failed: the response is not an Action object.",
                                action_id=action_id)
        return Action.from_dict(body)

    def _read_validation(self, response: httpx.Response, action_id: str) -> DraftValidationResult:
        body = self._json_or_raise(response, operation="draft_validation", action_id=action_id)
        if not isinstance(body, dict) or not isinstance(body.get("valid"), bool):
            raise ContractError(f"draft_validation {action_id} failed: the response is not a DraftValidationResult.",
                                action_id=action_id)
        return DraftValidationResult.from_dict(body)

    def _read_test(self, response: httpx.Response, action_id: str) -> TestExecutionResult:
        body = self._json_or_raise(response, operation="draft_test", action_id=action_id)
        if not isinstance(body, dict):
            raise ContractError(f"draft_test {action_id} failed: the response is not a TestExecutionResult.",
                                action_id=action_id)
        return TestExecutionResult.from_dict(body)

    def _read_schema(self, response: httpx.Response, action_id: str) -> dict[str, Any]:
        body = self._json_or_raise(response, operation="draft_schema", action_id=action_id)
        if not isinstance(body, dict):
            raise ContractError(f"draft_schema of {action_id} is not a JSON object.", action_id=action_id)
        return body

    def _read_template(self, response: httpx.Response, action_id: str) -> str:
        self._raise_for_status(response, operation="draft_template", action_id=action_id)
        return response.text

    def _read_empty(self, response: httpx.Response, action_id: str, operation: str) -> None:
        self._raise_for_status(response, operation=operation, action_id=action_id)


class DraftsMixin(_DraftCalls):
    """The draft methods of :class:`~genesys_nb.api.client.DataActionsClient`."""

    if TYPE_CHECKING:  # the send loop is the client's own
        def _call(self, request: _Request, *, operation: str, action_id: str | None = None) -> httpx.Response: ...

    def iter_drafts(self, *, name: str | None = None, category: str | None = None, secure: bool | None = None,
                    page_size: int = 100) -> Iterator[Action]:
        """Yield every draft (``GET /actions/drafts``, with config), page after page."""
        self._check_page_size(page_size)
        page_number = 1
        while True:
            request = self._drafts_page_request(page_number, name=name, category=category, secure=secure,
                                                page_size=page_size)
            page = self._parse_page(self._call(request, operation="list_drafts"), page_number=page_number,
                                    page_size=page_size)
            yield from page.actions
            if not page.has_more:
                return
            page_number += 1

    def list_drafts(self, *, name: str | None = None, category: str | None = None, secure: bool | None = None,
                    page_size: int = 100) -> list[Action]:
        """Every draft matching the filters, across all pages."""
        return list(self.iter_drafts(name=name, category=category, secure=secure, page_size=page_size))

    def create_draft(self, source: str | Mapping[str, Any]) -> Action:
        """A draft of the published action ``source`` (an id), or of a new action (a PostActionInput dict)."""
        action_id = source if isinstance(source, str) else None
        return self._read_draft(self._call(self._create_draft_request(source), operation="draft_create",
                                           action_id=action_id), action_id, "draft_create")

    def get_draft(self, action_id: str, *, flatten: bool = False) -> Action:
        """The action's draft with its contract and config (``expand=contract&includeConfig=true``)."""
        response = self._call(self._get_draft_request(action_id, flatten=flatten), operation="draft_get",
                              action_id=action_id)
        return self._read_draft(response, action_id, "draft_get")

    def update_draft(self, action_id: str, *, version: int, name: str | None = None, category: str | None = None,
                     config: Mapping[str, Any] | None = None, contract: Mapping[str, Any] | None = None,
                     secure: bool | None = None) -> Action:
        """PATCH the draft (UpdateDraftInput); ``version`` must be its current one, else a 409 BadRequestError."""
        request = self._update_draft_request(action_id, version, {"name": name, "category": category, "config": config,
                                                                  "contract": contract, "secure": secure})
        return self._read_draft(self._call(request, operation="draft_update", action_id=action_id), action_id,
                                "draft_update")

    def validate_draft(self, action_id: str) -> DraftValidationResult:
        """What stands between the draft and publishing it (template syntax, JSONPath, schemas)."""
        request = _Request("GET", self._draft_path(action_id, "validation"))
        return self._read_validation(self._call(request, operation="draft_validation", action_id=action_id), action_id)

    def publish_draft(self, action_id: str, *, version: int) -> Action:
        """Publish the draft (its current ``version``): the action's version goes up, the draft is gone."""
        response = self._call(self._publish_request(action_id, version), operation="draft_publish", action_id=action_id)
        return self._read_draft(response, action_id, "draft_publish")

    def test_draft(self, action_id: str, inputs: Mapping[str, Any], *, flatten: bool = False) -> TestExecutionResult:
        """Run the draft's config in test mode (``POST .../draft/test``): per-step operations."""
        response = self._call(self._draft_test_request(action_id, inputs, flatten=flatten), operation="draft_test",
                              action_id=action_id)
        return self._read_test(response, action_id)

    def get_draft_schema(self, action_id: str, which: SchemaKind = "input") -> dict[str, Any]:
        """The draft's input or success JSON Schema."""
        response = self._call(self._draft_schema_request(action_id, which), operation="draft_schema",
                              action_id=action_id)
        return self._read_schema(response, action_id)

    def get_draft_template(self, action_id: str, file_name: str = "requesttemplate.vm") -> str:
        """The draft's request or success template as text (``requesttemplate.vm`` / ``successtemplate.vm``)."""
        response = self._call(self._draft_template_request(action_id, file_name), operation="draft_template",
                              action_id=action_id)
        return self._read_template(response, action_id)

    def delete_draft(self, action_id: str) -> None:
        """Delete the draft (the published action stays as it is)."""
        response = self._call(_Request("DELETE", self._draft_path(action_id)), operation="draft_delete",
                              action_id=action_id)
        self._read_empty(response, action_id, "draft_delete")


class AsyncDraftsMixin(_DraftCalls):
    """The draft methods of :class:`~genesys_nb.api.client.AsyncDataActionsClient`: same names, awaitable."""

    if TYPE_CHECKING:
        async def _call(self, request: _Request, *, operation: str, action_id: str | None = None
                        ) -> httpx.Response: ...

    async def iter_drafts(self, *, name: str | None = None, category: str | None = None,
                          secure: bool | None = None, page_size: int = 100) -> AsyncIterator[Action]:
        """Yield every draft (``GET /actions/drafts``, with config), page after page."""
        self._check_page_size(page_size)
        page_number = 1
        while True:
            request = self._drafts_page_request(page_number, name=name, category=category, secure=secure,
                                                page_size=page_size)
            page = self._parse_page(await self._call(request, operation="list_drafts"), page_number=page_number,
                                    page_size=page_size)
            for action in page.actions:
                yield action
            if not page.has_more:
                return
            page_number += 1

    async def list_drafts(self, *, name: str | None = None, category: str | None = None,
                          secure: bool | None = None, page_size: int = 100) -> list[Action]:
        """Every draft matching the filters, across all pages."""
        return [a async for a in self.iter_drafts(name=name, category=category, secure=secure, page_size=page_size)]

    async def create_draft(self, source: str | Mapping[str, Any]) -> Action:
        """A draft of the published action ``source`` (an id), or of a new action (a PostActionInput dict)."""
        action_id = source if isinstance(source, str) else None
        return self._read_draft(await self._call(self._create_draft_request(source), operation="draft_create",
                                                 action_id=action_id), action_id, "draft_create")

    async def get_draft(self, action_id: str, *, flatten: bool = False) -> Action:
        """The action's draft with its contract and config (``expand=contract&includeConfig=true``)."""
        response = await self._call(self._get_draft_request(action_id, flatten=flatten), operation="draft_get",
                                    action_id=action_id)
        return self._read_draft(response, action_id, "draft_get")

    async def update_draft(self, action_id: str, *, version: int, name: str | None = None,
                           category: str | None = None, config: Mapping[str, Any] | None = None,
                           contract: Mapping[str, Any] | None = None, secure: bool | None = None) -> Action:
        """PATCH the draft (UpdateDraftInput); ``version`` must be its current one, else a 409 BadRequestError."""
        request = self._update_draft_request(action_id, version, {"name": name, "category": category, "config": config,
                                                                  "contract": contract, "secure": secure})
        return self._read_draft(await self._call(request, operation="draft_update", action_id=action_id), action_id,
                                "draft_update")

    async def validate_draft(self, action_id: str) -> DraftValidationResult:
        """What stands between the draft and publishing it (template syntax, JSONPath, schemas)."""
        request = _Request("GET", self._draft_path(action_id, "validation"))
        return self._read_validation(await self._call(request, operation="draft_validation", action_id=action_id),
                                     action_id)

    async def publish_draft(self, action_id: str, *, version: int) -> Action:
        """Publish the draft (its current ``version``): the action's version goes up, the draft is gone."""
        response = await self._call(self._publish_request(action_id, version), operation="draft_publish",
                                    action_id=action_id)
        return self._read_draft(response, action_id, "draft_publish")

    async def test_draft(self, action_id: str, inputs: Mapping[str, Any], *, flatten: bool = False
                         ) -> TestExecutionResult:
        """Run the draft's config in test mode (``POST .../draft/test``): per-step operations."""
        response = await self._call(self._draft_test_request(action_id, inputs, flatten=flatten),
                                    operation="draft_test", action_id=action_id)
        return self._read_test(response, action_id)

    async def get_draft_schema(self, action_id: str, which: SchemaKind = "input") -> dict[str, Any]:
        """The draft's input or success JSON Schema."""
        response = await self._call(self._draft_schema_request(action_id, which), operation="draft_schema",
                                    action_id=action_id)
        return self._read_schema(response, action_id)

    async def get_draft_template(self, action_id: str, file_name: str = "requesttemplate.vm") -> str:
        """The draft's request or success template as text (``requesttemplate.vm`` / ``successtemplate.vm``)."""
        response = await self._call(self._draft_template_request(action_id, file_name), operation="draft_template",
                                    action_id=action_id)
        return self._read_template(response, action_id)

    async def delete_draft(self, action_id: str) -> None:
        """Delete the draft (the published action stays as it is)."""
        response = await self._call(_Request("DELETE", self._draft_path(action_id)), operation="draft_delete",
                                    action_id=action_id)
        self._read_empty(response, action_id, "draft_delete")
