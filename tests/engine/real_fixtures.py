"""Where the real exports and the Java reference's results for them live (GENESYS_NB_REAL_ACTIONS overrides).

The exports are the copies packaged with the emulator; ``tests/fixtures/expected`` holds what Apache
Velocity 1.7 and Jayway JsonPath 2.10 make of each (see the INDEX.md beside the exports).
"""
from __future__ import annotations

import os
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
_CONFIGURED = os.environ.get("GENESYS_NB_REAL_ACTIONS")

ACTIONS_DIR = Path(_CONFIGURED) if _CONFIGURED else _TESTS.parent / "genesys_nb" / "emulator" / "actions" / "real"
EXPECTED_DIR = ACTIONS_DIR / "expected" if _CONFIGURED else _TESTS / "fixtures" / "expected"
EXPECTED = sorted(EXPECTED_DIR.glob("*.json"))
if len(EXPECTED) < 38:  # never let the fixture tests quietly parametrize over nothing
    raise RuntimeError(f"{EXPECTED_DIR} holds {len(EXPECTED)} expected/ files; 38 or more are needed")
