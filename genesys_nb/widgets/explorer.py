"""ActionExplorer: pick an action of the org, read its contract, fill its form, Execute or Test it."""
from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from genesys_nb.api.errors import GenesysNBError
from genesys_nb.api.models import Action
from genesys_nb.contract.validator import DataActionValidator
from genesys_nb.run.executor import DataActionExecutor

from .form import ActionForm
from .render import (
    action_label,
    action_summary,
    categories,
    error_html,
    filter_actions,
    result_html,
    table_html,
    test_html,
)
from .render import (
    fit_layout as _fit,
)

__all__ = ["ActionExplorer"]

_ALL = "(all categories)"


def _client_of(session: Any) -> Any:
    """A session from ``genesys_nb.connect()`` (its ``.client``) or a DataActionsClient itself."""
    return getattr(session, "client", session)


class ActionExplorer(widgets.VBox):
    """Search the org's actions, see the contract and config, fill the form, then Execute or Test.

    Children a test (or a user) drives: ``search_box``, ``category_dropdown``, ``action_picker``,
    ``refresh_button``, ``form`` (the current :class:`ActionForm`), ``timeout_box``, ``flatten_box``,
    ``execute_button``, ``test_button`` and ``output`` (HTML). ``last_result`` / ``last_test`` keep
    what the last click returned.
    """

    def __init__(self, session: Any, *, action: str | None = None, search: str = "", **kwargs: Any) -> None:
        self.session = session
        self.client = _client_of(session)
        self.validator = DataActionValidator(self.client)
        self.executor = DataActionExecutor(self.client, validator=self.validator)
        self.actions: list[Action] = []
        self.action: Action | None = None
        self.form: ActionForm | None = None
        self.last_result: Any = None
        self.last_test: Any = None

        self.search_box = widgets.Text(value=search, placeholder="search by name, id or category",
                                       description="Search")
        self.category_dropdown = widgets.Dropdown(options=[_ALL], value=_ALL, description="Category")
        self.action_picker = widgets.Dropdown(options=[], description="Action",
                                              layout=widgets.Layout(width="auto", min_width="30em"))
        self.refresh_button = widgets.Button(layout=_fit(), description="Refresh list", icon="refresh")
        self.summary = widgets.HTML(value="")
        self.form_box = widgets.VBox()
        self.timeout_box = widgets.BoundedIntText(value=30000, min=1, max=60000, step=1000,
                                                  description="timeout ms")
        self.flatten_box = widgets.Checkbox(value=False, description="flatten output", indent=False)
        self.execute_button = widgets.Button(layout=_fit(), description="Execute", button_style="primary", icon="play")
        self.execute_button.add_class("gnb-execute-button")
        self.test_button = widgets.Button(layout=_fit(), description="Test", icon="stethoscope",
                                          tooltip="POST /test: shows each step, for debugging translation maps")
        self.test_button.add_class("gnb-test-button")
        self.output = widgets.HTML(value="")
        self.output.add_class("gnb-output")

        self.search_box.observe(lambda _change: self._apply_filter(), names="value")
        self.category_dropdown.observe(lambda _change: self._apply_filter(), names="value")
        self.action_picker.observe(self._on_pick, names="value")
        self.refresh_button.on_click(lambda _button: self.refresh())
        self.execute_button.on_click(lambda _button: self.execute())
        self.test_button.on_click(lambda _button: self.test())

        super().__init__([
            widgets.HBox([self.search_box, self.category_dropdown, self.refresh_button]),
            self.action_picker,
            self.summary,
            self.form_box,
            widgets.HBox([self.timeout_box, self.flatten_box]),
            widgets.HBox([self.execute_button, self.test_button]),
            self.output,
        ], **kwargs)
        self.add_class("gnb-action-explorer")
        self.refresh()
        if action is not None:
            self.select(action)

    # ---- list and pick

    def refresh(self) -> None:
        """Fetch the org's actions again (every page) and re-apply the search."""
        try:
            self.actions = self.client.list_actions()
        except GenesysNBError as err:
            self.output.value = error_html(err)
            return
        current = self.category_dropdown.value
        self.category_dropdown.options = [_ALL, *categories(self.actions)]
        self.category_dropdown.value = current if current in self.category_dropdown.options else _ALL
        self._apply_filter()

    def select(self, action: str) -> None:
        """Show the action with this id or exact name (clears the search if it hides it)."""
        matches = [a for a in self.actions if action in (a.id, a.name)]
        if not matches:
            names = ", ".join(sorted(a.name or a.id for a in self.actions))
            raise ValueError(f"no action with id or name {action!r}; the org has: {names}")
        if matches[0].id not in [value for _label, value in self.action_picker.options]:
            self.search_box.value = ""
            self.category_dropdown.value = _ALL
        self.action_picker.value = matches[0].id

    def _apply_filter(self) -> None:
        category = None if self.category_dropdown.value == _ALL else self.category_dropdown.value
        shown = filter_actions(self.actions, self.search_box.value, category)
        options = [(action_label(action), action.id) for action in shown]
        current = self.action_picker.value
        self.action_picker.options = options
        ids = [action_id for _label, action_id in options]
        self.action_picker.value = current if current in ids else (ids[0] if ids else None)

    def _on_pick(self, change: Any) -> None:
        if change["new"] is None:
            self.action = None
            self.form = None
            self.summary.value = "<i>no action matches the search</i>"
            self.form_box.children = []
            return
        self._load(change["new"])

    def _load(self, action_id: str) -> None:
        try:
            action = self.client.get_action(action_id)
        except GenesysNBError as err:
            self.output.value = error_html(err)
            return
        self.validator.prime(action)
        self.action = action
        # Folded by default: open, the contract is ~470 px tall and pushes every result below the fold.
        rows = action_summary(action)
        fields = next((value for key, value in rows if key == "input fields"), "")
        self.summary.value = (f"<details class='gnb-contract'><summary><b>Contract and config</b> · input "
                              f"{html.escape(fields)}</summary>{table_html(rows)}</details>")
        self.form = ActionForm(action)
        self.form_box.children = [self.form]
        self.output.value = ""

    # ---- run

    def execute(self) -> Any:
        """Execute the selected action with the form's value (validation and retries included)."""
        if self.action is None or self.form is None:
            self.output.value = "<i>pick an action first</i>"
            return None
        self.form.submit()  # the form now shows every message, touched or not; the executor checks again
        self.output.value = f"<i>executing {html.escape(self.action.name or self.action.id)}…</i>"
        try:
            result = self.executor.execute(self.action.id, self.form.value, timeout_ms=self.timeout_box.value,
                                           flatten=self.flatten_box.value)
        except (GenesysNBError, ValueError) as err:
            self.output.value = error_html(err)
            return None
        self.last_result = result
        self.output.value = result_html(result, secure=self.action.secure)
        return result

    def test(self) -> Any:
        """Run the action's /test with the form's value and show each operation."""
        if self.action is None or self.form is None:
            self.output.value = "<i>pick an action first</i>"
            return None
        self.form.submit()
        self.output.value = "<i>testing…</i>"
        try:
            test_result = self.client.test(self.action.id, self.form.value, flatten=self.flatten_box.value)
        except (GenesysNBError, ValueError) as err:
            self.output.value = error_html(err)
            return None
        self.last_test = test_result
        self.output.value = test_html(test_result, secure=self.action.secure)
        return test_result
