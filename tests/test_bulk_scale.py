"""Bulk actions at size: a progress bar only on a terminal, a preview that stays a page
with counts beyond it, and Ctrl-C that stops after the requests in flight and says exactly
which invocations were done."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.backend import Backend
from support.cli import clean_env
from support.processes import EmbeddedRuntime, ServiceProcess

from restate_cli.commands._bulk import PREVIEW_ROWS


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory, services: ServiceProcess) -> Iterator[Backend]:
    """A ``restate-cli dev`` of its own: these tests leave thousands of invocations behind."""
    runtime = EmbeddedRuntime(tmp_path_factory.mktemp("bulk")).start()
    b = Backend("embedded", "1.7.12", runtime.admin_url, runtime.ingress_url, runtime.data_dir)
    b.register(services.url)
    yield b
    runtime.stop()


def send_many(b: Backend, target: str, body: object, n: int, status: str) -> None:
    """``n`` more invocations of ``target`` (32 sends at a time), then wait until ``n`` of
    them are in ``status``."""
    import asyncio

    import httpx

    async def send_all() -> None:
        gate = asyncio.Semaphore(32)
        async with httpx.AsyncClient(timeout=60) as client:

            async def one() -> None:
                async with gate:
                    r = await client.post(f"{b.ingress_url}/{target}/send", json=body)
                    assert r.status_code == 202, r.text

            await asyncio.gather(*(one() for _ in range(n)))

    asyncio.run(send_all())
    service, handler = target.split("/")
    deadline = time.monotonic() + 120
    while True:
        rows = b.query(
            "SELECT COUNT(1) AS n FROM sys_invocation WHERE "
            f"target_service_name = '{service}' AND target_handler_name = '{handler}' AND status = '{status}'"
        )
        if rows[0]["n"] >= n:
            return
        assert time.monotonic() < deadline, f"{n} {target} did not reach {status}: {rows}"
        time.sleep(0.2)


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "restate_cli", *args]


def env_for(b: Backend, home: Path) -> dict[str, str]:
    return clean_env(home, {"RESTATE_CLI_HOME": str(b.data_dir)})


def test_the_progress_bar_is_drawn_on_a_terminal_and_not_in_a_pipe(dev: Backend, home: Path) -> None:
    send_many(dev, "Greeter/sleepy", 3600, 40, "suspended")
    args = cli_argv("-y", "inv", "kill", "--wait", "0", "--limit", "20", "Greeter/sleepy")
    piped = subprocess.run(args, env=env_for(dev, home), capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0, piped
    assert "Killed 20 invocations" in piped.stdout
    assert "Working" not in piped.stderr and "━" not in piped.stderr and "\x1b" not in piped.stderr

    controller, terminal = pty.openpty()  # stderr on a terminal, stdout still a pipe
    try:
        on_tty = subprocess.run(
            args, env=env_for(dev, home), stdout=subprocess.PIPE, stderr=terminal, text=True, timeout=120
        )
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(controller)
    assert on_tty.returncode == 0, on_tty
    assert "Killed 20 invocations" in on_tty.stdout
    assert b"Working" in drawn and b"20/20" in drawn, drawn[-500:]


def test_a_large_preview_is_a_page_with_counts(dev: Backend, cli_proc, home: Path) -> None:
    """Beyond a page, the preview shows its first rows and then counts: the selection by
    status, the call trees by effect and relation."""
    n = 30  # each Greeter/parent has 3 children: 120 rows in the impact preview
    send_many(dev, "Greeter/parent", 3600, n, "suspended")
    r = cli_proc("-y", "inv", "kill", "--wait", "0", "Greeter/parent", env=env_for(dev, home))
    assert r.code == 0, r
    lines = r.out.splitlines()
    listed = [line for line in lines if line.startswith(" inv_")]
    assert len(listed) == n  # the selection itself: fewer than a page, every row
    tree_rows = [line for line in lines if line.startswith(("inv_", "├── ", "└── "))]
    assert len(tree_rows) == PREVIEW_ROWS, r.out  # a page of the impact table
    assert f"And {4 * n - PREVIEW_ROWS} other invocations. Effects: " in r.out, r.out
    effects = next(line for line in lines if "Effects: " in line)
    assert f"{2 * n} killed" in effects and f"{2 * n} unchanged" in effects, effects
    assert f"The kill reaches {n} more invocations ({n} awaited calls)" in r.out, r.out
    assert f"Killed {n} invocations" in r.out

    send_many(dev, "Greeter/sleepy", 3600, PREVIEW_ROWS + 25, "suspended")
    r = cli_proc("-y", "inv", "kill", "--wait", "0", "Greeter/sleepy", env=env_for(dev, home))
    assert r.code == 0, r
    selected = sum(1 for line in r.out.splitlines() if line.startswith(" inv_"))
    assert selected == PREVIEW_ROWS, r.out
    total = int(r.out.split("Killed ")[1].split(" ")[0])
    assert f"And {total - PREVIEW_ROWS} other invocations...\nIn all: {total} invocations: " in r.out, r.out
    counts = r.out.split(f"In all: {total} invocations: ")[1].split(".")[0].split(", ")
    assert sum(int(c.split()[0]) for c in counts) == total and "suspended" in counts[-1], counts


def killed(b: Backend) -> int:
    return b.query(
        "SELECT COUNT(1) AS n FROM sys_invocation WHERE target = 'Greeter/sleepy' "
        "AND completion_failure = '[409] killed'"
    )[0]["n"]


def interrupt_once_started(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run the CLI with stderr on a terminal, and SIGINT it as soon as its progress bar
    shows the first invocation done. Returns the exit code, stdout, and stderr with its
    whitespace runs made single spaces."""
    import re

    controller, terminal = pty.openpty()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    drawn = b""
    try:
        deadline = time.monotonic() + 120
        while not re.search(rb"Working.*?\b([1-9]\d*)/\d+", drawn):
            assert proc.poll() is None, (proc.returncode, drawn[-2000:])
            assert time.monotonic() < deadline, f"the kill did not start: {drawn[-2000:]!r}"
            drawn += os.read(controller, 65536)
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=60)[0]
        with contextlib.suppress(OSError):
            while chunk := os.read(controller, 65536):
                drawn += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    err = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", drawn).decode(errors="replace")
    return proc.returncode, out.decode(), " ".join(err.split())  # lines wrapped at the terminal's width


def sleepy_state(b: Backend) -> dict[str, tuple[str, str | None]]:
    rows = b.query(
        "SELECT id, status, completion_failure FROM sys_invocation WHERE target = 'Greeter/sleepy'"
    )
    return {r["id"]: (r["status"], r.get("completion_failure")) for r in rows}


def test_ctrl_c_stops_after_the_requests_in_flight_and_says_which_were_done(dev: Backend, home: Path) -> None:
    n = 3000
    send_many(dev, "Greeter/sleepy", 3600, n, "suspended")
    code, out, err = interrupt_once_started(
        cli_argv("--json", "-y", "inv", "kill", "--wait", "0", "--limit", str(n), "Greeter/sleepy"),
        env_for(dev, home),
    )
    assert code == 130, (out, err)
    assert "Error: interrupted: kill was not sent to " in err and "Traceback" not in err, err
    report = json.loads(out)
    assert report["interrupted"] is True
    results = report["results"]
    assert len(results) == n
    done = {r["id"] for r in results if r["ok"]}
    failed = {r["id"] for r in results if r["attempted"] and not r["ok"]}
    skipped = {r["id"] for r in results if not r["attempted"]}
    assert done and skipped and not failed, (len(done), len(failed), len(skipped))
    assert report["succeeded"] == len(done) and report["not_attempted"] == len(skipped)
    state = sleepy_state(dev)
    assert all(state[i] == ("completed", "[409] killed") for i in done)
    assert all(state[i][0] == "suspended" for i in skipped)
    assert f"not sent to {len(skipped)} of {n} invocations" in err, err


def test_ctrl_c_report_lists_the_done_and_the_not_attempted(dev: Backend, home: Path) -> None:
    """The same, as a person reads it: counts, then every id done and every id not attempted
    (of the invocations the previous test left suspended)."""
    n = sum(1 for status, _ in sleepy_state(dev).values() if status == "suspended")
    assert n >= 500
    code, out, err = interrupt_once_started(
        cli_argv("-y", "inv", "kill", "--wait", "0", "--limit", str(n), "Greeter/sleepy"), env_for(dev, home)
    )
    assert code == 130, (out, err)
    assert "Interrupted: " in err and f" not attempted of {n} invocations." in err, err
    done = out.split("Killed (")[1].split("Not attempted (")[0].split()[1:]
    skipped = out.split("Not attempted (")[1].split()[1:]
    assert done and skipped and len(set(done) | set(skipped)) == len(done) + len(skipped)
    state = sleepy_state(dev)
    assert all(state[i] == ("completed", "[409] killed") for i in done)
    assert all(state[i][0] == "suspended" for i in skipped)
