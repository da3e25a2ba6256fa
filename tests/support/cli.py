"""Run restate-cli the way users do: in-process (fast) or as a real subprocess."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: no RESTATE_* or CI from the caller, a private HOME."""
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "NO_COLOR": "1",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "RESTATE_CLI_HOME": str(home / "restate-cli-data"),
    }
    env.update(extra or {})
    return env


def run_in_process(args: list[str], env: dict[str, str], stdin: str = "") -> Result:
    """Call ``restate_cli.app.main`` with the given environment and captured streams."""
    from restate_cli.app import main

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(env["HOME"])
        sys.stdin = io.StringIO(stdin)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return Result(code, out.getvalue(), err.getvalue())


def run_subprocess(args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 60) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "restate_cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=env["HOME"],
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
