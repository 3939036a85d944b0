"""Docstring examples run as tests: the API reference renders them, so they are documentation that must stay
true. Every module of the package that has examples is run, private ones included."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import genesys_nb


def _modules_with_examples() -> list[str]:
    found = []
    finder = doctest.DocTestFinder()
    for info in pkgutil.walk_packages(genesys_nb.__path__, "genesys_nb."):
        if info.name.endswith("__main__"):
            continue  # it runs the CLI on import
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional dependency (aiohttp, ipywidgets) this environment lacks
            continue
        if any(test.examples for test in finder.find(module)):
            found.append(info.name)
    return found


MODULES = _modules_with_examples()


def test_the_known_examples_are_found() -> None:
    assert {"genesys_nb.contract.paths", "genesys_nb.api.logs", "genesys_nb.api.retry", "genesys_nb.api.export",
            "genesys_nb.api.export_diff", "genesys_nb.engine.engine", "genesys_nb.run.matrix"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    outcome = doctest.testmod(importlib.import_module(name))
    assert outcome.attempted > 0 and outcome.failed == 0
