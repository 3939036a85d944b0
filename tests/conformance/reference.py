"""The Java reference: Apache Velocity 1.7 + velocity-tools 2.0 and Jayway JsonPath 2.10 behind a line protocol.

``Reference.java`` beside this file renders templates and evaluates paths with the real libraries (one JSON
request a line on stdin, one answer a line on stdout).  It is compiled once into ``build/`` beside it, with
Debian's Velocity jars (``apt-get install velocity libvelocity-tools-java``) and the Jayway jars from the
shared ``reference/lib`` folder (``GENESYS_NB_REFERENCE_LIB`` names another).  Java is needed by these tests
only; the package never runs it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
BUILD = HERE / "build"
DEBIAN_JARS = [
    "velocity-1.7.jar",
    "velocity-tools-2.0.jar",
    "commons-collections3.jar",
    "commons-lang-2.6.jar",
    "commons-beanutils.jar",
    "commons-digester.jar",
    "commons-logging.jar",
]


class ReferenceUnavailable(RuntimeError):
    """Java, Debian's Velocity jars or the Jayway jars are missing; the message says which and the fix."""


def _lib_dir() -> Path:
    env = os.environ.get("GENESYS_NB_REFERENCE_LIB")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "reference" / "lib"


def classpath() -> str:
    """Compile ``Reference.java`` when its source is newer than the build; return the classpath."""
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            raise ReferenceUnavailable(f"{tool} not found (apt-get install -y openjdk-17-jdk-headless)")
    jars = [Path("/usr/share/java") / j for j in DEBIAN_JARS]
    missing = [str(j) for j in jars if not j.exists()]
    if missing:
        raise ReferenceUnavailable(f"missing {missing[0]} (apt-get install -y velocity libvelocity-tools-java)")
    lib = _lib_dir()
    lib_jars = sorted(lib.glob("*.jar")) if lib.is_dir() else []
    if not any(j.name.startswith("json-path") for j in lib_jars):
        raise ReferenceUnavailable(
            f"no Jayway json-path jar in {lib} (set GENESYS_NB_REFERENCE_LIB to the reference's lib folder)"
        )
    cp = ":".join(str(j) for j in [*jars, *lib_jars])
    source = HERE / "Reference.java"
    stamp = BUILD / "Reference.class"
    if not stamp.exists() or stamp.stat().st_mtime < source.stat().st_mtime:
        BUILD.mkdir(exist_ok=True)
        done = subprocess.run(
            ["javac", "-nowarn", "-Xlint:none", "-d", str(BUILD), "-cp", cp, str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ReferenceUnavailable(f"javac failed: {done.stderr.strip()[:2000]}")
    return f"{cp}:{BUILD}"


class JavaReference:
    """One long-lived Java process; ``ask_many`` pipelines requests so thousands of cases take seconds."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            ["java", "-Xss8m", "-cp", classpath(), "Reference"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._lock = threading.Lock()

    def ask_many(self, requests: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        reqs = list(requests)
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        with self._lock:
            def feed() -> None:
                assert proc.stdin is not None
                for r in reqs:
                    proc.stdin.write(json.dumps(r, ensure_ascii=True) + "\n")
                proc.stdin.flush()

            writer = threading.Thread(target=feed, daemon=True)
            writer.start()
            answers = []
            for _ in reqs:
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError("the Java reference stopped answering")
                answers.append(json.loads(line))
            writer.join()
        return answers

    def vtl(self, template: str, ctx: dict[str, Any] | None = None, *, strict: bool = False,
            name: str = "t") -> dict[str, Any]:
        """``{"ok": True, "out": text}`` or ``{"ok": False, "phase": "parse"|"method"|"other", "err": ...}``."""
        return self.ask_many([vtl_request(template, ctx, strict=strict, name=name)])[0]

    def jp(self, path: str, doc_text: str) -> dict[str, Any]:
        """``{"ok": True, "json": text, "definite": b}`` or ``{"ok": False, "phase": "compile"|"eval", ...}``."""
        return self.ask_many([{"kind": "jp", "path": path, "docText": doc_text}])[0]

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()


def vtl_request(template: str, ctx: dict[str, Any] | None = None, *, strict: bool = False,
                name: str = "t") -> dict[str, Any]:
    return {"kind": "vtl", "template": template, "ctx": ctx or {}, "name": name, "strict": strict}


def chunks(items: list[Any], size: int = 2000) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
