"""Each real export's translationMap over its fixture response gives the JSON text Jayway 2.10 gave."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from real_fixtures import ACTIONS_DIR, EXPECTED

from genesys_nb.engine.translate import translate


def _response_config(expected: dict[str, Any], expected_file: Path) -> dict[str, Any]:
    action_file = ACTIONS_DIR / expected.get("action_file", expected_file.name)
    action = json.loads(action_file.read_text(encoding="utf-8"))
    return (action.get("config") or {}).get("response") or {}


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


def test_every_export_has_an_expected_translation() -> None:
    # guards the parametrization above against a folder that silently lost files
    referenced = {json.loads(path.read_text(encoding="utf-8")).get("action_file", path.name)
                  for path in EXPECTED}
    assert referenced == {path.name for path in ACTIONS_DIR.glob("*.json")}
