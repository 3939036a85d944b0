"""An embedded Genesys Cloud org (Data Actions surface): state, pure handlers, ASGI app, transports, server.

    from genesys_nb.emulator import EmulatorServer
    with EmulatorServer(seed=1) as server:
        server.url, server.client_id, server.client_secret   # a real loopback org
        server.emulator.set_faults(None, {"rules": [{"type": "errors", "rates": {"503": 0.1}}]})
"""
from __future__ import annotations

from genesys_nb.emulator.actions import (
    ActionDefinitionError,
    EmulatedAction,
    action_id_for,
    load_action_file,
    load_actions_dir,
    parse_action,
)
from genesys_nb.emulator.asgi import create_app
from genesys_nb.emulator.faults import (
    BadBody,
    ConnectionReset,
    ErrorRates,
    FaultPlan,
    FaultPlanError,
    Latency,
    LatencyModel,
    SlowResponse,
    StatusSequence,
)
from genesys_nb.emulator.handlers import Emulator
from genesys_nb.emulator.limits import Limits
from genesys_nb.emulator.log import RequestLogEntry
from genesys_nb.emulator.server import EmulatorServer
from genesys_nb.emulator.tokens import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from genesys_nb.emulator.transport import AsyncEmulatorTransport, EmulatorTransport
from genesys_nb.emulator.wire import BODY_KINDS, Decision, EmulatorRequest

__all__ = [
    "BODY_KINDS",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "ActionDefinitionError",
    "AsyncEmulatorTransport",
    "BadBody",
    "ConnectionReset",
    "Decision",
    "EmulatedAction",
    "Emulator",
    "EmulatorRequest",
    "EmulatorServer",
    "EmulatorTransport",
    "ErrorRates",
    "FaultPlan",
    "FaultPlanError",
    "Latency",
    "LatencyModel",
    "Limits",
    "RequestLogEntry",
    "SlowResponse",
    "StatusSequence",
    "action_id_for",
    "create_app",
    "load_action_file",
    "load_actions_dir",
    "parse_action",
]
