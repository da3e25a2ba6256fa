"""The service protocol's hand-written protobuf codec (``embedded/protocol/protobuf.py``) holds
to the wire format of Google's ``protobuf`` package: what it writes parses there into the
same message (byte for byte where it writes fields in number order, as protobuf does), and
what protobuf writes decodes here into the same values.

The messages are declared here with the field numbers of the service protocol
(reference: service-protocol.md), as descriptors, so no generated code is needed."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from restate_cli.embedded.protocol.commands import decode_command, encode_input
from restate_cli.embedded.protocol.control import (
    decode_error,
    decode_suspension,
    encode_command_ack,
    encode_start,
)
from restate_cli.embedded.protocol.framing import MessageType
from restate_cli.embedded.protocol.notifications import (
    encode_call_completion,
    encode_call_invocation_id_completion,
    encode_sleep_completion,
)
from restate_cli.embedded.protocol.results import Failure

F = descriptor_pb2.FieldDescriptorProto
STRING, BYTES, UINT32, UINT64, BOOL, MESSAGE = (
    F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_UINT32, F.TYPE_UINT64, F.TYPE_BOOL, F.TYPE_MESSAGE,
)  # fmt: skip
REPEATED = "repeated"
OPTIONAL = "optional"  # proto3 explicit presence

MESSAGES: dict[str, list[tuple[int, str, int, str | None, str | None]]] = {
    # name: [(number, field, type, type name for messages, label)]
    "Header": [(1, "key", STRING, None, None), (2, "value", STRING, None, None)],
    "Value": [(1, "content", BYTES, None, None)],
    "Void": [],
    "FailureMetadata": [(1, "key", STRING, None, None), (2, "value", STRING, None, None)],
    "Failure": [
        (1, "code", UINT32, None, None),
        (2, "message", STRING, None, None),
        (3, "metadata", MESSAGE, "FailureMetadata", REPEATED),
    ],
    "StateEntry": [(1, "key", BYTES, None, None), (2, "value", BYTES, None, None)],
    "StartMessage": [
        (1, "id", BYTES, None, None),
        (2, "debug_id", STRING, None, None),
        (3, "known_entries", UINT32, None, None),
        (4, "state_map", MESSAGE, "StateEntry", REPEATED),
        (5, "partial_state", BOOL, None, None),
        (6, "key", STRING, None, None),
        (7, "retry_count_since_last_stored_entry", UINT32, None, None),
        (8, "duration_since_last_stored_entry", UINT64, None, None),
        (9, "random_seed", UINT64, None, None),
        (10, "scope", STRING, None, OPTIONAL),
        (11, "limit_key", STRING, None, OPTIONAL),
        (12, "idempotency_key", STRING, None, OPTIONAL),
    ],
    "InputCommandMessage": [
        (1, "headers", MESSAGE, "Header", REPEATED),
        (12, "name", STRING, None, None),
        (14, "value", MESSAGE, "Value", None),
    ],
    "CallCommandMessage": [
        (1, "service_name", STRING, None, None),
        (2, "handler_name", STRING, None, None),
        (3, "parameter", BYTES, None, None),
        (4, "headers", MESSAGE, "Header", REPEATED),
        (5, "key", STRING, None, None),
        (6, "idempotency_key", STRING, None, OPTIONAL),
        (7, "scope", STRING, None, OPTIONAL),
        (8, "limit_key", STRING, None, OPTIONAL),
        (10, "invocation_id_notification_idx", UINT32, None, None),
        (11, "result_completion_id", UINT32, None, None),
        (12, "name", STRING, None, None),
    ],
    "CallCompletionNotificationMessage": [
        (1, "completion_id", UINT32, None, None),
        (4, "void", MESSAGE, "Void", "oneof"),
        (5, "value", MESSAGE, "Value", "oneof"),
        (6, "failure", MESSAGE, "Failure", "oneof"),
        (16, "invocation_id", STRING, None, "oneof"),
    ],
    "CommandAckMessage": [(1, "command_index", UINT32, None, None)],
    "SuspensionMessage": [
        (1, "waiting_completions", UINT32, None, REPEATED),
        (2, "waiting_signals", UINT32, None, REPEATED),
        (3, "waiting_named_signals", STRING, None, REPEATED),
    ],
    "ErrorMessage": [
        (1, "code", UINT32, None, None),
        (2, "message", STRING, None, None),
        (3, "stacktrace", STRING, None, None),
        (4, "related_command_index", UINT32, None, OPTIONAL),
        (5, "related_command_name", STRING, None, OPTIONAL),
        (6, "related_command_type", UINT32, None, OPTIONAL),
        (8, "next_retry_delay", UINT64, None, OPTIONAL),
        (9, "behavior", UINT32, None, None),
    ],
}


def _classes(packed: bool) -> dict[str, Any]:
    """Message classes for MESSAGES (``packed``: repeated scalars packed, as proto3 does)."""
    file = descriptor_pb2.FileDescriptorProto(
        name=f"wire_{packed}.proto", package=f"wire{int(packed)}", syntax="proto3"
    )
    for name, fields in MESSAGES.items():
        message = file.message_type.add(name=name)
        oneof_index = None
        for number, field_name, kind, type_name, label in fields:
            field = message.field.add(name=field_name, number=number, type=kind)
            field.label = F.LABEL_REPEATED if label == REPEATED else F.LABEL_OPTIONAL
            if type_name:
                field.type_name = f".{file.package}.{type_name}"
            if label == REPEATED and kind != MESSAGE and kind != STRING:
                field.options.packed = packed
            if label == "oneof":
                if oneof_index is None:
                    oneof_index = len(message.oneof_decl)
                    message.oneof_decl.add(name="result")
                field.oneof_index = oneof_index
            if label == OPTIONAL:  # a synthetic oneof per field, as protoc makes for `optional`
                field.proto3_optional = True
                field.oneof_index = len(message.oneof_decl)
                message.oneof_decl.add(name=f"_{field_name}")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{file.package}.{name}"))
        for name in MESSAGES
    }


PB = _classes(packed=True)
UNPACKED = _classes(packed=False)
RAW_ID = bytes(range(24))


@pytest.mark.parametrize(
    ("ours", "fields"),
    [
        ({"known_entries": 1}, {"known_entries": 1}),
        (
            {
                "known_entries": 300,
                "state_map": {"count": b"\x07", b"\xffbin": b""},
                "partial_state": True,
                "key": "alice",
                "retry_count_since_last_stored_entry": 3,
                "duration_since_last_stored_entry": 2**40,
                "random_seed": 2**64 - 1,
            },
            {
                "known_entries": 300,
                "state_map": [{"key": b"count", "value": b"\x07"}, {"key": b"\xffbin", "value": b""}],
                "partial_state": True,
                "key": "alice",
                "retry_count_since_last_stored_entry": 3,
                "duration_since_last_stored_entry": 2**40,
                "random_seed": 2**64 - 1,
            },
        ),
        ({"known_entries": 2, "scope": "", "idempotency_key": "k"}, {"known_entries": 2, "scope": "", "idempotency_key": "k"}),
    ],
    ids=["minimal", "every-field", "explicit-presence"],
)  # fmt: skip
def test_start_is_byte_for_byte_what_protobuf_writes(ours: dict, fields: dict) -> None:
    encoded = encode_start(raw_id=RAW_ID, debug_id="inv_1x", **ours)
    expected = PB["StartMessage"](id=RAW_ID, debug_id="inv_1x", **fields)
    assert encoded == expected.SerializeToString()
    parsed = PB["StartMessage"].FromString(encoded)
    assert parsed == expected
    assert parsed.HasField("scope") == ("scope" in fields)


def test_notifications_and_acks_are_byte_for_byte_what_protobuf_writes() -> None:
    message = PB["CallCompletionNotificationMessage"]
    failure = Failure(409, "killed", (("a", "b"),))
    cases = [
        (encode_sleep_completion(7), message(completion_id=7, void=PB["Void"]())),
        (encode_call_completion(1, value=b""), message(completion_id=1, value=PB["Value"]())),
        (encode_call_completion(2, value=b'"hi"'), message(completion_id=2, value=PB["Value"](content=b'"hi"'))),
        (
            encode_call_completion(3, failure=failure),
            message(completion_id=3, failure=PB["Failure"](code=409, message="killed", metadata=[{"key": "a", "value": "b"}])),
        ),
        (encode_call_invocation_id_completion(0, "inv_1abc"), message(invocation_id="inv_1abc")),
        (encode_command_ack(0), PB["CommandAckMessage"]()),
        (encode_command_ack(2**32 - 1), PB["CommandAckMessage"](command_index=2**32 - 1)),
    ]  # fmt: skip
    for ours, expected in cases:
        assert ours == expected.SerializeToString(), expected
        assert type(expected).FromString(ours) == expected


def test_input_parses_in_protobuf_as_written() -> None:
    """Fields 1, 14 then 12: another order than protobuf's, the same message."""
    ours = encode_input(b'"World"', [("x-a", "1"), ("x-b", "")], name="in")
    expected = PB["InputCommandMessage"](
        headers=[{"key": "x-a", "value": "1"}, {"key": "x-b"}], name="in", value={"content": b'"World"'}
    )
    assert PB["InputCommandMessage"].FromString(ours) == expected
    assert PB["InputCommandMessage"].FromString(encode_input(b"")).HasField("value")  # empty, present
    decoded = decode_command(MessageType.INPUT, expected.SerializeToString())
    assert (decoded.headers, decoded.value, decoded.name) == ([("x-a", "1"), ("x-b", "")], b'"World"', "in")


@pytest.mark.parametrize("optional_fields", [{}, {"idempotency_key": "", "scope": "s", "limit_key": "l"}])
def test_call_written_by_protobuf_decodes_the_same(optional_fields: dict) -> None:
    message = PB["CallCommandMessage"](
        service_name="Greeter",
        handler_name="greet",
        parameter=b"\x00\x01" * 200,
        headers=[{"key": "k", "value": "v"}],
        key="alice",
        invocation_id_notification_idx=5,
        result_completion_id=2**31,
        name="call greet",
        **optional_fields,
    )
    call = decode_command(MessageType.CALL, message.SerializeToString())
    assert (call.service, call.handler, call.parameter, call.headers, call.key) == (
        "Greeter", "greet", b"\x00\x01" * 200, [("k", "v")], "alice",
    )  # fmt: skip
    assert (call.invocation_id_notification_idx, call.result_completion_id, call.name) == (
        5,
        2**31,
        "call greet",
    )
    for field in ("idempotency_key", "scope", "limit_key"):
        assert getattr(call, field) == optional_fields.get(field), field


@pytest.mark.parametrize("classes", [PB, UNPACKED], ids=["packed", "unpacked"])
def test_suspension_written_by_protobuf_decodes_the_same(classes: dict) -> None:
    message = classes["SuspensionMessage"](
        waiting_completions=[1, 300, 2**32 - 1], waiting_signals=[1, 17], waiting_named_signals=["go", ""]
    )
    suspension = decode_suspension(message.SerializeToString())
    assert suspension.completion_ids == {1, 300, 2**32 - 1}
    assert (suspension.signal_indexes, suspension.signal_names) == ({1, 17}, {"go", ""})


def test_error_written_by_protobuf_decodes_the_same() -> None:
    full = PB["ErrorMessage"](
        code=500, message="boom", stacktrace="at x", related_command_index=0, related_command_name="",
        related_command_type=0x0411, next_retry_delay=2**33, behavior=1,
    )  # fmt: skip
    error = decode_error(full.SerializeToString())
    assert (error.code, error.message, error.stacktrace, error.behavior) == (500, "boom", "at x", 1)
    assert (error.related_command_index, error.related_command_name) == (0, "")  # present, though zero
    assert (error.related_command_type, error.next_retry_delay) == (0x0411, 2**33)
    bare = decode_error(PB["ErrorMessage"](code=571).SerializeToString())
    assert (bare.related_command_index, bare.related_command_name, bare.next_retry_delay) == (
        None,
        None,
        None,
    )
