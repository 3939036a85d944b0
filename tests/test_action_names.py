"""Actions by name wherever an id is accepted: Python (executor, runner) and the CLI, over loopback."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from genesys_nb.api.client import DataActionsClient
from genesys_nb.api.names import UnknownActionError, looks_like_action_id, pick_by_name, resolve_action_id
from genesys_nb.cli import main
from genesys_nb.run.executor import DataActionExecutor
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.runner import MatrixRunner


class _A:
    def __init__(self, id_: str, name: str) -> None:
        self.id, self.name = id_, name


@pytest.mark.parametrize(("text", "is_id"), [("custom_-_3f0c2c1e-8a51-4c61-9d7e-2a4f1f6b9e10", True),
                                            ("static_-_abc", True), ("Echo", False),
                                            ("Get Customer By Phone", False)])
def test_what_counts_as_an_id(text: str, is_id: bool) -> None:
    assert looks_like_action_id(text) is is_id


def test_pick_by_name_exact_then_case_then_near_matches() -> None:
    actions = [_A("custom_-_1", "Echo"), _A("custom_-_2", "Get Customer By Phone"), _A("custom_-_3", "echo two")]
    assert pick_by_name("Echo", actions) == "custom_-_1"
    assert pick_by_name("get customer by phone", actions) == "custom_-_2"
    with pytest.raises(UnknownActionError, match=r"no action named 'Get Customer By Fone'.*'Get Customer By Phone'"):
        pick_by_name("Get Customer By Fone", actions)
    with pytest.raises(UnknownActionError, match="ambiguous"):
        pick_by_name("ECHO", [_A("custom_-_1", "Echo"), _A("custom_-_4", "echo")])


def test_the_executor_and_the_runner_take_a_name(settings: Any, emulator_server: Any, tmp_path: Path) -> None:
    with DataActionsClient(settings) as client:
        assert resolve_action_id(client, "Echo") == emulator_server.emulator.action_named("Echo").id
        result = DataActionExecutor(client).execute("Echo", {"message": "hi"})
        assert result.ok and result.action_id == emulator_server.emulator.action_named("Echo").id
        missing = DataActionExecutor(client).execute("Ecko", {"message": "hi"})
        assert (missing.ok, missing.error_class, missing.attempts) == (False, "not_found", 0)
        assert "did you mean 'Echo'" in (missing.error_message or "")
    runner = MatrixRunner(settings, rate_per_minute=None, progress=False, audit=tmp_path / "a.ndjson")
    frame = runner.run("Echo", ParameterMatrix.from_records([{"message": "a"}, {"message": "b"}]))
    assert frame["ok"].all()


def test_an_unknown_name_fails_before_the_run_without_a_stopped_line(settings: Any, tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    runner = MatrixRunner(settings, rate_per_minute=None, progress=False, audit=tmp_path / "a.ndjson")
    with pytest.raises(UnknownActionError, match="Echo"):
        runner.run("Ech", ParameterMatrix.from_records([{"message": "a"}] * 40))
    assert "stopped with" not in caplog.text and "rows not run" not in caplog.text


def test_resume_of_an_unknown_run_is_an_error_listing_the_runs(settings: Any, emulator_server: Any,
                                                               tmp_path: Path) -> None:
    audit = tmp_path / "a.ndjson"
    MatrixRunner(settings, rate_per_minute=None, progress=False, audit=audit).run(
        "Echo", ParameterMatrix.from_records([{"message": "a"}]), run_id="first")
    before = len([e for e in emulator_server.emulator.request_log if e.operation == "execute"])
    with pytest.raises(ValueError, match=r"nothing to resume.*no run 'frist'.*runs there: first"):
        MatrixRunner(settings, rate_per_minute=None, progress=False, audit=audit).run(
            "Echo", ParameterMatrix.from_records([{"message": "a"}]), run_id="frist", resume=True)
    assert len([e for e in emulator_server.emulator.request_log if e.operation == "execute"]) == before


def test_the_cli_takes_names(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                             tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_REGION", "GENESYS_ENV",
                 "GENESYS_API_BASE_URL", "GENESYS_LOGIN_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["execute", "Get Customer By Phone", "--input", '{"phoneNumber": "+13175550100"}', "-q"]) == 0
    assert "customerId" in capsys.readouterr().out
    assert main(["actions", "show", "Echo", "-q"]) == 0
    capsys.readouterr()
    assert main(["execute", "Get Customer By Fone", "--input", "{}", "-q"]) == 2
    err = capsys.readouterr().err
    assert "no action named 'Get Customer By Fone'" in err and "Get Customer By Phone" in err
    assert main(["run", "Echo", "--product", "message=a,b", "--rate", "off", "--concurrency", "99", "--no-progress",
                 "-q"]) == 0
    assert "using 50" in capsys.readouterr().err
    csv = tmp_path / "rows.csv"
    csv.write_text("mesage\nhi\n", encoding="utf-8")
    assert main(["run", "Echo", "--matrix", str(csv), "--no-progress", "-q"]) == 2
    assert "did you mean 'message'" in capsys.readouterr().err


def test_an_id_of_an_unexpected_shape_is_tried_as_an_id(settings: Any, emulator_server: Any, tmp_path: Path) -> None:
    import dataclasses

    from genesys_nb.api.client import AsyncDataActionsClient
    from genesys_nb.api.names import aresolve_action_id

    emulator = emulator_server.emulator
    echo = emulator.action_named("Echo")
    odd = emulator.add_action(dataclasses.replace(echo, id="legacyEcho42", name="Echo (legacy)"))
    try:
        with DataActionsClient(settings) as client:
            assert not looks_like_action_id("legacyEcho42")
            assert resolve_action_id(client, "legacyEcho42") == "legacyEcho42"
            with pytest.raises(UnknownActionError, match=r"no action named 'Ech'.*'Echo'"):
                resolve_action_id(client, "Ech")  # no name, no id: the error still lists near names
        async def both() -> tuple[str, str | None]:
            async with AsyncDataActionsClient(settings) as client:
                found = await aresolve_action_id(client, "legacyEcho42")
                try:
                    await aresolve_action_id(client, "Ech")
                except UnknownActionError as err:
                    return found, str(err)
                return found, None

        import asyncio

        found, message = asyncio.run(both())
        assert found == "legacyEcho42" and message is not None and "'Echo'" in message
        runner = MatrixRunner(settings, rate_per_minute=None, progress=False, audit=tmp_path / "a.ndjson")
        frame = runner.run(odd.id, ParameterMatrix.from_records([{"message": "a"}]))
        assert frame["ok"].all()
    finally:
        emulator.reset()
