"""Every notebook runs top to bottom on the embedded emulator, headless, with the project's own kernel.

The kernelspec is installed into a temporary prefix from this interpreter (the venv), so the kernel
that runs the cells is the one with genesys_nb installed, whatever else the machine has. The kernel
gets no org credentials, so ``genesys_nb.connect()`` starts the emulator.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = ["01_explore_actions.ipynb", "02_input_matrix.ipynb", "03_latency_report.ipynb", "04_action_lab.ipynb",
             "05_prepublish_regression.ipynb"]
KERNEL_NAME = "genesys-nb-test"


@pytest.fixture(scope="module")
def kernel_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A kernelspec for this interpreter, installed into a private prefix (nothing global changes)."""
    prefix = tmp_path_factory.mktemp("kernel-prefix")
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", KERNEL_NAME,
         "--display-name", "genesys_nb test kernel"],
        check=True, capture_output=True,
    )
    kernels = prefix / "share" / "jupyter" / "kernels"
    assert (kernels / KERNEL_NAME / "kernel.json").exists()
    return [str(kernels)]


def _kernel_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GENESYS_")}
    env["MPLBACKEND"] = "Agg"
    env["MPLCONFIGDIR"] = str(home / ".matplotlib")
    env["IPYTHONDIR"] = str(home / ".ipython")
    return env


def _output_text(cell: Any) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts.append(str(data.get("text/plain", "")))
        parts.append(str(data.get("text/html", "")))
    return "\n".join(parts)


def test_notebooks_are_saved_without_outputs() -> None:
    for name in NOTEBOOKS:
        notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name} has saved outputs"
        text = "\n".join(cell.source for cell in notebook.cells)
        assert "genesys_nb.connect()" in text, name
        assert "GENESYS_CLIENT_ID" in text and "GENESYS_CLIENT_SECRET" in text and "GENESYS_REGION" in text, name
        assert notebook.metadata.get("kernelspec", {}).get("name") == "python3", name


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom(name: str, kernel_dirs: list[str], tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    manager = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs))
    client = nbclient.NotebookClient(
        notebook, km=manager, kernel_name=KERNEL_NAME, timeout=180,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    # Any cell error raises CellExecutionError naming the cell and its traceback.
    client.execute(env=_kernel_env(tmp_path))

    outputs = "\n".join(_output_text(cell) for cell in notebook.cells if cell.cell_type == "code")
    assert "Traceback" not in outputs
    assert "embedded" in outputs.lower() or "emulator" in outputs.lower()  # connect() said where it went
    widget_views = [cell for cell in notebook.cells if "application/vnd.jupyter.widget-view+json"
                    in str([output.get("data", {}) for output in cell.get("outputs", [])])]
    assert widget_views, f"{name} shows no widget"
    if name != "05_prepublish_regression.ipynb":  # outputs read like the widgets: no raw pandas or Python
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                plain, page = str(data.get("text/plain", "")), str(data.get("text/html", ""))
                shown = page or plain
                assert not re.search(r"\d\.\d{5,}", shown), f"{name}: a raw float in {shown[:300]}"
                assert "NaN" not in shown and ">None<" not in shown and "<NA>" not in shown, f"{name}: {shown[:300]}"
                if output.get("output_type") == "execute_result" and not page:
                    assert not plain.startswith("("), f"{name}: a tuple as output: {plain[:200]}"
    if name == "03_latency_report.ipynb":  # the plots are images in the saved outputs, not only in widgets
        images = [output for cell in notebook.cells for output in cell.get("outputs", [])
                  if "image/png" in output.get("data", {})]
        assert len(images) >= 5, f"{name} holds {len(images)} image/png outputs"
