"""Settings from flags, environment variables and the official CLI's config file.

``resolve`` is a pure function of its arguments, following the official CLI's precedence
(lowest first): built-in defaults, then the config file (``[default]``, the selected
profile, ``[global]``), then ``RESTATE_HOST``, ``RESTATE_ADMIN_URL`` and
``RESTATE_AUTH_TOKEN``, then command-line flags.

With nothing configured at all (no flag, no variable, no environment file, no URL in
``[default]`` or ``[global]``), the embedded runtime under the data directory is used.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from restate_cli.errors import UsageError

LOCAL_ADMIN_URL = "http://127.0.0.1:9070/"
DEFAULT_CONNECT_TIMEOUT_MS = 3000
DEFAULT_REQUEST_TIMEOUT_MS = 13000


@dataclass(frozen=True)
class Flags:
    """The global command-line options that shape the connection."""

    admin_url: str | None = None
    environment: str | None = None
    connect_timeout_ms: int | None = None
    request_timeout_ms: int | None = None
    insecure_skip_tls_verify: bool = False


@dataclass(frozen=True)
class Settings:
    """Where the admin API is and how to talk to it."""

    admin_url: str | None  # None: the embedded runtime
    bearer_token: str | None = field(default=None, repr=False)
    environment: str | None = None
    environment_source: str = "default"
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_MS / 1000
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT_MS / 1000
    tls_verify: bool = True
    data_dir: Path = Path(".")
    config_file: Path = Path(".")

    @property
    def embedded(self) -> bool:
        return self.admin_url is None

    @property
    def server_label(self) -> str:
        """How error messages name the server."""
        return self.admin_url or f"embedded runtime ({self.data_dir})"


def config_dir(environ: Mapping[str, str]) -> Path:
    if environ.get("RESTATE_CLI_CONFIG_HOME"):
        return Path(environ["RESTATE_CLI_CONFIG_HOME"])
    return Path(environ.get("HOME", str(Path.home()))) / ".config" / "restate"


def config_file(environ: Mapping[str, str]) -> Path:
    if environ.get("RESTATE_CLI_CONFIG"):
        return Path(environ["RESTATE_CLI_CONFIG"])
    return config_dir(environ) / "config.toml"


def data_dir(environ: Mapping[str, str]) -> Path:
    """The embedded runtime's home: ``$RESTATE_CLI_HOME``, else the XDG data directory."""
    if environ.get("RESTATE_CLI_HOME"):
        return Path(environ["RESTATE_CLI_HOME"])
    xdg = environ.get("XDG_DATA_HOME") or str(
        Path(environ.get("HOME", str(Path.home()))) / ".local" / "share"
    )
    return Path(xdg) / "restate-cli"


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file; comments, blanks and junk are skipped."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return values
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if key:
            values[key] = value
    return values


def load_config_file(path: Path) -> dict[str, dict]:
    """The parsed TOML file, or ``{}`` when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise UsageError(f"cannot read config file {path}: {e.strerror}") from None
    import tomllib  # only when there is a file: most runs have none

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise UsageError(f"config file {path} is not valid TOML: {e}") from None
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def selected_environment(environ: Mapping[str, str], flags: Flags) -> tuple[str | None, str]:
    """The profile name and where it came from, as ``whoami`` reports it."""
    if flags.environment:
        return flags.environment, "argument"
    if environ.get("RESTATE_ENVIRONMENT"):
        return environ["RESTATE_ENVIRONMENT"], "$RESTATE_ENVIRONMENT"
    env_file = config_dir(environ) / "environment"
    try:
        name = env_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        name = ""
    if name:
        return name, "file"
    return None, "default"


def normalize_admin_url(url: str, origin: str) -> str:
    """Check that ``url`` is an http(s) base URL and give it a trailing slash."""
    url = url.strip()
    try:
        parts = urlsplit(url)  # raises on a malformed [IPv6] host
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as e:
        reason = "bad port" if "port" in str(e).lower() else str(e)
        raise UsageError(f"invalid admin URL {url!r} (from {origin}): {reason}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"invalid admin URL {url!r} (from {origin}): expected http://host:port or https://host"
        )
    return url if url.endswith("/") else url + "/"


def resolve(environ: Mapping[str, str], flags: Flags, *, config_path: Path | None = None) -> Settings:
    """Combine defaults, config file, environment and flags into one ``Settings``."""
    path = config_path or config_file(environ)
    profiles = load_config_file(path)
    env_name, env_source = selected_environment(environ, flags)

    merged: dict = {}
    for section in ("default", env_name, "global"):
        if section and isinstance(profiles.get(section), dict):
            merged.update({k: v for k, v in profiles[section].items() if k != "cloud"})

    admin_url: str | None = None
    origin = ""
    if env_name == "local":
        admin_url, origin = LOCAL_ADMIN_URL, "the built-in local environment"
    if merged.get("admin_base_url"):
        admin_url = str(merged["admin_base_url"])
        origin = f"admin_base_url in {path}"
    if environ.get("RESTATE_HOST"):
        scheme = environ.get("RESTATE_HOST_SCHEME", "http")
        admin_url, origin = f"{scheme}://{environ['RESTATE_HOST']}:9070/", "$RESTATE_HOST"
    if environ.get("RESTATE_ADMIN_URL"):
        admin_url, origin = environ["RESTATE_ADMIN_URL"], "$RESTATE_ADMIN_URL"
    if flags.admin_url:
        admin_url, origin = flags.admin_url, "--admin-url"

    if admin_url is None and env_name is not None:
        raise UsageError(
            f"no Restate admin endpoint is configured for environment '{env_name}'",
            hint=f"set admin_base_url under [{env_name}] in {path}, "
            "or pass --admin-url / set $RESTATE_ADMIN_URL",
        )
    if admin_url is not None:
        admin_url = normalize_admin_url(admin_url, origin)

    token, token_source = environ.get("RESTATE_AUTH_TOKEN"), "$RESTATE_AUTH_TOKEN"
    if not token:
        token, token_source = merged.get("bearer_token") or None, f"bearer_token in {path}"
    if token is None and merged.get("environment_type") == "cloud":
        token, token_source = _cloud_token(profiles, path), f"[global.cloud] access_token in {path}"
    if token:
        _check_token(str(token), token_source)

    return Settings(
        admin_url=admin_url,
        bearer_token=str(token) if token else None,
        environment=env_name,
        environment_source=env_source,
        connect_timeout=(flags.connect_timeout_ms or DEFAULT_CONNECT_TIMEOUT_MS) / 1000,
        request_timeout=(flags.request_timeout_ms or DEFAULT_REQUEST_TIMEOUT_MS) / 1000,
        tls_verify=not flags.insecure_skip_tls_verify,
        data_dir=data_dir(environ),
        config_file=path,
    )


def _check_token(token: str, source: str) -> None:
    """A bearer token goes into a header line: no line breaks or other control characters.
    The message names where the token came from, never the token."""
    if "\n" in token or "\r" in token:
        problem = "a line break"
    elif any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in token):
        problem = "a control character"
    else:
        return
    raise UsageError(
        f"the bearer token from {source} contains {problem}",
        hint="a token is one line of printable characters; check for a trailing newline",
    )


def _cloud_token(profiles: Mapping[str, dict], path: Path) -> str:
    cloud = profiles.get("global", {}).get("cloud", {})
    token = cloud.get("access_token") if isinstance(cloud, dict) else None
    if not token:
        raise UsageError(
            "Restate Cloud credentials have not been provided",
            hint=f"set [global.cloud] access_token in {path}, or $RESTATE_AUTH_TOKEN",
        )
    try:
        import base64

        payload = str(token).split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        expires = float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError):
        raise UsageError("Restate Cloud credentials are invalid") from None
    if expires < time.time():
        raise UsageError("Restate Cloud credentials have expired", hint="log in to Restate Cloud again")
    return str(token)


def process_environ(cwd: Path | None = None) -> dict[str, str]:
    """The process environment, with a ``.env`` in the working directory underneath it."""
    env = read_dotenv((cwd or Path.cwd()) / ".env")
    env.update(os.environ)
    return env
