"""``restate-cli dev``: serve the admin API and the ingress of the embedded runtime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import uvicorn

from restate_cli.embedded.engine.policy import Timeouts
from restate_cli.embedded.locate import DevLock, serving_message
from restate_cli.embedded.runtime import Runtime

GRACE_SECONDS = 3.0
"""How long open requests get to finish after SIGTERM or Ctrl-C (restate-server exits
about 5 s after SIGTERM). Then open attempts are abandoned, as in a crash: the next start
recovers them."""
FORCE_SECONDS = 5.0
"""How long after the grace period the process exits, whatever still runs."""


class DevError(Exception):
    pass


class _Stopping:
    """SIGINT and SIGTERM: the first asks for a graceful stop, a second exits at once."""

    def __init__(self, log: Callable[[str], None], release: Callable[[], None]) -> None:
        self.requested = asyncio.Event()
        self.log = log
        self.release = release  # the data directory (and more), before exiting at once

    def signal(self, signum: int) -> None:
        if self.requested.is_set():
            self.log("stopping at once")
            self.release()
            os._exit(128 + signum)
        self.requested.set()
        self.log(f"stopping: open requests get {GRACE_SECONDS:g}s to finish (Ctrl-C again to stop at once)")
        watchdog = threading.Timer(GRACE_SECONDS + FORCE_SECONDS, self._force)
        watchdog.daemon = True
        watchdog.start()

    def _force(self) -> None:
        self.log(f"did not stop within {GRACE_SECONDS + FORCE_SECONDS:g}s; exiting")
        self.release()
        os._exit(1)


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
    on_log: Callable[[int, str], None] | None = None,
    on_ready: Callable[[str, str], object] | None = None,
    timeouts: Timeouts | None = None,
    on_exit: Callable[[], None] | None = None,
) -> None:
    """Run until SIGINT or SIGTERM (see ``GRACE_SECONDS``). ``on_log(level, line)``: the
    engine's log lines, at ``logging`` levels (what the stop says is a warning);
    ``timeouts``: the attempts' defaults, where a service sets none; ``on_exit``: called
    before the process exits without stopping in order (a second signal, or the watchdog)."""
    from restate_cli.embedded.api import admin_api
    from restate_cli.embedded.api.ingress_api import Ingress

    lock = DevLock(data_dir)
    try:
        acquired = lock.acquire()
    except OSError as e:
        raise DevError(f"cannot use the data directory {data_dir}: {e.strerror}") from None
    if not acquired:
        raise DevError(serving_message(data_dir) or f"another restate-cli dev already serves {data_dir}")
    admin_sock = ingress_sock = None
    try:
        admin_sock = _listen(host, admin_port)
        ingress_sock = _listen(host, ingress_port)
        admin_url = f"http://{host}:{admin_sock.getsockname()[1]}/"
        ingress_url = f"http://{host}:{ingress_sock.getsockname()[1]}/"
        rt = Runtime(data_dir, active=True)
        rt.ingress_url = ingress_url
        rt.engine.on_log = on_log
        if timeouts is not None:
            rt.engine.timeouts = timeouts
        admin_app = admin_api.build(rt)
        admin_app.abandoned = asyncio.Event()
        servers = [_server(admin_app, admin_sock), _server(Ingress(rt), ingress_sock)]

        def release() -> None:
            if on_exit is not None:
                on_exit()
            lock.release()

        stopping = _Stopping(lambda line: on_log(logging.WARNING, line) if on_log else None, release)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.signal, sig)
        await rt.start()
        tasks = [asyncio.create_task(s.serve(sockets=[s._sock])) for s in servers]  # type: ignore[attr-defined]
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.01)
        lock.publish({"pid": os.getpid(), "admin_url": admin_url, "ingress_url": ingress_url})
        if on_ready is not None:
            on_ready(admin_url, ingress_url)
        stopped = asyncio.create_task(stopping.requested.wait())
        await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        await _shut_down(servers, tasks, rt, admin_app.abandoned)
    finally:
        for sock in (admin_sock, ingress_sock):
            if sock is not None:
                sock.close()
        lock.release()


async def _shut_down(
    servers: list[_Server], tasks: list[asyncio.Task[None]], rt: Runtime, abandoned: asyncio.Event
) -> None:
    """Stop accepting, give open requests ``GRACE_SECONDS``, then abandon what still runs:
    attempts stop where they are (the next start recovers them), waiting calls and admin
    requests are answered 503, and connections that still hang on are closed."""
    for server in servers:
        server.should_exit = True
    _, pending = await asyncio.wait(tasks, timeout=GRACE_SECONDS)
    if pending:
        abandoned.set()
        await rt.engine.stop()
        _, pending = await asyncio.wait(pending, timeout=1.0)
    if pending:
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)  # no tracebacks for these
        for server in servers:
            server.force_exit = True
            for task in server.server_state.tasks:
                task.cancel()
            for connection in list(server.server_state.connections):
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.close()
        await asyncio.wait(pending, timeout=1.0)
    await rt.stop()
