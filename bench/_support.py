"""Shared plumbing for the benchmark scripts: an emulator in its own process, machine facts, tables.

Every benchmark talks to the emulator over loopback. The emulator runs in a separate process (one
uvicorn worker) so the client being measured never shares a GIL with the server; its limits, fault
plans and request log are driven through the emulator's control plane (``/__emulator__/...``).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `python bench/x.py` from a checkout without an install (PYTHONPATH wins)
    sys.path.append(str(REPO_ROOT))

PACKAGES = ("genesys_nb", "httpx", "aiohttp", "httpx-aiohttp", "uvicorn", "h11", "jsonschema", "orjson",
            "pandas", "pyarrow")


@dataclass(frozen=True)
class EmulatorProcess:
    """Where a spawned emulator listens, with its demo credentials and a control-plane helper."""

    url: str
    client_id: str
    client_secret: str

    def settings(self) -> Any:
        from genesys_nb.api.settings import Settings

        return Settings(client_id=self.client_id, client_secret=self.client_secret,
                        api_base_url=self.url, login_base_url=self.url)

    def control(self, method: str, route: str, payload: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.url}/__emulator__/{route}", json=payload, timeout=60.0)
        response.raise_for_status()
        return response.json()

    def set_faults(self, rules: list[dict[str, Any]], action_id: str | None = None) -> None:
        self.control("PUT", "faults", {"action_id": action_id, "rules": rules})

    def set_limits(self, **limits: Any) -> None:
        self.control("PUT", "limits", limits)

    def reset(self) -> None:
        self.control("POST", "reset", {})

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        return list(self.control("GET", f"requests?since={since}")["entries"])

    def access_token(self) -> str:
        response = httpx.post(f"{self.url}/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(self.client_id, self.client_secret), timeout=30.0)
        response.raise_for_status()
        return str(response.json()["access_token"])


def _serve(queue: Any, kwargs: dict[str, Any]) -> None:
    from genesys_nb.emulator import EmulatorServer

    with EmulatorServer(**kwargs) as server:
        queue.put((server.url, server.client_id, server.client_secret))
        threading.Event().wait()


@contextmanager
def emulator_process(**kwargs: Any) -> Iterator[EmulatorProcess]:
    """Run ``EmulatorServer(**kwargs)`` in a spawned process for the duration of the block."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_serve, args=(queue, kwargs), daemon=True, name="bench-emulator")
    process.start()
    try:
        url, client_id, client_secret = queue.get(timeout=120)
        yield EmulatorProcess(url, client_id, client_secret)
    finally:
        process.terminate()
        process.join(10)


def echo_action_id() -> str:
    from genesys_nb.emulator import action_id_for

    return action_id_for("Echo")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPUs, CPU model, memory, OS, Python, package versions."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, ValueError, subprocess.CalledProcessError):
        nproc = os.cpu_count() or 0
    return {
        "nproc": nproc,
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "packages": versions,
    }


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark script accepts."""
    out = argparse.ArgumentParser(description=description)
    out.add_argument("--quick", action="store_true", help="a short run (CI smoke test; noisier figures)")
    out.add_argument("--json-only", action="store_true", help="print only the JSON document")
    return out


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain fixed-width table (numbers right-aligned)."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) if cells else len(str(h))
              for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).ljust(widths[i]) if i == 0 else str(h).rjust(widths[i]) for i, h in enumerate(headers))]
    lines.append("  ".join("-" * width for width in widths))
    for row in cells:
        lines.append("  ".join(value.ljust(widths[i]) if i == 0 else value.rjust(widths[i])
                               for i, value in enumerate(row)))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def verdict(ratio: float, target: float, *, higher_is_better: bool = True) -> str:
    met = ratio >= target if higher_is_better else ratio <= target
    return "met" if met else "MISSED"


def write_ndjson(path: Path, records: Iterable[dict[str, Any]], *, batch_rows: int = 50_000) -> None:
    """Write generated records as NDJSON, in batches (millions of rows without a list of them all)."""
    import orjson

    with open(path, "wb") as handle:
        batch: list[bytes] = []
        for record in records:
            batch.append(orjson.dumps(record))
            if len(batch) >= batch_rows:
                handle.write(b"\n".join(batch) + b"\n")
                batch = []
        if batch:
            handle.write(b"\n".join(batch) + b"\n")
