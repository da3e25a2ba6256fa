"""Kafka input checked on this side of the wire: URIs, ``KEY=VALUE`` properties, files, secrets.

Pure functions over the standard library; every problem is a ``UsageError`` (exit 2)
raised before any request is sent.

Properties are librdkafka configuration and pass through unchanged: only their shape is
checked here (``KEY=VALUE``, no empty or repeated key), never their names or values.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from restate_cli.errors import UsageError
from restate_cli.limits import MAX_FILE_BYTES, size_text

BROKER_KEYS = ("bootstrap.servers", "metadata.broker.list")
MASK = "***"

# A key is secret when one of these occurs anywhere in it (case-insensitive). This covers
# what restate-server itself masks (sasl.password, sasl.username, ssl.key.password,
# ssl.keystore.*, sasl.jaas.config, sasl.oauthbearer.config, ...) and more: the CLI would
# rather hide a harmless path than print a credential the server does not recognise.
SECRET_MARKERS = (
    "password",
    "passphrase",
    "passwd",
    "secret",
    "token",
    "key",
    "username",
    "jaas",
    "credential",
    "oauthbearer.config",
)

FLAT_SUFFIXES = (".properties", ".conf", ".env")
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


# -- secrets ---------------------------------------------------------------------------


def is_secret(key: str) -> bool:
    """Whether the value of property ``key`` must never be printed."""
    k = key.lower()
    return any(marker in k for marker in SECRET_MARKERS)


def shown(key: str, value: str) -> str:
    """The value as the CLI may print it: ``***`` for secrets (and for what the server hid)."""
    return MASK if is_secret(key) else value


def masked(props: Mapping[str, str]) -> dict[str, str]:
    """``props`` sorted by key, with every secret value replaced by ``***``."""
    return {k: shown(k, v) for k, v in sorted(props.items())}


def redacted_by_server(props: Mapping[str, str]) -> list[str]:
    """The keys whose values the server sent back as ``***`` (their real value is unknown)."""
    return sorted(k for k, v in props.items() if v == MASK)


def brokers(props: Mapping[str, str]) -> str | None:
    """The broker list of a cluster: ``bootstrap.servers``, else ``metadata.broker.list``."""
    for key in BROKER_KEYS:
        value = props.get(key)
        if value and value != MASK:
            return value
    return None


def check_broker_keys(name: str, props: Mapping[str, str]) -> None:
    if not any(props.get(k, "").strip() for k in BROKER_KEYS):
        raise UsageError(
            f"the properties of Kafka cluster {name!r} must set bootstrap.servers (or metadata.broker.list)",
            hint="e.g. bootstrap.servers=broker-1:9092,broker-2:9092",
        )


# -- KEY=VALUE -------------------------------------------------------------------------


def looks_like_property(arg: str) -> bool:
    """``a.b=c`` is a property; ``kafka://c/t`` is not (an ``=`` after ``://`` is a URI)."""
    eq = arg.find("=")
    if eq < 0:
        return False
    scheme = arg.find("://")
    return scheme < 0 or eq < scheme


def parse_properties(args: Iterable[str], what: str = "property") -> dict[str, str]:
    """``["a=1", "b = x=y"]`` → ``{"a": "1", "b": " x=y"}``: split at the first ``=``,
    key trimmed, value kept as typed. An empty or repeated key is an error."""
    out: dict[str, str] = {}
    for arg in args:
        if "=" not in arg:
            raise UsageError(f"expected KEY=VALUE, got {arg!r}")
        key, value = arg.split("=", 1)
        key = key.strip()
        if not key:
            raise UsageError(f"expected KEY=VALUE with a non-empty KEY, got {arg!r}")
        if key in out:
            raise UsageError(f"{what} {key!r} is given more than once")
        out[key] = value
    return out


def parse_keys(args: Iterable[str]) -> list[str]:
    """Keys for ``--unset``: trimmed, non-empty, each once."""
    out: list[str] = []
    for arg in args:
        key = arg.strip()
        if not key or "=" in key:
            raise UsageError(f"--unset takes a property name, got {arg!r}")
        if key not in out:
            out.append(key)
    return out


# -- URIs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    cluster: str
    topic: str

    def __str__(self) -> str:
        return f"kafka://{self.cluster}/{self.topic}"


@dataclass(frozen=True)
class Sink:
    service: str
    handler: str

    def __str__(self) -> str:
        return f"service://{self.service}/{self.handler}"


def _split(uri: str, scheme: str) -> tuple[str, list[str]] | None:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    if parts.scheme != scheme or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    if not uri.startswith(f"{scheme}://"):
        return None
    return parts.netloc, parts.path.split("/")[1:] if parts.path else []


def parse_source(uri: str) -> Source:
    """``kafka://CLUSTER/TOPIC``, with a topic name Kafka accepts."""
    form = "expected kafka://CLUSTER/TOPIC"
    split = _split(uri.strip(), "kafka")
    if split is None:
        raise UsageError(f"invalid source {uri!r}: {form}")
    cluster, path = split
    if not cluster:
        raise UsageError(f"invalid source {uri!r}: the Kafka cluster name is missing; {form}")
    if ":" in cluster:
        raise UsageError(
            f"invalid source {uri!r}: {form}, where CLUSTER is the name of a registered "
            "Kafka cluster, not a broker address",
            hint="see restate-cli kafka-clusters list",
        )
    if len(path) != 1 or not path[0]:
        raise UsageError(f"invalid source {uri!r}: {form}, with exactly one topic")
    topic = path[0]
    if not _TOPIC.match(topic) or topic in (".", ".."):
        raise UsageError(
            f"invalid source {uri!r}: a Kafka topic name has 1 to 249 letters, digits, '.', '_' or '-'"
        )
    return Source(cluster, topic)


def parse_sink(uri: str) -> Sink:
    """``service://SERVICE/HANDLER``."""
    form = "expected service://SERVICE/HANDLER"
    split = _split(uri.strip(), "service")
    if split is None:
        raise UsageError(f"invalid sink {uri!r}: {form}")
    service, path = split
    if not service or len(path) != 1 or not path[0]:
        raise UsageError(f"invalid sink {uri!r}: {form}")
    return Sink(service, path[0])


def source_cluster(uri: str) -> str | None:
    """The cluster of a stored source URI, or None when it is not ``kafka://…``."""
    split = _split(uri, "kafka")
    if split is None or not split[0]:
        return None
    return split[0]


def check_cluster_name(name: str) -> None:
    """A cluster name is the host of ``kafka://NAME/topic``: it must be a valid hostname."""
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UsageError(
            f"invalid Kafka cluster name {name!r}: use a hostname-like name "
            "(letters, digits and '-', in labels separated by '.')",
            hint="it becomes the host part of kafka://NAME/topic",
        )


# -- files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileInput:
    """What a ``--from-file`` gave: properties and, for subscriptions, source and sink."""

    properties: dict[str, str]
    source: str | None = None
    sink: str | None = None


def read_file(path: str, table: str, read_stdin: Callable[[int], str], *, with_uris: bool) -> FileInput:
    """Read ``path`` (``-`` is stdin, read with ``read_stdin(size)``): flat ``key=value``
    lines for ``.properties``, ``.conf``, ``.env`` and stdin; TOML for anything else, with
    the properties in the ``[table]`` table (and ``source``/``sink`` at the top when
    ``with_uris``). At most ``MAX_FILE_BYTES``."""
    if path == "-":
        text = read_stdin(MAX_FILE_BYTES + 1)
        if len(text) > MAX_FILE_BYTES:
            raise _too_large("standard input")
        return _flat(text, "standard input", with_uris, env=False)
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise _too_large(path)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    suffix = p.suffix.lower()
    if suffix in FLAT_SUFFIXES:
        return _flat(text, path, with_uris, env=suffix == ".env")
    return _toml(text, path, table, with_uris)


def _too_large(where: str) -> UsageError:
    return UsageError(f"{where} holds more than {size_text(MAX_FILE_BYTES)}: not a properties or TOML file")


def _flat(text: str, where: str, with_uris: bool, *, env: bool) -> FileInput:
    props: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if env and line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise UsageError(f"{where}, line {number}: expected key=value, got {raw.strip()!r}")
        if env and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key in props:
            raise UsageError(f"{where}, line {number}: {key!r} was already set on line {lines[key]}")
        props[key], lines[key] = value, number
    source = props.pop("source", None) if with_uris else None
    sink = props.pop("sink", None) if with_uris else None
    return FileInput(props, source, sink)


def _toml(text: str, where: str, table: str, with_uris: bool) -> FileInput:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(
            f"{where} is not valid TOML ({e})",
            hint="name the file .properties or .conf for key=value lines",
        ) from None
    allowed = {table, "source", "sink"} if with_uris else {table}
    unknown = sorted(set(data) - allowed)
    if unknown:
        expected = "source, sink and [options]" if with_uris else f"a [{table}] table"
        raise UsageError(f"{where}: unexpected key {unknown[0]!r}; expected {expected}")
    uris: dict[str, str | None] = {}
    for key in ("source", "sink"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{where}: {key} must be a string")
        uris[key] = value
    section = data.get(table, {})
    if not isinstance(section, dict):
        raise UsageError(f"{where}: {table} must be a table ([{table}])")
    return FileInput(_flatten(section, where, table), uris["source"], uris["sink"])


def _flatten(section: dict, where: str, table: str, prefix: str = "") -> dict[str, str]:
    """TOML values as librdkafka strings; dotted keys (``[options.ssl]``) are joined back."""
    out: dict[str, str] = {}
    for key, value in section.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, where, table, f"{name}."))
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, int | float | str):
            out[name] = str(value)
        else:
            raise UsageError(
                f"{where}: [{table}] {name} must be a string, number or boolean",
                hint="librdkafka lists are comma-separated strings",
            )
    return out
