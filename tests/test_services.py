"""services (svc): list, describe, status and config view/patch/edit against every backend,
and the admin endpoints they use answering alike."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.backend import Backend, unique

EDITOR = f"{sys.executable} {Path(__file__).parent / 'support' / 'editor.py'}"


def test_list_and_describe(cli, backend: Backend) -> None:
    r = cli("svc", "ls")
    assert r.code == 0, r
    assert "Counter" in r.out and "virtual object" in r.out and "Greeter" in r.out
    names = [s["name"] for s in cli("--json", "svc", "list").json()]
    assert names == sorted(names) and {"Greeter", "Counter"} <= set(names)
    assert "Counter" in cli("-q", "services", "ls").lines

    r = cli("svc", "describe", "Counter")
    assert r.code == 0, r
    for text in ("Counter", "virtual object", "add", "exclusive", "shared", "JSON integer", "Retry policy"):
        assert text in r.out, text
    data = cli("--json", "svc", "get", "Greeter").json()
    assert data["name"] == "Greeter" and data["deployment"]["uri"].startswith("http://127.0.0.1:")
    handler = next(h for h in data["handlers"] if h["name"] == "fail_then_pause")
    assert handler["retry_policy"]["max_attempts"] == 2
    assert "retries: 2 attempts, then pause" in cli("svc", "get", "Greeter").out
    assert cli("-q", "svc", "get", "Counter").lines == [
        h["name"] for h in cli("--json", "svc", "get", "Counter").json()["handlers"]
    ]


def test_unknown_service(cli, backend: Backend) -> None:
    for args in (("svc", "get", "Greter"), ("svc", "config", "view", "Nope"), ("svc", "status", "Nope")):
        r = cli(*args)
        assert r.code == 4, r
        assert "no service" in r.err and "services: " in r.err and len(r.err.strip().splitlines()) == 1
    assert "did you mean Greeter?" in cli("svc", "get", "Greter").err


def test_status_counts_and_oldest(cli, backend: Backend) -> None:
    key = unique()
    holder = backend.send(f"Counter/{key}/hold", 3600)
    backend.wait_status(holder, "suspended")
    queued = backend.send(f"Counter/{key}/add", 1)
    backend.wait_status(queued, "pending")
    try:
        data = cli("--json", "svc", "status", "Counter").json()
        by_handler = {e["handler"]: e for e in data}
        assert set(by_handler) == {"add", "get", "hold"}
        assert by_handler["hold"]["counts"]["suspended"] >= 1 and by_handler["hold"]["oldest"]
        assert by_handler["add"]["counts"]["pending"] >= 1
        assert by_handler["get"]["total"] == 0 and by_handler["get"]["oldest"] is None
        r = cli("svc", "status", "Counter")
        assert r.code == 0 and "SUSPENDED" in r.out and "hold" in r.out and "not completed" in r.err
        assert cli("-o", "tsv", "svc", "status", "Counter").lines[0].startswith("SERVICE\tHANDLER\tPENDING")
    finally:
        cli("-y", "inv", "kill", f"Counter/{key}")


@pytest.fixture
def restore(backend: Backend) -> Iterator[list[str]]:
    """Services whose settings a test changes, put back as they were afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        before = httpx.get(f"{backend.admin_url}/services/{name}", timeout=10).json()
        keys = ("public", "idempotency_retention", "journal_retention", "abort_timeout")
        body = {k: before[k] for k in keys}
        body.update(
            {"public": True, "idempotency_retention": "1d", "journal_retention": "1d", "abort_timeout": "10m"}
        )
        httpx.patch(f"{backend.admin_url}/services/{name}", json=body, timeout=10)


def test_config_patch_view_and_new_invocations(cli, backend: Backend, restore) -> None:
    restore.append("KafkaSink")
    r = cli(
        "svc",
        "config",
        "patch",
        "KafkaSink",
        "--journal-retention",
        "2 hours",
        "--abort-timeout",
        "PT90S",
        "-y",
    )
    assert r.code == 0, r
    assert "Journal retention" in r.out and "2h" in r.out and "Service KafkaSink updated" in r.out
    view = cli("--json", "svc", "config", "view", "KafkaSink").json()
    assert (view["journal_retention"], view["abort_timeout"]) == ("2h", "1m 30s")
    r = cli("svc", "config", "patch", "KafkaSink", "--abort-timeout", "90s", "-y")
    assert r.code == 0 and "No changes" in r.out
    inv = backend.call("KafkaSink/record", {"n": 1}).headers["x-restate-id"]
    assert backend.wait_status(inv, "completed")["journal_retention"] == "PT7200S"
    data = cli("--json", "-y", "svc", "config", "patch", "KafkaSink", "--public", "false").json()
    assert data["updated"] and data["changes"] == [{"setting": "public", "old": True, "new": False}]
    assert data["settings"]["public"] is False


def test_config_refusals_change_nothing(cli, backend: Backend) -> None:
    before = cli("--json", "svc", "config", "view", "Counter").json()
    r = cli("svc", "config", "patch", "Counter", "--workflow-completion-retention", "1h", "-y")
    assert r.code == 2 and "applies only to workflows" in r.err
    r = cli("svc", "config", "patch", "Counter", "--abort-timeout", "1y", "-y")
    assert r.code == 2 and "years and months" in r.err
    r = cli("svc", "config", "patch", "Counter", "--abort-timeout", "5m")  # no terminal, no --yes
    assert r.code == 2 and "refusing" in r.err
    assert cli("--json", "svc", "config", "view", "Counter").json() == before


def test_config_edit(cli, backend: Backend, restore, tmp_path: Path) -> None:
    restore.append("KafkaSink")
    env = {"EDITOR": EDITOR, "EDIT_SCRIPT": 'abort_timeout = "10m" -> abort_timeout = "7m"'}
    r = cli("-y", "svc", "config", "edit", "KafkaSink", env=env)
    assert r.code == 0, r
    assert (
        "7m" in r.out and cli("--json", "svc", "config", "view", "KafkaSink").json()["abort_timeout"] == "7m"
    )
    r = cli(
        "-y",
        "svc",
        "config",
        "edit",
        "KafkaSink",
        env={**env, "EDIT_SCRIPT": 'abort_timeout = "7m" -> abort_timeout = '},
    )
    assert r.code == 2 and "not valid TOML" in r.err and "nothing was changed" in r.err
    assert cli("--json", "svc", "config", "view", "KafkaSink").json()["abort_timeout"] == "7m"


def test_retention_decides_when_completed_invocations_disappear(cli, backend: Backend, restore) -> None:
    if not backend.embedded:
        pytest.skip("restate-server removes expired invocations in a cleaner run every hour")
    restore.append("KafkaSink")
    r = cli(
        "-y",
        "svc",
        "config",
        "patch",
        "KafkaSink",
        "--idempotency-retention",
        "1s",
        "--journal-retention",
        "1s",
    )
    assert r.code == 0, r
    inv = backend.call("KafkaSink/record", {"n": 2}).headers["x-restate-id"]
    row = backend.wait_status(inv, "completed")
    assert (row["completion_retention"], row["journal_retention"]) == ("PT1S", "PT1S")
    backend.wait_gone(inv, timeout=10)


def test_abort_timeout_governs_attempts(cli, backend: Backend, restore) -> None:
    restore.append("Greeter")
    assert cli("-y", "svc", "config", "patch", "Greeter", "--abort-timeout", "1s").code == 0
    time.sleep(1)  # restate-server takes the new schema in a moment after answering
    inv = backend.send("Greeter/busy", 5)
    if backend.version >= "1.7" and not backend.embedded:
        # Measured: restate-server 1.7.12 lets a request/response attempt run past the abort timeout.
        row = backend.wait_status(inv, "running")
        time.sleep(2.5)
        assert backend.status(inv) in ("running", "completed")
        return
    row = backend.wait(inv, lambda r: r is not None and (r.get("retry_count") or 0) >= 2, 15, "a retry")
    assert "'abort timeout' (1s) fired" in row.get("last_failure", ""), row
    assert row.get("last_failure_error_code") == "RT0001"
    cli("-y", "inv", "kill", inv)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PATCH", "services/Nope", {"public": True}, 404),
        ("PATCH", "services/Greeter", {"workflow_completion_retention": "1h"}, 400),
        ("PATCH", "services/Counter", {"journal_retention": "bogus"}, 422),
        ("PATCH", "services/Counter", {"public": "yes"}, 422),
        ("POST", "services/Nope/state", {"object_key": "k", "new_state": {"a": [49]}}, 404),
        ("POST", "services/Nope/state", {"object_key": "k", "new_state": {}}, 202),
        ("POST", "services/Greeter/state", {"object_key": "k", "new_state": {}}, 400),
        ("POST", "services/Counter/state", {"new_state": {}}, 422),
        ("POST", "services/Counter/state", {"object_key": "k", "new_state": {"a": [300]}}, 422),
    ],
)
def test_admin_endpoints_answer_as_restate(
    backend: Backend, method: str, path: str, body: dict, status: int
) -> None:
    r = httpx.request(method, f"{backend.admin_url}/v{backend.api_version}/{path}", json=body, timeout=10)
    assert r.status_code == status, r.text
    if status in (400, 404):
        assert r.headers["content-type"].startswith("application/json") and r.json()["message"]
