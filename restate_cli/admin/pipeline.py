"""One small request per invocation, sent lean: how the bulk actions reach a plain-HTTP
admin API.

Sent one at a time through the admin client (64 in flight), each request cost the CLI
about a quarter of a millisecond of Python, and 10,000 of them took twice as long as the
official CLI took in all. Here each of up to 256 keep-alive connections (the official CLI
keeps 500 requests in flight) writes two requests at once and reads the answers back in
order (HTTP/1.1 pipelining, which restate-server and ``restate-cli dev`` both serve), with
nothing between the socket and the answer but parsing its head: the server, not the CLI,
sets the pace. (Deeper pipelines on fewer connections were slower: restate-server answers
a connection's requests one after another.)

A request whose batch broke before its answer arrived is reported as failed with the
reason; it is not sent again (the server may have acted on it). When the server answers
``connection: close``, it reads no further request on that connection: the rest of the
batch is sent again on a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from restate_cli.http1 import _quickacker
from restate_cli.limits import MAX_RESPONSE_BYTES

CONNECTIONS = 256
DEPTH = 2  # requests written at once on a connection


@dataclass(slots=True)
class Answer:
    status: int | None  # None: no answer arrived (``error`` says why)
    body: bytes = b""
    content_type: str = ""
    error: str | None = None


class _Broken(Exception):
    pass


async def send_all(
    base_url: str,
    headers: dict[str, str],
    method: str,
    paths: Sequence[str],
    *,
    timeout: float,
    connect_timeout: float,
    stop: asyncio.Event,
    answered: Callable[[int, Answer], None],
    connections: int = CONNECTIONS,
    depth: int = DEPTH,
) -> set[int]:
    """Send ``method`` to every ``base_url`` + path (paths already joined with their query),
    calling ``answered(index, answer)`` for each; once ``stop`` is set, no new batch is
    written. Returns the indexes of the requests never written."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    base = url.path.rstrip("/")
    own = ("host", "content-length")
    fields = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() not in own)
    tail = f" HTTP/1.1\r\nhost: {url.netloc}\r\n{fields}content-length: 0\r\n\r\n"
    heads = [f"{method} {base}/{p.lstrip('/')}{tail}".encode() for p in paths]
    queue = deque(range(len(paths)))

    async def worker() -> None:
        reader = writer = None
        quickack = None
        try:
            while queue and not stop.is_set():
                if writer is None:
                    try:
                        reader, writer = await asyncio.wait_for(
                            asyncio.open_connection(host, port), connect_timeout
                        )
                    except (OSError, TimeoutError) as e:
                        _fail(queue, answered, f"cannot connect: {getattr(e, 'strerror', None) or e}")
                        return
                    quickack = _quickacker(writer)  # restate-server's answers wait for ACKs otherwise
                batch = [queue.popleft() for _ in range(min(depth, len(queue)))]
                writer.write(b"".join(heads[i] for i in batch))
                assert reader is not None
                for n, i in enumerate(batch):
                    try:
                        assert quickack is not None
                        quickack()
                        answer, close = await asyncio.wait_for(_read(reader), timeout)
                    except (_Broken, OSError, asyncio.IncompleteReadError, TimeoutError) as e:
                        timed_out = isinstance(e, TimeoutError)
                        reason = "no answer in time" if timed_out else "the connection broke"
                        for j in batch[n:]:
                            answered(j, Answer(None, error=f"{reason} (the server may have acted on it)"))
                        writer.close()
                        reader = writer = None
                        break
                    answered(i, answer)
                    if close:
                        queue.extendleft(reversed(batch[n + 1 :]))  # never read by the server
                        writer.close()
                        reader = writer = None
                        break
        finally:
            if writer is not None:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    await asyncio.gather(*(worker() for _ in range(max(1, min(connections, len(paths))))))
    return set(queue)


def _fail(queue: deque[int], answered: Callable[[int, Answer], None], reason: str) -> None:
    while queue:
        answered(queue.popleft(), Answer(None, error=reason))


async def _read(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    """One response; says whether the server closes the connection after it."""
    lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        raise _Broken from None
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            fields[name.strip().lower()] = value.strip()
    close = fields.get("connection", "").lower() == "close"
    if "chunked" in fields.get("transfer-encoding", "").lower():
        parts = []
        size = 0
        while True:
            n = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            data = await reader.readexactly(n + 2)
            if n == 0:
                break
            size += n
            if size > MAX_RESPONSE_BYTES:
                raise _Broken
            parts.append(data[:-2])
        body = b"".join(parts)
    elif "content-length" in fields:
        length = int(fields["content-length"])
        if length > MAX_RESPONSE_BYTES:
            raise _Broken
        body = await reader.readexactly(length)
    elif status in (204, 304) or status < 200:
        body = b""
    else:
        body, close = await reader.read(MAX_RESPONSE_BYTES), True
    return Answer(status, body, fields.get("content-type", "")), close
