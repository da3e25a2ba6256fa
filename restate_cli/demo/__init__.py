"""``restate-cli dev --demo``: start the sample services and traffic in every status."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

_procs: list[subprocess.Popen[bytes]] = []

TRAFFIC = [
    ("call", "Shop/greet", "newcomer", None),
    ("call", "Shop/reject", "order-7", None),
    ("send", "Shop/flaky_payment", "order-8", None),
    ("send", "Shop/fragile_export", "order-9", None),
    ("send", "Shop/wait_for_delivery", 24, None),
    ("send", "Shop/crunch", 3600, None),
    ("send", "Shop/greet", "tomorrow", "1h"),
    ("send", "Cart/alice/hold", 24, None),
    ("send", "Cart/alice/add", "book", None),
    ("send", "Shop/checkout", "order-10", None),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_demo(admin_url: str, ingress_url: str, data_dir: Path, log: Callable[[str], None]) -> None:
    """Serve the sample services, register them, and send traffic that reaches every status."""
    import httpx

    try:
        import hypercorn  # noqa: F401
        import restate  # noqa: F401
    except ImportError:
        log("demo: the sample services need restate-sdk and hypercorn: pip install 'restate-cli[demo]'")
        return
    port = _free_port()
    log_file = (data_dir / "demo-services.log").open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hypercorn",
            "restate_cli.demo.services:app",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    _procs.append(proc)
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(200):
            try:
                if (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
        r = await http.post(
            f"{admin_url}deployments", json={"uri": f"http://127.0.0.1:{port}/", "force": True}
        )
        if r.status_code >= 300:
            log(f"demo: registering the sample services failed: {r.status_code} {r.text}")
            return
        for kind, target, body, delay in TRAFFIC:
            url = f"{ingress_url}{target}" + ("/send" if kind == "send" else "")
            if delay:
                url += f"?delay={delay}"
            await http.post(url, content=json.dumps(body), headers={"content-type": "application/json"})
    log("demo: sample traffic sent; try `restate-cli invocations list --all`")


def stop_demo() -> None:
    for proc in _procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    _procs.clear()
