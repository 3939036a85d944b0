"""ActionForm: an ipywidgets form built from an action's input contract, with live validator messages.

The form only shows what others decided: :mod:`genesys_nb.widgets.spec` says which input each field
gets, :mod:`genesys_nb.widgets.values` how typed text becomes JSON; :mod:`genesys_nb.contract.validator` says what is wrong with it.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from genesys_nb.api.models import Action, FieldError
from genesys_nb.contract.validator import ContractSchemaError, compile_contract, field_errors

from .spec import NOT_SET, FieldSpec, constraint_hint, field_path_of, field_specs, spec_at
from .values import convert_inputs, example_value, initial_inputs, inputs_from_value, item_initial_input

__all__ = ["ActionForm", "css_class_for"]

ERROR_COLOR = "#b00020"


def css_class_for(path: str) -> str:
    """The CSS class a field's input carries (``gnb-field-<path>``), for browser tests and styling."""
    return "gnb-field-" + (re.sub(r"[^A-Za-z0-9_-]", "-", path) or "root")


def _label_html(spec: FieldSpec) -> str:
    required = f' <span style="color:{ERROR_COLOR}" title="required">*</span>' if spec.required else ""
    hint = constraint_hint(spec)
    hint_html = f' <span style="color:var(--jp-ui-font-color2, #666);font-size:90%">({html.escape(hint)})</span>' if hint else ""
    text = f"<b>{html.escape(spec.name or spec.label)}</b>{required}{hint_html}"
    if spec.has_default:
        text += f' <span style="color:var(--jp-ui-font-color2, #666);font-size:90%">default: {html.escape(repr(spec.default))}</span>'
    if spec.description:
        text += f'<div style="color:var(--jp-ui-font-color2, #555);font-size:90%">{html.escape(spec.description)}</div>'
    if spec.kind == "raw_json" and spec.reason:
        text += f'<div style="color:#8a6d00;font-size:90%">raw JSON: {html.escape(spec.reason)}</div>'
    return text


def _errors_html(messages: list[str]) -> str:
    if not messages:
        return ""
    items = "<br>".join(f"⚠ {html.escape(message, quote=False)}" for message in messages)
    return f'<span class="gnb-error" style="color:{ERROR_COLOR};font-size:90%">{items}</span>'


class _Node:
    """One field on screen: its widgets, and how to read and write its raw value."""

    def __init__(self, form: ActionForm, spec: FieldSpec) -> None:
        self.form = form
        self.spec = spec
        self.error = widgets.HTML(value="")
        form.error_labels[spec.path] = self.error
        self.label = widgets.HTML(value=_label_html(spec))
        self.widget: widgets.Widget = widgets.VBox()

    def raw(self) -> Any:
        raise NotImplementedError

    def set_raw(self, raw: Any) -> None:
        raise NotImplementedError

    def unregister(self) -> None:
        self.form.error_labels.pop(self.spec.path, None)
        self.form.fields.pop(self.spec.path, None)


class _ScalarNode(_Node):
    def __init__(self, form: ActionForm, spec: FieldSpec) -> None:
        super().__init__(form, spec)
        example = example_value(spec)
        placeholder = f"e.g. {example}" if example else (spec.json_type or "")
        layout = widgets.Layout(width="auto", max_width="40em")
        control: widgets.ValueWidget
        if spec.kind == "password":
            control = widgets.Password(placeholder=placeholder, layout=layout)
        elif spec.kind == "checkbox":
            control = widgets.Checkbox(value=False, indent=False, description="")
        elif spec.kind == "dropdown":
            choices = [("— not set —", NOT_SET)] + [(_option_label(option), option) for option in spec.options]
            control = widgets.Dropdown(options=choices, value=NOT_SET, layout=layout)
        elif spec.kind == "raw_json":
            control = widgets.Textarea(placeholder='{"key": "value"}' if spec.json_type == "object" else "JSON",
                                       rows=4 if spec.path == "" else 2,
                                       layout=widgets.Layout(width="auto", max_width="60em"))
        else:  # text, number, integer: typed text, parsed by the spec
            control = widgets.Text(placeholder=placeholder, layout=layout)
        control.add_class("gnb-field")
        control.add_class(css_class_for(spec.path))
        control.observe(lambda change, path=spec.path: form._on_change(change, path), names="value")
        self.control = control
        form.fields[spec.path] = control
        self.widget = widgets.VBox([self.label, control, self.error], layout=widgets.Layout(margin="0 0 6px 0"))

    def raw(self) -> Any:
        return self.control.value

    def set_raw(self, raw: Any) -> None:
        self.control.value = raw


class _ObjectNode(_Node):
    def __init__(self, form: ActionForm, spec: FieldSpec) -> None:
        super().__init__(form, spec)
        self.children = {child.name: _build(form, child) for child in spec.children}
        body = widgets.VBox([child.widget for child in self.children.values()],
                            layout=widgets.Layout(border_left="3px solid #ddd", padding="0 0 0 10px"))
        self.widget = widgets.VBox([self.label, self.error, body], layout=widgets.Layout(margin="0 0 6px 0"))

    def raw(self) -> dict[str, Any]:
        return {name: child.raw() for name, child in self.children.items()}

    def set_raw(self, raw: Any) -> None:
        for name, child in self.children.items():
            child.set_raw(raw.get(name, initial_inputs([child.spec])[name]))

    def unregister(self) -> None:
        super().unregister()
        for child in self.children.values():
            child.unregister()


class _ArrayNode(_Node):
    def __init__(self, form: ActionForm, spec: FieldSpec) -> None:
        super().__init__(form, spec)
        self.items: list[_Node] = []
        self.rows = widgets.VBox(layout=widgets.Layout(border_left="3px solid #ddd", padding="0 0 0 10px"))
        self.add_button = widgets.Button(description="add item", icon="plus", button_style="")
        self.add_button.add_class(css_class_for(spec.path) + "-add")
        self.add_button.on_click(lambda _button: self.add())
        form.add_buttons[spec.path] = self.add_button
        self.widget = widgets.VBox([self.label, self.rows, self.add_button, self.error],
                                   layout=widgets.Layout(margin="0 0 6px 0"))

    def raw(self) -> list[Any]:
        return [item.raw() for item in self.items]

    def set_raw(self, raw: Any) -> None:
        self._rebuild(list(raw) if isinstance(raw, list) else [])

    def add(self) -> None:
        self._rebuild([*self.raw(), item_initial_input(self.spec)])
        self.form.touched.add(self.spec.path)
        self.form.validate()

    def remove(self, index: int) -> None:
        values = self.raw()
        del values[index]
        self._rebuild(values)
        self.form.touched.add(self.spec.path)
        self.form.validate()

    def _rebuild(self, raws: list[Any]) -> None:
        for item in self.items:
            item.unregister()
        for path in [p for p in self.form.remove_buttons if p.startswith(f"{self.spec.path}[")]:
            del self.form.remove_buttons[path]
        assert self.spec.item is not None
        self.items = []
        rows = []
        with self.form._quiet():
            for index, raw in enumerate(raws):
                item = _build(self.form, spec_at(self.spec.item, f"{self.spec.path}[{index}]"))
                item.set_raw(raw)
                remove = widgets.Button(description="remove", icon="trash", layout=widgets.Layout(width="auto"))
                remove.on_click(lambda _button, position=index: self.remove(position))
                self.form.remove_buttons[item.spec.path] = remove
                self.items.append(item)
                rows.append(widgets.HBox([item.widget, remove]))
        self.rows.children = rows

    def unregister(self) -> None:
        super().unregister()
        self.form.add_buttons.pop(self.spec.path, None)
        for item in self.items:
            item.unregister()


def _option_label(option: Any) -> str:
    if isinstance(option, bool):
        return "true" if option else "false"
    return str(option)


def _build(form: ActionForm, spec: FieldSpec) -> _Node:
    if spec.kind == "object":
        return _ObjectNode(form, spec)
    if spec.kind == "array":
        return _ArrayNode(form, spec)
    return _ScalarNode(form, spec)


class ActionForm(widgets.VBox):
    """A form for an action's input: one input per field, live messages from the contract validator.

    ``form.value`` is the input dict (settable: the round trip holds for anything the form can show);
    ``form.fields[path]`` is the input widget of a field (dotted paths, ``items[0].sku`` for arrays);
    ``form.errors`` holds the validator's current :class:`FieldError` list.

    A field's message shows once the field was touched (edited) or the form submitted (:meth:`submit`),
    not on a fresh form: "is a required property" before anyone typed is noise. ``is_valid`` and
    ``errors`` always tell the whole truth.
    """

    def __init__(self, action: Action, **kwargs: Any) -> None:
        self.action = action
        self.specs: list[FieldSpec] = field_specs(action.input_schema, secure=action.secure)
        self.fields: dict[str, widgets.ValueWidget] = {}
        self.error_labels: dict[str, widgets.HTML] = {}
        self.add_buttons: dict[str, widgets.Button] = {}
        self.remove_buttons: dict[str, widgets.Button] = {}
        self.errors: list[FieldError] = []
        self.problems: dict[str, str] = {}
        self.touched: set[str] = set()
        self.submitted = False
        self._callbacks: list[Callable[[dict[str, Any]], None]] = []
        self._silent = 0
        self.form_errors = widgets.HTML(value="")
        self._validator: Any = None
        contract_problem = ""
        if action.input_schema:
            try:
                self._validator = compile_contract(action.input_schema, label=f"action '{action.name}'")
            except ContractSchemaError as err:
                contract_problem = str(err)
        title = widgets.HTML(value=f"<h4 style='margin:4px 0'>{html.escape(action.name or action.id)}"
                                   f"{' 🔒 secure' if action.secure else ''}</h4>")
        self.contract_notice = widgets.HTML(value=_errors_html([contract_problem]) if contract_problem else "")
        with self._quiet():
            self._nodes = [_build(self, spec) for spec in self.specs]
            self._set_raw(initial_inputs(self.specs))
        super().__init__([title, self.contract_notice, *[node.widget for node in self._nodes], self.form_errors],
                         **kwargs)
        self.add_class("gnb-action-form")
        self.validate()

    # ---- value

    @property
    def raw(self) -> dict[str, Any]:
        """The widgets' raw values, nested like the schema (see :mod:`genesys_nb.widgets.spec`)."""
        return {node.spec.name: node.raw() for node in self._nodes}

    @property
    def value(self) -> dict[str, Any]:
        return convert_inputs(self.specs, self.raw).value

    @value.setter
    def value(self, new_value: dict[str, Any]) -> None:
        raw = inputs_from_value(self.specs, new_value)
        with self._quiet():
            self._set_raw(raw)
        self.touched |= set(self.error_labels)  # a value given in full is answered in full
        self.validate()
        self._notify()

    def reset(self) -> None:
        """Back to the schema defaults (and to a fresh form: no message until a field is touched)."""
        with self._quiet():
            self._set_raw(initial_inputs(self.specs))
        self.touched.clear()
        self.submitted = False
        self.validate()
        self._notify()

    def on_change(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call ``callback(value)`` after every edit (after the messages are updated)."""
        self._callbacks.append(callback)

    # ---- validation

    @property
    def is_valid(self) -> bool:
        return not self.errors and not self.problems

    @property
    def error_messages(self) -> dict[str, list[str]]:
        """Messages currently shown, by the form path they are shown at ("" = under the form)."""
        return {path: messages for path, messages in self.all_messages.items() if self._visible(path)}

    @property
    def all_messages(self) -> dict[str, list[str]]:
        """Every current message, shown or not yet (a field nobody touched), by form path."""
        found: dict[str, list[str]] = {}
        for path, message in self._messages():
            found.setdefault(path, []).append(message)
        return found

    def submit(self) -> bool:
        """Show every message, touched or not (what a Submit/Execute does); True when the input is valid."""
        self.submitted = True
        self.validate()
        return self.is_valid

    def _visible(self, path: str) -> bool:
        if self.submitted or path in self.touched:
            return True
        if path == "":
            return bool(self.touched)
        return any(t.startswith((f"{path}.", f"{path}[")) for t in self.touched)

    def validate(self) -> list[FieldError]:
        """Re-check the current value and refresh every field's message; returns the validator's errors."""
        conversion = convert_inputs(self.specs, self.raw)
        self.problems = conversion.problems
        if self._validator is not None:
            self.errors = field_errors(self._validator, conversion.value, redact=self.action.secure,
                                       label=f"action '{self.action.name}'")
        else:
            self.errors = []
        by_path = self.error_messages
        for path, label in self.error_labels.items():
            label.value = _errors_html(by_path.get(path, []))
        if "" not in self.error_labels:
            self.form_errors.value = _errors_html(by_path.get("", []))
        return self.errors

    def _messages(self) -> list[tuple[str, str]]:
        out = [(self._shown_at(path), message) for path, message in self.problems.items()]
        out += [(self._shown_at(field_path_of(error.path)), error.message) for error in self.errors]
        return out

    def _shown_at(self, path: str) -> str:
        """The nearest field on screen for a path (a missing array item shows at its array)."""
        while path and path not in self.error_labels:
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return path

    # ---- internals

    def _set_raw(self, raw: dict[str, Any]) -> None:
        for node in self._nodes:
            node.set_raw(raw.get(node.spec.name))

    def _on_change(self, _change: Any, path: str | None = None) -> None:
        if self._silent:
            return
        if path is not None:
            self.touched.add(path)
        self.validate()
        self._notify()

    def _notify(self) -> None:
        value = self.value
        for callback in self._callbacks:
            callback(value)

    def _quiet(self) -> _Quiet:
        return _Quiet(self)


class _Quiet:
    """Suspends per-keystroke validation while the form itself sets many widgets at once."""

    def __init__(self, form: ActionForm) -> None:
        self.form = form

    def __enter__(self) -> None:
        self.form._silent += 1

    def __exit__(self, *_exc: object) -> None:
        self.form._silent -= 1
