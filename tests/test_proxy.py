"""Traffic through real proxies on loopback: sync and async clients, token requests, the runner and
the CLI; NO_PROXY; proxy authentication without leaks; a proxy that is down; TLS through a tunnel
with a company CA; SOCKS.

How the emulator is reached through a proxy: it is addressed as ``emulator.test``, a name no DNS
knows, which only the proxy resolves (``tests/forward_proxy.py``, as a corporate proxy resolves names
for its clients). A request that reaches it went through the proxy, and the client's loopback rule
(127.0.0.0/8, ::1 and localhost never go through a proxy) is not involved. NO_PROXY is shown with
a second local address (a relay on this machine's non-loopback address) where there is one.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from forward_proxy import ForwardProxy, Relay, Socks5Proxy, TLSFront, non_loopback_address
from webhook_receiver import WebhookReceiver

from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
from genesys_nb.api.errors import AuthenticationError, NetworkError, fix_hint
from genesys_nb.api.network import network_policy
from genesys_nb.api.settings import Settings
from genesys_nb.emulator import action_id_for

ECHO = action_id_for("Echo")
NAME = "emulator.test"
PROXY_PASSWORD = "pr0xy-s3cret-Zq9"


@pytest.fixture()
def proxy(emulator_server: Any) -> Iterator[ForwardProxy]:
    with ForwardProxy(hosts={NAME: ("127.0.0.1", emulator_server.port)}) as running:
        yield running


def _named(settings: Settings, port: int, scheme: str = "http", **changes: Any) -> Settings:
    url = f"{scheme}://{NAME}:{port}"
    return dataclasses.replace(settings, api_base_url=url, login_base_url=url, **changes)


def _paths(proxy: ForwardProxy) -> list[str]:
    return [f"{entry.method} {httpx.URL(entry.target).path}" for entry in proxy.log if entry.method != "CONNECT"]


def _dead_port() -> int:
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


# ---- every kind of traffic goes through the proxy --------------------------------------------------
def test_sync_client_and_its_token_request_go_through_the_proxy(
        proxy: ForwardProxy, settings: Settings, emulator_server: Any) -> None:
    with DataActionsClient(_named(settings, emulator_server.port, proxy=proxy.url)) as client:
        assert client.execute(ECHO, {"message": "via proxy"}).ok
    assert _paths(proxy) == ["POST /oauth/token", f"POST /api/v2/integrations/actions/{ECHO}/execute"]


def test_async_client_follows_the_environment(proxy: ForwardProxy, settings: Settings, emulator_server: Any) -> None:
    policy = network_policy(_named(settings, emulator_server.port), environ={"HTTP_PROXY": proxy.url})

    async def main() -> list[bool]:
        async with AsyncDataActionsClient(_named(settings, emulator_server.port), network=policy) as client:
            return [r.ok for r in await asyncio.gather(*(client.execute(ECHO, {"message": "m"}) for _ in range(5)))]

    assert asyncio.run(main()) == [True] * 5
    assert _paths(proxy).count("POST /oauth/token") == 1
    assert _paths(proxy).count(f"POST /api/v2/integrations/actions/{ECHO}/execute") == 5


def test_the_runner_of_a_session_goes_through_the_proxy(
        proxy: ForwardProxy, settings: Settings, emulator_server: Any, tmp_path: Path) -> None:
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.runner import MatrixRunner
    from genesys_nb.run.session import Session

    with Session(_named(settings, emulator_server.port, proxy=proxy.url)) as session:
        matrix = ParameterMatrix.product(sequence=list(range(12))).with_fixed(message="m")
        frame = MatrixRunner(session, concurrency=4, rate_per_minute=None, progress=False,
                             audit=tmp_path / "audit.ndjson").run(ECHO, matrix)
    assert frame["ok"].all()
    assert _paths(proxy).count(f"POST /api/v2/integrations/actions/{ECHO}/execute") == 12


def test_genesys_nb_run_follows_https_proxy_variables(proxy: ForwardProxy, emulator_server: Any, tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if "PROXY" not in key.upper()}
    env.update({
        "GENESYS_CLIENT_ID": emulator_server.client_id, "GENESYS_CLIENT_SECRET": emulator_server.client_secret,
        "GENESYS_API_BASE_URL": f"http://{NAME}:{emulator_server.port}", "HTTP_PROXY": proxy.url,
        "HTTPS_PROXY": proxy.url,
    })
    done = subprocess.run(
        [sys.executable, "-c", "import sys, genesys_nb.cli as c; sys.exit(c.main())", "run", ECHO, "--product", "sequence=1,2,3", "--fixed", "message=m",
         "--no-progress", "--audit", str(tmp_path / "audit.ndjson"), "--rate", "none"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _paths(proxy).count(f"POST /api/v2/integrations/actions/{ECHO}/execute") == 3
    assert "POST /oauth/token" in _paths(proxy)


# ---- what does not go through it -------------------------------------------------------------------
def test_loopback_never_goes_through_a_proxy(proxy: ForwardProxy, settings: Settings) -> None:
    dead = f"http://127.0.0.1:{_dead_port()}"
    for chosen in (dataclasses.replace(settings, proxy=dead),):  # even an explicit proxy
        with DataActionsClient(chosen) as client:
            assert client.execute(ECHO, {"message": "direct"}).ok
    policy = network_policy(settings, environ={"HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url, "ALL_PROXY": dead})
    with DataActionsClient(settings, network=policy) as client:
        assert client.execute(ECHO, {"message": "direct"}).ok
    assert proxy.log == []
    for url in ("http://localhost:1/", "http://127.0.0.2:1/", "http://[::1]:1/", "http://app.localhost/"):
        assert policy.proxy_for(url) is None


def test_no_proxy_sends_the_host_direct(proxy: ForwardProxy, settings: Settings, emulator_server: Any) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to serve a second local address on")
    try:
        relay = Relay(address, ("127.0.0.1", emulator_server.port))
    except OSError:
        pytest.skip(f"cannot listen on {address}")
    with relay:
        url = f"http://{address}:{relay.port}"
        direct = dataclasses.replace(settings, api_base_url=url, login_base_url=url)
        for no_proxy, through in ((address, False), (f"{address.rsplit('.', 1)[0]}.0/24", False), ("", True)):
            proxy.log.clear()
            policy = network_policy(direct, environ={"HTTP_PROXY": proxy.url, "NO_PROXY": no_proxy})
            with DataActionsClient(direct, network=policy) as client:
                assert client.execute(ECHO, {"message": "m"}).ok
            assert bool(proxy.log) is through, no_proxy


def test_no_proxy_names_and_precedence() -> None:
    env = {"HTTPS_PROXY": "http://env-proxy:3128", "http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:1",
           "NO_PROXY": "corp.example, .internal.example,10.0.0.0/8,api.example:8443"}
    policy = network_policy(environ=env)
    assert policy.proxy_for("https://api.mypurecloud.com/x") == "http://env-proxy:3128"
    assert policy.proxy_for("http://api.mypurecloud.com/x") == "http://lower:1"  # lower case first, as curl
    assert policy.proxy_for("https://a.corp.example/") is None and policy.proxy_for("https://corp.example/") is None
    assert policy.proxy_for("https://notcorp.example/") == "http://env-proxy:3128"
    assert policy.proxy_for("https://internal.example/") == "http://env-proxy:3128"  # ".x" covers subdomains only
    assert policy.proxy_for("https://10.2.3.4/") is None
    assert policy.proxy_for("https://api.example:8443/") is None and policy.proxy_for("https://api.example/") is not None
    assert network_policy(environ={**env, "NO_PROXY": "*"}).proxy_for("https://x.example/") is None
    explicit = Settings("id", "secret", proxy="http://explicit:8080")
    assert network_policy(explicit, environ=env).proxy_for("https://api.mypurecloud.com/") == "http://explicit:8080"
    assert network_policy(environ={**env, "GENESYS_PROXY": "http://g:1"}).proxy_for("https://x.example/") == "http://g:1"
    assert network_policy(Settings("id", "secret", proxy="direct"), environ=env).proxy_for("https://x.example/") is None
    from_env = Settings.from_env(None, {"GENESYS_CLIENT_ID": "id", "GENESYS_CLIENT_SECRET": "s",
                                        "GENESYS_PROXY": "proxy.corp:3128"})
    assert from_env.proxy == "http://proxy.corp:3128"


# ---- proxy authentication, and its password nowhere ---------------------------------------------------
def test_proxy_auth_works_and_the_password_never_leaks(
        settings: Settings, emulator_server: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.runner import MatrixRunner

    caplog.set_level(logging.DEBUG)
    with ForwardProxy(hosts={NAME: ("127.0.0.1", emulator_server.port)}, auth=("alice", PROXY_PASSWORD)) as proxy:
        good = _named(settings, emulator_server.port, proxy=proxy.url_with_auth("alice", PROXY_PASSWORD))
        with DataActionsClient(good) as client:
            assert client.execute(ECHO, {"message": "m"}).ok
            shown = [repr(good), str(good), repr(client), repr(client.network), repr(client.auth)]
        audit = tmp_path / "audit.ndjson"
        frame = MatrixRunner(good, concurrency=2, rate_per_minute=None, progress=False, audit=audit).run(
            ECHO, ParameterMatrix.product(sequence=[1, 2, 3]).with_fixed(message="m"))
        assert frame["ok"].all()
        assert {entry.user for entry in proxy.log} == {"alice"} and {e.status for e in proxy.log} == {200}

        bad = _named(settings, emulator_server.port, proxy=proxy.url_with_auth("alice", "wrong-" + PROXY_PASSWORD))
        with DataActionsClient(bad) as client, pytest.raises(AuthenticationError) as refused:
            client.execute(ECHO, {"message": "m"})  # a plain-HTTP target: the proxy's 407 answers the login
        assert refused.value.status_code == 407 and "proxy" in str(refused.value)
        shown += [repr(bad), str(refused.value), frame.to_csv()]
    assert "alice:***@" in repr(good)
    for text in [*shown, audit.read_text(encoding="utf-8"), caplog.text]:
        assert PROXY_PASSWORD not in text


def test_a_tunnel_refused_for_bad_credentials_is_a_network_error_naming_the_proxy(
        settings: Settings, emulator_server: Any, tls: dict[str, Any]) -> None:
    with ForwardProxy(hosts={NAME: ("127.0.0.1", tls["front"].port)}, auth=("alice", PROXY_PASSWORD)) as proxy:
        bad = _named(settings, tls["front"].port, "https", verify=tls["bundle"],
                     proxy=proxy.url_with_auth("alice", "nope-" + PROXY_PASSWORD))
        with DataActionsClient(bad) as client:
            result = client.execute(ECHO, {"message": "m"})
            with pytest.raises(NetworkError) as raised:
                client.list_actions()
    assert (result.error_class, result.request_sent) == ("network", False)
    for text in (result.error_message or "", str(raised.value)):
        assert f"proxy http://alice:***@127.0.0.1:{proxy.port}" in text and PROXY_PASSWORD not in text


# ---- a proxy that is down ------------------------------------------------------------------------
def test_a_proxy_that_is_down_is_a_network_error_whose_hint_names_it(settings: Settings, emulator_server: Any) -> None:
    port = _dead_port()
    down = _named(settings, emulator_server.port, proxy=f"http://bob:{PROXY_PASSWORD}@127.0.0.1:{port}")
    with DataActionsClient(down) as client:
        result = client.execute(ECHO, {"message": "m"})
        with pytest.raises(NetworkError) as raised:
            client.list_actions()
    named = f"http://bob:***@127.0.0.1:{port}"
    assert (result.error_class, result.request_sent) == ("network", False)
    assert raised.value.error_class == "network"
    assert f"the request went through the proxy {named}" in str(raised.value)
    assert named in (result.error_message or "")
    assert PROXY_PASSWORD not in str(raised.value) + (result.error_message or "")
    assert "NO_PROXY" in fix_hint("network", proxy=named) and named in fix_hint("network", proxy=named)


# ---- TLS through the tunnel, with a company CA -------------------------------------------------------
@pytest.fixture()
def tls(emulator_server: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(NAME).configure_cert(context)
    bundle = tmp_path / "company-root-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with TLSFront(context, ("127.0.0.1", emulator_server.port)) as front:
        yield {"front": front, "bundle": str(bundle)}


def test_tls_through_the_proxy_with_a_company_ca(settings: Settings, tls: dict[str, Any]) -> None:
    port = tls["front"].port
    with ForwardProxy(hosts={NAME: ("127.0.0.1", port)}) as proxy:
        trusted = _named(settings, port, "https", verify=tls["bundle"], proxy=proxy.url)
        with DataActionsClient(trusted) as client:
            assert client.execute(ECHO, {"message": "tls"}).ok

        async def main() -> bool:
            policy = network_policy(_named(settings, port, "https"),
                                    environ={"HTTPS_PROXY": proxy.url, "REQUESTS_CA_BUNDLE": tls["bundle"]})
            async with AsyncDataActionsClient(_named(settings, port, "https"), network=policy) as client:
                return (await client.execute(ECHO, {"message": "tls"})).ok

        assert asyncio.run(main())
        with DataActionsClient(_named(settings, port, "https", proxy=proxy.url)) as client:  # system store only
            untrusted = client.execute(ECHO, {"message": "tls"})
    assert [entry.target for entry in proxy.log] == [f"{NAME}:{port}"] * len(proxy.log) and len(proxy.log) >= 3
    assert tls["front"].handshakes >= 2
    assert (untrusted.error_class, untrusted.request_sent) == ("network", False)
    assert "CERTIFICATE_VERIFY_FAILED" in (untrusted.error_message or "")


# ---- SOCKS ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
def test_socks5_proxy_with_credentials(settings: Settings, emulator_server: Any, scheme: str) -> None:
    pytest.importorskip("socksio")
    with Socks5Proxy(hosts={NAME: ("127.0.0.1", emulator_server.port)}, auth=("carol", PROXY_PASSWORD)) as socks:
        chosen = _named(settings, emulator_server.port, proxy=socks.url(scheme))
        with DataActionsClient(chosen) as client:
            assert client.execute(ECHO, {"message": "socks"}).ok
        assert PROXY_PASSWORD not in repr(chosen)
    assert {entry.target for entry in socks.log} == {f"{NAME}:{emulator_server.port}"}
    assert {entry.user for entry in socks.log} == {"carol"}


def test_webhook_deliveries_and_replay_follow_the_proxy_and_loopback_stays_direct(
        emulator_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.run.webhook import WebhookDispatcher, new_secret, replay

    receiver = WebhookReceiver(path="/hook")
    port = receiver.port
    try:
        with ForwardProxy(hosts={"hooks.test": ("127.0.0.1", port)}) as hooks_proxy:
            for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
                monkeypatch.delenv(name, raising=False)
            monkeypatch.setenv("HTTP_PROXY", hooks_proxy.url)
            result = ExecutionResult(action_id=ECHO, ok=True, output={"n": 1}, status_code=200)
            with WebhookDispatcher(f"http://hooks.test:{port}/hook") as dispatcher:
                assert dispatcher.deliver(result, run_id="proxied", row_id="r1", wait_s=30) == "delivered"
            assert [e.method for e in hooks_proxy.log if e.method == "POST"] == ["POST"]
            # replay goes the same way
            outbox = tmp_path / "outbox.ndjson"
            with WebhookDispatcher(f"http://127.0.0.1:{_dead_port()}/hook", outbox=outbox, max_retries=0) as dead:
                assert dead.deliver(result, run_id="later", row_id="r2", wait_s=30) == "failed"
            secret = new_secret()
            report = replay(outbox, url=f"http://hooks.test:{port}/hook", secret=secret)
            assert report.delivered == 1
            assert [e.method for e in hooks_proxy.log if e.method == "POST"] == ["POST", "POST"]
            # a receiver on loopback is reached directly, whatever HTTP_PROXY says
            monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_dead_port()}")
            with WebhookDispatcher(f"http://127.0.0.1:{port}/hook") as direct:
                assert direct.deliver(result, run_id="direct", row_id="r3", wait_s=30) == "delivered"
        assert receiver.posts == 3
    finally:
        receiver.close()
