"""Values and failures, the two outcomes most messages carry.

On the wire a value is ``Value{1: content}`` and a failure is ``Failure{1: code,
2: message, 3: repeated {1: key, 2: value}}``. Most messages hold one of them (or an empty
``void``) in a ``oneof``; which field numbers they use differs per message.
"""

from __future__ import annotations

from dataclasses import dataclass

from restate_cli.embedded.protocol.protobuf import Fields, Writer


@dataclass(frozen=True, slots=True)
class Failure:
    code: int
    message: str
    metadata: tuple[tuple[str, str], ...] = ()

    def encode(self) -> bytes:
        w = Writer().uint(1, self.code).string(2, self.message)
        w.repeated(3, (Writer().string(1, k).string(2, v).finish() for k, v in self.metadata))
        return w.finish()

    @classmethod
    def decode(cls, payload: bytes) -> Failure:
        return cls.from_fields(Fields.parse(payload))

    @classmethod
    def from_fields(cls, f: Fields) -> Failure:
        metadata = tuple((m.string(1), m.string(2)) for m in f.messages(3))
        return cls(f.uint(1), f.string(2), metadata)


def encode_value(content: bytes) -> bytes:
    """A ``Value`` message; empty content gives an empty (but present) message."""
    return Writer().blob(1, content).finish()


def write_result(
    w: Writer,
    value: bytes | None,
    failure: Failure | None,
    *,
    value_field: int,
    failure_field: int,
    void_field: int | None = None,
) -> None:
    """Write the failure, else the value, else ``void`` when the message allows one."""
    if failure is not None:
        w.message(failure_field, failure.encode())
    elif value is not None:
        w.message(value_field, encode_value(value))
    elif void_field is not None:
        w.message(void_field, b"")
    else:
        raise ValueError("this message needs a value or a failure")


def read_result(f: Fields, *, value_field: int, failure_field: int) -> tuple[bytes | None, Failure | None]:
    """``(value, None)``, ``(None, failure)``, or ``(None, None)`` for void or no result."""
    failure = f.message(failure_field)
    if failure is not None:
        return None, Failure.from_fields(failure)
    value = f.message(value_field)
    if value is not None:
        return value.blob(1), None
    return None, None
