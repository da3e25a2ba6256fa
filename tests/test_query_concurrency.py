"""POST /query of a restate-cli dev process under slow, abandoned and huge queries: they run
side by side, stop when their client leaves, and stop at the result limit with bounded memory.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from support.processes import EmbeddedRuntime

CONNECTIONS = 8
RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) AS n FROM c"
# 20,000 rows of 10,000 characters: 200 MB of JSON, far beyond the limit of 32 MiB.
HUGE = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 20000) "
    "SELECT x, hex(zeroblob(5000)) AS s FROM c"
)
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRuntime]:
    # A time limit far above what any assertion below waits for: a query that is not
    # interrupted holds its connection for the whole of it.
    env = {"RESTATE_CLI_QUERY_TIMEOUT_SECONDS": "120", "RESTATE_CLI_QUERY_CONNECTIONS": str(CONNECTIONS)}
    runtime = EmbeddedRuntime(tmp_path_factory.mktemp("query-dev")).start(env)
    yield runtime
    runtime.stop()


def post(
    dev: EmbeddedRuntime, sql: str, accept: str = "application/json", timeout: float = 60
) -> httpx.Response:
    return httpx.post(
        f"{dev.admin_url}/query", json={"query": sql}, headers={"accept": accept}, timeout=timeout
    )


def open_query(dev: EmbeddedRuntime, sql: str) -> socket.socket:
    """Send a query over a raw socket and leave it waiting for its answer."""
    url = urlsplit(dev.admin_url)
    body = json.dumps({"query": sql}).encode()
    sock = socket.create_connection((url.hostname, url.port))
    sock.sendall(
        b"POST /query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\naccept: application/json\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


def answered(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return False
    finally:
        sock.setblocking(True)


def timed(fn, *args):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = fn(*args)
    return result, time.monotonic() - started


def test_slow_queries_do_not_hold_up_others(dev: EmbeddedRuntime) -> None:
    runaways = [open_query(dev, RUNAWAY) for _ in range(4)]
    try:
        time.sleep(1)  # let them start; they run for 120 s unless interrupted
        r, took = timed(post, dev, "SELECT 1 AS one")
        assert r.status_code == 200 and r.json() == {"rows": [{"one": 1}]}
        assert took < 10, took
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTATE_")}
        env["RESTATE_CLI_HOME"] = str(dev.data_dir)
        cli = [sys.executable, "-m", "restate_cli", "invocations", "list", "--all"]
        done, took = timed(lambda: subprocess.run(cli, env=env, capture_output=True, text=True, timeout=60))
        assert done.returncode == 0, done.stderr
        assert "Showing 0/0 invocations" in done.stderr
        assert took < 15, took
        assert not any(answered(s) for s in runaways)  # all four were in flight throughout
    finally:
        for s in runaways:
            s.close()


def test_a_query_whose_client_leaves_is_interrupted(dev: EmbeddedRuntime) -> None:
    # As many runaway queries as there are connections: nothing else could run until the
    # time limit, unless leaving interrupts them.
    runaways = [open_query(dev, RUNAWAY) for _ in range(CONNECTIONS)]
    time.sleep(1)
    for s in runaways:
        s.close()
    started = time.monotonic()
    with ThreadPoolExecutor(CONNECTIONS + 1) as pool:
        answers = list(pool.map(lambda i: post(dev, f"SELECT {i} AS i", timeout=60), range(CONNECTIONS + 1)))
    assert [a.json() for a in answers] == [{"rows": [{"i": i}]} for i in range(CONNECTIONS + 1)]
    assert time.monotonic() - started < 15


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


@pytest.mark.parametrize("accept", ["application/json", "application/vnd.apache.arrow.stream"])
def test_a_huge_answer_is_refused_within_bounded_memory(dev: EmbeddedRuntime, accept: str) -> None:
    assert dev.proc is not None
    pid = dev.proc.pid
    post(dev, "SELECT 1", accept)  # the Arrow library and the connections are loaded
    baseline = rss_kib(pid, "VmRSS")
    peak = baseline
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not stop.wait(0.01):
            peak = max(peak, rss_kib(pid, "VmRSS"))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        r = post(dev, HUGE, accept)
    finally:
        stop.set()
        watcher.join()
    assert r.status_code == 500, r.text[:200]
    assert r.json()["message"] == (
        "Datafusion error: Resources exhausted: the query's answer passed the limit of 32 MiB "
        "($RESTATE_CLI_QUERY_MAX_RESULT_BYTES); select fewer rows or columns"
    )
    assert (peak - baseline) * 1024 < 160 * MIB, f"dev grew by {(peak - baseline) // 1024} MiB"
    r = post(dev, "SELECT length(hex(zeroblob(20000000))) AS n", accept)  # one value of 40 MB
    assert r.status_code == 500 and "a value in the query passed the limit of 32 MiB" in r.text
