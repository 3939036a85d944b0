"""Every real action's templates rendered as the Java reference renders them (the expected/ files)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from real_fixtures import ACTIONS_DIR, EXPECTED

from genesys_nb.engine import velocity
from genesys_nb.engine.macros import compact_json


def _load(expected: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    return json.loads(expected.read_text()), json.loads((ACTIONS_DIR / expected.name).read_text())


def _templates(action: dict[str, Any]) -> tuple[str, str, str]:
    config = action.get("config") or {}
    request, response = config.get("request") or {}, config.get("response") or {}
    body, success = request.get("requestTemplate"), response.get("successTemplate")
    return (request.get("requestUrlTemplate") or "", "${input.rawRequest}" if body is None else body,
            "${rawResult}" if success is None else success)


REQUEST_CASES = [pytest.param(path, index, id=f"{path.stem}[{index}]")
                 for path in EXPECTED for index in range(len(json.loads(path.read_text())["cases"]))]


@pytest.mark.parametrize(("path", "index"), REQUEST_CASES)
def test_request_url_and_body_match_the_reference(path: Path, index: int) -> None:
    expected, action = _load(path)
    url, body, _ = _templates(action)
    case = expected["cases"][index]
    context = velocity.request_context(case["inputs"])
    assert velocity.render_template(url, context, template="requestUrlTemplate").text == case["request_url"]
    assert velocity.render_template(body, context, template="requestTemplate").text == case["request_body"]


@pytest.mark.parametrize("path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_success_output_matches_the_reference(path: Path) -> None:
    expected, action = _load(path)
    _, _, success = _templates(action)
    context = velocity.success_context(expected["cases"][0]["inputs"], expected["translated"],
                                       compact_json(expected["remote_response"]))
    text = velocity.render_template(success, context, template="successTemplate").text
    want = expected["success_output"]
    try:
        got_json, want_json = json.loads(text), json.loads(want)
    except ValueError:
        assert text == want
    else:
        assert got_json == want_json


def test_every_fixture_file_has_its_export_and_cases() -> None:
    assert len(EXPECTED) >= 38
    for path in EXPECTED:
        expected, action = _load(path)
        assert expected["cases"] and "config" in action
