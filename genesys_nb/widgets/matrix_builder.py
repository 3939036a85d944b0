"""MatrixBuilder: choose per field a fixed value, a list, a numeric range or values derived from the contract.

Shows the row count and a preview DataFrame as choices change; ``.matrix`` is the ParameterMatrix.
A CSV file or a DataFrame can be imported instead, and "derive all cases" takes every case
:meth:`ParameterMatrix.from_schema` finds (expected-invalid ones included).
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from genesys_nb.api.models import Action
from genesys_nb.run.matrix import STRATEGIES, MatrixError, ParameterMatrix, delimiter_name

from .matrix_spec import AxisChoice, build_matrix, default_choice, matrix_fields, modes_for
from .render import fit_layout as _fit
from .render import frame_html, widget_hint
from .spec import FieldSpec, constraint_hint, field_specs

__all__ = ["MatrixBuilder"]

PREVIEW_ROWS = 20
_HIDDEN = widgets.Layout(display="none")


def _error(text: str) -> str:
    return f"<span class='gnb-error' style='color:#b00020'>{html.escape(text)}</span>"


class MatrixBuilder(widgets.VBox):
    """Build a ParameterMatrix for an action field by field (or import one); ``.matrix`` gives it.

    Children a test (or a user) drives, keyed by dotted field path: ``modes[path]`` (Dropdown of
    omit/fixed/list/range/derive), ``values[path]`` (Text for fixed values and comma lists),
    ``range_start/range_stop/range_step[path]``; also ``strategy`` + ``derive_button``,
    ``csv_path`` + ``import_button``, ``clear_button``. ``row_count`` and ``preview`` show the result,
    ``problems`` what cannot be read.
    """

    def __init__(self, action: Action, **kwargs: Any) -> None:
        self.action = action
        self.specs = field_specs(action.input_schema, secure=action.secure)
        self.fields: list[FieldSpec] = [s for s in matrix_fields(self.specs) if s.path != ""]
        self.modes: dict[str, widgets.Dropdown] = {}
        self.values: dict[str, widgets.Text] = {}
        self.range_start: dict[str, widgets.Text] = {}
        self.range_stop: dict[str, widgets.Text] = {}
        self.range_step: dict[str, widgets.Text] = {}
        self._range_boxes: dict[str, widgets.HBox] = {}
        self.imported: ParameterMatrix | None = None
        self.imported_from = ""
        self._matrix: ParameterMatrix | None = None

        rows = [self._field_row(spec) for spec in self.fields]
        self.row_count = widgets.HTML()
        self.row_count.add_class("gnb-row-count")
        self.problems = widgets.HTML()
        self.preview = widgets.HTML()
        self.strategy = widgets.Dropdown(options=list(STRATEGIES), value="boundary", description="strategy")
        self.derive_button = widgets.Button(layout=_fit(), description="Derive all cases", icon="magic",
                                            tooltip="every case the contract suggests, expected-invalid ones too")
        self.csv_path = widgets.Text(placeholder="path/to/matrix.csv", description="CSV file")
        self.import_button = widgets.Button(layout=_fit(), description="Import CSV", icon="upload")
        self.clear_button = widgets.Button(layout=_fit(), description="Back to field choices", icon="undo")
        self.derive_button.on_click(lambda _button: self.derive_all())
        self.import_button.on_click(lambda _button: self._import_clicked())
        self.clear_button.on_click(lambda _button: self.clear_import())

        header = widgets.HTML(value=f"<h4 style='margin:4px 0'>Input matrix for "
                                    f"{html.escape(action.name or action.id)}</h4>")
        super().__init__([
            header,
            widgets.VBox(rows) if rows else widgets.HTML("<i>this action's contract declares no fields</i>"),
            widgets.HBox([self.strategy, self.derive_button]),
            widgets.HBox([self.csv_path, self.import_button, self.clear_button]),
            self.row_count, self.problems, self.preview,
        ], **kwargs)
        self.add_class("gnb-matrix-builder")
        self.refresh()

    # ---- per-field rows

    def _field_row(self, spec: FieldSpec) -> widgets.Widget:
        choice = default_choice(spec)
        mode = widgets.Dropdown(options=list(modes_for(spec)), value=choice.mode, layout=widgets.Layout(width="8em"))
        placeholder = "value" if spec.kind not in ("array", "raw_json") else "JSON value"
        value = widgets.Text(value=choice.text, placeholder=f"{placeholder} (list: a, b, c)",
                             layout=widgets.Layout(width="22em"))
        start = widgets.Text(placeholder="start", layout=widgets.Layout(width="7em"))
        stop = widgets.Text(placeholder="stop (included)", layout=widgets.Layout(width="9em"))
        stop.tooltip = "the stop is part of the range, even off the step's grid"
        step = widgets.Text(value="1", placeholder="step", layout=widgets.Layout(width="6em"))
        if spec.minimum is not None:
            start.value = str(spec.minimum)
        if spec.maximum is not None:
            stop.value = str(spec.maximum)
        range_label = widgets.HTML(value="<span style='color:var(--jp-ui-font-color2, #666);font-size:90%'>from, to (included), step</span>")
        range_box = widgets.HBox([range_label, start, stop, step])
        self.modes[spec.path] = mode
        self.values[spec.path] = value
        self.range_start[spec.path], self.range_stop[spec.path], self.range_step[spec.path] = start, stop, step
        self._range_boxes[spec.path] = range_box
        for control in (mode, value, start, stop, step):
            control.observe(lambda _change: self.refresh(), names="value")
        hint = constraint_hint(spec)
        options = f" one of {list(spec.options)}" if spec.options else ""
        label = widgets.HTML(
            value=f"<b>{html.escape(spec.path)}</b>{' *' if spec.required else ''} "
                  f"<span style='color:var(--jp-ui-font-color2, #666);font-size:90%'>{html.escape(hint + options)}</span>",
            layout=widgets.Layout(width="22em"))
        return widgets.HBox([label, mode, value, range_box])

    def choices(self) -> dict[str, AxisChoice]:
        """The current choice of every field."""
        return {path: AxisChoice(mode.value, self.values[path].value, self.range_start[path].value,
                                 self.range_stop[path].value, self.range_step[path].value)
                for path, mode in self.modes.items()}

    # ---- the matrix

    @property
    def matrix(self) -> ParameterMatrix:
        """The matrix the choices (or the import) give. ValueError says which field cannot be read."""
        if self.imported is not None:
            return self.imported
        return build_matrix(self.specs, self.choices())

    def refresh(self) -> None:
        """Re-read the choices; update the row count, the preview and the messages."""
        for path, mode in self.modes.items():
            self.values[path].layout.display = "" if mode.value in ("fixed", "list") else "none"
            self._range_boxes[path].layout.display = "" if mode.value == "range" else "none"
        try:
            matrix = self.matrix
        except (ValueError, MatrixError) as err:
            self._matrix = None
            self.problems.value = _error(str(err))
            self.row_count.value = "<b>rows:</b> —"
            self.preview.value = ""
            return
        self._matrix = matrix
        rejected = matrix.rejected(self.action)  # typed, derived or imported: checked alike, before a run
        self.problems.value = self._rejections(rejected)
        source = f" (imported from {html.escape(self.imported_from)})" if self.imported is not None else ""
        delimiter = getattr(matrix, "csv_delimiter", None)
        if self.imported is not None and delimiter not in (None, ","):
            source += f", read with {delimiter_name(delimiter)} as delimiter"
        self.row_count.value = f"<b>rows:</b> {len(matrix)}{source}"
        frame = matrix.to_dataframe()
        if len(rejected):  # the cells the contract would refuse, marked in place
            reasons = rejected[~rejected["expected_invalid"]].groupby("row_id")["field"].apply(", ".join)
            frame.insert(1, "rejected", [reasons.get(row_id, "") for row_id in frame["row_id"]])
        self.preview.value = frame_html(frame.drop(columns=["row_id"], errors="ignore"), max_rows=PREVIEW_ROWS,
                                        index=True)

    def _rejections(self, rejected: Any) -> str:
        """A warning listing the rows the input contract would refuse, each problem once with its rows
        (nothing is sent); rows derived to be refused are left out: that is their purpose."""
        rejected = rejected[~rejected["expected_invalid"]]
        if not len(rejected):
            return ""
        problems = rejected.groupby(["field", "message"], sort=False)["row"].apply(list)
        items = []
        for (field, message), rows in list(problems.items())[:5]:
            listed = ", ".join(str(row) for row in rows[:8]) + (" …" if len(rows) > 8 else "")
            items.append(f"<li>{html.escape(f'{field}: {message}')} (row{'s' if len(rows) > 1 else ''} "
                         f"{html.escape(listed)})</li>")
        more = f"<li>and {len(problems) - 5} more problem(s)</li>" if len(problems) > 5 else ""
        count = rejected["row"].nunique()
        where = "imported row(s)" if self.imported is not None else "row(s)"
        return (f"<div class='gnb-error gnb-rejections' style='color:#b00020'>{count} {where} would be refused "
                f"by the input contract; fix the values before Run:<ul>{''.join(items)}{more}</ul></div>")

    # ---- imports

    def derive_all(self, strategy: str | None = None) -> ParameterMatrix:
        """Take every case the contract suggests (``ParameterMatrix.from_schema``) as the matrix."""
        chosen = strategy or self.strategy.value
        matrix = ParameterMatrix.from_schema(self.action, strategy=chosen)
        return self._use(matrix, f"the contract ({chosen})")

    def import_csv(self, path: str | Path) -> ParameterMatrix | None:
        """Rows from a CSV file, cells read as the contract's types; a bad cell is shown, not raised."""
        try:
            matrix = ParameterMatrix.from_csv(path, action=self.action)
        except (OSError, MatrixError, ValueError) as err:
            self.problems.value = _error(widget_hint(str(err)))
            return None
        return self._use(matrix, str(path))

    def import_dataframe(self, frame: Any) -> ParameterMatrix:
        """Rows from a pandas DataFrame (dotted column names address nested fields)."""
        return self._use(ParameterMatrix.from_dataframe(frame), "a DataFrame")

    def clear_import(self) -> None:
        """Back to the per-field choices."""
        self.imported = None
        self.imported_from = ""
        self.refresh()

    def _import_clicked(self) -> None:
        if not self.csv_path.value.strip():
            self.problems.value = _error("type the path of a CSV file with a header row first")
            return
        self.import_csv(Path(self.csv_path.value.strip()).expanduser())

    def _use(self, matrix: ParameterMatrix, source: str) -> ParameterMatrix:
        self.imported = matrix
        self.imported_from = source
        self.refresh()
        return matrix
