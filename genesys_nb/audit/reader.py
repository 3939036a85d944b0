"""Audit log reader: NDJSON (or Parquet) audit files into one typed DataFrame, and resume ids.

:func:`read_audit` lets pyarrow's multi-threaded JSON reader build the scalar columns and parses only
``params``/``output`` with orjson; when pyarrow refuses a file (a bad line in the middle, a value of
the wrong type) it falls back to a tolerant orjson parse, one bulk parse per chunk of lines, that
reports each unreadable line. On 1,000,000 records it is several times faster than
``pandas.read_json(lines=True)`` (see ``bench/bench_audit_load.py``). ``params`` are flattened into
``params.<name>`` columns so a report can group by a matrix parameter.

:func:`terminal_row_ids` reads only ``run_id``/``row_id``: the rows a resumed run must skip.
pandas and pyarrow are imported inside the functions that need them, so importing the writer stays light.

Finding files and scanning lines live in :mod:`genesys_nb.audit._files`, the typed columns in
:mod:`genesys_nb.audit._columns`, the pyarrow fast path in :mod:`genesys_nb.audit._fast_read`.
"""
from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from genesys_nb.audit import jsonsafe
from genesys_nb.audit._columns import _conform, _frame_from_records
from genesys_nb.audit._fast_read import _read_ndjson_fast
from genesys_nb.audit._files import (
    PathLike,
    _gc_paused,
    archive_records,
    audit_files,
    is_archive,
    iter_lines,
    terminal_row_ids,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# The writer's options: dicts and lists stored as JSON in Parquet read back as the writer wrote them.
_ORJSON_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _from_parquet(path: Path) -> pd.DataFrame:
    import pandas as pd

    frame = pd.read_parquet(path)
    for name in ("params", "output", "output_keys"):
        if name in frame.columns:
            frame[name] = pd.Series(
                [orjson.loads(v) if isinstance(v, (str, bytes)) else None for v in frame[name]],
                index=frame.index, dtype=object,
            )
    return frame


def read_audit(
    paths: PathLike | Iterable[PathLike],
    *,
    run_id: str | None = None,
    since: datetime | str | None = None,
    lean: bool = False,
) -> pd.DataFrame:
    """Read audit logs (files, folders, ``.parquet`` too) into one typed DataFrame.

    Dtypes: ``timestamp`` datetime64[ns, UTC]; ``error_class``, ``action_name``, ``webhook``
    categorical; ``success``/``expected_invalid`` bool; ints ``int64`` or nullable ``Int64`` where a
    value is missing; ``params`` flattened into ``params.<name>`` columns (the raw object is kept in
    ``params``). Unparsable lines (a torn last line after a crash) are skipped with a warning and
    listed in ``df.attrs["skipped_lines"]``; records of older schema versions get missing columns
    filled with nulls.

    Intent (``sending``) and webhook-state records are not rows: a row's ``webhook`` column shows its
    settled state when one was recorded (see :mod:`genesys_nb.audit.records`).

    ``lean=True`` skips the raw ``params``/``output`` objects (those columns stay null; the
    ``params.<name>`` columns are still there): about twice as fast on large logs, for reports.
    """
    import pandas as pd

    skipped: list[dict[str, Any]] = []
    frames: list[pd.DataFrame] = []
    files = audit_files(paths)
    for file in files:
        archive = file.suffix == ".parquet" and is_archive(file)
        if file.suffix == ".parquet" and not archive:
            frame = _from_parquet(file)
            if run_id is not None:
                frame = frame[frame["run_id"].astype(object) == run_id]
            frames.append(frame)
            continue
        with _gc_paused():
            fast_frame = None if archive else _read_ndjson_fast(file, skipped, lean=lean)
            if fast_frame is not None:
                if run_id is not None:
                    fast_frame = fast_frame[fast_frame["run_id"] == run_id]
                frames.append(fast_frame)
                continue
            records: list[dict[str, Any]] = []
            settled: dict[tuple[Any, Any], Any] = {}
            for chunk in ([archive_records(file, run_id)] if archive else iter_lines(file, skipped)):
                if run_id is not None:
                    chunk = [r for r in chunk if r.get("run_id") == run_id]
                for record in chunk:
                    kind = record.get("kind")
                    if kind is None:
                        records.append(record)
                    elif kind == "webhook":
                        settled[(record.get("run_id"), record.get("row_id"))] = record.get("webhook")
            if settled:
                for record in records:
                    state = settled.get((record.get("run_id"), record.get("row_id")))
                    if state is not None:
                        record["webhook"] = state
            frames.append(_frame_from_records(records))
            del records
    if not frames:
        frame = _frame_from_records([])
    elif len(frames) == 1:
        frame = frames[0]
    else:
        frame = pd.concat(frames, ignore_index=True, sort=False)
    frame = _conform(frame)
    if len(files) > 1 and len(frame):  # a state settled after its run was archived lives in another file
        from genesys_nb.audit.duck import webhook_states

        states = webhook_states(files)
        if states:
            current = frame["webhook"].astype(object).tolist()
            frame["webhook"] = pd.Categorical([states.get(key, state) for key, state in zip(
                zip(frame["run_id"].astype(object), frame["row_id"].astype(object)), current)])
    if since is not None:
        cutoff = pd.Timestamp(since)
        cutoff = cutoff.tz_localize("UTC") if cutoff.tzinfo is None else cutoff.tz_convert("UTC")
        frame = frame[frame["timestamp"] >= cutoff]
    frame = frame.reset_index(drop=True)
    frame.attrs["skipped_lines"] = skipped
    frame.attrs["source_files"] = [str(f) for f in files]
    if skipped:
        where = ", ".join(f"{s['path']}:{s['line']}" for s in skipped[:5])
        warnings.warn(f"skipped {len(skipped)} unreadable audit line(s) (torn write?): {where}",
                      RuntimeWarning, stacklevel=2)
    return frame


def to_parquet(frame: pd.DataFrame, path: PathLike) -> Path:
    """Write an audit DataFrame to Parquet (object columns holding dicts/lists stored as JSON)."""
    out = frame.copy()
    for name in ("params", "output", "output_keys"):
        if name in out.columns:
            out[name] = [None if v is None else jsonsafe.dumps(v, option=_ORJSON_OPTS).decode()
                         for v in out[name]]
    for name in out.columns:
        if out[name].dtype == object and name not in ("params", "output", "output_keys"):
            out[name] = out[name].map(lambda v: v if v is None or isinstance(v, (str, int, float, bool))
                                      else json.dumps(v, default=str))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    out.attrs = {}
    out.to_parquet(target, index=False)
    return target


__all__ = [
    "PathLike",
    "audit_files",
    "iter_lines",
    "read_audit",
    "terminal_row_ids",
    "to_parquet",
]
