"""RunPanel: run a matrix with MatrixRunner from a notebook, in a background thread, with live counts.

The run happens in a worker thread (the kernel stays free for other cells and for the Stop button).
Live ok/error counts come from the audit log the run writes: the panel reads the new complete lines
of this run (its own ``run_id``) every ``poll_s`` seconds, so what it shows is what was recorded.
"""
from __future__ import annotations

import html
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import orjson

from genesys_nb.audit.outcomes import EXPECTED_REJECTION, OutcomeCounts, outcome_of
from genesys_nb.run.runner import MAX_CONCURRENCY, MatrixRunner

from ._results_table import copyable_column_css, eta_text, failed_mask, shown_results, unsent_mask
from .render import fit_layout as _fit
from .render import frame_html, result_columns

__all__ = ["AuditTail", "RunPanel", "progress_html"]

_ERROR_COLOR = "#b00020"
EXPECTED = EXPECTED_REJECTION
RESULT_ROWS = 200  # rows drawn in the table; sort, filter and the CSV export reach them all


@dataclass
class AuditTail:
    """Counts the records of one run as they are appended to an audit log (complete lines only)."""

    path: Path
    run_id: str
    offset: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    _partial: bytes = b""

    def __post_init__(self) -> None:
        from genesys_nb.audit.segments import is_audit_folder, segment_path

        if is_audit_folder(self.path):  # an audit folder: the run's own segment
            self.path = segment_path(self.path, self.run_id)

    def poll(self) -> Counter[str]:
        """Read what was appended since the last poll; returns the counts so far, keyed by
        :func:`~genesys_nb.audit.outcomes.outcome_of`."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            return self.counts
        self.offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()  # an incomplete last line waits for its newline
        for line in lines:
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(record, dict) or record.get("run_id") != self.run_id:
                continue
            if record.get("kind") is not None:  # an intent (before a send) or a webhook state, not a row
                continue
            self.counts[outcome_of(record.get("success"), record.get("expected_invalid"),
                                   record.get("error_class"))] += 1
        return self.counts

    @property
    def done(self) -> int:
        return sum(self.counts.values())


def progress_html(counts: Counter[str], total: int, *, state: str, eta: str = "") -> str:
    """``running: 120/500 rows · about 40 s left · ok 110 · expected rejections 4 · errors 6 (rate_limited 4,
    server 2)``.

    The counts read exactly as the runner's summary, the report and the CLI print them
    (:meth:`OutcomeCounts.text`)."""
    outcomes = OutcomeCounts.from_counter(counts)
    failed = outcomes.total - outcomes.passed
    color = _ERROR_COLOR if failed else "inherit"
    left = f" · <span class='gnb-eta'>{html.escape(eta)}</span>" if eta else ""
    return (f"<span class='gnb-progress'><b>{html.escape(state)}</b>: {outcomes.total}/{total} rows{left} · "
            f"<span class='gnb-counts' style='color:{color}'>{html.escape(outcomes.text())}</span></span>")


class RunPanel(widgets.VBox):
    """Controls for one run of ``matrix`` (a ParameterMatrix, or a MatrixBuilder read at Run time).

    Children: ``concurrency``, ``rate_per_minute``, ``pacing`` (checkbox), ``timeout_ms``,
    ``idempotent``, ``webhook_url``, ``webhook_secret``, ``audit_path``, ``run_button``, ``stop_button``, ``progress``
    (IntProgress), ``status`` and ``results_view`` (HTML). After a run: ``results`` (DataFrame),
    ``summary`` (RunSummary) or ``error``. ``wait()`` blocks until the run thread ends.

    The result table's controls: ``sort_by`` and ``descending``, ``filter_text``, ``only_failures``,
    ``export_path`` + ``export_button`` (the rows shown, as CSV), and ``rerun_button`` (the failed rows
    again, as a new run). Rows that may have reached the platform are sent again only after
    ``confirm_button`` when the action is not marked idempotent. A correlation id cell selects whole on
    one click, ready to copy.
    """

    def __init__(self, session: Any, action: Any, matrix: Any, *, audit_path: str | Path | None = None,
                 poll_s: float = 0.25, **kwargs: Any) -> None:
        self.session = session
        self.action_id: str = getattr(action, "id", action)
        self.action_name: str = getattr(action, "name", None) or self.action_id
        self.matrix_source = matrix
        self.poll_s = poll_s
        self.runner: MatrixRunner | None = None
        self.dispatcher: Any = None
        self.results: Any = None
        self.summary: Any = None
        self.error: BaseException | None = None
        self.run_id: str | None = None
        self._thread: threading.Thread | None = None
        self._finished = threading.Event()
        self._finished.set()

        default_audit = audit_path or Path(tempfile.mkdtemp(prefix="genesys-nb-panel-")) / "audit.ndjson"
        self.concurrency = widgets.BoundedIntText(value=8, min=1, max=MAX_CONCURRENCY, description="concurrency")
        self.rate_per_minute = widgets.BoundedFloatText(value=300, min=1, max=1_000_000, description="rate/min")
        self.pacing = widgets.Checkbox(value=True, description="pace under the rate", indent=False,
                                       layout=widgets.Layout(width="auto"))
        self.timeout_ms = widgets.BoundedIntText(value=30000, min=1, max=60000, step=1000, description="timeout ms")
        self.idempotent = widgets.Checkbox(value=False, indent=False, layout=widgets.Layout(width="auto"),
                                           description="idempotent (allow retries after 500 / read timeout)")
        self.webhook_url = widgets.Text(placeholder="https://... (optional)", description="webhook")
        self.webhook_secret = widgets.Password(placeholder="HMAC secret (optional)", description="secret")
        self.audit_path = widgets.Text(value=str(default_audit), description="audit log",
                                       layout=widgets.Layout(width="auto", min_width="40em"))
        self.run_button = widgets.Button(layout=_fit(), description="Run", button_style="primary", icon="play")
        self.run_button.add_class("gnb-run-button")
        self.stop_button = widgets.Button(layout=_fit(), description="Stop", button_style="warning", icon="stop", disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="progress")
        self.status = widgets.HTML(value="")
        # The table scrolls inside the panel (its width, a bounded height), whatever the outputs hold.
        self.results_view = widgets.HTML(value="", layout=widgets.Layout(width="100%", max_width="100%",
                                                                          overflow="auto"))
        self.results_view.add_class("gnb-run-results")
        self.run_button.on_click(lambda _button: self.run())
        self.stop_button.on_click(lambda _button: self.stop())
        self.sort_by = widgets.Dropdown(options=[("row order", "")], value="", description="sort by")
        self.descending = widgets.Checkbox(value=False, description="descending", indent=False,
                                           layout=widgets.Layout(width="auto"))
        self.filter_text = widgets.Text(placeholder="any text in a row", description="filter",
                                        continuous_update=True)
        self.only_failures = widgets.Checkbox(value=False, description="only failures", indent=False,
                                              layout=widgets.Layout(width="auto"))
        self.export_path = widgets.Text(value=str(Path(default_audit).with_name("results.csv")),
                                        description="CSV file", layout=widgets.Layout(width="auto", min_width="24em"))
        self.export_button = widgets.Button(layout=_fit(), description="Export CSV", icon="download")
        self.rerun_button = widgets.Button(layout=_fit(), description="Re-run failed rows", icon="redo", disabled=True)
        self.confirm_button = widgets.Button(layout=_fit(), description="Send them again", button_style="danger", icon="check")
        self.table_status = widgets.HTML(value="")
        self.confirm_box = widgets.HBox([self.confirm_button], layout=widgets.Layout(display="none"))
        for control in (self.sort_by, self.descending, self.filter_text, self.only_failures):
            control.observe(lambda _change: self._show_results(), names="value")
        self.export_button.on_click(lambda _button: self.export_csv())
        self.rerun_button.on_click(lambda _button: self.rerun_failed())
        self.confirm_button.on_click(lambda _button: self.rerun_failed(confirmed=True))
        self._matrix_rows: list[Any] = []
        self._started = 0.0

        title = widgets.HTML(value=f"<h4 style='margin:4px 0'>Run {html.escape(self.action_name)}</h4>")
        super().__init__([
            title,
            widgets.HBox([self.concurrency, self.rate_per_minute, self.pacing]),
            widgets.HBox([self.timeout_ms, self.idempotent]),
            widgets.HBox([self.webhook_url, self.webhook_secret]), self.audit_path,
            widgets.HBox([self.run_button, self.stop_button]),
            self.progress, self.status,
            widgets.HBox([self.sort_by, self.descending, self.filter_text, self.only_failures]),
            self.results_view,
            widgets.HBox([self.export_path, self.export_button, self.rerun_button]), self.confirm_box,
            self.table_status,
        ], **kwargs)
        self.add_class("gnb-run-panel")

    @property
    def running(self) -> bool:
        return not self._finished.is_set()

    def _matrix(self) -> Any:
        from .matrix_builder import MatrixBuilder

        source = self.matrix_source
        return source.matrix if isinstance(source, MatrixBuilder) else source

    def run(self, rows: Any = None) -> bool:
        """Start a run in a background thread; returns False (and says why) if it cannot start.

        ``rows`` (matrix rows) runs those instead of the whole matrix: how failed rows are re-run."""
        if self.running:
            self.status.value = "<i>a run is already going; Stop it first</i>"
            return False
        try:
            matrix = self._matrix() if rows is None else _Rows(rows)
            self.dispatcher = self._webhook()
            runner = MatrixRunner(
                self.session, concurrency=self.concurrency.value,
                rate_per_minute=self.rate_per_minute.value if self.pacing.value else None,
                audit=Path(self.audit_path.value).expanduser(), webhook=self.dispatcher, progress=False,
            )
        except (ValueError, TypeError) as err:
            self.status.value = f"<span style='color:{_ERROR_COLOR}'>cannot run: {html.escape(str(err))}</span>"
            return False
        self.runner = runner
        self.results = self.summary = self.error = None
        self.run_id = f"panel-{uuid.uuid4().hex[:12]}"
        total = len(matrix)
        self.progress.max = max(total, 1)
        self.progress.value = 0
        self.results_view.value = ""
        self.table_status.value = ""
        self.confirm_box.layout.display = "none"
        self.rerun_button.disabled = True
        self._matrix_rows = list(matrix)
        self._started = time.monotonic()
        tail = AuditTail(Path(self.audit_path.value).expanduser(), self.run_id)
        self._finished.clear()
        self.run_button.disabled = True
        self.stop_button.disabled = False
        self.status.value = progress_html(Counter(), total, state="starting")
        self._thread = threading.Thread(target=self._work, args=(runner, matrix, tail, total),
                                        name="genesys-nb-run-panel", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        """Ask the runner to stop: rows in flight finish and are recorded, the rest are not sent."""
        if self.runner is not None and self.running:
            self.runner.stop()
            self.status.value += " <i>stopping…</i>"

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the run thread ends (True) or ``timeout_s`` passes (False)."""
        return self._finished.wait(timeout_s)

    def _webhook(self) -> Any:
        """A dispatcher for the webhook URL (its outbox beside the audit log), or None."""
        url = self.webhook_url.value.strip()
        if not url:
            return None
        from genesys_nb.run.webhook import WebhookDispatcher

        outbox = Path(self.audit_path.value).expanduser().with_name("webhook-outbox.ndjson")
        return WebhookDispatcher(url, secret=self.webhook_secret.value or None, outbox=outbox)

    def _work(self, runner: MatrixRunner, matrix: Any, tail: AuditTail, total: int) -> None:
        ticker = threading.Event()

        def watch() -> None:
            while not ticker.wait(self.poll_s):
                self._show(tail.poll(), total, "running")

        watcher = threading.Thread(target=watch, name="genesys-nb-run-panel-progress", daemon=True)
        watcher.start()
        try:
            self.results = runner.run(self.action_id, matrix, timeout_ms=self.timeout_ms.value,
                                      idempotent=self.idempotent.value, run_id=self.run_id)
        except Exception as err:  # noqa: BLE001 - shown in the panel; the thread must not die silently
            self.error = err
        finally:
            ticker.set()
            watcher.join()
            if self.dispatcher is not None:
                self.dispatcher.close()  # deliver what is queued; what fails goes to the outbox
            self.summary = runner.last_summary
            self._finish(tail, total)

    def _show(self, counts: Counter[str], total: int, state: str) -> None:
        done = sum(counts.values())
        self.progress.value = min(done, self.progress.max)
        eta = eta_text(done, total, time.monotonic() - self._started) if state == "running" else ""
        self.status.value = progress_html(counts, total, state=state, eta=eta)

    def _finish(self, tail: AuditTail, total: int) -> None:
        counts = tail.poll()
        if self.error is not None:
            state = "failed"
        elif self.summary is not None and self.summary.stopped:
            state = "stopped"
        else:
            state = "finished"
        self._show(counts, total, state)
        if self.error is not None:
            self.status.value += (f"<div style='color:{_ERROR_COLOR}'>{html.escape(type(self.error).__name__)}: "
                                  f"{html.escape(str(self.error))}</div>")
        if self.summary is not None:
            self.status.value += f"<div>{html.escape(str(self.summary))}</div>"
        outbox = getattr(self.dispatcher, "outbox", None)
        if outbox is not None and Path(outbox).exists():
            self.status.value += (f"<div>webhooks not delivered are kept in <code>{html.escape(str(outbox))}</code>"
                                  " (genesys-nb webhook replay)</div>")
        if self.results is not None:
            self.results = self.results[result_columns(self.results.columns)]
            self.sort_by.options = [("row order", ""), *[(str(c), str(c)) for c in self.results.columns]]
            self._show_results()
            self.rerun_button.disabled = not bool(failed_mask(self.results).any())
        self.run_button.disabled = False
        self.stop_button.disabled = True
        self._finished.set()

    # ---- the result table

    def shown(self) -> Any:
        """The results as the table's controls narrow them (None before a run)."""
        if self.results is None:
            return None
        return shown_results(self.results, sort_by=self.sort_by.value or None, descending=self.descending.value,
                             text=self.filter_text.value, only_failures=self.only_failures.value)

    def _show_results(self) -> None:
        shown = self.shown()
        if shown is None:
            return
        note = f"{len(shown):,} of {len(self.results):,} rows shown" if len(shown) != len(self.results) else None
        self.results_view.value = (copyable_column_css(shown.columns, "correlation_id", "gnb-run-results")
                                   + frame_html(shown, max_rows=RESULT_ROWS, caption=note))

    def export_csv(self) -> Path | None:
        """Write the rows shown (sorted and filtered as on screen) to ``export_path`` as CSV."""
        shown = self.shown()
        if shown is None:
            self.table_status.value = "<i>nothing to export yet: run first</i>"
            return None
        path = Path(self.export_path.value).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            shown.to_csv(path, index=False)
        except OSError as err:
            self.table_status.value = (f"<span style='color:{_ERROR_COLOR}'>cannot write {html.escape(str(path))}: "
                                       f"{html.escape(err.strerror or str(err))}</span>")
            return None
        self.table_status.value = f"wrote {len(shown):,} row(s) to <code>{html.escape(str(path))}</code>"
        return path

    def rerun_failed(self, *, confirmed: bool = False) -> bool:
        """Run the failed rows again as a new run. Rows that may have reached the platform (anything but
        a local refusal) could run twice: unless the action is marked idempotent, that waits for
        ``confirm_button``. Returns whether a run started."""
        if self.results is None or self.running:
            return False
        failed = self.results.loc[failed_mask(self.results)]
        if not len(failed):
            self.table_status.value = "<i>no failed rows to run again</i>"
            return False
        reached = int((~unsent_mask(failed)).sum())
        if reached and not self.idempotent.value and not confirmed:
            self.confirm_box.layout.display = ""
            self.table_status.value = (
                f"<span style='color:{_ERROR_COLOR}'>{reached} of the {len(failed)} failed row(s) may have run on "
                "the platform already; this action is not marked idempotent, so sending them again may run "
                "them twice. Press <b>Send them again</b> to go ahead.</span>")
            return False
        wanted = set(map(str, failed["row_id"]))
        rows = [row for row in self._matrix_rows if str(row.row_id) in wanted]
        self.confirm_box.layout.display = "none"
        self.table_status.value = f"re-running {len(rows)} failed row(s) as a new run"
        return self.run(rows)


class _Rows:
    """Some rows of a matrix, as a run takes them (sized and iterable, row ids kept)."""

    def __init__(self, rows: Any) -> None:
        self._rows = list(rows)

    def __iter__(self) -> Any:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
