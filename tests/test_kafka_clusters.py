"""kafka-clusters against real servers: management on restate-server 1.7, a clear refusal on
1.6 (no cluster API), clusters from a 1.7 server's configuration file, and injected races."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from support.backend import Backend, unique
from support.kafka import KafkaBackend, TansuBroker, static_cluster_config
from support.processes import RestateServer, ServiceProcess

import restate_cli.app  # noqa: F401 - the root app first: command modules import it
from restate_cli.admin import backend as backend_module
from restate_cli.admin.client import AdminClient
from restate_cli.commands.kafka_clusters import PatchOptions, patch_new_properties
from restate_cli.errors import UsageError
from restate_cli.render.kafka import Change, diff

SECRET = "hunter2-do-not-print"


@pytest.fixture
def api17(backend: Backend) -> Backend:
    if backend.version < "1.7":
        pytest.skip("restate-server 1.6 has no Kafka cluster API")
    return backend


def create_cluster(cli, name: str, *props: str) -> None:
    r = cli("kc", "create", name, *props, "-y")
    assert r.code == 0, r


def test_create_list_describe(cli, api17: Backend) -> None:
    name = unique("kc")
    r = cli(
        "kc",
        "create",
        name,
        "bootstrap.servers=127.0.0.1:19092,127.0.0.1:19093",
        f"sasl.password={SECRET}",
        "sasl.username=bob",
        "session.timeout.ms=6000",
        "--yes",
    )
    assert r.code == 0, r
    assert SECRET not in r.out + r.err and "bob" not in r.out
    assert re.search(r"sasl.password\s+\*\*\*", r.out)  # the preview masks it
    assert f"Kafka cluster {name} created" in r.out

    r = cli("kc", "ls")
    assert r.code == 0, r
    assert re.search(
        rf"{name}\s+127.0.0.1:19092,127.0.0.1:19093\s+4\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d", r.out
    ), r.out
    names = cli("-q", "kc", "ls").lines
    assert name in names and names == sorted(names)

    r = cli("--json", "kc", "ls")
    mine = next(c for c in r.json() if c["name"] == name)
    assert mine == {
        "name": name,
        "brokers": "127.0.0.1:19092,127.0.0.1:19093",
        "properties": {
            "bootstrap.servers": "127.0.0.1:19092,127.0.0.1:19093",
            "sasl.password": "***",
            "sasl.username": "***",
            "session.timeout.ms": "6000",
        },
        "created_at": mine["created_at"],
        "static_config": False,
        "info": [],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", mine["created_at"])

    sub = cli("-y", "-q", "sub", "create", f"kafka://{name}/t", "service://KafkaSink/record")
    sub_id = sub.out.strip()
    assert sub.code == 0, sub
    r = cli("kc", "describe", name)
    assert r.code == 0, r
    for pattern in (
        rf"Name:\s+{name}",
        r"Brokers:\s+127.0.0.1:19092,127.0.0.1:19093",
        r"Properties:\s+4",
        r"Subscriptions:\s+1",
        r"Created at:\s+\d{4}-\d\d-\d\d .* \(just now\)",
        r"sasl.password\s+\*\*\*",
        rf"{sub_id}\s+kafka://{name}/t\s+service://KafkaSink/record",
    ):
        assert re.search(pattern, r.out), (pattern, r.out)
    d = cli("--json", "kc", "get", name).json()
    assert [s["id"] for s in d["subscriptions"]] == [sub_id]
    assert cli("-o", "tsv", "kc", "get", name).lines[0] == "NAME\tBROKERS\tPROPERTIES\tCREATED AT"
    assert cli("-y", "sub", "rm", sub_id).code == 0
    assert cli("-y", "kc", "rm", name).code == 0


def test_refusals(cli, api17: Backend) -> None:
    name = unique("kc")
    create_cluster(cli, name, "bootstrap.servers=127.0.0.1:1")
    r = cli("-y", "kc", "create", name, "bootstrap.servers=127.0.0.1:1")
    assert r.code == 1, r
    assert f"kafka cluster '{name}' already exists" in r.err and "HTTP 409" in r.err
    r = cli("kc", "describe", "no-such-cluster")
    assert r.code == 4, r
    assert "The requested Kafka cluster 'no-such-cluster' does not exist" in r.err
    r = cli("-y", "kc", "rm", "no-such-cluster")
    assert r.code == 4, r
    r = cli("-y", "kc", "patch", "no-such-cluster", "--set", "a=b")
    assert r.code == 4, r
    assert cli("-y", "kc", "rm", name).code == 0


def test_patch_replaces_the_whole_set(cli, api17: Backend) -> None:
    name = unique("kc")
    create_cluster(cli, name, "bootstrap.servers=127.0.0.1:1", "sasl.password=old-secret", "client.rack=r1")
    # --set/--unset on a set with a hidden value: the value must be given again
    r = cli("-y", "kc", "patch", name, "--set", "fetch.min.bytes=10")
    assert r.code == 2, r
    assert "sasl.password has the value ***" in r.err

    r = cli(
        "kc",
        "patch",
        name,
        "--set",
        f"sasl.password={SECRET}",
        "--set",
        "fetch.min.bytes=10",
        "--unset",
        "client.rack",
        "-y",
    )
    assert r.code == 0, r
    assert SECRET not in r.out + r.err
    assert re.search(r"client.rack\s+r1\s+\(removed\)", r.out), r.out
    assert re.search(r"fetch.min.bytes\s+\(unset\)\s+10", r.out), r.out
    assert re.search(r"sasl.password\s+\*\*\*\s+\*\*\*", r.out), r.out
    assert "The server replaces the whole property set" in r.out
    assert f"Kafka cluster {name} has exactly these 3 properties" in r.out
    assert r.out.index("replaces the whole") < r.out.index("Replace the properties of")
    assert f"Kafka cluster {name} updated" in r.out

    # KEY=VALUE arguments are the complete new set
    r = cli("--json", "-y", "kc", "patch", name, "bootstrap.servers=127.0.0.1:2")
    assert r.code == 0, r
    d = r.json()
    assert d["properties"] == {"bootstrap.servers": "127.0.0.1:2"} and d["updated"] is True
    assert {c["property"]: (c["old"], c["new"]) for c in d["changes"]} == {
        "bootstrap.servers": ("127.0.0.1:1", "127.0.0.1:2"),
        "fetch.min.bytes": ("10", None),
        "sasl.password": ("***", None),
    }
    r = cli("-y", "kc", "patch", name, "bootstrap.servers=127.0.0.1:2")
    assert r.code == 0 and "No changes" in r.out, r
    r = cli("-y", "kc", "patch", name, "--unset", "bootstrap.servers")
    assert r.code == 2 and "must set bootstrap.servers" in r.err, r
    assert cli("-y", "kc", "rm", name).code == 0


def test_patch_from_file(cli, api17: Backend, tmp_path: Path) -> None:
    name = unique("kc")
    create_cluster(cli, name, "bootstrap.servers=127.0.0.1:1")
    f = tmp_path / "kc.toml"
    f.write_text('[properties]\n"bootstrap.servers" = "127.0.0.1:3"\nsession.timeout.ms = 6000\n')
    r = cli("--json", "-y", "kc", "patch", name, "-f", str(f), "--set", "client.rack=r2")
    assert r.code == 0, r
    assert r.json()["properties"] == {
        "bootstrap.servers": "127.0.0.1:3",
        "session.timeout.ms": "6000",
        "client.rack": "r2",
    }
    assert cli("-y", "kc", "rm", name).code == 0


def test_delete_in_use_names_the_subscriptions_and_force_orphans_them(cli, api17: Backend) -> None:
    name = unique("kc")
    create_cluster(cli, name, "bootstrap.servers=127.0.0.1:1")
    subs = sorted(
        cli("-y", "-q", "sub", "create", f"kafka://{name}/t{i}", "service://KafkaSink/record").out.strip()
        for i in range(2)
    )
    r = cli("-y", "kc", "delete", name)
    assert r.code == 1, r
    assert f"Kafka cluster {name} is used by 2 subscriptions" in r.err
    assert all(s in r.err for s in subs) and "--force" in r.err
    assert cli("kc", "get", name).code == 0  # nothing was deleted

    r = cli("--json", "-y", "kc", "rm", name, "--force")
    assert r.code == 0, r
    assert "2 subscriptions will be orphaned and stop consuming" in r.err
    assert all(s in r.err for s in subs)
    assert r.json()["results"] == [
        {
            "name": name,
            "ok": True,
            "orphaned_subscriptions": subs,
            "http_status": 202,
            "error": None,
        }
    ]
    assert cli("kc", "get", name).code == 4
    r = cli("sub", "describe", subs[0])
    assert r.code == 0, r
    assert f"{name} no longer exists: this subscription is orphaned" in r.out
    assert cli("--json", "sub", "get", subs[0]).json()["cluster_found"] is False
    assert cli("-y", "sub", "rm", *subs).code == 0


def test_delete_in_use_by_one_subscription_says_it(cli, api17: Backend) -> None:
    name = unique("kc")
    create_cluster(cli, name, "bootstrap.servers=127.0.0.1:1")
    sub = cli("-y", "-q", "sub", "create", f"kafka://{name}/t", "service://KafkaSink/record").out.strip()
    r = cli("-y", "kc", "delete", name)
    assert r.code == 1, r
    assert f"Kafka cluster {name} is used by 1 subscription: {sub}" in r.err, r
    assert f"delete it first (restate-cli sub rm {sub}), or pass --force to orphan it)" in r.err, r
    assert cli("-y", "sub", "rm", sub).code == 0
    assert cli("-y", "kc", "rm", name).code == 0


def test_the_cli_asks_before_creating(cli, api17: Backend) -> None:
    name = unique("kc")
    r = cli("kc", "create", name, "bootstrap.servers=127.0.0.1:1")  # not a terminal, no --yes
    assert r.code == 2 and "refusing to create Kafka cluster" in r.err, r
    r = cli("kc", "create", name, "bootstrap.servers=127.0.0.1:1", stdin="y\n", env={"CI": "1"})
    assert r.code == 0, r
    assert "Create Kafka cluster" in r.out and "Auto-confirming" in r.out
    assert cli("-y", "kc", "rm", name).code == 0


def test_older_servers_say_they_have_no_cluster_api(cli, backend: Backend) -> None:
    if backend.version >= "1.7":
        pytest.skip("restate-server 1.7 has the Kafka cluster API")
    for args in (
        ["kc", "ls"],
        ["kc", "describe", "c1"],
        ["-y", "kc", "create", "c1", "bootstrap.servers=127.0.0.1:1"],
        ["-y", "kc", "patch", "c1", "--set", "a=b"],
        ["-y", "kc", "delete", "c1"],
    ):
        r = cli(*args)
        assert r.code == 1, r
        assert f"restate-server {backend.version} at {backend.admin_url}/ has no Kafka cluster API" in r.err
        assert "[[ingress.kafka-clusters]]" in r.err
        assert r.err.count("\n") == 1 and r.out == ""


# -- a 1.7 server with a cluster in its configuration file ----------------------------------


@pytest.fixture(scope="module")
def static17(
    backend: Backend,
    kafka_broker: TansuBroker,
    services: ServiceProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[KafkaBackend]:
    """A server of ``backend``'s version (1.7+) with a cluster in its configuration file."""
    if backend.version < "1.7":
        pytest.skip("restate-server 1.6 has no Kafka cluster API")
    server = RestateServer(
        backend.version,
        tmp_path_factory.mktemp(f"restate-{backend.version}-static"),
        extra_config=static_cluster_config("from-config", kafka_broker),
    )
    try:
        server.start()
        b = Backend(backend.kind, backend.version, server.admin_url, server.ingress_url)
        b.register(services.url)
        yield KafkaBackend(b, kafka_broker, "from-config", cluster_api=True)
    finally:
        server.stop()


@pytest.fixture
def scli(home: Path, static17: KafkaBackend) -> Callable:
    from support.cli import clean_env, run_in_process

    def run(*args: str) -> object:
        env = clean_env(home, {"RESTATE_ADMIN_URL": static17.backend.admin_url})
        return run_in_process(list(args), env)

    return run


def test_clusters_from_the_configuration_file(scli, static17: KafkaBackend) -> None:
    r = scli("kc", "ls")
    assert r.code == 0, r
    assert re.search(rf"from-config\s+{static17.broker.bootstrap}\s+2\s+\(server config file\)", r.out), r.out
    d = scli("--json", "kc", "ls").json()
    assert d[0]["static_config"] is True and d[0]["created_at"] is None
    assert "static cluster configuration" in d[0]["info"][0]
    r = scli("kc", "describe", "from-config")
    assert re.search(r"Defined in:\s+the server's configuration file", r.out), r.out
    assert re.search(r"Note:\s+This Kafka cluster was configured in the static", r.out), r.out
    for args in (
        ["-y", "kc", "patch", "from-config", "--set", "a=b"],
        ["-y", "kc", "delete", "from-config", "--force"],
    ):
        r = scli(*args)
        assert r.code == 1, r
        assert "is defined in the server's configuration file" in r.err
        assert "Auto-confirming" not in r.out  # refused before asking
    # a subscription on it works like any other
    r = scli("-y", "-q", "sub", "create", "kafka://from-config/t", "service://KafkaSink/record")
    assert r.code == 0, r
    view = scli("sub", "get", r.out.strip())
    assert re.search(rf"Kafka brokers:\s+{static17.broker.bootstrap}", view.out), view.out


def test_the_server_refuses_a_static_cluster_with_409(static17: KafkaBackend) -> None:
    """What the pre-check above spares the user: the server's own answer."""
    r = httpx.delete(f"{static17.backend.admin_url}/v4/kafka-clusters/from-config", timeout=10)
    assert r.status_code == 409
    assert "defined in the restate configuration file" in r.json()["message"]


# -- injected faults: races a real server will not produce on demand ------------------------

VERSION = {"version": "1.7.12", "min_admin_api_version": 2, "max_admin_api_version": 4}
CLUSTER = {
    "name": "c1",
    "properties": {"bootstrap.servers": "b:1"},
    "created_at": "2026-11-27T17:31:35.459000000Z",
}


@pytest.fixture
def mock_admin(monkeypatch: pytest.MonkeyPatch):
    def install(handler: Callable[[httpx.Request], httpx.Response]) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            if request.url.path == "/version":
                return httpx.Response(200, json=VERSION)
            return handler(request)

        monkeypatch.setattr(
            backend_module,
            "open_client",
            lambda s: AdminClient(s, transport=httpx.MockTransport(record), base_url="http://mock:9070/"),
        )
        return seen

    return install


def test_a_subscription_added_between_check_and_delete(cli_offline, mock_admin) -> None:
    message = (
        "Removing the kafka cluster 'c1' leads to subscription 'sub_11nPCdoAsbiFkSdQ0ZjfeYF' "
        "being orphan. Remove the subscription first, or use the 'force' flag."
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={**CLUSTER, "subscriptions": []})
        return httpx.Response(409, json={"message": message, "restate_code": None})

    seen = mock_admin(handler)
    r = cli_offline("-y", "kc", "rm", "c1")
    assert r.code == 1, r
    assert message in r.err and "a subscription was added meanwhile" in r.err
    assert [q.method for q in seen] == ["GET", "GET", "DELETE"]
    assert seen[-1].url.params.get("force") is None


def test_a_server_of_unknown_version_without_the_route(cli_offline, monkeypatch: pytest.MonkeyPatch) -> None:
    """No usable /version: the CLI tries, and an empty 404 means the route does not exist."""
    seen: list[str] = []

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/version":
            return httpx.Response(404)
        if request.url.path == "/health":
            return httpx.Response(200)
        seen.append(request.url.path)
        return httpx.Response(404)

    monkeypatch.setattr(
        backend_module,
        "open_client",
        lambda s: AdminClient(s, transport=httpx.MockTransport(route), base_url="http://m/"),
    )
    r = cli_offline("kc", "ls")
    assert r.code == 1, r
    assert "has no Kafka cluster API" in r.err
    assert seen == ["/kafka-clusters"]


def test_secrets_in_server_answers_stay_masked(cli_offline, mock_admin) -> None:
    """A secret the server does not recognise (``my.token``) is masked by the CLI anyway."""
    body = {**CLUSTER, "properties": {"bootstrap.servers": "b:1", "my.token": SECRET}}
    mock_admin(lambda request: httpx.Response(200, json={"clusters": [body]}))
    for args in (["kc", "ls"], ["--json", "kc", "ls"], ["-o", "tsv", "kc", "ls"]):
        r = cli_offline(*args)
        assert r.code == 0, r
        assert SECRET not in r.out
    assert json.loads(cli_offline("--json", "kc", "ls").out)[0]["properties"]["my.token"] == "***"


# -- arguments and patch maths, checked before any request ----------------------------------

CURRENT = {"bootstrap.servers": "a:1", "session.timeout.ms": "6000", "sasl.password": "***"}


def test_patch_set_and_unset_on_the_current_set() -> None:
    opts = PatchOptions("c", None, {"sasl.password": "pw2", "x": "y"}, ["session.timeout.ms"])
    new = patch_new_properties(dict(CURRENT), opts)
    assert new == {"bootstrap.servers": "a:1", "sasl.password": "pw2", "x": "y"}
    assert diff(CURRENT, new) == [
        Change("sasl.password", "***", "pw2"),
        Change("session.timeout.ms", "6000", None),
        Change("x", None, "y"),
    ]


def test_patch_refuses_to_send_a_value_the_server_hid() -> None:
    with pytest.raises(UsageError, match=r"sasl.password has the value \*\*\*"):
        patch_new_properties(dict(CURRENT), PatchOptions("c", None, {"x": "y"}, []))


def test_patch_replacement_drops_everything_else() -> None:
    opts = PatchOptions("c", {"bootstrap.servers": "b:2"}, {}, [])
    new = patch_new_properties(dict(CURRENT), opts)
    assert new == {"bootstrap.servers": "b:2"}
    assert [c.key for c in diff(CURRENT, new) if c.new is None] == [
        "sasl.password",
        "session.timeout.ms",
    ]


def test_patch_must_keep_a_broker_list() -> None:
    with pytest.raises(UsageError, match=r"must set bootstrap\.servers"):
        patch_new_properties(dict(CURRENT), PatchOptions("c", {"x": "1"}, {}, []))


def test_unchanged_properties_make_no_diff() -> None:
    same = {"bootstrap.servers": "a:1"}
    assert diff(same, dict(same)) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "c1", "foo=bar"], "must set bootstrap.servers"),
        (["create", "c1"], "give the cluster's properties"),
        (["create", "Bad_Name!", "bootstrap.servers=b:1"], "invalid Kafka cluster name"),
        (["create", "c1", "bootstrap.servers=b:1", "sasl.password=***"], "value ***"),
        (["create", "c1", "bootstrap.servers=b:1", "a=1", "a=2"], "'a' is given more than once"),
        (["patch", "c1"], "nothing to change"),
        (["patch", "c1", "--set", "a=1", "--unset", "a"], "both --set and --unset"),
        (["patch", "c1", "--unset", "a=1"], "--unset takes a property name"),
        (["patch", "c1", "--set", "novalue"], "expected KEY=VALUE, got 'novalue'"),
    ],
)
def test_usage_errors_exit_2_before_any_request(cli_offline, args: list[str], message: str) -> None:
    r = cli_offline("-y", "kc", *args, env={"RESTATE_ADMIN_URL": "http://127.0.0.1:9"})
    assert r.code == 2, r
    assert message in r.err, r
    assert "Traceback" not in r.err and "cannot reach" not in r.err


def test_help_and_aliases(cli_offline) -> None:
    for argv, words in (
        (["kc", "--help"], ["create", "list", "describe", "patch", "delete"]),
        (["kafka-clusters", "patch", "--help"], ["--set", "--unset", "--from-file"]),
        (["kafkaclusters", "rm", "--help"], ["--force"]),
        (["kafkacluster", "get", "--help"], ["NAME"]),
    ):
        r = cli_offline(*argv)
        assert r.code == 0, r
        for word in words:
            assert word in r.out, (argv, word, r.out)
