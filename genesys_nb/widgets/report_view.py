"""ReportView: a LatencyReport's summary and error tables, its plots, a group-by selector and HTML export."""
from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from genesys_nb.api.errors import GenesysNBError
from genesys_nb.report._html_sections import (
    PLATFORM_NOTE,
    PLATFORM_TITLE,
    REGRESSION_TITLE,
    platform_display,
    platform_missing,
    platform_table,
    regression_changes,
    regression_counts,
    regression_sentence,
)
from genesys_nb.report.html import SUMMARY_NOTE
from genesys_nb.report.tables import key_columns_first

from .render import figure_html, frame_html
from .render import fit_layout as _fit

__all__ = ["PLOTS", "ReportView", "group_by_options"]

REGRESSION_TAB = "Draft vs published"  # short enough for a tab: the section's own title says the rest
PLOTS = ("percentiles", "histogram", "cdf", "timeline", "errors")
OVERALL = ""
_PREFERRED = ("action_name", "error_class", "status_code", "error_code", "run_id", "action_version")


def group_by_options(columns: Sequence[str]) -> list[tuple[str, str]]:
    """Group-by choices for a report's columns: overall, the usual audit columns, then matrix parameters."""
    present = [str(column) for column in columns]
    options = [("(overall)", OVERALL)]
    options += [(column, column) for column in _PREFERRED if column in present]
    options += [(column, column) for column in sorted(c for c in present if c.startswith("params."))]
    return options


class ReportView(widgets.VBox):
    """Tabs with the summary and error tables and the plots of a :class:`~genesys_nb.LatencyReport`.

    Children a test (or a user) drives: ``group_by`` (Dropdown), ``plot_picker`` (ToggleButtons),
    ``log_axis`` (Checkbox), ``export_path`` (Text), ``export_button``; shown in ``summary_table``,
    ``errors_table``, ``plot`` and ``export_status`` (HTML).

    ``platform`` (a session, a client or a ``client.action_aggregates`` table) adds a "Client vs platform"
    tab (``platform_view``; the platform is asked once, its answer kept in ``platform_table``);
    ``regression`` (a draft regression's DataFrame) a "Pre-publish regression" tab (``regression_view``).
    Both go into the exported HTML as well.
    """

    def __init__(self, report: Any, *, platform: Any = None, regression: Any = None,
                 export_path: str | Path = "report.html", **kwargs: Any) -> None:
        self.report = report
        self.platform_table: Any = None
        self.regression = regression
        self.platform_view = self._platform_view(platform) if platform is not None else None
        self.regression_filter = widgets.Dropdown(
            options=[("every change", ""), ("outputs that differ", "differs"),
                     ("error class changed", "error_changed"), ("outcome unknown", "unknown")],
            value="", description="show")
        self.regression_view = self._regression_view(regression) if regression is not None else None
        self.regression_filter.observe(lambda _change: self._show_regression(), names="value")
        options = group_by_options(list(report.frame.columns))
        default = "action_name" if any(value == "action_name" for _label, value in options) else OVERALL
        self.group_by = widgets.Dropdown(options=options, value=default, description="group by")
        self.summary_table = widgets.HTML()
        self.errors_table = widgets.HTML()
        self.plot_picker = widgets.ToggleButtons(options=list(PLOTS), value=PLOTS[0])
        self.log_axis = widgets.Checkbox(value=False, description="log latency axis (histogram)", indent=False,
                                        layout=widgets.Layout(width="auto"))
        self.plot = widgets.HTML()
        self.export_path = widgets.Text(value=str(export_path), description="HTML file")
        self.export_button = widgets.Button(layout=_fit(), description="Export HTML", icon="download")
        self.export_status = widgets.HTML()
        self.last_export: Path | None = None

        self.group_by.observe(lambda _change: self.refresh(), names="value")
        self.plot_picker.observe(lambda _change: self._draw(), names="value")
        self.log_axis.observe(lambda _change: self._draw(), names="value")
        self.export_button.on_click(lambda _button: self.export())

        pages: list[tuple[str, widgets.Widget]] = [
            ("Summary", self.summary_table),
            ("Errors", self.errors_table),
            ("Plots", widgets.VBox([widgets.HBox([self.plot_picker, self.log_axis]), self.plot])),
        ]
        if self.platform_view is not None:
            pages.append(("Client vs platform", self.platform_view))
        if self.regression_view is not None:
            pages.append((REGRESSION_TAB, widgets.VBox([self.regression_filter, self.regression_view])))
        self.tabs = widgets.Tab(children=[page for _title, page in pages])
        for index, (title, _page) in enumerate(pages):
            self.tabs.set_title(index, title)
        header = widgets.HTML(value=f"<b>{html.escape(repr(report))}</b>")
        super().__init__([header, self.group_by, self.tabs,
                          widgets.HBox([self.export_path, self.export_button]), self.export_status], **kwargs)
        self.add_class("gnb-report-view")
        self.refresh()

    def _platform_view(self, platform: Any) -> widgets.HTML:
        """The client-vs-platform table; a platform that cannot be asked is said in the tab."""
        try:
            self.platform_table = platform_table(self.report, platform)
        except (GenesysNBError, ValueError, TypeError) as err:
            return widgets.HTML(value=f"<b>{PLATFORM_TITLE}</b><p style='color:#b00020'>the platform could not be "
                                      f"asked: {html.escape(str(err))}</p>")
        missing = platform_missing(self.platform_table)
        gap = (f"<p style='color:var(--jp-ui-font-color2, #555)'>No platform figures for {html.escape(', '.join(missing))} (an org's "
               "analytics can take a few minutes to include new executions).</p>") if missing else ""
        return widgets.HTML(value=f"<b>{PLATFORM_TITLE}</b><p style='color:var(--jp-ui-font-color2, #555)'>{html.escape(PLATFORM_NOTE)}</p>"
                                  + frame_html(platform_display(self.platform_table), index=True, max_height=None)
                                  + gap)

    def _regression_view(self, regression: Any) -> widgets.HTML:
        view = widgets.HTML(value=self._regression_html(regression))
        view.add_class("gnb-regression")
        return view

    def _regression_html(self, regression: Any) -> str:
        """Rows per verdict, then one line per difference (inputs, path, published and draft value),
        filtered by ``regression_filter``."""
        verdict = self.regression_filter.value or None
        changes = regression_changes(regression, verdict)
        empty = "every row is equal" if verdict is None else f"no row with the verdict {verdict}"
        listed = frame_html(changes, max_height=None) if len(changes) else f"<i>{html.escape(empty)}</i>"
        return (f"<b>{REGRESSION_TITLE}</b><p>{html.escape(regression_sentence(regression))}</p>"
                + frame_html(regression_counts(regression), max_height=None) + listed)

    def _show_regression(self) -> None:
        if self.regression_view is not None:
            self.regression_view.value = self._regression_html(self.regression)

    @property
    def by(self) -> tuple[str, ...]:
        """The current grouping as report methods take it (``()`` for the whole log)."""
        return () if self.group_by.value == OVERALL else (self.group_by.value,)

    def refresh(self) -> None:
        """Recompute the tables and the plot for the current grouping."""
        summary = key_columns_first(self.report.summary(by=self.by))  # p50/p95/p99 within 1,440 px
        self.summary_table.value = frame_html(summary, index=True, caption=SUMMARY_NOTE,
                                              max_height=None)
        errors_by = self.by if self.by and self.by[0] != "error_class" else ()
        self.errors_table.value = frame_html(
            self.report.errors(by=("error_class", *errors_by, "status_code", "error_code")), max_height=None)
        self._draw()

    def _draw(self) -> None:
        if len(self.report) == 0:
            self.plot.value = "<i>no rows to plot</i>"
            return
        which = self.plot_picker.value
        if which == "histogram":
            from genesys_nb.report.plots import plot_histogram

            figure = plot_histogram(self.report, log=self.log_axis.value, by=self.by)  # one per group
        elif which == "cdf":
            figure = self.report.plot_cdf(by=self.by or None)
        elif which == "percentiles":
            figure = self.report.plot_percentiles(by=self.by)
        elif which == "timeline":
            figure = self.report.plot_timeline()  # the bucket from the run's span, as in the HTML report
        else:
            figure = self.report.plot_errors()
        self.plot.value = figure_html(figure)

    def export(self) -> Path | None:
        """Write the self-contained HTML report to ``export_path`` and say where it went."""
        target = Path(self.export_path.value).expanduser()
        try:
            written = self.report.to_html(target, by=self.by or ("action_name",), platform=self.platform_table,
                                          regression=self.regression)
        except (OSError, ValueError) as err:
            self.export_status.value = f"<span style='color:#b00020'>could not write {html.escape(str(target))}: " \
                                       f"{html.escape(str(err))}</span>"
            return None
        self.last_export = Path(written)
        self.export_status.value = f"wrote <code>{html.escape(str(written))}</code>"
        return self.last_export
