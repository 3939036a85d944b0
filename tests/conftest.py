"""Shared fixtures: the real exported actions and one emulator server per test session."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _real_actions_dir() -> Path:
    env = os.environ.get("GENESYS_NB_REAL_ACTIONS")
    if env:
        return Path(env)
    # A packaged copy of the public exports ships with the emulator (see its INDEX.md for provenance).
    return REPO_ROOT / "genesys_nb" / "emulator" / "actions" / "real"


@pytest.fixture(scope="session")
def real_actions_dir() -> Path:
    return _real_actions_dir()


@pytest.fixture(scope="session")
def real_actions(real_actions_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(real_actions_dir.glob("*.json"))]


@pytest.fixture(scope="session")
def _emulator_server_session() -> Iterator[Any]:
    from genesys_nb.emulator import EmulatorServer

    with EmulatorServer(seed=1234) as server:
        yield server


@pytest.fixture()
def emulator_server(_emulator_server_session: Any) -> Any:
    """The session's emulator server, reset (faults, limits, request log, tokens kept valid) per test."""
    _emulator_server_session.emulator.reset()
    return _emulator_server_session


@pytest.fixture()
def settings(emulator_server: Any) -> Any:
    return emulator_server.settings()
