"""Subscriptions end to end: a real restate-server (1.7 and 1.6), a real Kafka-protocol broker
(Tansu), real records produced with librdkafka, and real restate-sdk handlers as sinks."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.backend import unique, wait_for
from support.kafka import CONSUMER_PROPERTIES, KafkaBackend

import restate_cli.app  # noqa: F401 - the root app first: command modules import it
from restate_cli.commands.subscriptions import create_options
from restate_cli.errors import UsageError

Rows = list[dict[str, Any]]


def invocations_of(kb: KafkaBackend, subscription_id: str) -> Rows | None:
    """The invocations a subscription caused; None while the server cannot answer yet (a
    freshly started server fails queries on partitions it has not opened)."""
    r = httpx.post(
        f"{kb.backend.admin_url}/query",
        json={
            "query": "SELECT id, target, target_service_key, status, invoked_by, "
            "invoked_by_subscription_id FROM sys_invocation "
            f"WHERE invoked_by_subscription_id = '{subscription_id}'"
        },
        headers={"accept": "application/json"},
        timeout=30,
    )
    return r.json()["rows"] if r.status_code == 200 else None


def wait_invocations(kb: KafkaBackend, sub_id: str, n: int, timeout: float = 60) -> Rows:
    def enough() -> Rows | None:
        rows = invocations_of(kb, sub_id)
        return rows if rows is not None and len(rows) >= n else None

    rows = wait_for(enough, f"{n} invocations from {sub_id}", timeout)
    assert len(rows) == n, rows
    return rows


def create(kcli, *args: str) -> str:
    """Create a subscription through the CLI (``--yes`` after the options); return its id."""
    r = kcli("sub", "create", *args, "--yes", "-q")
    assert r.code == 0, r
    sub_id = r.out.strip()
    assert re.fullmatch(r"sub_1\w{22}", sub_id), r
    return sub_id


def source(kb: KafkaBackend, topic: str) -> str:
    return f"kafka://{kb.cluster}/{topic}"


def test_records_become_invocations_until_the_subscription_is_deleted(
    kcli, kafka_backend: KafkaBackend
) -> None:
    kb = kafka_backend
    cluster = kb.cluster
    if kb.cluster_api:  # 1.7+: the cluster itself is created through the CLI too
        cluster = unique("e2e")
        r = kcli(
            "kc",
            "create",
            cluster,
            f"bootstrap.servers={kb.broker.bootstrap}",
            *(f"{k}={v}" for k, v in CONSUMER_PROPERTIES.items()),
            "--yes",
        )
        assert r.code == 0, r
        assert f"Kafka cluster {cluster} created" in r.out
    topic = unique("orders")
    src = f"kafka://{cluster}/{topic}"
    sub = create(kcli, src, "service://KafkaSink/record", "auto.offset.reset=earliest")
    # A second subscription on the same topic shows when the broker has delivered later records.
    control = create(kcli, src, "service://KafkaSink/record", "auto.offset.reset=earliest")

    kb.broker.produce(topic, [(None, {"order": i}) for i in range(3)])
    rows = wait_invocations(kb, sub, 3)
    assert {r["target"] for r in rows} == {"KafkaSink/record"}
    assert {r["invoked_by"] for r in rows} == {"subscription"}
    wait_invocations(kb, control, 3)

    # invocations list shows who caused them, in every output form
    r = kcli("--json", "inv", "ls", "--all", "--service", "KafkaSink", "--limit", "1000")
    assert r.code == 0, r
    mine = [i for i in r.json() if i["invoked_by_subscription_id"] == sub]
    assert sorted(i["id"] for i in mine) == sorted(row["id"] for row in rows)
    assert {i["invoked_by"] for i in mine} == {"subscription"}
    one = rows[0]["id"]
    r = kcli("inv", "ls", "--all", "--service", "KafkaSink", "--limit", "1000")
    assert re.search(rf"{one}\n.*\n\s+Status:.*\n(.*\n)*?\s+Invoked by:\s+subscription {sub}", r.out)
    r = kcli("-o", "tsv", "inv", "ls", "--all", "--service", "KafkaSink", "--limit", "1000")
    assert any(line.startswith(one) and line.endswith(sub) for line in r.lines), r.out
    r = kcli("inv", "describe", one)
    assert f"[Subscription {sub}]" in r.out and "└──(this)─> KafkaSink/record" in r.out

    r = kcli("sub", "rm", sub, "-y")
    assert r.code == 0, r
    assert f"Subscription {sub} deleted" in r.out
    assert kcli("sub", "get", sub).code == 4

    kb.broker.produce(topic, [(None, {"order": i}) for i in range(3, 5)])
    wait_invocations(kb, control, 5)
    time.sleep(1)  # the deleted subscription would have been as quick as the control one
    r = kcli("--json", "inv", "ls", "--all", "--service", "KafkaSink", "--limit", "1000")
    assert r.code == 0, r
    by_sub = [i["invoked_by_subscription_id"] for i in r.json()]
    assert by_sub.count(sub) == 3 and by_sub.count(control) == 5

    assert kcli("-y", "sub", "rm", control).code == 0
    if kb.cluster_api:
        assert kcli("-y", "kc", "rm", cluster).code == 0


def test_record_keys_are_virtual_object_keys(kcli, kafka_backend: KafkaBackend) -> None:
    kb = kafka_backend
    topic = unique("keyed")
    sub = create(kcli, source(kb, topic), "service://KafkaCounter/count", "auto.offset.reset=earliest")
    a, b = unique("cust"), unique("cust")
    kb.broker.produce(topic, [(a, {"n": 1}), (b, {"n": 2}), (a, {"n": 3})])
    rows = wait_invocations(kb, sub, 3)
    assert sorted(r["target"] for r in rows) == sorted(
        [f"KafkaCounter/{a}/count", f"KafkaCounter/{a}/count", f"KafkaCounter/{b}/count"]
    )
    r = kcli("--json", "inv", "ls", "--all", "--service", "KafkaCounter", "--key", a)
    assert r.code == 0, r
    assert len(r.json()) == 2
    assert {i["target_service_key"] for i in r.json()} == {a}
    assert {i["invoked_by_subscription_id"] for i in r.json()} == {sub}
    # the object's state saw both of a's records
    wait_for(
        lambda: httpx.post(f"{kb.backend.ingress_url}/KafkaCounter/{a}/records", timeout=30).json() == 2,
        "both records of the key counted by its object",
        timeout=20,
    )
    assert kcli("-y", "sub", "rm", sub).code == 0


def test_list_describe_and_filters(kcli, kafka_backend: KafkaBackend) -> None:
    kb = kafka_backend
    topic = unique("t")
    src = source(kb, topic)
    first = create(kcli, src, "service://KafkaSink/record", "auto.offset.reset=earliest")
    second = create(kcli, src, "service://KafkaCounter/count", "group.id=my-group", "sasl.password=hunter2")
    mine = sorted([first, second])

    r = kcli("--json", "sub", "ls", "--source", src)
    assert r.code == 0, r
    data = r.json()
    assert [s["id"] for s in data] == mine  # sorted by id
    by_id = {s["id"]: s for s in data}
    assert by_id[first] == {
        "id": first,
        "source": src,
        "sink": "service://KafkaSink/record",
        "options": {"auto.offset.reset": "earliest", "client.id": "restate", "group.id": first},
    }
    assert by_id[second]["options"]["sasl.password"] == "***"
    assert by_id[second]["options"]["group.id"] == "my-group"

    r = kcli("-q", "sub", "ls", "--source", src, "--sink", "service://KafkaCounter/count")
    assert r.lines == [second]
    r = kcli("sub", "list", "--source", src)
    assert r.code == 0 and "hunter2" not in r.out
    assert re.search(rf"{first}\s+{src}\s+service://KafkaSink/record\s+auto.offset.reset=earliest", r.out)
    r = kcli("-o", "tsv", "sub", "ls", "--sink", "service://KafkaCounter/count")
    assert r.lines[0] == "ID\tSOURCE\tSINK\tOPTIONS"
    row = next(line for line in r.lines if line.startswith(second))
    assert row.split("\t")[3] == "group.id=my-group, sasl.password=***"

    r = kcli("sub", "describe", first)
    assert r.code == 0, r
    assert re.search(rf"ID:\s+{first}", r.out)
    assert re.search(rf"Source:\s+{src}", r.out)
    if kb.cluster_api:
        assert re.search(rf"Kafka brokers:\s+{kb.broker.bootstrap}", r.out), r.out
    else:
        assert re.search(rf"Kafka cluster:\s+{kb.cluster} \(from the server's configuration", r.out)
    assert re.search(r"auto.offset.reset\s+earliest", r.out)
    assert re.search(r"client.id\s+restate  \(server default\)", r.out)
    assert re.search(rf"group.id\s+{first}  \(server default: the subscription id\)", r.out)

    r = kcli("--json", "sub", "get", second)
    d = r.json()
    assert d["cluster"] == kb.cluster and d["topic"] == topic
    assert d["service"] == "KafkaCounter" and d["handler"] == "count"
    assert d["default_options"] == ["client.id"]
    assert d["brokers"] == (kb.broker.bootstrap if kb.cluster_api else None)
    assert d["cluster_found"] is (True if kb.cluster_api else None)
    assert "hunter2" not in r.out

    r = kcli("--json", "-y", "sub", "rm", *mine)
    assert r.code == 0, r
    assert r.json()["succeeded"] == 2 and [x["id"] for x in r.json()["results"]] == mine
    assert kcli("-q", "sub", "ls", "--source", src).out == ""


def test_create_from_files_and_stdin(kcli, kafka_backend: KafkaBackend, tmp_path: Path) -> None:
    kb = kafka_backend
    toml = tmp_path / "sub.toml"
    toml.write_text(
        f'source = "{source(kb, unique("f"))}"\nsink = "service://KafkaSink/record"\n'
        '[options]\n"auto.offset.reset" = "earliest"\nfetch.wait.max.ms = 100\n'
    )
    props = tmp_path / "sub.properties"
    props.write_text(f"source={source(kb, unique('f'))}\nsink=service://KafkaSink/record\nfoo=bar\n")
    created = []
    for args, stdin, expected in (
        (["-f", str(toml)], "", {"auto.offset.reset": "earliest", "fetch.wait.max.ms": "100"}),
        (["-f", str(props), "foo=baz"], "", {"foo": "baz"}),
        (
            ["-f", "-"],
            f"source={source(kb, unique('f'))}\nsink=service://KafkaSink/record\n",
            {},
        ),
    ):
        r = kcli("--json", "-y", "sub", "create", *args, stdin=stdin)
        assert r.code == 0, r
        d = r.json()
        for k, v in expected.items():
            assert d["options"][k] == v
        assert d["default_options"] == ["client.id", "group.id"]
        created.append(d["id"])
    assert kcli("-y", "sub", "rm", *created).code == 0


def test_server_refusals_are_one_clear_line(kcli, kafka_backend: KafkaBackend) -> None:
    kb = kafka_backend
    r = kcli("-y", "sub", "create", "kafka://no-such-cluster/t", "service://KafkaSink/record")
    assert r.code == 1, r
    assert r.err.count("\n") == 1 and "Traceback" not in r.err
    if kb.cluster_api:
        assert "Kafka cluster 'no-such-cluster' not found. Available clusters: [" in r.err
        assert kb.cluster in r.err
        assert "register it with restate-cli kc create no-such-cluster" in r.err
    else:
        assert "specified cluster in the source URI does not exist" in r.err
        assert "[[ingress.kafka-clusters]]" in r.err

    r = kcli("-y", "sub", "create", source(kb, "t"), "service://KafkaSnk/record")
    assert r.code == 1, r
    assert "[META0009] invalid sink URI 'service://KafkaSnk/record'" in r.err
    assert "no service 'KafkaSnk' is registered" in r.err and "did you mean KafkaSink?" in r.err
    r = kcli("-y", "sub", "create", source(kb, "t"), "service://KafkaSink/nope")
    assert r.code == 1, r
    assert "cannot find service/handler" in r.err
    assert "service KafkaSink has no handler 'nope'; its handlers: record" in r.err

    missing = "sub_11nPCdoAsbiFkSdQ0ZjfeYF"
    r = kcli("sub", "describe", missing)
    assert r.code == 4, r
    assert f"The requested subscription '{missing}' does not exist" in r.err
    r = kcli("-y", "sub", "delete", missing)
    assert r.code == 4, r

    real = create(kcli, source(kb, unique("t")), "service://KafkaSink/record")
    r = kcli("-y", "sub", "rm", real, missing)
    assert r.code == 1, r
    assert f"Subscription {real} deleted" in r.out
    assert missing in r.out and "does not exist" in r.out
    assert "failed to delete 1 of 2 subscriptions" in r.err
    assert kcli("sub", "get", real).code == 4


def test_delete_asks_first(kcli, kafka_backend: KafkaBackend) -> None:
    sub = create(kcli, source(kafka_backend, unique("t")), "service://KafkaSink/record")
    r = kcli("sub", "rm", sub)  # no terminal, no --yes
    assert r.code == 2, r
    assert "refusing to delete subscription" in r.err
    assert kcli("sub", "get", sub).code == 0
    assert kcli("-y", "sub", "rm", sub).code == 0


# -- arguments, checked before any request --------------------------------------------------


def no_stdin() -> str:
    raise AssertionError("stdin was read")


def test_create_positional_source_sink_and_options() -> None:
    got = create_options(["kafka://c/t", "service://S/h", "a=1"], None, no_stdin)
    assert (got.source, got.sink, got.options) == ("kafka://c/t", "service://S/h", {"a": "1"})


def test_create_file_is_overridden_by_the_command_line(tmp_path: Path) -> None:
    f = tmp_path / "s.properties"
    f.write_text("source=kafka://c/t\nsink=service://S/h\na=1\nb=2\n")
    got = create_options(["service://Other/h", "b=3"], str(f), no_stdin)
    assert got.source == "kafka://c/t" and got.sink == "service://Other/h"
    assert got.options == {"a": "1", "b": "3"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "missing SOURCE"),
        (["kafka://c/t"], "missing SINK"),
        (["kafka://c/t", "service://S/h", "kafka://c/u"], "a third URI"),
        (["service://S/h", "kafka://c/t"], "swapped"),
        (["kafka://c/t", "service://S/h", "a"], "expected KEY=VALUE, got 'a'"),
    ],
)
def test_create_argument_errors(args: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        create_options(args, None, no_stdin)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "orders", "service://S/h"], "invalid source 'orders'"),
        (["create", "kafka://c/t", "S/h"], "invalid sink 'S/h'"),
        (["create", "kafka://c/t", "service://S/h", "a=1", "a=2"], "given more than once"),
        (["create", "kafka://c/t", "service://S/h", "=x"], "non-empty KEY"),
        (["create", "-f", "/nonexistent/sub.toml"], "no such file"),
        (["get", "foo"], "invalid subscription id 'foo': bad format"),
        (["get", "sub_"], "bad length"),
        (["rm", "sub_11nPCdoAsbiFkSdQ0ZjfeYF", "inv_1"], "doesn't match the expected type"),
        (["ls", "--sink", "Greeter/greet"], "invalid sink"),
    ],
)
def test_usage_errors_exit_2_before_any_request(cli_offline, args: list[str], message: str) -> None:
    r = cli_offline("-y", "sub", *args, env={"RESTATE_ADMIN_URL": "http://127.0.0.1:9"})
    assert r.code == 2, r
    assert message in r.err, r
    assert "Traceback" not in r.err and "cannot reach" not in r.err


def test_help_and_aliases(cli_offline) -> None:
    for argv, words in (
        (["sub", "--help"], ["create", "list", "describe", "delete"]),
        (["subscription", "ls", "--help"], ["--source", "--sink"]),
        (["subscriptions", "create", "--help"], ["SOURCE", "SINK", "KEY=VALUE", "--from-file"]),
        (["sub", "rm", "--help"], ["ID"]),
    ):
        r = cli_offline(*argv)
        assert r.code == 0, r
        for word in words:
            assert word in r.out, (argv, word, r.out)
