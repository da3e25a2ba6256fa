"""What ``restate-cli dev`` writes to stderr: one line per finished invocation and every
failure and retry by default, each state change with ``-v``, failures only with ``-q``; and
how it stops."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.backend import Backend
from support.processes import ServiceProcess


class Dev:
    """``restate-cli dev --random-ports [FLAGS]`` over ``data``, its stderr in a file."""

    def __init__(self, data: Path, *flags: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTATE_")}
        env["RESTATE_CLI_HOME"] = str(data)
        data.mkdir(parents=True, exist_ok=True)
        self.err_path = data / f"dev-{time.monotonic_ns()}.err"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "restate_cli", "dev", "--random-ports", *flags],
            stdout=subprocess.DEVNULL,
            stderr=self.err_path.open("w"),
            env=env,
        )
        deadline = time.monotonic() + 30
        while not (data / "dev.json").exists():
            assert self.proc.poll() is None and time.monotonic() < deadline, self.err
            time.sleep(0.05)
        info = json.loads((data / "dev.json").read_text())
        self.backend = Backend(
            "embedded", "1.7.12", info["admin_url"].rstrip("/"), info["ingress_url"].rstrip("/")
        )

    @property
    def err(self) -> str:
        return self.err_path.read_text()

    def lines_of(self, invocation_id: str) -> list[str]:
        """What the log says about one invocation, without the time stamps."""
        return [line.split(": ", 1)[1] for line in self.err.splitlines() if f" {invocation_id} " in line]

    def stop(self) -> float:
        """Ctrl-C; how long it took to exit."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        took = time.monotonic() - started
        assert self.proc.returncode == 0, self.err
        return took


@pytest.fixture
def data(tmp_path: Path, services: ServiceProcess) -> Path:
    """A data directory with the test services registered."""
    d = tmp_path / "data"
    dev = Dev(d)
    dev.backend.register(services.url)
    dev.stop()
    return d


def traffic(b: Backend) -> dict[str, str]:
    """One invocation that completes, one that keeps failing, one that suspends, one for later."""
    ids = {
        "done": b.call("Greeter/greet", "log").headers["x-restate-id"],
        "failing": b.send("Greeter/failing", "log"),
        "sleeping": b.send("Greeter/sleepy", 3600),
        "later": b.send("Greeter/greet", "later", delay="1h"),
    }
    b.wait(ids["failing"], lambda r: (r or {}).get("retry_count", 0) >= 2, what="two retries")
    b.wait_status(ids["sleeping"], "suspended")
    return ids


def test_default_one_line_per_finished_invocation_and_every_retry(data: Path) -> None:
    dev = Dev(data)
    ids = traffic(dev.backend)
    took = dev.stop()
    assert dev.lines_of(ids["done"]) == ["completed"], dev.err
    retries = dev.lines_of(ids["failing"])
    assert len(retries) >= 2 and all(
        re.match(r"backing-off \(\[500\] .*\), retry in \d+ ms$", x) for x in retries
    )
    assert dev.lines_of(ids["sleeping"]) == [] and dev.lines_of(ids["later"]) == []
    assert "running" not in dev.err and "accepted from ingress" not in dev.err
    assert re.search(r"^\d\d:\d\d:\d\d stopping\b", dev.err, re.M) and dev.err.endswith("stopped\n"), dev.err
    # Only the failing handler's retry was in flight at most: stopping takes well under a second.
    assert took < 1.0, took


def test_verbose_logs_each_state_change_in_order(data: Path) -> None:
    dev = Dev(data, "-v")
    ids = traffic(dev.backend)
    dev.stop()
    assert dev.lines_of(ids["done"]) == ["accepted from ingress", "running", "completed"], dev.err
    assert dev.lines_of(ids["later"]) == ["accepted from ingress", "scheduled"], dev.err
    assert dev.lines_of(ids["sleeping"]) == ["accepted from ingress", "running", "suspended"], dev.err
    failing = dev.lines_of(ids["failing"])
    assert failing[:3] == ["accepted from ingress", "running", failing[2]] and failing[2].startswith(
        "backing-off"
    )


def test_quiet_logs_failures_only(data: Path) -> None:
    dev = Dev(data, "-q")
    ids = traffic(dev.backend)
    dev.stop()
    assert dev.lines_of(ids["done"]) == [] and dev.lines_of(ids["sleeping"]) == []
    assert dev.lines_of(ids["failing"]) and all(
        x.startswith("backing-off") for x in dev.lines_of(ids["failing"])
    )
    assert "stopping" in dev.err  # said whatever the level


def test_ctrl_c_with_nothing_in_flight_stops_within_a_second(data: Path) -> None:
    dev = Dev(data)
    dev.backend.call("Greeter/greet", "idle")  # a request served; nothing left in flight
    assert dev.stop() < 1.0
    assert "stopping" in dev.err
