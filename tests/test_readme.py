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
