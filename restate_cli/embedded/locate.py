"""Find the ``restate-cli dev`` process serving a data directory, if there is one.

``dev`` holds an exclusive ``flock`` on ``dev.lock`` while it runs (the kernel drops it
if the process dies) and writes its URLs to ``dev.json``. This module imports nothing
heavy: every CLI command on the embedded backend calls it.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

LOCK_NAME = "dev.lock"
INFO_NAME = "dev.json"


def running_dev(data_dir: Path) -> dict[str, str] | None:
    """``{"admin_url", "ingress_url", "pid"}`` of the live dev process, or None."""
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
        try:
            return json.loads((data_dir / INFO_NAME).read_text())
        except (OSError, ValueError):
            return None
    finally:
        os.close(fd)
    return None


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
