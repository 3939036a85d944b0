"""TLS contexts for :mod:`genesys_nb.api.network`: a CA bundle, the environment's CA variables, the
operating system's trust store (through ``truststore``) or, explicitly, none.
"""
from __future__ import annotations

import os
import ssl
import sys
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path

from genesys_nb.api.errors import ConfigError

__all__ = ["CA_ENV_VARS", "InsecureTLSWarning", "ssl_context"]

CA_ENV_VARS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class InsecureTLSWarning(UserWarning):
    """TLS certificates are not verified (``verify=False``): anyone on the path can read the traffic."""


_CONTEXTS: dict[tuple[str, str], ssl.SSLContext] = {}
_CONTEXTS_LOCK = threading.Lock()
_WARNED_INSECURE = threading.Event()


def _system_store_missing() -> bool:
    """On Linux, True when OpenSSL's default CA file and folder are both absent (a slim container)."""
    if not sys.platform.startswith("linux"):
        return False
    paths = ssl.get_default_verify_paths()
    for path in (paths.cafile, paths.capath, paths.openssl_cafile, paths.openssl_capath):
        if path and Path(path).exists() and (Path(path).is_file() or any(Path(path).iterdir())):
            return False
    return True


def _build_context(kind: str, where: str) -> ssl.SSLContext:
    if kind == "insecure":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if kind == "file":
        return ssl.create_default_context(cafile=where)
    if kind == "dir":
        return ssl.create_default_context(capath=where)
    if kind == "system":
        try:
            import truststore
        except ImportError:  # pragma: no cover - truststore is a dependency
            pass
        else:
            return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _context_key(verify: bool | str | None, environ: Mapping[str, str]) -> tuple[tuple[str, str], str]:
    if verify is False:
        return ("insecure", ""), "verify=False"
    if isinstance(verify, (str, os.PathLike)):
        candidates: list[tuple[str, str]] = [("verify", os.fspath(verify))]
    elif verify is None or verify is True:
        candidates = [(name, value) for name in CA_ENV_VARS if (value := (environ.get(name) or "").strip())]
    else:
        raise ConfigError(f"verify must be True, False or the path of a CA bundle (got {verify!r}).")
    for source, value in candidates:
        path = Path(value).expanduser()
        if path.is_file():
            return ("file", str(path)), f"{source}={path}"
        if path.is_dir():
            return ("dir", str(path)), f"{source}={path}"
        raise ConfigError(f"{source} names {value!r}, which is neither a CA bundle file nor a folder of CA files.")
    if _system_store_missing():
        return ("certifi", ""), "certifi (no system trust store found)"
    return ("system", ""), "the system trust store"


def ssl_context(verify: bool | str | ssl.SSLContext | None = None, *,
                environ: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """The TLS context for ``verify`` (one per distinct choice, built once per process).

    None or True: the CA variables of the environment, else the operating system's trust store.
    A path: that CA bundle (file) or CA folder. False: no verification (warns once).
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    key, _ = _context_key(verify, os.environ if environ is None else environ)
    if key[0] == "insecure" and not _WARNED_INSECURE.is_set():
        _WARNED_INSECURE.set()
        warnings.warn("TLS verification is off (verify=False): certificates are not checked, so anyone on the "
                      "network path can read and change the traffic, credentials included.",
                      InsecureTLSWarning, stacklevel=3)
    with _CONTEXTS_LOCK:
        context = _CONTEXTS.get(key)
        if context is None:
            context = _CONTEXTS[key] = _build_context(*key)
        return context
