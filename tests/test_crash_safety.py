"""Kill `restate-cli dev` with SIGKILL at random points under load: nothing accepted is lost,
nothing completes twice, and virtual-object state changes apply exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from support.processes import EmbeddedRuntime, ServiceProcess

KINDS = ("greet", "sleepy", "chain", "flaky", "add")
EXPECTED = {
    "greet": lambda n: f'"Hello c{n}!"',
    "sleepy": lambda n: '"slept"',
    "chain": lambda n: '"chain:slept"',
    "flaky": lambda n: '"recovered"',
    "add": None,  # checked through the counter's final value
}


def request_for(kind: str, n: int, key: str) -> tuple[str, object]:
    return {
        "greet": ("Greeter/greet", f"c{n}"),
        "sleepy": ("Greeter/sleepy", 0.5),
        "chain": ("Greeter/chain", 0.3),
        "flaky": ("Greeter/flaky", 2),
        "add": (f"Counter/{key}/add", 1),
    }[kind]


def test_sigkill_loses_nothing(tmp_path: Path, services: ServiceProcess) -> None:
    data = tmp_path / "data"
    dev = EmbeddedRuntime(data).start()
    httpx.post(f"{dev.admin_url}/deployments", json={"uri": services.url}, timeout=30).raise_for_status()
    rng = random.Random(20261127)
    key = f"crash-{os.getpid()}-{rng.randrange(10**6)}"
    accepted: dict[str, tuple[str, str | None]] = {}
    lock = threading.Lock()
    stop = threading.Event()
    ingress = {"url": dev.ingress_url}

    def send_forever() -> None:
        n = 0
        with httpx.Client(timeout=5) as http:
            while not stop.is_set():
                kind = KINDS[n % len(KINDS)]
                target, body = request_for(kind, n, key)
                try:
                    r = http.post(
                        f"{ingress['url']}/{target}/send",
                        content=json.dumps(body),
                        headers={"content-type": "application/json"},
                    )
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                if r.status_code == 202:
                    with lock:
                        check = EXPECTED[kind]
                        accepted[r.json()["invocationId"]] = (kind, check(n) if check else None)
                    n += 1
                time.sleep(0.005)

    sender = threading.Thread(target=send_forever, daemon=True)
    sender.start()
    try:
        for _ in range(4):
            time.sleep(rng.uniform(0.3, 1.5))
            assert dev.proc is not None
            os.kill(dev.proc.pid, signal.SIGKILL)
            dev.proc.wait()
            (data / "dev.json").unlink(missing_ok=True)
            dev = EmbeddedRuntime(data).start()
            ingress["url"] = dev.ingress_url
        time.sleep(0.5)
    finally:
        stop.set()
        sender.join()
    with lock:
        expected = dict(accepted)
    assert len(expected) > 50, f"only {len(expected)} invocations were accepted"

    deadline = time.monotonic() + 90
    rows: dict[str, dict] = {}
    while time.monotonic() < deadline:
        r = httpx.post(
            f"{dev.admin_url}/query",
            json={
                "query": "SELECT id, target, status, completion_result, completion_failure FROM sys_invocation"
            },
            headers={"accept": "application/json"},
            timeout=30,
        )
        rows = {row["id"]: row for row in r.json()["rows"]}
        unseen_adds = [
            r for r in rows.values() if r["target"] == f"Counter/{key}/add" and r["id"] not in expected
        ]
        if all(rows.get(i, {}).get("status") == "completed" for i in expected) and all(
            r["status"] == "completed" for r in unseen_adds
        ):
            break
        time.sleep(0.5)
    try:
        missing = [i for i in expected if i not in rows]
        assert not missing, f"{len(missing)} accepted invocations were lost"
        unfinished = Counter(rows[i]["status"] for i in expected if rows[i]["status"] != "completed")
        assert not unfinished, f"not completed after the crashes: {unfinished}"
        failed = [rows[i] for i in expected if rows[i].get("completion_result") != "success"]
        assert not failed, failed[:3]
        with httpx.Client(timeout=10) as http:
            for inv, (kind, body) in expected.items():
                if body is None:
                    continue
                out = http.get(f"{dev.ingress_url}/restate/invocation/{inv}/output")
                assert (out.status_code, out.text) == (200, body), kind
            # Every add the runtime accepted counts once, also one whose 202 a kill cut off
            # before it reached the sender (so it is not in ``expected``).
            seen = {i for i, (kind, _) in expected.items() if kind == "add"}
            target = f"Counter/{key}/add"
            added = {i for i, row in rows.items() if row["target"] == target and row["status"] == "completed"}
            assert seen <= added
            total = http.post(f"{dev.ingress_url}/Counter/{key}/get", timeout=30)
            assert total.status_code == 200 and int(total.text) == len(added), (total.text, len(added))
    finally:
        dev.stop()
