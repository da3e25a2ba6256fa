"""An HTTP/2 client for SDK deployments: cleartext with prior knowledge (h2c), or TLS with
ALPN ``h2``, on asyncio. The ``h2`` library does the framing, HPACK, the stream states and
the flow-control accounting; this module drives it.

A ``Pool`` keeps one connection per origin and multiplexes streams over it; when the peer's
MAX_CONCURRENT_STREAMS is reached it opens another. A connection the peer sends GOAWAY on
takes no new streams and closes when its last one ends; so does one that has carried
``max_streams`` streams (hypercorn, the Python SDK's usual server, sends GOAWAY on the
stream after its 1000th and never answers that stream); one idle for ``idle_expiry``
seconds is closed.

A ``Stream`` is full duplex: open it with its headers, send the request body as it comes,
and read the response as it arrives while the request side is still open::

    stream = await pool.open("POST", url, headers, connect_timeout=5, data=first_bytes)
    await stream.send(b"...")               # waits for the peer's flow-control windows
    status, headers = await stream.response()
    async for chunk in stream:              # or: chunk = await stream.read(); b"" at the end
        ...
    await stream.end()                      # end the request side (END_STREAM)
    stream.reset()                          # abandon it (RST_STREAM CANCEL); closing it
                                            # before the response has ended does that too

A stream has one sender and one reader at a time (they may be two tasks). Received data is
handed back to the peer (WINDOW_UPDATE) as the reader consumes it, so a reader that stops
reading stops the sender once the stream's window is used up. The stream methods have no
timeouts of their own: wrap them in ``asyncio.timeout``.
``Pool.request`` is the one-shot form: send a whole body, read a response body of at most
``max_body`` bytes, each wait bounded by ``timeout``; a stream the server refused
(RST_STREAM REFUSED_STREAM, or GOAWAY before it) is sent again once, on a new connection.

    Http2Error   the exchange failed: ``refused`` (the server did not process the stream,
                 safe to send again), ``not_http2`` (the peer answered in something other
                 than HTTP/2), ``connecting``, ``timed_out``, ``too_large``; ``response``
                 and ``partial`` hold the head and body bytes that did arrive
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from h2.errors import ErrorCodes
from hpack import NeverIndexedHeaderTuple

from restate_cli.http1 import Response
from restate_cli.limits import TooLarge

__all__ = ["Http2Error", "Pool", "Response", "Stream"]

STREAM_WINDOW = 4 << 20
"""The receive window of each stream: how much a peer may send before the reader reads."""
CONNECTION_WINDOW = 32 << 20
"""The receive window of a whole connection, shared by its streams."""

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "host"}
)
"""Headers HTTP/2 forbids (``host`` is ``:authority``); dropped from requests."""
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")  # a lower-case header name

_SETTINGS = {
    h2.settings.SettingCodes.ENABLE_PUSH: 0,
    h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
    h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 0,  # of pushed streams: none
}


class Http2Error(Exception):
    """The exchange failed; the message says how."""

    def __init__(
        self,
        message: str,
        *,
        refused: bool = False,
        not_http2: bool = False,
        connecting: bool = False,
        timed_out: bool = False,
        too_large: bool = False,
        response: Response | None = None,
        partial: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.refused = refused
        self.not_http2 = not_http2
        self.connecting = connecting
        self.timed_out = timed_out
        self.too_large = too_large
        self.response = response
        self.partial = partial


@dataclass(frozen=True, slots=True)
class _Target:
    origin: tuple[bool, str, int]  # tls, host, port
    authority: str
    path: str


@lru_cache(maxsize=1024)
def _target(url: str) -> _Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target((tls, parts.hostname, port), parts.netloc.rpartition("@")[2], path)


class Stream:
    """One request and its response over a connection (see the module docstring)."""

    def __init__(self, conn: _Connection, stream_id: int) -> None:
        self._conn = conn
        self.id = stream_id
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.trailers: dict[str, str] = {}
        self._head: asyncio.Future[None] = conn.loop.create_future()
        self._chunks: deque[tuple[bytes, int]] = deque()
        self._waiter: asyncio.Future[None] | None = None  # data, end or error
        self._window: asyncio.Future[None] | None = None  # send window
        self._sent_end = False
        self._ended = False  # the response has ended (END_STREAM received)
        self._error: Http2Error | None = None

    # -- request side ------------------------------------------------------------------

    async def send(self, data: bytes, *, end: bool = False) -> None:
        """Send request data as the peer's windows allow; ``end`` ends the request side."""
        conn, h2conn = self._conn, self._conn.h2
        view = memoryview(data)
        while True:
            if self._error is not None:
                raise self._error
            if self._sent_end:
                raise Http2Error("the request side of this stream has ended")
            if not view:
                if end:
                    self._send_end()
                return
            allowed = min(h2conn.local_flow_control_window(self.id), h2conn.max_outbound_frame_size)
            if allowed <= 0:
                self._window = conn.loop.create_future()
                await self._window
                continue
            chunk, view = view[:allowed], view[allowed:]
            last = end and not view
            try:
                h2conn.send_data(self.id, chunk.tobytes(), end_stream=last)
            except h2.exceptions.H2Error as e:
                raise self._fail_locally(e) from None
            if last:
                self._sent_end = True
                conn.stream_done(self)
            conn.flush()
            await conn.drain()
            if last:
                return

    async def end(self) -> None:
        """End the request side (END_STREAM); the response may still be read."""
        if self._error is not None:
            raise self._error
        if not self._sent_end:
            self._send_end()
            await self._conn.drain()

    def _send_end(self) -> None:
        try:
            self._conn.h2.end_stream(self.id)
        except h2.exceptions.H2Error as e:
            raise self._fail_locally(e) from None
        self._sent_end = True
        self._conn.stream_done(self)
        self._conn.flush()

    def _fail_locally(self, e: Exception) -> Http2Error:
        if self._error is None:
            self._error = Http2Error(f"the stream cannot send: {e}")
        return self._error

    # -- response side -----------------------------------------------------------------

    async def response(self) -> tuple[int, dict[str, str]]:
        """Wait for the response head: its status and headers (lower-case names)."""
        if not self._head.done():
            await asyncio.shield(self._head)
        if self.status is None:
            assert self._error is not None
            raise self._error
        return self.status, self.headers

    async def read(self) -> bytes:
        """The next piece of the response body; ``b""`` once it has ended."""
        while not self._chunks:
            if self._ended:
                return b""
            if self._error is not None:
                raise self._error
            self._waiter = self._conn.loop.create_future()
            await self._waiter
        data, flow = self._chunks.popleft()
        self._conn.consumed(self.id, flow)
        return data

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> bytes:
        data = await self.read()
        if not data:
            raise StopAsyncIteration
        return data

    @property
    def finished(self) -> bool:
        """Both sides have ended, or the stream failed."""
        return self._error is not None or (self._sent_end and self._ended)

    def reset(self, code: int = ErrorCodes.CANCEL) -> None:
        """Abandon the stream: RST_STREAM to the peer, and an error for any waiting reader."""
        if self.finished:
            return
        with contextlib.suppress(h2.exceptions.H2Error):
            self._conn.h2.reset_stream(self.id, code)
        self._conn.flush()
        self._failed(Http2Error("the stream was reset by this side"))

    def close(self) -> None:
        """Reset the stream unless it has finished; what is left unread is handed back."""
        self.reset()
        self._conn.discard_unread(self)

    async def __aenter__(self) -> Stream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # -- events from the connection ------------------------------------------------------

    def _got_head(self, status: int, headers: dict[str, str]) -> None:
        self.status, self.headers = status, headers
        if not self._head.done():
            self._head.set_result(None)

    def _got_data(self, data: bytes, flow: int) -> None:
        self._chunks.append((data, flow))
        self._wake()

    def _got_end(self) -> None:
        self._ended = True
        if not self._head.done():  # ended without a head: a broken response
            self._failed(Http2Error("the server ended the stream without a response"))
        self._wake()

    def _failed(self, error: Http2Error) -> None:
        if self._error is None and not (self._ended and self._sent_end):
            self._error = error
        if not self._head.done():
            self._head.set_result(None)
        self._wake()
        self._wake_window()
        self._conn.stream_done(self)

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)
        self._waiter = None

    def _wake_window(self) -> None:
        w = self._window
        if w is not None and not w.done():
            w.set_result(None)
        self._window = None

    @property
    def _where(self) -> str:
        if self.status is None:
            return "while waiting for the response"
        return "while reading the response body"

    @property
    def _local_closed(self) -> bool:
        return self._sent_end or self._error is not None

    @property
    def _remote_closed(self) -> bool:
        return self._ended or self._error is not None


class _Connection(asyncio.Protocol):
    """One HTTP/2 connection: the h2 state machine between a socket and its streams."""

    def __init__(self, pool: Pool, origin: tuple[bool, str, int]) -> None:
        self.pool = pool
        self.origin = origin
        self.loop = asyncio.get_running_loop()
        # Request headers are checked and lower-cased in Pool.open, and of a response only
        # the status and a few headers are read: h2's own passes over every header cost a
        # third of the client's CPU per request.
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding=None,
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
            validate_inbound_headers=False,
            normalize_inbound_headers=False,
        )
        self.h2 = h2.connection.H2Connection(config)
        self.h2.local_settings = h2.settings.Settings(client=True, initial_values=_SETTINGS)
        self.transport: asyncio.Transport | None = None
        self.streams: dict[int, Stream] = {}  # open from h2's point of view
        self.ready: asyncio.Future[None] = self.loop.create_future()  # the peer's SETTINGS came
        self.draining = False  # GOAWAY received, or closing: no new streams
        self.closed = False
        self.opened = 0  # streams opened so far
        self._received_any = False
        self._write_paused: asyncio.Future[None] | None = None
        self._idle: asyncio.TimerHandle | None = None

    @property
    def has_room(self) -> bool:
        """Can take a new stream now."""
        if self.draining or self.closed or not self.ready.done():
            return False
        return len(self.streams) < self.h2.remote_settings.max_concurrent_streams

    def open_stream(self, headers: list[tuple[bytes, bytes]], end: bool) -> Stream:
        """A new stream with its HEADERS queued (``flush`` sends them)."""
        stream_id = self.h2.get_next_available_stream_id()
        stream = Stream(self, stream_id)
        self.streams[stream_id] = stream
        self._cancel_idle()
        self.opened += 1
        if self.opened >= self.pool.max_streams:  # retire it: new streams go to a new one
            self.draining = True
            self.pool._forget(self)
        try:
            self.h2.send_headers(stream_id, headers, end_stream=end)
        except h2.exceptions.H2Error as e:  # the peer lowered its stream limit, or is going
            del self.streams[stream_id]
            raise Http2Error(f"the connection takes no new stream: {e}", refused=True) from None
        if end:
            stream._sent_end = True
        return stream

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's are no subclasses
        self.h2.initiate_connection()
        self.h2.increment_flow_control_window(CONNECTION_WINDOW - 65535)
        self.flush()

    def data_received(self, data: bytes) -> None:
        if not self._received_any:
            self._received_any = True
            if data.startswith(b"HTTP/"):
                self._abort(Http2Error("the server answered in HTTP/1", not_http2=True))
                return
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as e:
            not_http2 = not self.ready.done()
            why = "it does not speak HTTP/2" if not_http2 else "it broke the HTTP/2 protocol"
            self._abort(Http2Error(f"the server's answer cannot be read: {why} ({e})", not_http2=not_http2))
            return
        for event in events:
            self._dispatch(event)
        self.flush()

    def _dispatch(self, event: h2.events.Event) -> None:
        kind = type(event)
        if kind is h2.events.DataReceived:
            stream = self.streams.get(event.stream_id)
            if stream is None or stream._error is not None:
                self.consumed(event.stream_id, event.flow_controlled_length)
            else:
                stream._got_data(event.data, event.flow_controlled_length)
        elif kind is h2.events.ResponseReceived:
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                stream._got_head(*_head(event.headers))
        elif kind is h2.events.StreamEnded:
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                stream._got_end()
                self.stream_done(stream)
        elif kind is h2.events.StreamReset:
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                refused = event.error_code == ErrorCodes.REFUSED_STREAM
                stream._failed(
                    Http2Error(f"the server reset the stream ({_code(event.error_code)})", refused=refused)
                )
        elif kind is h2.events.WindowUpdated:
            if event.stream_id:
                stream = self.streams.get(event.stream_id)
                if stream is not None:
                    stream._wake_window()
            else:
                for stream in list(self.streams.values()):
                    stream._wake_window()
        elif kind is h2.events.RemoteSettingsChanged:
            if not self.ready.done():
                self.ready.set_result(None)
            for stream in list(self.streams.values()):  # the initial window may have grown
                stream._wake_window()
        elif kind is h2.events.TrailersReceived:
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                stream.trailers = _head(event.headers, status=False)[1]
        elif kind is h2.events.ConnectionTerminated:
            self._goaway(event.error_code, event.last_stream_id)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._cancel_idle()
        if not self._received_any:
            reason = "the server closed the connection before answering"
        else:
            reason = "the server closed the connection"
        if exc is not None:
            reason = f"the connection failed: {getattr(exc, 'strerror', None) or exc}"
        if not self.ready.done():
            self.ready.set_exception(Http2Error(reason))
            self.ready.exception()  # retrieved: the connect reports it
        for stream in list(self.streams.values()):
            stream._failed(Http2Error(f"{reason} {stream._where}"))
        self.streams.clear()
        self.pool._forget(self)
        if self._write_paused is not None and not self._write_paused.done():
            self._write_paused.set_result(None)

    def pause_writing(self) -> None:
        if self._write_paused is None or self._write_paused.done():
            self._write_paused = self.loop.create_future()

    def resume_writing(self) -> None:
        if self._write_paused is not None and not self._write_paused.done():
            self._write_paused.set_result(None)

    # -- helpers for streams --------------------------------------------------------------

    def flush(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        paused = self._write_paused
        if paused is not None and not paused.done():
            await asyncio.shield(paused)

    def consumed(self, stream_id: int, flow: int) -> None:
        """Hand ``flow`` received bytes back to the peer (WINDOW_UPDATE when worth it)."""
        if flow and not self.closed:
            with contextlib.suppress(h2.exceptions.H2Error):
                self.h2.acknowledge_received_data(flow, stream_id)
            self.flush()

    def discard_unread(self, stream: Stream) -> None:
        while stream._chunks:
            _, flow = stream._chunks.popleft()
            self.consumed(stream.id, flow)

    def stream_done(self, stream: Stream) -> None:
        """Forget a stream once h2 considers it closed; close a drained or idle connection."""
        if not (stream._local_closed and stream._remote_closed):
            return
        if self.streams.pop(stream.id, None) is None or self.streams:
            return
        if self.draining:
            self.close()
        else:
            self._idle = self.loop.call_later(self.pool.idle_expiry, self._close_if_idle)

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _close_if_idle(self) -> None:
        self._idle = None
        if not self.streams:
            self.close()

    def _goaway(self, error_code: int, last_stream_id: int | None) -> None:
        self.draining = True
        self.pool._forget(self)
        last = last_stream_id if last_stream_id is not None else 2**31
        for stream_id, stream in list(self.streams.items()):
            if stream_id > last:
                stream._failed(
                    Http2Error("the server is going away and did not process the request", refused=True)
                )
            elif error_code != ErrorCodes.NO_ERROR:
                stream._failed(
                    Http2Error(f"the server closed the connection ({_code(error_code)}) {stream._where}")
                )
        if not self.streams:
            self.close()

    def _abort(self, error: Http2Error) -> None:
        if not self.ready.done():
            self.ready.set_exception(error)
            self.ready.exception()
        for stream in list(self.streams.values()):
            stream._failed(error)
        self.close()

    def close(self) -> None:
        """Close the connection: GOAWAY if it is still usable, then the socket."""
        self.draining = True
        self._cancel_idle()
        if self.closed:
            return
        self.pool._forget(self)
        for stream in list(self.streams.values()):
            stream._failed(Http2Error("the connection was closed by this side"))
        if self.transport is not None:
            with contextlib.suppress(h2.exceptions.H2Error):
                self.h2.close_connection()
            self.flush()
            self.transport.close()
        self.closed = True


class Pool:
    """HTTP/2 connections by origin (see the module docstring)."""

    def __init__(
        self, *, idle_expiry: float = 60.0, max_streams: int = 500, unique_headers: Iterable[str] = ()
    ) -> None:
        """``unique_headers``: names of request headers whose values differ on every request
        (an id): sent without entering the connection's HPACK table, which they would only
        fill and slow down."""
        self.idle_expiry = idle_expiry
        self.max_streams = max_streams
        self._unique = frozenset(name.lower() for name in unique_headers)
        self._conns: dict[tuple[bool, str, int], list[_Connection]] = {}
        self._connecting: dict[tuple[bool, str, int], asyncio.Future[_Connection]] = {}
        self._ssl: ssl.SSLContext | None = None

    async def __aenter__(self) -> Pool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for conns in list(self._conns.values()):
            for conn in list(conns):
                conn.close()
        self._conns.clear()
        for pending in self._connecting.values():
            pending.cancel()

    async def open(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | list[tuple[str, str]],
        *,
        connect_timeout: float,
        data: bytes = b"",
        end: bool = False,
    ) -> Stream:
        """Open a stream with the request head, then send ``data`` (in the same write as
        far as the peer's windows allow); ``end`` ends the request side after it.

        ``connect_timeout`` bounds making a new connection (TCP, TLS and the peer's
        SETTINGS). A server that closes the connection after a number of requests may take
        the head alone as its last one and refuse the data that follows (hypercorn does):
        sending both at once avoids that for bodies that fit the windows.
        """
        target = _target(url)
        items = headers.items() if isinstance(headers, dict) else headers
        head = [
            (b":method", method.encode()),
            (b":scheme", b"https" if target.origin[0] else b"http"),
            (b":authority", target.authority.encode()),
            (b":path", target.path.encode()),
        ]
        for name, value in items:
            name = name.lower()
            if name in _HOP_BY_HOP:
                continue
            if not _TOKEN.fullmatch(name):
                raise ValueError(f"{name!r} is not a valid header name")
            if any(c in value for c in "\r\n\0"):
                raise ValueError(f"header {name!r} contains a line break")
            pair = (name.encode(), value.strip().encode())
            head.append(NeverIndexedHeaderTuple(*pair) if name in self._unique else pair)
        conn = await self._connection(target.origin, connect_timeout)
        stream = conn.open_stream(head, end=end and not data)
        if not data:
            conn.flush()
            return stream
        try:
            await stream.send(data, end=end)
        except BaseException:
            stream.close()
            raise
        return stream

    async def request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes = b"",
        *,
        timeout: float,
        max_body: int,
        connect_timeout: float | None = None,
    ) -> Response:
        """Send one request and read its whole response (at most ``max_body`` bytes).

        ``timeout`` bounds the connect (unless ``connect_timeout`` is given) and every wait
        for the server: an idle timeout, not a deadline for the whole exchange.
        """
        for attempt in (1, 2):
            try:
                return await self._exchange(method, url, headers, body, timeout, max_body, connect_timeout)
            except Http2Error as e:
                if not e.refused or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        max_body: int,
        connect_timeout: float | None,
    ) -> Response:
        connect = timeout if connect_timeout is None else connect_timeout
        stream = await self.open(method, url, headers, connect_timeout=connect, data=body, end=True)
        loop = asyncio.get_running_loop()
        chunks: list[bytes] = []
        size = 0
        response: Response | None = None
        try:
            async with asyncio.timeout(timeout) as deadline:
                status, response_headers = await stream.response()
                response = Response(status, response_headers)
                while data := await stream.read():
                    size += len(data)
                    if size > max_body:
                        raise Http2Error(
                            str(TooLarge("the response body", max_body)),
                            too_large=True,
                            response=response,
                        )
                    chunks.append(data)
                    deadline.reschedule(loop.time() + timeout)
        except TimeoutError:
            raise Http2Error(
                f"no data from the server for {timeout:g}s",
                timed_out=True,
                response=response,
                partial=b"".join(chunks),
            ) from None
        except Http2Error as e:
            if e.response is None and response is not None:
                e.response, e.partial = response, b"".join(chunks)
            raise
        finally:
            stream.close()
        assert response is not None
        response.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return response

    # -- connections ----------------------------------------------------------------------

    async def _connection(self, origin: tuple[bool, str, int], connect_timeout: float) -> _Connection:
        """A connection with room for one more stream: an open one, or a new one when each
        open one has reached the peer's MAX_CONCURRENT_STREAMS. Openers that arrive while a
        connection is being made wait for it instead of making their own."""
        while True:
            for conn in self._conns.get(origin, ()):
                if conn.has_room:
                    return conn
            pending = self._connecting.get(origin)
            if pending is None:
                pending = asyncio.ensure_future(self._connect(origin, connect_timeout))
                self._connecting[origin] = pending
                pending.add_done_callback(lambda f: self._connected(origin, f))
            conn = await asyncio.shield(pending)
            if conn.has_room:
                return conn

    def _connected(self, origin: tuple[bool, str, int], pending: asyncio.Future[_Connection]) -> None:
        if self._connecting.get(origin) is pending:
            del self._connecting[origin]
        if pending.cancelled():
            return
        if pending.exception() is None:
            conn = pending.result()
            if not (conn.closed or conn.draining):
                self._conns.setdefault(origin, []).append(conn)

    async def _connect(self, origin: tuple[bool, str, int], timeout: float) -> _Connection:
        tls, host, port = origin
        context = None
        if tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
                self._ssl.set_alpn_protocols(["h2"])
            context = self._ssl
        loop = asyncio.get_running_loop()
        conn: _Connection | None = None
        try:
            async with asyncio.timeout(timeout):
                _, protocol = await loop.create_connection(
                    lambda: _Connection(self, origin), host, port, ssl=context
                )
                conn = protocol
                if tls:
                    assert conn.transport is not None
                    ssl_object: Any = conn.transport.get_extra_info("ssl_object")
                    if ssl_object is None or ssl_object.selected_alpn_protocol() != "h2":
                        raise Http2Error("the server did not agree to HTTP/2 over TLS", not_http2=True)
                await asyncio.shield(conn.ready)
        except TimeoutError:
            if conn is not None:
                conn.close()
            raise Http2Error(
                f"connecting to {host}:{port} timed out after {timeout:g}s", timed_out=True, connecting=True
            ) from None
        except Http2Error as e:
            if conn is not None:
                conn.close()
            e.connecting = True
            raise
        except OSError as e:
            reason = e.strerror or str(e) or type(e).__name__
            raise Http2Error(f"cannot connect to {host}:{port}: {reason}", connecting=True) from None
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return conn

    def _forget(self, conn: _Connection) -> None:
        conns = self._conns.get(conn.origin)
        if conns is not None and conn in conns:
            conns.remove(conn)
            if not conns:
                del self._conns[conn.origin]


def _head(raw: list[tuple[bytes, bytes]], *, status: bool = True) -> tuple[int, dict[str, str]]:
    headers: dict[str, str] = {}
    code = 0
    for name, value in raw:
        if name == b":status":
            code = int(value)
            continue
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return code, headers


def _code(code: int) -> str:
    try:
        return ErrorCodes(code).name
    except ValueError:
        return f"error code {code}"
