"""The pipelined requests of the bulk actions (admin/pipeline.py) against a server that
misbehaves the ways real ones can: it closes after an answer that says so, it breaks a
connection in the middle of a batch, it answers in chunks. (The happy path runs against
restate-server and ``restate-cli dev`` in every bulk action test.)"""

from __future__ import annotations

import asyncio

from restate_cli.admin.pipeline import Answer, send_all


async def serve(handle) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/v4/"


async def requests_of(reader: asyncio.StreamReader):
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        yield head.split(b" ")[1].decode()


def run(handle, paths: list[str], **kw) -> tuple[dict[int, Answer], set[int]]:
    async def go():
        server, base = await serve(handle)
        answers: dict[int, Answer] = {}
        async with server:
            unsent = await send_all(
                base,
                {"authorization": "Bearer t"},
                "PATCH",
                paths,
                timeout=5,
                connect_timeout=5,
                stop=kw.pop("stop", asyncio.Event()),
                answered=lambda i, a: answers.__setitem__(i, a),
                **kw,
            )
        return answers, unsent

    return asyncio.run(go())


def test_every_request_gets_its_own_answer_in_order() -> None:
    seen: list[str] = []

    async def handle(reader, writer):
        async for path in requests_of(reader):
            seen.append(path)
            body = path.encode()
            if path.endswith("/7/kill"):  # chunked, as a server may answer
                writer.write(b"HTTP/1.1 409 Conflict\r\ntransfer-encoding: chunked\r\n\r\n")
                writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            else:
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
        writer.close()

    paths = [f"invocations/{i}/kill" for i in range(50)]
    answers, unsent = run(handle, paths, connections=3, depth=4)
    assert not unsent and len(seen) == 50
    assert all(answers[i].body == f"/v4/invocations/{i}/kill".encode() for i in range(50))
    assert answers[7].status == 409 and all(answers[i].status == 200 for i in range(50) if i != 7)


def test_after_connection_close_the_rest_of_the_batch_goes_on_a_new_connection() -> None:
    connections = 0

    async def handle(reader, writer):
        nonlocal connections
        connections += 1
        async for _ in requests_of(reader):
            writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return

    answers, unsent = run(handle, [f"invocations/{i}/kill" for i in range(10)], connections=1, depth=5)
    assert not unsent and connections == 10
    assert all(a.status == 200 for a in answers.values()) and len(answers) == 10


def test_a_connection_broken_mid_batch_fails_the_unanswered_and_says_so() -> None:
    n = 0

    async def handle(reader, writer):
        nonlocal n
        async for _ in requests_of(reader):
            n += 1
            if n == 3:  # once: the next connection answers everything
                writer.transport.abort()
                return
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()

    answers, unsent = run(handle, [f"invocations/{i}/kill" for i in range(8)], connections=1, depth=4)
    assert [answers[i].status for i in range(2)] == [200, 200]
    for i in (2, 3):
        assert answers[i].status is None
        assert answers[i].error == "the connection broke (the server may have acted on it)"
    assert all(answers[i].status == 200 for i in range(4, 8)) and not unsent


def test_once_stopped_no_new_batch_is_written() -> None:
    stop = asyncio.Event()

    async def handle(reader, writer):
        async for _ in requests_of(reader):
            stop.set()  # Ctrl-C while the first batch is in flight
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
        writer.close()

    answers, unsent = run(
        handle, [f"invocations/{i}/kill" for i in range(10)], connections=1, depth=4, stop=stop
    )
    assert sorted(answers) == [0, 1, 2, 3] and unsent == set(range(4, 10))


def test_a_server_that_is_not_there_fails_every_request() -> None:
    async def go():
        answers: dict[int, Answer] = {}
        unsent = await send_all(
            "http://127.0.0.1:9/",
            {},
            "PATCH",
            ["a", "b"],
            timeout=1,
            connect_timeout=1,
            stop=asyncio.Event(),
            answered=lambda i, a: answers.__setitem__(i, a),
        )
        return answers, unsent

    answers, unsent = asyncio.run(go())
    assert not unsent and sorted(answers) == [0, 1]
    assert all(a.status is None and a.error.startswith("cannot connect: ") for a in answers.values())
