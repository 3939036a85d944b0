"""Pure mapping from an action's input JSON Schema to form field specs (no ipywidgets here).

Every decision a form makes about a field (which input kind, which bounds and hints, whether it is a
secret, why it can only be typed as JSON) is made here as plain data, with table tests. How typed
text becomes a JSON value and back lives in :mod:`genesys_nb.widgets.values`.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from genesys_nb.contract import paths

__all__ = [
    "NOT_SET",
    "ROOT_PATH",
    "FieldKind",
    "FieldSpec",
    "constraint_hint",
    "field_path_of",
    "field_specs",
    "iter_specs",
    "looks_secret",
    "spec_at",
]

FieldKind = Literal[
    "text", "password", "number", "integer", "checkbox", "dropdown", "object", "array", "raw_json"
]
SCALAR_KINDS = ("text", "password", "number", "integer")
ROOT_PATH = ""


class _NotSet(enum.Enum):
    """The raw value of a dropdown (or any field) that holds no value; omitted from the inputs."""

    NOT_SET = "NOT_SET"

    def __repr__(self) -> str:
        return "NOT_SET"

    def __bool__(self) -> bool:
        return False


NOT_SET: Any = _NotSet.NOT_SET

# Words that mark a field as secret wherever they appear in its name (letters and digits only).
_SECRET_SUBSTRINGS = (
    "password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "accesskey",
    "credential", "motdepasse", "clientsecret",
)
# Words that mark a field as secret only as a whole word (so "shipping" is not a PIN).
_SECRET_WORDS = frozenset({"pin", "pwd", "otp", "cvv", "cvc", "passcode"})
_WORD_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_UNSUPPORTED_KEYWORDS = ("$ref", "oneOf", "anyOf", "allOf", "not", "if")


@dataclass(frozen=True)
class FieldSpec:
    """How one property of an input schema is shown in a form (decided before any widget exists)."""

    path: str
    name: str
    label: str
    kind: FieldKind
    json_type: str | None = None
    required: bool = False
    has_default: bool = False
    default: Any = None
    description: str = ""
    options: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    secret: bool = False
    children: tuple[FieldSpec, ...] = ()
    item: FieldSpec | None = None
    reason: str = ""
    schema: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False, hash=False)


def looks_secret(name: str) -> bool:
    """True when a field name suggests a secret (password, token, API key, PIN, ...)."""
    compact = re.sub(r"[^a-z0-9]", "", name.lower())
    if any(word in compact for word in _SECRET_SUBSTRINGS):
        return True
    words = {word.lower() for word in _WORD_RE.findall(name)}
    return bool(words & _SECRET_WORDS)


def field_specs(schema: Mapping[str, Any] | None, *, secure: bool = False) -> list[FieldSpec]:
    """Field specs for the top-level properties of an input schema (in schema order).

    A schema that is not an object with properties gives one ``raw_json`` spec at the root path ""
    whose ``reason`` says why, so a form can always be built; ``"properties": {}`` (an action with no
    input) gives no specs at all.
    """
    if not schema:
        return [_root_raw("the action has no input contract; type the input as a JSON object")]
    if not isinstance(schema, Mapping):
        return [_root_raw(f"the input contract is not a JSON object schema ({type(schema).__name__})")]
    unsupported = _unsupported_reason(schema)
    if unsupported:
        return [_root_raw(unsupported)]
    types = paths.declared_types(schema)
    if types and types != ["object"]:
        return [_root_raw(f"the input contract's type is {types!r}, not 'object'")]
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and not properties:
        return []  # "properties": {} is how an export says the action takes no input: the form has no fields
    if not isinstance(properties, Mapping):
        return [_root_raw("the input contract declares no properties; type the input as a JSON object")]
    return _children(schema, parent_path="", secure=secure)


def iter_specs(specs: Sequence[FieldSpec]) -> list[FieldSpec]:
    """Every spec, depth first (object children and array item templates included)."""
    out: list[FieldSpec] = []
    for spec in specs:
        out.append(spec)
        out.extend(iter_specs(spec.children))
        if spec.item is not None:
            out.extend(iter_specs([spec.item]))
    return out


def constraint_hint(spec: FieldSpec) -> str:
    """A short human hint of what the field accepts, e.g. "integer, 1 ≤ x ≤ 5" or "length 36..36"."""
    parts: list[str] = []
    if spec.json_type and spec.kind not in ("object", "array", "dropdown", "checkbox"):
        parts.append(spec.json_type)
    if spec.minimum is not None or spec.maximum is not None:
        low = "" if spec.minimum is None else f"{_num(spec.minimum)} {'<' if spec.exclusive_minimum else '≤'} "
        high = "" if spec.maximum is None else f" {'<' if spec.exclusive_maximum else '≤'} {_num(spec.maximum)}"
        parts.append(f"{low}x{high}")
    if spec.min_length is not None or spec.max_length is not None:
        low_len = "0" if spec.min_length is None else str(spec.min_length)
        high_len = "" if spec.max_length is None else str(spec.max_length)
        parts.append(f"length {low_len}..{high_len}")
    if spec.min_items is not None or spec.max_items is not None:
        low_items = "0" if spec.min_items is None else str(spec.min_items)
        high_items = "" if spec.max_items is None else str(spec.max_items)
        parts.append(f"{low_items}..{high_items} items")
    if spec.pattern:
        parts.append(f"pattern {spec.pattern}")
    if spec.format:
        parts.append(f"format {spec.format}")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# schema -> specs


def _root_raw(reason: str) -> FieldSpec:
    return FieldSpec(path=ROOT_PATH, name="", label="input (JSON)", kind="raw_json", json_type="object",
                     required=True, reason=reason)


def _children(schema: Mapping[str, Any], *, parent_path: str, secure: bool) -> list[FieldSpec]:
    properties = schema.get("properties") or {}
    required = schema.get("required")
    # A malformed "required" (not a list, or holding non-strings) marks nothing required; the
    # validator reports the broken contract itself.
    required_names = {name for name in required if isinstance(name, str)} if isinstance(required, list) else set()
    specs = []
    for name, prop in properties.items():
        path = f"{parent_path}.{name}" if parent_path else str(name)
        specs.append(_spec(str(name), path, prop, required=name in required_names, secure=secure))
    return specs


def _unsupported_reason(schema: Mapping[str, Any]) -> str:
    for keyword in _UNSUPPORTED_KEYWORDS:
        if keyword in schema:
            return f"the schema uses '{keyword}', which a form cannot show field by field; type JSON"
    return ""


def _spec(name: str, path: str, prop: Any, *, required: bool, secure: bool) -> FieldSpec:
    label = f"{name} *" if required else name
    if not isinstance(prop, Mapping):
        return FieldSpec(path=path, name=name, label=label, kind="raw_json", required=required,
                         reason="the property's schema is not a JSON object; type JSON")
    base: dict[str, Any] = {
        "path": path, "name": name, "label": label, "required": required,
        "description": str(prop.get("description") or "").strip(), "schema": prop,
    }
    if "default" in prop:
        base["has_default"] = True
        base["default"] = prop["default"]

    unsupported = _unsupported_reason(prop)
    if unsupported:
        return FieldSpec(kind="raw_json", reason=unsupported, **base)
    types = paths.declared_types(prop)
    nullable = "null" in types
    concrete = [t for t in types if t != "null"]
    if len(concrete) > 1:
        return FieldSpec(kind="raw_json", reason=f"the property allows several types {concrete}; type JSON",
                         **base)
    json_type = concrete[0] if concrete else _implied_type(prop)
    base["json_type"] = json_type

    if "enum" in prop or "const" in prop:
        options = prop["enum"] if "enum" in prop else [prop["const"]]
        if not isinstance(options, list) or not options:
            return FieldSpec(kind="raw_json", reason="the enum is empty or not a list; type JSON", **base)
        if any(isinstance(option, (dict, list)) for option in options):
            return FieldSpec(kind="raw_json", reason="the enum holds objects or arrays; type JSON", **base)
        options = [option for option in options if not (option is None and nullable)]
        return FieldSpec(kind="dropdown", options=tuple(options), **base)

    if json_type == "boolean":
        if required:
            return FieldSpec(kind="checkbox", **base)
        # An optional boolean has three states (absent, true, false): a checkbox cannot say "absent".
        return FieldSpec(kind="dropdown", options=(True, False), **base)

    if json_type in ("string", "number", "integer"):
        bounds = _bounds(prop)
        secret = looks_secret(name) or (secure and json_type == "string")
        kind: FieldKind
        if secret:
            kind = "password"
        elif json_type == "string":
            kind = "text"
        else:
            kind = json_type  # type: ignore[assignment]
        return FieldSpec(
            kind=kind, secret=secret,
            min_length=_int_or_none(prop.get("minLength")), max_length=_int_or_none(prop.get("maxLength")),
            pattern=prop.get("pattern") if isinstance(prop.get("pattern"), str) else None,
            format=prop.get("format") if isinstance(prop.get("format"), str) else None,
            **bounds, **base,
        )

    if json_type == "object":
        properties = prop.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            return FieldSpec(kind="raw_json",
                             reason="the object declares no properties (free-form); type JSON", **base)
        children = tuple(_children(prop, parent_path=path, secure=secure))
        return FieldSpec(kind="object", children=children, **base)

    if json_type == "array":
        items = prop.get("items")
        if not isinstance(items, Mapping) or not items:
            why = "a list of item schemas (tuple)" if isinstance(items, list) else "no item schema"
            return FieldSpec(kind="raw_json", reason=f"the array has {why}; type JSON", **base)
        item = _spec(name, f"{path}[]", items, required=True, secure=secure)
        item = _replace(item, label=f"{name} item")
        return FieldSpec(kind="array", item=item, min_items=_int_or_none(prop.get("minItems")),
                         max_items=_int_or_none(prop.get("maxItems")), **base)

    if json_type is None:
        return FieldSpec(kind="raw_json", reason="the property declares no type; type JSON", **base)
    return FieldSpec(kind="raw_json", reason=f"the type '{json_type}' has no form input; type JSON", **base)


def _implied_type(prop: Mapping[str, Any]) -> str | None:
    if "properties" in prop:
        return "object"
    if "items" in prop:
        return "array"
    if "enum" in prop or "const" in prop:
        values = prop.get("enum") or [prop.get("const")]
        kinds = {_json_type_of(value) for value in values if value is not None}
        return kinds.pop() if len(kinds) == 1 else None
    return None


def _json_type_of(value: Any) -> str:
    """A scalar's JSON type; anything else is "other" (an enum of objects or arrays is not a widget)."""
    kind = paths.json_type(value)
    return kind if kind in ("boolean", "integer", "number", "string") else "other"


def _bounds(prop: Mapping[str, Any]) -> dict[str, Any]:
    """Numeric bounds, reading both draft-04 (boolean exclusive flags) and draft-06+ (numeric) forms."""
    out: dict[str, Any] = {"minimum": _num_or_none(prop.get("minimum")),
                           "maximum": _num_or_none(prop.get("maximum"))}
    for side in ("minimum", "maximum"):
        exclusive = prop.get(f"exclusive{side.capitalize()}")
        if isinstance(exclusive, bool):
            out[f"exclusive_{side}"] = exclusive and out[side] is not None
        elif _num_or_none(exclusive) is not None:
            out[side] = _num_or_none(exclusive)
            out[f"exclusive_{side}"] = True
    return out


def _num_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _replace(spec: FieldSpec, **changes: Any) -> FieldSpec:
    from dataclasses import replace

    return replace(spec, **changes)


def spec_at(spec: FieldSpec, path: str) -> FieldSpec:
    """The spec re-rooted at a concrete path (an array item template gets its index: ``tags[0]``)."""
    if spec.path == path:
        return spec
    children = tuple(spec_at(child, f"{path}.{child.name}") for child in spec.children)
    return _replace(spec, path=path, children=children)


_JSON_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]")


def field_path_of(json_path: str) -> str:
    """A validator's JSON path (``$.items[0].sku``, ``$['odd key']``) as a form path (``items[0].sku``).

    The root ``$`` gives "". Text that is not a JSON path is returned unchanged.
    """
    if not json_path.startswith("$"):
        return json_path
    out = ""
    position = 1
    while position < len(json_path):
        match = _JSON_PATH_PART.match(json_path, position)
        if match is None:
            return json_path
        name, index, quoted = match.groups()
        if index is not None:
            out += f"[{index}]"
        else:
            key = name if name is not None else re.sub(r"\\(.)", r"\1", quoted)
            out = f"{out}.{key}" if out else key
        position = match.end()
    return out
