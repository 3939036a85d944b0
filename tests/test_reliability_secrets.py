"""Reliability R3: no client secret and no access token anywhere a user or a log can see.

An emulator with a known client secret plays the org (its Settings come from GENESYS_* variables,
as for a real org). The demo, every CLI command, the Python API's reprs and exceptions, and the
notebooks all run against it; then every file written, every captured log line (DEBUG), all of
stdout/stderr, every webhook body (and header) received, every exception message and repr and
every notebook output is scanned for the secret, its Basic-auth form, the webhook signing secret
and every access token the emulator issued. The demo's emulator mode (its own embedded emulator)
is scanned for that emulator's demo secret and for bearer strings.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from webhook_receiver import WebhookReceiver

from genesys_nb.cli import main as cli
from genesys_nb.emulator import DEFAULT_CLIENT_SECRET, EmulatorServer, action_id_for

REPO_ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "r3-known-client"
CLIENT_SECRET = "Kn0wn-Cl1ent-S3cret-r3-9f2b7c41"
WEBHOOK_SECRET = "Kn0wn-W3bhook-S1gning-r3-55d0e2"
ECHO = action_id_for("Echo")
PIN = action_id_for("Verify Customer PIN")
NOTEBOOKS = ["01_explore_actions.ipynb", "02_input_matrix.ipynb", "03_latency_report.ipynb"]


@pytest.fixture(scope="module")
def org() -> Iterator[EmulatorServer]:
    with EmulatorServer(seed=3, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, time_scale=30.0) as server:
        yield server


@pytest.fixture()
def org_env(org: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """GENESYS_* variables naming the known-secret org; the working directory is tmp_path."""
    org.emulator.reset()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENESYS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("GENESYS_API_BASE_URL", org.url)
    monkeypatch.setenv("GENESYS_LOGIN_BASE_URL", org.url)
    monkeypatch.setenv("GENESYS_NB_WEBHOOK_SECRET", WEBHOOK_SECRET)
    return tmp_path


def forbidden(org: EmulatorServer, *, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> dict[str, str]:
    """Every string that must never show: secrets, the Basic credential, every issued token."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    found = {"client secret": secret, "Basic credential": basic, "webhook secret": WEBHOOK_SECRET}
    for number, token in enumerate(org.emulator.issued_tokens()):
        found[f"access token #{number}"] = token
    return found


def scan(texts: dict[str, str], needles: dict[str, str]) -> list[str]:
    hits = []
    for where, text in texts.items():
        for what, needle in needles.items():
            if needle and needle in text:
                hits.append(f"{what} in {where}")
    return hits


def files_under(folder: Path) -> dict[str, str]:
    out = {}
    for path in folder.rglob("*"):
        if path.is_file():
            out[f"file {path.relative_to(folder)}"] = path.read_bytes().decode("utf-8", "replace")
    return out


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli(argv)
    captured = capsys.readouterr()
    return code, f"{captured.out}\n{captured.err}"


def test_cli_commands_and_demo_leak_no_secret_or_token(org: EmulatorServer, org_env: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    receiver = WebhookReceiver()
    outputs: dict[str, str] = {}
    try:
        commands = [
            ["-v", "actions", "list"],
            ["-v", "actions", "show", PIN],
            ["-v", "execute", ECHO, "--input", '{"message": "hello", "sequence": 1}', "--audit", "exec.ndjson"],
            ["-v", "execute", PIN, "--input", '{"customerId": "C-000001", "pin": "123456"}', "--dry-run"],
            ["-v", "execute", "custom_-_does-not-exist", "--input", "{}"],
            ["-v", "run", ECHO, "--product", "sequence=1,2,3,4", "--fixed", "message=run", "--audit", "run.ndjson",
             "--webhook", receiver.url, "--no-progress", "--rate", "6000"],
            ["-v", "run", PIN, "--product", "pin=111111,222222", "--fixed", "customerId=C-000002",
             "--audit", "secure.ndjson", "--webhook", receiver.url, "--no-progress",
             "--rate", "6000"],
            ["report", "run.ndjson", "secure.ndjson", "--html", "report.html"],
            ["-v", "demo", "--out", "demo-org", "--rows", "24", "--action", ECHO, "--no-progress"],
        ]
        for argv in commands:
            code, text = run_cli(argv, capsys)
            assert code in (0, 1, 2), (argv, code)
            outputs[" ".join(argv[:3])] = text
        # A webhook run whose receiver is down, then replayed by the CLI with the signing secret.
        receiver_down = "http://127.0.0.1:9/events"
        code, text = run_cli(["run", ECHO, "--product", "sequence=7,8", "--fixed", "message=later",
                              "--audit", "down/audit.ndjson", "--webhook", receiver_down, "--no-progress"], capsys)
        outputs["run (receiver down)"] = text
        outbox = org_env / "down" / "webhook-outbox.ndjson"
        if outbox.exists():
            code, text = run_cli(["-v", "webhook", "replay", str(outbox), "--url", receiver.url,
                                  "--secret-env", "GENESYS_NB_WEBHOOK_SECRET"], capsys)
            outputs["webhook replay"] = text
        # Wrong credentials: the refusal must not echo what was tried either.
        os.environ["GENESYS_CLIENT_SECRET"] = CLIENT_SECRET + "-wrong"
        code, text = run_cli(["-v", "actions", "list"], capsys)
        assert code == 2
        outputs["actions list (wrong secret)"] = text
        os.environ["GENESYS_CLIENT_SECRET"] = CLIENT_SECRET
    finally:
        receiver.close()

    assert receiver.requests, "no webhook reached the receiver"
    assert (org_env / "demo-org" / "audit.ndjson").exists()
    texts = {**outputs, **files_under(org_env)}
    texts["log records"] = "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.args!r}" for r in caplog.records)
    texts.update({f"webhook #{n}": f"{headers}\n{body.decode('utf-8', 'replace')}"
                  for n, (headers, body) in enumerate(receiver.requests)})
    needles = forbidden(org)
    needles["wrong secret"] = CLIENT_SECRET + "-wrong"
    assert len([k for k in needles if k.startswith("access token")]) >= 1
    hits = scan(texts, needles)
    assert hits == [], hits


def test_demo_on_its_embedded_emulator_leaks_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.chdir(tmp_path)
    for name in ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_REGION", "GENESYS_ENV"):
        monkeypatch.delenv(name, raising=False)
    code, text = run_cli(["-v", "demo", "--out", "demo-out", "--rows", "60", "--no-progress"], capsys)
    assert code == 0, text[-2000:]
    texts = {"demo output": text, **files_under(tmp_path),
             "log records": "\n".join(r.getMessage() for r in caplog.records)}
    from genesys_nb.emulator import DEFAULT_CLIENT_ID

    basic = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
    needles = {"demo secret": DEFAULT_CLIENT_SECRET, "demo Basic credential": basic}
    assert scan(texts, needles) == []
    for where, value in texts.items():
        assert "access_token" not in value, where
        assert "Bearer " not in value and "bearer " not in value.replace("bearer token", ""), where


def test_reprs_and_exceptions_leak_no_secret_or_token(org: EmulatorServer, org_env: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    import genesys_nb
    from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
    from genesys_nb.api.settings import Settings
    from genesys_nb.contract.validator import DataActionValidator
    from genesys_nb.run.executor import DataActionExecutor
    from genesys_nb.run.matrix import ParameterMatrix
    from genesys_nb.run.runner import MatrixRunner
    from genesys_nb.run.webhook import WebhookDispatcher

    caplog.set_level(logging.DEBUG)
    shown: dict[str, str] = {}
    settings = Settings.from_env(None)
    shown["Settings"] = f"{settings!r} {settings} {vars(settings) if hasattr(settings, '__dict__') else ''}"
    with DataActionsClient(settings) as client:
        executor = DataActionExecutor(client)
        ok = executor.execute(ECHO, {"message": "repr"})
        assert ok.ok
        failures = [executor.execute(ECHO, {"sequence": "not a number"}),
                    executor.execute("custom_-_missing", {}),
                    client.execute("custom_-_missing", {})]
        shown["client"] = f"{client!r} {client.auth!r} {vars(client.auth)!r} {vars(client)!r}"
        shown["results"] = " ".join(f"{r!r} {r.to_dict()!r}" for r in [ok, *failures])
        for result in failures:
            try:
                result.raise_for_error()
            except genesys_nb.GenesysNBError as err:
                shown[f"raise_for_error {result.error_class}"] = f"{err} {err!r} {vars(err)!r}"
        try:
            client.get_action("custom_-_missing")
        except genesys_nb.GenesysNBError as err:
            shown["get_action 404"] = f"{err} {err!r}"
        validator = DataActionValidator(client)
        try:
            validator.validate_input(PIN, {"pin": 12})
        except ValueError as err:
            shown["validation"] = f"{err} {err!r}"
    wrong = Settings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET + "-wrong", api_base_url=org.url,
                     login_base_url=org.url)
    with DataActionsClient(wrong) as client:
        try:
            client.list_actions()
            raise AssertionError("a wrong secret was accepted")
        except genesys_nb.AuthenticationError as err:
            shown["login refused"] = f"{err} {err!r} {vars(err)!r}"
    async_client = AsyncDataActionsClient(settings)
    shown["async client"] = repr(async_client)
    with genesys_nb.connect(env_file=None, quiet=True) as session:
        shown["session"] = f"{session!r} {session.client!r}"
    shown["runner"] = repr(MatrixRunner(settings, progress=False, audit=org_env / "a.ndjson"))
    shown["matrix"] = repr(ParameterMatrix.product(pin=["1"]))
    dispatcher = WebhookDispatcher(f"http://user:{WEBHOOK_SECRET}@127.0.0.1:9/hook?sig={WEBHOOK_SECRET}",
                                   secret=WEBHOOK_SECRET)
    shown["dispatcher"] = f"{dispatcher!r} {dispatcher.url}"
    dispatcher.close(timeout_s=0.1)
    shown["emulator server"] = f"{org!r} {org.emulator!r}"
    shown["log records"] = "\n".join(r.getMessage() for r in caplog.records)
    needles = forbidden(org)
    needles["wrong secret"] = CLIENT_SECRET + "-wrong"
    assert scan(shown, needles) == []


def test_a_token_in_the_webhook_url_stays_out_of_the_logs(org: EmulatorServer, org_env: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    receiver = WebhookReceiver()
    try:
        code, text = run_cli(["-v", "run", ECHO, "--product", "sequence=1,2", "--fixed", "message=q",
                              "--audit", "q.ndjson", "--webhook", f"{receiver.url}?token={WEBHOOK_SECRET}",
                              "--no-progress", "--rate", "6000"], capsys)
    finally:
        receiver.close()
    assert code == 0 and receiver.posts == 2
    texts = {"output": text, **files_under(org_env),
             "log records": "\n".join(r.getMessage() for r in caplog.records)}
    hits = scan(texts, {"webhook URL token": WEBHOOK_SECRET})
    assert hits == [], hits


# ---- notebooks ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_notebooks_leak_no_secret_or_token(org: EmulatorServer, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    present = [name for name in NOTEBOOKS if (REPO_ROOT / "notebooks" / name).exists()]
    if not present:
        pytest.skip("no notebooks in this checkout")
    org.emulator.reset()
    prefix = tmp_path / "kernel-prefix"
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", "r3-kernel"],
                   check=True, capture_output=True)
    kernels = prefix / "share" / "jupyter" / "kernels"
    work = tmp_path / "work"
    (work / "tmp").mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("GENESYS_")}
    env.update(GENESYS_CLIENT_ID=CLIENT_ID, GENESYS_CLIENT_SECRET=CLIENT_SECRET, GENESYS_API_BASE_URL=org.url,
               GENESYS_LOGIN_BASE_URL=org.url, MPLBACKEND="Agg", TMPDIR=str(work / "tmp"),
               MPLCONFIGDIR=str(work / ".matplotlib"), IPYTHONDIR=str(work / ".ipython"))
    texts: dict[str, str] = {}
    for name in present:
        notebook = nbformat.read(REPO_ROOT / "notebooks" / name, as_version=4)
        manager = KernelManager(kernel_name="r3-kernel", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
        client = nbclient.NotebookClient(notebook, km=manager, kernel_name="r3-kernel", timeout=180,
                                         resources={"metadata": {"path": str(work)}})
        client.execute(env=env)
        texts[f"notebook {name}"] = json.dumps(notebook)  # every output: text, HTML, widget state, errors
        nbformat.write(notebook, work / name)
    assert all("Traceback" not in text for text in texts.values())
    executed = [e for e in org.emulator.request_log if e.operation == "execute"]
    assert executed, "the notebooks did not run against the known-secret org"
    texts.update(files_under(work))
    needles = forbidden(org)
    assert any(name.startswith("access token") for name in needles)
    hits = scan(texts, needles)
    assert hits == []
