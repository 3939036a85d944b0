"""genesys_nb: a Python SDK and Jupyter toolkit for Genesys Cloud Data Actions.

The public surface is listed in ``__all__``. Names are imported lazily (PEP 562) so that
``import genesys_nb`` stays cheap for the CLI and does not pull in pandas or matplotlib
until they are used.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from genesys_nb.api.version import __version__

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # configuration and errors
    "Settings": "api.settings",
    "REGIONS": "api.settings",
    "GenesysNBError": "api.errors",
    "ConfigError": "api.errors",
    "InputValidationError": "api.errors",
    "AuthenticationError": "api.errors",
    "APIError": "api.errors",
    "BadRequestError": "api.errors",
    "RemoteEndpointError": "api.errors",
    "UnauthorizedError": "api.errors",
    "PermissionDeniedError": "api.errors",
    "NotFoundError": "api.errors",
    "RateLimitedError": "api.errors",
    "ServerError": "api.errors",
    "ExecutionTimeoutError": "api.errors",
    "NetworkError": "api.errors",
    "ContractError": "api.errors",
    "ContractSchemaError": "api.errors",
    "ERROR_CLASSES": "api.errors",
    # retries
    "RetryPolicy": "api.retry",
    # models
    "Action": "api.models",
    "ActionContract": "api.models",
    "ErrorBody": "api.models",
    "TestExecutionResult": "api.models",
    "TestOperation": "api.models",
    "ExecutionResult": "api.result",
    "FieldError": "api.models",
    # clients, validation, execution
    "DataActionsClient": "api.client",
    "AsyncDataActionsClient": "api.client",
    "DataActionValidator": "contract.validator",
    "DataActionExecutor": "run.executor",
    "AsyncDataActionExecutor": "run.executor",
    # pipeline
    "ParameterMatrix": "run.matrix",
    "MatrixRunner": "run.runner",
    "AuditLog": "audit.writer",
    "read_audit": "audit.writer",
    "WebhookDispatcher": "run.webhook",
    "ExecutionOrchestrator": "run.orchestrator",
    # analysis
    "LatencyReport": "report.latency",
    # sessions
    "connect": "run.session",
    "Session": "run.session",
}

__all__ = [
    "ERROR_CLASSES",
    "REGIONS",
    "APIError",
    "Action",
    "ActionContract",
    "AsyncDataActionExecutor",
    "AsyncDataActionsClient",
    "AuditLog",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ContractError",
    "ContractSchemaError",
    "DataActionExecutor",
    "DataActionValidator",
    "DataActionsClient",
    "ErrorBody",
    "ExecutionOrchestrator",
    "ExecutionResult",
    "ExecutionTimeoutError",
    "FieldError",
    "GenesysNBError",
    "InputValidationError",
    "LatencyReport",
    "MatrixRunner",
    "NetworkError",
    "NotFoundError",
    "ParameterMatrix",
    "PermissionDeniedError",
    "RateLimitedError",
    "RemoteEndpointError",
    "RetryPolicy",
    "ServerError",
    "Session",
    "Settings",
    "TestExecutionResult",
    "TestOperation",
    "UnauthorizedError",
    "WebhookDispatcher",
    "__version__",
    "connect",
    "read_audit",
]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'genesys_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"genesys_nb.{module_name}"), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
    from genesys_nb.api.errors import (
        ERROR_CLASSES,
        APIError,
        AuthenticationError,
        BadRequestError,
        ConfigError,
        ContractError,
        ContractSchemaError,
        ExecutionTimeoutError,
        GenesysNBError,
        InputValidationError,
        NetworkError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitedError,
        RemoteEndpointError,
        ServerError,
        UnauthorizedError,
    )
    from genesys_nb.api.models import (
        Action,
        ActionContract,
        ErrorBody,
        FieldError,
        TestExecutionResult,
        TestOperation,
    )
    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.api.retry import RetryPolicy
    from genesys_nb.api.settings import REGIONS, Settings
    from genesys_nb.audit.writer import AuditLog, read_audit
    from genesys_nb.contract.validator import DataActionValidator
    from genesys_nb.report.latency import LatencyReport
    from genesys_nb.run.executor import AsyncDataActionExecutor, DataActionExecutor
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.orchestrator import ExecutionOrchestrator
    from genesys_nb.run.runner import MatrixRunner
    from genesys_nb.run.session import Session, connect
    from genesys_nb.run.webhook import WebhookDispatcher
