"""Every body the CLI and the embedded runtime read is bounded, and the error names the limit:
files given to ``-f``, discovery responses (and discovery's total time), SDK responses."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import clean_env

ADDRESS_SPACE = 2 << 30  # a CLI that reads without bound fails here instead of eating the machine


def limited_cli(home: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    return subprocess.run(
        [sys.executable, "-m", "restate_cli", *args],
        input=stdin,
        capture_output=True,
        env=clean_env(home),
        cwd=home,
        timeout=60,
        preexec_fn=limit,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["subscriptions", "create", "-f", "/dev/zero"],
        ["kafka-clusters", "create", "big", "-f", "/dev/zero"],
        ["kafka-clusters", "patch", "big", "-f", "/dev/zero"],
    ],
    ids=["subscriptions-create", "kafka-clusters-create", "kafka-clusters-patch"],
)
def test_endless_file_is_refused_with_the_limit(home: Path, args: list[str]) -> None:
    r = limited_cli(home, "-y", *args)
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert "/dev/zero holds more than 1 MiB" in err
    assert len(err.strip().splitlines()) <= 2 and "Traceback" not in err  # the error and a hint at most


def test_oversized_stdin_is_refused_with_the_limit(home: Path) -> None:
    r = limited_cli(home, "-y", "kafka-clusters", "create", "big", "-f", "-", stdin=b"a=b\n" * 300_000)
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert "standard input holds more than 1 MiB" in err
