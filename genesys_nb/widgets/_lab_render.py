"""Pure HTML for the action lab: the rendered request, the translation variables, the output, the /test diff.

No ipywidgets here: the lab only puts these strings on screen, so what a user reads is tested without a
kernel. Secure actions show no values unless the caller asks for them.
"""
from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from genesys_nb.api.models import TestExecutionResult

from .render import SECURE_HIDDEN, table_html

__all__ = ["diff_html", "diff_rows", "output_html", "problem_html", "request_html", "translation_html",
           "translation_rows"]

OK_COLOR = "#1b7f3b"
ERROR_COLOR = "#b00020"
WARN_COLOR = "#8a6d00"
_CREDENTIAL_WORDS = ("auth", "token", "secret", "key", "password", "cookie")
_CELL_CHARS = 400


def _badge(text: str, ok: bool, css: str) -> str:
    color = OK_COLOR if ok else ERROR_COLOR
    return (f"<div class='{css}' style='color:{color};font-weight:bold'>{'✔' if ok else '✘'} "
            f"{html.escape(text)}</div>")


def _pre(text: str) -> str:
    return f"<pre style='margin:2px 0;white-space:pre-wrap'>{html.escape(text)}</pre>"


def _warnings_html(warnings: Sequence[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{html.escape(str(w))}</li>" for w in warnings)
    return f"<div class='gnb-lab-warnings' style='color:{WARN_COLOR}'>warnings:<ul>{items}</ul></div>"


def problem_html(title: str, message: str, css: str) -> str:
    """A step that could not be evaluated: its title marked failed and the reason."""
    return _badge(title, False, css) + f"<div style='color:{ERROR_COLOR}'>{html.escape(message)}</div>"


def _shown_header(name: str, value: str) -> str:
    return "***" if any(word in name.lower() for word in _CREDENTIAL_WORDS) else value


def request_html(request: Any, *, secure: bool = False) -> str:
    """Method and URL, headers (credential-like values masked), the body and the renderer's warnings."""
    headers = "\n".join(f"{name}: {_shown_header(name, value)}" for name, value in request.headers.items())
    rows = [("method", request.method), ("url", SECURE_HIDDEN if secure else request.url)]
    if headers:
        rows.append(("headers", headers + "\n"))
    body = SECURE_HIDDEN if secure else (request.body or "(empty)")
    return (_badge("Request rendered", True, "gnb-lab-request-ok") + table_html(rows)
            + "<b>body</b>" + f"<div class='gnb-lab-body'>{_pre(body)}</div>"
            + _warnings_html(request.warnings))


def translation_rows(translation_map: Mapping[str, Any], translation: Any) -> list[dict[str, Any]]:
    """One row per translationMap variable: its path, its JSON text, default used or not, any error."""
    errors = {error.variable: error.message for error in translation.errors}
    used = set(translation.defaults_used)
    rows = []
    for name, path in translation_map.items():
        rows.append({"variable": name, "path": str(path), "value": translation.variables.get(name),
                     "default_used": name in used, "error": errors.get(name)})
    return rows


def translation_html(rows: Sequence[Mapping[str, Any]], *, secure: bool = False) -> str:
    """The translation variables as a table: variable, JSONPath, value, default used (or the error)."""
    failed = [row for row in rows if row["error"]]
    title = "Translation map resolved" if not failed else f"Translation map: {len(failed)} variable(s) failed"
    if not rows:
        return _badge("Translation map is empty (the success template reads rawResult)", True,
                      "gnb-lab-translation-ok")
    cells = []
    for row in rows:
        if row["error"]:
            value = f"<span style='color:{ERROR_COLOR}'>{html.escape(row['error'])}</span>"
        else:
            text = SECURE_HIDDEN if secure else str(row["value"])
            text = text if len(text) <= _CELL_CHARS else text[:_CELL_CHARS] + "…"
            value = f"<code>{html.escape(text)}</code>"
        default = "yes" if row["default_used"] else "no"
        cells.append(f"<tr><td><b>{html.escape(row['variable'])}</b></td><td><code>{html.escape(row['path'])}"
                     f"</code></td><td style='text-align:left'>{value}</td>"
                     f"<td class='gnb-lab-default'>{default}</td></tr>")
    css = "gnb-lab-translation-ok" if not failed else "gnb-lab-translation-failed"
    return (_badge(title, not failed, css) + "<table class='gnb-lab-translation'><tr><th>variable</th>"
            "<th>JSONPath</th><th>value (JSON)</th><th>default used</th></tr>" + "".join(cells) + "</table>")


def output_html(text: str, output: Any, problems: Sequence[Any], *, parse_error: str | None = None,
                secure: bool = False) -> str:
    """The success template's text, the JSON it parses to, and the output contract's verdict."""
    if parse_error is not None:
        return (problem_html("Output is not JSON", parse_error, "gnb-lab-output-failed")
                + "<b>rendered text</b>" + _pre(SECURE_HIDDEN if secure else text))
    shown = SECURE_HIDDEN if secure else json.dumps(output, indent=2, ensure_ascii=False, default=str)
    verdict = "Output matches the success schema" if not problems else "Output breaks the success schema"
    css = "gnb-lab-output-ok" if not problems else "gnb-lab-output-failed"
    listed = "".join(f"<li>{html.escape(f'{p.path}: {p.message}')}</li>" for p in problems)
    contract = f"<ul style='color:{ERROR_COLOR}'>{listed}</ul>" if listed else ""
    return (_badge(verdict, not problems, css) + f"<div class='gnb-lab-output-json'>{_pre(shown)}</div>"
            + contract)


def _short(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 300 else text[:300] + "…"


def _comparable(value: Any) -> Any:
    """Text that holds JSON compares as its value (a rendered body vs the platform's echo of it)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return " ".join(value.split())
    return value


def _shown_result(op: Any) -> Any:
    """A step's result, or its error message when it failed (None for a step that did not run)."""
    if op is None:
        return None
    if op.success:
        return op.result
    return op.error.message if op.error else None


def diff_rows(live: TestExecutionResult, offline: TestExecutionResult) -> list[dict[str, Any]]:
    """Operation by operation (matched by step name): both outcomes, both results, and whether they agree."""
    live_ops = {op.name or f"step {op.step}": op for op in live.operations}
    offline_ops = {op.name or f"step {op.step}": op for op in offline.operations}
    names = list(dict.fromkeys([*live_ops, *offline_ops]))
    rows = []
    for name in names:
        a, b = live_ops.get(name), offline_ops.get(name)
        live_value, offline_value = _shown_result(a), _shown_result(b)
        if a is None or b is None:
            verdict = "only offline" if a is None else "only live"
        elif a.success != b.success:
            verdict = "outcome differs"
        elif _comparable(live_value) != _comparable(offline_value):
            verdict = "result differs"
        else:
            verdict = "same"
        rows.append({"name": name, "live_ok": None if a is None else a.success,
                     "offline_ok": None if b is None else b.success, "verdict": verdict,
                     "live": _short(live_value), "offline": _short(offline_value)})
    return rows


def diff_html(rows: Sequence[Mapping[str, Any]], *, secure: bool = False) -> str:
    """The diff as a table; rows that differ are marked."""
    differing = [row for row in rows if row["verdict"] != "same"]
    title = "Offline engine agrees with the live /test" if not differing else \
        f"{len(differing)} operation(s) differ between the live /test and the offline engine"
    marks = {True: "✔", False: "✘", None: "—"}
    cells = []
    for row in rows:
        color = OK_COLOR if row["verdict"] == "same" else ERROR_COLOR
        live = SECURE_HIDDEN if secure else row["live"]
        offline = SECURE_HIDDEN if secure else row["offline"]
        cells.append(f"<tr><td>{html.escape(row['name'])}</td><td>{marks[row['live_ok']]}</td>"
                     f"<td>{marks[row['offline_ok']]}</td>"
                     f"<td style='color:{color}'>{html.escape(row['verdict'])}</td>"
                     f"<td style='text-align:left'><code>{html.escape(live)}</code></td>"
                     f"<td style='text-align:left'><code>{html.escape(offline)}</code></td></tr>")
    css = "gnb-lab-diff-same" if not differing else "gnb-lab-diff-differs"
    return (_badge(title, not differing, css) + "<table class='gnb-lab-diff'><tr><th>operation</th>"
            "<th>live</th><th>offline</th><th>verdict</th><th>live result</th><th>offline result</th></tr>"
            + "".join(cells) + "</table>")
