"""Docstring examples of the small shared modules run as tests (they are documentation that must stay true)."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["genesys_nb.contract.paths", "genesys_nb.api.logs", "genesys_nb.api.export", "genesys_nb.api.export_diff"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    outcome = doctest.testmod(importlib.import_module(name))
    assert outcome.attempted > 0 and outcome.failed == 0
