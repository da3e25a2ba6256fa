"""``restate-cli dev`` stops on SIGTERM or Ctrl-C within a grace period, whatever is open,
and a second signal stops it at once; what was in flight is recovered by the next start."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from support.backend import wait_for
from support.hostile import HostileServer
from support.processes import EmbeddedRuntime, ServiceProcess

from restate_cli.embedded.server import GRACE_SECONDS

MARGIN = 2.5  # start-up of the interpreter's exit, a loaded machine


def stop_and_time(dev: EmbeddedRuntime, signum: int = signal.SIGTERM, timeout: float = 30) -> float:
    assert dev.proc is not None
    began = time.monotonic()
    dev.proc.send_signal(signum)
    dev.proc.wait(timeout)
    return time.monotonic() - began


def log_of(dev: EmbeddedRuntime) -> str:
    return (dev.data_dir / "dev.log").read_text()


def status(dev: EmbeddedRuntime, inv: str) -> str | None:
    r = httpx.post(
        f"{dev.admin_url}/query",
        json={"query": f"SELECT status FROM sys_invocation WHERE id = '{inv}'"},
        headers={"accept": "application/json"},
        timeout=10,
    )
    rows = r.json()["rows"]
    return rows[0]["status"] if rows else None


def in_background(fn) -> dict:
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = fn()
        except httpx.HTTPError as e:
            box["result"] = e

    threading.Thread(target=run, daemon=True).start()
    return box


@pytest.fixture
def dev(tmp_path: Path, services: ServiceProcess):
    runtime = EmbeddedRuntime(tmp_path / "data").start()
    httpx.post(f"{runtime.admin_url}/deployments", json={"uri": services.url}, timeout=30).raise_for_status()
    yield runtime
    runtime.stop()


def start_long_call(dev: EmbeddedRuntime, secs: float) -> tuple[str, dict]:
    """A handler running for ``secs``, with a caller attached to it, waiting."""
    sent = httpx.post(f"{dev.ingress_url}/Greeter/busy/send", json=secs, timeout=10)
    inv = sent.json()["invocationId"]
    attached = in_background(
        lambda: httpx.get(f"{dev.ingress_url}/restate/invocation/{inv}/attach", timeout=60)
    )
    wait_for(lambda: status(dev, inv) == "running", "running")
    return inv, attached


def test_sigterm_with_a_call_in_flight_stops_in_the_grace_period_and_restart_finishes_it(
    dev: EmbeddedRuntime,
) -> None:
    inv, attached = start_long_call(dev, 8)
    took = stop_and_time(dev)
    assert took < GRACE_SECONDS + MARGIN, f"took {took:.1f}s"
    assert dev.proc is not None and dev.proc.returncode == 0
    assert "stopping" in log_of(dev)
    wait_for(lambda: "result" in attached, "the attached caller's answer", 5)
    answer = attached["result"]
    assert isinstance(answer, httpx.HTTPError) or answer.status_code == 503  # answered or dropped
    dev.start()  # the same data directory: the interrupted attempt is recovered
    out = httpx.get(f"{dev.ingress_url}/restate/invocation/{inv}/attach", timeout=60)
    assert (out.status_code, out.json()) == (200, "busy done")


def test_second_signal_stops_at_once(dev: EmbeddedRuntime) -> None:
    inv, _ = start_long_call(dev, 30)
    assert dev.proc is not None
    dev.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: "stopping" in log_of(dev), "the stopping message", 5)
    took = stop_and_time(dev, signal.SIGINT)
    assert took < 1.0, f"took {took:.1f}s"
    assert dev.proc.returncode == 128 + signal.SIGINT
    dev.start()
    wait_for(lambda: status(dev, inv) == "running", "the recovered attempt")


def test_sigint_while_discovering_a_silent_endpoint(dev: EmbeddedRuntime) -> None:
    silent = HostileServer(lambda conn, head: time.sleep(60))
    try:
        registering = in_background(
            lambda: httpx.post(f"{dev.admin_url}/deployments", json={"uri": silent.url}, timeout=60)
        )
        wait_for(lambda: len(silent.requests) == 1, "the discovery request")
        took = stop_and_time(dev, signal.SIGINT)
    finally:
        silent.stop()
    assert took < GRACE_SECONDS + MARGIN, f"took {took:.1f}s"
    wait_for(lambda: "result" in registering, "the registration's answer", 5)
    answer = registering["result"]
    assert isinstance(answer, httpx.HTTPError) or answer.status_code == 503


def test_stop_with_nothing_open_is_quick(dev: EmbeddedRuntime) -> None:
    httpx.post(f"{dev.ingress_url}/Greeter/greet", json="quick", timeout=10).raise_for_status()
    took = stop_and_time(dev)
    assert took < 1.0, f"took {took:.1f}s"
    assert dev.proc is not None and dev.proc.returncode == 0
