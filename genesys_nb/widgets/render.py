"""Pure HTML and table rendering for the widgets: action summaries, execution results, /test operations.

Widgets only put these strings on screen, so what a user reads is tested without a kernel. Values of
secure actions are never rendered (a saved notebook keeps its outputs).
"""
from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

from genesys_nb.api.errors import fix_hint
from genesys_nb.api.models import Action, ErrorBody, FieldError, TestExecutionResult
from genesys_nb.api.result import ExecutionResult

__all__ = [
    "SECURE_HIDDEN",
    "action_label",
    "action_summary",
    "categories",
    "error_html",
    "figure_html",
    "filter_actions",
    "fit_layout",
    "frame_html",
    "result_columns",
    "result_html",
    "result_rows",
    "table_html",
    "test_html",
    "test_rows",
    "widget_hint",
]

SECURE_HIDDEN = "hidden (secure action)"
_PREVIEW_CHARS = 2000
_OK_COLOR = "#1b7f3b"
_ERROR_COLOR = "#b00020"


def action_label(action: Action) -> str:
    """How an action is listed in a picker: ``name · category``."""
    name = action.name or action.id
    return f"{name} · {action.category}" if action.category else name


def categories(actions: Iterable[Action]) -> list[str]:
    """The distinct categories, sorted (actions without one are left out)."""
    return sorted({action.category for action in actions if action.category})


def filter_actions(actions: Sequence[Action], text: str = "", category: str | None = None) -> list[Action]:
    """Actions whose name, id or category contains ``text`` (case-insensitive), in ``category`` if given."""
    needle = text.strip().lower()
    out = []
    for action in actions:
        if category and action.category != category:
            continue
        haystack = " ".join(filter(None, (action.name, action.id, action.category))).lower()
        if needle and needle not in haystack:
            continue
        out.append(action)
    return sorted(out, key=lambda action: ((action.name or "").lower(), action.id))


def action_summary(action: Action) -> list[tuple[str, str]]:
    """Contract and config summary rows. Header values are never shown (they may carry credentials)."""
    rows: list[tuple[str, str]] = [("id", action.id), ("name", action.name or "")]
    rows.append(("category", action.category or "—"))
    rows.append(("version", "—" if action.version is None else str(action.version)))
    rows.append(("secure", "yes: inputs and outputs are not shown or logged" if action.secure else "no"))
    rows.append(("input fields", _fields_line(action.input_schema)))
    rows.append(("output fields", _fields_line(action.success_schema)))
    config = action.config or {}
    request = config.get("request") if isinstance(config.get("request"), dict) else {}
    if request:
        method = request.get("requestType") or "?"
        rows.append(("request", f"{method} {request.get('requestUrlTemplate') or ''}".strip()))
        headers = request.get("headers")
        if isinstance(headers, dict) and headers:
            rows.append(("request headers", ", ".join(sorted(str(name) for name in headers))))
    response = config.get("response") if isinstance(config.get("response"), dict) else {}
    translation = response.get("translationMap") if response else None
    if isinstance(translation, dict) and translation:
        rows.append(("translation map", ", ".join(str(key) for key in translation)))
    if action.timeout_seconds is not None:
        rows.append(("timeout", f"{action.timeout_seconds} s (config.timeoutSeconds)"))
    return rows


def _fields_line(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "— (no contract)"
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return "— (none declared)"
    required = set(schema.get("required") or [])
    names = [f"{name}*" if name in required else str(name) for name in properties]
    return f"{len(names)}: " + ", ".join(names) + (" (* required)" if required else "")


def table_html(rows: Iterable[tuple[str, Any]], *, title: str | None = None) -> str:
    """A two-column key/value table (values escaped; multi-line values in <pre>)."""
    body = []
    for key, value in rows:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        cell = (f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(text)}</pre>" if "\n" in text
                else html.escape(text))
        body.append(f"<tr><th style='text-align:left;padding-right:12px;vertical-align:top'>"
                    f"{html.escape(key)}</th><td style='text-align:left'>{cell}</td></tr>")
    heading = f"<b>{html.escape(title)}</b>" if title else ""
    return f"{heading}<table>{''.join(body)}</table>"


def _json_preview(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return text if len(text) <= _PREVIEW_CHARS else text[:_PREVIEW_CHARS] + "\n… (truncated)"


def _error_text(error: Any) -> str:
    if isinstance(error, FieldError):
        return f"{error.path}: {error.message}"
    if isinstance(error, ErrorBody):
        return error.message or error.code or "error"
    return str(error)


# A hint written for Python callers, in the words of the widgets: the button or section to use instead.
_WIDGET_EQUIVALENTS = (
    ("(client.get_schema(action_id) shows it)", "(the contract above shows it)"),
    ("run client.test(action_id, inputs) to see which step fails", "press Test to see which step fails"),
    ("run client.test(action_id, inputs) to see the failing step", "press Test to see the failing step"),
    ("run client.test(action_id, inputs) to see the URL it rendered", "press Test to see the URL it rendered"),
    ("client.list_actions() lists them", "the Action list shows them"),
    ("raise timeout_ms", "raise timeout ms"),
    # CSV import messages name the Python and CLI options; the builder has neither
    (", or pass unknown_columns='pass' (genesys-nb run --unknown-columns pass) to send it anyway", ""),
    (", or pass the file's encoding, e.g. from_csv(path, encoding='cp1252') (genesys-nb run --encoding cp1252)",
     " (in your spreadsheet: Save As, CSV UTF-8)"),
)


def widget_hint(text: str) -> str:
    """A fix hint (or a message quoting one) with its Python calls replaced by what to press in the widgets."""
    for python, widget in _WIDGET_EQUIVALENTS:
        text = text.replace(python, widget)
    return text


def result_rows(result: ExecutionResult, *, secure: bool = False) -> list[tuple[str, Any]]:
    """What a user needs from one execution: outcome, timing, attempts, ids, and output or the fix."""
    rows: list[tuple[str, Any]] = [("outcome", "ok" if result.ok else f"failed: {result.error_class}")]
    if result.status_code is not None:
        rows.append(("status", str(result.status_code)))
    if result.attempts > 0:
        timing = (f"{result.latency_ms:,.1f} ms (last attempt); total {result.total_ms:,.1f} ms "
                  "(first send to final answer)")
        rows.append(("latency", timing))
        rows.append(("attempts", str(result.attempts)))
    else:  # refused before anything was sent: there is no latency to speak of
        rows.append(("sent", "no: stopped before sending, nothing reached the platform"))
    if result.retry_wait_ms:
        rows.append(("retry wait", f"{result.retry_wait_ms:.0f} ms"))
    rows.append(("correlation id", result.correlation_id or "—"))
    if result.ok:
        rows.append(("output", SECURE_HIDDEN if secure else _json_preview(result.output)))
        return rows
    if result.error_code:
        rows.append(("error code", result.error_code))
    message = (result.error_message or "").split(" Fix: ")[0]  # the fix is its own row: said once
    if message:
        rows.append(("message", widget_hint(message)))
    details = [_error_text(error) for error in result.errors]
    details = [detail for detail in details if detail not in message]  # not what the message already says
    if details:
        rows.append(("errors", "\n".join(details)))
    if result.error_class:
        rows.append(("fix", widget_hint(fix_hint(result.error_class, action_id=result.action_id,
                                                 retry_after_s=result.retry_after_s, timeout_ms=result.timeout_ms,
                                                 status_code=result.status_code))))
    return rows


def result_html(result: ExecutionResult, *, secure: bool = False) -> str:
    color = _OK_COLOR if result.ok else _ERROR_COLOR
    title = "Execution succeeded" if result.ok else f"Execution failed ({result.error_class})"
    badge = f"<div class='gnb-result' style='color:{color};font-weight:bold'>{html.escape(title)}</div>"
    return badge + table_html(result_rows(result, secure=secure))


def test_rows(test_result: TestExecutionResult, *, secure: bool = False) -> list[dict[str, Any]]:
    """One row per /test operation: step, name, success, and the error message or a result preview."""
    rows = []
    for operation in test_result.operations:
        if operation.error is not None:
            detail = operation.error.message or operation.error.code or "failed"
        elif secure:
            detail = SECURE_HIDDEN
        else:
            detail = json.dumps(operation.result, ensure_ascii=False, default=str)
            detail = detail if len(detail) <= 300 else detail[:300] + "…"
        rows.append({"step": operation.step, "name": operation.name or "", "success": operation.success,
                     "detail": detail})
    return rows


def test_html(test_result: TestExecutionResult, *, secure: bool = False) -> str:
    color = _OK_COLOR if test_result.success else _ERROR_COLOR
    verdict = "all operations succeeded" if test_result.success else "an operation failed"
    cells = []
    for row in test_rows(test_result, secure=secure):
        mark = "✔" if row["success"] else "✘"
        cells.append(
            f"<tr><td>{html.escape(str(row['step']))}</td><td>{html.escape(row['name'])}</td>"
            f"<td style='color:{_OK_COLOR if row['success'] else _ERROR_COLOR}'>{mark}</td>"
            f"<td style='text-align:left'><code>{html.escape(row['detail'])}</code></td></tr>")
    extra = ""
    shown = {row["detail"] for row in test_rows(test_result, secure=secure) if not row["success"]}
    if test_result.error is not None and (test_result.error.message or "") not in shown:  # say it once
        extra = f"<div style='color:{_ERROR_COLOR}'>{html.escape(test_result.error.message or '')}</div>"
    return (f"<div class='gnb-test-result' style='color:{color};font-weight:bold'>Test: {verdict}</div>"
            f"<table><tr><th>step</th><th>operation</th><th>ok</th><th>detail</th></tr>{''.join(cells)}</table>"
            f"{extra}")


def error_html(error: BaseException) -> str:
    """An exception raised by a non-execute call (list, get, test), with its class and message."""
    return (f"<div class='gnb-result' style='color:{_ERROR_COLOR};font-weight:bold'>"
            f"{html.escape(type(error).__name__)}</div><div>{html.escape(str(error))}</div>")


RESULT_LEAD = ("row_id", "ok", "expected_invalid", "error_class", "status_code", "latency_ms", "total_ms",
               "queue_ms", "attempts", "error_message")
TABLE_HEIGHT = "28em"  # a result table taller than this scrolls inside its box
# An ipywidgets HTML view lays its content out as a flex item, which grows to the content's width
# unless its min-width is 0: without this a wide table widens the view past its panel.
_BOX_STYLE = ("<style>.widget-html-content:has(> .gnb-table-box), .gnb-run-results .widget-html-content,"
              " .gnb-report-view .widget-html-content, .gnb-matrix-builder .widget-html-content"
              " { min-width: 0; }</style>")


def result_columns(columns: Sequence[Any]) -> list[Any]:
    """Run results in reading order: the row and its inputs, the outcome and timing, the outputs, the rest."""
    names = list(columns)
    params = [c for c in names if str(c).startswith("params.")]
    outputs = [c for c in names if str(c).startswith("output.")]
    lead = [c for c in RESULT_LEAD if c in names]
    rest = [c for c in names if c not in lead and c not in params and c not in outputs]
    head = lead[:1] + params + lead[1:]
    return head + outputs + rest


def frame_html(frame: Any, *, max_rows: int = 60, index: bool = False, caption: str | None = None,
               max_height: str | None = TABLE_HEIGHT) -> str:
    """A DataFrame as a table that reads well in a widget (see :mod:`genesys_nb.report.tables`): numbers by
    kind, one missing marker, nested values on one line with their JSON a click away, long text cut with a
    tooltip; at most ``max_rows`` rows, in a box that scrolls within the panel's width and ``max_height``."""
    from genesys_nb.report.tables import table_html as styled_html
    from genesys_nb.report.tables import table_notes

    if frame is None or len(frame) == 0:
        return "<i>no rows</i>"
    table = styled_html(frame, index=index, max_rows=max_rows, with_notes=False)
    height = f"max-height:{max_height};" if max_height else ""
    notes = table_notes(frame, caption=caption, max_rows=max_rows)  # below the box: it wraps to the panel
    style = "color:var(--jp-ui-font-color2, #555);font-size:90%;margin-top:4px;white-space:normal;line-height:1.4"
    note = f"<div class='gnb-table-note' style='{style}'>{html.escape(notes)}</div>" if notes else ""
    return (f"{_BOX_STYLE}<div class='gnb-table-box' style='width:100%;max-width:100%;overflow:auto;{height}'>"
            f"{table}</div>{note}")


def figure_html(figure: Any, *, dpi: int = 96) -> str:
    """A matplotlib Figure as an inline PNG <img> (then closed, so figures do not pile up)."""
    import base64
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)  # a no-op for a figure pyplot does not manage
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img class='gnb-plot' alt='plot' src='data:image/png;base64,{encoded}'/>"


def fit_layout() -> Any:
    """A button layout as wide as its label (a fixed width cuts "Back to field choices" to "Back to field c…");
    a fresh Layout per widget, since a shared one is one model."""
    import ipywidgets as widgets

    return widgets.Layout(width="auto", min_width="fit-content")
