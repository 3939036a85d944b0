"""The report's optional sections against the emulator over loopback: the client beside the platform,
and a pre-publish regression's rows, in the HTML file, the report view and `genesys-nb report --platform`."""
from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from genesys_nb.cli import main
from genesys_nb.report.latency import LatencyReport
from genesys_nb.run.matrix import ParameterMatrix
from genesys_nb.run.regress import DraftRegression
from genesys_nb.run.runner import MatrixRunner
from genesys_nb.run.session import Session

PHONES = [f"+1317555{n:04d}" for n in range(101, 107)]
PLATFORM_HEADING = "<h2>Client vs platform latency</h2>"
REGRESSION_HEADING = "<h2>Pre-publish regression</h2>"


@pytest.fixture()
def session(emulator_server: Any) -> Any:
    emulator_server.emulator.set_limits(rate_per_minute=100_000)
    with Session(emulator_server.settings()) as opened:
        yield opened


@pytest.fixture()
def lookup(emulator_server: Any) -> Any:
    return emulator_server.emulator.action_named("Get Customer By Phone")


@pytest.fixture()
def report(session: Any, lookup: Any, tmp_path: Path) -> LatencyReport:
    """Six lookups through the runner: the platform's analytics count the same six executions."""
    audit = tmp_path / "audit.ndjson"
    MatrixRunner(session, concurrency=3, audit=audit, progress=False).run(
        lookup.id, ParameterMatrix.product(phoneNumber=PHONES))
    return LatencyReport.from_audit(audit)


def _regression(session: Any, lookup: Any) -> pd.DataFrame:
    """A draft whose translation map reads the tier from the wrong path: every found customer differs."""
    draft = session.client.create_draft(lookup.id)
    config = copy.deepcopy(draft.config)
    config["response"]["translationMap"]["tier"] = "$.loyalty.level"
    session.client.update_draft(lookup.id, version=draft.version, config=config)
    matrix = ParameterMatrix.product(phoneNumber=PHONES[:3]) + ParameterMatrix.from_schema(
        session.client.get_action(lookup.id))
    return DraftRegression(session, lookup.id, rate_per_minute=None).run(matrix)


def _section(text: str, heading: str) -> str:
    """From ``heading`` to the next section heading."""
    start = text.index(heading)
    following = text.find("<h2>", start + len(heading))
    return text[start: following if following >= 0 else len(text)]


def _headings(text: str) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", text)


# ------------------------------------------------------------------ the HTML file
def test_html_puts_the_client_beside_the_platform(report: LatencyReport, session: Any, lookup: Any,
                                                  tmp_path: Path) -> None:
    table = report.compare_platform(session)
    assert table.loc[lookup.id, "platform_count"] == len(PHONES)  # the platform saw the run
    for platform in (session, session.client, session.client.action_aggregates(
            ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"), action_ids=[lookup.id])):
        text = report.to_html(tmp_path / "report.html", platform=platform).read_text(encoding="utf-8")
        assert _headings(text) == ["Summary by action_name", "Overall", "Errors", "Client vs platform latency",
                                   "Plots"]
        section = _section(text, PLATFORM_HEADING)
        assert lookup.id in section and "Get Customer By Phone" in section
        assert "overhead_mean_ms" in section and "tTotalExecution" in section
        share = table.loc[lookup.id, "overhead_share"]
        assert f">{share * 100:.1f}%<" in section  # the overhead's share, as a percentage
        assert "No platform figures" not in section
        assert REGRESSION_HEADING not in text


def test_an_action_the_platform_has_not_seen_is_named(report: LatencyReport, session: Any, tmp_path: Path) -> None:
    nothing = session.client.action_aggregates(("2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z"),
                                               group_by=("actionId",))
    text = report.to_html(tmp_path / "report.html", platform=nothing).read_text(encoding="utf-8")
    assert "No platform figures for Get Customer By Phone" in _section(text, PLATFORM_HEADING)


def test_html_lists_the_rows_a_draft_changes(report: LatencyReport, session: Any, lookup: Any,
                                             tmp_path: Path) -> None:
    frame = _regression(session, lookup)
    differing = frame.loc[frame["verdict"] == "differs", "row_id"].tolist()
    equal = frame.loc[frame["verdict"] == "equal", "row_id"].tolist()
    assert len(differing) == 3 and equal  # the contract's rejections are the same on both sides

    text = report.to_html(tmp_path / "report.html", regression=frame).read_text(encoding="utf-8")
    assert _headings(text) == ["Summary by action_name", "Overall", "Errors", "Pre-publish regression", "Plots"]
    section = _section(text, REGRESSION_HEADING)
    assert f"3 of {len(frame)} row(s) behave differently" in section
    counts = re.search(r">differs</td>\s*<td[^>]*>(\d+)<", section)
    assert counts is not None and counts.group(1) == "3"
    assert all(row_id in section for row_id in differing)
    assert not any(row_id in section for row_id in equal)  # only the rows that changed are listed
    assert section.count("$.tier") == 3
    assert PLATFORM_HEADING not in text

    both = report.to_html(tmp_path / "both.html", platform=session, regression=frame).read_text(encoding="utf-8")
    assert _headings(both)[-3:] == ["Client vs platform latency", "Pre-publish regression", "Plots"]


def test_without_them_the_report_has_no_such_section(report: LatencyReport, tmp_path: Path) -> None:
    text = report.to_html(tmp_path / "report.html").read_text(encoding="utf-8")
    assert _headings(text) == ["Summary by action_name", "Overall", "Errors", "Plots"]
    assert "tTotalExecution" not in text and "overhead" not in text and "Pre-publish" not in text


def test_regression_rows_are_escaped_and_checked(report: LatencyReport, tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "row_id": ["r1", "r2", "r3"], "case": [None, None, "name missing"],
        "verdict": ["differs", "equal", "error_changed"], "differences": [["$.a"], [], []],
        "published_ok": [True, True, True], "draft_ok": [True, True, False],
        "published_error_class": [None, None, None], "draft_error_class": [None, None, "bad_request"],
        "latency_diff_ms": [1.5, 0.0, None], "params": [{"name": "<script>alert(1)</script>"}, {}, {}],
        "published_output": [{"a": 1}, {}, None], "draft_output": [{"a": 2}, {}, None],
    })
    text = report.to_html(tmp_path / "report.html", regression=frame).read_text(encoding="utf-8")
    section = _section(text, REGRESSION_HEADING)
    assert "<script" not in text and "&lt;script&gt;" in section
    assert ">r2<" not in section and "bad_request" in section and "error class" in section
    target = tmp_path / "never.html"
    with pytest.raises(TypeError, match="verdict"):
        report.to_html(target, regression=frame.drop(columns="verdict"))
    assert not target.exists()  # refused before anything is written


# ------------------------------------------------------------------ the report view
def test_report_view_shows_both_sections(report: LatencyReport, session: Any, lookup: Any, tmp_path: Path) -> None:
    from genesys_nb.widgets.report_view import ReportView

    frame = _regression(session, lookup)
    plain = ReportView(report)
    assert [plain.tabs.get_title(i) for i in range(len(plain.tabs.children))] == ["Summary", "Errors", "Plots"]
    assert plain.platform_view is None and plain.regression_view is None

    view = ReportView(report, platform=session, regression=frame, export_path=tmp_path / "view.html")
    titles = [view.tabs.get_title(i) for i in range(len(view.tabs.children))]
    assert titles == ["Summary", "Errors", "Plots", "Client vs platform", "Draft vs published"]
    assert view.tabs.children[3] is view.platform_view and view.regression_view in view.tabs.children[4].children
    assert "Get Customer By Phone" in view.platform_view.value and "overhead_mean_ms" in view.platform_view.value
    # asked once, kept for the export: the regression's tests count on the platform as well
    pd.testing.assert_frame_equal(view.platform_table, report.compare_platform(session))
    assert view.platform_table.loc[lookup.id, "platform_count"] >= len(PHONES)
    for row_id in frame.loc[frame["verdict"] == "differs", "row_id"]:
        assert row_id in view.regression_view.value
    assert "$.tier" in view.regression_view.value
    # each differing row shows its inputs and both values at the path, so it can be acted on
    differing = frame.loc[frame["verdict"] == "differs"].iloc[0]
    shown = html.unescape(view.regression_view.value)
    published = json.dumps(differing["published_output"]["tier"])
    draft = json.dumps(differing["draft_output"]["tier"])
    assert published != draft and published in shown and draft in shown
    phone = next(iter(differing["params"].values()))
    assert f'="{phone}"' in shown
    view.regression_filter.value = "error_changed"
    assert "$.tier" not in view.regression_view.value
    view.regression_filter.value = "differs"
    assert "$.tier" in view.regression_view.value and "error class" not in view.regression_view.value

    view.export_button.click()
    assert view.last_export is not None
    exported = view.last_export.read_text(encoding="utf-8")
    assert PLATFORM_HEADING in exported and REGRESSION_HEADING in exported

    refused = ReportView(report, platform="not a client")
    assert "could not be asked" in refused.platform_view.value


# ------------------------------------------------------------------ the command line
@pytest.fixture()
def org_env(monkeypatch: pytest.MonkeyPatch, emulator_server: Any) -> None:
    """The CLI's org is the shared emulator, the one the report's rows were sent to."""
    monkeypatch.setenv("GENESYS_CLIENT_ID", emulator_server.client_id)
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", emulator_server.client_secret)
    monkeypatch.setenv("GENESYS_API_BASE_URL", emulator_server.url)
    monkeypatch.setenv("GENESYS_LOGIN_BASE_URL", emulator_server.url)


def test_cli_platform_prints_the_table(report: LatencyReport, org_env: None, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    audit = report.sources[0]
    assert main(["report", audit]) == 0
    assert "Client vs platform" not in capsys.readouterr().out

    html_path = tmp_path / "cli.html"
    assert main(["report", audit, "--platform", "--html", str(html_path)]) == 0
    out = capsys.readouterr().out
    table = out[out.index("Client vs platform latency"):]
    lines = table.splitlines()
    header = next(line for line in lines if line.startswith("action_name"))
    assert header.split()[:3] == ["action_name", "client_count", "client_p50_ms"] and "overhead_share" in header
    row = next(line for line in lines if line.startswith("Get Customer By Phone"))
    cells = row.split()
    assert cells[4] == cells[9] == str(len(PHONES))  # client and platform counts
    assert len(row) == len(header)  # numbers right-aligned under their headers
    assert PLATFORM_HEADING in html_path.read_text(encoding="utf-8")


def test_cli_platform_could_not_run(org_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.ndjson"
    empty.write_text("", encoding="utf-8")
    assert main(["report", str(empty), "--platform"]) == 2
    assert "no timestamps" in capsys.readouterr().err
