"""connect(): the real org when credentials are configured, the embedded emulator otherwise."""
from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from genesys_nb import connect
from genesys_nb.api.errors import ConfigError
from genesys_nb.run.session import Session


def test_without_credentials_it_starts_the_emulator_and_says_so_once() -> None:
    stream = io.StringIO()
    with connect(env_file=None, environ={}, stream=stream, seed=4, time_scale=30) as session:
        assert session.is_emulated and session.emulator is not None and session.server is not None
        assert session.settings.api_url == session.server.url == session.settings.login_url
        assert session.emulator.limits.time_scale == 30
        echo = session.emulator.action_named("Echo").id
        result = session.client.execute(echo, {"message": "hi"})
        assert result.ok and result.output == {"message": "hi"}

        async def run_async() -> object:
            return (await session.async_client.execute(echo, {"message": "async"})).output

        assert asyncio.run(run_async()) == {"message": "async"}
        url = session.server.url
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and "embedded emulator" in lines[0] and url in lines[0]
    assert session.server.port is None  # stopped by close()
    assert session.settings.client_secret not in stream.getvalue()


def test_quiet_prints_nothing() -> None:
    stream = io.StringIO()
    session = connect(env_file=None, environ={}, stream=stream, quiet=True)
    try:
        assert session.is_emulated
    finally:
        session.close()
        session.close()  # idempotent
    assert stream.getvalue() == ""


def test_credentials_in_the_environment_select_the_real_org() -> None:
    environ = {"GENESYS_CLIENT_ID": "id-1", "GENESYS_CLIENT_SECRET": "s3cret-value", "GENESYS_REGION": "eu_west_1"}
    stream = io.StringIO()
    with connect(env_file=None, environ=environ, stream=stream) as session:
        assert not session.is_emulated and session.emulator is None and session.server is None
        assert session.settings.api_url == "https://api.mypurecloud.ie"
        assert session.settings.login_url == "https://login.mypurecloud.ie"
        assert "s3cret-value" not in repr(session)
    assert stream.getvalue() == ""


def test_credentials_in_a_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("GENESYS_CLIENT_ID=from-file\nGENESYS_CLIENT_SECRET=file-secret\nGENESYS_ENV=mypurecloud.de\n",
                        encoding="utf-8")
    with connect(env_file=env_file, environ={}) as session:
        assert session.settings.client_id == "from-file"
        assert session.settings.api_url == "https://api.mypurecloud.de"


def test_use_emulator_overrides_and_conflicts() -> None:
    environ = {"GENESYS_CLIENT_ID": "id-1", "GENESYS_CLIENT_SECRET": "secret-1"}
    with connect(env_file=None, environ=environ, use_emulator=True, quiet=True) as session:
        assert session.is_emulated
    with pytest.raises(ConfigError, match="seed"):
        connect(env_file=None, environ=environ, seed=3)
    with pytest.raises(ConfigError, match="GENESYS_CLIENT_ID"):
        connect(env_file=None, environ={}, use_emulator=False)


def test_bad_emulator_options_do_not_leak_a_server(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not a directory"):
        connect(env_file=None, environ={}, actions_dir=tmp_path / "missing")


def test_async_context_manager() -> None:
    async def main() -> bool:
        async with connect(env_file=None, environ={}, quiet=True) as session:
            assert isinstance(session, Session)
            actions = await session.async_client.list_actions(page_size=5)
            return len(actions) == len(session.emulator.actions) if session.emulator else False

    assert asyncio.run(main())


def test_the_emulator_note_goes_to_stdout_in_a_notebook_kernel() -> None:
    import subprocess
    import sys

    code = ("import sys, types\n"
            "ipython = types.ModuleType('IPython'); ipython.get_ipython = lambda: object()\n"
            "sys.modules['IPython'] = ipython; sys.modules['ipykernel'] = types.ModuleType('ipykernel')\n"
            "from genesys_nb.run.session import connect\n"
            "connect(env_file=None, environ={}).close()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "using the embedded emulator" in done.stdout and "using the embedded emulator" not in done.stderr
