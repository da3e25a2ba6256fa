"""Deployments that misbehave on purpose, on a loopback port: an endless body, a body
trickled a byte at a time, or whatever a test writes to the socket. Real sockets."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable

from support.fake_admin import FakeAdmin

MANIFEST_TYPE = "application/vnd.restate.endpointmanifest.v4+json"
INVOCATION_TYPE = "application/vnd.restate.invocation.v6"

Behaviour = Callable[[socket.socket, bytes], None]


def endless(content_type: str) -> Behaviour:
    """200 with a chunked body that never ends (until the client or ``stop`` closes it)."""

    def serve(conn: socket.socket, _: bytes) -> None:
        head = f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\n\r\n"
        conn.sendall(head.encode())
        chunk = b"x" * 65536
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while True:
            conn.sendall(frame)

    return serve


def trickle(content_type: str, every: float) -> Behaviour:
    """200 announcing a 1000-byte body, then one byte every ``every`` seconds."""

    def serve(conn: socket.socket, _: bytes) -> None:
        head = f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: 1000\r\n\r\n"
        conn.sendall(head.encode())
        while True:
            conn.sendall(b" ")
            time.sleep(every)

    return serve


class HostileServer(FakeAdmin):
    """Answers every request with ``behaviour(connection, request head)``."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.serve = behaviour
        super().__init__("custom")

    def _respond(self, conn: socket.socket, request: bytes) -> None:
        conn.settimeout(None)
        self.serve(conn, request)

    @property
    def url(self) -> str:
        return super().url + "/"

    def stop(self) -> None:
        for conn in self.conns:  # ends an endless body at once
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.close()
