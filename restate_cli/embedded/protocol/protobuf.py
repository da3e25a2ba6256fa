"""The little of protobuf (proto3) the service protocol needs.

Writing: ``Writer`` appends fields in the order they are called; scalars at their default
value are left out, as proto3 does, unless the field has explicit presence (``optional``
or a ``oneof`` member), which the caller signals with ``always=True``. Nested messages are
always written, so an empty one still appears as tag plus zero length (a ``void`` result).

Reading: ``Fields.parse`` indexes every field of one message by number. Varints come back
as ``int``, length-delimited values as ``bytes``; 64- and 32-bit fixed fields are skipped
over (the protocol has none). Repeated ``uint32`` fields are read packed or unpacked.
"""

from __future__ import annotations

from collections.abc import Iterable


class ProtocolError(ValueError):
    """A message that cannot be decoded, or breaks a rule of the service protocol."""


def encode_varint(value: int) -> bytes:
    if value < 0:
        value &= (1 << 64) - 1  # negative int32/int64 go on the wire as 10-byte varints
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """The varint starting at ``pos`` and the position after it."""
    result = 0
    shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise ProtocolError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtocolError("varint is too long")


_VARINT = 0
_FIXED64 = 1
_LEN = 2
_FIXED32 = 5


class Writer:
    """Builds one protobuf message."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def _tag(self, field: int, wire_type: int) -> None:
        self._buf += encode_varint(field << 3 | wire_type)

    def uint(self, field: int, value: int, *, always: bool = False) -> Writer:
        """A ``uint32``/``uint64``/enum field."""
        if value or always:
            self._tag(field, _VARINT)
            self._buf += encode_varint(value)
        return self

    def boolean(self, field: int, value: bool) -> Writer:
        return self.uint(field, 1 if value else 0)

    def blob(self, field: int, value: bytes, *, always: bool = False) -> Writer:
        """A ``bytes`` field, or a nested message that is already encoded."""
        if value or always:
            self._tag(field, _LEN)
            self._buf += encode_varint(len(value))
            self._buf += value
        return self

    def string(self, field: int, value: str, *, always: bool = False) -> Writer:
        return self.blob(field, value.encode(), always=always)

    def message(self, field: int, payload: bytes) -> Writer:
        """A nested message: written even when empty."""
        return self.blob(field, payload, always=True)

    def packed(self, field: int, values: Iterable[int]) -> Writer:
        """A packed ``repeated uint32``; nothing when empty."""
        return self.blob(field, b"".join(encode_varint(v) for v in values))

    def repeated(self, field: int, values: Iterable[bytes]) -> Writer:
        """A ``repeated bytes``/``string`` field, or repeated encoded messages."""
        for v in values:
            self.blob(field, v, always=True)
        return self

    def finish(self) -> bytes:
        return bytes(self._buf)


class Fields:
    """The fields of one decoded message, by number; the last occurrence wins for scalars."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[int, list[int | bytes]]) -> None:
        self._fields = fields

    @classmethod
    def parse(cls, payload: bytes) -> Fields:
        fields: dict[int, list[int | bytes]] = {}
        pos = 0
        end = len(payload)
        while pos < end:
            key, pos = read_varint(payload, pos)
            field, wire_type = key >> 3, key & 7
            if field == 0:
                raise ProtocolError("field number 0")
            value: int | bytes
            if wire_type == _VARINT:
                value, pos = read_varint(payload, pos)
            elif wire_type == _LEN:
                size, pos = read_varint(payload, pos)
                if pos + size > end:
                    raise ProtocolError(f"field {field} runs past the end of the message")
                value = payload[pos : pos + size]
                pos += size
            elif wire_type in (_FIXED64, _FIXED32):
                pos += 8 if wire_type == _FIXED64 else 4
                if pos > end:
                    raise ProtocolError(f"field {field} runs past the end of the message")
                continue
            else:
                raise ProtocolError(f"unsupported wire type {wire_type} in field {field}")
            fields.setdefault(field, []).append(value)
        return cls(fields)

    def has(self, field: int) -> bool:
        return field in self._fields

    def _last(self, field: int) -> int | bytes | None:
        values = self._fields.get(field)
        return values[-1] if values else None

    def optional_uint(self, field: int) -> int | None:
        value = self._last(field)
        if isinstance(value, bytes):
            raise ProtocolError(f"field {field} should be a varint")
        return value

    def uint(self, field: int) -> int:
        value = self.optional_uint(field)
        return 0 if value is None else value

    def boolean(self, field: int) -> bool:
        return self.uint(field) != 0

    def optional_blob(self, field: int) -> bytes | None:
        value = self._last(field)
        if isinstance(value, int):
            raise ProtocolError(f"field {field} should be length-delimited")
        return value

    def blob(self, field: int) -> bytes:
        value = self.optional_blob(field)
        return b"" if value is None else value

    def optional_string(self, field: int) -> str | None:
        raw = self.optional_blob(field)
        return None if raw is None else _utf8(raw, field)

    def string(self, field: int) -> str:
        return _utf8(self.blob(field), field)

    def message(self, field: int) -> Fields | None:
        raw = self.optional_blob(field)
        return None if raw is None else Fields.parse(raw)

    def blobs(self, field: int) -> list[bytes]:
        out: list[bytes] = []
        for value in self._fields.get(field, ()):
            if isinstance(value, int):
                raise ProtocolError(f"field {field} should be length-delimited")
            out.append(value)
        return out

    def strings(self, field: int) -> list[str]:
        return [_utf8(raw, field) for raw in self.blobs(field)]

    def messages(self, field: int) -> list[Fields]:
        return [Fields.parse(raw) for raw in self.blobs(field)]

    def uints(self, field: int) -> list[int]:
        """A ``repeated uint32``, packed or not (a parser must accept both)."""
        out: list[int] = []
        for value in self._fields.get(field, ()):
            if isinstance(value, int):
                out.append(value)
                continue
            pos = 0
            while pos < len(value):
                n, pos = read_varint(value, pos)
                out.append(n)
        return out


def _utf8(raw: bytes, field: int) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError as e:
        raise ProtocolError(f"field {field} is not valid UTF-8") from e
