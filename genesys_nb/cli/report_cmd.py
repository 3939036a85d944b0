"""`genesys-nb report`: latency and error tables from audit logs, HTML export, thresholds for CI.

Exit codes: 0 report printed (and thresholds passed), 1 a threshold failed (or, with
``--fail-on-regression``, the comparison found a regression), 2 the report could not be made
(missing file, bad threshold, unknown column; with ``--platform``, the platform could not be asked).
"""
from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from genesys_nb.report.latency import LatencyReport

EXIT_OK, EXIT_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2
SUMMARY_COLUMNS = (
    "count", "expected_rejections", "unexpected_accepts", "ok_rate", "error_rate", "throughput_rps",
    "mean_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "retries", "retry_wait_s",
)
ERROR_COLUMNS = ("error_class", "status_code", "error_code", "count", "share", "example_message",
                 "example_correlation_id")
TEXT_WIDTH = 60  # a text column wider than this wraps (long words fold) onto the next lines; nothing is cut
# The fix hints name Python calls (they are shared with the notebooks); on the command line the same
# advice names the command that does it.
_CLI_EQUIVALENTS = (
    (re.compile(r"client\.get_schema\(action_id\)"), "genesys-nb actions show {id}"),
    (re.compile(r"client\.test\(action_id, inputs\)"), "genesys-nb execute {id} --input JSON --dry-run"),
    (re.compile(r"client\.list_actions\(\)"), "genesys-nb actions list"),
    (re.compile(r"raise timeout_ms"), "raise --timeout-ms"),
    (re.compile(r"if the action is idempotent"), "if the action is idempotent (--idempotent)"),
)
SUMMARY_NOTE = ("ok_rate: ok plus expected rejections (derived cases meant to be invalid, refused as they should "
                "be); error_rate: valid rows that failed; unexpected_accepts: rows meant to be invalid that "
                "were accepted. Latency of rows that reached the API; throughput over those rows only.")


def cli_hint(text: str, action_id: str | None = None) -> str:
    """A fix hint (or a message quoting one) with its Python calls replaced by the CLI commands."""
    for pattern, command in _CLI_EQUIVALENTS:
        text = pattern.sub(command.replace("{id}", action_id or "ID"), text)
    return text


def _console(file: TextIO, width: int) -> Any:
    from rich.console import Console

    return Console(file=file, width=width, color_system=None, highlight=False, markup=False, emoji=False,
                   soft_wrap=False, legacy_windows=False)


def text_table(
    frame: pd.DataFrame, *, index: bool = True, max_cell: int = TEXT_WIDTH, right: Sequence[str] = ()
) -> str:
    """Render a DataFrame as an aligned plain-text table: numbers and ``right`` columns right-aligned,
    text wider than ``max_cell`` wrapped over several lines (never cut)."""
    import io

    from rich import box
    from rich.table import Table

    from genesys_nb.report.tables import format_frame

    data = frame.reset_index() if index else frame
    numeric = {
        str(c): data[c].dtype.kind in "iufb" or str(data[c].dtype) in ("Int64", "Float64") or str(c) in right
        for c in data
    }
    shown = format_frame(data)
    headers = [str(c) for c in shown.columns]
    rows = [list(row) for row in shown.itertuples(index=False, name=None)]
    table = Table(box=box.Box("    \n    \n--  \n    \n    \n    \n    \n    \n"), show_edge=False,
                  pad_edge=False, padding=(0, 1, 0, 0), collapse_padding=True, header_style="", expand=False)
    natural = 0
    for position, header in enumerate(headers):
        longest = max([len(header), *(len(row[position]) for row in rows)])
        if numeric[header]:
            table.add_column(header, justify="right", no_wrap=True, min_width=longest)
            natural += longest + 2
        else:
            width = min(longest, max(max_cell, len(header)))
            table.add_column(header, justify="left", overflow="fold", max_width=width, min_width=min(width, 8))
            natural += width + 2
    for row in rows:
        table.add_row(*row)
    buffer = io.StringIO()
    _console(buffer, max(natural, 20)).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip("\n").splitlines())


def print_summary(
    report: LatencyReport,
    file: TextIO | None = None,
    *,
    by: Sequence[str] = ("action_name",),
) -> None:
    """Print the run header, the summary table per ``by`` group, the error table and how to fix each error."""
    from genesys_nb.report.html import header_rows
    from genesys_nb.report.tables import is_missing

    out = file if file is not None else sys.stdout
    for name, value in header_rows(report):
        if name != "Percentiles":
            print(f"{name + ':':<15}{value}", file=out)
    if len(report) == 0:
        print("\nno audit records to summarise", file=out)
        return
    summary = report.summary(list(by))
    accepted = int(summary["unexpected_accepts"].sum())
    # unexpected_accepts is shown when there is one to flag
    columns = [c for c in SUMMARY_COLUMNS if c != "unexpected_accepts" or accepted]
    print(f"\nLatency by {', '.join(by) or 'run'} (ms; throughput in rows/s)", file=out)
    print(text_table(summary[columns]), file=out)
    if len(summary) > 1:
        overall = report.summary(())
        print("\nOverall", file=out)
        print(text_table(overall[columns], index=False), file=out)
    print(textwrap.fill(SUMMARY_NOTE, 100), file=out)
    if accepted:
        print(f"WARNING: {accepted:,} row(s) meant to be invalid were accepted (see unexpected_accepts)", file=out)
    errors = report.errors()
    if len(errors):
        print(f"\nErrors ({int(errors['count'].sum()):,} of {len(report):,} rows)", file=out)
        shown = errors[list(ERROR_COLUMNS)].copy()
        shown["example_message"] = [None if is_missing(value) else cli_hint(str(value))
                                    for value in shown["example_message"]]
        print(text_table(shown, index=False), file=out)
        _print_fixes(report, out)
    else:
        print("\nErrors: none", file=out)


def _print_fixes(report: LatencyReport, out: TextIO) -> None:
    """One line per error class: what to do, with the command that does it."""
    from genesys_nb.api.errors import ERROR_CLASSES, fix_hint
    from genesys_nb.report.tables import is_missing

    table = report.errors(("error_class", "action_id", "status_code"))
    print("\nHow to fix", file=out)
    seen: set[str] = set()
    for error_class, action_id, status in zip(table["error_class"], table["action_id"], table["status_code"]):
        if is_missing(error_class) or str(error_class) not in ERROR_CLASSES or error_class in seen:
            continue
        seen.add(str(error_class))
        ids = {str(a) for a, c in zip(table["action_id"], table["error_class"]) if c == error_class}
        only = None if len(ids) != 1 or is_missing(action_id) else str(action_id)
        hint = fix_hint(str(error_class), action_id=only, status_code=None if is_missing(status) else int(status))
        print(f"  {error_class}: {cli_hint(hint, only)}", file=out)


def print_comparison(table: pd.DataFrame, file: TextIO | None = None) -> None:
    from genesys_nb.report.html import format_comparison

    out = file if file is not None else sys.stdout
    print("\nComparison (baseline = first audit, candidate = --compare)", file=out)
    columns = ("baseline", "candidate", "change", "change_pct")
    print(text_table(format_comparison(table), right=columns), file=out)
    regressions = int(table["regression"].sum())
    print(f"{regressions} regression(s) beyond the noise threshold" if regressions else "no regression", file=out)


PLATFORM_SHOWN = (
    "client_count", "client_p50_ms", "client_p95_ms", "client_p99_ms", "client_mean_ms",
    "platform_count", "platform_mean_ms", "platform_max_ms", "overhead_mean_ms", "overhead_share",
)


def print_platform(report: LatencyReport, platform: Any, file: TextIO | None = None) -> pd.DataFrame:
    """Print the client's latency beside the platform's own per action (see ``LatencyReport.compare_platform``)."""
    from genesys_nb.report._html_sections import (
        PLATFORM_NOTE,
        platform_display,
        platform_missing,
        platform_table,
    )

    out = file if file is not None else sys.stdout
    table = platform_table(report, platform)
    shown = platform_display(table).set_index("action_name")[list(PLATFORM_SHOWN)]
    print("\nClient vs platform latency (ms; platform = tTotalExecution)", file=out)
    print(text_table(shown, right=("overhead_share",)), file=out)
    print(textwrap.fill(PLATFORM_NOTE, 100), file=out)
    missing = platform_missing(table)
    if missing:
        print(f"no platform figures yet for {', '.join(missing)} (an org's analytics can lag a few minutes)",
              file=out)
    return table


def _platform(report: LatencyReport) -> pd.DataFrame | None:
    """The comparison from the session the CLI opens (the org in GENESYS_*, else the embedded emulator)."""
    from genesys_nb.cli.actions_cmd import guarded, open_session

    found: list[pd.DataFrame] = []

    def body() -> int:
        with open_session() as session:
            found.append(print_platform(report, session))
        return EXIT_OK

    return found[0] if guarded("report", body) == EXIT_OK and found else None


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
    parser.add_argument("--platform", action="store_true",
                        help="also put each action's latency beside the platform's own (its analytics, "
                        "tTotalExecution), asked of the org in GENESYS_* (needs analytics:actionAggregate:view)")
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
    platform = None
    if args.platform:
        platform = _platform(report)
        if platform is None:
            return EXIT_COULD_NOT_RUN
    checks = None
    if limits is not None:
        checks = report.check(**limits)
        print("\nThresholds", file=sys.stdout)
        print(checks, file=sys.stdout)
        if not checks.ok:
            exit_code = EXIT_FAILED
    if args.html:
        try:
            path = report.to_html(args.html, by=by, checks=checks, comparison=comparison, platform=platform)
        except OSError as err:
            print(f"genesys-nb report: cannot write {args.html}: {err}", file=sys.stderr)
            return EXIT_COULD_NOT_RUN
        print(f"\nHTML report written to {path}")
    return exit_code
