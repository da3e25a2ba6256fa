"""Bidirectional attempts on the embedded runtime: the stream stays open while the handler
waits (``running``), completions are written to it as they happen, and after the
inactivity timeout the runtime closes its side, the SDK suspends, and a later attempt
resumes the invocation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.backend import Backend
from support.cli import clean_env, run_subprocess
from support.processes import EmbeddedRuntime, ServiceProcess


@pytest.fixture
def hypercorn(tmp_path: Path) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(app="protocol_app:app", access_log=tmp_path / "access.log").start(tmp_path)
    yield svc
    svc.stop()


def streaming_dev(tmp_path: Path, service: ServiceProcess, *args: str) -> tuple[EmbeddedRuntime, Backend]:
    dev = EmbeddedRuntime(tmp_path / "data").start(args=args)
    b = Backend("embedded", "1.7.12", dev.admin_url, dev.ingress_url, dev.data_dir, streaming=True)
    assert b.register(service.url)["services"]
    return dev, b


def attempts(service: ServiceProcess, handler: str) -> int:
    service.stop()  # flushes the access log
    log = service.access_log.read_text()
    return log.count(f"POST /invoke/Proto/{handler} 2")


def test_a_waiting_handler_keeps_its_stream_and_gets_its_completion(
    tmp_path: Path, hypercorn: ServiceProcess
) -> None:
    dev, b = streaming_dev(tmp_path, hypercorn)
    try:
        inv = b.send("Proto/sleepy", 1.5)
        time.sleep(0.7)
        row = b.row(inv)
        assert row is not None and row["status"] == "running", row  # not suspended: streaming
        assert b.attach(inv).json() == "slept"
        entries = [e["entry_type"] for e in b.query(f"SELECT entry_type FROM sys_journal WHERE id = '{inv}'")]
        assert entries == ["Command: Input", "Command: Sleep", "Notification: Sleep", "Command: Output"]
    finally:
        dev.stop()
    assert attempts(hypercorn, "sleepy") == 1  # one attempt, no replay


def test_after_the_inactivity_timeout_the_sdk_suspends_and_resumes_later(
    tmp_path: Path, hypercorn: ServiceProcess
) -> None:
    dev, b = streaming_dev(tmp_path, hypercorn, "--inactivity-timeout", "500ms")
    try:
        inv = b.send("Proto/sleepy", 3)
        b.wait_status(inv, "suspended", timeout=2.5)
        assert b.attach(inv).json() == "slept"
    finally:
        dev.stop()
    assert attempts(hypercorn, "sleepy") == 2  # suspended, then woken by the timer


def test_dev_checks_its_timeouts(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    r = run_subprocess(["dev", "--random-ports", "--inactivity-timeout", "soon"], env=env)
    assert r.code == 2 and "--inactivity-timeout" in r.err and "not a duration" in r.err, r
    r = run_subprocess(["dev", "--random-ports", "--abort-timeout", "0"], env=env)
    assert r.code == 2 and "--abort-timeout must be more than 0" in r.err, r


def test_waiting_streams_do_not_hold_back_other_attempts(tmp_path: Path, hypercorn: ServiceProcess) -> None:
    """More handlers waiting on open streams than request/response attempts may run at once
    (256): a new call still runs at once."""
    from restate_cli.embedded.engine.core import MAX_CONCURRENT_ATTEMPTS

    dev, b = streaming_dev(tmp_path, hypercorn)
    try:
        waiting = [b.send("Proto/sleepy", 30) for _ in range(MAX_CONCURRENT_ATTEMPTS + 20)]
        b.wait_status(waiting[-1], "running")
        started = time.monotonic()
        r = b.call("Proto/greet", "there", timeout=10)
        assert r.status_code == 200 and time.monotonic() - started < 5, r.text
    finally:
        dev.stop()
