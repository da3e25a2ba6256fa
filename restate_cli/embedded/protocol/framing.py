"""Message type ids and the 8-byte frame header of the service protocol.

A frame is ``type: u16 | flags: u16 | length: u32`` (big-endian) followed by ``length``
bytes of protobuf. Type ids fall in four ranges: control messages below 0x0400, commands
up to 0x7FFF, notifications up to 0xFBFF, and custom entries above that.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

_HEADER = struct.Struct(">HHI")
HEADER_SIZE = _HEADER.size

REQUESTED_ACK = 0x8000
"""Frame flag the SDK sets on ProposeRunCompletion in V7: answer with ProposeRunCompletionAck."""


class MessageType(IntEnum):
    # control messages (never stored in the journal)
    START = 0x0000
    SUSPENSION = 0x0001
    ERROR = 0x0002
    END = 0x0003
    COMMAND_ACK = 0x0004
    PROPOSE_RUN_COMPLETION = 0x0005
    AWAITING_ON = 0x0006
    PROPOSE_RUN_COMPLETION_ACK = 0x0007
    # commands
    INPUT = 0x0400
    OUTPUT = 0x0401
    GET_LAZY_STATE = 0x0402
    SET_STATE = 0x0403
    CLEAR_STATE = 0x0404
    CLEAR_ALL_STATE = 0x0405
    GET_LAZY_STATE_KEYS = 0x0406
    GET_EAGER_STATE = 0x0407
    GET_EAGER_STATE_KEYS = 0x0408
    GET_PROMISE = 0x0409
    PEEK_PROMISE = 0x040A
    COMPLETE_PROMISE = 0x040B
    SLEEP = 0x040C
    CALL = 0x040D
    ONE_WAY_CALL = 0x040E
    SEND_SIGNAL = 0x0410
    RUN = 0x0411
    ATTACH_INVOCATION = 0x0412
    GET_INVOCATION_OUTPUT = 0x0413
    COMPLETE_AWAKEABLE = 0x0414
    # notifications
    GET_LAZY_STATE_COMPLETION = 0x8002
    GET_LAZY_STATE_KEYS_COMPLETION = 0x8006
    GET_PROMISE_COMPLETION = 0x8009
    PEEK_PROMISE_COMPLETION = 0x800A
    COMPLETE_PROMISE_COMPLETION = 0x800B
    SLEEP_COMPLETION = 0x800C
    CALL_COMPLETION = 0x800D
    CALL_INVOCATION_ID_COMPLETION = 0x800E
    RUN_COMPLETION = 0x8011
    ATTACH_INVOCATION_COMPLETION = 0x8012
    GET_INVOCATION_OUTPUT_COMPLETION = 0x8013
    SIGNAL_NOTIFICATION = 0xFBFF


TERMINAL_TYPES = frozenset({MessageType.END, MessageType.SUSPENSION, MessageType.ERROR})
"""The messages that end an attempt."""


def is_command(msg_type: int) -> bool:
    return 0x0400 <= msg_type <= 0x7FFF


def is_notification(msg_type: int) -> bool:
    return 0x8000 <= msg_type <= 0xFBFF


def is_custom_entry(msg_type: int) -> bool:
    """A custom journal entry: stored and replayed without being understood."""
    return 0xFC00 <= msg_type <= 0xFFFF


@dataclass(frozen=True, slots=True)
class Frame:
    type: int
    flags: int
    payload: bytes

    def encode(self) -> bytes:
        return encode_frame(self.type, self.payload, self.flags)


def encode_frame(msg_type: int, payload: bytes, flags: int = 0) -> bytes:
    return _HEADER.pack(msg_type, flags, len(payload)) + payload


class FrameDecoder:
    """Splits a byte stream into frames, whatever the chunk boundaries."""

    __slots__ = ("_buf", "_need")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._need = HEADER_SIZE  # bytes the buffer must hold before a frame can complete

    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by ``data``; a partial frame is kept for the next call."""
        buf = self._buf
        buf += data
        end = len(buf)
        if end < self._need:
            return []
        frames: list[Frame] = []
        pos = 0
        while end - pos >= HEADER_SIZE:
            msg_type, flags, size = _HEADER.unpack_from(buf, pos)
            stop = pos + HEADER_SIZE + size
            if stop > end:
                self._need = stop - pos
                break
            frames.append(Frame(msg_type, flags, bytes(buf[pos + HEADER_SIZE : stop])))
            pos = stop
        else:
            self._need = HEADER_SIZE
        del buf[:pos]
        return frames

    @property
    def buffered(self) -> int:
        """Bytes of an incomplete frame held back; 0 means the stream ended on a boundary."""
        return len(self._buf)

    @property
    def expected(self) -> int:
        """How many bytes the incomplete frame needs in total (header included)."""
        return self._need
