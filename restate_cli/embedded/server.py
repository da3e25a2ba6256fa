"""``restate-cli dev``: serve the admin API and the ingress of the embedded runtime."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import uvicorn

from restate_cli.embedded.locate import DevLock, running_dev
from restate_cli.embedded.runtime import Runtime


class DevError(Exception):
    pass


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop when it is installed (its sockets and scheduling cost the
    runtime a fraction of asyncio's), else on asyncio's own event loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to us (two servers share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


def _listen(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on accepted
    # sockets whose protocol says TCP; with Nagle on, the body of a response written after
    # its head waited for the client's delayed ACK, 40 ms on every reused connection.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise DevError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _server(app: object, sock: socket.socket) -> _Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=75,
        loop="asyncio",
        http="auto",
    )
    server = _Server(config)
    server._sock = sock  # type: ignore[attr-defined]
    return server


async def serve(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    admin_port: int = 9070,
    ingress_port: int = 8080,
    on_log: Callable[[str], None] | None = None,
    on_ready: Callable[[str, str], object] | None = None,
) -> None:
    """Run until SIGINT or SIGTERM."""
    from restate_cli.embedded.api import admin_api
    from restate_cli.embedded.api.ingress_api import Ingress

    lock = DevLock(data_dir)
    try:
        acquired = lock.acquire()
    except OSError as e:
        raise DevError(f"cannot use the data directory {data_dir}: {e.strerror}") from None
    if not acquired:
        other = running_dev(data_dir) or {}
        raise DevError(
            f"another restate-cli dev (pid {other.get('pid', '?')}) already serves {data_dir} "
            f"at {other.get('admin_url', '?')}"
        )
    admin_sock = ingress_sock = None
    try:
        admin_sock = _listen(host, admin_port)
        ingress_sock = _listen(host, ingress_port)
        admin_url = f"http://{host}:{admin_sock.getsockname()[1]}/"
        ingress_url = f"http://{host}:{ingress_sock.getsockname()[1]}/"
        rt = Runtime(data_dir, active=True)
        rt.ingress_url = ingress_url
        rt.engine.on_log = on_log
        servers = [_server(admin_api.build(rt), admin_sock), _server(Ingress(rt), ingress_sock)]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await rt.start()
        tasks = [asyncio.create_task(s.serve(sockets=[s._sock])) for s in servers]  # type: ignore[attr-defined]
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.01)
        lock.publish({"pid": os.getpid(), "admin_url": admin_url, "ingress_url": ingress_url})
        if on_ready is not None:
            on_ready(admin_url, ingress_url)
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for s in servers:
            s.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        stopped.cancel()
        await rt.stop()
    finally:
        for sock in (admin_sock, ingress_sock):
            if sock is not None:
                sock.close()
        lock.release()
