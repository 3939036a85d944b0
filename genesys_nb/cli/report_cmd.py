"""`genesys-nb report`: latency and error tables from audit logs, HTML export, thresholds for CI.

Exit codes: 0 report printed (and thresholds passed), 1 a threshold failed (or, with
``--fail-on-regression``, the comparison found a regression), 2 the report could not be made
(missing file, bad threshold, unknown column).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from genesys_nb.report.latency import LatencyReport

EXIT_OK, EXIT_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2
SUMMARY_COLUMNS = (
    "count", "error_rate", "throughput_rps", "mean_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms",
    "retries", "retry_wait_s",
)
ERROR_COLUMNS = ("error_class", "status_code", "error_code", "count", "share", "example_message",
                 "example_correlation_id")
MAX_CELL = 60


def text_table(
    frame: pd.DataFrame, *, index: bool = True, max_cell: int = MAX_CELL, right: Sequence[str] = ()
) -> str:
    """Render a DataFrame as an aligned plain-text table (numbers and ``right`` columns right-aligned,
    long text cut)."""
    from genesys_nb.report.html import format_frame

    data = frame.reset_index() if index else frame
    numeric = {
        str(c): data[c].dtype.kind in "iufb" or str(data[c].dtype) in ("Int64", "Float64") or str(c) in right
        for c in data
    }
    shown = format_frame(data)
    headers = [str(c) for c in shown.columns]
    rows = [[_cut(str(v), max_cell) for v in row] for row in shown.itertuples(index=False, name=None)]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if numeric[header] else cell.ljust(width)
            for cell, width, header in zip(cells, widths, headers)
        ).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def print_summary(
    report: LatencyReport,
    file: TextIO | None = None,
    *,
    by: Sequence[str] = ("action_name",),
) -> None:
    """Print the run header, the summary table per ``by`` group and the error table."""
    from genesys_nb.report.html import header_rows

    out = file if file is not None else sys.stdout
    for name, value in header_rows(report):
        if name != "Percentiles":
            print(f"{name + ':':<15}{value}", file=out)
    if len(report) == 0:
        print("\nno audit records to summarise", file=out)
        return
    summary = report.summary(list(by))
    print(f"\nLatency by {', '.join(by) or 'run'} (ms; throughput in rows/s)", file=out)
    print(text_table(summary[list(SUMMARY_COLUMNS)]), file=out)
    if len(summary) > 1:
        overall = report.summary(())
        print("\nOverall", file=out)
        print(text_table(overall[list(SUMMARY_COLUMNS)], index=False), file=out)
    errors = report.errors()
    if len(errors):
        print(f"\nErrors ({int(errors['count'].sum()):,} of {len(report):,} rows)", file=out)
        print(text_table(errors[list(ERROR_COLUMNS)], index=False), file=out)
    else:
        print("\nErrors: none", file=out)


def print_comparison(table: pd.DataFrame, file: TextIO | None = None) -> None:
    from genesys_nb.report.html import format_comparison

    out = file if file is not None else sys.stdout
    print("\nComparison (baseline = first audit, candidate = --compare)", file=out)
    columns = ("baseline", "candidate", "change", "change_pct")
    print(text_table(format_comparison(table), right=columns), file=out)
    regressions = int(table["regression"].sum())
    print(f"{regressions} regression(s) beyond the noise threshold" if regressions else "no regression", file=out)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="latency and error tables from audit logs; HTML; thresholds for CI",
        description="Summarise audit logs: latency percentiles, throughput, retries and errors. "
        "Exits 1 when a --fail-if threshold fails, 2 when the report cannot be made.",
    )
    parser.add_argument("audit", nargs="+", metavar="AUDIT",
                        help="audit file(s) or folder(s): .ndjson, .jsonl or .parquet")
    parser.add_argument("--by", action="append", metavar="COL",
                        help="group by this column (repeat or comma-separate), e.g. action_name, "
                        "params.priority (default: action_name)")
    parser.add_argument("--html", metavar="PATH", help="also write a self-contained HTML report here")
    parser.add_argument("--compare", metavar="OTHER", nargs="+",
                        help="audit file(s) of a candidate run to compare with (AUDIT is the baseline)")
    parser.add_argument("--noise-pct", type=float, default=10.0,
                        help="changes smaller than this percentage are noise (default 10)")
    parser.add_argument("--fail-on-regression", action="store_true",
                        help="exit 1 when the comparison finds a regression")
    parser.add_argument("--fail-if", metavar="RULES",
                        help='fail conditions, e.g. "p95>800,error_rate>0.02,throughput<5"')
    parser.add_argument("--run-id", metavar="ID", help="only rows of this run")
    parser.add_argument("--since", metavar="TIME", help="only rows started at or after this ISO time (UTC)")
    parser.set_defaults(func=run)


def _by_columns(values: list[str] | None) -> list[str]:
    if not values:
        return ["action_name"]
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def run(args: argparse.Namespace) -> int:
    from genesys_nb.report.latency import LatencyReport, parse_thresholds

    try:
        limits = parse_thresholds(args.fail_if) if args.fail_if else None
        report = LatencyReport.from_audit(args.audit, run_id=args.run_id, since=args.since)
        by = _by_columns(args.by)
        report.summary(by)  # unknown column -> ValueError naming the available ones, before printing
        other = LatencyReport.from_audit(args.compare, since=args.since) if args.compare else None
    except FileNotFoundError as err:
        print(f"genesys-nb report: {err}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    except ValueError as err:
        print(f"genesys-nb report: {err}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    if report.skipped_lines:
        print(f"note: {len(report.skipped_lines)} unreadable line(s) skipped "
              f"(first: {report.skipped_lines[0].path}:{report.skipped_lines[0].line})", file=sys.stderr)
    print_summary(report, by=by)
    exit_code = EXIT_OK
    comparison = None
    if other is not None:
        comparison = report.compare(other, noise_pct=args.noise_pct)
        print_comparison(comparison)
        if args.fail_on_regression and comparison["regression"].any():
            exit_code = EXIT_FAILED
    checks = None
    if limits is not None:
        checks = report.check(**limits)
        print("\nThresholds", file=sys.stdout)
        print(checks, file=sys.stdout)
        if not checks.ok:
            exit_code = EXIT_FAILED
    if args.html:
        try:
            path = report.to_html(args.html, by=by, checks=checks, comparison=comparison)
        except OSError as err:
            print(f"genesys-nb report: cannot write {args.html}: {err}", file=sys.stderr)
            return EXIT_COULD_NOT_RUN
        print(f"\nHTML report written to {path}")
    return exit_code
