"""`restate-cli dev --demo`: sample services and traffic that reach every status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


def test_demo_puts_invocations_into_every_status(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTATE_")}
    env["RESTATE_CLI_HOME"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "restate_cli", "dev", "--demo", "--random-ports"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "dev.json").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.1)
        admin = json.loads((tmp_path / "dev.json").read_text())["admin_url"]
        wanted = {"pending", "scheduled", "running", "suspended", "backing-off", "paused", "completed"}
        seen: set[str] = set()
        while time.monotonic() < deadline and not wanted <= seen:
            r = httpx.post(
                f"{admin}query",
                json={"query": "SELECT DISTINCT status FROM sys_invocation"},
                headers={"accept": "application/json"},
                timeout=10,
            )
            seen = {row["status"] for row in r.json()["rows"]}
            time.sleep(0.3)
        assert wanted <= seen, seen
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "restate-cli dev: admin API http://127.0.0.1:" in out
    assert "demo: sample traffic sent" in err
    assert "stopped" in err
