"""The action engine: an action's own config (Velocity templates, Jayway JSONPath, success template) run offline.

Names are imported lazily so that ``import genesys_nb.engine`` stays cheap.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "ActionEngine": "engine",
    "EngineProblem": "engine",
    "MAX_JSON_DEPTH": "engine",
    "RenderedRequest": "remote",
    "RemoteResponse": "remote",
    "RouteTable": "remote",
    "Recording": "remote",
    "NoRemoteAnswer": "remote",
    "as_remote": "remote",
    "record": "recording",
    "STEP_NAMES": "steps",
    "Translation": "translate",
    "TranslationError": "translate",
    "TemplateSyntaxError": "velocity",
    "JsonPathError": "jsonpath",
}

__all__ = [
    "MAX_JSON_DEPTH",
    "STEP_NAMES",
    "ActionEngine",
    "EngineProblem",
    "JsonPathError",
    "NoRemoteAnswer",
    "Recording",
    "RemoteResponse",
    "RenderedRequest",
    "RouteTable",
    "TemplateSyntaxError",
    "Translation",
    "TranslationError",
    "as_remote",
    "record",
]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'genesys_nb.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"genesys_nb.engine.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
