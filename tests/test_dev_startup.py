"""A command waits for a ``dev`` that is starting (it holds the data directory's lock but has
not published its URLs) instead of writing to the store beside it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
from support.cli import clean_env
from support.processes import EmbeddedRuntime

from restate_cli.embedded.locate import START_WAIT_SECONDS, DevLock


def cli(home: Path, data_dir: Path, *args: str) -> subprocess.Popen:
    env = clean_env(home, {"RESTATE_CLI_HOME": str(data_dir)})
    return subprocess.Popen(
        [sys.executable, "-m", "restate_cli", *args],
        env=env,
        cwd=home,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_command_waits_for_a_starting_dev(tmp_path: Path, home: Path) -> None:
    serving = EmbeddedRuntime(tmp_path / "serving").start()  # the dev the command will reach
    starting = tmp_path / "starting"
    lock = DevLock(starting)
    try:
        assert lock.acquire()  # as a dev that has just started does
        # What a killed dev left behind must not be taken for the starting one's address.
        (starting / "dev.json").write_text(
            json.dumps({"pid": dead_pid(), "admin_url": "http://127.0.0.1:1/", "ingress_url": ""})
        )
        proc = cli(
            home, starting, "-y", "kafka-clusters", "create", "waited", "bootstrap.servers=127.0.0.1:1"
        )
        time.sleep(1.0)
        assert proc.poll() is None, proc.communicate()  # waiting, not done in-process
        assert not (starting / "restate.db").exists()
        lock.publish(
            {
                "pid": serving.proc.pid,
                "admin_url": serving.admin_url + "/",
                "ingress_url": serving.ingress_url,
            }
        )
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        r = httpx.get(f"{serving.admin_url}/kafka-clusters/waited", timeout=10)
        assert r.status_code == 200, r.text
        assert not (starting / "restate.db").exists()  # nothing was written beside the dev
    finally:
        lock.release()
        serving.stop()


def test_a_dev_that_never_serves_is_reported(tmp_path: Path, home: Path) -> None:
    starting = tmp_path / "starting"
    lock = DevLock(starting)
    try:
        assert lock.acquire()
        began = time.monotonic()
        proc = cli(home, starting, "-y", "kafka-clusters", "create", "never", "bootstrap.servers=127.0.0.1:1")
        _, err = proc.communicate(timeout=30)
        assert START_WAIT_SECONDS <= time.monotonic() - began < START_WAIT_SECONDS + 10
        assert proc.returncode == 3, err
        assert "has not started serving" in err and "Traceback" not in err
        assert not (starting / "restate.db").exists()
    finally:
        lock.release()
