"""Short commands never import pydantic: it reads the embedded runtime's input (request
bodies, manifests), and costs a short command more than its requests take. Nor do they
import the embedded runtime's engine (``engine.core`` and what it needs): a command that
reads the store in-process never runs an invocation. Each command runs in a fresh
interpreter, as users run it, and reports what it imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.backend import Backend
from support.cli import clean_env

REPORT = (
    "import atexit, os, sys\n"
    "path = sys.argv.pop(1)\n"
    "def report():\n"
    "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')\n"
    "                   or m == 'restate_cli.embedded.engine.core')\n"
    "    with open(path, 'w') as f:\n"
    "        f.write(repr(heavy))\n"
    "atexit.register(report)\n"
    "def _exit(code, exit=os._exit):\n"  # completion's watchdog leaves without atexit
    "    report()\n"
    "    exit(code)\n"
    "os._exit = _exit\n"
    "sys.argv = ['restate-cli', *sys.argv[1:]]\n"
    "from restate_cli.__main__ import main\n"
    "main()\n"
)


def imported(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``restate-cli ARGS``; its exit code, output, and the heavy modules it loaded."""
    report = Path(env["HOME"]) / "imported.txt"
    report.unlink(missing_ok=True)
    r = subprocess.run(
        [sys.executable, "-c", REPORT, str(report), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return r.returncode, r.stdout + r.stderr, report.read_text() if report.exists() else "(no report)"


def target(backend: Backend) -> dict[str, str]:
    if backend.data_dir is not None:  # the embedded runtime: its dev process, over loopback
        return {"RESTATE_CLI_HOME": str(backend.data_dir)}
    return {"RESTATE_ADMIN_URL": backend.admin_url}


def test_version_and_completion_load_no_pydantic(backend: Backend, home: Path) -> None:
    env = clean_env(home, {**target(backend), "RESTATE_CLI_COMPLETE_TIMEOUT_MS": "5000"})  # a busy machine
    assert imported(["--version"], env)[::2] == (0, "[]")
    for spec in (["invocation", ""], ["service", ""], ["deployment", ""], ["subscription", ""]):
        code, out, heavy = imported(["__complete", *spec], env)
        assert (code, heavy) == (0, "[]"), out
        if spec[0] == "service":  # it did ask the admin API
            assert "Greeter" in out


def test_list_and_describe_load_no_pydantic(backend: Backend, home: Path) -> None:
    env = clean_env(home, target(backend))
    inv = backend.send("Greeter/greet", "light")
    code, out, heavy = imported(["invocations", "list", "--all"], env)
    assert (code, heavy) == (0, "[]"), out
    assert inv in out
    code, out, heavy = imported(["invocations", "describe", inv], env)
    assert (code, heavy) == (0, "[]"), out
    assert "Greeter/greet" in out


@pytest.mark.parametrize(
    "args",
    [["invocations", "list", "--all"], ["invocations", "describe", "inv_1aiqX0vFEFNH1Umgre1BPQbuvoa1ajGAuL"]],
)
def test_in_process_queries_load_neither_pydantic_nor_the_engine(
    tmp_path: Path, home: Path, args: list[str]
) -> None:
    """With no dev running, the admin API is mounted in the CLI: ``POST /query`` reads its
    body without the models of the other routes."""
    env = clean_env(home, {"RESTATE_CLI_HOME": str(tmp_path / "data")})
    code, out, heavy = imported(args, env)
    assert code in (0, 4) and heavy == "[]", out


def test_a_request_body_does_load_it(tmp_path: Path, home: Path) -> None:
    """The check above can fail: a command that sends a body to the in-process API loads it."""
    env = clean_env(home, {"RESTATE_CLI_HOME": str(tmp_path / "data")})
    code, out, heavy = imported(
        ["-y", "kafka-clusters", "create", "c1", "bootstrap.servers=127.0.0.1:1"], env
    )
    assert code == 0 and "pydantic" in heavy, out
