"""Awakeable ids: ``sign_1`` + unpadded URL-safe base64 of (raw invocation id, u32 index).

Completing an awakeable means delivering signal ``index`` to that invocation.
"""

from __future__ import annotations

import base64
import binascii

from restate_cli.ids import IdError

PREFIX = "sign_1"
_RAW_ID_SIZE = 24


def format_awakeable_id(raw_invocation_id: bytes, signal_index: int) -> str:
    if len(raw_invocation_id) != _RAW_ID_SIZE:
        raise ValueError("an invocation id has 24 bytes")
    data = raw_invocation_id + signal_index.to_bytes(4, "big")
    return PREFIX + base64.urlsafe_b64encode(data).decode().rstrip("=")


def parse_awakeable_id(text: str) -> tuple[bytes, int]:
    """``(raw invocation id, signal index)``; ``IdError`` when ``text`` is not one."""
    if not text.startswith(PREFIX):
        if text.startswith("prom_1"):
            raise IdError("prom_1 awakeable ids belong to protocol versions this runtime lacks")
        raise IdError("an awakeable id starts with sign_1")
    body = text[len(PREFIX) :]
    try:
        data = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except binascii.Error as e:
        raise IdError("awakeable id is not valid base64") from e
    if len(data) != _RAW_ID_SIZE + 4:
        raise IdError("awakeable id has the wrong length")
    return data[:_RAW_ID_SIZE], int.from_bytes(data[_RAW_ID_SIZE:], "big")
