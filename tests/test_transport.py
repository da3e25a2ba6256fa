"""How deployments are reached, side by side on restate-server 1.7.12 and the embedded runtime:
discovery over HTTP/2 cleartext by default and HTTP/1.1 with ``use_http_11``, the errors when
an endpoint speaks only the other version, the status codes of ``POST /deployments``, and
attempts over the version a deployment was registered with."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.backend import Backend
from support.processes import ServiceProcess, npm_binary


@pytest.fixture(autouse=True)
def _only_the_reference_server(backend: Backend) -> None:
    if backend.version != "1.7.12":
        pytest.skip("compares the embedded runtime with restate-server 1.7.12")


@pytest.fixture
def hypercorn(tmp_path: Path) -> Iterator[ServiceProcess]:
    """The Python SDK's protocol services under hypercorn (HTTP/1.1 and h2c), access-logged."""
    svc = ServiceProcess(app="protocol_app:app", access_log=tmp_path / "access.log").start(tmp_path)
    yield svc
    svc.stop()


def post(b: Backend, **body: object) -> httpx.Response:
    return httpx.post(f"{b.admin_url}/deployments", json=body, timeout=60)


def deployment(b: Backend, dep_id: str) -> dict:
    r = httpx.get(f"{b.admin_url}/deployments/{dep_id}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def listed(b: Backend) -> set[str]:
    return {d["id"] for d in httpx.get(f"{b.admin_url}/deployments", timeout=10).json()["deployments"]}


def test_registration_status_codes(backend: Backend, hypercorn: ServiceProcess) -> None:
    """New: 201, dry run included (the official CLI relies on it); already registered: 200,
    forced or not, dry run or not. Every answer names the deployment in ``location``."""
    url = hypercorn.url
    dry = post(backend, uri=url, dry_run=True)
    assert dry.status_code == 201, dry.text
    assert dry.headers["location"] == f"deployments/{dry.json()['id']}"
    assert dry.json()["id"] not in listed(backend)

    new = post(backend, uri=url)
    assert new.status_code == 201, new.text
    dep_id = new.json()["id"]
    assert new.headers["location"] == f"deployments/{dep_id}"
    assert dep_id in listed(backend)

    for body in ({}, {"dry_run": True}, {"force": True}, {"force": True, "dry_run": True}):
        again = post(backend, uri=url, **body)
        assert again.status_code == 200, (body, again.text)
        assert again.json()["id"] == dep_id
        assert again.headers["location"] == f"deployments/{dep_id}"

    # Unforced, a registered URI is answered from the registry, without discovery: even
    # over the other HTTP version, even when the endpoint is gone; forced, it is discovered.
    hypercorn.stop()
    again = post(backend, uri=url, use_http_11=True)
    assert again.status_code == 200 and again.json()["id"] == dep_id, again.text
    assert deployment(backend, dep_id)["http_version"] == "HTTP/2.0"
    forced = post(backend, uri=url, force=True)
    assert forced.status_code == 500 and forced.json()["restate_code"] == "META0003", forced.text


def test_discovery_over_http2_by_default_and_http11_on_request(
    backend: Backend, hypercorn: ServiceProcess
) -> None:
    dep_id = post(backend, uri=hypercorn.url).json()["id"]
    dep = deployment(backend, dep_id)
    assert (dep["protocol_type"], dep["http_version"]) == ("BidiStream", "HTTP/2.0")
    assert {s["inactivity_timeout"] for s in dep["services"]} == {"1m", "30s"}
    # registered again, forced, over HTTP/1.1: the SDK then asks for request/response
    assert post(backend, uri=hypercorn.url, use_http_11=True, force=True).status_code == 200
    dep = deployment(backend, dep_id)
    assert (dep["protocol_type"], dep["http_version"]) == ("RequestResponse", "HTTP/1.1")
    assert {s["inactivity_timeout"] for s in dep["services"]} == {"0s"}
    listing = httpx.get(f"{backend.admin_url}/deployments", timeout=10).json()["deployments"]
    mine = next(d for d in listing if d["id"] == dep_id)
    assert (mine["protocol_type"], mine["http_version"]) == ("RequestResponse", "HTTP/1.1")
    # sys_deployment has no column for either, on restate-server 1.7.12 as here
    (row,) = backend.query(f"SELECT * FROM sys_deployment WHERE id = '{dep_id}'")
    assert set(row) == {
        "id", "ty", "endpoint", "created_at", "min_service_protocol_version",
        "max_service_protocol_version", "services",
    }  # fmt: skip


def test_http2_discovery_of_an_http11_only_endpoint(backend: Backend, fresh_node) -> None:
    url = fresh_node("http1").url  # http.createServer: HTTP/1.1 only
    r = post(backend, uri=url)
    assert r.status_code == 500
    assert r.json() == {
        "message": f"[META0014] [META0014] error when calling '{url}': server possibly supports "
        "only HTTP1.1, consider discovery with --use-http1.1.",
        "restate_code": "META0014",
    }
    ok = post(backend, uri=url, use_http_11=True)
    assert ok.status_code == 201, ok.text


def test_http11_discovery_of_an_h2c_only_endpoint(backend: Backend, fresh_node) -> None:
    url = fresh_node("serve").url  # restate.serve(): HTTP/2 only
    r = post(backend, uri=url, use_http_11=True)
    assert r.status_code == 500
    body = r.json()
    assert body["restate_code"] == "META0003"
    prefix = f"[META0003] [META0003] error when calling '{url}': "
    hint = "server possibly supports only HTTP/2, consider discovering without --use-http1.1.\nReason: "
    if backend.embedded:
        assert body["message"].startswith(prefix + hint)
    else:  # which one depends on whether Node's SETTINGS arrive before the request goes out
        assert body["message"].startswith(prefix + hint) or body["message"] == (
            prefix + "client error (SendRequest) caused by: received unexpected message from connection"
        ), body


def test_the_python_sdk_runs_over_http2(backend: Backend, hypercorn: ServiceProcess) -> None:
    """hypercorn's access log names the HTTP version of every request it served."""
    dep_id = post(backend, uri=hypercorn.url).json()["id"]
    assert deployment(backend, dep_id)["http_version"] == "HTTP/2.0"
    r = backend.call("Proto/caller", "h2")
    assert r.status_code == 200 and r.json() == "caller:Hello h2!"
    r = backend.call("Proto/sleepy", 0.2)  # suspends, and is woken by the timer
    assert r.status_code == 200, r.text
    hypercorn.stop()  # flushes the log
    lines = [line for line in hypercorn.access_log.read_text().splitlines() if "/invoke/" in line]
    assert any("POST /invoke/Proto/caller 2" in line for line in lines), lines
    assert any("POST /invoke/Proto/greet 2" in line for line in lines), lines
    # restate-server keeps the stream open through the sleep; the embedded runtime, request/
    # response for now, lets the SDK suspend and sends a second attempt
    sleeps = [line for line in lines if "POST /invoke/Proto/sleepy 2" in line]
    assert len(sleeps) == (2 if backend.embedded else 1), lines
    assert not [line for line in lines if " 1.1" in line], lines


def test_dev_logs_a_failed_registration(backend: Backend, fresh_node) -> None:
    if not backend.embedded:
        pytest.skip("the log of restate-cli dev")
    url = fresh_node("http1").url
    assert post(backend, uri=url).status_code == 500
    assert backend.data_dir is not None
    log = backend.data_dir / "dev.log"
    expected = f"registering the deployment at {url} failed: [META0014]"
    deadline = time.monotonic() + 5
    while expected not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert expected in log.read_text()


@pytest.mark.parametrize(
    ("mode", "flags", "http_version"), [("serve", [], "HTTP/2.0"), ("http1", ["--use-http1.1"], "HTTP/1.1")]
)
def test_the_official_cli_registers(
    backend: Backend, fresh_node, home: Path, mode: str, flags: list[str], http_version: str
) -> None:
    """It asks with a dry run first, and registers only if that answers 201 (new)."""
    service = fresh_node(mode)
    env = {
        "HOME": str(home),
        "NO_COLOR": "1",
        "RESTATE_ADMIN_URL": backend.admin_url,
        "PATH": "/usr/bin:/bin",
    }
    binary = npm_binary("cli-1.7.12", "restate")
    r = subprocess.run(
        [str(binary), "-y", "deployments", "register", *flags, service.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "already exists" not in r.stdout + r.stderr
    deployments = httpx.get(f"{backend.admin_url}/deployments", timeout=10).json()["deployments"]
    (dep,) = [d for d in deployments if d["uri"] == service.url]
    assert dep["http_version"] == http_version
    assert backend.call("Hello/greet", "cli").json() == "Hello cli!"
