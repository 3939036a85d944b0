"""Notebook 01 in a real browser: JupyterLab on 127.0.0.1, headless Chromium driven by Playwright.

Runs every cell, fills the rendered form, clicks Execute and reads the rendered result. Chromium is
Debian's package (browser downloads are not possible here); without it the test skips, unless
GENESYS_NB_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # the test skips (or fails when required) with a clear message
    PlaywrightTimeoutError = TimeoutError  # type: ignore[assignment,misc]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO_ROOT / "notebooks" / "01_explore_actions.ipynb"
LAB_NOTEBOOK = REPO_ROOT / "notebooks" / "04_action_lab.ipynb"
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_PATH = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Generous: the first JupyterLab start builds its caches, and "Run All" starts the emulator.
START_TIMEOUT_S = 120
UI_TIMEOUT_MS = 180_000
RUN_START_TIMEOUT_MS = 20_000
RUN_ALL_TIMEOUT_MS = 90_000  # notebook 01 runs in seconds; a run that shows nothing by then was lost
_ANY_CELL_STARTED = (
    "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]"
    ".some(prompt => /\\[(\\d+|\\*)\\]/.test(prompt.textContent))"
)
LOOKUP_PHONE = "+13175550123"


def _unavailable(reason: str) -> None:
    if os.environ.get("GENESYS_NB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the browser test is required here (GENESYS_NB_REQUIRE_BROWSER=1) but {reason}. "
                    "Install Debian's chromium (`apt-get install chromium`, or `bash scripts/ensure-chromium.sh` "
                    "as root) and the test extras (`pip install -e '.[test,notebook]'`).")
    pytest.skip(reason)


def _chromium() -> Path:
    if CHROMIUM_PATH.exists():
        return CHROMIUM_PATH
    found = shutil.which("chromium")
    if found is None:
        _unavailable("Chromium is not installed (no /usr/bin/chromium)")
    return Path(str(found))


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _isolated_env(home: Path) -> dict[str, str]:
    """The server's environment: a private HOME and Jupyter dirs, and no org credentials."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GENESYS_", "JUPYTER", "IPYTHON"))}
    dirs = {
        "HOME": home,
        "JUPYTER_CONFIG_DIR": home / ".jupyter",
        "JUPYTER_DATA_DIR": home / ".local" / "share" / "jupyter",
        "JUPYTER_RUNTIME_DIR": home / ".local" / "share" / "jupyter" / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / ".jupyter" / "lab" / "user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / ".jupyter" / "lab" / "workspaces",
        "IPYTHONDIR": home / ".ipython",
        "MPLCONFIGDIR": home / ".matplotlib",
    }
    for key, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[key] = str(path)
    # No news poll or update check; start the notebook's kernel without asking.
    user_settings = {
        ("apputils-extension", "notification"): '{"fetchNews": "false", "checkForUpdates": false}',
        ("notebook-extension", "tracker"): '{"autoStartDefaultKernel": true}',
    }
    for (extension, plugin), text in user_settings.items():
        folder = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / extension
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{plugin}.jupyterlab-settings").write_text(text, encoding="utf-8")
    return env


@pytest.fixture()
def chromium() -> Path:
    """Debian's Chromium and Playwright's Python package, checked before anything starts."""
    path = _chromium()
    try:
        import playwright.sync_api  # noqa: F401 - only checking it is installed
    except ImportError:
        _unavailable("Playwright's Python package is not installed")
    return path


@pytest.fixture()
def lab(tmp_path: Path, chromium: Path, request: pytest.FixtureRequest) -> Iterator[Lab]:
    notebook = getattr(request, "param", NOTEBOOK)  # another notebook through indirect parametrization
    if not notebook.exists():
        pytest.fail(f"{notebook} is missing")
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(notebook, root / notebook.name)
    env = _isolated_env(tmp_path / "home")
    port = _free_port()
    token = secrets.token_hex(24)
    log = tmp_path / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=", "--ServerApp.open_browser=False",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI often run as root
    with log.open("wb") as log_file:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(server, url, token, log)
            yield Lab(url=url, token=token, root=root, log=log)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def _wait_until_up(server: subprocess.Popen[bytes], url: str, token: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            response = httpx.get(f"{url}/api/status", headers={"Authorization": f"token {token}"}, timeout=2)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)  # polling a starting server; the UI waits below use selectors
    pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT_S} s:\n{log.read_text(errors='replace')[-3000:]}")


def _run_all_cells(page: Any, until: Any) -> None:
    """Run > Run All Cells until ``until`` (a locator) shows, retrying the menu if the run got lost.

    JupyterLab disables the command until the notebook has focus and its kernel is ready (a click
    on a disabled item does nothing), and on a cold start a run can stop after the first cell while
    the kernel connection settles; so wait for the enabled item, and run again when nothing shows.
    """
    run_all = page.locator(".lm-Menu-item[data-command='runmenu:run-all']:not(.lm-mod-disabled)")
    for attempt in range(1, 4):
        page.locator(".jp-NotebookPanel .jp-Cell").first.click()
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        run_all.wait_for(state="visible")
        run_all.click()
        try:
            # A run that started marks its cells [*] (or numbers them) at once; a lost one leaves [ ].
            page.wait_for_function(_ANY_CELL_STARTED, timeout=RUN_START_TIMEOUT_MS)
            until.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT_MS)
            return
        except PlaywrightTimeoutError:
            page.screenshot(path=str(ARTIFACTS / f"notebook01-run-all-attempt{attempt}.png"), full_page=True)
            page.keyboard.press("Escape")
    pytest.fail("Run All Cells did not render the explorer after three tries (screenshots in test-artifacts/)")


def test_notebook_01_form_executes_in_a_real_browser(chromium: Path, lab: Lab) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", state="attached")
            # The kernel starts with the notebook; should JupyterLab still ask which one, take its choice.
            page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelName", state="visible")
            dialog_accept = page.locator(".jp-Dialog .jp-mod-accept")
            if dialog_accept.count():
                dialog_accept.first.click()
            page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']",
                                   state="attached")

            explorer = page.locator(".gnb-action-explorer").last
            execute = explorer.locator(".gnb-execute-button")
            _run_all_cells(page, until=execute)
            phone = explorer.locator(".gnb-field-phoneNumber input")
            phone.wait_for(state="visible")
            explorer.scroll_into_view_if_needed()
            phone.fill(LOOKUP_PHONE)
            # The contract check runs in the kernel as the user types; a valid number clears the message.
            explorer.locator(".gnb-error").wait_for(state="detached")
            explorer.screenshot(path=str(ARTIFACTS / "notebook01-form.png"))

            execute.click()
            result = explorer.locator(".gnb-output .gnb-result")
            result.wait_for(state="visible")
            text = explorer.locator(".gnb-output").inner_text()
            assert "Execution succeeded" in text, text
            assert "customerId" in text and "@example.com" in text, text
            assert "correlation id" in text
            explorer.screenshot(path=str(ARTIFACTS / "notebook01-executed.png"))
        except Exception:
            if "page" in locals():
                page.screenshot(path=str(ARTIFACTS / "notebook01-failure.png"), full_page=True)
            print(lab.log.read_text(errors="replace")[-4000:])
            raise
        finally:
            browser.close()


def _open_notebook(page: Any, lab: Lab, name: str) -> None:
    page.goto(f"{lab.url}/lab/tree/{name}?token={lab.token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", state="attached")
    page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelName", state="visible")
    dialog_accept = page.locator(".jp-Dialog .jp-mod-accept")
    if dialog_accept.count():
        dialog_accept.first.click()
    page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']",
                           state="attached")


@pytest.mark.parametrize("lab", [LAB_NOTEBOOK], indirect=True)
def test_notebook_04_lab_output_follows_the_success_template(chromium: Path, lab: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(UI_TIMEOUT_MS)
            _open_notebook(page, lab, LAB_NOTEBOOK.name)
            action_lab = page.locator(".gnb-action-lab").first
            output = action_lab.locator(".gnb-lab-output")
            _run_all_cells(page, until=output)
            expect(output).to_contain_text("Output matches the success schema", timeout=UI_TIMEOUT_MS)
            expect(output).to_contain_text("conv-0001")
            template = action_lab.locator(".gnb-lab-success-template textarea")
            template.scroll_into_view_if_needed()
            # Typed, not set: the kernel re-evaluates every step on each change of the textarea.
            template.fill('{"conversationId": ${id}, "editedInTheBrowser": true}')
            expect(output).to_contain_text("editedInTheBrowser")
            expect(output).to_contain_text("Output matches the success schema")
            action_lab.screenshot(path=str(ARTIFACTS / "notebook04-edited.png"))
            template.fill('{"conversationId": ${id}')
            expect(output).to_contain_text("Output is not JSON")
            template.fill('{"conversationId": ${id}}')
            steps = action_lab.locator(".gnb-lab-steps")
            expect(steps).to_contain_text("all operations succeeded")
            # A translation map that is not JSON: no section keeps an older verdict, no step a tick.
            translation = action_lab.locator(".gnb-lab-translation-map textarea")
            translation.scroll_into_view_if_needed()
            translation.fill("{not json")
            expect(steps).to_contain_text("Test not run")
            assert "✔" not in steps.inner_text() and "all operations succeeded" not in steps.inner_text()
            expect(output).to_contain_text("Output not evaluated")
            translation.fill('{"id": "$.conversation.id"}')
            expect(steps).to_contain_text("all operations succeeded")
            # A required input cleared: the request and everything after it say they were not reached.
            number = action_lab.locator(".gnb-field-callbackNumber input")
            number.scroll_into_view_if_needed()
            number.fill("")
            expect(steps).to_contain_text("Test failed at step 1")
            expect(action_lab.locator(".gnb-lab-request")).to_contain_text("Request not rendered")
            assert "✔" not in steps.inner_text() and "Output matches" not in output.inner_text()
            DOC_IMAGES.mkdir(parents=True, exist_ok=True)
            page.set_viewport_size({"width": 1400, "height": 2200})  # the whole lab in one picture
            action_lab.scroll_into_view_if_needed()
            action_lab.screenshot(path=str(DOC_IMAGES / "action-lab-not-reached.png"))
        except Exception:
            if "page" in locals():
                page.screenshot(path=str(ARTIFACTS / "notebook04-failure.png"), full_page=True)
            print(lab.log.read_text(errors="replace")[-4000:])
            raise
        finally:
            browser.close()


MATRIX_NOTEBOOK = REPO_ROOT / "notebooks" / "02_input_matrix.ipynb"
REPORT_NOTEBOOK = REPO_ROOT / "notebooks" / "03_latency_report.ipynb"
DOC_IMAGES = REPO_ROOT / "docs" / "images"
MAX_TABLE_BOX_PX = 520  # the result table scrolls inside a box of 28em (plus its caption)
MAX_ROW_PX = 80  # a row with nested outputs stays one line (its JSON opens on demand)
_TABLE_CELLS = """(table) => {
    const text = (cell) => cell.textContent.trim();
    const header = [...table.querySelectorAll('thead tr:first-child th')].map(text);
    const rows = [...table.querySelectorAll('tbody tr')].map(row => [...row.children].map(text));
    return {header, rows};
}"""


def _browse(chromium: Path, lab: Lab, notebook: Path, check: Any) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    stem = notebook.stem.split("_")[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(UI_TIMEOUT_MS)
            _open_notebook(page, lab, notebook.name)
            check(page)
        except Exception:
            if "page" in locals():
                page.screenshot(path=str(ARTIFACTS / f"notebook{stem}-failure.png"), full_page=True)
            print(lab.log.read_text(errors="replace")[-4000:])
            raise
        finally:
            browser.close()


@pytest.mark.parametrize("lab", [MATRIX_NOTEBOOK], indirect=True)
def test_notebook_02_run_panel_table_stays_within_the_panel(chromium: Path, lab: Lab) -> None:
    def check(page: Any) -> None:
        panel = page.locator(".gnb-run-panel").first
        table = panel.locator(".gnb-run-results .gnb-table")
        _run_all_cells(page, until=table)
        box = panel.locator(".gnb-table-box")
        box.scroll_into_view_if_needed()
        panel_box, results_box = panel.bounding_box(), box.bounding_box()
        assert panel_box is not None and results_box is not None
        assert panel_box["width"] <= 1400, panel_box
        # within the panel's width and a sane height; what does not fit scrolls inside the box
        assert results_box["x"] >= panel_box["x"] - 1, (results_box, panel_box)
        assert results_box["x"] + results_box["width"] <= panel_box["x"] + panel_box["width"] + 1, (
            results_box, panel_box)
        assert results_box["height"] <= MAX_TABLE_BOX_PX, results_box
        heights = table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
        assert len(heights) >= 12 and max(heights) <= MAX_ROW_PX, heights
        cells = table.evaluate(_TABLE_CELLS)
        assert "output.orders" in cells["header"], cells["header"]
        assert not any(text in ("NaN", "<NA>", "None") for row in cells["rows"] for text in row)
        nested = table.locator("details.gnb-nested").first
        nested.locator("summary").click()
        assert "orderId" in nested.locator("pre").inner_text()
        nested.locator("summary").click()  # closed again for the picture, scrolled back to its start
        box.evaluate("element => { element.scrollLeft = 0; element.scrollTop = 0; }")
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(DOC_IMAGES / "run-panel.png"))
        # One set of counts: the live line, the panel's summary and the notebook's print(panel.summary).
        counts = panel.locator(".gnb-counts").first.inner_text()
        assert counts.startswith("ok ") and " · errors " in counts, counts
        stdout = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stdout']")
        printed = stdout.filter(has_text="requests,").first.inner_text()
        assert counts in printed and "failed" not in printed, (counts, printed)

        # A CSV with a misspelled header is refused in the builder, with the closest input suggested.
        builder = page.locator(".gnb-matrix-builder").first
        builder.scroll_into_view_if_needed()
        path_box = builder.locator("input[placeholder='path/to/matrix.csv']")
        path_box.fill(str(typo_csv))
        path_box.press("Enter")
        builder.get_by_role("button", name="Import CSV").click()
        problems = builder.get_by_text("did you mean 'maxResults'")
        problems.wait_for()
        assert "maxResult" in problems.inner_text()

    typo_csv = lab.log.parent / "typo-header.csv"
    typo_csv.write_text("customerId,maxResult\nC-000001,5\n", encoding="utf-8")
    _browse(chromium, lab, MATRIX_NOTEBOOK, check)


@pytest.mark.parametrize("lab", [REPORT_NOTEBOOK], indirect=True)
def test_notebook_03_report_view_rates_are_exact_percentages(chromium: Path, lab: Lab) -> None:
    from genesys_nb.report.tables import cell_text

    def check(page: Any) -> None:
        view = page.locator(".gnb-report-view").first
        table = view.locator(".gnb-table").first
        _run_all_cells(page, until=table)
        view.scroll_into_view_if_needed()
        cells = table.evaluate(_TABLE_CELLS)
        header = cells["header"]
        assert {"count", "ok", "expected_rejections", "ok_rate", "error_rate"} <= set(header), header
        assert cells["rows"], cells
        for row in cells["rows"]:
            values = dict(zip(header, row))
            count = int(values["count"].replace(",", ""))
            passed = int(values["ok"]) + int(values["expected_rejections"])
            errors = int(values["errors"])
            assert values["ok_rate"] == cell_text(passed / count, "ok_rate"), values
            assert values["error_rate"] == cell_text(errors / count, "error_rate"), values
            assert values["ok_rate"].endswith("%") and values["error_rate"].endswith("%"), values
        flaky = next(dict(zip(header, row)) for row in cells["rows"] if "Inventory" in row[0])
        assert flaky["ok_rate"] not in ("100%", "0%"), flaky  # the flaky system: a rate that is not rounded away
        assert not any(text in ("NaN", "<NA>", "None") for row in cells["rows"] for text in row)
        # the static plots are images in the notebook's own outputs, beside the widget
        assert page.locator(".jp-OutputArea-output img[src^='data:image/png']").count() >= 5
        view.screenshot(path=str(ARTIFACTS / "notebook03-report-view.png"))  # the README's: the themes test

    _browse(chromium, lab, REPORT_NOTEBOOK, check)


# The contrast of a header cell's text against what is painted behind it (WCAG's ratio).
_CONTRAST = """(cell) => {
    const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
    const paint = (element) => {
        for (let node = element; node; node = node.parentElement) {
            const [r, g, b, a] = rgb(getComputedStyle(node).backgroundColor);
            if (a === undefined || a > 0) return [r, g, b];
        }
        return [255, 255, 255];
    };
    const lum = ([r, g, b]) => {
        const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const fore = lum(rgb(getComputedStyle(cell).color)), back = lum(paint(cell));
    return (Math.max(fore, back) + 0.05) / (Math.min(fore, back) + 0.05);
}"""
MIN_CONTRAST = 4.5


def _use_theme(page: Any, name: str) -> None:
    """Settings > Theme > ``name``, as a user picks it; waits until the page wears it."""
    page.locator(".lm-MenuBar-item", has_text="Settings").first.click()
    page.locator(".lm-Menu-item", has_text="Theme").first.hover()
    page.locator(".lm-Menu-item[data-command='apputils:change-theme']", has_text=name).first.click()
    light = "true" if "Light" in name else "false"
    page.wait_for_selector(f"body[data-jp-theme-light='{light}']", state="attached")


@pytest.mark.parametrize("lab", [REPORT_NOTEBOOK], indirect=True)
def test_notebook_03_tables_read_in_both_themes_with_the_key_columns_on_screen(chromium: Path, lab: Lab) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    DOC_IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})  # a laptop, as analysts have
            page.set_default_timeout(UI_TIMEOUT_MS)
            _open_notebook(page, lab, REPORT_NOTEBOOK.name)
            view = page.locator(".gnb-report-view").first
            table = view.locator(".gnb-table").first
            _run_all_cells(page, until=table)
            view.scroll_into_view_if_needed()
            headers = table.locator("thead th")
            # p50/p95/p99 within 1,440 px without scrolling
            for name in ("count", "ok_rate", "error_rate", "p50_ms", "p95_ms", "p99_ms"):
                cell = headers.filter(has_text=name).first
                box = cell.bounding_box()
                assert box is not None and box["x"] + box["width"] <= 1440, (name, box)
            # scrolled to its far right, the table keeps its group column in view
            scroller = view.locator(".gnb-table-box").first
            label = table.locator("tbody tr th").first
            before = label.bounding_box()
            scroller.evaluate("element => { element.scrollLeft = element.scrollWidth; }")
            after = label.bounding_box()
            assert before is not None and after is not None and abs(after["x"] - before["x"]) <= 1, (before, after)
            scroller.evaluate("element => { element.scrollLeft = 0; }")
            for theme, picture in (("JupyterLab Light", "report-view.png"), ("JupyterLab Dark", "report-view-dark.png")):
                _use_theme(page, theme)
                for cell in (headers.nth(1), label):
                    ratio = cell.evaluate(_CONTRAST)
                    assert ratio >= MIN_CONTRAST, (theme, cell.inner_text(), ratio)
                view.screenshot(path=str(DOC_IMAGES / picture))
        except Exception:
            if "page" in locals():
                page.screenshot(path=str(ARTIFACTS / "notebook03-themes-failure.png"), full_page=True)
            print(lab.log.read_text(errors="replace")[-4000:])
            raise
        finally:
            browser.close()
