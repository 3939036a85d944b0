"""The answer of ``POST /actions/{id}/test``: one :class:`TestOperation` per step and the
:class:`TestExecutionResult` around them."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_nb.api._error_body import ErrorBody
from genesys_nb.api._fields import JSON, _int, _mapping, _require_mapping, _str

__all__ = ["TestExecutionResult", "TestOperation"]


@dataclass
class TestOperation:
    """One step of ``POST /actions/{id}/test``."""

    __test__ = False  # not a pytest test class despite the name

    step: int | None = None
    name: str | None = None
    success: bool = False
    result: Any = None
    error: ErrorBody | None = None
    raw: JSON = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestOperation:
        raw = _require_mapping(data, "TestOperation")
        error = _mapping(raw.get("error"))
        return cls(
            step=_int(raw.get("step")),
            name=_str(raw.get("name")),
            success=raw.get("success") is True,
            result=copy.deepcopy(raw.get("result")),
            error=ErrorBody.from_dict(error) if error is not None else None,
            raw=raw,
        )

    @property
    def warnings(self) -> list[str]:
        """Warnings the offline engine attached to this step (unresolved references, defaults used)."""
        found = self.raw.get("warnings")
        return [str(w) for w in found] if isinstance(found, list) else []

    def to_dict(self) -> JSON:
        if self.raw:
            return copy.deepcopy(self.raw)
        out: JSON = {"step": self.step, "name": self.name, "success": self.success, "result": self.result}
        if self.error is not None:
            out["error"] = self.error.to_dict()
        return out


@dataclass
class TestExecutionResult:
    """The answer of ``POST /actions/{id}/test``: per-step operations and the final result."""

    __test__ = False

    success: bool = False
    operations: list[TestOperation] = field(default_factory=list)
    error: ErrorBody | None = None
    final_result: Any = None
    raw: JSON = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestExecutionResult:
        raw = _require_mapping(data, "TestExecutionResult")
        operations = raw.get("operations")
        error = _mapping(raw.get("error"))
        return cls(
            success=raw.get("success") is True,
            operations=[TestOperation.from_dict(op) for op in operations if isinstance(op, Mapping)]
            if isinstance(operations, list) else [],
            error=ErrorBody.from_dict(error) if error is not None else None,
            final_result=copy.deepcopy(raw.get("finalResult")),
            raw=raw,
        )

    @property
    def output(self) -> Any:
        """What execute would have returned (``finalResult``); None when a step failed."""
        return self.final_result

    @property
    def failed_operation(self) -> TestOperation | None:
        """The first step that did not succeed, if any."""
        return next((op for op in self.operations if not op.success), None)

    def to_dict(self) -> JSON:
        if self.raw:
            return copy.deepcopy(self.raw)
        out: JSON = {"success": self.success, "operations": [op.to_dict() for op in self.operations]}
        if self.error is not None:
            out["error"] = self.error.to_dict()
        if self.final_result is not None:
            out["finalResult"] = copy.deepcopy(self.final_result)
        return out
