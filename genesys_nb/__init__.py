"""genesys_nb: a Python SDK and Jupyter toolkit for Genesys Cloud Data Actions.

The public surface is listed in ``__all__``. Names are imported lazily (PEP 562) so that
``import genesys_nb`` stays cheap for the CLI and does not pull in pandas or matplotlib
until they are used.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # configuration and errors
    "Settings": "config",
    "REGIONS": "config",
    "GenesysNBError": "errors",
    "ConfigError": "errors",
    "InputValidationError": "errors",
    "AuthenticationError": "errors",
    "APIError": "errors",
    "BadRequestError": "errors",
    "RemoteEndpointError": "errors",
    "UnauthorizedError": "errors",
    "PermissionDeniedError": "errors",
    "NotFoundError": "errors",
    "RateLimitedError": "errors",
    "ServerError": "errors",
    "ExecutionTimeoutError": "errors",
    "NetworkError": "errors",
    "ContractError": "errors",
    "ContractSchemaError": "errors",
    "ERROR_CLASSES": "errors",
    # retries
    "RetryPolicy": "retry",
    # models
    "Action": "models",
    "ActionContract": "models",
    "ErrorBody": "models",
    "TestExecutionResult": "models",
    "TestOperation": "models",
    "ExecutionResult": "models",
    "FieldError": "models",
    # clients, validation, execution
    "DataActionsClient": "client",
    "AsyncDataActionsClient": "client",
    "DataActionValidator": "validation",
    "DataActionExecutor": "executor",
    "AsyncDataActionExecutor": "executor",
    # pipeline
    "ParameterMatrix": "matrix",
    "MatrixRunner": "runner",
    "AuditLog": "audit",
    "read_audit": "audit",
    "WebhookDispatcher": "webhook",
    "ExecutionOrchestrator": "orchestrator",
    # analysis
    "LatencyReport": "report",
    # sessions
    "connect": "session",
    "Session": "session",
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
    from genesys_nb.audit import AuditLog, read_audit
    from genesys_nb.client import AsyncDataActionsClient, DataActionsClient
    from genesys_nb.config import REGIONS, Settings
    from genesys_nb.errors import (
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
    from genesys_nb.executor import AsyncDataActionExecutor, DataActionExecutor
    from genesys_nb.matrix import ParameterMatrix
    from genesys_nb.models import (
        Action,
        ActionContract,
        ErrorBody,
        ExecutionResult,
        FieldError,
        TestExecutionResult,
        TestOperation,
    )
    from genesys_nb.orchestrator import ExecutionOrchestrator
    from genesys_nb.report import LatencyReport
    from genesys_nb.retry import RetryPolicy
    from genesys_nb.runner import MatrixRunner
    from genesys_nb.session import Session, connect
    from genesys_nb.validation import DataActionValidator
    from genesys_nb.webhook import WebhookDispatcher
