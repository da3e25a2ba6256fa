"""Read the admin API before a deadline, with nothing heavier than a socket.

Completion answers in a fraction of a second, so this does not use the admin client
(httpx, pydantic, asyncio): it sends one HTTP/1.1 request per connection over a plain or
TLS socket to a remote server or to the ``restate-cli dev`` process of the data directory.
With neither, it calls the embedded runtime's admin app in-process, as commands do. It
uses the unprefixed admin routes, which every supported server version serves.

Every failure is a ``ReadError``: the caller offers nothing rather than explain.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from restate_cli import __version__
from restate_cli.config import Settings

MAX_BODY = 8 << 20


class ReadError(Exception):
    """The admin API could not be read in time, or answered something unusable."""


class AdminReader:
    """GET and SQL on the admin API that ``settings`` selects, before ``deadline``
    (a ``time.monotonic()`` value)."""

    def __init__(self, settings: Settings, deadline: float) -> None:
        self.settings = settings
        self.deadline = deadline
        self.base_url = settings.admin_url
        if settings.embedded:
            from restate_cli.embedded.locate import running_dev

            dev = running_dev(settings.data_dir)
            self.base_url = dev["admin_url"] if dev else None

    def get(self, path: str) -> Any:
        return self._json(*self._exchange("GET", path, None))

    def query(self, sql: str) -> list[dict[str, Any]]:
        body = json.dumps({"query": sql}).encode()
        data = self._json(*self._exchange("POST", "query", body))
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise ReadError("no rows")
        return [r for r in rows if isinstance(r, dict)]

    def _json(self, status: int, body: bytes) -> Any:
        if status != 200:
            raise ReadError(f"status {status}")
        try:
            return json.loads(body)
        except ValueError:
            raise ReadError("not JSON") from None

    def _exchange(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        headers = {"accept": "application/json", "user-agent": f"restate-cli-py/{__version__} completion"}
        if body is not None:
            headers["content-type"] = "application/json"
        if self.settings.bearer_token:
            headers["authorization"] = f"Bearer {self.settings.bearer_token}"
        if self.base_url is not None:
            return http_exchange(
                self.base_url, method, path, body, headers, self.deadline, verify=self.settings.tls_verify
            )
        if not self.settings.data_dir.is_dir():
            raise ReadError("no embedded runtime here")  # and none is created for a completion
        return in_process_exchange(self.settings, method, path, body, headers)


def http_exchange(
    base_url: str,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    deadline: float,
    *,
    verify: bool = True,
) -> tuple[int, bytes]:
    """One request on a new connection; ``(status, body)``."""
    parts = urlsplit(base_url)
    tls = parts.scheme == "https"
    host = parts.hostname
    if not host or parts.scheme not in ("http", "https"):
        raise ReadError("unsupported URL")
    try:
        port = parts.port or (443 if tls else 80)
        sock = socket.create_connection((host, port), timeout=_left(deadline))
    except (OSError, ValueError) as e:
        raise ReadError(str(e)) from None
    try:
        if tls:
            sock = _wrap_tls(sock, host, verify)
        target = parts.path.rstrip("/") + "/" + path
        lines = [
            f"{method} {target} HTTP/1.1",
            f"host: {parts.netloc.rpartition('@')[2]}",
            "connection: close",
        ]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"content-length: {len(body or b'')}")
        sock.settimeout(_left(deadline))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        return _read_response(sock, deadline)
    except (OSError, ValueError, UnicodeError) as e:
        raise ReadError(str(e) or type(e).__name__) from None
    finally:
        sock.close()


def _wrap_tls(sock: socket.socket, host: str, verify: bool) -> socket.socket:
    import ssl

    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(sock, server_hostname=host)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ReadError("deadline passed")
    return left


def _read_response(sock: socket.socket, deadline: float) -> tuple[int, bytes]:
    """Status and body of an HTTP/1.x response: content-length, chunked, or up to EOF."""
    buf = b""
    head_end = -1
    while head_end < 0:
        buf = _recv_more(sock, buf, deadline, eof_ok=False)
        if not buf.startswith(b"HTTP/1."[: len(buf)]) or len(buf) > 65536:
            raise ReadError("not HTTP")
        head_end = buf.find(b"\r\n\r\n")
    head, rest = buf[:head_end].decode("latin-1"), buf[head_end + 4 :]
    status_line, *header_lines = head.split("\r\n")
    version, _, code = status_line.partition(" ")
    if not version.startswith("HTTP/1.") or not code[:3].isdigit():
        raise ReadError("not HTTP")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(code[:3])
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return status, _read_chunked(sock, rest, deadline)
    if "content-length" in headers:
        length = int(headers["content-length"])
        if length > MAX_BODY:
            raise ReadError("too large")
        while len(rest) < length:
            rest = _recv_more(sock, rest, deadline, eof_ok=False)
        return status, rest[:length]
    while True:
        more = _recv_more(sock, rest, deadline, eof_ok=True)
        if more is rest:
            return status, rest
        rest = more


def _read_chunked(sock: socket.socket, buf: bytes, deadline: float) -> bytes:
    body = b""
    while True:
        while b"\r\n" not in buf:
            buf = _recv_more(sock, buf, deadline, eof_ok=False)
        size_line, buf = buf.split(b"\r\n", 1)
        size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)
        if size == 0:
            return body
        while len(buf) < size + 2:
            buf = _recv_more(sock, buf, deadline, eof_ok=False)
        body += buf[:size]
        buf = buf[size + 2 :]
        if len(body) > MAX_BODY:
            raise ReadError("too large")


def _recv_more(sock: socket.socket, buf: bytes, deadline: float, *, eof_ok: bool) -> bytes:
    sock.settimeout(_left(deadline))
    data = sock.recv(65536)
    if not data:
        if eof_ok:
            return buf
        raise ReadError("connection closed early")
    if len(buf) + len(data) > MAX_BODY + 65536:
        raise ReadError("too large")
    return buf + data


def in_process_exchange(
    settings: Settings, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes]:
    """The embedded runtime's admin app, called in this process over the data directory."""
    import asyncio

    from restate_cli.embedded.inprocess import admin_app

    app = admin_app(settings.data_dir)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/" + path,
        "raw_path": ("/" + path).encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "server": ("embedded", 80),
        "client": ("127.0.0.1", 0),
    }
    answer: dict[str, Any] = {"status": 500, "body": b""}

    async def exchange() -> None:
        sent = False
        answered = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:  # the client leaves only once it has its answer
                await answered.wait()
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body or b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
                if not message.get("more_body"):
                    answered.set()

        try:
            await app(scope, receive, send)
        finally:
            answered.set()

    try:
        asyncio.run(exchange())
    except Exception as e:
        raise ReadError(f"embedded runtime: {e}") from None
    return answer["status"], answer["body"]
