"""``summary()`` computed by DuckDB over the audit files themselves: only one small row per group reaches
pandas, so a report over millions of rows costs about what DuckDB's own aggregate query costs.

The figures are those of :func:`genesys_nb.report.stats.summarize` over the normalised frame: the same
defaults for missing fields (``success`` from ``error_class``, ``attempts`` 1, ``total_ms`` from
``latency_ms``, ``retry_wait_ms`` 0, ``expected_invalid`` false, a nameless action by its id), the same
outcome classes, and ``quantile_cont`` for the percentiles (the linear interpolation numpy uses by
default). The group labels are ordered by pandas, as the frame path orders them.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genesys_nb.audit.duck import _quote, _union, connect
from genesys_nb.audit.records import UNKNOWN
from genesys_nb.report.load import CATEGORY_COLUMNS
from genesys_nb.report.stats import OK_LABEL, SUMMARY_COLUMNS

# Columns a summary may be grouped by in SQL (each a scalar of the record; ``webhook`` needs the settled
# state, ``params.*`` the full reader: those take the frame path).
SQL_GROUPS = ("action_name", "action_id", "run_id", "error_class", "error_code", "status_code")
_READ = ("kind", "timestamp", "run_id", "action_id", "action_name", "success", "error_class", "error_code",
         "status_code", "latency_ms", "total_ms", "queue_ms", "attempts", "retry_wait_ms", "expected_invalid")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def summary_sql(ndjson: Sequence[tuple[Path, bool]], archive: Sequence[Path], by: Sequence[str], *,
                run_id: str | None = None, since: pd.Timestamp | None = None) -> pd.DataFrame:
    """The summary table of the report rows of ``ndjson`` files and ``archive`` Parquet files, grouped by
    ``by`` (names from :data:`SQL_GROUPS`). Raises :class:`~genesys_nb.audit.duck.DuckRejected` for a
    file DuckDB cannot read, as the row reader does."""
    import duckdb

    from genesys_nb.audit.duck import DuckRejected

    source = _union(ndjson, archive, list(_READ))
    success = "coalesce(success, error_class IS NULL)"
    invalid = "coalesce(expected_invalid, false)"
    unknown = f"coalesce(error_class = {_literal(UNKNOWN)}, false)"
    keys = {
        "action_name": "coalesce(action_name, action_id)",
        "error_class": f"CASE WHEN error_class IS NULL AND {success} THEN {_literal(OK_LABEL)} ELSE error_class END",
    }
    where = ["kind IS NULL"]
    if run_id is not None:
        where.append(f"run_id = {_literal(str(run_id))}")
    if since is not None:
        where.append(f"\"timestamp\" >= {_literal(since.isoformat())}::TIMESTAMPTZ")
    rows = f"""
        SELECT {', '.join(f'{keys.get(name, _quote(name))} AS {_quote("k_" + name)}' for name in by) or '1 AS k_'},
               {success} AS ok_, {invalid} AS invalid_, {unknown} AS unknown_,
               coalesce(attempts, 1) AS attempts_, latency_ms,
               coalesce(total_ms, latency_ms) AS total_,
               coalesce(retry_wait_ms, 0) AS wait_,
               epoch_us("timestamp")::DOUBLE * 1000 + coalesce(queue_ms, 0) * 1e6 AS start_
        FROM ({source}) WHERE {' AND '.join(where)}
    """
    sent = "attempts_ > 0 AND latency_ms IS NOT NULL"
    rejected = "NOT ok_ AND invalid_ AND NOT unknown_"
    group = ", ".join(_quote("k_" + name) for name in by) or "k_"
    query = f"""
        SELECT {group},
               count(*) AS "count",
               count(*) FILTER (WHERE ok_ AND NOT invalid_) AS ok,
               count(*) FILTER (WHERE {rejected}) AS expected_rejections,
               count(*) FILTER (WHERE ok_ AND invalid_) AS unexpected_accepts,
               count(*) FILTER (WHERE NOT ok_ AND NOT ({rejected})) AS errors,
               count(*) FILTER (WHERE (ok_ AND NOT invalid_) OR ({rejected})) AS passed,
               count(*) FILTER (WHERE {sent}) AS sent_count,
               sum(latency_ms) FILTER (WHERE {sent}) AS latency_sum,
               min(latency_ms) FILTER (WHERE {sent}) AS min_ms,
               quantile_cont(latency_ms, [0.5, 0.9, 0.95, 0.99]) FILTER (WHERE {sent}) AS pct,
               max(latency_ms) FILTER (WHERE {sent}) AS max_ms,
               min(start_) AS first_start, max(start_ + total_ * 1e6) AS last_finish,
               count(*) FILTER (WHERE attempts_ > 0) AS reached,
               min(start_) FILTER (WHERE attempts_ > 0) AS reached_start,
               max(start_ + total_ * 1e6) FILTER (WHERE attempts_ > 0) AS reached_finish,
               sum(greatest(attempts_ - 1, 0))::BIGINT AS retries,
               sum(wait_) AS wait_ms
        FROM ({rows}) GROUP BY ALL
    """
    con = connect()
    try:
        table = con.sql(query).to_arrow_table()
    except (duckdb.InvalidInputException, duckdb.ConversionException) as err:
        files = [f for f, _ in ndjson]
        raise DuckRejected(files[0] if len(files) == 1 else Path(""), str(err).splitlines()[0]) from None
    finally:
        con.close()
    return _frame(table, by)


def _floats(table: Any, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False).astype("float64")


def _frame(table: Any, by: Sequence[str]) -> pd.DataFrame:
    if table.num_rows == 0 or table.column("count").to_numpy().sum() == 0:
        index = pd.MultiIndex.from_arrays([[]] * len(by), names=list(by)) if len(by) > 1 else pd.Index(
            [], name=by[0] if by else "group")
        return pd.DataFrame({name: pd.Series(dtype="float64") for name in SUMMARY_COLUMNS}, index=index)
    keys = pd.DataFrame({name: table.column("k_" + name).to_pandas() for name in by})
    for name in by:  # the dtypes the frame path groups on, so labels sort and print the same
        if name == "status_code":
            keys[name] = pd.to_numeric(keys[name], errors="coerce").astype("Int64")
        elif name in CATEGORY_COLUMNS and name != "error_class":  # grouped error_class is labelled text
            keys[name] = keys[name].astype(object).astype("category")
            keys[name] = keys[name].cat.reorder_categories(sorted(keys[name].cat.categories, key=str))
    if by:
        codes, index = _codes(keys, by)
    else:
        codes, index = np.zeros(1, dtype=np.int64), pd.Index(["all"], name="group")
    order = np.argsort(codes, kind="stable")
    count = table.column("count").to_numpy().astype(np.int64)[order]
    pct = np.array([np.full(4, np.nan) if p is None else p for p in table.column("pct").to_pylist()],
                   dtype="float64").reshape(-1, 4)[order]
    sent_count = _floats(table, "sent_count")[order]
    with np.errstate(invalid="ignore", divide="ignore"):
        span = (_floats(table, "last_finish") - _floats(table, "first_start"))[order] / 1e9
        sent_span = (_floats(table, "reached_finish") - _floats(table, "reached_start"))[order] / 1e9
        reached = _floats(table, "reached")[order]
        throughput = np.where(sent_span > 0, reached / sent_span, np.nan)
        mean = _floats(table, "latency_sum")[order] / sent_count

    def ints(name: str) -> np.ndarray:
        return table.column(name).to_numpy().astype(np.int64)[order]

    return pd.DataFrame(
        {
            "count": count, "ok": ints("ok"), "expected_rejections": ints("expected_rejections"),
            "unexpected_accepts": ints("unexpected_accepts"), "errors": ints("errors"),
            "ok_rate": ints("passed") / count, "error_rate": ints("errors") / count,
            "throughput_rps": throughput, "span_s": span, "mean_ms": mean,
            "min_ms": _floats(table, "min_ms")[order], "p50_ms": pct[:, 0], "p90_ms": pct[:, 1],
            "p95_ms": pct[:, 2], "p99_ms": pct[:, 3], "max_ms": _floats(table, "max_ms")[order],
            "retries": ints("retries"), "retry_wait_s": _floats(table, "wait_ms")[order] / 1000.0,
        },
        index=index,
    )


def _codes(keys: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.Index]:
    grouped = keys.groupby(list(by), observed=True, dropna=False, sort=True)
    return grouped.ngroup().to_numpy(dtype=np.int64), grouped.size().index
