"""restate_cli.http1 against real sockets: every way a response may be framed, keep-alive and
its limits, and each way an exchange breaks, with the message it gets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from restate_cli.http1 import ConnectionPool, HttpError

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def request_head(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            await reader.readexactly(int(line.split(b":")[1]))
    return head


class Server:
    """A loopback HTTP/1.1 server whose every connection is served by ``serve(reader,
    writer, n)`` (n counts connections, from 1)."""

    def __init__(self, serve: Serve) -> None:
        self.serve = serve
        self.connections = 0
        self.tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            self.tasks.append(asyncio.current_task())  # type: ignore[arg-type]
            try:
                await self.serve(reader, writer, self.connections)
            except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/x"

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def answering(*responses: bytes) -> Serve:
    """Answer the requests of a connection with ``responses`` in turn, then wait."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        for response in responses:
            await request_head(reader)
            writer.write(response)
            await writer.drain()
        await reader.read()

    return serve


def run(coro: Awaitable[object]) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("response", "status", "body", "reused"),
    [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello", 200, b"hello", True),
        (b"HTTP/1.1 409 Conflict\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhe\r\n3;x=y\r\nllo\r\n0\r\nt: 1\r\n\r\n", 409, b"hello", True),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello", 200, b"hello", True),
        (b"HTTP/1.1 204 No Content\r\n\r\n", 204, b"", True),
        (b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 5\r\n\r\nhello", 200, b"hello", False),
        (b"HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\nhello", 200, b"hello", False),
    ],
    ids=["content-length", "chunked", "interim", "no-content", "close", "http-1.0"],
)  # fmt: skip
def test_response_framing_and_reuse(response: bytes, status: int, body: bytes, reused: bool) -> None:
    async def go() -> None:
        server = Server(answering(response, response))
        async with server as url:
            pool = ConnectionPool()
            for _ in range(2):
                r = await pool.request("GET", url, {}, timeout=5)
                assert (r.status, r.body) == (status, body)
            await pool.aclose()
        assert server.connections == (1 if reused else 2)

    run(go())


def test_close_delimited_body_and_headers() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a:  2 \r\n\r\nuntil the end")
        await writer.drain()

    async def go() -> None:
        async with Server(serve) as url:
            pool = ConnectionPool()
            r = await pool.request("GET", url, {}, timeout=5)
            assert (r.status, r.headers["x-a"], r.body) == (200, "1, 2", b"until the end")
            await pool.aclose()

    run(go())


def test_idle_connections_expire() -> None:
    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"

    async def go() -> None:
        server = Server(answering(ok, ok))
        async with server as url:
            pool = ConnectionPool(keepalive_expiry=0.2)
            await pool.request("GET", url, {}, timeout=5)
            await asyncio.sleep(0.4)
            await pool.request("GET", url, {}, timeout=5)
            await pool.aclose()
        assert server.connections == 2

    run(go())


def test_a_reused_connection_closed_by_the_server_is_retried_once() -> None:
    """The server drops the idle connection (as hypercorn does after 1000 requests): the
    request goes out again on a new one."""
    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await request_head(reader)
        writer.write(ok)
        await writer.drain()
        if n == 1:
            await request_head(reader)  # the second request: closed without an answer

    async def go() -> None:
        server = Server(serve)
        async with server as url:
            pool = ConnectionPool()
            assert (await pool.post(url, {}, b"one", timeout=5)).body == b"ok"
            assert (await pool.post(url, {}, b"two", timeout=5)).body == b"ok"
            await pool.aclose()
        assert server.connections == 2

    run(go())


def test_a_new_connection_closed_without_an_answer_is_not_retried() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await request_head(reader)

    async def go() -> None:
        server = Server(serve)
        async with server as url:
            with pytest.raises(HttpError) as e:
                await ConnectionPool().post(url, {}, b"x", timeout=5)
        assert str(e.value) == "the server closed the connection without answering"
        assert server.connections == 1

    run(go())


@pytest.mark.parametrize(
    ("response", "message", "partial"),
    [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello",
         "the server closed the connection while reading the response body", b"hello"),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n",
         "the server closed the connection while reading the response body", b"hello"),
        (b"HTTP/1.1 200 OK\r\ncontent-le", "the server closed the connection while waiting for the response", b""),
        (b"HTTX/1.1 200 OK\r\n\r\n",
         "the server broke the HTTP/1.1 protocol while waiting for the response: Expected HTTP/, RTSP/ or ICE/", b""),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
         "the server broke the HTTP/1.1 protocol while reading the response body: Invalid character in chunk size", b""),
        (b"HTTP/1.1 200 OK\r\n" + b"x-big: " + b"a" * 70_000,
         "the server sent a response head longer than 64 KiB while waiting for the response", b""),
    ],
    ids=["short-length", "short-chunked", "short-head", "not-http", "bad-chunk", "endless-head"],
)  # fmt: skip
def test_broken_responses_say_what_happened(response: bytes, message: str, partial: bytes) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await request_head(reader)
        writer.write(response)
        await writer.drain()

    async def go() -> HttpError:
        async with Server(serve) as url:
            with pytest.raises(HttpError) as e:
                await ConnectionPool().request("GET", url, {}, timeout=5)
            return e.value

    error = run(go())
    assert isinstance(error, HttpError)
    assert (str(error), error.partial, error.timed_out) == (message, partial, False)


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\ncontent-length: 2048\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n400\r\n"
        + b"a" * 1024
        + b"\r\n1\r\nb\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n" + b"a" * 1025,
    ],
    ids=["content-length", "chunked", "close-delimited"],
)
def test_a_body_past_the_limit_is_refused(response: bytes) -> None:
    async def go() -> HttpError:
        async with Server(answering(response)) as url:
            with pytest.raises(HttpError) as e:
                await ConnectionPool(max_body=1024).request("GET", url, {}, timeout=5)
            return e.value

    error = run(go())
    assert isinstance(error, HttpError)
    assert error.too_large and str(error) == "the response body is larger than 1 KiB, the limit"
    assert error.response is not None and error.response.status == 200


def test_silence_times_out_with_what_arrived() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhel")
        await writer.drain()
        await asyncio.sleep(5)

    async def go() -> HttpError:
        async with Server(serve) as url:
            with pytest.raises(HttpError) as e:
                await ConnectionPool().request("GET", url, {}, timeout=0.3)
            return e.value

    error = run(go())
    assert isinstance(error, HttpError)
    assert (str(error), error.partial, error.timed_out) == ("no data from the server for 0.3s", b"hel", True)
