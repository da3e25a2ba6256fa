"""Notifications: the journal entries the runtime writes to answer commands, and signals.

A completion answers the command that chose its ``completion_id``; a signal is addressed by
index (1 = cancel, 17 and up = awakeables) or by name. The result sits in one of: 4 void,
5 value, 6 failure, 16 invocation id, 17 state keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from restate_cli.embedded.protocol.control import Suspension
from restate_cli.embedded.protocol.framing import MessageType, is_notification
from restate_cli.embedded.protocol.protobuf import Fields, ProtocolError, Writer
from restate_cli.embedded.protocol.results import Failure, read_result, write_result

CANCEL_SIGNAL = 1
"""The built-in signal index that asks an invocation to cancel itself."""


def _completion(
    completion_id: int,
    value: bytes | None = None,
    failure: Failure | None = None,
    *,
    void: bool,
) -> bytes:
    w = Writer().uint(1, completion_id)
    write_result(w, value, failure, value_field=5, failure_field=6, void_field=4 if void else None)
    return w.finish()


def encode_sleep_completion(completion_id: int) -> bytes:
    return _completion(completion_id, void=True)


def encode_call_invocation_id_completion(completion_id: int, invocation_id: str) -> bytes:
    """The child's id (``inv_1…``) for a Call or OneWayCall."""
    return Writer().uint(1, completion_id).string(16, invocation_id, always=True).finish()


def encode_call_completion(
    completion_id: int, *, value: bytes | None = None, failure: Failure | None = None
) -> bytes:
    return _completion(completion_id, value, failure, void=False)


def encode_run_completion(
    completion_id: int, *, value: bytes | None = None, failure: Failure | None = None
) -> bytes:
    return _completion(completion_id, value, failure, void=False)


def encode_get_lazy_state_completion(completion_id: int, value: bytes | None) -> bytes:
    """``None`` for a key that has no value."""
    return _completion(completion_id, value, void=True)


def encode_get_lazy_state_keys_completion(completion_id: int, keys: Iterable[str | bytes]) -> bytes:
    state_keys = Writer().repeated(1, (k.encode() if isinstance(k, str) else k for k in keys))
    return Writer().uint(1, completion_id).message(17, state_keys.finish()).finish()


def encode_get_promise_completion(
    completion_id: int, *, value: bytes | None = None, failure: Failure | None = None
) -> bytes:
    return _completion(completion_id, value, failure, void=False)


def encode_peek_promise_completion(
    completion_id: int, *, value: bytes | None = None, failure: Failure | None = None
) -> bytes:
    """Neither value nor failure: the promise is not completed yet (void)."""
    return _completion(completion_id, value, failure, void=True)


def encode_complete_promise_completion(completion_id: int, failure: Failure | None = None) -> bytes:
    """Void on success; a failure (409) when the promise was already completed."""
    return _completion(completion_id, failure=failure, void=True)


def encode_attach_invocation_completion(
    completion_id: int, *, value: bytes | None = None, failure: Failure | None = None
) -> bytes:
    return _completion(completion_id, value, failure, void=False)


def encode_get_invocation_output_completion(
    completion_id: int, *, value: bytes | None = None, failure: Failure | None = None
) -> bytes:
    """Neither value nor failure: the target has not finished (void)."""
    return _completion(completion_id, value, failure, void=True)


def encode_signal_notification(
    *,
    index: int | None = None,
    name: str | None = None,
    value: bytes | None = None,
    failure: Failure | None = None,
) -> bytes:
    """A signal by ``index`` or by ``name``; void unless a value or failure is given."""
    if (index is None) == (name is None):
        raise ValueError("a signal has either an index or a name")
    w = Writer()
    if index is not None:
        w.uint(2, index, always=True)
    else:
        w.string(3, name or "", always=True)
    write_result(w, value, failure, value_field=5, failure_field=6, void_field=4)
    return w.finish()


@dataclass(frozen=True, slots=True)
class Notification:
    """Any decoded notification. No value, failure, invocation id or keys means void."""

    type: int
    completion_id: int | None = None
    signal_index: int | None = None
    signal_name: str | None = None
    value: bytes | None = None
    failure: Failure | None = None
    invocation_id: str | None = None
    state_keys: tuple[str, ...] | None = None

    def wakes(self, suspension: Suspension) -> bool:
        """Whether this notification is one the suspended SDK waits for."""
        return (
            self.completion_id in suspension.completion_ids
            or self.signal_index in suspension.signal_indexes
            or self.signal_name in suspension.signal_names
        )


def decode_notification(msg_type: int, payload: bytes) -> Notification:
    if not is_notification(msg_type):
        raise ProtocolError(f"0x{msg_type:04X} is not a notification type")
    f = Fields.parse(payload)
    value, failure = read_result(f, value_field=5, failure_field=6)
    invocation_id = f.optional_string(16)
    keys = f.message(17)
    state_keys = None if keys is None else tuple(keys.strings(1))
    if msg_type != MessageType.SIGNAL_NOTIFICATION:
        return Notification(msg_type, f.uint(1), None, None, value, failure, invocation_id, state_keys)
    index, name = f.optional_uint(2), f.optional_string(3)
    if index is None and name is None:
        raise ProtocolError("signal notification without an index or a name")
    return Notification(msg_type, None, index, name, value, failure, invocation_id, state_keys)
