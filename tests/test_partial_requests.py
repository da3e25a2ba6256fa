"""A request whose body is cut off runs nothing: the client declares a ``content-length``,
sends less and disconnects. Real sockets against every backend."""

from __future__ import annotations

import json
import socket
import time
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from support.backend import Backend
from support.processes import ServiceProcess

# Nothing can show that a request did *not* run, except waiting: the partial request is
# acted upon (if at all) within milliseconds of the disconnect; this is ample.
SETTLE_SECONDS = 1.0


def send_partial(base_url: str, path: str, body: bytes, declared: int, headers: dict[str, str]) -> None:
    """Send a request head that declares ``declared`` body bytes, then ``body`` (fewer), then close."""
    url = urlsplit(base_url)
    lines = [f"POST {path} HTTP/1.1", f"host: {url.netloc}", f"content-length: {declared}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        time.sleep(0.1)  # the server has read the head and the partial body
    time.sleep(SETTLE_SECONDS)


JSON = {"content-type": "application/json"}


def test_cut_off_call_does_not_run_and_its_retry_does(backend: Backend) -> None:
    key, idem = f"partial-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    full = b"12345678"
    send_partial(
        backend.ingress_url, f"/Counter/{key}/add", full[:4], len(full), {**JSON, "idempotency-key": idem}
    )
    r = httpx.post(
        f"{backend.ingress_url}/Counter/{key}/add",
        content=full,
        headers={**JSON, "idempotency-key": idem},
        timeout=30,
    )
    assert (r.status_code, r.text) == (200, "12345678"), r.text
    total = httpx.post(f"{backend.ingress_url}/Counter/{key}/get", timeout=30)
    assert total.text == "12345678"  # the partial 1234 was never added


def test_cut_off_send_is_not_accepted(backend: Backend) -> None:
    idem = uuid.uuid4().hex
    full = b'"abcdef"'
    send_partial(
        backend.ingress_url, "/Greeter/greet/send", full[:4], len(full), {**JSON, "idempotency-key": idem}
    )
    r = httpx.post(
        f"{backend.ingress_url}/Greeter/greet/send",
        content=full,
        headers={**JSON, "idempotency-key": idem},
        timeout=30,
    )
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "Accepted"  # not PreviouslyAccepted: the cut-off one never was
    inv = r.json()["invocationId"]
    out = httpx.get(f"{backend.ingress_url}/restate/invocation/{inv}/attach", timeout=30)
    assert (out.status_code, out.json()) == (200, "Hello abcdef!")


def test_cut_off_registration_registers_nothing(backend: Backend, services: ServiceProcess) -> None:
    # The same SDK endpoint under another name: registering it would add a deployment.
    uri = services.url.replace("127.0.0.1", "localhost")
    body = json.dumps({"uri": uri}).encode()
    send_partial(backend.admin_url, "/deployments", body, len(body) + 10, JSON)
    listed = httpx.get(f"{backend.admin_url}/deployments", timeout=30).json()["deployments"]
    assert uri not in [d.get("uri") for d in listed]


def test_cut_off_kafka_cluster_creation_creates_nothing(backend: Backend) -> None:
    if backend.version < "1.7":
        pytest.skip("restate-server 1.6 has no /kafka-clusters")
    name = f"partial-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"name": name, "properties": {"bootstrap.servers": "127.0.0.1:1"}}).encode()
    send_partial(backend.admin_url, "/kafka-clusters", body, len(body) + 10, JSON)
    r = httpx.get(f"{backend.admin_url}/kafka-clusters/{name}", timeout=30)
    assert r.status_code == 404, r.text
