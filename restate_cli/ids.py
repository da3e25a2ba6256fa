"""Restate resource ids (``inv_…``, ``dp_…``, ``sub_…``): parse, check and format.

The string form is ``<type>_1`` followed by base62 digits (alphabet ``0-9a-zA-Z``, padded
with ``0``). An invocation id carries an 8-byte partition key (11 digits) and a 16-byte
uuid (22 digits); deployment and subscription ids carry only the uuid. Like restate,
each integer is read from its bytes in little-endian order before encoding.
"""

from __future__ import annotations

import os
import time

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
KNOWN_TYPES = ("inv", "dp", "sub")
_LENGTHS = {"inv": 1 + 11 + 22, "dp": 1 + 22, "sub": 1 + 22}


class IdError(ValueError):
    """Why a string is not a valid id; the text matches restate-server's reasons."""


def b62_encode(n: int, width: int) -> str:
    digits = []
    while n:
        n, r = divmod(n, 62)
        digits.append(ALPHABET[r])
    return "".join(reversed(digits)).rjust(width, "0")


def b62_decode(text: str, max_bits: int) -> int:
    n = 0
    for c in text:
        i = _INDEX.get(c)
        if i is None:
            raise IdError("base62 decode error")
        n = n * 62 + i
    if n >= 1 << max_bits:
        raise IdError("base62 decode error")
    return n


def check(text: str, expected: str) -> None:
    """Raise ``IdError`` unless ``text`` is a well-formed id of type ``expected``."""
    if not text:
        raise IdError("bad length")
    kind, sep, body = text.partition("_")
    if not sep or not kind:
        raise IdError("bad format")
    if kind not in KNOWN_TYPES:
        raise IdError(f"unrecognized resource type: {kind}")
    if kind != expected:
        raise IdError("id doesn't match the expected type")
    if len(body) != _LENGTHS[kind]:
        raise IdError("bad length")
    if body[0] != "1":
        if body[0] not in _INDEX:
            raise IdError("base62 decode error")
        raise IdError("unrecognized codec version")
    if kind == "inv":
        b62_decode(body[1:12], 64)
        b62_decode(body[12:], 128)
    else:
        b62_decode(body[1:], 128)


def is_valid(text: str, expected: str) -> bool:
    try:
        check(text, expected)
    except IdError:
        return False
    return True


def format_invocation_id(raw: bytes) -> str:
    """``inv_1…`` for the 24 raw bytes (partition key, then uuid)."""
    if len(raw) != 24:
        raise ValueError("an invocation id has 24 bytes")
    pk = int.from_bytes(raw[:8], "little")
    uuid = int.from_bytes(raw[8:], "little")
    return "inv_1" + b62_encode(pk, 11) + b62_encode(uuid, 22)


def parse_invocation_id(text: str) -> bytes:
    """The 24 raw bytes of an ``inv_1…`` string."""
    check(text, "inv")
    body = text[5:]
    pk = b62_decode(body[:11], 64)
    uuid = b62_decode(body[11:], 128)
    return pk.to_bytes(8, "little") + uuid.to_bytes(16, "little")


def format_short_id(kind: str, uuid: bytes) -> str:
    """``dp_1…`` / ``sub_1…`` for 16 raw bytes."""
    return f"{kind}_1" + b62_encode(int.from_bytes(uuid, "little"), 22)


def new_uuid() -> bytes:
    """16 bytes: a 48-bit millisecond timestamp then 80 random bits (ULID layout)."""
    return int(time.time() * 1000).to_bytes(6, "big") + os.urandom(10)


def new_ulid_string() -> str:
    """A 26-character Crockford base32 ULID, as restate generates idempotency keys."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    n = int.from_bytes(new_uuid(), "big")
    return "".join(alphabet[(n >> (5 * i)) & 31] for i in reversed(range(26)))
