"""Each real export's translationMap over its fixture response gives the JSON text Jayway 2.10 gave."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from genesys_nb.engine.translate import translate


def _folder() -> Path:
    configured = os.environ.get("GENESYS_NB_REAL_ACTIONS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "real-actions"


FOLDER = _folder()
EXPECTED = sorted((FOLDER / "expected").glob("*.json")) if (FOLDER / "expected").is_dir() else []


def _response_config(expected: dict[str, Any], expected_file: Path) -> dict[str, Any]:
    action_file = FOLDER / expected.get("action_file", expected_file.name)
    action = json.loads(action_file.read_text(encoding="utf-8"))
    return (action.get("config") or {}).get("response") or {}


@pytest.mark.skipif(not EXPECTED, reason=f"no real-action fixtures in {FOLDER}")
@pytest.mark.parametrize("expected_file", EXPECTED, ids=[path.stem for path in EXPECTED])
def test_translation_matches_jayway(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    response = _response_config(expected, expected_file)
    result = translate(response.get("translationMap"), response.get("translationMapDefaults"),
                       expected["remote_response"])
    assert result.errors == ()
    assert sorted(result.variables) == sorted(expected["translated"])
    for name, text in expected["translated"].items():
        assert json.loads(result.variables[name]) == json.loads(text), name


@pytest.mark.skipif(not EXPECTED, reason=f"no real-action fixtures in {FOLDER}")
def test_every_export_has_an_expected_translation() -> None:
    # guards the parametrization above against a folder that silently lost files
    referenced = {json.loads(path.read_text(encoding="utf-8")).get("action_file", path.name)
                  for path in EXPECTED}
    assert referenced == {path.name for path in FOLDER.glob("*.json")}
