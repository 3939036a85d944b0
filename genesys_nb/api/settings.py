"""Connection settings: the region table, credentials, and reading them from the environment or a .env file."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from genesys_nb.api.errors import ConfigError
from genesys_nb.api.network import check_proxy_url, redact_proxy

__all__ = ["DEFAULT_REGION", "ENV_VARS", "REGIONS", "Settings", "resolve_domain"]

# Region enum name -> domain, as in the Genesys Cloud SDKs' region host tables.
REGIONS: dict[str, str] = {
    "us_east_1": "mypurecloud.com",
    "eu_west_1": "mypurecloud.ie",
    "ap_southeast_2": "mypurecloud.com.au",
    "ap_northeast_1": "mypurecloud.jp",
    "eu_central_1": "mypurecloud.de",
    "us_west_2": "usw2.pure.cloud",
    "ca_central_1": "cac1.pure.cloud",
    "ap_northeast_2": "apne2.pure.cloud",
    "eu_west_2": "euw2.pure.cloud",
    "ap_south_1": "aps1.pure.cloud",
    "us_east_2": "use2.us-gov-pure.cloud",
    "sa_east_1": "sae1.pure.cloud",
    "me_central_1": "mec1.pure.cloud",
    "ap_northeast_3": "apne3.pure.cloud",
    "eu_central_2": "euc2.pure.cloud",
    "mx_central_1": "mxc1.pure.cloud",
    "ap_southeast_1": "apse1.pure.cloud",
    "eusc_de_east_1": "edee1.eusc-pure.cloud",
}

DEFAULT_REGION = "us_east_1"

# Every environment variable Settings.from_env reads, named once.
ENV_VARS = (
    "GENESYS_CLIENT_ID",
    "GENESYS_CLIENT_SECRET",
    "GENESYS_REGION",
    "GENESYS_ENV",
    "GENESYS_API_BASE_URL",
    "GENESYS_LOGIN_BASE_URL",
    "GENESYS_PROXY",
    "GENESYS_CA_BUNDLE",
)

_DOMAINS = frozenset(REGIONS.values())


def resolve_domain(region: str) -> str:
    """Return the domain for a region enum name (``eu_west_1``) or a domain (``mypurecloud.ie``).

    Also accepts the dashed form (``eu-west-1``) and a full host (``api.mypurecloud.ie``).
    Raises ConfigError listing the valid names when the region is unknown.
    """
    text = region.strip()
    key = text.lower().replace("-", "_")
    if key in REGIONS:
        return REGIONS[key]
    host = text.lower()
    for prefix in ("https://", "http://"):
        host = host.removeprefix(prefix)
    host = host.rstrip("/")
    for prefix in ("api.", "login."):
        if host.startswith(prefix) and host[len(prefix):] in _DOMAINS:
            host = host[len(prefix):]
    if host in _DOMAINS:
        return host
    names = ", ".join(REGIONS)
    raise ConfigError(
        f"Unknown Genesys Cloud region {region!r}. Set GENESYS_REGION to one of: {names}; "
        f"or to a domain such as 'mypurecloud.ie' (GENESYS_ENV also accepts a domain)."
    )


def _clean_url(url: str, name: str) -> str:
    text = url.strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must start with http:// or https:// (got {text!r}).")
    return text


def _find_env_file(path: Path) -> Path | None:
    """`path` if it is a file; for a bare name such as ``.env``, the nearest one in the current folder or a
    parent (a notebook kernel runs in ``notebooks/`` while the project's .env sits one level up)."""
    if path.is_file():
        return path
    if path.is_absolute() or len(path.parts) != 1:
        return None
    for folder in Path.cwd().parents:
        candidate = folder / path
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class Settings:
    """Credentials and hosts for one Genesys Cloud org (or the emulator, via explicit base URLs).

    The client secret never appears in ``repr``/``str``, nor does a proxy password.

    ``proxy`` (a URL such as ``http://user:pw@proxy.corp:3128``, or ``"direct"`` for none) wins over
    HTTPS_PROXY/HTTP_PROXY/ALL_PROXY; ``verify`` is True, False (explicit, warns once) or the path of
    a CA bundle. Left None, both follow the environment (see :mod:`genesys_nb.api.network`).

    >>> s = Settings("my-id", "my-secret", region="eu_west_1")
    >>> s.api_url, s.login_url
    ('https://api.mypurecloud.ie', 'https://login.mypurecloud.ie')
    >>> "my-secret" in repr(s)
    False
    """

    client_id: str
    client_secret: str = field(repr=False)
    region: str = DEFAULT_REGION
    api_base_url: str | None = None
    login_base_url: str | None = None
    proxy: str | None = field(default=None, repr=False)
    verify: bool | str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.client_id, str) or not self.client_id.strip():
            raise ConfigError("client_id is empty: set GENESYS_CLIENT_ID to the OAuth client's id.")
        if not isinstance(self.client_secret, str) or not self.client_secret:
            raise ConfigError("client_secret is empty: set GENESYS_CLIENT_SECRET to the OAuth client's secret.")
        if not isinstance(self.region, str):
            raise ConfigError(f"region must be a string such as 'us_east_1' (got {type(self.region).__name__}).")
        # Validates the region early, so a typo fails at construction time.
        resolve_domain(self.region)
        if self.api_base_url is not None:
            object.__setattr__(self, "api_base_url", _clean_url(self.api_base_url, "api_base_url"))
        if self.login_base_url is not None:
            object.__setattr__(self, "login_base_url", _clean_url(self.login_base_url, "login_base_url"))
        if self.proxy is not None:
            if not isinstance(self.proxy, str):
                raise ConfigError(f"proxy must be a URL string such as 'http://proxy.corp:3128' "
                                  f"(got {type(self.proxy).__name__}).")
            object.__setattr__(self, "proxy", check_proxy_url(self.proxy, "proxy"))
        if self.verify is not None and not isinstance(self.verify, (bool, str)):
            raise ConfigError(f"verify must be True, False or the path of a CA bundle (got {self.verify!r}).")

    def __repr__(self) -> str:
        parts = [f"client_id={self.client_id!r}", "client_secret='***'", f"region={self.region!r}"]
        if self.api_base_url is not None:
            parts.append(f"api_base_url={self.api_base_url!r}")
        if self.login_base_url is not None:
            parts.append(f"login_base_url={self.login_base_url!r}")
        if self.proxy is not None:
            parts.append(f"proxy={redact_proxy(self.proxy)!r}")
        if self.verify is not None:
            parts.append(f"verify={self.verify!r}")
        return f"Settings({', '.join(parts)})"

    __str__ = __repr__

    # slots=True keeps the secret out of vars()/__dict__ dumps; these two keep pickling working on 3.10.
    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    @property
    def domain(self) -> str:
        """The region's domain, such as ``mypurecloud.com``."""
        return resolve_domain(self.region)

    @property
    def api_url(self) -> str:
        """Base URL of the Platform API, without a trailing slash."""
        if self.api_base_url is not None:
            return self.api_base_url
        return f"https://api.{self.domain}"

    @property
    def login_url(self) -> str:
        """Base URL of the OAuth login host, without a trailing slash."""
        if self.login_base_url is not None:
            return self.login_base_url
        if self.api_base_url is not None:
            return self.api_base_url
        return f"https://login.{self.domain}"

    @staticmethod
    def _read_env(env_file: str | Path | None, environ: Mapping[str, str] | None) -> dict[str, str]:
        """Merge the .env file (lower priority) with the process environment; os.environ is left untouched."""
        merged: dict[str, str] = {}
        if env_file is not None:
            path = _find_env_file(Path(env_file))
            if path is not None:
                for key, value in dotenv_values(path).items():
                    if value is not None:
                        merged[key] = value
        source = os.environ if environ is None else environ
        for key in ENV_VARS:
            value = source.get(key)
            if value is not None and value.strip() != "":
                merged[key] = value
        return {key: value.strip() for key, value in merged.items() if key in ENV_VARS and value.strip()}

    @classmethod
    def from_env(
        cls, env_file: str | Path | None = ".env", environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Build Settings from environment variables, falling back to a .env file.

        Reads GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET, GENESYS_REGION (enum name or domain) or
        GENESYS_ENV (domain), GENESYS_API_BASE_URL, GENESYS_LOGIN_BASE_URL, GENESYS_PROXY (a proxy
        URL that wins over HTTPS_PROXY and the like) and GENESYS_CA_BUNDLE (a CA bundle path). Values
        in the environment win over the file. ``environ`` replaces ``os.environ`` (for tests).
        """
        values = cls._read_env(env_file, environ)
        for name in ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET"):
            if name not in values:
                where = f" or in {env_file}" if env_file is not None else ""
                raise ConfigError(f"{name} is not set: export it{where} (an OAuth client-credentials client).")
        region = values.get("GENESYS_REGION") or values.get("GENESYS_ENV") or DEFAULT_REGION
        return cls(
            client_id=values["GENESYS_CLIENT_ID"],
            client_secret=values["GENESYS_CLIENT_SECRET"],
            region=region,
            api_base_url=values.get("GENESYS_API_BASE_URL"),
            login_base_url=values.get("GENESYS_LOGIN_BASE_URL"),
            proxy=values.get("GENESYS_PROXY"),
            verify=values.get("GENESYS_CA_BUNDLE"),
        )

    @classmethod
    def has_credentials_in_env(
        cls, env_file: str | Path | None = ".env", environ: Mapping[str, str] | None = None
    ) -> bool:
        """True when both GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET are available."""
        values = cls._read_env(env_file, environ)
        return "GENESYS_CLIENT_ID" in values and "GENESYS_CLIENT_SECRET" in values
