"""Find the ``restate-cli dev`` process serving a data directory, if there is one.

``dev`` holds an exclusive ``flock`` on ``dev.lock`` while it runs (the kernel drops it
if the process dies) and, once it serves, writes its URLs and pid to ``dev.json``. Between
the two it is starting: a command must wait for it rather than write to the store beside
it. This module imports nothing heavy: every CLI command on the embedded backend calls it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

LOCK_NAME = "dev.lock"
INFO_NAME = "dev.json"
STARTING = "starting"
START_WAIT_SECONDS = 5.0
"""How long a command waits for a starting dev to publish its URLs."""


class DevStarting(Exception):
    """A dev process holds the data directory but did not publish its URLs in time."""


def dev_status(data_dir: Path) -> dict[str, Any] | str | None:
    """The live dev process's ``{"admin_url", "ingress_url", "pid"}``; ``STARTING`` when
    one holds the lock but has not published them yet; None when there is none."""
    lock = data_dir / LOCK_NAME
    if not lock.exists():
        return None
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        info = _published(data_dir)
        return info if info is not None else STARTING
    finally:
        os.close(fd)
    return None


def running_dev(data_dir: Path) -> dict[str, Any] | None:
    """The live dev process that serves ``data_dir``, or None (also while one starts)."""
    status = dev_status(data_dir)
    return status if isinstance(status, dict) else None


def wait_for_dev(data_dir: Path, timeout: float = START_WAIT_SECONDS) -> dict[str, Any] | None:
    """Like ``running_dev``, but waits up to ``timeout`` seconds for a starting dev;
    ``DevStarting`` if it is still starting then."""
    deadline = time.monotonic() + timeout
    while (status := dev_status(data_dir)) == STARTING:
        if time.monotonic() >= deadline:
            raise DevStarting(
                f"a restate-cli dev process holds {data_dir} but has not started serving within {timeout:g}s"
            )
        time.sleep(0.02)
    return status if isinstance(status, dict) else None


def _published(data_dir: Path) -> dict[str, Any] | None:
    """``dev.json`` if its process lives (one left by a killed dev is stale)."""
    try:
        info = json.loads((data_dir / INFO_NAME).read_text())
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return info if isinstance(info, dict) else None


def serving_message(data_dir: Path) -> str | None:
    """ "another restate-cli dev … already serves DIR …", or None when none does."""
    other = running_dev(data_dir)
    if other is None:
        return None
    return (
        f"another restate-cli dev (pid {other.get('pid', '?')}) already serves {data_dir} "
        f"at {other.get('admin_url', '?')}"
    )


class DevLock:
    """The lock a dev process holds for its lifetime."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.fd: int | None = None

    def acquire(self) -> bool:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        (self.data_dir / INFO_NAME).unlink(missing_ok=True)  # left by a dev that was killed
        return True

    def publish(self, info: dict[str, object]) -> None:
        tmp = self.data_dir / (INFO_NAME + ".tmp")
        tmp.write_text(json.dumps(info))
        tmp.replace(self.data_dir / INFO_NAME)

    def release(self) -> None:
        (self.data_dir / INFO_NAME).unlink(missing_ok=True)
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
