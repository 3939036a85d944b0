"""The README keeps the pitch, the two commands, a session example that runs, and links to every guide page."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")


def test_readme_has_the_pitch_and_the_two_commands() -> None:
    assert "Genesys Cloud **Data Actions**" in TEXT
    commands = re.findall(r"```sh\n(.*?)```", TEXT, flags=re.DOTALL)[0]
    assert [line.split()[:2] for line in commands.splitlines()] == [["make", "demo"], ["make", "test"]]


def test_readme_links_resolve_to_files() -> None:
    links = [target for target in re.findall(r"\]\(([^)#]+)\)", TEXT) if "://" not in target]
    assert links
    for target in links:
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"


def test_readme_links_every_guide_and_the_reference() -> None:
    linked = set(re.findall(r"\]\((docs/[^)#]+)\)", TEXT))
    pages = {f"docs/guides/{page.name}" for page in (ROOT / "docs" / "guides").glob("*.md")}
    assert pages <= linked, f"guide pages the README does not link: {sorted(pages - linked)}"
    assert {"docs/reference/index.md", "docs/notebooks/index.md"} <= linked


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", TEXT, flags=re.DOTALL)
    assert len(blocks) == 1
    for name in ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_REGION", "GENESYS_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    exec(compile(blocks[0], str(README), "exec"), {"__name__": "readme_example"})  # noqa: S102 - the test runs the README
    table = capsys.readouterr().out.split("latency_ms", 1)[1]
    assert table.count("True") == 2 and "False" not in table, table
