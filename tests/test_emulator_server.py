"""The emulator over real loopback HTTP: resets, slow answers, control plane, concurrency, the CLI."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from genesys_nb.emulator import EmulatorServer

ACTIONS = "/api/v2/integrations/actions"
REPO_ROOT = Path(__file__).resolve().parents[1]


def login(server: Any, client: httpx.Client) -> dict[str, str]:
    response = client.post("/oauth/token", auth=(server.client_id, server.client_secret),
                           data={"grant_type": "client_credentials"})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture()
def client(emulator_server: Any) -> Any:
    with httpx.Client(base_url=emulator_server.url, timeout=10) as http:
        yield http


def echo_url(server: Any) -> str:
    return f"{ACTIONS}/{server.emulator.action_named('Echo').id}/execute"


def test_server_listens_on_loopback_and_gives_settings(emulator_server: Any) -> None:
    assert emulator_server.url.startswith("http://127.0.0.1:")
    settings = emulator_server.settings()
    assert settings.api_url == emulator_server.url == settings.login_url
    assert emulator_server.client_secret not in repr(emulator_server) + repr(settings)


@pytest.mark.parametrize("when", ["before", "after"])
def test_reset_drops_the_connection_without_an_answer(emulator_server: Any, client: httpx.Client,
                                                      when: str) -> None:
    auth = login(emulator_server, client)
    emulator = emulator_server.emulator
    url = f"{ACTIONS}/{emulator.action_named('Update Customer Record').id}/execute"
    emulator.set_faults(None, {"rules": [{"type": "sequence", "statuses": ["reset" if when == "before" else "reset_after"]}]})
    # What a client sees: a transport error raised after the request was sent, never an HTTP status.
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.post(url, json={"recordId": "R-3001", "notes": "n"}, headers=auth)
    entry = emulator.request_log[-1]
    assert entry.status is None and entry.executed is (when == "after")
    assert client.post(url, json={"recordId": "R-3001", "notes": "n"}, headers=auth).status_code == 200


def test_incomplete_body_over_loopback(emulator_server: Any, client: httpx.Client) -> None:
    auth = login(emulator_server, client)
    emulator_server.emulator.set_faults(None, {"rules": [{"type": "body", "kind": "incomplete"}]})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post(echo_url(emulator_server), json={"message": "m" * 200}, headers=auth)


def test_html_error_page_over_loopback(emulator_server: Any, client: httpx.Client) -> None:
    auth = login(emulator_server, client)
    emulator_server.emulator.set_faults(None, {"rules": [{"type": "body", "kind": "html", "status": 502}]})
    response = client.post(echo_url(emulator_server), json={"message": "m"}, headers=auth)
    assert response.status_code == 502 and response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")


def test_slow_answer_beyond_the_deadline_times_out(emulator_server: Any, client: httpx.Client) -> None:
    auth = login(emulator_server, client)
    emulator_server.emulator.set_faults(None, {"rules": [{"type": "slow", "delay_ms": 1000}]})
    with pytest.raises(httpx.ReadTimeout):
        client.post(echo_url(emulator_server), json={"message": "m"}, headers=auth, timeout=0.2)
    entry = emulator_server.emulator.request_log[-1]
    assert entry.executed and entry.fault == "slow" and entry.status == 200


def test_control_plane_over_http(emulator_server: Any, client: httpx.Client) -> None:
    auth = login(emulator_server, client)
    echo_id = emulator_server.emulator.action_named("Echo").id
    plan = {"action_id": echo_id, "rules": [{"type": "sequence", "statuses": [503, 200]}]}
    assert client.put("/__emulator__/faults", json=plan).json()["actions"][echo_id]["rules"][0]["statuses"] == [503, 200]
    assert client.post(echo_url(emulator_server), json={"message": "m"}, headers=auth).status_code == 503
    limits = client.put("/__emulator__/limits", json={"rate_per_minute": 2}).json()
    assert limits["rate_per_minute"] == 2 and client.get("/__emulator__/limits").json() == limits
    assert client.post(echo_url(emulator_server), json={"message": "m"}, headers=auth).status_code == 200
    assert client.post(echo_url(emulator_server), json={"message": "m"}, headers=auth).status_code == 429
    log = client.get("/__emulator__/requests", params={"since": 1}).json()
    assert [entry["status"] for entry in log["entries"]] == [503, 200, 429]
    assert log["next"] == 4 and log["entries"][0]["time"].endswith("Z")
    assert auth["Authorization"].split()[1] not in str(log)
    bad = client.put("/__emulator__/faults", json={"rules": [{"type": "storm"}]})
    assert bad.status_code == 400 and "fault rule #0" in bad.json()["message"]
    assert client.put("/__emulator__/limits", json={"colour": 1}).status_code == 400
    assert client.get("/__emulator__/nothing").status_code == 404
    assert client.post("/__emulator__/reset", json={}).json() == {"reset": True}
    assert client.get("/__emulator__/faults").json() == {"global": None, "actions": {}}
    assert client.post(echo_url(emulator_server), json={"message": "m"}, headers=auth).status_code == 200
    assert client.post("/__emulator__/tokens/expire").status_code == 200
    assert client.post(echo_url(emulator_server), json={"message": "m"}, headers=auth).status_code == 401
    assert len(client.get("/__emulator__/actions").json()) == len(emulator_server.emulator.actions)


def test_actions_can_be_added_at_runtime(emulator_server: Any, client: httpx.Client) -> None:
    export = {"name": "Runtime Added Action", "integrationType": "custom-rest-actions", "actionType": "custom",
              "contract": {"input": {"inputSchema": {"type": "object", "properties": {"x": {"type": "integer"}}}},
                           "output": {"successSchema": {"type": "object", "properties": {"y": {"type": "string"}}}}},
              "emulator": {"behaviour": "synthesize"}}
    count = len(emulator_server.emulator.actions)
    created = client.post("/__emulator__/actions", json=export)
    assert created.status_code == 201 and created.json()["id"].startswith("custom_-_")
    again = client.post("/__emulator__/actions", json=export)
    assert again.status_code == 400 and "already defined" in again.json()["message"]
    broken = client.post("/__emulator__/actions", json={"name": "No Contract"})
    assert broken.status_code == 400 and "contract" in broken.json()["message"]
    auth = login(emulator_server, client)
    action_id = emulator_server.emulator.action_named("Runtime Added Action").id
    response = client.post(f"{ACTIONS}/{action_id}/execute", json={"x": 1}, headers=auth)
    assert response.status_code == 200 and isinstance(response.json()["y"], str)
    emulator_server.emulator.reset()
    assert len(emulator_server.emulator.actions) == count  # reset forgets actions added at runtime


def _wait_until_idle(emulator: Any) -> None:
    """Answers that clients gave up on (slow-response tests) still hold their slot until they finish."""
    for _ in range(500):
        if emulator.in_flight == 0:
            return
        time.sleep(0.01)


def test_concurrency_limit_over_loopback(emulator_server: Any) -> None:
    emulator = emulator_server.emulator
    _wait_until_idle(emulator)
    emulator.set_limits(max_in_flight=2)
    emulator.set_faults(None, {"rules": [{"type": "slow", "delay_ms": 1500}]})

    async def main() -> list[int]:
        async with httpx.AsyncClient(base_url=emulator_server.url, timeout=10) as http:
            token = (await http.post("/oauth/token", auth=(emulator_server.client_id, emulator_server.client_secret),
                                     data={"grant_type": "client_credentials"})).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            responses = await asyncio.gather(*[
                http.post(echo_url(emulator_server), json={"message": str(i)}, headers=headers) for i in range(4)
            ])
            return sorted(r.status_code for r in responses)

    assert asyncio.run(main()) == [200, 200, 429, 429]
    assert emulator.in_flight == 0


def test_many_concurrent_executions_all_answer(emulator_server: Any) -> None:
    async def main() -> set[int]:
        async with httpx.AsyncClient(base_url=emulator_server.url, timeout=10) as http:
            token = (await http.post("/oauth/token", auth=(emulator_server.client_id, emulator_server.client_secret),
                                     data={"grant_type": "client_credentials"})).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            responses = await asyncio.gather(*[
                http.post(echo_url(emulator_server), json={"message": str(i)}, headers=headers) for i in range(40)
            ])
            return {r.status_code for r in responses}

    assert asyncio.run(main()) == {200}
    executes = [e for e in emulator_server.emulator.request_log if e.operation == "execute"]
    assert len(executes) == 40 and len({e.body_sha256 for e in executes}) == 40


def test_port_in_use_is_a_clear_error(emulator_server: Any) -> None:
    with pytest.raises(OSError, match="pick another port"):
        EmulatorServer(port=emulator_server.port).start()


def _cli(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "genesys_nb", "emulator", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT, env=env)


def test_cli_serves_until_interrupted() -> None:
    process = _cli("--port", "0", "--seed", "3", "--time-scale", "60", "--no-real-actions")
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("genesys-nb emulator serving http://127.0.0.1:"), first
        url = first.split()[3]
        rest = [process.stdout.readline() for _ in range(7)]
        assert "client id:     genesys-nb-emulator" in rest[0]
        assert "emulator-demo-secret" in rest[1]
        response = httpx.post(f"{url}/oauth/token", auth=("genesys-nb-emulator", "emulator-demo-secret"),
                              data={"grant_type": "client_credentials"})
        assert response.status_code == 200
        assert httpx.get(f"{url}/__emulator__/limits").json()["time_scale"] == 60
        assert len(httpx.get(f"{url}/__emulator__/actions").json()) == 8
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=20)
    assert code == 0


def test_cli_refuses_a_bad_actions_folder(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    process = _cli("--actions", str(tmp_path))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "bad.json" in err and "not valid JSON" in err
