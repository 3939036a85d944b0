"""Notebook widgets for genesys_nb: explore actions, build input matrices, run them, read the report.

>>> # import genesys_nb
>>> # from genesys_nb.widgets import ActionExplorer
>>> # ActionExplorer(genesys_nb.connect(), action="Get Customer By Phone")

The pure decisions behind them (schema -> field specs, matrix choices, HTML rendering) live in
``spec``, ``matrix_spec`` and ``render`` and import no ipywidgets; the widget classes are loaded on
first use, so ``import genesys_nb.widgets`` works without the notebook extras.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .explorer import ActionExplorer
    from .form import ActionForm
    from .lab import ActionLab
    from .matrix_builder import MatrixBuilder
    from .report_view import ReportView
    from .run_panel import RunPanel
    from .spec import FieldSpec, field_specs

__all__ = ["ActionExplorer", "ActionForm", "ActionLab", "FieldSpec", "MatrixBuilder", "ReportView", "RunPanel",
           "field_specs"]

_HOMES = {
    "ActionExplorer": ".explorer",
    "ActionForm": ".form",
    "ActionLab": ".lab",
    "MatrixBuilder": ".matrix_builder",
    "ReportView": ".report_view",
    "RunPanel": ".run_panel",
    "FieldSpec": ".spec",
    "field_specs": ".spec",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'genesys_nb.widgets' has no attribute {name!r}")
    try:
        module = import_module(home, __name__)
    except ImportError as err:
        if err.name == "ipywidgets":
            raise ImportError(
                f"genesys_nb.widgets.{name} needs ipywidgets; install the notebook extras: "
                "pip install 'genesys_nb[notebook]' (or run `make lab`)"
            ) from err
        raise
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
