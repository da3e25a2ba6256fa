"""Commands: the journal entries the SDK writes (and the Input command the runtime writes).

The runtime stores each command's bytes verbatim and replays them unchanged; decoding is
only for acting on them, so each dataclass holds the fields the runtime needs. Every
command carries an entry ``name`` in field 12.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from restate_cli.embedded.protocol.framing import MessageType
from restate_cli.embedded.protocol.protobuf import Fields, ProtocolError, Writer
from restate_cli.embedded.protocol.results import Failure, encode_value, read_result

NAME = 12


def encode_input(value: bytes, headers: Iterable[tuple[str, str]] = (), name: str = "") -> bytes:
    """The Input command: the request body and the headers the handler sees."""
    w = Writer().repeated(1, (Writer().string(1, k).string(2, v).finish() for k, v in headers))
    return w.message(14, encode_value(value)).string(NAME, name).finish()


@dataclass(frozen=True, slots=True)
class InputCommand:
    headers: list[tuple[str, str]]
    value: bytes
    name: str


@dataclass(frozen=True, slots=True)
class OutputCommand:
    value: bytes | None
    failure: Failure | None
    name: str


@dataclass(frozen=True, slots=True)
class GetLazyStateCommand:
    key: str
    result_completion_id: int
    name: str


@dataclass(frozen=True, slots=True)
class SetStateCommand:
    key: str
    value: bytes
    name: str


@dataclass(frozen=True, slots=True)
class ClearStateCommand:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class ClearAllStateCommand:
    name: str


@dataclass(frozen=True, slots=True)
class GetLazyStateKeysCommand:
    result_completion_id: int
    name: str


@dataclass(frozen=True, slots=True)
class GetEagerStateCommand:
    key: str
    value: bytes | None  # None: the SDK saw no value (void)
    name: str


@dataclass(frozen=True, slots=True)
class GetEagerStateKeysCommand:
    keys: list[str]
    name: str


@dataclass(frozen=True, slots=True)
class GetPromiseCommand:
    key: str
    result_completion_id: int
    name: str


@dataclass(frozen=True, slots=True)
class PeekPromiseCommand:
    key: str
    result_completion_id: int
    name: str


@dataclass(frozen=True, slots=True)
class CompletePromiseCommand:
    key: str
    value: bytes | None
    failure: Failure | None
    result_completion_id: int
    name: str


@dataclass(frozen=True, slots=True)
class SleepCommand:
    wake_up_time: int  # ms since the Unix epoch
    result_completion_id: int
    name: str


@dataclass(frozen=True, slots=True)
class CallCommand:
    service: str
    handler: str
    parameter: bytes
    headers: list[tuple[str, str]]
    key: str
    idempotency_key: str | None
    scope: str | None
    limit_key: str | None
    invocation_id_notification_idx: int
    result_completion_id: int
    name: str


@dataclass(frozen=True, slots=True)
class OneWayCallCommand:
    service: str
    handler: str
    parameter: bytes
    invoke_time: int  # ms since the Unix epoch; 0 or past means now
    headers: list[tuple[str, str]]
    key: str
    idempotency_key: str | None
    scope: str | None
    limit_key: str | None
    invocation_id_notification_idx: int
    name: str


@dataclass(frozen=True, slots=True)
class SendSignalCommand:
    """A signal to another invocation; index 1 is a cancel request. No value and no
    failure means void."""

    target_invocation_id: str
    signal_index: int | None
    signal_name: str | None
    value: bytes | None
    failure: Failure | None
    name: str


@dataclass(frozen=True, slots=True)
class RunCommand:
    result_completion_id: int
    name: str


@dataclass(frozen=True, slots=True)
class InvocationIdTarget:
    invocation_id: str


@dataclass(frozen=True, slots=True)
class IdempotentRequestTarget:
    service: str
    key: str | None
    handler: str
    idempotency_key: str
    scope: str | None


@dataclass(frozen=True, slots=True)
class WorkflowTarget:
    name: str
    key: str
    scope: str | None


AttachTarget = InvocationIdTarget | IdempotentRequestTarget | WorkflowTarget


@dataclass(frozen=True, slots=True)
class AttachInvocationCommand:
    target: AttachTarget
    result_completion_id: int
    name: str


@dataclass(frozen=True, slots=True)
class GetInvocationOutputCommand:
    target: AttachTarget
    result_completion_id: int
    name: str


@dataclass(frozen=True, slots=True)
class CompleteAwakeableCommand:
    awakeable_id: str
    value: bytes | None
    failure: Failure | None
    name: str


Command = (
    InputCommand
    | OutputCommand
    | GetLazyStateCommand
    | SetStateCommand
    | ClearStateCommand
    | ClearAllStateCommand
    | GetLazyStateKeysCommand
    | GetEagerStateCommand
    | GetEagerStateKeysCommand
    | GetPromiseCommand
    | PeekPromiseCommand
    | CompletePromiseCommand
    | SleepCommand
    | CallCommand
    | OneWayCallCommand
    | SendSignalCommand
    | RunCommand
    | AttachInvocationCommand
    | GetInvocationOutputCommand
    | CompleteAwakeableCommand
)


def _headers(f: Fields, field: int) -> list[tuple[str, str]]:
    return [(h.string(1), h.string(2)) for h in f.messages(field)]


def _value(f: Fields, field: int) -> bytes:
    nested = f.message(field)
    return b"" if nested is None else nested.blob(1)


def _target(f: Fields) -> AttachTarget:
    if f.has(1):
        return InvocationIdTarget(f.string(1))
    idempotent = f.message(3)
    if idempotent is not None:
        return IdempotentRequestTarget(
            idempotent.string(1),
            idempotent.optional_string(2),
            idempotent.string(3),
            idempotent.string(4),
            idempotent.optional_string(5),
        )
    workflow = f.message(4)
    if workflow is not None:
        return WorkflowTarget(workflow.string(1), workflow.string(2), workflow.optional_string(3))
    raise ProtocolError("the command has no invocation target")


def _input(f: Fields) -> InputCommand:
    return InputCommand(_headers(f, 1), _value(f, 14), f.string(NAME))


def _output(f: Fields) -> OutputCommand:
    return OutputCommand(*read_result(f, value_field=14, failure_field=15), f.string(NAME))


def _get_lazy_state(f: Fields) -> GetLazyStateCommand:
    return GetLazyStateCommand(f.string(1), f.uint(11), f.string(NAME))


def _set_state(f: Fields) -> SetStateCommand:
    return SetStateCommand(f.string(1), _value(f, 3), f.string(NAME))


def _clear_state(f: Fields) -> ClearStateCommand:
    return ClearStateCommand(f.string(1), f.string(NAME))


def _clear_all_state(f: Fields) -> ClearAllStateCommand:
    return ClearAllStateCommand(f.string(NAME))


def _get_lazy_state_keys(f: Fields) -> GetLazyStateKeysCommand:
    return GetLazyStateKeysCommand(f.uint(11), f.string(NAME))


def _get_eager_state(f: Fields) -> GetEagerStateCommand:
    value = f.message(14)
    return GetEagerStateCommand(f.string(1), None if value is None else value.blob(1), f.string(NAME))


def _get_eager_state_keys(f: Fields) -> GetEagerStateKeysCommand:
    keys = f.message(14)
    return GetEagerStateKeysCommand([] if keys is None else keys.strings(1), f.string(NAME))


def _get_promise(f: Fields) -> GetPromiseCommand:
    return GetPromiseCommand(f.string(1), f.uint(11), f.string(NAME))


def _peek_promise(f: Fields) -> PeekPromiseCommand:
    return PeekPromiseCommand(f.string(1), f.uint(11), f.string(NAME))


def _complete_promise(f: Fields) -> CompletePromiseCommand:
    value, failure = read_result(f, value_field=2, failure_field=3)
    return CompletePromiseCommand(f.string(1), value, failure, f.uint(11), f.string(NAME))


def _sleep(f: Fields) -> SleepCommand:
    return SleepCommand(f.uint(1), f.uint(11), f.string(NAME))


def _call(f: Fields) -> CallCommand:
    return CallCommand(
        service=f.string(1),
        handler=f.string(2),
        parameter=f.blob(3),
        headers=_headers(f, 4),
        key=f.string(5),
        idempotency_key=f.optional_string(6),
        scope=f.optional_string(7),
        limit_key=f.optional_string(8),
        invocation_id_notification_idx=f.uint(10),
        result_completion_id=f.uint(11),
        name=f.string(NAME),
    )


def _one_way_call(f: Fields) -> OneWayCallCommand:
    return OneWayCallCommand(
        service=f.string(1),
        handler=f.string(2),
        parameter=f.blob(3),
        invoke_time=f.uint(4),
        headers=_headers(f, 5),
        key=f.string(6),
        idempotency_key=f.optional_string(7),
        scope=f.optional_string(8),
        limit_key=f.optional_string(9),
        invocation_id_notification_idx=f.uint(10),
        name=f.string(NAME),
    )


def _send_signal(f: Fields) -> SendSignalCommand:
    index = f.optional_uint(2)
    name = f.optional_string(3)
    if index is None and name is None:
        raise ProtocolError("SendSignal names no signal")
    value, failure = read_result(f, value_field=5, failure_field=6)
    return SendSignalCommand(f.string(1), index, name, value, failure, f.string(NAME))


def _run(f: Fields) -> RunCommand:
    return RunCommand(f.uint(11), f.string(NAME))


def _attach_invocation(f: Fields) -> AttachInvocationCommand:
    return AttachInvocationCommand(_target(f), f.uint(11), f.string(NAME))


def _get_invocation_output(f: Fields) -> GetInvocationOutputCommand:
    return GetInvocationOutputCommand(_target(f), f.uint(11), f.string(NAME))


def _complete_awakeable(f: Fields) -> CompleteAwakeableCommand:
    value, failure = read_result(f, value_field=2, failure_field=3)
    return CompleteAwakeableCommand(f.string(1), value, failure, f.string(NAME))


_DECODERS: dict[int, Callable[[Fields], Command]] = {
    MessageType.INPUT: _input,
    MessageType.OUTPUT: _output,
    MessageType.GET_LAZY_STATE: _get_lazy_state,
    MessageType.SET_STATE: _set_state,
    MessageType.CLEAR_STATE: _clear_state,
    MessageType.CLEAR_ALL_STATE: _clear_all_state,
    MessageType.GET_LAZY_STATE_KEYS: _get_lazy_state_keys,
    MessageType.GET_EAGER_STATE: _get_eager_state,
    MessageType.GET_EAGER_STATE_KEYS: _get_eager_state_keys,
    MessageType.GET_PROMISE: _get_promise,
    MessageType.PEEK_PROMISE: _peek_promise,
    MessageType.COMPLETE_PROMISE: _complete_promise,
    MessageType.SLEEP: _sleep,
    MessageType.CALL: _call,
    MessageType.ONE_WAY_CALL: _one_way_call,
    MessageType.SEND_SIGNAL: _send_signal,
    MessageType.RUN: _run,
    MessageType.ATTACH_INVOCATION: _attach_invocation,
    MessageType.GET_INVOCATION_OUTPUT: _get_invocation_output,
    MessageType.COMPLETE_AWAKEABLE: _complete_awakeable,
}


def decode_command(msg_type: int, payload: bytes) -> Command:
    """The command of type ``msg_type``; ``ProtocolError`` for unknown types or bad bytes."""
    decoder = _DECODERS.get(msg_type)
    if decoder is None:
        raise ProtocolError(f"0x{msg_type:04X} is not a known command type")
    return decoder(Fields.parse(payload))
