"""A bidirectional attempt: one HTTP/2 stream kept open while the handler runs.

The runtime sends Start and the journal, then every notification appended to the
invocation's journal as soon as it is stored (``Outbox``); it stores each command the SDK
sends as it arrives. With no traffic either way for the inactivity timeout it closes its
side of the stream, and the SDK suspends. Once its side is closed (by that, or because the
SDK ended the attempt), it waits at most the abort timeout for the SDK to finish.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from restate_cli.durations import friendly
from restate_cli.embedded.engine.attempt import failed, finished, streamed
from restate_cli.embedded.engine.model import Attempt, AttemptError, Tx
from restate_cli.embedded.protocol.framing import FrameDecoder


class DuplexStream(Protocol):
    """One open exchange with a deployment, both directions at once."""

    async def send(self, data: bytes) -> None: ...

    async def end(self) -> None:
        """Close the request side."""

    async def read(self) -> bytes:
        """The next piece of the response; ``b""`` once it has ended."""

    def reset(self) -> None:
        """Abandon the exchange."""


class Outbox:
    """Notifications for an open stream, appended after its journal snapshot of ``known``
    entries; ``None`` once the stream takes no more."""

    def __init__(self, known: int) -> None:
        self.known = known
        self.frames: asyncio.Queue[bytes] = asyncio.Queue()
        self.open = True

    def offer(self, idx: int, frame: bytes) -> None:
        if self.open and idx >= self.known:
            self.frames.put_nowait(frame)


Transact = Callable[[Callable[[Tx], Any]], Any]


async def exchange(client: Any, attempt: Attempt, outbox: Outbox, transact: Transact) -> None:
    """Run one bidirectional attempt to its end, committing what arrives as it arrives."""
    from restate_cli.embedded.protocol.deployment_client import AttemptFailed

    inv, version = attempt.inv, attempt.version
    try:
        stream, server = await client.open_stream(
            attempt.uri,
            inv.service,
            inv.handler,
            version=version,
            invocation_id=inv.id,
            key=inv.service_key if inv.keyed else None,
            body=attempt.body,
            timeout=attempt.timeout,
        )
    except AttemptFailed as e:
        transact(partial(failed, inv=inv, version=version, error=_error(e), retry_after=e.retry_after))
        return
    done = False
    try:
        done = await _run(stream, attempt, outbox, transact, server)
    except AttemptFailed as e:
        transact(partial(failed, inv=inv, version=version, error=_error(e), frames=e.frames))
    finally:
        outbox.open = False
        if not done:
            stream.reset()


async def _run(
    stream: DuplexStream, attempt: Attempt, outbox: Outbox, transact: Transact, server: str | None
) -> bool:
    """Pump both directions until the response ends; True when it ended properly."""
    from restate_cli.embedded.protocol.deployment_client import AttemptFailed

    inv, version = attempt.inv, attempt.version
    last_traffic = time.monotonic()  # Start and the journal went with the request head

    async def write() -> None:
        nonlocal last_traffic
        while True:
            frame = await outbox.frames.get()
            await stream.send(frame)
            last_traffic = time.monotonic()

    writer = asyncio.create_task(write())
    reading = asyncio.ensure_future(stream.read())
    decoder = FrameDecoder()
    abort_at: float | None = None  # set once the request side is closed
    ended = False

    async def close_input() -> None:
        nonlocal abort_at
        outbox.open = False
        writer.cancel()
        await stream.end()
        abort_at = time.monotonic() + attempt.timeout

    try:
        while True:
            deadline = last_traffic + attempt.inactivity if abort_at is None else abort_at
            done, _ = await asyncio.wait(
                [reading, writer],
                timeout=max(deadline - time.monotonic(), 0),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if writer in done and not writer.cancelled():
                writer.result()  # sending failed: raise why
            if reading not in done:
                if abort_at is not None and time.monotonic() >= abort_at:
                    fired = friendly(round(attempt.timeout * 1000))
                    raise AttemptFailed(
                        f"the invocation stream was closed after the 'abort timeout' ({fired}) fired.",
                        code="RT0001",
                    )
                if abort_at is None and time.monotonic() - last_traffic >= attempt.inactivity:
                    await close_input()  # inactive: the SDK suspends when it sees the input closed
                continue
            chunk = reading.result()
            if not chunk:
                break
            last_traffic = time.monotonic()
            reading = asyncio.ensure_future(stream.read())
            frames = decoder.feed(chunk)
            if frames and not ended:
                ended = transact(partial(streamed, inv=inv, version=version, frames=frames, server=server))
                server = None  # recorded with the first frames
                if ended and abort_at is None:
                    await close_input()  # the SDK keeps its side open until the runtime closes
    finally:
        writer.cancel()
        reading.cancel()
    if not ended:  # the response ended without End, Suspension or Error
        transact(partial(finished, inv=inv, version=version, frames=[], server=server))
    return True


def _error(e: Any) -> AttemptError:
    return AttemptError(500, e.message, e.code or "RT0006")
