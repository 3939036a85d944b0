"""Realistic audit records at scale, written fast (not through the HTTP runner) for the audit benches.

Each row leaves what the runner writes: a ``sending`` intent, the terminal record (params, output,
``queue_ms``, ``webhook: "pending"``), and the webhook's settled state, in that order. Runs hold
``rows_per_run`` rows each, so a log looks like weeks of one team's runs.
"""
from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

ACTIONS = ("Get user", "Lookup order", "Create callback", "Update data table row")
CLASSES = [(None, 200)] * 92 + [("rate_limited", 429)] * 4 + [("server", 503)] * 2 + [("timeout", None)] \
    + [("bad_request", 400)]


def run_id_of(index: int) -> str:
    return f"run-20260101T{index // 3600 % 24:02d}{index // 60 % 60:02d}{index % 60:02d}Z-{index:06x}"


def lines(rows: int, *, rows_per_run: int = 20_000, seed: int = 22, start_row: int = 0):
    """Yield (run_id, [three encoded lines]) per row."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    digest = hashlib.sha256(b"body").hexdigest()
    dumps = orjson.dumps
    for row in range(start_row, start_row + rows):
        run = row // rows_per_run
        run_id = run_id_of(run)
        action = run % len(ACTIONS)
        error_class, status = rng.choice(CLASSES)
        ok = error_class is None
        latency = rng.lognormvariate(5.0, 0.5)
        attempts = 1 if ok or error_class == "bad_request" else rng.randint(1, 4)
        wait_ms = 0.0 if attempts == 1 else 500.0 * (attempts - 1)
        stamp = (start + timedelta(milliseconds=200 * row)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        row_id = str(row % rows_per_run)
        action_id = f"custom_-_{action:08x}-5b1c-5f2a-9d7e-2c4b8a6f0e1d"
        intent = {"schema_version": 1, "kind": "sending", "timestamp": stamp, "run_id": run_id, "row_id": row_id,
                  "action_id": action_id, "attempt": 1, "request_sha256": digest}
        output = {"id": f"u-{row}", "name": f"User {row}", "state": "active", "score": row % 97} if ok else None
        terminal = {
            "schema_version": 1, "timestamp": stamp, "run_id": run_id, "row_id": row_id, "action_id": action_id,
            "action_name": ACTIONS[action], "action_version": 2, "success": ok, "status_code": status,
            "error_class": error_class, "error_code": None if ok else f"{error_class}.code",
            "error_message": None if ok else f"{error_class}: the request failed",
            "latency_ms": latency, "total_ms": latency + wait_ms, "attempts": attempts, "retry_wait_ms": wait_ms,
            "timeout_ms": 30000, "correlation_id": f"{row:032x}",
            "params": {"userId": f"user-{row % 5000}", "priority": row % 3, "region": ("emea", "amer", "apac")[row % 3]},
            "output_keys": list(output) if output else [], "error_count": 0 if ok else 1, "webhook": "pending",
            "expected_invalid": False, "output": output, "queue_ms": rng.random() * 50,
        }
        state = {"schema_version": 1, "kind": "webhook", "timestamp": stamp, "run_id": run_id, "row_id": row_id,
                 "webhook": "delivered" if rng.random() < 0.98 else "failed", "event_id": f"evt_{row:x}"}
        yield run_id, [dumps(intent), dumps(terminal), dumps(state)]


def write_file(path: Path, rows: int, **kwargs) -> Path:
    """One NDJSON file (the single-file layout)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        buffer: list[bytes] = []
        for _, three in lines(rows, **kwargs):
            buffer.extend(three)
            if len(buffer) >= 30_000:
                handle.write(b"\n".join(buffer) + b"\n")
                buffer.clear()
        if buffer:
            handle.write(b"\n".join(buffer) + b"\n")
    return path


def write_folder(folder: Path, rows: int, **kwargs) -> Path:
    """An audit folder: one segment per run, as AuditLog(folder) writes them."""
    from genesys_nb.audit.segments import segment_path

    folder.mkdir(parents=True, exist_ok=True)
    handle = None
    current = None
    for run_id, three in lines(rows, **kwargs):
        if run_id != current:
            if handle is not None:
                handle.close()
            handle = open(segment_path(folder, run_id), "ab")  # noqa: SIM115 - closed on the next run or below
            current = run_id
        handle.write(b"\n".join(three) + b"\n")
    if handle is not None:
        handle.close()
    return folder


if __name__ == "__main__":
    import argparse
    import sys
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folder", action="store_true", help="write an audit folder instead of one file")
    args = parser.parse_args()
    began = time.perf_counter()
    (write_folder if args.folder else write_file)(args.path, args.rows)
    print(f"{args.rows} rows -> {args.path} in {time.perf_counter() - began:.1f}s")
