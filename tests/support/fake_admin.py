"""A misbehaving admin API on a loopback port: it hangs, fails, talks nonsense or answers
in chunks, and records what it was asked."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field

SERVICES_JSON = (
    b'{"services":[{"name":"Greeter","ty":"Service","handlers":[{"name":"greet"}]},'
    b'{"name":"Counter","ty":"VirtualObject","handlers":[{"name":"add","ty":"Exclusive"}]}]}'
)

BEHAVIOURS = ("ok", "chunked", "hang", "silent", "garbage", "error", "not-json", "trickle", "reset")


@dataclass
class FakeAdmin:
    """Serves every connection with ``behaviour``:

    ok / chunked: ``GET /services`` answers two services, ``POST /query`` no rows
    (with content-length / chunked);
    hang: reads the request and never answers; silent: accepts and never reads;
    garbage: random bytes; error: 500 with a JSON error; not-json: 200 with HTML;
    trickle: one byte of a valid answer every 50 ms; reset: closes at once.
    """

    behaviour: str
    requests: list[bytes] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.stop_event.set()
        self.thread.join(5)
        for conn in self.conns:
            conn.close()
        self.sock.close()

    def _serve(self) -> None:
        while not self.stop_event.is_set():
            if self.behaviour == "silent":
                time.sleep(0.05)  # connections wait in the backlog, never accepted
                continue
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            if self.behaviour == "reset":
                conn.close()
                return
            conn.settimeout(2)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            self.requests.append(request)
            self._respond(conn, request)

    def _respond(self, conn: socket.socket, request: bytes) -> None:
        """Answer one request (its head, read) as the behaviour says."""
        with contextlib.suppress(OSError):
            b = self.behaviour
            if b == "hang":
                self.stop_event.wait(30)
            elif b == "garbage":
                conn.sendall(bytes(range(256)) * 8)
            elif b == "error":
                conn.sendall(_response(500, b'{"message":"boom","restate_code":null}'))
            elif b == "not-json":
                conn.sendall(_response(200, b"<html>hello</html>", "text/html"))
            elif b == "chunked":
                body = _body_for(request)
                head = (
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                )
                parts = [body[:40], body[40:]]
                conn.sendall(head + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n")
            elif b == "trickle":
                for byte in _response(200, SERVICES_JSON):
                    if self.stop_event.wait(0.05):
                        break
                    conn.sendall(bytes([byte]))
            else:
                conn.sendall(_response(200, _body_for(request)))


def _body_for(request: bytes) -> bytes:
    return b'{"rows":[]}' if request.startswith(b"POST ") else SERVICES_JSON


def _response(status: int, body: bytes, content_type: str = "application/json") -> bytes:
    return (
        f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
        + body
    )
