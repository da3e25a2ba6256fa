"""``deployments``: register, list, describe and remove, on every backend."""

from __future__ import annotations

import re

import httpx
import pytest
from support.processes import ServiceProcess


@pytest.fixture
def extra_service(tmp_path) -> ServiceProcess:
    svc = ServiceProcess(app="features:app").start(tmp_path)
    yield svc
    svc.stop()


def test_register_list_describe_remove(cli, extra_service: ServiceProcess) -> None:
    r = cli("-y", "deployments", "register", extra_service.url)
    assert r.code == 0, r
    assert re.search(r"Registered deployment dp_\w+ \(.*Helper.*\)", r.out), r.out
    assert "Waiter" in r.out and "VirtualObject" in r.out
    dep = re.search(r"(dp_\w+)", r.out).group(1)

    listed = cli("--json", "dp", "ls").json()
    mine = next(d for d in listed if d["id"] == dep)
    assert {s["name"] for s in mine["services"]} == {"Waiter", "Helper", "Locker", "Approval"}
    assert dep in cli("-q", "dp", "list").lines

    r = cli("dp", "describe", dep)
    assert r.code == 0, r
    assert extra_service.url.rstrip("/") in r.out
    assert re.search(
        r"Created at:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})? \+00:00 \((just now|.* ago)\)", r.out
    )

    # --time-format reaches deployments too; -o gives UTC ISO with milliseconds
    row = next(line for line in cli("--time-format", "iso8601", "dp", "ls").lines if dep in line)
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?\+00:00", row), row
    row = next(line for line in cli("--time-format", "rfc2822", "dp", "ls").lines if dep in line)
    assert re.search(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", row), row
    row = next(line for line in cli("-o", "tsv", "dp", "ls").lines if dep in line)
    assert re.search(r"\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", row), row
    r = cli("--time-format", "iso8601", "dp", "describe", dep)
    assert re.search(r"Created at:\s+\S+\+00:00 \(PT\d+(\.\d{1,3})?S\)", r.out), r.out
    assert re.search(r"Approval\s+Workflow\s+run\s+Workflow", r.out), r.out

    r = cli("-y", "dp", "remove", dep)
    assert r.code == 1 and "only when forced" in r.err, r  # restate-server answers 501 unforced
    r = cli("-y", "dp", "rm", "--force", dep)
    assert r.code == 0, r
    assert dep not in cli("-q", "dp", "ls").lines
    assert cli("dp", "describe", dep).code == 4


def test_bad_input(cli) -> None:
    assert cli("dp", "register", "not a url").code == 2
    assert cli("dp", "describe", "dp_nope").code == 2
    r = cli("-y", "dp", "register", "http://127.0.0.1:9/")
    assert r.code == 1 and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_update_moves_a_deployment_and_its_pinned_invocations(backend, tmp_path) -> None:
    """``PATCH /deployments/{id}`` with a new uri keeps the id: a suspended invocation pinned
    to it resumes at the new endpoint (what ``dev --demo`` relies on when its port moves)."""
    first = ServiceProcess(app="features:app").start(tmp_path)
    try:
        dep = backend.register(first.url)["id"]
        inv = backend.send("Helper/nap", 3)
        assert backend.wait_status(inv, "suspended")["pinned_deployment_id"] == dep
    finally:
        first.stop()
    moved = ServiceProcess(app="features:app").start(tmp_path)
    try:
        r = httpx.patch(
            f"{backend.admin_url}/deployments/{dep}", json={"uri": moved.url, "use_http_11": True}, timeout=30
        )
        assert r.status_code == 200, r.text
        assert r.json()["uri"] == moved.url
        row = backend.wait_status(inv, "completed", timeout=60)
        assert row["completion_result"] == "success" and row["pinned_deployment_id"] == dep
        assert [d["uri"] for d in httpx.get(f"{backend.admin_url}/deployments").json()["deployments"]].count(
            moved.url
        ) == 1
    finally:
        moved.stop()


def test_register_over_http11_on_request(cli, fresh_node) -> None:
    url = fresh_node("http1").url  # http.createServer: HTTP/1.1 only
    r = cli("-y", "dp", "register", url)
    assert r.code == 1 and "Traceback" not in r.err, r
    assert "[META0014]" in r.err and "consider discovery with --use-http1.1" in r.err, r.err
    r = cli("-y", "dp", "register", "--use-http1.1", url)
    assert r.code == 0, r
    dep = re.search(r"(dp_\w+)", r.out).group(1)
    r = cli("dp", "describe", dep)
    assert re.search(r"Protocol:\s+RequestResponse over HTTP/1\.1", r.out), r.out
    listed = next(d for d in cli("--json", "dp", "ls").json() if d["id"] == dep)
    assert (listed["protocol_type"], listed["http_version"]) == ("RequestResponse", "HTTP/1.1")
    row = next(line for line in cli("-o", "tsv", "dp", "ls").lines if line.startswith(dep))
    assert row.split("\t")[2:4] == ["RequestResponse", "HTTP/1.1"]
