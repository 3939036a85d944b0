"""Audit reads through DuckDB, in process: only the columns a view needs, out of core, over NDJSON files
and segments and the Parquet archive alike.

:func:`terminal_rows` gives the rows of a report (intent and webhook-state records left out, each
row's ``webhook`` at its settled state) as an Arrow table; :func:`run_table` lists the runs of a log.
A torn last line (a crash mid-append) is reported and left out; a file DuckDB refuses anyway (a bad
line in the middle, a value of the wrong type) is named in the exception so the caller reads that
one file line by line. One in-memory connection per call (a few milliseconds), so a notebook holds
no state between reads.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

__all__ = ["NDJSON_TYPES", "DuckRejected", "connect", "run_table", "terminal_rows", "torn_tail"]

# Every scalar column of a record, as DuckDB reads it from NDJSON (timestamps as text, cast after).
NDJSON_TYPES: dict[str, str] = {
    "schema_version": "BIGINT", "kind": "VARCHAR", "timestamp": "VARCHAR", "run_id": "VARCHAR",
    "row_id": "VARCHAR", "action_id": "VARCHAR", "action_name": "VARCHAR", "action_version": "BIGINT",
    "success": "BOOLEAN", "status_code": "BIGINT", "error_class": "VARCHAR", "error_code": "VARCHAR",
    "error_message": "VARCHAR", "latency_ms": "DOUBLE", "total_ms": "DOUBLE", "queue_ms": "DOUBLE",
    "attempts": "BIGINT", "retry_wait_ms": "DOUBLE", "timeout_ms": "DOUBLE", "correlation_id": "VARCHAR",
    "webhook": "VARCHAR", "expected_invalid": "BOOLEAN",
}


class DuckRejected(Exception):
    """DuckDB could not read ``path`` as typed NDJSON; read that file line by line instead."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path


def connect() -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # a long read prints nothing of its own
    con.execute("SET TimeZone = 'UTC'")
    return con


def torn_tail(path: Path) -> tuple[int, str] | None:
    """(line number, error) of a torn last line (no newline, not JSON), reading only the file's tail."""
    size = path.stat().st_size
    if not size:
        return None
    with open(path, "rb") as handle:
        handle.seek(max(0, size - 1_048_576))
        tail = handle.read()
        if tail.endswith(b"\n"):
            return None
        last = tail[tail.rfind(b"\n") + 1:]
        try:
            orjson.loads(last)
            return None
        except orjson.JSONDecodeError as err:
            if not last.strip():
                return None
            handle.seek(0)
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
            return lines + 1, str(err)


def _ndjson_source(files: Sequence[Path], columns: Sequence[str], *, ignore_errors: bool) -> str:
    types = ", ".join(f"{_quote(name)}: '{NDJSON_TYPES[name]}'" for name in columns)
    paths = ", ".join(_literal(str(f)) for f in files)
    return (f"read_json([{paths}], format = 'newline_delimited', columns = {{{types}}}, "
            f"ignore_errors = {'true' if ignore_errors else 'false'})")


def _archive_source(files: Sequence[Path]) -> str:
    paths = ", ".join(_literal(str(f)) for f in files)
    return f"read_parquet([{paths}], union_by_name = true)"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _select(columns: Sequence[str], *, from_json: bool) -> str:
    out = []
    for name in columns:
        if name == "timestamp":
            out.append("try_cast(\"timestamp\" AS TIMESTAMPTZ) AS \"timestamp\"" if from_json
                       else "\"timestamp\"::TIMESTAMPTZ AS \"timestamp\"")
        elif not from_json and name == "timeout_ms":
            out.append("\"timeout_ms\"::DOUBLE AS \"timeout_ms\"")
        else:
            out.append(_quote(name))
    return ", ".join(out)


def _union(ndjson: Sequence[tuple[Path, bool]], archive: Sequence[Path], columns: Sequence[str]) -> str:
    """One relation of every record of every file (``_file`` and ``_line`` keep file order)."""
    parts = []
    clean = [f for f, torn in ndjson if not torn]
    torn = [f for f, t in ndjson if t]
    for group, ignore in ((clean, False), (torn, True)):
        if group:
            parts.append(f"SELECT {_select(columns, from_json=True)} FROM {_ndjson_source(group, columns, ignore_errors=ignore)}")
    if archive:
        parts.append(f"SELECT {_select(columns, from_json=False)} FROM {_archive_source(archive)}")
    return " UNION ALL ".join(parts)


# Text a report shows for failed rows only (an example per error group): left null on successes, it
# costs nothing per successful row.
FAILED_ONLY = ("correlation_id", "error_message")


def terminal_rows(ndjson: Sequence[tuple[Path, bool]], archive: Sequence[Path], columns: Sequence[str], *,
                  failed_only: Sequence[str] = (), dictionary: Sequence[str] = ()) -> Any:
    """The report's rows (no intents, no webhook states; ``webhook`` settled) as an Arrow table, in file
    order. ``ndjson`` pairs each file with whether its last line is torn. The result has ``columns``
    (without ``kind``); those in ``failed_only`` hold values on failed rows only; those in ``dictionary``
    are dictionary-encoded batch by batch as they arrive (a few bytes a row instead of the text).

    One scan: DuckDB streams the terminal and webhook-state records (in file order) batch by batch,
    and each row's settled state is folded in with Arrow's vectorised lookups, so nothing is read twice
    and nothing is sorted."""
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc

    fold = "webhook" in columns  # only a view of webhook states needs the state records
    shown = [c for c in dict.fromkeys(columns) if c != "kind"]
    wanted = list(dict.fromkeys([*shown, "kind", *(("run_id", "row_id", "webhook") if fold else ()),
                                 *(("error_class", "success") if set(failed_only) & set(shown) else ())]))
    if fold:
        shown = list(dict.fromkeys([*shown, "run_id", "row_id"]))
    source = _union(ndjson, archive, wanted)
    failed = "(error_class IS NOT NULL OR success = false)"
    projection = ", ".join(
        f"CASE WHEN {failed} THEN {_quote(name)} END AS {_quote(name)}" if name in failed_only else _quote(name)
        for name in shown)
    where = "kind IS NULL OR kind = 'webhook'" if fold else "kind IS NULL"
    query = f"SELECT {projection}, kind FROM ({source}) WHERE {where}"
    con = connect()
    rows: list[Any] = []
    states: list[Any] = []
    try:
        reader = con.sql(query).to_arrow_reader(batch_size=262_144)
        encode = [] if fold else [shown.index(name) for name in dictionary if name in shown]
        for batch in reader:
            kinds = batch.column(len(shown))
            if kinds.null_count == batch.num_rows:
                arrays = batch.columns[:-1]
                for index in encode:
                    arrays[index] = pc.dictionary_encode(arrays[index])
                rows.append(pa.RecordBatch.from_arrays(arrays, names=shown))
                continue
            is_row = pc.is_null(kinds)
            rows.append(pa.Table.from_batches([batch.filter(is_row)]).drop_columns(["kind"]))
            states.append(pa.Table.from_batches([batch.filter(pc.invert(is_row))]).select(
                ["run_id", "row_id", "webhook"]))
    except (duckdb.InvalidInputException, duckdb.ConversionException) as err:
        files = [f for f, _ in ndjson]
        if len(files) == 1:
            raise DuckRejected(files[0], str(err).splitlines()[0]) from None
        for file, torn in ndjson:  # which file? each alone (only on this rare path)
            try:
                con.sql(f"SELECT count(*) FROM ({_union([(file, torn)], [], wanted)})").fetchall()
            except (duckdb.InvalidInputException, duckdb.ConversionException) as one:
                raise DuckRejected(file, str(one).splitlines()[0]) from None
        raise
    finally:
        con.close()
    parts = [r if isinstance(r, pa.Table) else pa.Table.from_batches([r]) for r in rows]
    table = pa.concat_tables(parts, promote_options="permissive") if parts else pa.table(
        {name: pa.array([], pa.string()) for name in shown})
    del rows, parts
    if states:
        table = _settle(table, pa.concat_tables(states))
    extra = [c for c in ("run_id", "row_id") if c not in columns and c in table.column_names]
    return table.drop_columns(extra) if extra else table


def _settle(table: Any, states: Any) -> Any:
    """Each row's ``webhook`` at the last settled state recorded for its (run, row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def keys(t: Any) -> Any:
        return pc.binary_join_element_wise(pc.fill_null(t["run_id"], ""), pc.fill_null(t["row_id"], "\x00"), "\x1f")

    states = states.take(pa.array(range(states.num_rows - 1, -1, -1)))  # the last state comes first
    where = pc.index_in(keys(table), value_set=keys(states))
    settled = pc.take(states["webhook"], where)
    webhook = pc.if_else(pc.is_valid(where), settled, table["webhook"])
    position = table.schema.get_field_index("webhook")
    return table.set_column(position, table.schema.field(position), webhook)


def run_table(folder: Any) -> Any:
    """One row per run of a log (a folder, a file, a glob): where its records are, rows, errors, intents
    without an outcome counted by row, first and last record, its action(s). A pandas DataFrame."""
    import pandas as pd

    from genesys_nb.audit._files import audit_files, is_archive

    files = audit_files(folder)
    ndjson = [(f, torn_tail(f) is not None) for f in files if f.suffix != ".parquet"]
    archive = [f for f in files if f.suffix == ".parquet" and is_archive(f)]
    columns = ["run_id", "row_id", "kind", "timestamp", "action_name", "action_id", "success"]
    empty = pd.DataFrame({"run_id": [], "stored": [], "rows": [], "errors": [], "first": [], "last": [],
                          "actions": []})
    if not ndjson and not archive:
        return empty
    where = []
    if ndjson:
        where.append(f"SELECT 'ndjson' AS stored, * FROM ({_union(ndjson, [], columns)})")
    if archive:
        where.append(f"SELECT 'parquet' AS stored, * FROM ({_union([], archive, columns)})")
    query = f"""
        SELECT run_id, string_agg(DISTINCT stored, '+' ORDER BY stored) AS stored,
               count(DISTINCT row_id) FILTER (WHERE kind IS NULL) AS rows,
               count(*) FILTER (WHERE kind IS NULL AND NOT coalesce(success, false)) AS errors,
               min("timestamp") AS first, max("timestamp") AS last,
               string_agg(DISTINCT coalesce(action_name, action_id), ', ')
                   FILTER (WHERE kind IS NULL) AS actions  -- an intent names no action
        FROM ({' UNION ALL '.join(where)}) WHERE run_id IS NOT NULL  -- a torn line reads as a row of nulls
        GROUP BY run_id ORDER BY first NULLS LAST, run_id
    """
    con = connect()
    try:
        frame = con.sql(query).to_df()
    finally:
        con.close()
    for name in ("first", "last"):
        frame[name] = pd.Series([None if pd.isna(v) else v.to_pydatetime() for v in frame[name]], dtype=object)
    return frame


def webhook_states(files: Sequence[Path]) -> dict[tuple[str, str], str]:
    """(run_id, row_id) -> the last settled webhook state recorded in any of ``files`` (NDJSON or archive)."""
    from genesys_nb.audit._files import is_archive

    # Lines DuckDB cannot read become rows of nulls here (ignore_errors): the readers report them.
    ndjson = [(f, True) for f in files if f.suffix != ".parquet"]
    archive = [f for f in files if f.suffix == ".parquet" and is_archive(f)]
    if not ndjson and not archive:
        return {}
    source = _union(ndjson, archive, ["kind", "run_id", "row_id", "webhook"])
    con = connect()
    try:
        found = con.sql(f"SELECT run_id, row_id, webhook FROM ({source}) WHERE kind = 'webhook'").fetchall()
    finally:
        con.close()
    return {(run_id, row_id): state for run_id, row_id, state in found}
