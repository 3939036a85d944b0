"""The documentation site stays true: its session examples run, every public name has an API reference
entry, every CLI subcommand a section, and the build hooks (scripts/docs_hooks.py) do what they claim.

The strict build itself (`make docs`) runs in CI after the tests; these checks are the fast part of it.
"""
from __future__ import annotations

import importlib.util
import re
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _load_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "scripts" / "docs_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_hooks"] = module
    spec.loader.exec_module(module)
    return module


hooks = _load_hooks()

# ---------------------------------------------------------------------------------------------------------
# Examples that open a session run as written, on the embedded emulator

PAGES = sorted(DOCS.rglob("*.md"))
EXAMPLES = [(page, block) for page in PAGES
            for block in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.DOTALL)
            if "gnb.connect()" in block]

# What each example must print (in order), so a page that drifts from the code fails here.
EXPECTED = {
    "guides/getting-started.md": ["['phoneNumber']", "True {", "validation Input for action 'Get Customer By Phone'",
                                  "$.phoneNumber", "(1, 'Validate input against schema', True)"],
    "guides/exploring-actions.md": ["Get Customer By Phone", "['phoneNumber']", "'customerId'", "True 200 C-",
                                    "(8, 'Validate output against schema', True)"],
    "guides/matrices-and-runs.md": ["row_id", "ok", "Echo"],
}


def test_every_session_example_has_expectations() -> None:
    assert sorted(str(page.relative_to(DOCS)) for page, _ in EXAMPLES) == sorted(EXPECTED)


@pytest.mark.parametrize(("page", "block"), EXAMPLES, ids=[str(page.relative_to(DOCS)) for page, _ in EXAMPLES])
def test_docs_example_runs(page: Path, block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_REGION", "GENESYS_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here; the example's files land in tmp_path
    exec(compile(block, str(page), "exec"), {"__name__": "docs_example"})  # noqa: S102 - the test runs the docs
    out = capsys.readouterr().out
    position = 0
    for text in EXPECTED[str(page.relative_to(DOCS))]:
        found = out.find(text, position)
        assert found >= 0, f"{text!r} not printed (in order) by the example in {page.name}:\n{out}"
        position = found + len(text)
    if page.name == "matrices-and-runs.md":  # every row of the Echo run succeeded
        table = out.split("row_id", 1)[1].split("count", 1)[0]
        assert "True" in table and "False" not in table, table


# ---------------------------------------------------------------------------------------------------------
# The API reference


def _directives(stage: str) -> dict[str, list[str] | None]:
    """The `::: module` directives of a stage's page -> their `members:` list (None: every public member)."""
    text = (DOCS / "reference" / f"{stage}.md").read_text(encoding="utf-8")
    found: dict[str, list[str] | None] = {}
    for match in re.finditer(r"^::: (\S+)\n((?:    .*\n)*)", text, flags=re.MULTILINE):
        options = match.group(2)
        members = None
        if "members:" in options:
            members = re.findall(r"^        - (\S+)$", options, flags=re.MULTILINE)
        found[match.group(1)] = members
    return found


@pytest.mark.parametrize("stage", hooks.STAGES)
def test_every_public_name_has_a_reference_entry(stage: str) -> None:
    directives = _directives(stage)
    missing = []
    for name, entry in hooks.public_names()[stage].items():
        module = entry.rsplit(".", 1)[0]
        members = directives.get(module, [])
        # no members list: the directive renders the module's public names (its __all__, when it has one)
        shown = hooks.module_public_names(module) if members is None else members
        if name not in shown:
            missing.append(f"{name} (::: {module})")
    assert not missing, f"docs/reference/{stage}.md documents none of: {', '.join(missing)}"


@pytest.mark.parametrize("stage", hooks.STAGES)
def test_reference_directives_name_public_modules(stage: str) -> None:
    modules = set(hooks.public_modules(stage))
    assert set(_directives(stage)) <= modules  # no stale or private module on a page


def test_every_top_level_name_is_in_the_reference_index() -> None:
    index = (DOCS / "reference" / "index.md").read_text(encoding="utf-8")
    for name, entry in hooks.top_level_names().items():
        assert f"[`{name}`][{entry}]" in index, f"docs/reference/index.md has no row for genesys_nb.{name} ({entry})"


def test_a_public_name_is_found_where_it_is_defined() -> None:
    names = hooks.public_names()
    assert names["run"]["verify"] == "genesys_nb.run.webhook.verify"  # defined privately, exported by webhook
    assert names["audit"]["read_audit"] == "genesys_nb.audit.reader.read_audit"  # re-exported by writer too
    assert names["emulator"]["BODY_KINDS"] == "genesys_nb.emulator.wire.BODY_KINDS"  # imported by faults
    assert names["engine"]["ActionEngine"] == "genesys_nb.engine.engine.ActionEngine"
    assert "ActionLab" in names["widgets"]


def _inventory(path: Path, names: list[str]) -> None:
    body = "".join(f"{name} py:class 1 reference/x/#$ -\n" for name in names)
    header = b"# Sphinx inventory version 2\n# Project: x\n# Version: 0\n# The remainder is zlib-compressed.\n"
    path.write_bytes(header + zlib.compress(body.encode()))


def test_the_inventory_check_names_what_the_build_left_out(tmp_path: Path) -> None:
    wanted = sorted({entry for entries in hooks.public_names().values() for entry in entries.values()}
                    | set(hooks.top_level_names().values()))
    inventory = tmp_path / "objects.inv"
    _inventory(inventory, wanted)
    assert hooks.missing_from_inventory(hooks.read_inventory(inventory)) == []
    _inventory(inventory, [name for name in wanted if not name.endswith(".MatrixRunner")])
    assert hooks.missing_from_inventory(hooks.read_inventory(inventory)) == ["genesys_nb.run.runner.MatrixRunner"]


# ---------------------------------------------------------------------------------------------------------
# The command line


def _cli_headings() -> list[str]:
    text = (DOCS / "guides" / "cli.md").read_text(encoding="utf-8")
    return re.findall(r"^#{2,4} genesys-nb ([a-z -]+?)\s*$", text, flags=re.MULTILINE)


def test_cli_commands_come_from_the_parser() -> None:
    commands = hooks.cli_commands()
    assert {"run", "report", "actions", "actions list", "webhook replay"} <= set(commands)


def test_every_subcommand_has_a_section_with_its_help() -> None:
    text = (DOCS / "guides" / "cli.md").read_text(encoding="utf-8")
    headings = _cli_headings()
    for command in hooks.cli_commands():
        assert command in headings, f"docs/guides/cli.md has no '## genesys-nb {command}' section"
        assert f"<!-- genesys-nb help: {command} -->" in text, f"the {command} section does not show its --help"
    assert sorted(headings) == sorted(hooks.cli_commands())  # no section for a command that is gone


@pytest.mark.parametrize("command", ["run", "actions list", "webhook replay"])
def test_help_marker_becomes_the_commands_help(command: str) -> None:
    page = hooks.on_page_markdown(f"before\n\n<!-- genesys-nb help: {command} -->\n\nafter", None, None, None)
    assert f"```text\nusage: genesys-nb {command}" in page
    assert "after" in page and "<!--" not in page
    assert max(len(line) for line in page.splitlines()) <= 100


# ---------------------------------------------------------------------------------------------------------
# Docstring examples render as code


@pytest.mark.parametrize(("lines", "expected"), [
    (["Text.", "", ">>> f(1)", "2", "", "More."], ["Text.", "", "", "```pycon", ">>> f(1)", "2", "```", "", "", "More."]),
    ([">>> f(1)", "2"], ["", "```pycon", ">>> f(1)", "2", "```"]),
    (["```python", ">>> inside a fence", "```"], ["```python", ">>> inside a fence", "```"]),
    (["no example"], ["no example"]),
    (["iterate it to get :class:`MatrixRow`; :meth:`~genesys_nb.run.matrix.ParameterMatrix.rejected`"],
     ["iterate it to get `MatrixRow`; `genesys_nb.run.matrix.ParameterMatrix.rejected`"]),
    (["```", ":class:`kept` in a fence", "```"], ["```", ":class:`kept` in a fence", "```"]),
])
def test_docstring_markdown_is_prepared(lines: list[str], expected: list[str]) -> None:
    pytest.importorskip("markdown")
    assert hooks._DoctestFences(None).run(lines) == expected


# ---------------------------------------------------------------------------------------------------------
# Notebooks executed for the site


def _notebook(path: Path, *sources: str) -> Path:
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def test_a_docs_notebook_runs_away_from_credentials_and_keeps_its_outputs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nbformat = pytest.importorskip("nbformat")
    monkeypatch.setenv("GENESYS_CLIENT_ID", "a-real-org")
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", "its-secret")
    source = _notebook(tmp_path / "probe.ipynb",
                       "import os; print(os.environ.get('GENESYS_CLIENT_ID'), os.getcwd())",
                       "import genesys_nb; print(genesys_nb.__file__)")
    target = tmp_path / "out" / "probe.ipynb"
    hooks.execute_notebook(source, target)
    cells = nbformat.read(target, as_version=4).cells
    client_id, cwd = cells[0].outputs[0]["text"].split()
    assert client_id == "None"  # a docs build never sees the caller's credentials
    assert not Path(cwd).is_relative_to(ROOT) and not Path(cwd, ".env").exists()  # nor a project .env
    assert cells[1].outputs[0]["text"].strip() == str(ROOT / "genesys_nb" / "__init__.py")  # this checkout's package


def test_a_failing_docs_notebook_fails_the_build(tmp_path: Path) -> None:
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    source = _notebook(tmp_path / "broken.ipynb", "raise RuntimeError('a cell that fails')")
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="a cell that fails"):
        hooks.execute_notebook(source, tmp_path / "out" / "broken.ipynb")
    assert not (tmp_path / "out" / "broken.ipynb").exists()


# ---------------------------------------------------------------------------------------------------------
# The webhooks guide's receiver


def test_the_webhook_receiver_handles_ok_failed_and_unknown_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import threading
    from http.server import ThreadingHTTPServer

    from genesys_nb.api.result import ExecutionResult
    from genesys_nb.run._intents import _unknown_result
    from genesys_nb.run.webhook import WebhookDispatcher, new_secret

    page = DOCS / "guides" / "webhooks.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    [block] = [block for block in blocks if "class Receiver(BaseHTTPRequestHandler)" in block]
    serve = 'ThreadingHTTPServer(("0.0.0.0", 8080), Receiver).serve_forever()'
    assert serve in block
    secret = new_secret()
    monkeypatch.setenv("GENESYS_NB_WEBHOOK_SECRET", secret)
    names: dict[str, object] = {"__name__": "docs_receiver"}
    exec(compile(block.replace(serve, ""), str(page), "exec"), names)  # noqa: S102 - the test runs the docs
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
