"""Every section of the action lab computed at once from the current state, so no section can go stale.

One offline ``/test`` run decides what each section may claim: a section after the failing step says it
was not reached and why; none shows ✔ when an earlier step failed. Pure: the lab widget only puts these
strings on screen, so what a user reads is tested without a kernel.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from genesys_nb.api.models import TestExecutionResult
from genesys_nb.engine.engine import ActionEngine
from genesys_nb.engine.remote import NoRemoteAnswer, RemoteResponse
from genesys_nb.engine.steps import STEP_NAMES

from ._lab_render import (
    ERROR_COLOR,
    OK_COLOR,
    output_html,
    problem_html,
    request_html,
    translation_html,
    translation_rows,
)
from .render import SECURE_HIDDEN

__all__ = ["LabView", "lab_view", "not_reached_html", "output_hint", "steps_html", "unbalanced"]

NOT_REACHED_COLOR = "var(--jp-ui-font-color2, #666)"
_REQUEST_STEPS = ("Resolve request URL template", "Resolve request body template", "Resolve request headers")
_EXECUTE = "Execute request"
_TRANSLATE = "Resolve translation map"
_TRANSFORM = "Apply output transformation"
_VALIDATE_OUTPUT = "Validate output against schema"


@dataclass(frozen=True)
class LabView:
    """The HTML of each lab section and the offline /test result they were all computed from."""

    problems: str
    request: str
    translation: str
    output: str
    steps: str
    test: TestExecutionResult | None


def not_reached_html(title: str, reason: str, css: str) -> str:
    """A section whose step did not run: a grey ○, never a ✔ or a ✘ of its own."""
    return (f"<div class='{css} gnb-lab-not-reached' style='color:{NOT_REACHED_COLOR};font-weight:bold'>○ "
            f"{html.escape(title)}</div><div style='color:{NOT_REACHED_COLOR}'>{html.escape(reason)}</div>")


def _problems_html(problems: Sequence[str]) -> str:
    if not problems:
        return ""
    listed = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    return (f"<div class='gnb-lab-problems' style='color:{ERROR_COLOR}'><b>Problems in the config "
            f"({len(problems)})</b><ul>{listed}</ul></div>")


def _detail(op: Any, secure: bool) -> str:
    if op.error is not None:
        return op.error.message or op.error.code or "failed"
    if secure:
        return SECURE_HIDDEN
    text = json.dumps(op.result, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:300] + "…"


def steps_html(test: TestExecutionResult | None, *, secure: bool = False, not_run: str = "") -> str:
    """Every step of a /test, those after the failing one marked "not reached"; the error shown once.

    ``test`` None means the test could not run at all (``not_run`` says why): no step shows a mark.
    """
    ops = {op.name: op for op in test.operations} if test is not None else {}
    failed = next((op for op in test.operations if not op.success), None) if test is not None else None
    if test is None:
        verdict, color = f"Test not run: {not_run}", ERROR_COLOR
    elif test.success:
        verdict, color = "Test: all operations succeeded", OK_COLOR
    else:
        where = f"step {failed.step} · {failed.name}" if failed is not None else "an operation"
        verdict, color = f"Test failed at {where}", ERROR_COLOR
    cells = []
    for number, name in enumerate(STEP_NAMES, start=1):
        op = ops.get(name)
        if op is None:
            reason = "not run" if test is None else (
                f"not reached: step {failed.step} failed" if failed is not None else "not reached")
            cells.append(f"<tr class='gnb-lab-step-not-reached' style='color:{NOT_REACHED_COLOR}'>"
                         f"<td>{number}</td><td>{html.escape(name)}</td><td>○</td>"
                         f"<td style='text-align:left'>{html.escape(reason)}</td></tr>")
            continue
        mark, mark_color = ("✔", OK_COLOR) if op.success else ("✘", ERROR_COLOR)
        warn = "".join(f"<div style='color:#8a6d00'>⚠ {html.escape(str(w))}</div>"
                       for w in (getattr(op, "warnings", None) or ()))
        cells.append(f"<tr><td>{number}</td><td>{html.escape(name)}</td>"
                     f"<td style='color:{mark_color}'>{mark}</td>"
                     f"<td style='text-align:left'><code>{html.escape(_detail(op, secure))}</code>{warn}</td></tr>")
    return (f"<div class='gnb-test-result' style='color:{color};font-weight:bold'>{html.escape(verdict)}</div>"
            f"<table><tr><th>step</th><th>operation</th><th>ok</th><th>detail</th></tr>{''.join(cells)}</table>")


def _failed_before(test: TestExecutionResult, name: str) -> Any:
    """The failing operation if it comes before step ``name`` (None when step ``name`` was reached)."""
    index = STEP_NAMES.index(name) + 1
    return next((op for op in test.operations if not op.success and (op.step or 0) < index), None)


def _reason(op: Any) -> str:
    """Why a later section did not run: the failing step, its error said once, in the steps below."""
    return f"step {op.step} · {op.name} failed (its error is in the steps below)"


def _request_section(engine: ActionEngine, test: TestExecutionResult, inputs: Mapping[str, Any],
                     secure: bool) -> str:
    ops = {op.name: op for op in test.operations}
    blocked = _failed_before(test, _REQUEST_STEPS[0])
    if blocked is not None:
        return not_reached_html("Request not rendered", f"not reached: {_reason(blocked)}",
                                "gnb-lab-request-failed")
    for name in _REQUEST_STEPS:
        op = ops.get(name)
        if op is not None and not op.success:
            return problem_html("Request template does not render", _detail(op, secure=False),
                                "gnb-lab-request-failed")
    try:
        return request_html(engine.masked(engine.render_request(inputs)), secure=secure)
    except Exception as err:  # noqa: BLE001 - a template being typed is often broken: show why
        return problem_html("Request template does not render", str(err), "gnb-lab-request-failed")


_UNRESOLVED = re.compile(r"\$!?\{([A-Za-z_][\w.-]*)\}|\$!?([A-Za-z_][\w-]*)")
_CLOSERS = {"{": "}", "[": "]"}


def unbalanced(text: str) -> str:
    """What bracket the JSON text leaves open or closes too often, outside strings ("" when balanced)."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped, in_string = (False, in_string) if escaped else (char == "\\", char != '"')
            continue
        if char == '"':
            in_string = True
        elif char in _CLOSERS:
            stack.append(char)
        elif char in _CLOSERS.values() and (not stack or _CLOSERS[stack.pop()] != char):
            return f"a {char!r} closes nothing that is open"
    if stack:
        return f"a {stack[-1]!r} is never closed (add {_CLOSERS[stack[-1]]!r})"
    return ""


def output_hint(text: str, variables: Sequence[str]) -> str:
    """Why a success template's text is not JSON, in the template's terms: a reference left as it was
    (an unknown variable), or a bracket left open; "" when neither explains it."""
    known = set(variables) | {"rawResult", "input", "successTemplateUtils"}
    for match in _UNRESOLVED.finditer(text):
        name = match.group(1) or match.group(2)
        if name.split(".")[0] not in known:
            listed = ", ".join(sorted(variables)) or "none"
            return (f"${{{name}}} stayed in the text: no translation variable of that name (the translation "
                    f"map has: {listed}); fix the name, or add it to the translation map")
    return unbalanced(text)


def _translation_and_output(engine: ActionEngine, test: TestExecutionResult, inputs: Mapping[str, Any],
                            remote_why: str, secure: bool) -> tuple[str, str]:
    ops = {op.name: op for op in test.operations}
    execute = ops.get(_EXECUTE)
    if execute is None or not execute.success:
        if execute is not None:
            reason = remote_why or f"not reached: {_reason(execute)}"
        else:
            blocked = _failed_before(test, _EXECUTE)
            reason = f"not reached: {_reason(blocked)}" if blocked is not None else "not reached"
        return (not_reached_html("Translation map not evaluated", reason, "gnb-lab-translation-failed"),
                not_reached_html("Output not evaluated", reason, "gnb-lab-output-failed"))
    body = execute.result
    try:
        translation = engine.translate(body)
    except Exception as err:  # noqa: BLE001 - a JSONPath being typed: show why, never keep an old view
        message = f"the translation map could not be evaluated: {err}"
        return (problem_html("Translation map failed", message, "gnb-lab-translation-failed"),
                not_reached_html("Output not evaluated", "not reached: the translation map failed",
                                 "gnb-lab-output-failed"))
    translation_view = translation_html(translation_rows(engine.translation_map, translation), secure=secure)
    step = ops.get(_TRANSLATE)
    if not translation.ok or step is None or not step.success:
        return translation_view, not_reached_html(
            "Output not evaluated", "not reached: a translation variable failed", "gnb-lab-output-failed")
    transform = ops.get(_TRANSFORM)
    if transform is not None and not transform.success:
        message = _detail(transform, secure=False)
        text = transform.result if isinstance(transform.result, str) else None
        if text is not None:
            hint = output_hint(text, list(engine.translation_map))
            return translation_view, output_html(text, None, [], parse_error=hint or message, secure=secure)
        return translation_view, problem_html("Success template does not render", message,
                                              "gnb-lab-output-failed")
    validate = ops.get(_VALIDATE_OUTPUT)
    output = transform.result if transform is not None else None
    text = json.dumps(output, indent=2, ensure_ascii=False, default=str)
    problems = engine.check_output(output) if validate is not None and not validate.success else []
    if validate is not None and not validate.success and not problems:  # a limit the engine checks itself
        return translation_view, problem_html("Output breaks the success schema", _detail(validate, False),
                                              "gnb-lab-output-failed")
    return translation_view, output_html(text, output, problems, secure=secure)


def lab_view(engine: ActionEngine, inputs: Mapping[str, Any], remote: RemoteResponse | None, remote_why: str,
             *, secure: bool = False, map_problem: str = "") -> LabView:
    """Every lab section from one offline /test of ``engine`` with ``inputs`` and the ``remote`` answer.

    ``remote`` None means there is no usable answer and ``remote_why`` says why (in the words of the place
    the answer is typed). ``map_problem`` says the translation map or its defaults are not a JSON object:
    then the test does not run (the platform would not save such a config) and only the request shows.
    """
    listed = [str(p) for p in engine.problems()]
    if map_problem:
        listed.insert(0, map_problem)
    problems = _problems_html(listed)

    def no_answer(_request: Any) -> Any:
        raise NoRemoteAnswer(remote_why or "no remote answer")

    try:
        test = engine.simulate(inputs, remote=remote if remote is not None else no_answer)
    except Exception as err:  # noqa: BLE001 - never leave an older result on screen
        why = f"the offline test could not run: {err}"
        failed = problem_html("Not evaluated", why, "gnb-lab-failed")
        return LabView(problems, failed, failed, failed, steps_html(None, not_run=why), None)
    request = _request_section(engine, test, inputs, secure)
    if map_problem:
        reason = f"fix the config first: {map_problem}"
        return LabView(problems, request, problem_html("Translation map", map_problem, "gnb-lab-translation-failed"),
                       not_reached_html("Output not evaluated", reason, "gnb-lab-output-failed"),
                       steps_html(None, not_run=reason), None)
    translation, output = _translation_and_output(engine, test, inputs, remote_why, secure)
    return LabView(problems, request, translation, output, steps_html(test, secure=secure), test)
