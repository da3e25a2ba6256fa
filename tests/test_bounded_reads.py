"""Every body the CLI and the embedded runtime read is bounded, and the error names the limit:
files given to ``-f``, discovery responses (and discovery's total time), SDK responses."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from support.cli import clean_env
from support.hostile import INVOCATION_TYPE, MANIFEST_TYPE, HostileServer, endless, trickle
from support.processes import EmbeddedRuntime

ADDRESS_SPACE = 2 << 30  # a CLI that reads without bound fails here instead of eating the machine


def limited_cli(
    home: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    return subprocess.run(
        [sys.executable, "-m", "restate_cli", *args],
        input=stdin,
        capture_output=True,
        env=clean_env(home, env),
        cwd=home,
        timeout=60,
        preexec_fn=limit,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["subscriptions", "create", "-f", "/dev/zero"],
        ["kafka-clusters", "create", "big", "-f", "/dev/zero"],
        ["kafka-clusters", "patch", "big", "-f", "/dev/zero"],
    ],
    ids=["subscriptions-create", "kafka-clusters-create", "kafka-clusters-patch"],
)
def test_endless_file_is_refused_with_the_limit(home: Path, args: list[str]) -> None:
    r = limited_cli(home, "-y", *args)
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert "/dev/zero holds more than 1 MiB" in err
    assert len(err.strip().splitlines()) <= 2 and "Traceback" not in err  # the error and a hint at most


def test_oversized_stdin_is_refused_with_the_limit(home: Path) -> None:
    r = limited_cli(home, "-y", "kafka-clusters", "create", "big", "-f", "-", stdin=b"a=b\n" * 300_000)
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert "standard input holds more than 1 MiB" in err


def test_endless_admin_api_answer_is_refused_with_the_limit(home: Path) -> None:
    server = HostileServer(endless("application/json"))
    try:
        r = limited_cli(home, "deployments", "list", env={"RESTATE_ADMIN_URL": server.url})
    finally:
        server.stop()
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert "the response body is larger than 128 MiB, the limit" in err and "Traceback" not in err


# -- the embedded runtime ---------------------------------------------------------------------

RSS_MARGIN_KB = 400 * 1024  # what dev may grow by while refusing an endless body


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def while_watching_memory(pid: int, server: HostileServer, work: Callable[[], object]) -> object:
    """Run ``work`` in a thread while sampling ``pid``'s RSS; stop ``server`` (ending its
    endless body) and fail as soon as the RSS passes the margin."""
    baseline = rss_kb(pid)
    box: dict[str, object] = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", work()), daemon=True)
    thread.start()
    peak = baseline
    while thread.is_alive():
        peak = max(peak, rss_kb(pid))
        if peak - baseline > RSS_MARGIN_KB:
            server.stop()
            thread.join(30)
            raise AssertionError(f"dev grew by {(peak - baseline) // 1024} MiB reading an endless body")
        time.sleep(0.02)
    return box["result"]


def register(admin_url: str, uri: str) -> httpx.Response:
    """The hostile servers speak HTTP/1.1 only (test_http2.py holds discovery over HTTP/2 to
    the same bounds)."""
    return httpx.post(f"{admin_url}/deployments", json={"uri": uri, "use_http_11": True}, timeout=30)


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[EmbeddedRuntime]:
    runtime = EmbeddedRuntime(tmp_path / "data").start({"RESTATE_CLI_DISCOVERY_TIMEOUT_SECONDS": "3"})
    yield runtime
    runtime.stop()


def test_endless_discovery_fails_registration_in_bounded_memory(dev: EmbeddedRuntime) -> None:
    server = HostileServer(endless(MANIFEST_TYPE))
    try:
        assert dev.proc is not None
        r = while_watching_memory(dev.proc.pid, server, lambda: register(dev.admin_url, server.url))
    finally:
        server.stop()
    assert isinstance(r, httpx.Response)
    assert r.status_code == 500, r.text
    body = r.json()
    assert body["restate_code"] == "META0003"
    assert "larger than 16 MiB, the limit" in body["message"]
    assert httpx.get(f"{dev.admin_url}/deployments", timeout=10).json()["deployments"] == []


def test_trickling_discovery_fails_at_the_deadline(dev: EmbeddedRuntime) -> None:
    server = HostileServer(trickle(MANIFEST_TYPE, every=0.5))
    try:
        began = time.monotonic()
        r = register(dev.admin_url, server.url)
        took = time.monotonic() - began
    finally:
        server.stop()
    assert r.status_code == 500, r.text
    assert r.json()["restate_code"] == "META0003"
    assert "did not complete within 3s" in r.json()["message"]
    assert 3 <= took < 15


MANIFEST = {
    "protocolMode": "REQUEST_RESPONSE",
    "minProtocolVersion": 5,
    "maxProtocolVersion": 6,
    "services": [{"name": "Hostile", "ty": "SERVICE", "handlers": [{"name": "run"}]}],
}


def sdk_with_endless_answers(conn, head: bytes) -> None:
    """Discovery works; every invocation attempt gets an endless response."""
    if head.startswith(b"GET /discover"):
        body = json.dumps(MANIFEST).encode()
        conn.sendall(
            f"HTTP/1.1 200 OK\r\ncontent-type: {MANIFEST_TYPE}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        return
    endless(INVOCATION_TYPE)(conn, head)


def test_endless_attempt_response_fails_the_attempt_and_is_retried(dev: EmbeddedRuntime) -> None:
    server = HostileServer(sdk_with_endless_answers)
    assert dev.proc is not None
    try:
        assert register(dev.admin_url, server.url).status_code == 201
        sent = httpx.post(f"{dev.ingress_url}/Hostile/run/send", timeout=10)
        assert sent.status_code == 202, sent.text
        inv = sent.json()["invocationId"]

        def failed_twice() -> dict:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                r = httpx.post(
                    f"{dev.admin_url}/query",
                    json={
                        "query": f"SELECT status, retry_count, last_failure FROM sys_invocation WHERE id = '{inv}'"
                    },
                    headers={"accept": "application/json"},
                    timeout=10,
                )
                row = r.json()["rows"][0]
                if (row["retry_count"] or 0) >= 2 and row["last_failure"]:
                    return row
                time.sleep(0.1)
            raise AssertionError("the attempt was not retried")

        row = while_watching_memory(dev.proc.pid, server, failed_twice)
    finally:
        server.stop()
    assert isinstance(row, dict)
    assert "larger than 128 MiB, the limit" in row["last_failure"]
    assert row["status"] in ("backing-off", "running")
