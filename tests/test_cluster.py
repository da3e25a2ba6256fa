"""The CLI against a three-node restate-server 1.7.12 cluster (replicated metadata and log,
four partitions): every node's admin API answers the same commands, and with one node
stopped the others still do, while the stopped one is the usual "cannot reach" (exit 3)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.backend import Backend, unique
from support.cli import Result, clean_env, run_in_process
from support.cluster import ClusterCannotStart, RestateCluster
from support.kafka import CONSUMER_PROPERTIES, TansuBroker
from support.processes import RestateServer, ServiceProcess

pytestmark = [pytest.mark.server, pytest.mark.cluster]

VERSION = "1.7.12"


def backend_of(node: RestateServer) -> Backend:
    return Backend(f"restate-server {VERSION} {node.node_name}", VERSION, node.admin_url, node.ingress_url)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, services: ServiceProcess) -> Iterator[RestateCluster]:
    c = RestateCluster(VERSION, tmp_path_factory.mktemp("cluster"))
    try:
        c.start()
    except ClusterCannotStart as e:
        c.stop()
        pytest.skip(f"this machine cannot run a three-node cluster: {e}")
    except BaseException:
        c.stop()
        raise
    try:
        backend_of(c.nodes[0]).register(services.url)
        for node in c.nodes:
            wait_serving(backend_of(node))
            wait_operable(backend_of(node))
        yield c
    finally:
        c.stop()


def wait_serving(b: Backend, timeout: float = 60) -> None:
    """Until ``b``'s queries answer and its ingress knows the test services (the deployment
    reaches every node through the replicated metadata)."""
    b.wait_queryable(timeout)
    deadline = time.monotonic() + timeout
    while b.call("Greeter/greet", "cluster").status_code != 200:
        assert time.monotonic() < deadline, f"{b.kind} does not serve Greeter/greet"
        time.sleep(0.2)


def wait_operable(b: Backend, timeout: float = 60) -> None:
    """Until ``b`` acts on invocations of every partition: after a node stops, the
    partitions it led move to the others, and until then an action there can fail. Kills
    a dozen new invocations (their random ids spread them over the four partitions)."""
    deadline = time.monotonic() + timeout
    while True:
        ids = [b.send("Greeter/sleepy", 3600) for _ in range(12)]
        answers = [httpx.patch(f"{b.admin_url}/invocations/{i}/kill", timeout=30) for i in ids]
        failed = [f"{a.status_code} {a.text}" for a in answers if a.status_code != 200]
        if not failed:
            return
        assert time.monotonic() < deadline, f"{b.kind} did not act on every partition: {failed[:3]}"
        time.sleep(0.5)


def cli_at(url: str, home: Path):
    def run(*args: str) -> Result:
        return run_in_process(list(args), clean_env(home, {"RESTATE_ADMIN_URL": url}))

    return run


def until(run, check, *args: str, timeout: float = 20) -> Result:
    """``run(*args)`` until ``check`` holds: a change made through one node reaches the
    others' admin APIs through the replicated metadata, a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        r = run(*args)
        if check(r) or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def exercise(node: RestateServer, other: RestateServer, home: Path, broker: TansuBroker) -> None:
    """Every command of the issue through ``node``'s admin API, checked through ``other``'s."""
    cli = cli_at(node.admin_url, home)
    b, check = backend_of(node), backend_of(other)

    root = b.send("Greeter/fan_out", [3])
    children = []
    deadline = time.monotonic() + 30
    while len(children) < 3:
        assert time.monotonic() < deadline, f"fan_out's children did not appear: {children}"
        children = [r["id"] for r in check.children(root) if r["status"] == "suspended"]
        time.sleep(0.2)

    r = cli("inv", "list", "Greeter/fan_out")
    assert r.code == 0, r
    assert all(c in r.out for c in children), r
    r = cli("inv", "describe", children[0])
    assert r.code == 0 and "Greeter/fan_out" in r.out and "suspended" in r.out, r
    r = cli("inv", "tree", root)
    assert r.code == 0, r
    assert all(c in r.out for c in children), r

    r = cli("-y", "inv", "cancel", children[0])
    assert r.code == 0 and "Cancelled 1 invocation" in r.out, r
    assert check.wait_status(children[0], "completed")["completion_failure"] == "[409] cancelled"
    r = cli("-y", "inv", "kill", children[1])
    assert r.code == 0 and "Killed 1 invocation" in r.out, r
    assert check.wait_status(children[1], "completed")["completion_failure"] == "[409] killed"
    r = cli("-y", "inv", "purge", children[0])
    assert r.code == 0 and "Purged 1 invocation" in r.out, r
    check.wait_gone(children[0])
    cli("-y", "inv", "kill", children[2])  # leave nothing running behind

    name = unique("kc")
    props = [f"bootstrap.servers={broker.bootstrap}", *(f"{k}={v}" for k, v in CONSUMER_PROPERTIES.items())]
    r = cli("-y", "kafka-clusters", "create", name, *props)
    assert r.code == 0, r
    elsewhere = cli_at(other.admin_url, home)
    r = until(elsewhere, lambda r: name in r.out, "kafka-clusters", "list")
    assert r.code == 0 and name in r.out, r
    r = cli(
        "-y", "-q", "subscriptions", "create", f"kafka://{name}/{unique('t')}", "service://KafkaSink/record"
    )
    assert r.code == 0, r
    sub = r.out.strip()
    r = until(elsewhere, lambda r: sub in r.out, "subscriptions", "list")
    assert r.code == 0 and sub in r.out, r
    assert cli("-y", "subscriptions", "delete", sub).code == 0
    assert cli("-y", "kafka-clusters", "delete", name).code == 0
    r = until(elsewhere, lambda r: name not in r.out, "kafka-clusters", "list")
    assert r.code == 0 and name not in r.out, r


def test_every_node_answers_every_command(
    cluster: RestateCluster, home: Path, kafka_broker: TansuBroker
) -> None:
    health = httpx.get(f"{cluster.nodes[0].admin_url}/cluster-health", timeout=10).json()
    assert sorted(health["metadata_cluster_health"]["members"]) == [1, 2, 3], health  # replicated metadata
    for i, node in enumerate(cluster.nodes):
        exercise(node, cluster.nodes[(i + 1) % len(cluster.nodes)], home, kafka_broker)


def test_with_one_node_stopped_the_others_answer(
    cluster: RestateCluster, home: Path, kafka_broker: TansuBroker
) -> None:
    stopped, *alive = reversed(cluster.nodes)
    stopped.stop()  # SIGTERM by its PID
    assert stopped.proc is not None and stopped.proc.poll() is not None
    for node in alive:
        wait_serving(backend_of(node))
        wait_operable(backend_of(node))
    exercise(alive[0], alive[1], home, kafka_broker)
    exercise(alive[1], alive[0], home, kafka_broker)

    for args in (["inv", "list"], ["subscriptions", "list"], ["kafka-clusters", "list"]):
        r = cli_at(stopped.admin_url, home)(*args)
        assert r.code == 3, r
        assert r.err.startswith(f"Error: cannot reach the Restate admin API at {stopped.admin_url}/"), r
        assert "Traceback" not in r.err and r.out == "", r
