"""Property tests: whatever arrives, the emulator answers with a well-formed decision and never raises."""
from __future__ import annotations

import base64
import json

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genesys_nb.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator, EmulatorRequest

EMULATOR = Emulator(seed=3)
EMULATOR.set_limits(rate_per_minute=10**9)
_LOGIN = EMULATOR.handle(EmulatorRequest.build(
    "POST", "/oauth/token", "",
    {"Authorization": "Basic " + base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()},
    b"grant_type=client_credentials"))
AUTH = {"authorization": f"Bearer {_LOGIN.json()['access_token']}"}
ACTION_IDS = sorted(EMULATOR.actions)
BASE = "/api/v2/integrations/actions"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False,
                                                                                            allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
paths = st.one_of(
    st.sampled_from([BASE, f"{BASE}/categories", "/oauth/token", "/", "/api/v2", "/__emulator__/requests",
                     "/__emulator__/faults", "/__emulator__/limits", "/__emulator__/reset"]),
    st.builds(lambda a, tail: f"{BASE}/{a}{tail}", st.sampled_from(ACTION_IDS + ["custom_-_x", ""]),
              st.sampled_from(["", "/execute", "/test", "/schemas/inputschema.json", "/schemas/x", "/a/b/c"])),
    st.text(alphabet="/abcdefgh_-.%", max_size=30).map(lambda p: "/" + p),
)
queries = st.lists(st.tuples(st.sampled_from(["pageSize", "pageNumber", "flatten", "expand", "sortBy", "sortOrder",
                                              "ids", "secure", "name", "since", "includeConfig", "category"]),
                             st.text(max_size=12)), max_size=4)


def _check(decision: object) -> None:
    from genesys_nb.emulator import Decision

    assert isinstance(decision, Decision)
    if decision.reset_connection:
        return
    assert 200 <= decision.status <= 599
    headers = dict(decision.headers)
    if headers.get("content-type", "").startswith("application/json") and decision.body:
        orjson.loads(decision.body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]), path=paths, query=queries,
       authorized=st.booleans(), body=st.one_of(st.binary(max_size=64), json_values.map(lambda value: json.dumps(value).encode())))
def test_any_request_gets_a_well_formed_answer(method: str, path: str, query: list[tuple[str, str]],
                                               authorized: bool, body: bytes) -> None:
    if path.startswith("/__emulator__/reset"):
        return  # would forget the token this module logged in with
    from urllib.parse import urlencode

    request = EmulatorRequest.build(method, path, urlencode(query), AUTH if authorized else {}, body)
    decision = EMULATOR.handle(request)
    try:
        _check(decision)
    finally:
        decision.complete()
        EMULATOR.set_faults(None, None)
        EMULATOR.set_limits(rate_per_minute=10**9, max_in_flight=50, time_scale=1.0, token_lifetime_s=86400.0)


@settings(max_examples=200, deadline=None)
@given(action_id=st.sampled_from(ACTION_IDS), inputs=st.dictionaries(st.text(max_size=12), json_values, max_size=6),
       flatten=st.booleans())
def test_execute_and_test_answer_any_input_object(action_id: str, inputs: dict[str, object], flatten: bool) -> None:
    for operation in ("execute", "test"):
        request = EmulatorRequest.build("POST", f"{BASE}/{action_id}/{operation}", f"flatten={str(flatten).lower()}",
                                        AUTH, json.dumps(inputs).encode())
        decision = EMULATOR.handle(request)
        decision.complete()
        _check(decision)
        if decision.status == 400:
            body = decision.json()
            assert body["code"] == "bad.request" and len(body["details"]) == len(body["errors"]) >= 1
