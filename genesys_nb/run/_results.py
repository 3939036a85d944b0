"""What a run leaves behind: its :class:`RunSummary`, and the result table streamed from the audit log.

:func:`result_frame` reads the run's records back in chunks, one typed DataFrame row per matrix
row in matrix order, so building the table costs about the table's own size in memory.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.audit.outcomes import OutcomeCounts
from genesys_nb.contract.paths import flatten_dotted
from genesys_nb.run._csv import typed_columns

if TYPE_CHECKING:  # pragma: no cover
    from collections import Counter

    import pandas as pd

    from genesys_nb.api.models import Action
    from genesys_nb.run.pacing import PacerStats


@dataclass(frozen=True)
class RunSummary:
    """What one run did: counts, time, throughput and how often the platform said slow down."""

    run_id: str
    action_id: str
    action_name: str | None
    total_rows: int
    skipped_rows: int  # already recorded by an earlier run with this run_id (resume)
    finished_rows: int  # recorded by this run
    ok_rows: int
    failed_rows: int
    error_classes: dict[str, int]
    elapsed_s: float
    rows_per_s: float
    requests: int  # execute attempts sent, retries included
    rate_limited: int  # 429 answers seen
    slowdowns: int  # times the pace was cut after a 429
    stopped: bool  # True when stop() or an interrupt ended the run before every row ran
    audit_path: str
    concurrency: int
    rate_per_minute: float | None  # the pace asked for, per platform minute (None: pacing off)
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))  # UTC
    # Rows sent before an earlier run of this run_id stopped and never recorded: their outcome is
    # unknown, so they were not sent again (listed by row id; rerun_unknown=True sends them).
    unknown_rows: tuple[str, ...] = ()
    webhooks_redelivered: int = 0  # events of earlier rows whose delivery had not settled, sent again
    # The row counts every view prints (ok, expected rejections, errors by class, unknown): see OutcomeCounts.
    outcomes: OutcomeCounts = field(default_factory=OutcomeCounts)

    @property
    def unfinished_rows(self) -> int:
        return self.total_rows - self.skipped_rows - self.finished_rows

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["started_at"] = self.started_at.isoformat().replace("+00:00", "Z")
        out["unfinished_rows"] = self.unfinished_rows
        out["outcomes"] = self.outcomes.to_dict()
        return out

    def __str__(self) -> str:
        text = (
            f"run {self.run_id}: {self.finished_rows} rows in {self.elapsed_s:.1f} s "
            f"({self.rows_per_s:.1f} rows/s) · {self.outcomes.text()} · {self.requests} requests, "
            f"{self.rate_limited} x 429"
        )
        if self.skipped_rows:
            text += f", {self.skipped_rows} already done earlier"
        if self.unknown_rows:
            listed = ", ".join(self.unknown_rows[:5]) + (" ..." if len(self.unknown_rows) > 5 else "")
            text += (f"; {len(self.unknown_rows)} rows of unknown outcome not re-sent ({listed}; check them, "
                     "then resume with rerun_unknown=True)")
        if self.stopped:
            text += f"; stopped with {self.unfinished_rows} rows not run (resume with run_id={self.run_id!r})"
        return text


def _summarize(
    run_id: str, action_id: str, action: Action | None, total: int, skipped: int, counts: Counter[str],
    elapsed_s: float, started_at: datetime, requests: int, stats: PacerStats, rate: float | None, *,
    audit_path: str, concurrency: int, unknown_rows: tuple[str, ...] = (), webhooks_redelivered: int = 0,
) -> RunSummary:
    """What one run did, from its row counts (keyed by :func:`outcome_of`) and its pacer.

    ``failed_rows`` are the rows that did not behave as expected: errors, unexpected accepts and unknown
    outcomes; an expected rejection is not a failure."""
    finished = sum(counts.values())
    outcomes = OutcomeCounts.from_counter(counts)
    errors = dict(outcomes.errors)
    return RunSummary(
        run_id=run_id, action_id=action_id, action_name=getattr(action, "name", None), total_rows=total,
        skipped_rows=skipped, finished_rows=finished, ok_rows=outcomes.ok, failed_rows=finished - outcomes.passed,
        error_classes=errors, elapsed_s=elapsed_s, rows_per_s=finished / elapsed_s if elapsed_s > 0 else 0.0,
        requests=requests, rate_limited=stats.rate_limited, slowdowns=stats.slowdowns,
        stopped=skipped + finished < total, audit_path=audit_path, concurrency=concurrency,
        rate_per_minute=rate, started_at=started_at, unknown_rows=unknown_rows,
        webhooks_redelivered=webhooks_redelivered, outcomes=outcomes,
    )


# ---- the result table, streamed from the audit log -------------------------------------------------
_CHUNK_ROWS = 5_000
_SCALARS = (  # (frame column, record key)
    ("row_id", "row_id"), ("ok", "success"), ("error_class", "error_class"), ("status_code", "status_code"),
    ("latency_ms", "latency_ms"), ("total_ms", "total_ms"), ("queue_ms", "queue_ms"),
    ("attempts", "attempts"),
    ("retry_wait_ms", "retry_wait_ms"), ("correlation_id", "correlation_id"),
    ("expected_invalid", "expected_invalid"), ("error_code", "error_code"), ("error_message", "error_message"),
    ("timestamp", "timestamp"), ("webhook", "webhook"),
)


def _flat(value: Any) -> dict[str, Any]:
    """Dotted columns of params/output; a redacted or missing value gives no columns."""
    return flatten_dotted(value) if isinstance(value, Mapping) else {}


def _chunk_frame(records: list[dict[str, Any]], positions: list[int], redacted_fields: list[str] | None
                 ) -> pd.DataFrame:
    import pandas as pd

    from genesys_nb.audit.writer import REDACTED

    columns: dict[str, Any] = {"_position": positions}
    columns["row_id"] = [r.get("row_id") for r in records]
    if redacted_fields is not None:
        params = pd.DataFrame({f"params.{name}": [REDACTED] * len(records) for name in redacted_fields})
    else:
        flats = [_flat(r.get("params")) for r in records]
        names = list(dict.fromkeys(name for flat in flats for name in flat))
        params = typed_columns(pd.DataFrame(  # object first: a blank cell never turns 3 into 3.0
            {f"params.{name}": pd.Series([flat.get(name) for flat in flats], dtype=object) for name in names},
            index=range(len(records))), [f"params.{name}" for name in names])
    for column, key in _SCALARS[1:]:
        columns[column] = [r.get(key) for r in records]
    outputs = pd.DataFrame.from_records([_flat(r.get("output")) for r in records])
    outputs.columns = [f"output.{name}" for name in outputs.columns]
    scalars = _typed_scalars(pd.DataFrame(columns))  # typed per chunk: no big column of strings piles up
    return pd.concat([scalars[["_position", "row_id"]], params, scalars.drop(columns=["_position", "row_id"]),
                      outputs], axis=1)


def result_frame(audit_path: Path, run_id: str, matrix: Any, *, secure: bool = False) -> pd.DataFrame:
    """The run's records as one typed DataFrame in matrix order (the last record of a row wins; a
    row's ``webhook`` is its settled state when the log has one).

    Streams the log in chunks, so building the table costs about the table's own size in memory,
    not the log's. Inputs are the recorded (scrubbed) ``params``; for secure actions every input
    column holds the redaction marker, as in the log.
    """
    import numpy as np
    import orjson
    import pandas as pd

    from genesys_nb.audit._files import _files_of_run, archive_records

    order: dict[str, int] = {}
    fields: dict[str, None] = {}
    for position, row in enumerate(matrix):
        order[str(row.row_id)] = position
        if secure:
            fields.update(dict.fromkeys(_flat(row.params)))
    redacted_fields = list(fields) if secure else None
    needle = orjson.dumps(run_id)
    chunks: list[pd.DataFrame] = []
    records: list[dict[str, Any]] = []
    positions: list[int] = []
    seen: set[str] = set()
    settled: dict[str, Any] = {}
    repeated = False

    def lines() -> Any:  # the run's own files only, when the log is an audit folder
        for file in _files_of_run(audit_path, run_id):
            if file.suffix == ".parquet":
                yield from (orjson.dumps(record) for record in archive_records(file, run_id))
                continue
            with open(file, "rb") as handle:
                yield from handle

    for line in lines():
        if needle not in line:
            continue  # another run's record: skip without parsing
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a torn last line (the reader reports it); its row has no record
        if not isinstance(record, dict) or record.get("run_id") != run_id:
            continue
        kind = record.get("kind")
        if kind is not None:  # an intent or a webhook's settled state: not a row of its own
            if kind == "webhook":
                settled[str(record.get("row_id"))] = record.get("webhook")
            continue
        row_id = str(record.get("row_id"))
        repeated = repeated or row_id in seen
        seen.add(row_id)
        records.append(record)
        positions.append(order.get(row_id, len(order)))
        if len(records) >= _CHUNK_ROWS:
            chunks.append(_chunk_frame(records, positions, redacted_fields))
            records, positions = [], []
    del seen, order
    if records or not chunks:
        chunks.append(_chunk_frame(records, positions, redacted_fields))
    frame = pd.concat(chunks, ignore_index=True, sort=False) if len(chunks) > 1 else chunks[0]
    del chunks
    if repeated:  # a row recorded twice (a resumed run that re-ran a row by hand): the last record wins
        frame = frame.drop_duplicates("row_id", keep="last")
    positions_column = frame.pop("_position")
    if not positions_column.is_monotonic_increasing:
        # One reordering copy (records arrive in completion order, not matrix order).
        frame = frame.take(np.argsort(positions_column.to_numpy(), kind="stable"))
    del positions_column
    frame = frame.reset_index(drop=True)
    if settled:
        frame["webhook"] = [settled.get(row_id, state) for row_id, state in zip(frame["row_id"], frame["webhook"])]
    for name in ("error_class", "webhook"):
        frame[name] = frame[name].astype("category")
    frame.attrs["run_id"] = run_id
    return frame


def _typed_scalars(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    frame["row_id"] = frame["row_id"].astype(str)
    frame["ok"] = frame["ok"].fillna(False).astype(bool)
    frame["expected_invalid"] = frame["expected_invalid"].fillna(False).astype(bool)
    frame["status_code"] = pd.array(frame["status_code"], dtype="Int64")
    frame["attempts"] = pd.array(frame["attempts"], dtype="Int64")
    for name in ("latency_ms", "total_ms", "retry_wait_ms"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601", errors="coerce").dt.as_unit("ns")
    for name in ("error_class", "webhook"):
        frame[name] = frame[name].astype(object)  # made categorical once the chunks are joined
    for name in ("correlation_id", "error_code", "error_message"):
        # Arrow-backed text: a few bytes per value instead of a Python object each (None -> <NA>).
        frame[name] = frame[name].astype(_TEXT)
    return frame


_TEXT = "string[pyarrow]"
