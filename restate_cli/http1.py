"""A small keep-alive HTTP/1.1 client on asyncio streams, for the hot paths.

The embedded runtime's invoker sends invocation attempts to SDK deployments with it, and
the admin client talks to plain-HTTP admin APIs with it (httpx costs a short CLI command
more in imports and set-up than the requests themselves take).

Responses are parsed by httptools (llhttp, as in uvicorn and Node.js): status line,
headers, ``content-length``, chunked and close-delimited bodies, interim (1xx) responses
and whether the connection may be kept. This module adds what the two callers need around
it: one request at a time per connection, no pipelining; the whole response body read into
memory, up to a limit (``max_body``); keep-alive with idle expiry.

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

import httptools

from restate_cli.limits import MAX_RESPONSE_BYTES, TooLarge, size_text


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
        parsed = _Parsed(self._max_body)
        try:
            async with asyncio.timeout(timeout) as deadline:
                writer.write(head + body)  # one segment: the server sees the whole request
                ack = _quickacker(writer)
                ack()
                try:
                    if writer.transport.get_write_buffer_size():  # not all sent at once
                        await writer.drain()
                    data = await reader.read(_READ_SIZE)
                except (ConnectionResetError, BrokenPipeError) as e:
                    raise _Stale from e
                if not data:
                    raise _Stale  # closed before a single response byte
                while True:
                    parsed.feed(data)
                    if parsed.response is not None:  # the head is in: the body may trickle
                        deadline.reschedule(loop.time() + timeout)
                        ack()
                    if parsed.complete:
                        break
                    data = await reader.read(_READ_SIZE)
                    if not data:
                        parsed.end()
                        break
        except _Stale:
            raise
        except TooLarge as e:
            conn.close()
            raise HttpError(str(e), response=parsed.response, too_large=True) from None
        except TimeoutError:
            conn.close()
            raise HttpError(
                f"no data from the server for {timeout:g}s",
                response=parsed.response,
                partial=parsed.body(),
                timed_out=True,
            ) from None
        except (OSError, _Broken) as e:
            conn.close()
            raise HttpError(
                _broken(e, parsed.response), response=parsed.response, partial=parsed.body()
            ) from None
        except BaseException:  # cancelled: the connection is in an unknown state
            conn.close()
            raise
        response = parsed.response
        assert response is not None
        response.body = parsed.body()
        if parsed.keep_alive:
            self._release(origin, conn)
        else:
            conn.close()
        return response


_READ_SIZE = 1 << 16
_MAX_HEAD = 64 << 10  # a response head longer than this is refused


class _Broken(Exception):
    """The response broke off or broke the protocol: what the server did, and the details."""

    def __init__(self, what: str, detail: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.detail = detail


class _Parsed:
    """One response as httptools parses it: the head as a ``Response`` once it is in, the
    body's pieces, and whether the connection may serve another request."""

    def __init__(self, max_body: int) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._max_body = max_body
        self._headers: dict[str, str] = {}
        self._chunks: list[bytes] = []
        self._size = 0
        self._interim = False
        self._length_known = False
        self._head_bytes = 0
        self.response: Response | None = None
        self.complete = False
        self.keep_alive = False

    def feed(self, data: bytes) -> None:
        self._parse(data)
        if self.response is None:  # all of it was head
            self._head_bytes += len(data)
            if self._head_bytes > _MAX_HEAD:
                raise _Broken(f"sent a response head longer than {size_text(_MAX_HEAD)}")

    def _parse(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as e:
            raise e.__context__ or e from None  # TooLarge, from a callback
        except httptools.HttpParserError as e:
            if self.complete:  # bytes after the response: answered, but not reusable
                self.keep_alive = False
                return
            raise _Broken("broke the HTTP/1.1 protocol", str(e)) from None

    def end(self) -> None:
        """The server closed the connection: the end of a close-delimited body, or too soon."""
        if self.response is None or self._length_known:
            raise _Broken("closed the connection")
        self.complete, self.keep_alive = True, False

    def body(self) -> bytes:
        return self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)

    # -- httptools callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.complete:  # a second response, unasked for
            self.keep_alive = False

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1").strip()
        self._headers[key] = f"{self._headers[key]}, {text}" if key in self._headers else text

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        headers, self._headers = self._headers, {}
        if 100 <= status < 200:  # interim response (100 Continue): the real one follows
            self._interim = True
            return
        length = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self._length_known = chunked or length is not None or status in (204, 304)
        self.response = Response(status, headers)
        if length is not None and length.isdigit() and int(length) > self._max_body:
            raise TooLarge("the response body", self._max_body)

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._max_body:
            raise TooLarge("the response body", self._max_body)
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        if not self.complete:
            self.complete = True
            self.keep_alive = self._parser.should_keep_alive()


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


def _broken(e: BaseException, response: Response | None) -> str:
    where = "reading the response body" if response is not None else "waiting for the response"
    if isinstance(e, _Broken):
        return f"the server {e.what} while {where}" + (f": {e.detail}" if e.detail else "")
    reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return f"the connection failed while {where}: {reason}"
