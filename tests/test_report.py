"""LatencyReport on audit files written here with known latencies (no runner, no network)."""
from __future__ import annotations

import base64
import io
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from matplotlib.figure import Figure

from genesys_nb.cli.report_cmd import print_summary
from genesys_nb.report.latency import LatencyReport, parse_thresholds
from genesys_nb.report.stats import grouped_percentiles

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def record(
    row: int,
    latency_ms: float,
    *,
    action: str = "Get user",
    offset_s: float | None = None,
    error_class: str | None = None,
    status_code: int | None = 200,
    error_code: str | None = None,
    attempts: int = 1,
    retry_wait_ms: float = 0.0,
    total_ms: float | None = None,
    params: Any = None,
    run_id: str = "run-a",
    **overrides: Any,
) -> dict[str, Any]:
    """One schema-1 audit record; start = T0 + offset_s (default: one row per second)."""
    ok = error_class is None
    start = T0 + timedelta(seconds=row if offset_s is None else offset_s)
    result = {
        "schema_version": 1,
        "timestamp": start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "run_id": run_id,
        "row_id": str(row),
        "action_id": f"custom_-_{action.lower().replace(' ', '-')}",
        "action_name": action,
        "action_version": 1,
        "success": ok,
        "status_code": status_code,
        "error_class": error_class,
        "error_code": error_code,
        "error_message": None if ok else f"{error_class} happened on row {row}",
        "latency_ms": float(latency_ms),
        "total_ms": latency_ms + retry_wait_ms if total_ms is None else total_ms,
        "attempts": attempts,
        "retry_wait_ms": retry_wait_ms,
        "timeout_ms": 30000,
        "correlation_id": f"corr-{row}",
        "params": {} if params is None else params,
        "output_keys": ["id"] if ok else [],
        "error_count": 0 if ok else 1,
        "webhook": "none",
        "expected_invalid": False,
        "output": {"id": str(row)} if ok else None,
    }
    result.update(overrides)
    return result


def write_audit(path: Path, records: list[dict[str, Any]], *, tail: bytes = b"") -> Path:
    path.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n" for r in records) + tail)
    return path


def known_latencies(n: int = 1000, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(5.0, 0.6, n)


@pytest.fixture()
def mixed_log(tmp_path: Path) -> Path:
    """Two actions, a priority parameter, some 429s with retries, one timeout without status."""
    latencies = known_latencies(300)
    records = []
    for row, latency in enumerate(latencies):
        action = "Get user" if row % 3 else "Lookup order"
        priority = ("low", "high")[row % 2]
        if row % 25 == 0:
            records.append(record(row, latency, action=action, params={"priority": priority},
                                  error_class="rate_limited", status_code=429, error_code="too.many.requests",
                                  attempts=3, retry_wait_ms=2000.0))
        else:
            records.append(record(row, latency, action=action, params={"priority": priority}))
    records.append(record(300, 30000.0, action="Get user", params={"priority": "low"},
                          error_class="timeout", status_code=None))
    return write_audit(tmp_path / "audit.ndjson", records)


# ---------------------------------------------------------------------------------------- percentiles


@pytest.mark.parametrize("method", ["linear", "nearest", "median_unbiased"])
def test_grouped_percentiles_match_numpy_per_group(method: str) -> None:
    rng = np.random.default_rng(11)
    values = rng.exponential(100.0, 5000)
    codes = rng.integers(0, 7, 5000)
    percentiles = (0.0, 50.0, 90.0, 95.0, 99.0, 100.0)
    got = grouped_percentiles(codes, values, 8, percentiles, method)  # group 7 has no rows
    for group in range(7):
        expected = np.percentile(values[codes == group], percentiles, method=method)
        np.testing.assert_allclose(got[group], expected, rtol=1e-12)
    assert np.isnan(got[7]).all()


def test_summary_percentiles_match_numpy_on_known_data(tmp_path: Path) -> None:
    latencies = known_latencies(1001)
    path = write_audit(tmp_path / "a.ndjson", [record(i, v) for i, v in enumerate(latencies)])
    row = LatencyReport.from_audit(path).summary().loc["Get user"]
    for column, pct in (("p50_ms", 50), ("p90_ms", 90), ("p95_ms", 95), ("p99_ms", 99)):
        assert row[column] == pytest.approx(np.percentile(latencies, pct), rel=1e-12)
    assert row["min_ms"] == pytest.approx(latencies.min())
    assert row["max_ms"] == pytest.approx(latencies.max())
    assert row["mean_ms"] == pytest.approx(latencies.mean())


def test_percentile_method_is_configurable_and_validated(tmp_path: Path) -> None:
    latencies = np.array([10.0, 20.0, 30.0, 40.0])
    path = write_audit(tmp_path / "a.ndjson", [record(i, v) for i, v in enumerate(latencies)])
    linear = LatencyReport.from_audit(path).summary(())
    nearest = LatencyReport.from_audit(path, percentile_method="lower").summary(())
    assert linear["p50_ms"].iloc[0] == 25.0
    assert nearest["p50_ms"].iloc[0] == np.percentile(latencies, 50, method="lower") == 20.0
    with pytest.raises(ValueError):
        LatencyReport.from_audit(path, percentile_method="no-such-method")


# ---------------------------------------------------------------------------------------- summary


def test_summary_counts_rates_retries_and_throughput(mixed_log: Path) -> None:
    summary = LatencyReport.from_audit(mixed_log).summary(())
    row = summary.iloc[0]
    assert row["count"] == 301
    failures = 12 + 1  # rows 0, 25, ..., 275 are 429s; one timeout
    assert row["errors"] == failures
    assert row["error_rate"] == pytest.approx(failures / 301)
    assert row["ok_rate"] == pytest.approx(1 - failures / 301)
    assert row["retries"] == 12 * 2
    assert row["retry_wait_s"] == pytest.approx(12 * 2.0)
    # wall time: first start (T0) to the last finish (row 300 starts at +300 s and takes 30 s)
    assert row["span_s"] == pytest.approx(330.0)
    assert row["throughput_rps"] == pytest.approx(301 / 330.0)


def test_summary_groups_by_action_and_by_matrix_parameter(mixed_log: Path) -> None:
    report = LatencyReport.from_audit(mixed_log)
    by_action = report.summary()
    assert list(by_action.index) == ["Get user", "Lookup order"]
    assert by_action["count"].sum() == 301
    by_priority = report.summary(by="params.priority")
    assert dict(by_priority["count"]) == {"high": 150, "low": 151}
    both = report.summary(by=("action_name", "params.priority"))
    assert both.index.names == ["action_name", "params.priority"]
    assert both.loc[("Lookup order", "high"), "count"] == 50
    records = [orjson.loads(line) for line in mixed_log.read_bytes().splitlines()]
    expected = [r["latency_ms"] for r in records if r["action_name"] == "Get user"
                and r["params"]["priority"] == "low"]
    assert both.loc[("Get user", "low"), "p95_ms"] == pytest.approx(np.percentile(expected, 95))


def test_unknown_group_column_lists_available_columns(mixed_log: Path) -> None:
    report = LatencyReport.from_audit(mixed_log)
    with pytest.raises(ValueError, match=r"unknown column\(s\) nope.*available: .*action_name"):
        report.summary(by="nope")
    with pytest.raises(ValueError, match=r"params\.missing.*params\.priority"):
        report.summary(by="params.missing")


def test_rows_stopped_by_validation_count_but_have_no_latency(tmp_path: Path) -> None:
    records = [record(i, 100.0 + i) for i in range(4)]
    records.append(record(4, 0.0, error_class="validation", status_code=None, attempts=0))
    row = LatencyReport.from_audit(write_audit(tmp_path / "a.ndjson", records)).summary(()).iloc[0]
    assert row["count"] == 5
    assert row["error_rate"] == pytest.approx(0.2)
    assert row["min_ms"] == 100.0
    assert row["retries"] == 0


def test_from_dataframe_and_filters_by_run_and_time(tmp_path: Path) -> None:
    records = [record(i, 10.0 * (i + 1), run_id="run-a" if i < 6 else "run-b") for i in range(10)]
    path = write_audit(tmp_path / "a.ndjson", records)
    assert len(LatencyReport.from_audit(path, run_id="run-b")) == 4
    assert len(LatencyReport.from_audit(path, since=T0 + timedelta(seconds=7))) == 3
    assert len(LatencyReport.from_audit(path, since="2026-03-01T12:00:08Z")) == 2
    from genesys_nb.audit.writer import read_audit

    from_frame = LatencyReport.from_audit(read_audit(path), run_id="run-a").summary(())
    from_file = LatencyReport.from_audit(path, run_id="run-a").summary(())
    pd.testing.assert_frame_equal(from_frame, from_file)


def test_folder_and_list_of_files_are_read_together(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    write_audit(folder / "one.ndjson", [record(i, 5.0, action="A") for i in range(3)])
    write_audit(folder / "two.jsonl", [record(i, 7.0, action="B") for i in range(2)])
    (folder / "notes.txt").write_text("not an audit log")
    assert dict(LatencyReport.from_audit(folder).summary()["count"]) == {"A": 3, "B": 2}
    both = LatencyReport.from_audit([folder / "one.ndjson", folder / "two.jsonl"])
    assert both.sources == [str(folder / "one.ndjson"), str(folder / "two.jsonl")]
    with pytest.raises(FileNotFoundError, match="missing.ndjson"):
        LatencyReport.from_audit(tmp_path / "missing.ndjson")


# ---------------------------------------------------------------------------------------- damaged and odd logs


def test_torn_last_line_is_skipped_and_reported(tmp_path: Path) -> None:
    path = write_audit(tmp_path / "a.ndjson", [record(i, 50.0) for i in range(5)],
                       tail=b'{"schema_version": 1, "timestamp": "2026-03-01T12:0')
    report = LatencyReport.from_audit(path)
    assert len(report) == 5
    assert len(report.skipped_lines) == 1
    assert report.skipped_lines[0].torn_last_line
    assert report.skipped_lines[0].line == 6
    assert report.info()["skipped_lines"] == 1


def test_complete_last_record_without_newline_is_kept(tmp_path: Path) -> None:
    path = write_audit(tmp_path / "a.ndjson", [record(i, 50.0) for i in range(3)],
                       tail=orjson.dumps(record(3, 60.0)))
    report = LatencyReport.from_audit(path)
    assert len(report) == 4
    assert report.skipped_lines == []


def test_torn_fragment_mid_file_falls_back_and_keeps_every_good_row(tmp_path: Path) -> None:
    # a crash tore a line; the writer then closed it with a newline and appended more records
    before = b"".join(orjson.dumps(record(i, 10.0)) + b"\n" for i in range(3))
    after = b"".join(orjson.dumps(record(i, 30.0)) + b"\n" for i in range(3, 6))
    path = tmp_path / "a.ndjson"
    path.write_bytes(before + b'{"schema_version": 1, "timest\n' + after)
    report = LatencyReport.from_audit(path)
    assert len(report) == 6
    assert [s.line for s in report.skipped_lines] == [4]
    assert not report.skipped_lines[0].torn_last_line
    assert report.summary(())["p50_ms"].iloc[0] == 20.0


def test_mixed_schema_versions(tmp_path: Path) -> None:
    old = {"timestamp": "2026-03-01T12:00:00Z", "run_id": "r", "action_name": "Old", "latency_ms": 40.0,
           "error_class": None}
    old_failed = {"timestamp": "2026-03-01T12:00:01Z", "run_id": "r", "action_name": "Old",
                  "latency_ms": 60.0, "error_class": "server", "status_code": 503}
    newer = record(2, 80.0, action="New", schema_version=2, new_field={"nested": [1, 2]}, extra="x")
    path = write_audit(tmp_path / "a.ndjson", [old, old_failed, newer])
    report = LatencyReport.from_audit(path)
    summary = report.summary()
    assert summary.loc["Old", "count"] == 2
    assert summary.loc["Old", "error_rate"] == 0.5  # success derived from error_class
    assert summary.loc["Old", "p50_ms"] == 50.0
    assert summary.loc["Old", "retries"] == 0  # attempts defaults to 1
    assert summary.loc["New", "max_ms"] == 80.0
    assert report.errors()["error_class"].tolist() == ["server"]


def test_value_of_an_unexpected_type_does_not_break_the_report(tmp_path: Path) -> None:
    records = [record(i, 10.0) for i in range(3)] + [record(3, 20.0, status_code="200", attempts="x")]
    report = LatencyReport.from_audit(write_audit(tmp_path / "a.ndjson", records))
    assert report.summary(())["count"].iloc[0] == 4


def test_empty_log_gives_empty_tables_failed_checks_and_placeholder_plots(tmp_path: Path) -> None:
    path = tmp_path / "empty.ndjson"
    path.write_bytes(b"")
    report = LatencyReport.from_audit(path)
    assert len(report) == 0
    assert report.summary().empty and "p95_ms" in report.summary().columns
    assert report.summary(()).empty
    assert report.errors().empty and "count" in report.errors().columns
    assert report.timeline().empty
    result = report.check(p95_ms=100, error_rate=0.1)
    assert not result.ok and [c.note for c in result.checks] == ["no rows", "no rows"]
    for figure in (report.plot_histogram(), report.plot_cdf(), report.plot_percentiles(),
                   report.plot_timeline(), report.plot_errors()):
        assert isinstance(figure, Figure)
    html = report.to_html(tmp_path / "empty.html").read_text()
    assert "no records" in html
    out = io.StringIO()
    print_summary(report, file=out)
    assert "no audit records" in out.getvalue()


def test_single_row_log(tmp_path: Path) -> None:
    path = write_audit(tmp_path / "one.ndjson", [record(0, 123.0, total_ms=250.0)])
    report = LatencyReport.from_audit(path)
    row = report.summary().loc["Get user"]
    assert row[["min_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"]].tolist() == [123.0] * 6
    assert row["throughput_rps"] == pytest.approx(4.0)  # one row in 0.25 s
    assert len(report.timeline()) == 1
    assert report.check(p95_ms=200).ok
    assert report.info()["peak_in_flight"] == 1
    report.to_html(tmp_path / "one.html")


# ---------------------------------------------------------------------------------------- errors and timeline


def test_errors_table_counts_shares_and_examples(mixed_log: Path) -> None:
    errors = LatencyReport.from_audit(mixed_log).errors()
    assert errors["error_class"].tolist() == ["rate_limited", "timeout"]
    assert errors["count"].tolist() == [12, 1]
    assert errors["share"].tolist() == pytest.approx([12 / 13, 1 / 13])
    assert errors["rate"].tolist() == pytest.approx([12 / 301, 1 / 301])
    first = errors.iloc[0]
    assert first["status_code"] == 429 and first["error_code"] == "too.many.requests"
    assert first["example_message"] == "rate_limited happened on row 0"
    assert first["example_correlation_id"] == "corr-0"
    assert pd.isna(errors.iloc[1]["status_code"])
    by_action = LatencyReport.from_audit(mixed_log).errors(by="action_name")
    assert by_action["count"].sum() == 13


def test_timeline_buckets_by_finish_time_with_rolling_p95(tmp_path: Path) -> None:
    records = []
    for second in range(4):
        for k in range(5):
            error = "rate_limited" if (second == 2 and k < 3) else None
            records.append(record(second * 5 + k, 10.0 * (k + 1), offset_s=second + 0.1 * k, total_ms=10.0,
                                  error_class=error, status_code=429 if error else 200))
    report = LatencyReport.from_audit(write_audit(tmp_path / "a.ndjson", records))
    table = report.timeline("1s", window="2s")
    assert table["rows"].tolist() == [5, 5, 5, 5]
    assert table["rows_per_s"].tolist() == [5.0] * 4
    assert table["errors"].tolist() == [0, 0, 3, 0]
    assert table["rate_limited"].tolist() == [0, 0, 3, 0]
    assert table["p95_ms"].iloc[0] == pytest.approx(np.percentile([10, 20, 30, 40, 50], 95))
    assert table["rolling_p95_ms"].iloc[1] == pytest.approx(np.percentile([10, 20, 30, 40, 50] * 2, 95))
    assert str(table.index.tz) == "UTC"
    assert len(report.timeline("500ms")) == 7  # 12:00:00.0 to 12:00:03.0; the half-second buckets are empty
    assert report.timeline("500ms")["rows"].tolist() == [5, 0, 5, 0, 5, 0, 5]
    with pytest.raises(ValueError, match="freq"):
        report.timeline("1M")


# ---------------------------------------------------------------------------------------- compare and check


def _report(path: Path, latencies: np.ndarray, *, failures: int = 0, action: str = "Get user") -> LatencyReport:
    records = [record(i, float(v), action=action) for i, v in enumerate(latencies)]
    for i in range(failures):
        records[i] = record(i, float(latencies[i]), action=action, error_class="server", status_code=503)
    return LatencyReport.from_audit(write_audit(path, records))


def test_compare_flags_latency_regressions_beyond_noise(tmp_path: Path) -> None:
    latencies = known_latencies(400)
    baseline = _report(tmp_path / "base.ndjson", latencies)
    same = baseline.compare(_report(tmp_path / "same.ndjson", latencies * 1.05))
    assert not same["regression"].any()
    assert same.loc["p95_ms", "verdict"] == "within noise"
    slower = baseline.compare(_report(tmp_path / "slow.ndjson", latencies * 1.5))
    assert slower.loc["p95_ms", "verdict"] == "regression"
    assert slower.loc["p95_ms", "change_pct"] == pytest.approx(50.0)
    assert slower.loc["p95_ms", "candidate"] == pytest.approx(np.percentile(latencies * 1.5, 95))
    assert slower.loc["throughput_rps", "verdict"] == "within noise"  # same start times
    assert slower.loc["max_ms", "verdict"] == "info"
    faster = baseline.compare(_report(tmp_path / "fast.ndjson", latencies * 0.5))
    assert faster.loc["p50_ms", "verdict"] == "improvement"
    assert not faster["regression"].any()
    strict = baseline.compare(_report(tmp_path / "same2.ndjson", latencies * 1.05), noise_pct=2.0)
    assert strict.loc["p95_ms", "verdict"] == "regression"


def test_compare_flags_error_rate_regression_and_compares_groups(tmp_path: Path) -> None:
    latencies = known_latencies(200)
    baseline = _report(tmp_path / "base.ndjson", latencies, failures=2)
    worse = baseline.compare(_report(tmp_path / "worse.ndjson", latencies, failures=20))
    assert worse.loc["error_rate", "verdict"] == "regression"
    assert worse.loc["error_rate", "change"] == pytest.approx(0.09)
    records = [record(i, 100.0, action="Fast") for i in range(50)]
    records += [record(50 + i, 300.0, action="Slow") for i in range(50)]
    report = LatencyReport.from_audit(write_audit(tmp_path / "groups.ndjson", records))
    groups = report.compare_groups("action_name", "Fast", "Slow")
    assert groups.loc["p50_ms", "baseline"] == 100.0 and groups.loc["p50_ms", "candidate"] == 300.0
    assert groups.loc["p50_ms", "regression"]
    per_action = report.compare(report, by="action_name")
    assert per_action.index.names == ["group", "metric"]
    assert not per_action["regression"].any()


def test_check_thresholds_pass_and_fail(mixed_log: Path) -> None:
    report = LatencyReport.from_audit(mixed_log)
    overall = report.summary(()).iloc[0]
    result = report.check(p95_ms=overall["p95_ms"] + 1, error_rate=0.01, throughput_rps=0.5)
    assert not result.ok and not bool(result)
    assert [c.metric for c in result.failed] == ["error_rate"]
    assert {c.metric for c in result.passed} == {"p95_ms", "throughput_rps"}
    assert "FAIL  error_rate" in str(result)
    assert report.check(p99_ms=10**9, error_rate=0.5, max_ms=10**9).ok
    assert not report.check(throughput_rps=1000).ok
    assert list(result.to_frame().columns) == ["metric", "fails_if", "actual", "passed", "note"]


def test_parse_thresholds() -> None:
    assert parse_thresholds("p95>800,error_rate>0.02") == {"p95_ms": 800.0, "error_rate": 0.02}
    assert parse_thresholds(" p(99) > 1.5s , errors>2% ,throughput<10, mean_ms>90ms") == {
        "p99_ms": 1500.0, "error_rate": 0.02, "throughput_rps": 10.0, "mean_ms": 90.0}
    with pytest.raises(ValueError, match="'p96>3'.*unknown metric"):
        parse_thresholds("p95>1,p96>3")
    with pytest.raises(ValueError, match="'p95<800'.*write p95>800"):
        parse_thresholds("p95<800")
    with pytest.raises(ValueError, match="'p95=abc'"):
        parse_thresholds("p95=abc")
    with pytest.raises(ValueError, match="unit '%'"):
        parse_thresholds("p95>5%")
    with pytest.raises(ValueError, match="no threshold"):
        parse_thresholds(" , ")


# ---------------------------------------------------------------------------------------- plots, HTML, parquet


def test_plots_are_titled_figures_with_labelled_axes(mixed_log: Path, tmp_path: Path) -> None:
    report = LatencyReport.from_audit(mixed_log)
    figures = [report.plot_histogram(), report.plot_histogram(log=True), report.plot_cdf(by="action_name"),
               report.plot_percentiles(by="params.priority"), report.plot_timeline(), report.plot_errors()]
    for figure in figures:
        assert isinstance(figure, Figure)
        assert figure.get_suptitle()
        for axes in figure.axes:
            assert axes.get_ylabel()
        assert any("(ms)" in a.get_xlabel() or "(ms)" in a.get_ylabel() or "executions" in a.get_xlabel()
                   for a in figure.axes)
    assert figures[1].axes[0].get_xscale() == "log"
    figures[0].savefig(tmp_path / "hist.png")
    assert (tmp_path / "hist.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tables = 0
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs)["src"] or "")
        self.tables += tag == "table"
        self.scripts += tag == "script"


def test_html_report_is_self_contained_with_tables_and_images(tmp_path: Path) -> None:
    records = [record(i, 100.0 + i, action="<script>alert(1)</script>") for i in range(20)]
    records.append(record(20, 50.0, error_class="server", status_code=503))
    report = LatencyReport.from_audit(write_audit(tmp_path / "a.ndjson", records))
    path = report.to_html(tmp_path / "out" / "report.html", checks=report.check(p95_ms=1))
    text = path.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    assert parser.tables >= 4  # header, summary, overall, errors
    assert parser.scripts == 0 and "&lt;script&gt;" in text
    assert len(parser.images) == 5
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:4] == b"\x89PNG"
    for needle in ("p95_ms", "Time span", "Concurrency", "Source files", str(tmp_path / "a.ndjson"),
                   "server", "FAIL"):
        assert needle in text
    assert "http://" not in text and "https://" not in text


def test_notebook_repr_shows_header_and_tables(mixed_log: Path) -> None:
    report = LatencyReport.from_audit(mixed_log)
    html = report._repr_html_()
    assert "<table" in html and "Lookup order" in html and "rate_limited" in html
    assert "rows=301" in repr(report)


def test_parquet_round_trip_keeps_params(mixed_log: Path, tmp_path: Path) -> None:
    report = LatencyReport.from_audit(mixed_log)
    path = report.to_parquet(tmp_path / "history" / "run.parquet")
    again = LatencyReport.from_audit(path)
    pd.testing.assert_frame_equal(report.summary(), again.summary())
    pd.testing.assert_frame_equal(report.summary(by="params.priority"), again.summary(by="params.priority"))


def test_filter_keeps_parameter_columns_reachable(mixed_log: Path) -> None:
    report = LatencyReport.from_audit(mixed_log)
    lookups = report.filter("action_name", "Lookup order")
    assert len(lookups) == 100
    assert lookups.summary(by="params.priority")["count"].sum() == 100
    assert len(report.filter("params.priority", ["low", "high"])) == 301


def test_hand_made_dataframe_with_missing_values() -> None:
    frame = pd.DataFrame({
        "timestamp": ["2026-03-01T12:00:00Z", "2026-03-01T12:00:01Z", "2026-03-01T12:00:02Z"],
        "latency_ms": [10.0, 20.0, 30.0],
        "success": pd.array([True, None, False], dtype="boolean"),
        "error_class": [None, "server", None],
        "params.region": pd.Series(["eu", 3, None], dtype=object),
    })
    report = LatencyReport.from_audit(frame)
    overall = report.summary(()).iloc[0]
    assert (overall["count"], overall["ok"], overall["errors"]) == (3, 1, 2)
    assert report.summary(by="params.region")["count"].sum() == 3


# ------------------------------------------------------------------ honest counts and readable tables


def _cases_log(tmp_path: Path) -> Path:
    """4 valid rows (one fails with a 500), 5 derived invalid ones refused with a 400, 1 invalid one accepted,
    1 valid row stopped locally (never sent)."""
    records = [record(i, 50.0 + i) for i in range(3)]
    records.append(record(3, 80.0, error_class="server", status_code=500))
    for i in range(4, 9):
        records.append(record(i, 20.0, error_class="bad_request", status_code=400, expected_invalid=True))
    records.append(record(9, 30.0, expected_invalid=True))
    records.append(record(10, 0.0, offset_s=100.0, error_class="validation", status_code=None, attempts=0,
                          total_ms=0.2))
    return write_audit(tmp_path / "cases.ndjson", records)


def test_expected_rejections_pass_and_an_accepted_invalid_row_is_flagged(tmp_path: Path) -> None:
    report = LatencyReport.from_audit(_cases_log(tmp_path))
    row = report.summary(()).iloc[0]
    assert (row["count"], row["ok"], row["expected_rejections"], row["unexpected_accepts"], row["errors"]) == (
        11, 3, 5, 1, 2)
    assert row["ok_rate"] == pytest.approx(8 / 11) and row["error_rate"] == pytest.approx(2 / 11)
    errors = report.errors()
    assert set(errors["error_class"]) == {"server", "validation"}  # a refused invalid case is no error
    assert report.check(error_rate=0.2).ok
    frame = pd.DataFrame([record(0, 10.0), record(1, 12.0, error_class="server", status_code=500)])
    assert LatencyReport.from_audit(frame).summary(())["expected_rejections"].iloc[0] == 0  # no column: False


def test_throughput_leaves_out_rows_that_never_left_the_machine(tmp_path: Path) -> None:
    report = LatencyReport.from_audit(_cases_log(tmp_path))
    row = report.summary(()).iloc[0]
    # ten sent rows, one per second from T0 (the last finishing 30 ms after its start at 9 s)
    assert row["throughput_rps"] == pytest.approx(10 / 9.03)
    assert row["span_s"] > 100  # the span of the whole log still covers the local row


def test_grouping_by_error_class_names_the_successful_group_ok(tmp_path: Path) -> None:
    summary = LatencyReport.from_audit(_cases_log(tmp_path)).summary("error_class")
    assert list(summary.index) == ["bad_request", "ok", "server", "validation"]
    assert not summary.index.isna().any()


def test_tables_format_by_kind_with_one_missing_marker() -> None:
    from genesys_nb.report.tables import MISSING, format_frame, table_html

    frame = pd.DataFrame({
        "count": [40, 3], "ok_rate": [38 / 40, 1 / 3], "p95_ms": [1234.567, 0.346], "status_code": [200, None],
        "error_class": [None, "server"], "note": [np.nan, pd.NA],
    }).astype({"status_code": "Int64"})
    shown = format_frame(frame)
    assert list(shown["count"]) == ["40", "3"]
    assert list(shown["ok_rate"]) == ["95%", "33.33%"]
    assert list(shown["p95_ms"]) == ["1,234.6", "0.35"]
    assert list(shown["status_code"]) == ["200", MISSING]
    assert shown["error_class"].iloc[0] == MISSING and list(shown["note"]) == [MISSING, MISSING]
    text = table_html(frame)
    assert "NaN" not in text and "&lt;NA&gt;" not in text and "<NA>" not in text and "None" not in text
    assert "95%" in text and "0.9<" not in text


def test_nested_values_fold_and_long_text_keeps_a_tooltip() -> None:
    from genesys_nb.report.tables import table_html

    message = "Field 'customer.address.postalCode' is too long: " + "x" * 200
    frame = pd.DataFrame({"output.orders": [[{"orderId": "O-1", "total": {"amount": 245.36}}]],
                          "error_message": [message], "latency_ms": [50.0], "total_ms": [260.0]})
    text = table_html(frame, index=False)
    assert "<details" in text and "<summary>" in text and "&quot;orderId&quot;: &quot;O-1&quot;" in text
    assert f'title="{message}' in text.replace("&#x27;", "'")
    assert "last attempt" in text and "retries" in text  # latency_ms and total_ms explained


def test_html_report_counts_expected_rejections_as_passed(tmp_path: Path) -> None:
    path = LatencyReport.from_audit(_cases_log(tmp_path)).to_html(tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "expected_rejections" in text and "unexpected_accepts" in text
    assert "Accepted although meant to be invalid" in text
    assert "72.73%" in text  # ok_rate 8 of 11
    tables = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    assert "NaN" not in tables and "<NA>" not in tables


def test_plots_render_as_png_in_notebook_outputs(mixed_log: Path) -> None:
    report = LatencyReport.from_audit(mixed_log)
    for figure in (report.plot_histogram(), report.plot_cdf(), report.plot_percentiles(), report.plot_timeline(),
                   report.plot_errors()):
        png = figure._repr_png_()
        assert png.startswith(b"\x89PNG")


def test_the_html_report_and_the_widget_draw_the_same_timeline_buckets() -> None:
    from genesys_nb.report.stats import timeline_bucket

    # a steady 5 rows/s for 40 s: 1 s buckets, never 100 ms ones that jump between 0, 10 and 20 rows/s
    assert timeline_bucket(40) == "1s" and timeline_bucket(0.5) == "1s"
    assert timeline_bucket(600) == "5s" and timeline_bucket(121 * 3600) == "1D"


def test_a_steady_pace_draws_steady_bars_with_the_bucket_stated(tmp_path: Path) -> None:
    rows = [record(i, 50.0, offset_s=i * 0.2) for i in range(200)]  # 5 rows/s for 40 s
    report = LatencyReport.from_audit(write_audit(tmp_path / "audit.ndjson", rows))
    page = report.to_html(tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Throughput and latency over time (1 s buckets)" in page
    figure = report.plot_timeline()
    assert "per 1 s bucket" in figure.axes[0].get_title() or "per 1 s bucket" in figure.get_suptitle()
    heights = [patch.get_height() for patch in figure.axes[0].patches if patch.get_height() > 0]
    assert max(heights[1:-1]) == min(heights[1:-1]) == 5.0  # inner buckets: 5 rows/s, not 0/10/20


def test_tables_take_the_theme_colours_and_put_the_key_columns_first(tmp_path: Path) -> None:
    from genesys_nb.report.tables import key_columns_first, table_html

    report = _report(tmp_path / "audit.ndjson", known_latencies(50))
    summary = key_columns_first(report.summary())
    assert list(summary.columns[:6]) == ["count", "ok_rate", "error_rate", "p50_ms", "p95_ms", "p99_ms"]
    assert sorted(summary.columns) == sorted(report.summary().columns)  # nothing dropped, only moved
    page = table_html(summary)
    assert "background: var(--jp-layout-color2, #f4f4f4)" in page  # the theme's, not a fixed light grey
    flat = " ".join(page.split())
    assert "tbody tr > :first-child { position: sticky; left: 0;" in flat  # the group column stays
    assert "thead th { position: sticky; top: 0;" in flat  # and the header
    assert "background: #f4f4f4" not in page and "color: #555;" not in page


def test_a_grouped_histogram_draws_one_shape_per_group(tmp_path: Path) -> None:
    from genesys_nb.report.plots import plot_histogram

    rows = [record(i, 20.0 + i % 5, action="Fast") for i in range(30)]
    rows += [record(30 + i, 400.0 + i % 7, action="Slow") for i in range(10)]
    report = LatencyReport.from_audit(write_audit(tmp_path / "audit.ndjson", rows))
    figure = plot_histogram(report, by=("action_name",))
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert [label.split(" (")[0] for label in labels] == ["Fast", "Slow"], labels
    assert "n=30" in labels[0] and "p95" in labels[1]


# ---------------------------------------------------------------------------------------- summary in DuckDB


def _odd_log(tmp_path: Path) -> Path:
    """Every default the normaliser applies: no action name, success missing, no attempts, no total, an
    unsent row, derived-invalid rows refused and accepted, an unknown outcome, queue time, intents and
    webhook states between the rows, two runs."""
    latencies = known_latencies(400, seed=8)
    records: list[dict[str, Any]] = []
    for row, latency in enumerate(latencies):
        run = ("run-a", "run-b")[row % 2]
        records.append({"schema_version": 1, "kind": "sending", "timestamp": "2026-03-01T12:00:00.000000Z",
                        "run_id": run, "row_id": str(row), "attempt": 1})
        if row % 17 == 0:
            item = record(row, latency, run_id=run, error_class="bad_request", status_code=400,
                          error_code="bad", expected_invalid=True)
        elif row % 19 == 0:
            item = record(row, latency, run_id=run, expected_invalid=True)
        elif row % 23 == 0:
            item = record(row, latency, run_id=run, error_class="unknown", status_code=None, success=None)
        elif row % 29 == 0:
            item = record(row, latency, run_id=run, error_class="rate_limited", status_code=429, attempts=3,
                          retry_wait_ms=1500.0)
        else:
            item = record(row, latency, action=("Get user", "Lookup order")[row % 3 == 0], run_id=run,
                          params={"priority": ("low", "high")[row % 2]})
        if row % 7 == 0:
            del item["action_name"]
        if row % 11 == 0:
            del item["success"]
        if row % 13 == 0:
            del item["attempts"], item["total_ms"]
        if row % 31 == 0:
            item.update(attempts=0, latency_ms=None, total_ms=None)
        if row % 5:
            item["queue_ms"] = float(row % 40)
        records.append(item)
        records.append({"schema_version": 1, "kind": "webhook", "timestamp": item["timestamp"], "run_id": run,
                        "row_id": str(row), "webhook": "delivered"})
    return write_audit(tmp_path / "odd.ndjson", records)


@pytest.mark.parametrize("by", [("action_name",), (), ("error_class",), ("status_code",), ("run_id", "error_class"),
                                ("error_code", "action_id")])
@pytest.mark.parametrize("options", [{}, {"run_id": "run-b"}, {"since": "2026-03-01T12:03:00Z"}])
def test_summary_from_files_is_computed_in_duckdb_with_the_frame_figures(
        tmp_path: Path, by: tuple[str, ...], options: dict[str, Any]) -> None:
    path = _odd_log(tmp_path)
    report = LatencyReport.from_audit(path, **options)
    fast = report.summary(by)
    assert report._loaded is None  # answered without reading any row into pandas
    rows = LatencyReport.from_audit(path, **options)
    rows._sql_source = None  # the per-row path, as for params.* groupings
    slow = rows.summary(by)
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12, check_index_type=False,
                                  check_categorical=False)
    assert len(fast) and fast["count"].sum() == len(rows)


def test_summary_by_a_parameter_or_another_method_reads_the_rows(tmp_path: Path) -> None:
    path = _odd_log(tmp_path)
    report = LatencyReport.from_audit(path, percentile_method="nearest")
    report.summary()
    assert report._loaded is not None
    by_param = LatencyReport.from_audit(path)
    table = by_param.summary("params.priority")
    assert table.index.name == "params.priority" and set(table.index.dropna()) == {"low", "high"}


def test_summary_of_an_empty_log_or_one_without_rows(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert len(LatencyReport.from_audit(tmp_path / "empty").summary()) == 0
    intents = write_audit(tmp_path / "intents.ndjson", [{"schema_version": 1, "kind": "sending", "run_id": "r",
                                                         "row_id": "0", "timestamp": "2026-03-01T12:00:00Z"}])
    table = LatencyReport.from_audit(intents).summary(())
    assert len(table) == 0 and list(table.columns)[:2] == ["count", "ok"]


def test_a_bad_line_mid_file_falls_back_to_the_rows_and_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    good = [orjson.dumps(record(i, 10.0 + i)) for i in range(4)]
    path.write_bytes(b"\n".join([*good[:2], b'{"schema_version": 1, "timestamp": "2026-03-01T12:0', *good[2:]]) + b"\n")
    report = LatencyReport.from_audit(path)
    table = report.summary()
    assert int(table["count"].iloc[0]) == 4 and table["p50_ms"].iloc[0] == pytest.approx(11.5)
    assert [line.line for line in report.skipped_lines] == [3]
