"""The public surface: every name in genesys_nb.__all__ resolves, lazily, to the object its module defines."""
from __future__ import annotations

import importlib
import subprocess
import sys

import genesys_nb


def test_every_public_name_resolves_to_its_module_object() -> None:
    for name in genesys_nb.__all__:
        if name == "__version__":
            continue
        module = importlib.import_module(f"genesys_nb.{genesys_nb._EXPORTS[name]}")
        assert getattr(genesys_nb, name) is getattr(module, name), name


def test_all_lists_exactly_the_exports() -> None:
    assert sorted(genesys_nb.__all__) == sorted([*genesys_nb._EXPORTS, "__version__"])


def test_unknown_attribute_raises_attribute_error() -> None:
    try:
        genesys_nb.DataActionz  # noqa: B018 - the access is the test
    except AttributeError as err:
        assert "DataActionz" in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_does_not_load_pandas_or_matplotlib() -> None:
    code = "import sys, genesys_nb; print('pandas' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_an_engine_name_is_never_shadowed_by_a_submodule_of_the_same_name() -> None:
    import importlib
    import pkgutil

    from genesys_nb import engine

    modules = {info.name for info in pkgutil.iter_modules(engine.__path__)}
    assert not modules & set(engine.__all__)  # importing such a submodule would replace the name on the package
    for name in modules:
        importlib.import_module(f"genesys_nb.engine.{name}")
    from genesys_nb.engine import record

    assert callable(record) and not isinstance(record, type(engine))
