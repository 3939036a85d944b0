"""The README's Python examples run as written, on the embedded emulator."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
# The examples that open their own session; the report snippet reads files named for illustration.
RUNNABLE = [block for block in BLOCKS if "gnb.connect()" in block]


# What each example must print (in order), so a README that drifts from the code fails here.
EXPECTED = [
    ["['phoneNumber']", "True {", "validation Input for action 'Get Customer By Phone'", "$.phoneNumber",
     "(1, 'Validate input against schema', True)"],
    ["row_id", "ok", "Echo"],
]


def test_readme_has_the_session_examples() -> None:
    assert len(RUNNABLE) == len(EXPECTED)


@pytest.mark.parametrize(("block", "expected"), list(zip(RUNNABLE, EXPECTED)),
                         ids=[f"example-{i}" for i in range(len(RUNNABLE))])
def test_readme_example_runs(block: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_REGION", "GENESYS_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here; the example's files land in tmp_path
    exec(compile(block, str(README), "exec"), {"__name__": "readme_example"})  # noqa: S102 - the test runs the README
    out = capsys.readouterr().out
    position = 0
    for text in expected:
        found = out.find(text, position)
        assert found >= 0, f"{text!r} not printed (in order) by the README example:\n{out}"
        position = found + len(text)
    if "row_id" in expected:  # the matrix example: every row of the Echo run succeeded
        table = out.split("row_id", 1)[1].split("count", 1)[0]
        assert "True" in table and "False" not in table, table


def test_readme_webhook_receiver_handles_ok_failed_and_unknown_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import threading
    from http.server import ThreadingHTTPServer

    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.run._intents import _unknown_result
    from genesys_nb.run.webhook import WebhookDispatcher, new_secret

    [block] = [block for block in BLOCKS if "class Receiver(BaseHTTPRequestHandler)" in block]
    serve = 'ThreadingHTTPServer(("0.0.0.0", 8080), Receiver).serve_forever()'
    assert serve in block
    secret = new_secret()
    monkeypatch.setenv("GENESYS_NB_WEBHOOK_SECRET", secret)
    names: dict[str, object] = {"__name__": "readme_receiver"}
    exec(compile(block.replace(serve, ""), str(README), "exec"), names)  # noqa: S102 - the test runs the README
    server = ThreadingHTTPServer(("127.0.0.1", 0), names["Receiver"])  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        results = {"row-1": ExecutionResult(action_id="a", ok=True, status_code=200, output={"n": 1}),
                   "row-2": ExecutionResult(action_id="a", ok=False, status_code=400, error_class="bad_request"),
                   "row-3": _unknown_result("a", 1, 30000)}
        with WebhookDispatcher(url, secret=secret, outbox=tmp_path / "outbox.ndjson") as hooks:
            for row_id, result in results.items():
                assert hooks.deliver(result, run_id="run-1", row_id=row_id) == "delivered"
            assert hooks.deliver(results["row-3"], run_id="run-1", row_id="row-3") == "delivered"  # a duplicate
    finally:
        server.shutdown()
        server.server_close()
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == ["run-1 row-1 ok", "run-1 row-2 failed: bad_request"]
    assert len(printed) == 3 and printed[2].startswith("run-1 row-3 UNKNOWN: sent (1 attempt(s))")
