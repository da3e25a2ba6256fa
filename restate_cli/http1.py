"""A small keep-alive HTTP/1.1 client on asyncio streams, for the hot paths.

The embedded runtime's invoker sends invocation attempts to SDK deployments with it, and
the admin client talks to plain-HTTP admin APIs with it (httpx costs a short CLI command
more in imports and set-up than the requests themselves take).

One request at a time per connection, no pipelining; the whole response body is read into
memory, up to a limit (``max_body``). It does only what these need: requests with a
``content-length`` body or none, responses with ``content-length``, chunked encoding or
close-delimited bodies, and keep-alive with idle expiry.

A server may close an idle keep-alive connection at any time (hypercorn closes one after
1000 requests). A request that meets such a closed connection before any response byte
arrives is sent again once, on a new connection: the server cannot have answered it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from restate_cli.limits import MAX_RESPONSE_BYTES, TooLarge


class HttpError(Exception):
    """The exchange failed. ``response`` is set if the head arrived; ``partial`` holds the
    body bytes received before the failure; ``timed_out`` tells a timeout apart;
    ``connecting`` says the connection could not be made (``cause``: the socket error);
    ``too_large`` that the body passed the pool's limit."""

    def __init__(
        self,
        message: str,
        *,
        response: Response | None = None,
        partial: bytes = b"",
        timed_out: bool = False,
        connecting: bool = False,
        cause: OSError | None = None,
        too_large: bool = False,
    ) -> None:
        super().__init__(message)
        self.response = response
        self.partial = partial
        self.timed_out = timed_out
        self.connecting = connecting
        self.cause = cause
        self.too_large = too_large


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class _Origin:
    tls: bool
    host: str
    port: int


def _split(url: str) -> tuple[_Origin, str, str]:
    """Origin, request target, and Host header of ``url``."""
    start = url.find("://")
    path = url.find("/", start + 3) if start > 0 else -1
    if path < 0 or "#" in url or "?" in url[:path]:
        return _split_url(url)
    origin, _, host = _split_url(url[:path])
    return origin, url[path:], host


@lru_cache(maxsize=1024)
def _split_url(url: str) -> tuple[_Origin, str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Origin(tls, parts.hostname, port), target, parts.netloc.rpartition("@")[2]


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        self.writer.close()


class _Stale(Exception):
    """A reused connection was closed by the server before it answered."""


class ConnectionPool:
    """Idle keep-alive connections per origin, reused most-recently-used first; a response
    body larger than ``max_body`` fails the request (``HttpError`` naming the limit)."""

    def __init__(
        self,
        *,
        keepalive_expiry: float = 4.0,
        max_idle_per_origin: int = 512,
        max_body: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._expiry = keepalive_expiry
        self._max_idle = max_idle_per_origin
        self._max_body = max_body
        self._ssl: ssl.SSLContext | None = None

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, *, timeout: float) -> Response:
        """Send one POST and read the whole response.

        ``timeout`` bounds the connect and every wait for the server (an idle timeout,
        not a deadline for the whole exchange).
        """
        return await self.request("POST", url, headers, body, timeout=timeout)

    async def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
        *,
        timeout: float,
        connect_timeout: float | None = None,
    ) -> Response:
        """Send one request and read the whole response (``connect_timeout``: ``timeout``)."""
        origin, target, host = _split(url)
        length = len(body) if body is not None else (0 if method in ("POST", "PUT", "PATCH") else None)
        head = _request_head(method, target, host, headers, length)
        payload = body or b""
        conn = self._take_idle(origin)
        if conn is not None:
            try:
                return await self._exchange(origin, conn, head, payload, timeout)
            except _Stale:
                conn.close()
        conn = await self._connect(origin, timeout if connect_timeout is None else connect_timeout)
        try:
            return await self._exchange(origin, conn, head, payload, timeout)
        except _Stale:
            conn.close()
            raise HttpError("the server closed the connection without answering") from None

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()

    def _take_idle(self, origin: _Origin) -> _Connection | None:
        conns = self._idle.get(origin)
        if not conns:
            return None
        deadline = time.monotonic() - self._expiry
        while conns and conns[0].idle_since < deadline:  # the oldest sit at the front
            conns.pop(0).close()
        while conns:
            conn = conns.pop()
            if not conn.reader.at_eof() and not conn.writer.is_closing():
                return conn
            conn.close()
        return None

    def _release(self, origin: _Origin, conn: _Connection) -> None:
        conns = self._idle.setdefault(origin, [])
        if len(conns) >= self._max_idle:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        conns.append(conn)

    async def _connect(self, origin: _Origin, timeout: float) -> _Connection:
        if origin.tls and self._ssl is None:
            self._ssl = ssl.create_default_context()
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    origin.host, origin.port, ssl=self._ssl if origin.tls else None
                )
        except TimeoutError:
            raise HttpError(
                f"connecting to {origin.host}:{origin.port} timed out after {timeout:g}s",
                timed_out=True,
                connecting=True,
            ) from None
        except OSError as e:
            reason = e.strerror or str(e) or type(e).__name__
            raise HttpError(
                f"cannot connect to {origin.host}:{origin.port}: {reason}", connecting=True, cause=e
            ) from None
        return _Connection(reader, writer)

    async def _exchange(
        self, origin: _Origin, conn: _Connection, head: bytes, body: bytes, timeout: float
    ) -> Response:
        reader, writer = conn.reader, conn.writer
        loop = asyncio.get_running_loop()
        response: Response | None = None
        chunks: list[bytes] = []
        try:
            async with asyncio.timeout(timeout) as deadline:
                writer.write(head + body)  # one segment: the server sees the whole request
                ack = _quickacker(writer)
                ack()
                try:
                    if writer.transport.get_write_buffer_size():  # not all sent at once
                        await writer.drain()
                    response = await _read_head(reader)
                except (ConnectionResetError, BrokenPipeError) as e:
                    raise _Stale from e
                deadline.reschedule(loop.time() + timeout)
                keep_alive = await _read_body(
                    reader, response, chunks, deadline, loop, timeout, ack, self._max_body
                )
        except _Stale:
            raise
        except TooLarge as e:
            conn.close()
            raise HttpError(str(e), response=response, too_large=True) from None
        except TimeoutError:
            conn.close()
            raise HttpError(
                f"no data from the server for {timeout:g}s",
                response=response,
                partial=b"".join(chunks),
                timed_out=True,
            ) from None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
            conn.close()
            raise HttpError(_broken(e, response), response=response, partial=b"".join(chunks)) from None
        except BaseException:  # cancelled: the connection is in an unknown state
            conn.close()
            raise
        response.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if keep_alive:
            self._release(origin, conn)
        else:
            conn.close()
        return response


_TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


def _quickacker(writer: asyncio.StreamWriter) -> Callable[[], None]:
    """A function that asks the kernel to acknowledge what arrives at once (Linux).

    On a reused connection the kernel delays ACKs, and a server that writes a long answer
    in pieces with Nagle's algorithm on (restate-server's admin API does) then holds its
    last piece until the delayed ACK: about 40 ms per request. The mode does not last, so
    it is asked for again before every read.
    """
    sock = writer.get_extra_info("socket")
    if _TCP_QUICKACK is None or sock is None:
        return _nothing

    def quickack() -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)

    return quickack


def _nothing() -> None:
    return None


def _request_head(
    method: str, target: str, host: str, headers: Mapping[str, str], length: int | None
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"host: {host}"]
    for name, value in headers.items():
        if any(c in name or c in value for c in "\r\n"):
            raise ValueError(f"header {name!r} contains a line break")
        lines.append(f"{name}: {value}")
    if length is not None:
        lines.append(f"content-length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _read_head(reader: asyncio.StreamReader) -> Response:
    while True:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as e:
            if not e.partial:
                raise _Stale from e  # closed before a single response byte
            raise
        lines = raw.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise ValueError(f"not an HTTP/1.x response: {lines[0][:80]!r}")
        status = int(rest[:3])
        if 100 <= status < 200:  # interim response (100 Continue): the real one follows
            continue
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError(f"malformed header line {line[:80]!r}")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if version == "HTTP/1.0":
            headers.setdefault("connection", "close")
        return Response(status, headers)


async def _read_body(
    reader: asyncio.StreamReader,
    response: Response,
    chunks: list[bytes],
    deadline: asyncio.Timeout,
    loop: asyncio.AbstractEventLoop,
    timeout: float,
    ack: Callable[[], None] = _nothing,
    limit: int = MAX_RESPONSE_BYTES,
) -> bool:
    """Read the body into ``chunks`` (``TooLarge`` past ``limit`` bytes); whether the
    connection may be reused."""
    headers = response.headers
    size = 0

    def add(data: bytes) -> None:
        nonlocal size
        size += len(data)
        if size > limit:
            raise TooLarge("the response body", limit)
        chunks.append(data)

    keep_alive = "close" not in headers.get("connection", "").lower()
    if response.status in (204, 304):
        return keep_alive
    if headers.get("transfer-encoding", "").lower().endswith("chunked"):
        while True:
            size_line = await reader.readuntil(b"\r\n")
            chunk_size = int(size_line.split(b";", 1)[0], 16)
            if chunk_size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return keep_alive
            if chunk_size + size > limit:
                raise TooLarge("the response body", limit)
            data = await reader.readexactly(chunk_size + 2)
            if data[-2:] != b"\r\n":
                raise ValueError("malformed chunk")
            add(data[:-2])
            deadline.reschedule(loop.time() + timeout)
            ack()
    length = headers.get("content-length")
    if length is not None:
        remaining = int(length)
        if remaining > limit:
            raise TooLarge("the response body", limit)
        while remaining:
            data = await reader.read(min(remaining, 1 << 20))
            if not data:
                raise asyncio.IncompleteReadError(b"", remaining)
            add(data)
            remaining -= len(data)
            deadline.reschedule(loop.time() + timeout)
            ack()
        return keep_alive
    while data := await reader.read(1 << 20):  # delimited by the end of the connection
        add(data)
        deadline.reschedule(loop.time() + timeout)
    return False


def _broken(e: BaseException, response: Response | None) -> str:
    where = "reading the response body" if response is not None else "waiting for the response"
    if isinstance(e, asyncio.IncompleteReadError):
        return f"the server closed the connection while {where}"
    if isinstance(e, asyncio.LimitOverrunError):
        return f"the server sent a line that is too long while {where}"
    if isinstance(e, ValueError):
        return f"the server broke the HTTP/1.1 protocol while {where}: {e}"
    reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return f"the connection failed while {where}: {reason}"
