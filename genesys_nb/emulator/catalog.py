"""Read-only endpoints: the actions listing (paging, filters, sort), one action, its schemas, categories."""
from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from genesys_nb.contract.flatten import flatten_schema
from genesys_nb.emulator.actions import ACTIONS_PATH, EmulatedAction
from genesys_nb.emulator.wire import EmulatorRequest

MAX_PAGE_SIZE = 500
MAX_IDS = 50
SORTABLE_FIELDS = ("id", "name", "category", "integrationId", "version", "secure")
INPUT_SCHEMA_FILE = "inputschema.json"
SUCCESS_SCHEMA_FILE = "successschema.json"


class BadQuery(ValueError):
    """A query parameter the platform would refuse (400 bad.request); the message names it."""

    def __init__(self, message: str, field_name: str) -> None:
        super().__init__(message)
        self.field_name = field_name


def flag(request: EmulatorRequest, name: str, default: bool = False) -> bool:
    value = request.param(name)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise BadQuery(f"Invalid value '{value}' for query parameter '{name}'; use true or false", name)


def int_param(request: EmulatorRequest, name: str, default: int, low: int, high: int) -> int:
    value = request.param(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadQuery(f"Invalid value '{value}' for query parameter '{name}'; expected an integer", name) from None
    if not low <= number <= high:
        raise BadQuery(f"Query parameter '{name}' must be between {low} and {high}, got {number}", name)
    return number


# The template files an action (and its draft) serves under ``.../templates/``, by config part.
TEMPLATE_URI_KEYS = {"request": ("requesttemplate.vm", "requestTemplateUri"),
                     "response": ("successtemplate.vm", "successTemplateUri")}


def config_json(config: Mapping[str, Any], self_uri: str) -> dict[str, Any]:
    """The ActionConfig as the API answers it, for a published action and a draft alike: the stored
    config with the template URIs the SDK's RequestConfig/ResponseConfig name, under ``self_uri``."""
    answered = copy.deepcopy(dict(config))
    for part, (file_name, key) in TEMPLATE_URI_KEYS.items():
        if isinstance(answered.get(part), dict):
            answered[part][key] = f"{self_uri}/templates/{file_name}"
    return answered


def action_json(
    action: EmulatedAction, *, expand_contract: bool = False, flatten: bool = False, include_config: bool = False
) -> dict[str, Any]:
    """The Action model as the API returns it (only fields the SDK's Action model knows)."""
    input_part: dict[str, Any] = {"inputSchemaUri": action.schema_uri(INPUT_SCHEMA_FILE)}
    output_part: dict[str, Any] = {"successSchemaUri": action.schema_uri(SUCCESS_SCHEMA_FILE)}
    if expand_contract:
        if flatten:
            input_part["inputSchemaFlattened"] = flatten_schema(action.input_schema)[0]
            schema, arrays = flatten_schema(action.success_schema)
            output_part["successSchemaFlattened"] = {"schema": schema, "arrayProperties": arrays}
        else:
            input_part["inputSchema"] = action.input_schema
            output_part["successSchema"] = action.success_schema
    body: dict[str, Any] = {
        "id": action.id,
        "name": action.name,
        "integrationId": action.integration_id,
        "category": action.category,
        "contract": {"input": input_part, "output": output_part},
        "version": action.version,
        "secure": action.secure,
    }
    if include_config:
        body["config"] = config_json(action.config, action.self_uri)
    body["selfUri"] = action.self_uri
    return body


def _sort_key(field_name: str) -> Callable[[EmulatedAction], Any]:
    attribute = {"integrationId": "integration_id"}.get(field_name, field_name)

    def key(action: EmulatedAction) -> Any:
        value = getattr(action, attribute)
        return (value.lower() if isinstance(value, str) else value, action.id)

    return key


def list_actions(request: EmulatorRequest, actions: Iterable[EmulatedAction]) -> dict[str, Any]:
    """ActionEntityListing for GET /api/v2/integrations/actions."""
    page_size = int_param(request, "pageSize", 25, 1, MAX_PAGE_SIZE)
    page_number = int_param(request, "pageNumber", 1, 1, 1_000_000)
    include_config = flag(request, "includeConfig")
    flag(request, "includeAuthActions")  # accepted; the emulated org has no custom-auth actions
    selected = list(actions)
    name = request.param("name")
    if name:
        selected = [a for a in selected if name.lower() in a.name.lower()]
    category = request.param("category")
    if category:
        selected = [a for a in selected if a.category == category]
    if request.param("secure") not in (None, ""):
        secure = flag(request, "secure")
        selected = [a for a in selected if a.secure == secure]
    ids = request.param("ids")
    if ids:
        wanted = [part.strip() for part in ids.split(",") if part.strip()]
        if len(wanted) > MAX_IDS:
            raise BadQuery(f"Query parameter 'ids' accepts at most {MAX_IDS} ids, got {len(wanted)}", "ids")
        selected = [a for a in selected if a.id in set(wanted)]
    sort_by = request.param("sortBy") or "name"
    if sort_by not in SORTABLE_FIELDS:
        raise BadQuery(f"Invalid sortBy '{sort_by}'; sortable fields: {', '.join(SORTABLE_FIELDS)}", "sortBy")
    sort_order = (request.param("sortOrder") or "ASC").upper()
    if sort_order not in ("ASC", "DESC"):
        raise BadQuery(f"Invalid sortOrder '{request.param('sortOrder')}'; use ASC or DESC", "sortOrder")
    selected.sort(key=_sort_key(sort_by), reverse=sort_order == "DESC")

    total = len(selected)
    page_count = math.ceil(total / page_size)
    start = (page_number - 1) * page_size
    entities = [action_json(a, include_config=include_config) for a in selected[start : start + page_size]]
    kept = [(key, value) for key, value in request.query if key not in ("pageSize", "pageNumber")]

    def uri(number: int) -> str:
        return f"{ACTIONS_PATH}?{urlencode([('pageSize', page_size), ('pageNumber', number), *kept])}"

    listing: dict[str, Any] = {
        "entities": entities,
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "firstUri": uri(1),
        "selfUri": uri(page_number),
        "lastUri": uri(max(1, page_count)),
        "pageCount": page_count,
    }
    if page_number < page_count:
        listing["nextUri"] = uri(page_number + 1)
    if page_number > 1:
        listing["previousUri"] = uri(min(page_number - 1, max(1, page_count)))
    return listing


def list_categories(request: EmulatorRequest, actions: Iterable[EmulatedAction]) -> dict[str, Any]:
    """CategoryEntityListing for GET /api/v2/integrations/actions/categories."""
    page_size = int_param(request, "pageSize", 25, 1, MAX_PAGE_SIZE)
    page_number = int_param(request, "pageNumber", 1, 1, 1_000_000)
    selected = list(actions)
    if request.param("secure") not in (None, ""):
        secure = flag(request, "secure")
        selected = [a for a in selected if a.secure == secure]
    sort_by = request.param("sortBy") or "name"
    if sort_by != "name":
        raise BadQuery(f"Invalid sortBy '{sort_by}'; categories sort only by name", "sortBy")
    sort_order = (request.param("sortOrder") or "ASC").upper()
    if sort_order not in ("ASC", "DESC"):
        raise BadQuery(f"Invalid sortOrder '{request.param('sortOrder')}'; use ASC or DESC", "sortOrder")
    names = sorted({a.category for a in selected}, key=str.lower, reverse=sort_order == "DESC")
    start = (page_number - 1) * page_size
    return {
        "entities": [{"name": name} for name in names[start : start + page_size]],
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": len(names),
        "pageCount": math.ceil(len(names) / page_size),
    }


def schema_document(action: EmulatedAction, file_name: str, flatten: bool) -> dict[str, Any] | None:
    """The JsonSchemaDocument a ``*SchemaUri`` names, or None for an unknown file name."""
    if file_name == INPUT_SCHEMA_FILE:
        schema = action.input_schema
    elif file_name == SUCCESS_SCHEMA_FILE:
        schema = action.success_schema
    else:
        return None
    return flatten_schema(schema)[0] if flatten else schema
