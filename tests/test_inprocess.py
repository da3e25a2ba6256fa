"""With no `dev` process, commands work on the embedded store in-process; `dev` then carries
out what they recorded."""

from __future__ import annotations

from pathlib import Path

import httpx
from support.backend import Backend
from support.cli import clean_env, run_in_process
from support.processes import EmbeddedRuntime, ServiceProcess

from restate_cli import ids


def test_commands_without_a_dev_process(tmp_path: Path, home: Path, services: ServiceProcess) -> None:
    data = tmp_path / "data"
    dev = EmbeddedRuntime(data).start()
    b = Backend("embedded", "1.7.12", dev.admin_url, dev.ingress_url, data)
    b.register(services.url)
    sleeper = b.send("Greeter/sleepy", 3600)
    doomed = b.send("Greeter/sleepy", 3600)
    done = b.call("Greeter/greet", "x").headers["x-restate-id"]
    b.wait_status(sleeper, "suspended")
    b.wait_status(doomed, "suspended")
    dev.stop()

    env = clean_env(home, {"RESTATE_CLI_HOME": str(data)})

    def cli(*args: str):
        return run_in_process(list(args), env)

    notice = f"no `restate-cli dev` is serving {data}: changes take effect when it starts"
    r = cli("-q", "inv", "ls", "--all")
    assert r.code == 0, r
    assert {sleeper, doomed, done} == set(r.lines)  # the notice is not in the ids
    assert r.err.count(notice) == 1, r
    r = cli("--json", "inv", "ls", "--all")
    assert len(r.json()) == 3 and r.err.count(notice) == 1, r
    r = cli("inv", "describe", sleeper)
    assert r.code == 0 and "Command: Sleep until" in r.out, r
    assert r.err.count(notice) == 1, r
    r = cli("-y", "inv", "kill", doomed)
    assert r.code == 0 and r.err.count(notice) == 1, r
    # Nothing carries the cancel out until dev starts: no waiting for it, no "not as previewed".
    r = cli("-y", "inv", "cancel", sleeper)
    assert r.code == 0, r
    assert r.err.count(notice) == 1, r
    assert "Cancelled 1 invocation (1 recorded; the handler stops at its next await" in r.out, r
    assert "What happened" not in r.out and "not as previewed" not in r.out + r.err, r
    assert cli("-y", "inv", "purge", done).code == 0
    assert cli("inv", "describe", done).code == 4
    r = cli("dp", "describe", ids.format_short_id("dp", ids.new_uuid()))
    assert r.code == 4, r
    assert f"from the embedded runtime in {data})" in r.err and "http://embedded" not in r.err, r
    r = cli("--json", "inv", "describe", doomed)
    assert r.json()["completion_failure"] == "[409] killed"

    dev = EmbeddedRuntime(data).start()
    try:
        b = Backend("embedded", "1.7.12", dev.admin_url, dev.ingress_url, data)
        row = b.wait_status(sleeper, "completed")
        assert row["completion_failure"] == "[409] cancelled"
        assert b.row(doomed)["completion_failure"] == "[409] killed"
        assert httpx.get(f"{dev.ingress_url}/restate/invocation/{done}/output", timeout=10).status_code == 404
    finally:
        dev.stop()


def test_listing_in_process_loads_no_arrow_library(tmp_path: Path, home: Path) -> None:
    """Arrow answers are for clients that ask for them; the CLI reads JSON."""
    import subprocess
    import sys

    code = (
        "import sys; from restate_cli.app import main; code = main(['invocations', 'list', '--all']);"
        "print('CODE', code, 'ARROW', sorted(m for m in sys.modules if m.split('.')[0] in ('arro3', 'pyarrow')))"
    )
    env = clean_env(home, {"RESTATE_CLI_HOME": str(tmp_path / "data")})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert "CODE 0 ARROW []" in out.stdout, out
    assert "Showing 0/0 invocations" in out.stderr
