"""MkDocs hooks for the documentation site (mkdocs.yml `hooks:`), and the lists the docs tests check against.

- The five notebooks are executed on the embedded emulator before mkdocs-jupyter renders them, so the site
  shows current outputs. The kernel runs in a fresh temporary folder with every GENESYS_* variable removed:
  no `.env` in the project or its parents, and no credentials in the environment, can point a docs build at
  a real org. An executed notebook is kept in build/docs-notebooks/ with a key (the notebook and the package
  sources); `mkdocs serve` re-executes only after a change.
- Docstring examples (`>>>` lines and their output, as doctest reads them) render as Python console code
  blocks wherever they stand, not only under an "Examples:" heading; Sphinx roles render as inline code.
- `<!-- genesys-nb help: actions list -->` in a page becomes that command's `--help`, as the installed
  parser prints it.
- After the build, every public name (see `public_names`) must be in the site's objects.inv, the inventory
  mkdocstrings writes of what the API reference rendered; a missing one fails the build.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import logging
import os
import re
import shutil
import sys
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
BUILD_DIR = ROOT / "build" / "docs-notebooks"
STAGES = ("api", "contract", "engine", "run", "audit", "report", "emulator", "widgets")
CELL_TIMEOUT_S = 180
log = logging.getLogger("mkdocs.hooks.genesys_nb")

# ---------------------------------------------------------------------------------------------------------
# What the reference must cover


@functools.cache
def _module_facts(module_file: Path) -> tuple[frozenset[str], tuple[str, ...] | None, tuple[str, ...]]:
    """What a module's source binds at top level (def, class or assignment, not imports), its `__all__`
    (None without one) and its public classes and functions, read without importing it: a module may need
    an optional dependency (aiohttp, ipywidgets) that a docs build does not install."""
    bound: set[str] = set()
    public: list[str] = []
    exported: tuple[str, ...] | None = None
    for node in ast.parse(module_file.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            if not node.name.startswith("_"):
                public.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [target.id for target in targets if isinstance(target, ast.Name)]
            bound.update(names)
            if "__all__" in names and node.value is not None:
                exported = tuple(ast.literal_eval(node.value))
    return frozenset(bound), exported, tuple(public)


def _file(module_name: str) -> Path:
    path = ROOT / module_name.replace(".", "/")
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else path / "__init__.py"


def public_modules(stage: str) -> list[str]:
    """The stage's modules whose names do not start with an underscore, in file-name order."""
    return sorted(f"genesys_nb.{stage}.{path.stem}" for path in (ROOT / "genesys_nb" / stage).glob("*.py")
                  if not path.name.startswith("_"))


def module_public_names(module_name: str) -> list[str]:
    """A module's `__all__`, or without one the classes and functions it defines whose names are public."""
    _, exported, public = _module_facts(_file(module_name))
    return list(exported if exported is not None else public)


@functools.cache
def public_names() -> dict[str, dict[str, str]]:
    """stage -> {public name: the reference entry (dotted path) that documents it}.

    A stage whose package declares `__all__` (emulator, engine, widgets) has exactly those public names, each
    documented in the public module that defines it. Any other stage's public names are those of its public
    modules, each documented where it is defined, or (defined in a private module) where it is exported.
    """
    names: dict[str, dict[str, str]] = {}
    for stage in STAGES:
        modules = public_modules(stage)
        listed = {module: module_public_names(module) for module in modules}
        package_all = _module_facts(_file(f"genesys_nb.{stage}"))[1]
        wanted = list(package_all) if package_all is not None else sorted({n for v in listed.values() for n in v})
        entries: dict[str, str] = {}
        for name in wanted:
            defined = [module for module in modules if name in _module_facts(_file(module))[0]]
            exported = [module for module in modules if name in listed[module]]
            # where it is defined and public; else where it is exported; else (a constant in a module with
            # no __all__, named by the package's __all__) where it is defined
            homes = [module for module in defined if module in exported] or exported or defined
            if not homes:
                raise LookupError(f"genesys_nb.{stage}.{name} is public but no public module of "
                                  f"genesys_nb.{stage} defines or exports it")
            entries[name] = f"{homes[0]}.{name}"
        names[stage] = entries
    return names


def top_level_names() -> dict[str, str]:
    """genesys_nb.__all__ -> the reference entry of each name: where its stage's page documents it."""
    import genesys_nb

    stages = public_names()
    entries = {}
    for name in genesys_nb.__all__:
        if name == "__version__":
            continue
        module = genesys_nb._EXPORTS[name]
        entries[name] = stages[module.split(".")[0]].get(name, f"genesys_nb.{module}.{name}")
    return entries


def cli_commands() -> list[str]:
    """Every `genesys-nb` subcommand, nested ones included, as typed: "actions list", "report", ..."""
    import argparse

    from genesys_nb.cli import build_parser

    def walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]) -> list[str]:
        found: list[str] = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    if child.prog.split()[-1] != name:  # an alias shares its parser; keep the real name
                        continue
                    found.append(" ".join((*prefix, name)))
                    found.extend(walk(child, (*prefix, name)))
        return found

    return walk(build_parser(), ())


def command_help(command: str, width: int = 100) -> str:
    """`genesys-nb COMMAND --help`, as argparse prints it at `width` columns."""
    import argparse

    from genesys_nb.cli import build_parser

    parser: argparse.ArgumentParser = build_parser()
    for word in command.split():
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)  # argparse's HelpFormatter reads the width from here
    try:
        return parser.format_help()
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


HELP_MARKER = re.compile(r"<!-- genesys-nb help: ([a-z -]+?) -->")


def read_inventory(path: Path) -> set[str]:
    """The object names in a Sphinx inventory (objects.inv, version 2) as mkdocstrings writes it."""
    data = path.read_bytes()
    header_end = 0
    for _ in range(4):
        header_end = data.index(b"\n", header_end) + 1
    text = zlib.decompress(data[header_end:]).decode("utf-8")
    return {line.split(" ", 1)[0] for line in text.splitlines() if line.strip()}


def missing_from_inventory(inventory: set[str]) -> list[str]:
    wanted = set(top_level_names().values())
    for entries in public_names().values():
        wanted.update(entries.values())
    return sorted(wanted - inventory)


# ---------------------------------------------------------------------------------------------------------
# Executed notebooks


def _source_key(notebook: Path) -> str:
    digest = hashlib.sha256(notebook.read_bytes())
    for path in sorted((ROOT / "genesys_nb").rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _kernel_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GENESYS_")}
    env["MPLBACKEND"] = "Agg"
    env["MPLCONFIGDIR"] = str(home / ".matplotlib")
    env["IPYTHONDIR"] = str(home / ".ipython")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def execute_notebook(source: Path, target: Path) -> None:
    """Run `source` top to bottom on this interpreter's kernel and write it, with outputs, to `target`."""
    import nbclient
    import nbformat
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    work = Path(tempfile.mkdtemp(prefix="genesys-nb-docs-"))
    try:
        kernels = work / "kernels"
        write_kernel_spec(kernels / "genesys-nb-docs")
        manager = KernelManager(kernel_name="genesys-nb-docs",
                                kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
        cwd = work / "cwd"
        cwd.mkdir()
        notebook = nbformat.read(source, as_version=4)
        client = nbclient.NotebookClient(notebook, km=manager, kernel_name="genesys-nb-docs",
                                         timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(cwd)}})
        client.execute(env=_kernel_env(work))  # a cell error raises CellExecutionError: the build fails
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def executed_notebooks(workers: int = 3) -> list[Path]:
    """The five notebooks, executed (or taken from build/docs-notebooks/ when nothing changed since).

    They run side by side, each on its own kernel and its own emulator: a notebook mostly waits (on the
    emulator's latency model and the runner's pacing), so three at a time take about a third of the time.
    """
    sources = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    targets = [BUILD_DIR / "notebooks" / source.name for source in sources]
    stale = []
    for source, target in zip(sources, targets):
        key = _source_key(source)
        stamp = target.with_suffix(".key")
        if not (target.exists() and stamp.exists() and stamp.read_text() == key):
            stale.append((source, target, stamp, key))

    def run(job: tuple[Path, Path, Path, str]) -> None:
        source, target, stamp, key = job
        log.info("executing %s on the embedded emulator", source.name)
        stamp.unlink(missing_ok=True)
        execute_notebook(source, target)
        stamp.write_text(key)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(run, job) for job in stale]:
            future.result()  # the first failure fails the build, after the others have finished
    return targets


# ---------------------------------------------------------------------------------------------------------
# MkDocs events

try:
    from markdown import Extension
    from markdown.preprocessors import Preprocessor
except ImportError:  # pragma: no cover - the tests import this module without the docs extra
    Extension = Preprocessor = object  # type: ignore[assignment,misc]
try:
    from mkdocs.plugins import event_priority
except ImportError:  # pragma: no cover - the test extra has markdown but not mkdocs

    def event_priority(priority: float) -> Any:  # type: ignore[misc]
        return lambda function: function


_SPHINX_ROLE = re.compile(r":(?:class|meth|func|attr|mod|data|exc|obj):`[~.]*([^`]+)`")


class _DoctestFences(Preprocessor):
    """Wraps each doctest block (from a `>>>` line to the next blank line) outside code fences in a pycon fence,
    and shows a Sphinx role (:class:`MatrixRow`, :meth:`rejected`) in prose as inline code."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        fence: str | None = None
        in_doctest = False
        for line in lines:
            stripped = line.lstrip()
            if in_doctest and not stripped:
                out.extend(["```", ""])
                in_doctest = False
            if fence is None and not in_doctest and stripped.startswith(">>>"):
                out.extend(["", "```pycon"])
                in_doctest = True
            elif not in_doctest and stripped.startswith(("```", "~~~")):
                marker = stripped[:3]
                fence = marker if fence is None else (None if marker == fence else fence)
            elif fence is None and not in_doctest:
                line = _SPHINX_ROLE.sub(r"`\1`", line)
            out.append(line)
        if in_doctest:
            out.append("```")
        return out


class _DoctestExtension(Extension):
    def extendMarkdown(self, md: Any) -> None:
        md.preprocessors.register(_DoctestFences(md), "genesys_nb_doctest", 40)  # before superfences (25, 31.05)


@event_priority(100)  # before mkdocstrings reads the Markdown extensions for docstrings
def on_config(config: Any) -> Any:
    config["markdown_extensions"].append(_DoctestExtension())
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    def fence(match: re.Match[str]) -> str:
        return f"```text\n{command_help(match.group(1)).rstrip()}\n```"

    return HELP_MARKER.sub(fence, markdown)


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns every .ipynb into a page
def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for notebook in executed_notebooks():
        files.append(File(f"notebooks/{notebook.name}", src_dir=str(BUILD_DIR), dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    return files


def on_post_build(config: Any) -> None:
    from mkdocs.exceptions import PluginError

    inventory = Path(config["site_dir"]) / "objects.inv"
    if not inventory.exists():
        raise PluginError("objects.inv was not written: is the mkdocstrings plugin on?")
    missing = missing_from_inventory(read_inventory(inventory))
    if missing:
        raise PluginError("the API reference has no entry for: " + ", ".join(missing)
                          + " (add the module to its stage page in docs/reference/)")
