"""Success templates render in strict reference mode in the emulator's /test and /execute, over loopback HTTP.

The platform's recorded failure (a successTemplate naming a variable the translation map does not define) is
the witness: 400 ``bad.request``, detail ``ACTION.PROCESSING``, and Velocity's own strict-mode text.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from genesys_nb.api.client import DataActionsClient
from genesys_nb.api.settings import Settings
from genesys_nb.engine.steps import STEP_NAMES

PRESENCE = {
    "name": "Presence Definitions (strict)",
    "integrationType": "custom-rest-actions",
    "config": {
        "request": {"requestUrlTemplate": "/api/v2/presencedefinitions", "requestType": "GET",
                    "headers": {}, "requestTemplate": "${input.rawRequest}"},
        "response": {"translationMap": {"presences": "$.entities"}, "translationMapDefaults": {},
                     "successTemplate": '{"PresenceArray" : $Presences}'},
    },
    "contract": {"input": {"inputSchema": {"type": "object", "properties": {}}},
                 "output": {"successSchema": {"type": "object", "properties": {}}}},
}
TEMPLATE = PRESENCE["config"]["response"]["successTemplate"]
VELOCITY_TEXT = "Variable $Presences has not been set at successTemplate[line 1, column 20]"


@pytest.fixture()
def client(settings: Settings) -> Any:
    with DataActionsClient(settings, timeout_s=10) as data_actions:
        yield data_actions


def test_an_undefined_success_variable_fails_test_and_execute_with_the_platform_body(
        client: DataActionsClient, emulator_server: Any) -> None:
    emulator = emulator_server.emulator
    action = emulator.add_action(json.loads(json.dumps(PRESENCE)))
    emulator.set_remote(action.id, {"entities": [{"id": "a"}]})
    test = client.test(action.id, {})
    assert not test.success
    failed = test.operations[-1]
    assert failed.name == "Apply output transformation"
    assert failed.step == STEP_NAMES.index("Apply output transformation") + 1
    error = failed.error
    assert error is not None and error.status == 400 and error.code == "bad.request"
    assert error.details == [{"errorCode": "ACTION.PROCESSING"}]
    assert error.message == ("Transform failed to process result using 'successTemplate' template due to "
                                f"error:'{VELOCITY_TEXT}'\n Template:'{TEMPLATE}'.")
    result = client.execute(action.id, {})
    assert not result.ok and result.status_code == 400
    assert result.error_body is not None and result.error_body.details == [{"errorCode": "ACTION.PROCESSING"}]
    assert f"error:'{VELOCITY_TEXT}'" in (result.error_body.message or "")
    # the remote was reached both times: the failure is after the request, as on the platform
    assert [e.executed for e in emulator.request_log if e.operation in ("execute", "test")] == [True, True]


def test_the_defined_name_renders_and_a_null_value_renders_with_a_silent_reference(
        client: DataActionsClient, emulator_server: Any) -> None:
    emulator = emulator_server.emulator
    export = json.loads(json.dumps(PRESENCE))
    export["config"]["response"]["successTemplate"] = '{"PresenceArray" : $presences, "n": "$!nothing"}'
    export["config"]["response"]["translationMap"]["nothing"] = "$.missing"
    export["config"]["response"]["translationMapDefaults"] = {"nothing": "null"}
    action = emulator.add_action(export)
    emulator.set_remote(action.id, {"entities": [{"id": "a"}]})
    result = client.execute(action.id, {})
    assert result.ok, result.error_message
    assert result.output == {"PresenceArray": [{"id": "a"}], "n": "null"}
