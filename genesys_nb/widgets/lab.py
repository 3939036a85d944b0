"""ActionLab: an action's config evaluated step by step as you type, offline, with an optional /test diff.

Pick an action (from an org or the emulator, or give an export), fill its inputs, give the remote
endpoint's answer (or record it from a live org), and read every step: the rendered URL and body, each
translation variable with its value and whether its default was used, the output and its contract
check. The request template, translation map and success template are editable; every step is
evaluated again on each change.
"""
from __future__ import annotations

import copy
import dataclasses
import html
import json
from typing import Any

import ipywidgets as widgets

from genesys_nb.api.errors import GenesysNBError
from genesys_nb.api.models import Action, TestExecutionResult
from genesys_nb.engine.engine import ActionEngine
from genesys_nb.engine.recording import EXECUTE_STEP, record
from genesys_nb.engine.remote import RemoteResponse
from genesys_nb.run.preview import engine_for

from ._lab_render import diff_html, diff_rows, problem_html
from ._lab_sections import lab_view
from .form import ActionForm
from .render import action_label, error_html
from .render import fit_layout as _fit

__all__ = ["ActionLab"]


def _wide() -> widgets.Layout:
    """A fresh layout per widget: a shared Layout is one model, so hiding one widget would hide all."""
    return widgets.Layout(width="auto", min_width="20em")


def _client_of(source: Any) -> Any:
    """The API client of a session from ``connect()`` or a client itself; None for anything else."""
    client = getattr(source, "client", source)
    return client if callable(getattr(client, "list_actions", None)) and callable(
        getattr(client, "get_action", None)) else None


def _textarea(value: str, css: str, rows: int = 6) -> widgets.Textarea:
    box = widgets.Textarea(value=value, rows=rows, continuous_update=True, layout=_wide())
    box.add_class(css)
    return box


def _heading(text: str) -> widgets.HTML:
    return widgets.HTML(value=f"<h4 style='margin:10px 0 2px 0'>{text}</h4>")


def _remote_text(remote: Any) -> tuple[str, int]:
    if remote is None:
        return "", 200
    if isinstance(remote, RemoteResponse):
        body, status = remote.body, remote.status
    else:
        body, status = remote, 200
    return (body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False)), status


class ActionLab(widgets.VBox):
    """Evaluate an action's templates and translation map offline, step by step, as you edit them.

    ``source`` is a session from ``genesys_nb.connect()`` or a client (then ``action`` picks one of the
    org's actions by id or name, and Record and "Diff with live /test" use the org), or an
    ActionEngine, an Action, an exported action dict or the path of an export file. ``remote`` is the
    remote endpoint's answer (a JSON value or a RemoteResponse) put in the response box. ``credentials`` and
    ``auth_response`` are the fields templates read as ``${credentials.X}`` / ``${authResponse.X}``; the
    rendered request and the steps show ``********`` in their place.

    Children a test (or a user) drives: ``action_picker``, ``form`` (the :class:`ActionForm`),
    ``remote_box`` and ``status_box``, ``url_box``, ``request_box``, ``translation_box``,
    ``defaults_box``, ``success_box``, ``record_button``, ``diff_button``. What each step shows is in
    the HTML widgets ``request_view``, ``translation_view``, ``output_view``, ``steps_view`` and
    ``diff_view``; ``last_test`` is the offline TestExecutionResult, ``last_diff`` the diff rows.
    """

    def __init__(self, source: Any, action: str | None = None, *, remote: Any = None,
                 reveal_secure: bool = False, credentials: dict[str, Any] | None = None,
                 auth_response: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.client = _client_of(source)
        self._secrets = {"credentials": credentials, "auth_response": auth_response}  # never displayed
        self.reveal_secure = reveal_secure
        self.actions: list[Action] = []
        self.engine: ActionEngine | None = None
        self.form: ActionForm | None = None
        self.last_test: TestExecutionResult | None = None
        self.last_live: TestExecutionResult | None = None
        self.last_diff: list[dict[str, Any]] = []
        self._loading = False

        self.action_picker = widgets.Dropdown(options=[], description="Action", layout=_wide())
        self.summary = widgets.HTML(value="")
        self.problems_view = widgets.HTML(value="")
        self.problems_view.add_class("gnb-lab-problems")
        self.form_box = widgets.VBox()
        text, status = _remote_text(remote)
        self.remote_box = _textarea(text, "gnb-lab-remote", rows=8)
        self.remote_box.placeholder = '{"id": "..."}  the remote endpoint\'s JSON answer'
        self.status_box = widgets.BoundedIntText(value=status, min=100, max=599, description="status")
        self.record_button = widgets.Button(layout=_fit(), description="Record", icon="circle",
                                            tooltip="run the live /test and keep the remote's answer")
        self.url_box = widgets.Text(value="", description="URL", layout=_wide(), continuous_update=True)
        self.url_box.add_class("gnb-lab-url-template")
        self.request_box = _textarea("", "gnb-lab-request-template")
        self.translation_box = _textarea("{}", "gnb-lab-translation-map", rows=4)
        self.defaults_box = _textarea("{}", "gnb-lab-translation-defaults", rows=3)
        self.success_box = _textarea("", "gnb-lab-success-template", rows=4)
        self.request_view = widgets.HTML(value="")
        self.request_view.add_class("gnb-lab-request")
        self.translation_view = widgets.HTML(value="")
        self.translation_view.add_class("gnb-lab-translation")
        self.output_view = widgets.HTML(value="")
        self.output_view.add_class("gnb-lab-output")
        self.steps_view = widgets.HTML(value="")
        self.steps_view.add_class("gnb-lab-steps")
        self.diff_button = widgets.Button(layout=_fit(), description="Diff with live /test", icon="exchange")
        self.diff_view = widgets.HTML(value="")
        self.diff_view.add_class("gnb-lab-diff")
        self.message = widgets.HTML(value="")

        live = self.client is not None
        for button in (self.record_button, self.diff_button):
            button.disabled = not live
            if not live:
                button.tooltip = "needs a connected org (pass genesys_nb.connect() as the source)"
        self.action_picker.layout.display = None if live else "none"
        for box in (self.remote_box, self.status_box, self.url_box, self.request_box, self.translation_box,
                    self.defaults_box, self.success_box):
            box.observe(lambda _change: self.evaluate(), names="value")
        self.action_picker.observe(self._on_pick, names="value")
        self.record_button.on_click(lambda _button: self.record())
        self.diff_button.on_click(lambda _button: self.diff())

        half = widgets.Layout(width="50%", min_width="0", padding="0 8px 0 0")
        edit = widgets.VBox([
            _heading("Inputs"), self.form_box,
            _heading("Remote response"), widgets.HBox([self.status_box, self.record_button]), self.remote_box,
            _heading("Config (editable)"), self.url_box,
            widgets.HTML("request template"), self.request_box,
            widgets.HTML("translation map (JSON)"), self.translation_box,
            widgets.HTML("translation map defaults (JSON)"), self.defaults_box,
            widgets.HTML("success template"), self.success_box,
        ], layout=half)
        steps = widgets.VBox([
            _heading("1 · Request"), self.request_view,
            _heading("2 · Translation map"), self.translation_view,
            _heading("3 · Output"), self.output_view,
            _heading("Steps, as /test reports them"), self.steps_view,
            self.diff_button, self.diff_view,
        ], layout=half)
        super().__init__([self.action_picker, self.summary, self.problems_view, self.message, widgets.HBox([edit, steps])],
                         **kwargs)
        self.add_class("gnb-action-lab")
        if live:
            self._list_actions(action)
        else:
            self.load(engine_for(source).action)

    # ---- choose the action

    def _list_actions(self, wanted: str | None) -> None:
        try:
            self.actions = self.client.list_actions()
        except GenesysNBError as err:
            self.message.value = error_html(err)
            return
        self.action_picker.options = [(action_label(a), a.id) for a in
                                      sorted(self.actions, key=lambda a: ((a.name or "").lower(), a.id))]
        if wanted is not None:
            matches = [a.id for a in self.actions if wanted in (a.id, a.name)]
            if not matches:
                names = ", ".join(sorted(a.name or a.id for a in self.actions))
                raise ValueError(f"no action with id or name {wanted!r}; the org has: {names}")
            self.action_picker.value = matches[0]
        elif self.action_picker.options and self.action_picker.value is None:
            self.action_picker.value = self.action_picker.options[0][1]

    def _on_pick(self, change: Any) -> None:
        if change["new"] is None:
            return
        try:
            action = self.client.get_action(change["new"])
        except GenesysNBError as err:
            self.message.value = error_html(err)
            return
        self.load(action)

    def load(self, action: Action) -> None:
        """Show ``action``: a fresh form, its templates in the editors, every step evaluated."""
        self.action = action
        self.engine = ActionEngine(action, **self._secrets)
        engine = self.engine
        self._loading = True
        try:
            self.url_box.value = engine.url_template
            self.request_box.value = engine.request_template
            self.translation_box.value = json.dumps(engine.translation_map, indent=2, ensure_ascii=False)
            self.defaults_box.value = json.dumps(engine.translation_defaults, indent=2, ensure_ascii=False)
            self.success_box.value = engine.success_template
        finally:
            self._loading = False
        self.form = ActionForm(action)
        self.form.on_change(self._form_changed)
        self.form_box.children = [self.form]
        self.summary.value = (f"<b>{html.escape(engine.method)}</b> "
                              f"<code>{html.escape(engine.url_template)}</code>")
        self.message.value = ""
        self.diff_view.value = ""
        self.evaluate()

    # ---- evaluate

    @property
    def secure(self) -> bool:
        return bool(self.engine is not None and self.engine.action.secure and not self.reveal_secure)

    def edited_engine(self) -> tuple[ActionEngine | None, str]:
        """An engine over the editors' templates and maps, or None and why the maps are not JSON objects."""
        engine, problem = self._edited()
        return (None, problem) if problem else (engine, "")

    def _edited(self) -> tuple[ActionEngine, str]:
        """An engine over the editors; where a map editor does not hold a JSON object, the saved map and why."""
        assert self.engine is not None
        problem = ""
        maps = {"translation map": self.engine.translation_map,
                "translation map defaults": self.engine.translation_defaults}
        for name, box in (("translation map", self.translation_box), ("translation map defaults",
                                                                      self.defaults_box)):
            try:
                value = json.loads(box.value or "{}")
            except ValueError as err:
                problem = problem or f"the {name} is not JSON ({err})"
                continue
            if not isinstance(value, dict):
                kind = type(value).__name__
                problem = problem or f"the {name} must be a JSON object of name -> value, not a {kind}"
                continue
            maps[name] = value
        action = self.engine.action
        config = copy.deepcopy(action.config or {})
        request = config.setdefault("request", {})
        request["requestUrlTemplate"] = self.url_box.value
        request["requestTemplate"] = self.request_box.value
        response = config.setdefault("response", {})
        response["translationMap"] = maps["translation map"]
        response["translationMapDefaults"] = maps["translation map defaults"]
        response["successTemplate"] = self.success_box.value
        return ActionEngine(dataclasses.replace(action, config=config), **self._secrets), problem

    def remote_response(self) -> tuple[RemoteResponse | None, str]:
        """The response box as a RemoteResponse, or None and why (empty, not JSON)."""
        text = self.remote_box.value
        if not text.strip():
            return None, "no remote response yet: type the remote endpoint's JSON answer above" + (
                ", or press Record" if self.client is not None else "")
        try:
            body = json.loads(text)
        except ValueError as err:
            return None, f"the remote response is not JSON ({err}); the platform fails at Execute request"
        return RemoteResponse(body=body, status=int(self.status_box.value)), ""

    def _form_changed(self, _value: dict[str, Any]) -> None:
        self.evaluate()

    def evaluate(self) -> TestExecutionResult | None:
        """Every section again from the current inputs, answer and editors; returns the offline /test result.

        All sections come from one offline /test (see :func:`lab_view`), so none can keep an older verdict.
        """
        if self._loading or self.engine is None or self.form is None:
            return None
        engine, map_problem = self._edited()
        remote, why = self.remote_response()
        if remote is not None and not remote.ok:
            why = f"the remote answered {remote.status}: the test fails at Execute request"
        view = lab_view(engine, self.form.value, remote, why, secure=self.secure, map_problem=map_problem)
        self.problems_view.value = view.problems
        self.request_view.value = view.request
        self.translation_view.value = view.translation
        self.output_view.value = view.output
        self.steps_view.value = view.steps
        self.last_test = view.test
        return self.last_test

    # ---- the live org

    def record(self) -> RemoteResponse | None:
        """Run the live /test with the form's inputs; put the remote's recorded answer in the response box."""
        if self.client is None or self.engine is None or self.form is None:
            self.message.value = "<i>Record needs a connected org</i>"
            return None
        try:
            recording = record(self.client, self.engine.action.id, [self.form.value])
        except (GenesysNBError, ValueError) as err:
            self.message.value = error_html(err)
            return None
        if not recording.entries:
            self.message.value = ("<i>the live /test failed before calling the remote endpoint "
                                  "(see Diff with live /test); nothing recorded</i>")
            return None
        response = RemoteResponse.from_dict(recording.entries[0]["response"])
        text, status = _remote_text(response)
        self._loading = True
        try:
            self.status_box.value = status
        finally:
            self._loading = False
        self.remote_box.value = text  # re-evaluates
        self.message.value = "<i>recorded the remote's answer from the live /test</i>"
        return response

    def diff(self) -> list[dict[str, Any]]:
        """The live /test against the offline engine, operation by operation, for the form's inputs.

        The offline run is given the remote answer the live run got, so a difference is the config's
        (or the engine's), not the remote's.
        """
        if self.client is None or self.engine is None or self.form is None:
            self.diff_view.value = "<i>Diff needs a connected org</i>"
            return []
        inputs = self.form.value
        try:
            live = self.client.test(self.engine.action.id, inputs)
        except (GenesysNBError, ValueError) as err:
            self.diff_view.value = error_html(err)
            return []
        engine, problem = self.edited_engine()
        if engine is None:
            self.diff_view.value = problem_html("Diff", problem, "gnb-lab-diff-differs")
            return []
        step = next((op for op in live.operations if op.name == EXECUTE_STEP and op.success), None)
        remote: Any = RemoteResponse(body=step.result) if step is not None else self.remote_response()[0]
        offline = engine.simulate(inputs, remote=remote)
        self.last_live = live
        self.last_diff = diff_rows(live, offline)
        self.diff_view.value = diff_html(self.last_diff, secure=self.secure)
        return self.last_diff
