"""What the completion tests complete: invocations in known statuses, a Kafka cluster with a
subscription, and the environment that points the CLI at a backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from support.backend import Backend, unique
from support.cli import clean_env
from support.processes import free_port
from support.scenarios import one_in


def backend_target(backend: Backend) -> dict[str, str]:
    """The variable that makes the CLI talk to ``backend`` by default."""
    if backend.data_dir is not None:
        return {"RESTATE_CLI_HOME": str(backend.data_dir)}
    return {"RESTATE_ADMIN_URL": backend.admin_url}


def backend_env(backend: Backend, home: Path) -> dict[str, str]:
    """The whole environment of a user whose CLI talks to ``backend`` by default."""
    return clean_env(home, backend_target(backend))


def known_invocations(backend: Backend) -> dict[str, str]:
    """A completed, a paused and a suspended invocation of Greeter, and a Counter key
    whose ``hold`` is suspended."""
    key = unique("ck")
    holder = backend.send(f"Counter/{key}/hold", 3600)
    backend.wait_status(holder, "suspended")
    return {
        "completed": one_in(backend, "completed"),
        "paused": one_in(backend, "paused"),
        "suspended": one_in(backend, "suspended"),
        "holder": holder,
        "key": key,
    }


@contextmanager
def cluster_and_subscription(backend: Backend) -> Iterator[dict[str, str]]:
    """A Kafka cluster (whose broker need not exist) and a subscription from its topic
    ``orders`` to Greeter/greet; both are deleted afterwards."""
    name = f"c{uuid.uuid4().hex[:8]}"
    base = backend.admin_url
    r = httpx.post(
        f"{base}/kafka-clusters",
        json={"name": name, "properties": {"bootstrap.servers": f"127.0.0.1:{free_port()}"}},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    r = httpx.post(
        f"{base}/subscriptions",
        json={"source": f"kafka://{name}/orders", "sink": "service://Greeter/greet"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    sub = r.json()["id"]
    try:
        yield {"cluster": name, "subscription": sub}
    finally:
        httpx.delete(f"{base}/subscriptions/{sub}", timeout=30)
        httpx.delete(f"{base}/kafka-clusters/{name}", params={"force": "true"}, timeout=30)
