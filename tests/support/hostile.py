"""A tiny HTTP/1.1 server on loopback that misbehaves on purpose: an endless body, or a body
trickled a byte at a time. Real sockets; one thread per connection."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

MANIFEST_TYPE = "application/vnd.restate.endpointmanifest.v4+json"
INVOCATION_TYPE = "application/vnd.restate.invocation.v6"

Behaviour = Callable[[socket.socket, bytes], None]


def endless(content_type: str) -> Behaviour:
    """200 with a chunked body that never ends (until the client goes away)."""

    def serve(conn: socket.socket, _: bytes) -> None:
        conn.sendall(
            f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\n\r\n".encode()
        )
        chunk = b"x" * 65536
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while True:
            conn.sendall(frame)

    return serve


def trickle(content_type: str, every: float) -> Behaviour:
    """200 announcing a 1000-byte body, then one byte every ``every`` seconds."""

    def serve(conn: socket.socket, _: bytes) -> None:
        conn.sendall(
            f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: 1000\r\n\r\n".encode()
        )
        while True:
            conn.sendall(b" ")
            time.sleep(every)

    return serve


class HostileServer:
    """Serves ``behaviour`` to every request; ``stop()`` closes the listener and every
    connection, which also ends an endless body."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.requests = 0
        self._conns: list[socket.socket] = []
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            self.requests += 1
            self.behaviour(conn, head)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopped.set()
        self.listener.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
