"""``restate-cli dev --demo``: sample services, and traffic that reaches every status.

A restarted demo must pick up where it stopped: the services listen on a port chosen once
per data directory (kept in ``demo.json``) and are up before the runtime starts, so the
invocations pinned to their deployment resume there; if that port is taken, the
deployment is moved to the new one (``PATCH /deployments/{id}``), keeping its id. The
traffic is sent once per store: ``dev --demo --reset`` starts over.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from restate_cli.demo.traffic import send_traffic

STATE_NAME = "demo.json"


def _port_free(port: int) -> bool:
    """Free to listen on, as hypercorn does: SO_REUSEADDR, so that connections of the last
    run still in TIME_WAIT do not count."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    """The sample services of one data directory, and what was done with them there."""

    def __init__(self, data_dir: Path, log: Callable[[int, str], None]) -> None:
        """``log(level, line)``: the dev log, at ``logging`` levels."""
        self.data_dir = data_dir
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            self.state = json.loads((data_dir / STATE_NAME).read_text())

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.state['port']}/"

    def start_services(self) -> bool:
        """Serve the sample services (before the runtime starts, so that invocations it
        recovers find them); False, after saying why, when they cannot run."""
        try:
            import hypercorn  # noqa: F401
            import restate  # noqa: F401
        except ImportError:
            self.log(
                logging.WARNING,
                "demo: the sample services need restate-sdk and hypercorn: pip install 'restate-cli[demo]'",
            )
            return False
        port = self.state.get("port")
        if not isinstance(port, int) or not _port_free(port):
            if isinstance(port, int):
                self.log(logging.WARNING, f"demo: port {port} of the sample services is in use; moving them")
            self.state["port"] = port = _free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "demo-services.log").open("ab") as log_file:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "hypercorn",
                    "restate_cli.demo.services:app",
                    "--bind",
                    f"127.0.0.1:{port}",
                    # dev has let go of their attempts by then: nothing to wait for
                    "--graceful-timeout",
                    "0",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C stops dev first; dev then stops them
            )
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.uri}health", timeout=1).status_code == 200:
                    return True
            time.sleep(0.05)
        self.log(
            logging.WARNING,
            f"demo: the sample services did not start (see {self.data_dir / 'demo-services.log'})",
        )
        self.stop()
        return False

    async def setup(self, admin_url: str, ingress_url: str) -> None:
        """Register the services (the same deployment as last time, if the store has it),
        then send the sample traffic unless this store has had it already."""
        import httpx

        async with httpx.AsyncClient(timeout=30) as http:
            dep_id = await self._register(http, admin_url)
            if dep_id is None:
                return
            if self.state.get("deployment_id") != dep_id:  # a new store: its first traffic
                self.state.update(deployment_id=dep_id, traffic_sent=False)
            self._save()
            if self.state.get("traffic_sent"):
                self.log(
                    logging.INFO,
                    "demo: the sample traffic was sent when this data directory was new "
                    "(`restate-cli dev --demo --reset` starts over)",
                )
                return
            await send_traffic(http, ingress_url)
        self.state["traffic_sent"] = True
        self._save()
        self.log(logging.INFO, "demo: sample traffic sent; try `restate-cli invocations list --all`")

    async def _register(self, http: Any, admin_url: str) -> str | None:
        dep_id = self.state.get("deployment_id")
        known = None
        if isinstance(dep_id, str):
            r = await http.get(f"{admin_url}deployments/{dep_id}")
            known = r.json() if r.status_code == 200 else None
        if known is not None and known["uri"] != self.uri:
            r = await http.patch(
                f"{admin_url}deployments/{dep_id}", json={"uri": self.uri, "overwrite": True}
            )
        else:  # new, or at the same endpoint: discover again (the services may have changed)
            r = await http.post(f"{admin_url}deployments", json={"uri": self.uri, "force": True})
        if r.status_code >= 300:
            self.log(
                logging.WARNING, f"demo: registering the sample services failed: {r.status_code} {r.text}"
            )
            return None
        return r.json()["id"]

    def _save(self) -> None:
        tmp = self.data_dir / (STATE_NAME + ".tmp")
        tmp.write_text(json.dumps(self.state))
        tmp.replace(self.data_dir / STATE_NAME)

    def stop(self) -> None:
        """Stop the sample services: they keep no state, so after 2 s they are killed."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(2)
        _kill_group(proc)  # also a worker that outlived hypercorn
        proc.wait()

    def kill(self) -> None:
        """Kill the sample services at once (dev is exiting without stopping in order)."""
        if self.proc is not None and self.proc.poll() is None:
            _kill_group(self.proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL hypercorn and its worker process (the one that holds the port): their session."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
