"""`restate-cli dev --demo`: sample services and traffic that reach every status, and a demo
that survives being stopped and started again."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

WANTED = {"pending", "scheduled", "running", "suspended", "backing-off", "paused", "completed"}


class Dev:
    """``restate-cli dev --demo --random-ports`` over ``data``, stderr kept in a file."""

    def __init__(self, data: Path, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTATE_") and k != "CI"}
        env["RESTATE_CLI_HOME"] = str(data)
        self.data = data
        self.err_path = data.parent / f"dev-{time.monotonic_ns()}.err"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "restate_cli", "dev", "--demo", "--random-ports", *extra],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.err_path.open("w"),
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 60
        while not (data / "dev.json").exists():
            assert self.proc.poll() is None, self.err
            assert time.monotonic() < deadline, self.err
            time.sleep(0.1)
        self.admin = json.loads((data / "dev.json").read_text())["admin_url"]

    @property
    def err(self) -> str:
        return self.err_path.read_text()

    def query(self, sql: str) -> list[dict[str, Any]]:
        r = httpx.post(
            f"{self.admin}query", json={"query": sql}, headers={"accept": "application/json"}, timeout=10
        )
        assert r.status_code == 200, r.text
        return r.json()["rows"]

    def wait(self, check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            assert time.monotonic() < deadline, f"{what} not reached in {timeout}s; log:\n{self.err}"
            time.sleep(0.2)

    def rows(self) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in self.query("SELECT * FROM sys_invocation")}

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, self.err
        assert "stopped" in self.err
        return self.err


def test_demo_puts_invocations_into_every_status(tmp_path: Path) -> None:
    dev = Dev(tmp_path / "data")
    try:
        dev.wait(lambda: {r["status"] for r in dev.rows().values()} >= WANTED, f"every status of {WANTED}")
    finally:
        err = dev.stop()
    assert "demo: sample traffic sent" in err


def test_second_ctrl_c_stops_the_sample_services_too(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dev = Dev(data)
    try:
        dev.wait(lambda: "sample traffic sent" in dev.err, "the traffic")
        port = json.loads((data / "demo.json").read_text())["port"]
        ingress = json.loads((data / "dev.json").read_text())["ingress_url"]

        def await_delivery() -> None:  # an awaited call that stays open: the first Ctrl-C waits
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(f"{ingress}Shop/wait_for_delivery", json=1, timeout=30)

        threading.Thread(target=await_delivery, daemon=True).start()
        dev.wait(lambda: len(dev.rows()) == 14, "the awaited call")
        dev.proc.send_signal(signal.SIGINT)
        dev.wait(lambda: "stopping:" in dev.err, "the stop")
        dev.proc.send_signal(signal.SIGINT)
        dev.proc.communicate(timeout=30)
    finally:
        if dev.proc.poll() is None:
            dev.proc.kill()
    assert dev.proc.returncode == 128 + signal.SIGINT, dev.err
    assert "stopping at once" in dev.err

    def refused() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) != 0

    dev.wait(refused, "the sample services gone", timeout=10)


def test_restarted_demo_resumes_on_the_same_deployment_without_sending_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dev = Dev(data)
    try:
        dev.wait(lambda: "sample traffic sent" in dev.err, "the traffic")
        # checkout's three children, and crunch in the middle of an attempt
        first = dev.wait(lambda: len(rows := dev.rows()) == 13 and rows, "13 invocations")
        crunch = next(i for i, r in first.items() if r["target"] == "Shop/crunch")
        dev.wait(lambda: dev.rows()[crunch]["status"] == "running", "crunch running")
        deployments = dev.query("SELECT id FROM sys_deployment")
    finally:
        dev.stop()
    assert len(deployments) == 1
    demo_port = json.loads((data / "demo.json").read_text())["port"]

    stopped_at = time.time()
    dev = Dev(data)
    try:
        dev.wait(lambda: "sample traffic was sent when this data directory was new" in dev.err, "the notice")
        # the attempt interrupted by the stop runs again, on the same deployment
        row = dev.wait(
            lambda: (
                (r := dev.rows()[crunch])["status"] == "running"
                and r["last_start_at"] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stopped_at))
                and r
            ),
            "crunch running again",
        )
        assert row["last_attempt_deployment_id"] == deployments[0]["id"]
        time.sleep(1)
        rows = dev.rows()
        assert rows.keys() == first.keys(), "the traffic was sent again"
        pinned = {r.get("pinned_deployment_id") for r in rows.values()} - {None}
        assert pinned == {deployments[0]["id"]}
        assert not [r for r in rows.values() if "cannot connect" in (r.get("last_failure") or "")]
        assert rows[crunch]["status"] == "running"
        assert dev.query("SELECT id FROM sys_deployment") == deployments
    finally:
        dev.stop()
    assert json.loads((data / "demo.json").read_text())["port"] == demo_port

    # The port is taken meanwhile: the deployment moves with its pinned invocations.
    with socket.socket() as squatter:
        # SO_REUSEADDR, as servers bind: the services' last connections may linger in
        # TIME_WAIT on the port (hypercorn closes its end first on the runtime's GOAWAY)
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", demo_port))
        squatter.listen()
        dev = Dev(data)
        try:
            dev.wait(lambda: "sample traffic was sent when" in dev.err, "the notice")
            moved = dev.wait(
                lambda: (r := dev.rows()[crunch])["status"] == "running" and r, "crunch running", timeout=90
            )
            assert moved["last_attempt_deployment_id"] == deployments[0]["id"]
            assert dev.rows().keys() == first.keys()
        finally:
            err = dev.stop()
    assert f"port {demo_port} of the sample services is in use" in err
    assert json.loads((data / "demo.json").read_text())["port"] != demo_port


def test_reset_asks_then_starts_over(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dev = Dev(data)
    try:
        dev.wait(lambda: len(dev.rows()) == 13, "13 invocations")
        before = set(dev.rows())
    finally:
        dev.stop()

    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTATE_") and k != "CI"}
    env["RESTATE_CLI_HOME"] = str(data)
    refused = subprocess.run(
        [sys.executable, "-m", "restate_cli", "dev", "--demo", "--reset", "--random-ports"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert refused.returncode == 2, refused.stderr
    assert "refusing to reset the data directory without confirmation" in refused.stderr
    assert "--yes" in refused.stderr

    dev = Dev(data, "--reset", "--yes")
    try:
        dev.wait(lambda: "sample traffic sent" in dev.err, "the traffic, again")
        after = dev.wait(lambda: len(rows := dev.rows()) == 13 and rows, "13 new invocations")
        assert not before & set(after)
        assert len(dev.query("SELECT id FROM sys_deployment")) == 1
    finally:
        dev.stop()


@pytest.mark.parametrize("args", [["--reset"], []])
def test_dev_refuses_a_data_directory_already_served(tmp_path: Path, args: list[str]) -> None:
    data = tmp_path / "data"
    dev = Dev(data)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTATE_")}
        env["RESTATE_CLI_HOME"] = str(data)
        r = subprocess.run(
            [sys.executable, "-m", "restate_cli", "-y", "dev", "--random-ports", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert r.returncode == 1
        assert f"already serves {data}" in r.stderr
        assert dev.rows()  # nothing was wiped
    finally:
        dev.stop()


def test_demo_services_and_traffic_on_restate_server(tmp_path: Path, cli_proc) -> None:
    """README's recipe for the demo against a server of your own, on restate-server 1.7.12."""
    from support.processes import RestateServer, ServiceProcess

    server = RestateServer("1.7.12", tmp_path / "server")
    services = ServiceProcess(app="restate_cli.demo.services:app")
    try:
        server.start()
        services.start(tmp_path)
        env = {"RESTATE_ADMIN_URL": server.admin_url}
        r = cli_proc("-y", "deployments", "register", "--use-http1.1", services.url, env=env)
        assert r.code == 0 and "Shop" in r.out, r
        sent = subprocess.run(
            [sys.executable, "-m", "restate_cli.demo.traffic", server.ingress_url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sent.returncode == 0, sent.stderr
        assert "sent 10 requests" in sent.stdout
        deadline = time.monotonic() + 60
        seen: set[str] = set()
        while not seen >= WANTED:
            r = cli_proc("--json", "inv", "ls", "--all", env=env)
            seen = {i["status"] for i in r.json()}
            assert time.monotonic() < deadline, seen
            time.sleep(0.5)
    finally:
        services.stop()
        server.stop()
