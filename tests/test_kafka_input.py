"""Kafka input checked before any request: URIs, KEY=VALUE, property files, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from restate_cli import kafka
from restate_cli.errors import UsageError


def no_stdin(size: int) -> str:
    raise AssertionError("stdin was read")


# -- secrets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "sasl.password",
        "SASL.PASSWORD",
        "sasl.username",
        "ssl.key.password",
        "ssl.keystore.password",
        "ssl.key.pem",
        "ssl_key",
        "ssl.keystore.location",
        "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.config",
        "sasl.oauthbearer.assertion.private.key.passphrase",
        "sasl.jaas.config",
        "https.client.key.password",
        "my.token",
        "api.key",
        "secret.thing",
        "aws.credentials",
    ],
)
def test_secret_keys_are_masked(key: str) -> None:
    assert kafka.is_secret(key)
    assert kafka.shown(key, "hunter2") == "***"
    assert kafka.masked({key: "hunter2", "a": "1"}) == {"a": "1", key: "***"}


@pytest.mark.parametrize(
    "key",
    [
        "bootstrap.servers",
        "metadata.broker.list",
        "security.protocol",
        "sasl.mechanisms",
        "client.id",
        "group.id",
        "auto.offset.reset",
        "session.timeout.ms",
        "sasl.oauthbearer.client.id",
        "ssl.ca.location",
        "socket.keepalive.enable",
    ],
)
def test_ordinary_keys_are_shown(key: str) -> None:
    assert not kafka.is_secret(key)
    assert kafka.shown(key, "v") == "v"


def test_brokers_prefers_bootstrap_servers_and_skips_masked() -> None:
    assert kafka.brokers({"metadata.broker.list": "b:2", "bootstrap.servers": "a:1"}) == "a:1"
    assert kafka.brokers({"metadata.broker.list": "b:2"}) == "b:2"
    assert kafka.brokers({"bootstrap.servers": "***"}) is None
    assert kafka.brokers({}) is None


# -- KEY=VALUE ---------------------------------------------------------------------------


def test_properties_split_at_the_first_equals_and_trim_only_the_key() -> None:
    assert kafka.parse_properties(["a=1", " b =x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    assert kafka.parse_properties(["k= spaced "]) == {"k": " spaced "}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["novalue"], "expected KEY=VALUE, got 'novalue'"),
        (["=1"], "non-empty KEY"),
        ([" =1"], "non-empty KEY"),
        (["a=1", "a=2"], "'a' is given more than once"),
        (["a=1", " a =2"], "'a' is given more than once"),
    ],
)
def test_malformed_properties(args: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        kafka.parse_properties(args)


def test_uris_are_not_properties() -> None:
    assert kafka.looks_like_property("a.b=c")
    assert kafka.looks_like_property("url=kafka://x/y")
    assert not kafka.looks_like_property("kafka://c/t")
    assert not kafka.looks_like_property("service://S/h?x=1")
    assert not kafka.looks_like_property("orders")


# -- URIs ----------------------------------------------------------------------------------


def test_valid_source_and_sink() -> None:
    assert kafka.parse_source("kafka://my-cluster/orders.v1_x-y") == kafka.Source(
        "my-cluster", "orders.v1_x-y"
    )
    assert str(kafka.parse_sink("service://Orders/handle")) == "service://Orders/handle"
    assert kafka.source_cluster("kafka://c1/t") == "c1"
    assert kafka.source_cluster("http://c1/t") is None


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("orders", "expected kafka://CLUSTER/TOPIC"),
        ("http://c/orders", "expected kafka://CLUSTER/TOPIC"),
        ("kafka:///orders", "cluster name is missing"),
        ("kafka://c", "exactly one topic"),
        ("kafka://c/", "exactly one topic"),
        ("kafka://c/a/b", "exactly one topic"),
        ("kafka://c/a topic", "letters, digits"),
        ("kafka://c/t?x=1", "expected kafka://CLUSTER/TOPIC"),
        ("kafka://localhost:9092/t", "not a broker address"),
        ("kafka://u@c/t", "expected kafka://CLUSTER/TOPIC"),
    ],
)
def test_bad_sources(uri: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        kafka.parse_source(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "Greeter/greet",
        "http://Greeter/greet",
        "service://Greeter",
        "service://Greeter/",
        "service:///greet",
        "service://Greeter/greet/extra",
        "service://Greeter/greet#x",
    ],
)
def test_bad_sinks(uri: str) -> None:
    with pytest.raises(UsageError, match="expected service://SERVICE/HANDLER"):
        kafka.parse_sink(uri)


@pytest.mark.parametrize("name", ["my-cluster", "kafka.prod", "K1", "a"])
def test_good_cluster_names(name: str) -> None:
    kafka.check_cluster_name(name)


@pytest.mark.parametrize("name", ["", "Bad_Name!", "-a", "a-", "a..b", "a/b", "x" * 64])
def test_bad_cluster_names(name: str) -> None:
    with pytest.raises(UsageError, match="invalid Kafka cluster name"):
        kafka.check_cluster_name(name)


# -- files -------------------------------------------------------------------------------


def test_properties_file_with_comments_and_uris(tmp_path: Path) -> None:
    f = tmp_path / "sub.properties"
    f.write_text(
        "# a comment\n; another\n\nsource = kafka://c/t\nsink=service://S/h\n"
        'auto.offset.reset=earliest\nsasl.jaas.config=x required a="b";\n'
    )
    got = kafka.read_file(str(f), "options", no_stdin, with_uris=True)
    assert got.source == "kafka://c/t" and got.sink == "service://S/h"
    assert got.properties == {
        "auto.offset.reset": "earliest",
        "sasl.jaas.config": 'x required a="b";',
    }


def test_env_file_unquotes_and_accepts_export(tmp_path: Path) -> None:
    f = tmp_path / "kafka.env"
    f.write_text("export bootstrap.servers='b:9092'\nclient.id=\"me\"\n")
    got = kafka.read_file(str(f), "properties", no_stdin, with_uris=False)
    assert got.properties == {"bootstrap.servers": "b:9092", "client.id": "me"}


def test_stdin_is_read_for_dash() -> None:
    got = kafka.read_file("-", "options", lambda size: "source=kafka://c/t\na=1\n", with_uris=True)
    assert got.source == "kafka://c/t" and got.sink is None and got.properties == {"a": "1"}


def test_toml_file_with_typed_and_dotted_keys(tmp_path: Path) -> None:
    f = tmp_path / "sub.toml"
    f.write_text(
        'source = "kafka://c/t"\nsink = "service://S/h"\n[options]\n'
        '"auto.offset.reset" = "earliest"\nsession.timeout.ms = 6000\n'
        "enable.auto.commit = false\n"
    )
    got = kafka.read_file(str(f), "options", no_stdin, with_uris=True)
    assert got.properties == {
        "auto.offset.reset": "earliest",
        "session.timeout.ms": "6000",
        "enable.auto.commit": "false",
    }


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.properties", "novalue\n", "line 1: expected key=value"),
        ("a.conf", "a=1\nb=2\na=3\n", "line 3: 'a' was already set on line 1"),
        ("a.toml", "[options\n", "is not valid TOML"),
        ("a.toml", 'bogus = "x"\n', "unexpected key 'bogus'"),
        ("a.toml", "[options]\nx = [1, 2]\n", "must be a string, number or boolean"),
        ("a.toml", "source = 1\n", "source must be a string"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(UsageError, match=message):
        kafka.read_file(str(f), "options", no_stdin, with_uris=True)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        kafka.read_file(str(tmp_path / "nope.toml"), "options", no_stdin, with_uris=True)
