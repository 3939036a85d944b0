"""What a paced row's timings say: time queued for a pacing slot (queue_ms) apart from total_ms.

Runs ``--rows`` rows of the Echo action on the embedded emulator at ``--rate`` rows per minute with 8
workers, so most rows wait for their slot. Prints latency_ms, total_ms and queue_ms (mean, median,
max). total_ms runs from the first send to the final answer, so with one attempt each it stays next
to latency_ms however long a row queued; before queue_ms existed, it grew row by row with the queue.

    python bench/bench_queue_ms.py [--rows 20] [--rate 300]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rows", type=int, default=20)
    options.add_argument("--rate", type=float, default=300.0, help="rows per minute")
    args = options.parse_args()

    import genesys_nb as gnb
    from genesys_nb.emulator import action_id_for

    with gnb.connect() as session, tempfile.TemporaryDirectory() as folder:
        runner = gnb.MatrixRunner(session, concurrency=8, rate_per_minute=args.rate,
                                  audit=Path(folder) / "audit.ndjson", progress=False)
        matrix = gnb.ParameterMatrix.product(sequence=list(range(args.rows))).with_fixed(message="hi")
        frame = runner.run(action_id_for("Echo"), matrix)
        print(runner.last_summary)
        stats = frame[["latency_ms", "total_ms", "queue_ms"]].describe().loc[["mean", "50%", "max"]]
        print(stats.rename(index={"50%": "median"}).round(1).to_string())


if __name__ == "__main__":
    main()
