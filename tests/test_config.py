"""Configuration precedence, as the official CLI resolves it."""

from __future__ import annotations

from pathlib import Path

import pytest

from restate_cli.config import Flags, resolve
from restate_cli.errors import UsageError


def write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "restate" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def env(home: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(home), **extra}


def test_nothing_configured_means_the_embedded_runtime(tmp_path: Path) -> None:
    s = resolve(env(tmp_path), Flags())
    assert s.admin_url is None and s.embedded
    assert s.data_dir == tmp_path / ".local" / "share" / "restate-cli"
    assert resolve(env(tmp_path, RESTATE_CLI_HOME="/x"), Flags()).data_dir == Path("/x")
    assert resolve(env(tmp_path, XDG_DATA_HOME="/d"), Flags()).data_dir == Path("/d/restate-cli")


def test_local_environment_has_a_default_url(tmp_path: Path) -> None:
    s = resolve(env(tmp_path), Flags(environment="local"))
    assert s.admin_url == "http://127.0.0.1:9070/"
    assert s.environment_source == "argument"


def test_precedence_file_then_env_then_flag(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        """
[default]
bearer_token = "default-token"
[staging]
admin_base_url = "https://staging.example.com:9070"
bearer_token = "staging-token"
""",
    )
    s = resolve(env(tmp_path, RESTATE_ENVIRONMENT="staging"), Flags())
    assert s.admin_url == "https://staging.example.com:9070/"
    assert s.bearer_token == "staging-token"
    assert s.environment_source == "$RESTATE_ENVIRONMENT"
    s = resolve(env(tmp_path, RESTATE_ENVIRONMENT="staging", RESTATE_ADMIN_URL="http://a:1"), Flags())
    assert s.admin_url == "http://a:1/"
    s = resolve(
        env(tmp_path, RESTATE_ENVIRONMENT="staging", RESTATE_AUTH_TOKEN="t"),
        Flags(admin_url="http://b:2"),
    )
    assert (s.admin_url, s.bearer_token) == ("http://b:2/", "t")


def test_global_token_beats_the_profile(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        '[global]\nbearer_token = "g"\n[p]\nadmin_base_url = "http://p:9070"\nbearer_token = "p"\n',
    )
    assert resolve(env(tmp_path), Flags(environment="p")).bearer_token == "g"


def test_environment_file_selects_a_profile(tmp_path: Path) -> None:
    write_config(tmp_path, '[prod]\nadmin_base_url = "http://prod:9070"\n')
    (tmp_path / ".config" / "restate" / "environment").write_text("prod\n")
    s = resolve(env(tmp_path), Flags())
    assert (s.admin_url, s.environment, s.environment_source) == (
        "http://prod:9070/",
        "prod",
        "file",
    )


def test_restate_host_sets_the_admin_port(tmp_path: Path) -> None:
    s = resolve(env(tmp_path, RESTATE_HOST="h", RESTATE_HOST_SCHEME="https"), Flags())
    assert s.admin_url == "https://h:9070/"


def test_unknown_environment_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no Restate admin endpoint is configured for environment 'nope'"):
        resolve(env(tmp_path), Flags(environment="nope"))


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, "[broken\n")
    with pytest.raises(UsageError, match=str(path)):
        resolve(env(tmp_path), Flags())


@pytest.mark.parametrize("url", ["ftp://x", "localhost:9070", "http://", "http://h:99999"])
def test_bad_urls(tmp_path: Path, url: str) -> None:
    with pytest.raises(UsageError, match="invalid admin URL"):
        resolve(env(tmp_path), Flags(admin_url=url))


def test_timeouts_and_tls(tmp_path: Path) -> None:
    s = resolve(
        env(tmp_path),
        Flags(connect_timeout_ms=500, request_timeout_ms=2000, insecure_skip_tls_verify=True),
    )
    assert (s.connect_timeout, s.request_timeout, s.tls_verify) == (0.5, 2.0, False)


def test_token_is_not_in_repr(tmp_path: Path) -> None:
    s = resolve(env(tmp_path, RESTATE_AUTH_TOKEN="sekrit", RESTATE_ADMIN_URL="http://x:1"), Flags())
    assert "sekrit" not in repr(s)
