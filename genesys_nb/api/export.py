"""Actions as files: the admin UI's export format (one action per file), written the same way every time.

An export holds ``name``, ``integrationType``, ``actionType``, ``config``, ``contract`` and
``secure``, in that order (the admin UI's Export), and no id, version or category: the file
describes the action, the org gives it an id. :func:`format_export` fixes the key order of the
envelope (export, config, request, response, contract) and of every JSON Schema keyword, keeps the
order of the maps the author controls (``properties``, ``headers``, ``translationMap``,
``translationMapDefaults``, ``enum``, ``required``), drops the template URIs the platform adds
(``requestTemplateUri``/``successTemplateUri``), and writes two-space JSON with non-ASCII kept as is
and one final newline. The same action gives the same bytes whichever org or file it came from.

>>> format_export({"secure": False, "name": "Echo", "config": {}, "contract": {}}).splitlines()[:3]
['{', '  "name": "Echo",', '  "config": {},']
>>> export_file_name("Get User ID by Email - Exported 2021-03-03 @ 22:05")
'get-user-id-by-email-exported-2021-03-03-22-05.json'
"""
from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from genesys_nb.api.errors import GenesysNBError

__all__ = [
    "EXPORT_KEYS",
    "ExportError",
    "canonical_export",
    "check_export",
    "export_file_name",
    "export_file_names",
    "format_export",
    "read_export",
    "to_export",
    "write_export",
]

EXPORT_KEYS = ("name", "integrationType", "actionType", "config", "contract", "secure")
_CONFIG_KEYS = ("timeoutSeconds", "request", "response")
_REQUEST_KEYS = ("requestUrlTemplate", "requestType", "headers", "requestTemplate")
_RESPONSE_KEYS = ("translationMap", "translationMapDefaults", "successTemplate")
# The platform adds these to a config it returns; the admin UI's export has none of them.
_PLATFORM_KEYS = {"request": ("requestTemplateUri",), "response": ("successTemplateUri",)}
# JSON Schema keywords: identity and prose first, then the type and its constraints, then the children.
_SCHEMA_KEYWORDS = (
    "$schema", "id", "$id", "$ref", "title", "description", "type", "format", "enum", "const", "default",
    "pattern", "minLength", "maxLength", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum",
    "multipleOf", "minItems", "maxItems", "uniqueItems", "additionalItems", "items", "minProperties",
    "maxProperties", "required", "properties", "patternProperties", "additionalProperties", "definitions",
    "allOf", "anyOf", "oneOf", "not",
)
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")  # name -> schema, names in author order
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_ONE = ("not", "additionalProperties", "additionalItems")
_MAX_SLUG = 80


class ExportError(GenesysNBError, ValueError):
    """A file or dict is not an action export; the message names the file, the field and the fix."""


def _ordered(mapping: Mapping[str, Any], order: Iterable[str]) -> dict[str, Any]:
    """Known keys in ``order``, then the others sorted (so an unknown key still lands in one place)."""
    known = [key for key in order if key in mapping]
    rest = sorted(key for key in mapping if key not in known)
    return {key: mapping[key] for key in [*known, *rest]}


# The _arranged functions build new dicts in the fixed order and share the leaves with their input: they
# never change it. canonical_export copies once; format_export needs no copy at all.
def _schema(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for key, item in _ordered(value, _SCHEMA_KEYWORDS).items():
        if key in _SCHEMA_MAPS and isinstance(item, Mapping):
            out[key] = {name: _schema(child) for name, child in item.items()}
        elif key in (*_SCHEMA_LISTS, *_SCHEMA_ONE, "items"):
            out[key] = [_schema(child) for child in item] if isinstance(item, list) else _schema(item)
        else:
            out[key] = item
    return out


def _config(config: Any) -> Any:
    if not isinstance(config, Mapping):
        return config
    out = _ordered(config, _CONFIG_KEYS)
    for part, order in (("request", _REQUEST_KEYS), ("response", _RESPONSE_KEYS)):
        section = out.get(part)
        if isinstance(section, Mapping):
            out[part] = _ordered({key: value for key, value in section.items() if key not in _PLATFORM_KEYS[part]},
                                 order)
    return out


def _contract(contract: Any) -> Any:
    if not isinstance(contract, Mapping):
        return contract
    out = _ordered(contract, ("input", "output"))
    for part, key in (("input", "inputSchema"), ("output", "successSchema")):
        section = out.get(part)
        if isinstance(section, Mapping):
            out[part] = {name: (_schema(value) if name.endswith("Schema") else value)
                         for name, value in _ordered(section, (key,)).items()}
    return out


def _arranged(export: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(export, Mapping):
        raise ExportError(f"an action export is a JSON object (got {type(export).__name__})")
    out = _ordered(export, EXPORT_KEYS)
    if "config" in out:
        out["config"] = _config(out["config"])
    if "contract" in out:
        out["contract"] = _contract(out["contract"])
    return out


def canonical_export(export: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the export with every key in its fixed place and the platform's template URIs left out."""
    return copy.deepcopy(_arranged(export))


def format_export(export: Mapping[str, Any]) -> str:
    """The file text of an export: canonical order, two-space JSON, UTF-8 characters as is, one final newline."""
    return json.dumps(_arranged(export), indent=2, ensure_ascii=False) + "\n"


def to_export(action: Any, *, integration_type: str | None) -> dict[str, Any]:
    """The export of an Action (or the Action JSON the API returns) read with its contract and config."""
    raw = getattr(action, "raw", None) or (action.to_dict() if hasattr(action, "to_dict") else dict(action))
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ExportError(f"action {raw.get('id')!r} has no name; read it with client.get_action(id)")
    if not isinstance(raw.get("config"), Mapping):
        raise ExportError(f"action {name!r} came without its config: read it with includeConfig=true "
                          "(client.get_action does) and a token that may view the configuration")
    contract = raw.get("contract")
    contract = contract if isinstance(contract, Mapping) else {}
    input_part, output_part = contract.get("input") or {}, contract.get("output") or {}
    input_schema, success_schema = input_part.get("inputSchema"), output_part.get("successSchema")
    if not isinstance(input_schema, Mapping) or not isinstance(success_schema, Mapping):
        raise ExportError(f"action {name!r} came without its schemas: read it with expand=contract "
                          "(client.get_action does), not flattened")
    export: dict[str, Any] = {"name": name}
    if integration_type:
        export["integrationType"] = integration_type
    # The id says what the export calls actionType: custom_-_<uuid>, or static_-_... for the actions an
    # integration brings along.
    action_id = raw.get("id")
    export["actionType"] = action_id.split("_-_", 1)[0] if isinstance(action_id, str) and "_-_" in action_id \
        else "custom"
    export["config"] = raw["config"]
    export["contract"] = {"input": {"inputSchema": input_schema}, "output": {"successSchema": success_schema}}
    export["secure"] = raw.get("secure") is True
    return canonical_export(export)


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:_MAX_SLUG].rstrip("-") or "action"


def export_file_name(name: str) -> str:
    """A stable, readable file name for the action called ``name``: lower case words joined by ``-``."""
    return f"{_slug(name)}.json"


def export_file_names(actions: Iterable[tuple[str, str]]) -> dict[str, str]:
    """File names for ``(action_id, name)`` pairs; names that would collide get the id's last 8 characters."""
    pairs = list(actions)
    counts: dict[str, int] = {}
    for _, name in pairs:
        counts[_slug(name)] = counts.get(_slug(name), 0) + 1
    names = {}
    for action_id, name in pairs:
        slug = _slug(name)
        names[action_id] = f"{slug}--{re.sub(r'[^a-z0-9]', '', action_id.lower())[-8:]}.json" \
            if counts[slug] > 1 else f"{slug}.json"
    return names


def read_export(path: str | Path) -> dict[str, Any]:
    """The export in ``path``; an ExportError names the file and what is wrong with it."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{source}: no such file; give an action export (.json) or a folder of them") from None
    except UnicodeDecodeError as err:
        raise ExportError(f"{source}: not UTF-8 text ({err.reason}); save the export as UTF-8") from None
    except json.JSONDecodeError as err:
        raise ExportError(f"{source}: not JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    check_export(data, str(source))
    return data


def check_export(data: Any, where: str = "export") -> None:
    """Raise ExportError naming the first field an action export lacks or has of the wrong kind."""
    if not isinstance(data, Mapping):
        raise ExportError(f"{where}: an action export is a JSON object with {', '.join(EXPORT_KEYS)}")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise ExportError(f"{where}: 'name' must be the action's name (a non-empty string)")
    if not isinstance(data.get("config"), Mapping):
        raise ExportError(f"{where}: 'config' must be an object with request and response")
    contract = data.get("contract")
    if not isinstance(contract, Mapping):
        raise ExportError(f"{where}: 'contract' must be {{input: {{inputSchema}}, output: {{successSchema}}}}")
    for part, key in (("input", "inputSchema"), ("output", "successSchema")):
        section = contract.get(part)
        if not isinstance(section, Mapping) or not isinstance(section.get(key), Mapping):
            raise ExportError(f"{where}: 'contract.{part}.{key}' must be a JSON Schema object")
    if "secure" in data and not isinstance(data["secure"], bool):
        raise ExportError(f"{where}: 'secure' must be true or false (got {data['secure']!r})")


def write_export(export: Mapping[str, Any], path: str | Path) -> Path:
    """Write ``export`` formatted to ``path`` (UTF-8, ``\\n`` line ends on every system)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(format_export(export))
    return target
