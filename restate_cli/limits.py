"""How much the CLI and the embedded runtime read from others, and the error past it.

Every body read from the network or a file has a limit, so a broken or hostile peer
(an endless discovery response, ``-f /dev/zero``) costs an error naming the limit, not
the machine's memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

MAX_RESPONSE_BYTES = 128 << 20
"""An HTTP response: an SDK's answer to one attempt (restate-server's default message size
limit is 32 MiB per message), or an admin API's answer to the CLI."""

MAX_MANIFEST_BYTES = 16 << 20
"""A deployment's ``/discover`` response (manifests are kilobytes; with JSON schemas,
rarely more than a megabyte)."""

MAX_FILE_BYTES = 1 << 20
"""A file given to ``-f`` (property files are a few kilobytes)."""


class TooLarge(Exception):
    """A body exceeded its limit; the message names it."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"{what} is larger than {size_text(limit)}, the limit")
        self.limit = limit


def size_text(n: int) -> str:
    """``16 MiB``, ``1 KiB``, ``100 bytes``."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


async def read_httpx(response: httpx.Response, limit: int, what: str) -> bytes:
    """The body of a streamed httpx response, or ``TooLarge`` as soon as it passes ``limit``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise TooLarge(what, limit)
        chunks.append(chunk)
    return b"".join(chunks)
