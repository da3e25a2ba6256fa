"""The official `restate` CLI 1.7.12 used as a client of the embedded runtime."""

from __future__ import annotations

import re
import subprocess

import pytest
from support.backend import Backend, unique
from support.processes import npm_binary
from support.scenarios import one_in


@pytest.fixture
def restate(backend: Backend, home):
    if not backend.embedded:
        pytest.skip("this suite points the official CLI at the embedded runtime")
    binary = npm_binary("cli-1.7.12", "restate")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {
            "HOME": str(home),
            "NO_COLOR": "1",
            "RESTATE_ADMIN_URL": backend.admin_url,
            "PATH": "/usr/bin:/bin",
        }
        return subprocess.run([str(binary), *args], capture_output=True, text=True, env=env, timeout=60)

    return run


def test_list_and_describe(restate, backend: Backend) -> None:
    key = unique("o")
    holder = backend.send(f"Counter/{key}/hold", 3600)
    backend.wait_status(holder, "suspended")
    r = restate("inv", "ls")
    assert r.returncode == 0, r.stderr
    assert "❯ [" in r.stdout and holder in r.stdout
    assert re.search(r"Showing \d+/\d+\+? invocations", r.stderr)
    r = restate("inv", "describe", holder)
    assert r.returncode == 0, r.stderr
    assert f"Counter/{key}/hold" in r.stdout
    assert "Command: Sleep until" in r.stdout
    assert r.stdout.rstrip().endswith("└────>> suspended")
    restate("-y", "inv", "kill", holder)


@pytest.mark.parametrize(
    ("verb", "status", "after"),
    [
        ("cancel", "suspended", "[409] cancelled"),
        ("kill", "running", "[409] killed"),
    ],
)
def test_cancel_and_kill(restate, backend: Backend, verb: str, status: str, after: str) -> None:
    inv = one_in(backend, status)
    r = restate("-y", "inv", verb, inv)
    assert r.returncode == 0, r.stderr
    assert f"{'Cancelled' if verb == 'cancel' else 'Killed'} 1 invocations" in r.stdout
    row = backend.wait_status(inv, "completed")
    assert row["completion_failure"] == after


def test_pause_resume_restart_purge(restate, backend: Backend) -> None:
    inv = one_in(backend, "backing-off")
    assert "Paused 1 invocations" in restate("-y", "inv", "pause", inv).stdout
    backend.wait_status(inv, "paused")
    assert "Resumed 1 invocations" in restate("-y", "inv", "resume", inv).stdout
    backend.wait_status(inv, "running", "backing-off")
    restate("-y", "inv", "kill", inv)
    done = one_in(backend, "completed")
    r = restate("-y", "inv", "restart-as-new", done)
    assert r.returncode == 0 and "Restarted 1 invocations" in r.stdout, r.stderr
    new = re.findall(r"inv_\w+", r.stdout.split("NEW ID", 1)[1])[-1]
    backend.wait_status(new, "completed")
    r = restate("-y", "inv", "purge", done)
    assert "Purged 1 invocations" in r.stdout
    backend.wait_gone(done)


def test_kafka_clusters_and_subscriptions(restate, backend: Backend) -> None:
    cluster = unique("oc")
    r = restate("-y", "kc", "create", cluster, "bootstrap.servers=127.0.0.1:1", "sasl.password=hunter2")
    assert r.returncode == 0, r.stderr
    assert f"Kafka cluster {cluster} created" in r.stdout
    r = restate("kc", "ls")
    assert r.returncode == 0 and cluster in r.stdout, r.stderr
    r = restate(
        "-y",
        "sub",
        "create",
        f"kafka://{cluster}/orders",
        "service://Greeter/greet",
        "auto.offset.reset=earliest",
    )
    assert r.returncode == 0, r.stderr
    sub = re.search(r"Subscription (sub_\w+) created", r.stdout).group(1)
    r = restate("sub", "ls")
    assert sub in r.stdout and f"kafka://{cluster}/orders" in r.stdout
    r = restate("sub", "describe", sub)
    assert r.returncode == 0, r.stderr
    assert "Kafka brokers:  127.0.0.1:1" in r.stdout and "auto.offset.reset" in r.stdout
    r = restate("kc", "describe", cluster)
    assert r.returncode == 0 and sub in r.stdout and "hunter2" not in r.stdout, r.stdout
    r = restate("-y", "kc", "delete", cluster)
    assert r.returncode != 0 and "subscription(s) attached" in r.stderr
    r = restate("-y", "sub", "delete", sub)
    assert r.returncode == 0 and f"Subscription {sub} deleted" in r.stdout, r.stderr
    r = restate("-y", "kc", "delete", cluster)
    assert r.returncode == 0 and f"Kafka cluster {cluster} deleted" in r.stdout, r.stderr


def test_services_state_and_sql(restate, backend: Backend) -> None:
    """The official CLI's service, state and SQL commands work against the embedded runtime."""
    r = restate("svc", "ls")
    assert r.returncode == 0, r.stderr
    assert "Counter" in r.stdout and "virtual object" in r.stdout
    r = restate("svc", "describe", "Counter")
    assert r.returncode == 0, r.stderr
    mode = "Bidi" if backend.streaming else "Request/Response"
    assert "JSON integer" in r.stdout and mode in r.stdout
    r = restate("svc", "config", "view", "Counter")
    assert r.returncode == 0 and "Max attempts:" in r.stdout, r.stderr
    key = unique("s")
    assert backend.call(f"Counter/{key}/add", 4).status_code == 200
    r = restate("state", "get", "Counter", key)
    assert r.returncode == 0, r.stderr
    assert re.search(r"count\s+4", r.stdout)
    r = restate(
        "-y", "state", "patch", "Counter", key, "--patch", '[{"op": "replace", "path": "/count", "value": 9}]'
    )
    assert r.returncode == 0, r.stderr
    assert backend.call(f"Counter/{key}/get").json() == 9
    r = restate("sql", f"SELECT key, value_utf8 FROM state WHERE service_key = '{key}'")
    assert r.returncode == 0 and re.search(r"count\s+9", r.stdout), r.stderr
