"""Settings: regions, base URL overrides, env and .env reading, and a repr that never shows the secret."""
from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path

import pytest

from genesys_nb.api.errors import ConfigError
from genesys_nb.api.settings import REGIONS, Settings, resolve_domain

SECRET = "s3cr3t-value-never-shown"

ALL_REGIONS = [
    ("us_east_1", "mypurecloud.com"),
    ("eu_west_1", "mypurecloud.ie"),
    ("ap_southeast_2", "mypurecloud.com.au"),
    ("ap_northeast_1", "mypurecloud.jp"),
    ("eu_central_1", "mypurecloud.de"),
    ("us_west_2", "usw2.pure.cloud"),
    ("ca_central_1", "cac1.pure.cloud"),
    ("ap_northeast_2", "apne2.pure.cloud"),
    ("eu_west_2", "euw2.pure.cloud"),
    ("ap_south_1", "aps1.pure.cloud"),
    ("us_east_2", "use2.us-gov-pure.cloud"),
    ("sa_east_1", "sae1.pure.cloud"),
    ("me_central_1", "mec1.pure.cloud"),
    ("ap_northeast_3", "apne3.pure.cloud"),
    ("eu_central_2", "euc2.pure.cloud"),
    ("mx_central_1", "mxc1.pure.cloud"),
    ("ap_southeast_1", "apse1.pure.cloud"),
    ("eusc_de_east_1", "edee1.eusc-pure.cloud"),
]


def test_region_table_has_all_18_regions() -> None:
    assert len(REGIONS) == 18
    assert dict(ALL_REGIONS) == REGIONS


@pytest.mark.parametrize(("region", "domain"), ALL_REGIONS)
def test_enum_name_gives_api_and_login_hosts(region: str, domain: str) -> None:
    settings = Settings("id", SECRET, region=region)
    assert settings.domain == domain
    assert settings.api_url == f"https://api.{domain}"
    assert settings.login_url == f"https://login.{domain}"


@pytest.mark.parametrize(("region", "domain"), ALL_REGIONS)
def test_domain_is_accepted_as_region(region: str, domain: str) -> None:
    assert Settings("id", SECRET, region=domain).api_url == f"https://api.{domain}"


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("eu-west-1", "mypurecloud.ie"),
        ("EU_WEST_1", "mypurecloud.ie"),
        (" mypurecloud.de ", "mypurecloud.de"),
        ("api.mypurecloud.jp", "mypurecloud.jp"),
        ("https://login.usw2.pure.cloud/", "usw2.pure.cloud"),
    ],
)
def test_region_spellings(text: str, domain: str) -> None:
    assert resolve_domain(text) == domain


def test_default_region_is_us_east_1() -> None:
    assert Settings("id", SECRET).api_url == "https://api.mypurecloud.com"


def test_unknown_region_lists_valid_names() -> None:
    with pytest.raises(ConfigError) as info:
        Settings("id", SECRET, region="mars_north_1")
    message = str(info.value)
    assert "mars_north_1" in message
    assert "eu_west_1" in message and "eusc_de_east_1" in message
    assert isinstance(info.value, ValueError)


def test_explicit_base_urls_override_both_hosts() -> None:
    settings = Settings(
        "id", SECRET, region="eu_west_1",
        api_base_url="http://127.0.0.1:8123/", login_base_url="http://127.0.0.1:9000",
    )
    assert settings.api_url == "http://127.0.0.1:8123"
    assert settings.login_url == "http://127.0.0.1:9000"


def test_api_base_url_alone_serves_login_too() -> None:
    settings = Settings("id", SECRET, api_base_url="http://127.0.0.1:8123")
    assert settings.login_url == "http://127.0.0.1:8123"


def test_login_base_url_alone_keeps_region_api_host() -> None:
    settings = Settings("id", SECRET, region="eu_west_2", login_base_url="http://127.0.0.1:9")
    assert settings.api_url == "https://api.euw2.pure.cloud"
    assert settings.login_url == "http://127.0.0.1:9"


def test_base_url_without_scheme_is_refused() -> None:
    with pytest.raises(ConfigError, match="api_base_url"):
        Settings("id", SECRET, api_base_url="127.0.0.1:8000")


@pytest.mark.parametrize(("client_id", "secret", "named"), [("", SECRET, "GENESYS_CLIENT_ID"),
                                                             ("id", "", "GENESYS_CLIENT_SECRET")])
def test_empty_credentials_are_refused(client_id: str, secret: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings(client_id, secret)


def test_repr_and_str_never_show_the_secret() -> None:
    settings = Settings("my-client", SECRET, region="eu_west_1", api_base_url="http://127.0.0.1:1")
    for text in (repr(settings), str(settings), f"{settings}", f"{settings!r}", repr([settings]),
                 repr({"s": settings})):
        assert SECRET not in text
        assert "my-client" in text
        assert "***" in text
    assert "eu_west_1" in repr(settings)


def test_vars_dump_is_not_possible() -> None:
    settings = Settings("my-client", SECRET)
    with pytest.raises(TypeError):
        vars(settings)


def test_settings_are_frozen_and_pickle() -> None:
    settings = Settings("my-client", SECRET, region="eu_west_1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.region = "us_east_1"  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(settings))
    assert copy == settings
    assert copy.client_secret == SECRET


def test_from_env_reads_every_variable() -> None:
    environ = {
        "GENESYS_CLIENT_ID": "abc",
        "GENESYS_CLIENT_SECRET": SECRET,
        "GENESYS_REGION": "ap_southeast_2",
        "GENESYS_API_BASE_URL": "http://127.0.0.1:5000",
        "GENESYS_LOGIN_BASE_URL": "http://127.0.0.1:5001",
    }
    settings = Settings.from_env(env_file=None, environ=environ)
    assert settings.client_id == "abc"
    assert settings.client_secret == SECRET
    assert settings.domain == "mypurecloud.com.au"
    assert settings.api_url == "http://127.0.0.1:5000"
    assert settings.login_url == "http://127.0.0.1:5001"


def test_from_env_accepts_genesys_env_domain() -> None:
    environ = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": SECRET, "GENESYS_ENV": "mypurecloud.ie"}
    assert Settings.from_env(env_file=None, environ=environ).login_url == "https://login.mypurecloud.ie"


def test_genesys_region_wins_over_genesys_env() -> None:
    environ = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": SECRET,
               "GENESYS_REGION": "eu_central_1", "GENESYS_ENV": "mypurecloud.ie"}
    assert Settings.from_env(env_file=None, environ=environ).domain == "mypurecloud.de"


@pytest.mark.parametrize("missing", ["GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET"])
def test_from_env_names_the_missing_variable(missing: str) -> None:
    environ = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": SECRET}
    del environ[missing]
    with pytest.raises(ConfigError, match=missing):
        Settings.from_env(env_file=None, environ=environ)


def test_from_env_reads_dotenv_file_without_touching_os_environ(tmp_path: Path) -> None:
    marker = "GENESYS_NB_TEST_MARKER_NOT_READ"
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"GENESYS_CLIENT_ID=from-file\nGENESYS_CLIENT_SECRET={SECRET}\nGENESYS_REGION=eu_west_2\n{marker}=1\n",
        encoding="utf-8",
    )
    before = dict(os.environ)
    settings = Settings.from_env(env_file=env_file, environ={})
    assert settings.client_id == "from-file"
    assert settings.domain == "euw2.pure.cloud"
    assert dict(os.environ) == before
    assert marker not in os.environ


def test_environment_wins_over_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"GENESYS_CLIENT_ID=from-file\nGENESYS_CLIENT_SECRET={SECRET}\n", encoding="utf-8")
    settings = Settings.from_env(env_file=env_file, environ={"GENESYS_CLIENT_ID": "from-env"})
    assert settings.client_id == "from-env"
    assert settings.client_secret == SECRET


def test_blank_environment_values_do_not_hide_the_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"GENESYS_CLIENT_ID=from-file\nGENESYS_CLIENT_SECRET={SECRET}\n", encoding="utf-8")
    settings = Settings.from_env(env_file=env_file, environ={"GENESYS_CLIENT_ID": "  "})
    assert settings.client_id == "from-file"


def test_missing_env_file_is_not_an_error(tmp_path: Path) -> None:
    environ = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": SECRET}
    assert Settings.from_env(env_file=tmp_path / "absent.env", environ=environ).client_id == "abc"


def test_bad_region_in_env_is_a_config_error() -> None:
    environ = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": SECRET, "GENESYS_REGION": "nowhere"}
    with pytest.raises(ConfigError, match="GENESYS_REGION"):
        Settings.from_env(env_file=None, environ=environ)


def test_has_credentials_in_env(tmp_path: Path) -> None:
    assert not Settings.has_credentials_in_env(env_file=None, environ={})
    assert not Settings.has_credentials_in_env(env_file=None, environ={"GENESYS_CLIENT_ID": "x"})
    assert Settings.has_credentials_in_env(
        env_file=None, environ={"GENESYS_CLIENT_ID": "x", "GENESYS_CLIENT_SECRET": "y"}
    )
    env_file = tmp_path / ".env"
    env_file.write_text("GENESYS_CLIENT_ID=x\nGENESYS_CLIENT_SECRET=y\n", encoding="utf-8")
    assert Settings.has_credentials_in_env(env_file=env_file, environ={})


def test_config_error_from_env_never_contains_the_secret() -> None:
    environ = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": SECRET, "GENESYS_REGION": "bogus"}
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env_file=None, environ=environ)
    assert SECRET not in str(info.value)


def test_docstring_examples_run() -> None:
    import doctest

    import genesys_nb.api.settings

    outcome = doctest.testmod(genesys_nb.api.settings)
    assert outcome.attempted > 0 and outcome.failed == 0


def test_bare_env_file_name_is_found_in_a_parent_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("GENESYS_CLIENT_ID=parent-id\nGENESYS_CLIENT_SECRET=parent-secret\n")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)  # where a JupyterLab kernel runs
    settings = Settings.from_env(".env", environ={})
    assert settings.client_id == "parent-id"
    # an explicit path is taken as given, never searched for
    assert not Settings.has_credentials_in_env(notebooks / ".env", environ={})


# ---- proxy and TLS choices ------------------------------------------------------------------------
def test_proxy_password_never_shows_and_bad_proxies_are_refused() -> None:
    import pickle

    s = Settings("id", "sec", proxy="http://alice:pr0xy-pw@proxy.corp:3128", verify="/etc/ssl/company.pem")
    assert "pr0xy-pw" not in repr(s) and "pr0xy-pw" not in str(s)
    assert "proxy='http://alice:***@proxy.corp:3128'" in repr(s) and "verify='/etc/ssl/company.pem'" in repr(s)
    assert pickle.loads(pickle.dumps(s)).proxy == s.proxy  # the password survives where it is needed
    assert Settings("id", "sec", proxy="proxy.corp:3128").proxy == "http://proxy.corp:3128"
    assert Settings("id", "sec", proxy="DIRECT").proxy == "direct"
    for bad in ("ftp://proxy:21", "http://:3128", "http://alice:pw@proxy:99999"):
        with pytest.raises(ConfigError) as raised:
            Settings("id", "sec", proxy=bad)
        assert "pw" not in str(raised.value).replace("proxy", "")
    with pytest.raises(ConfigError):
        Settings("id", "sec", verify=3)  # type: ignore[arg-type]


def test_from_env_reads_genesys_proxy_and_ca_bundle(tmp_path: Path) -> None:
    from genesys_nb.api.network import network_policy

    bundle = tmp_path / "ca.pem"
    bundle.write_text("", encoding="utf-8")
    env = {"GENESYS_CLIENT_ID": "id", "GENESYS_CLIENT_SECRET": "sec", "GENESYS_PROXY": "http://p:1",
           "GENESYS_CA_BUNDLE": str(bundle)}
    s = Settings.from_env(None, env)
    assert (s.proxy, s.verify) == ("http://p:1", str(bundle))
    missing = Settings("id", "sec", verify=str(tmp_path / "nope.pem"))
    with pytest.raises(ConfigError, match="nope.pem"):
        network_policy(missing, environ={})
    with pytest.raises(ConfigError, match="SSL_CERT_FILE"):
        network_policy(environ={"SSL_CERT_FILE": str(tmp_path / "gone.pem")})
