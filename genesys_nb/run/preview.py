"""Matrix preview: the request an action's templates render for every row of a matrix, sent nowhere.

``preview(action, matrix)`` gives one DataFrame row per matrix row, with the row ids a run of the
same matrix uses: ``row_id``, ``method``, ``url``, ``body``, ``warnings`` (the renderer's warnings
joined with "; "), ``error`` (why that row could not be rendered, else None) and ``rejected`` (what
the input contract would refuse in that row, "" when nothing). A row whose render
fails fails alone; the others are still rendered.

>>> export = {"name": "Lookup", "config": {"request": {"requestType": "GET",
...     "requestUrlTemplate": "https://crm.example/v1/customers/${input.id}"}}}
>>> frame = preview(export, [{"id": "C-1"}, {"id": "C-2"}])
>>> list(frame["url"])
['https://crm.example/v1/customers/C-1', 'https://crm.example/v1/customers/C-2']
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.api.models import Action
from genesys_nb.engine.engine import ActionEngine
from genesys_nb.run._rows import _as_matrix, _not_a_row

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["COLUMNS", "engine_for", "load_export", "matrix_rows", "preview", "preview_records"]

COLUMNS = ("row_id", "method", "url", "body", "warnings", "error", "rejected")


def load_export(path: str | Path) -> dict[str, Any]:
    """An exported action JSON file as a dict; ValueError naming the file and the fix otherwise."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{source}: no such file; give the path of an exported action JSON") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot read {source}: {err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{source} is not valid JSON ({err.msg} at line {err.lineno} column {err.colno}); "
                         "export the action again from the admin UI") from None
    if not isinstance(data, dict):
        raise ValueError(f"{source} holds a JSON {type(data).__name__}, not an exported action object")  # noqa: TRY004
    return data


def engine_for(source: Any) -> ActionEngine:
    """An ActionEngine for an engine, an Action, an export or API action dict, or an export file path."""
    if isinstance(source, ActionEngine):
        return source
    if isinstance(source, Action):
        return ActionEngine(source)
    if isinstance(source, (str, Path)):
        source = load_export(source)
    if isinstance(source, Mapping):
        if isinstance(source.get("id"), str) and source.get("id"):
            return ActionEngine(Action.from_dict(source))
        return ActionEngine.from_export(source)
    raise TypeError(f"cannot preview a {type(source).__name__}; give an ActionEngine, an Action, an exported "
                    "action dict or the path of an export JSON file")


def matrix_rows(matrix: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(row_id, params) of a ParameterMatrix, a DataFrame or a list of dicts: read as a run reads them."""
    # the rows a run reads (_iter_rows), without the run's own record of each: a preview renders every row
    for row in _as_matrix(matrix):
        row_id = getattr(row, "row_id", None)
        params = getattr(row, "params", None)
        if row_id is None or params is None:
            raise _not_a_row(row)
        yield str(row_id), dict(params)


Record = tuple[str, "str | None", "str | None", "str | None", str, "str | None", str]


def preview_records(source: Any, matrix: Any, *, check: bool = True) -> list[Record]:
    """The preview as tuples in :data:`COLUMNS` order (what :func:`preview` puts in its DataFrame).

    ``rejected`` holds what the input contract would refuse in the row ("field: message; ..."), so a
    row the platform would answer with a validation error is marked before anything is sent.
    """
    engine = engine_for(source)
    render = engine.render_request
    checker = engine.check_input if check else None
    out: list[Record] = []
    append = out.append
    for row_id, params in matrix_rows(matrix):
        rejected = ""
        if checker is not None:
            problems = checker(params)
            if problems:
                rejected = "; ".join(f"{problem.path}: {problem.message}" for problem in problems)
        try:
            request = render(params)
        except Exception as err:  # noqa: BLE001 - a broken row is reported in its own row, never raised
            append((row_id, None, None, None, "", f"{type(err).__name__}: {err}", rejected))
            continue
        warnings = request.warnings
        append((row_id, request.method, request.url, request.body,
                "; ".join(warnings) if warnings else "", None, rejected))
    return out


def preview(source: Any, matrix: Any) -> pd.DataFrame:
    """One row per matrix row: the method, URL and body the action would send, its warnings or its error.

    ``source`` is an ActionEngine, an Action (with its config), an exported action dict or a path to
    an export file; ``matrix`` a ParameterMatrix, a DataFrame or a list of dicts. Nothing is sent.
    """
    import pandas as pd

    return pd.DataFrame.from_records(preview_records(source, matrix), columns=list(COLUMNS))
