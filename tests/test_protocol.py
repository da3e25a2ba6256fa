"""The service-protocol codec: framing, protobuf, messages, journal views, awakeable ids.

Golden data comes from the reference (service-protocol.md §5.2, §9.2) and from a journal
recorded on restate-server 1.7.12 (tests/data, see tests/support/record_journal.py).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from restate_cli.embedded.protocol import (
    CANCEL_SIGNAL,
    REQUESTED_ACK,
    CallCommand,
    Combinator,
    ErrorBehavior,
    Failure,
    FrameDecoder,
    InvocationIdTarget,
    MessageType,
    OneWayCallCommand,
    ProposeRunCompletion,
    ProtocolError,
    SendSignalCommand,
    SleepCommand,
    decode_awaiting_on,
    decode_command,
    decode_error,
    decode_notification,
    decode_propose_run_completion,
    decode_suspension,
    encode_attach_invocation_completion,
    encode_call_completion,
    encode_call_invocation_id_completion,
    encode_command_ack,
    encode_complete_promise_completion,
    encode_frame,
    encode_get_invocation_output_completion,
    encode_get_lazy_state_completion,
    encode_get_lazy_state_keys_completion,
    encode_get_promise_completion,
    encode_input,
    encode_peek_promise_completion,
    encode_propose_run_completion_ack,
    encode_run_completion,
    encode_signal_notification,
    encode_sleep_completion,
    encode_start,
    entry_json,
    entry_lite_json,
    entry_type_name,
    format_awakeable_id,
    is_command,
    is_custom_entry,
    is_notification,
    parse_awakeable_id,
    run_completion_from_proposal,
)
from restate_cli.embedded.protocol.protobuf import Fields, Writer, encode_varint, read_varint
from restate_cli.ids import IdError, parse_invocation_id

GOLDEN = json.loads((Path(__file__).parent / "data" / "journal-restate-1.7.12.json").read_text())["entries"]
TYPE_BY_NAME = {entry_type_name(t): t for t in MessageType if is_command(t) or is_notification(t)}


def frames_of(data: bytes) -> list[tuple[int, int, bytes]]:
    return [(f.type, f.flags, f.payload) for f in FrameDecoder().feed(data)]


# -- message types and framing -----------------------------------------------------------


def test_message_catalogue_has_all_forty_types() -> None:
    assert len(MessageType) == 40
    assert sum(map(is_command, MessageType)) == 20
    assert sum(map(is_notification, MessageType)) == 12
    assert MessageType.SIGNAL_NOTIFICATION == 0xFBFF
    assert is_custom_entry(0xFC00) and not is_notification(0xFC00)
    assert not is_command(MessageType.PROPOSE_RUN_COMPLETION_ACK)


def test_frame_header_layout() -> None:
    data = encode_frame(MessageType.PROPOSE_RUN_COMPLETION, b"\x08\x01", REQUESTED_ACK)
    assert data == bytes.fromhex("0005 8000 00000002 0801")
    assert frames_of(data) == [(5, 0x8000, b"\x08\x01")]


def test_frames_split_at_every_byte_boundary() -> None:
    stream = (
        encode_frame(MessageType.OUTPUT, b"r\x03\n\x01x")
        + encode_frame(MessageType.END, b"")
        + encode_frame(MessageType.SUSPENSION, bytes(300))
    )
    expected = frames_of(stream)
    assert [t for t, _, _ in expected] == [0x0401, 0x0003, 0x0001]
    for cut in range(len(stream) + 1):
        decoder = FrameDecoder()
        got = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
        assert [(f.type, f.flags, f.payload) for f in got] == expected
        assert decoder.buffered == 0


def test_frames_fed_in_random_chunks_and_one_byte_at_a_time() -> None:
    rng = random.Random(7)
    stream = b"".join(
        encode_frame(MessageType.SET_STATE, rng.randbytes(rng.randrange(0, 200))) for _ in range(50)
    )
    expected = frames_of(stream)
    for chunking in (lambda: 1, lambda: rng.randrange(1, 64)):
        decoder, got, pos = FrameDecoder(), [], 0
        while pos < len(stream):
            step = chunking()
            got += decoder.feed(stream[pos : pos + step])
            pos += step
        assert [(f.type, f.flags, f.payload) for f in got] == expected


def test_decoder_reports_a_partial_frame() -> None:
    decoder = FrameDecoder()
    whole = encode_frame(MessageType.OUTPUT, b"0123456789")
    assert decoder.feed(whole + whole[:12]) != []
    assert decoder.buffered == 12 and decoder.expected == len(whole)
    assert decoder.feed(whole[12:])[0].payload == b"0123456789"
    assert decoder.buffered == 0
    decoder.feed(whole[:3])  # not even a whole header
    assert decoder.buffered == 3 and decoder.expected == 8


# -- protobuf ----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 127, 128, 300, 12345, 2**32 - 1, 2**63, 2**64 - 1])
def test_varint_round_trip(n: int) -> None:
    data = encode_varint(n)
    assert read_varint(data + b"\xff", 0) == (n, len(data))


def test_varint_known_encodings() -> None:
    assert encode_varint(12345) == bytes.fromhex("b960")
    assert encode_varint(-1) == b"\xff" * 9 + b"\x01"
    with pytest.raises(ProtocolError):
        read_varint(b"\x80\x80", 0)


def test_writer_omits_defaults_but_keeps_empty_messages() -> None:
    w = Writer().uint(1, 0).string(2, "").blob(3, b"").boolean(5, False).packed(6, [])
    assert w.finish() == b""
    assert Writer().message(4, b"").finish() == bytes.fromhex("2200")
    assert Writer().uint(2, 0, always=True).string(3, "", always=True).finish() == bytes.fromhex("10001a00")


def test_fields_round_trip_with_packed_and_unpacked_repeats() -> None:
    data = (
        Writer()
        .uint(1, 7)
        .string(2, "héllo")
        .packed(3, [1, 300, 2**32 - 1])
        .uint(4, 5)
        .uint(4, 6)  # unpacked repeats of the same field
        .repeated(5, [b"a", b"", b"c"])
        .message(6, Writer().uint(1, 9).finish())
        .finish()
    )
    f = Fields.parse(data)
    assert (f.uint(1), f.string(2), f.uints(3), f.uints(4)) == (
        7,
        "héllo",
        [1, 300, 2**32 - 1],
        [5, 6],
    )
    assert f.blobs(5) == [b"a", b"", b"c"]
    nested = f.message(6)
    assert nested is not None and nested.uint(1) == 9
    assert f.optional_uint(9) is None and f.message(9) is None and not f.has(9)


def test_fields_reject_malformed_input() -> None:
    with pytest.raises(ProtocolError):
        Fields.parse(bytes.fromhex("0a05616263"))  # length runs past the end
    with pytest.raises(ProtocolError):
        Fields.parse(bytes.fromhex("0b"))  # wire type 3 (groups) is not supported
    with pytest.raises(ProtocolError):
        Fields.parse(bytes.fromhex("0801")).blob(1)  # a varint read as bytes
    with pytest.raises(ProtocolError):
        Fields.parse(bytes.fromhex("0a01ff")).string(1)  # not UTF-8


def test_fixed_width_fields_are_skipped() -> None:
    f = Fields.parse(bytes.fromhex("0901020304050607081d0a0b0c0d1001"))
    assert f.uint(2) == 1 and not f.has(1) and not f.has(3)


# -- the exchange of reference §9.2, byte for byte ----------------------------------------


def test_golden_start_and_input() -> None:
    start = encode_start(
        raw_id=bytes(range(1, 25)),
        debug_id="inv_1probe0000000000000000000000000",
        known_entries=1,
        random_seed=12345,
    )
    body = encode_frame(MessageType.START, start) + encode_frame(MessageType.INPUT, encode_input(b'"World"'))
    expected = (
        "0000000000000044"
        "0a18" + bytes(range(1, 25)).hex() + "1223" + b"inv_1probe0000000000000000000000000".hex()
        + "1801" + "48b960"
        "040000000000000b" + "7209" + "0a07" + b'"World"'.hex()
    )  # fmt: skip
    assert body.hex() == expected


def test_golden_output_and_end() -> None:
    response = bytes.fromhex("040100000000001272100a0e") + b'"Hello World!"'
    response += bytes.fromhex("0003000000000000")
    (output_t, _, output_p), (end_t, _, end_p) = frames_of(response)
    assert (output_t, end_t, end_p) == (MessageType.OUTPUT, MessageType.END, b"")
    output = decode_command(output_t, output_p)
    assert (output.value, output.failure, output.name) == (b'"Hello World!"', None, "")


def test_start_with_every_field() -> None:
    start = encode_start(
        raw_id=b"\x01" * 24,
        debug_id="inv_x",
        known_entries=3,
        state_map={"count": b"5", b"raw": b""},
        partial_state=True,
        key="k1",
        retry_count_since_last_stored_entry=2,
        duration_since_last_stored_entry=581,
        random_seed=2**63 + 1,
        scope="",
        limit_key="lk",
        idempotency_key=None,
    )
    f = Fields.parse(start)
    entries = [(e.blob(1), e.blob(2)) for e in f.messages(4)]
    assert entries == [(b"count", b"5"), (b"raw", b"")]
    assert (f.uint(3), f.boolean(5), f.string(6), f.uint(7), f.uint(8), f.uint(9)) == (
        3, True, "k1", 2, 581, 2**63 + 1,
    )  # fmt: skip
    assert f.optional_string(10) == "" and f.optional_string(11) == "lk" and not f.has(12)
    empty = Fields.parse(encode_start(raw_id=b"", debug_id="", known_entries=1, state_map={}))
    assert not empty.has(4) and not empty.has(5) and not empty.has(7)


def test_input_with_headers_and_an_empty_body() -> None:
    payload = encode_input(b"", [("content-type", "application/json")], name="in")
    cmd = decode_command(MessageType.INPUT, payload)
    assert (cmd.headers, cmd.value, cmd.name) == ([("content-type", "application/json")], b"", "in")
    assert payload.endswith(bytes.fromhex("7200620269 6e".replace(" ", "")))


# -- control messages ------------------------------------------------------------------------


def test_v6_suspension_is_packed() -> None:
    s = decode_suspension(bytes.fromhex("0a0101120101"))
    assert (s.completion_ids, s.signal_indexes, s.signal_names) == ({1}, {1}, frozenset())
    assert s.future is None and not s.is_empty
    named = decode_suspension(Writer().packed(2, [1]).string(3, "go").finish())
    assert named.signal_names == {"go"} and named.signal_indexes == {1}
    assert decode_suspension(b"").is_empty


def test_v7_suspension_flattens_the_future_tree() -> None:
    leaf = Writer().packed(1, [3]).string(3, "go").uint(5, Combinator.ALL_COMPLETED).finish()
    deeper = Writer().message(4, Writer().packed(2, [17]).finish()).finish()
    root = Writer().packed(1, [1]).packed(2, [1]).message(4, leaf).message(4, deeper).uint(5, 1)
    s = decode_suspension(Writer().message(4, root.finish()).finish())
    assert s.completion_ids == {1, 3}
    assert s.signal_indexes == {1, 17}
    assert s.signal_names == {"go"}
    assert s.future is not None and s.future.combinator == Combinator.FIRST_COMPLETED
    assert s.future.nested[0].combinator == Combinator.ALL_COMPLETED


def test_v7_future_depth_limit() -> None:
    def nested(depth: int) -> bytes:
        payload = Writer().packed(1, [depth]).finish()
        for d in range(depth - 1, 0, -1):
            payload = Writer().packed(1, [d]).message(4, payload).finish()
        return Writer().message(4, payload).finish()

    assert len(decode_suspension(nested(1000)).completion_ids) == 1000
    with pytest.raises(ProtocolError, match="1000"):
        decode_suspension(nested(1001))


def test_awaiting_on() -> None:
    future = Writer().packed(1, [1]).packed(2, [1]).uint(5, 1).finish()
    a = decode_awaiting_on(Writer().message(1, future).boolean(2, True).finish())
    assert a.executing_side_effects and a.future is not None and a.future.completion_ids == (1,)


def test_error_with_every_field() -> None:
    payload = (
        Writer()
        .uint(1, 570)
        .string(2, "journal mismatch")
        .string(3, "Traceback …")
        .uint(4, 1, always=True)
        .string(5, "side")
        .uint(6, MessageType.RUN)
        .uint(8, 3000)
        .uint(9, ErrorBehavior.PAUSE)
        .finish()
    )
    e = decode_error(payload)
    assert (e.code, e.message, e.stacktrace) == (570, "journal mismatch", "Traceback …")
    assert (e.related_command_index, e.related_command_name, e.related_command_type) == (
        1, "side", 0x0411,
    )  # fmt: skip
    assert (e.next_retry_delay, e.behavior) == (3000, ErrorBehavior.PAUSE)
    plain = decode_error(Writer().uint(1, 500).string(2, "boom").finish())
    assert plain.related_command_index is None and plain.next_retry_delay is None
    assert plain.behavior == ErrorBehavior.RETRY


def test_run_proposal_becomes_the_stored_run_completion() -> None:
    value = decode_propose_run_completion(bytes.fromhex("0801 7202 3432".replace(" ", "")))
    assert value == ProposeRunCompletion(1, value=b"42")
    assert run_completion_from_proposal(value) == bytes.fromhex("08012a040a023432")
    empty = decode_propose_run_completion(bytes.fromhex("08027200"))
    assert empty.value == b"" and run_completion_from_proposal(empty) == bytes.fromhex("08022a00")
    failure = Failure(500, "Exception('side effect failed')")
    proposal = Writer().uint(1, 1).message(15, failure.encode()).finish()
    decoded = decode_propose_run_completion(proposal)
    assert decoded.failure == failure
    recorded = next(e for e in GOLDEN if e["scenario"] == "run-gives-up" and e["index"] == 2)
    assert run_completion_from_proposal(decoded).hex() == recorded["raw"]
    with pytest.raises(ProtocolError, match="missing result"):
        decode_propose_run_completion(bytes.fromhex("0801"))


def test_acks() -> None:
    assert encode_propose_run_completion_ack(1) == bytes.fromhex("0801")
    assert encode_command_ack(0) == b""
    assert encode_command_ack(3) == bytes.fromhex("0803")


# -- notifications ---------------------------------------------------------------------------


def test_notification_encoders_match_the_wire() -> None:
    failure = Failure(409, "promise was already completed", (("k", "v"),))
    assert encode_sleep_completion(1).hex() == "08012200"
    assert encode_call_invocation_id_completion(1, "inv_1x").hex() == "08018201" + "06" + b"inv_1x".hex()
    assert encode_call_completion(3, value=b"").hex() == "08032a00"
    assert encode_call_completion(3, failure=failure) == (
        bytes.fromhex("080332") + bytes([len(failure.encode())]) + failure.encode()
    )
    assert encode_run_completion(5, value=b"1").hex() == "08052a030a0131"
    assert encode_get_lazy_state_completion(1, None).hex() == "08012200"
    assert encode_get_lazy_state_completion(1, b"7").hex() == "08012a030a0137"
    assert encode_get_lazy_state_keys_completion(1, []).hex() == "08018a0100"
    assert encode_get_promise_completion(1, value=b"x").hex() == "08012a030a0178"
    assert encode_peek_promise_completion(1).hex() == "08012200"
    assert encode_complete_promise_completion(1).hex() == "08012200"
    assert encode_attach_invocation_completion(1, value=b"x").hex() == "08012a030a0178"
    assert encode_get_invocation_output_completion(2).hex() == "08022200"
    assert encode_signal_notification(index=CANCEL_SIGNAL).hex() == "10012200"
    assert encode_signal_notification(name="go", value=b"").hex() == "1a02676f2a00"
    with pytest.raises(ValueError):
        encode_signal_notification(index=1, name="go")
    with pytest.raises(ValueError):
        encode_call_completion(1)


def test_failure_round_trip_with_metadata() -> None:
    failure = Failure(418, "teapot", (("brew", "earl grey"), ("cup", "")))
    assert Failure.decode(failure.encode()) == failure
    assert Failure.decode(b"") == Failure(0, "")


def _reencode(msg_type: int, payload: bytes) -> bytes:
    """Rebuild a recorded notification with our encoders, from its decoded fields."""
    n = decode_notification(msg_type, payload)
    cid = n.completion_id or 0
    match msg_type:
        case MessageType.SLEEP_COMPLETION:
            return encode_sleep_completion(cid)
        case MessageType.CALL_INVOCATION_ID_COMPLETION:
            return encode_call_invocation_id_completion(cid, n.invocation_id or "")
        case MessageType.CALL_COMPLETION:
            return encode_call_completion(cid, value=n.value, failure=n.failure)
        case MessageType.RUN_COMPLETION:
            return encode_run_completion(cid, value=n.value, failure=n.failure)
        case MessageType.GET_LAZY_STATE_COMPLETION:
            return encode_get_lazy_state_completion(cid, n.value)
        case MessageType.GET_LAZY_STATE_KEYS_COMPLETION:
            return encode_get_lazy_state_keys_completion(cid, n.state_keys or ())
        case MessageType.GET_PROMISE_COMPLETION:
            return encode_get_promise_completion(cid, value=n.value, failure=n.failure)
        case MessageType.PEEK_PROMISE_COMPLETION:
            return encode_peek_promise_completion(cid, value=n.value, failure=n.failure)
        case MessageType.COMPLETE_PROMISE_COMPLETION:
            return encode_complete_promise_completion(cid, n.failure)
        case MessageType.ATTACH_INVOCATION_COMPLETION:
            return encode_attach_invocation_completion(cid, value=n.value, failure=n.failure)
        case MessageType.SIGNAL_NOTIFICATION:
            return encode_signal_notification(
                index=n.signal_index, name=n.signal_name, value=n.value, failure=n.failure
            )
    raise AssertionError(f"no encoder for 0x{msg_type:04X}")


NOTIFICATIONS = [e for e in GOLDEN if e["entry_type"].startswith("Notification")]


@pytest.mark.parametrize("entry", NOTIFICATIONS, ids=[f"{e['scenario']}-{e['index']}" for e in NOTIFICATIONS])
def test_notifications_are_byte_identical_to_restate_server(entry: dict[str, Any]) -> None:
    msg_type = TYPE_BY_NAME[entry["entry_type"]]
    assert _reencode(msg_type, bytes.fromhex(entry["raw"])).hex() == entry["raw"]


def test_notification_wakes_a_suspension() -> None:
    s = decode_suspension(Writer().packed(1, [3]).packed(2, [1]).string(3, "go").finish())
    wakes = [
        (MessageType.CALL_COMPLETION, encode_call_completion(3, value=b"")),
        (MessageType.SIGNAL_NOTIFICATION, encode_signal_notification(index=1)),
        (MessageType.SIGNAL_NOTIFICATION, encode_signal_notification(name="go")),
    ]
    assert all(decode_notification(t, p).wakes(s) for t, p in wakes)
    others = [
        (MessageType.CALL_INVOCATION_ID_COMPLETION, encode_call_invocation_id_completion(2, "i")),
        (MessageType.SIGNAL_NOTIFICATION, encode_signal_notification(index=17, value=b"")),
        (MessageType.SIGNAL_NOTIFICATION, encode_signal_notification(name="stop")),
    ]
    assert not any(decode_notification(t, p).wakes(s) for t, p in others)


# -- commands --------------------------------------------------------------------------------


def _golden(scenario: str, index: int) -> tuple[int, bytes]:
    e = next(e for e in GOLDEN if e["scenario"] == scenario and e["index"] == index)
    return TYPE_BY_NAME[e["entry_type"]], bytes.fromhex(e["raw"])


def test_decode_recorded_commands() -> None:
    send = decode_command(*_golden("object-call", 1))
    assert isinstance(send, OneWayCallCommand)
    assert (send.service, send.handler, send.key, send.parameter) == (
        "ProtoObject",
        "bump",
        "k1",
        b"1",
    )
    assert send.invoke_time > 1_700_000_000_000 and send.invocation_id_notification_idx == 1
    call = decode_command(*_golden("workflow-call", 1))
    assert isinstance(call, CallCommand)
    assert (call.service, call.handler, call.key, call.idempotency_key) == (
        "ProtoFlow", "run", "wf1", "idem-1",
    )  # fmt: skip
    assert (call.invocation_id_notification_idx, call.result_completion_id) == (1, 2)
    assert call.headers == [] and call.scope is None
    cancel = decode_command(*_golden("cancel", 1))
    assert isinstance(cancel, SendSignalCommand)
    assert (cancel.signal_index, cancel.signal_name, cancel.value, cancel.failure) == (
        1,
        None,
        None,
        None,
    )
    rejected = decode_command(*_golden("reject-signal", 1))
    assert rejected.signal_name == "go" and rejected.failure == Failure(403, "no go")
    sleep = decode_command(*_golden("sleep", 1))
    assert isinstance(sleep, SleepCommand) and sleep.result_completion_id == 1
    attach = decode_command(*_golden("attach", 1))
    assert isinstance(attach.target, InvocationIdTarget)
    keys = decode_command(*_golden("clear-state", 2))
    assert keys.keys == ["count"]
    eager = decode_command(*_golden("eager-state", 1))
    assert (eager.key, eager.value) == ("count", None)
    awakeable = decode_command(*_golden("awakeable-resolve", 1))
    assert parse_awakeable_id(awakeable.awakeable_id)[1] == 17


def test_every_command_type_decodes() -> None:
    special = {
        MessageType.INPUT: Writer().message(14, b""),  # field 1 holds headers there
        MessageType.SLEEP: Writer().uint(1, 5),  # and the wake-up time here
        MessageType.SEND_SIGNAL: Writer().string(1, "inv").uint(2, 1),
    }
    for msg_type in filter(is_command, MessageType):
        w = special.get(msg_type) or Writer().string(1, "a")
        assert decode_command(msg_type, w.uint(11, 1).string(12, "n").finish()).name == "n"
    with pytest.raises(ProtocolError):
        decode_command(0x040F, b"")
    with pytest.raises(ProtocolError):
        decode_command(MessageType.SEND_SIGNAL, Writer().string(1, "inv").finish())


# -- sys_journal views -----------------------------------------------------------------------


def _extra(expected: dict[str, Any]) -> dict[str, Any] | None:
    """What restate knew about a call's child, read back from its own entry_json."""
    command = expected.get("Command", {})
    call = command.get("Call") or command.get("OneWayCall")
    if call is None:
        return None
    ((variant, target),) = call["request"]["invocation_target"].items()
    service_type = {"Service": "SERVICE", "VirtualObject": "VIRTUAL_OBJECT"}.get(variant, "WORKFLOW")
    return {
        "invocation_id": call["request"]["invocation_id"],
        "service_type": service_type,
        "handler_type": target.get("handler_ty", "").upper() or None,
    }


@pytest.mark.parametrize("entry", GOLDEN, ids=[f"{e['scenario']}-{e['index']}" for e in GOLDEN])
def test_journal_views_match_restate_server(entry: dict[str, Any]) -> None:
    msg_type = TYPE_BY_NAME[entry["entry_type"]]
    assert entry_type_name(msg_type) == entry["entry_type"]
    payload = bytes.fromhex(entry["raw"])
    extra = _extra(json.loads(entry["entry_json"]))
    assert entry_json(msg_type, payload, extra=extra) == entry["entry_json"]
    assert entry_lite_json(msg_type, payload, extra=extra) == entry["entry_lite_json"]


def test_call_json_defaults_without_extra_facts() -> None:
    payload = Writer().string(1, "Counter").string(2, "add").string(5, "k").uint(10, 1).uint(11, 2)
    doc = json.loads(entry_json(MessageType.CALL, payload.finish()))
    request = doc["Command"]["Call"]["request"]
    assert request["invocation_id"] is None
    assert request["invocation_target"] == {
        "VirtualObject": {
            "name": "Counter", "key": "k", "handler": "add", "handler_ty": "Exclusive", "scope": None,
        }
    }  # fmt: skip
    assert request["completion_retention_duration"] == {"secs": 86400, "nanos": 0}


def test_entry_views_of_unrecorded_shapes() -> None:
    named_run = Writer().uint(11, 5).string(12, "compensate").finish()
    assert entry_json(MessageType.RUN, named_run) == (
        '{"Command":{"Run":{"completion_id":5,"name":"compensate"}}}'
    )
    sleep = Writer().uint(1, 9).uint(11, 1).string(12, "nap").finish()
    assert entry_lite_json(MessageType.SLEEP, sleep) == (
        '{"Command":{"Sleep":{"wake_up_time":9,"completion_id":1,"name":"nap"}}}'
    )
    output = encode_get_invocation_output_completion(4)
    assert entry_json(MessageType.GET_INVOCATION_OUTPUT_COMPLETION, output) == (
        '{"Notification":{"Completion":{"GetInvocationOutput":{"completion_id":4,"result":"Void"}}}}'
    )
    with pytest.raises(ValueError):
        entry_type_name(MessageType.START)
    with pytest.raises(ValueError):
        entry_json(MessageType.END, b"")


# -- awakeable ids ---------------------------------------------------------------------------


def test_awakeable_id_reference_vector() -> None:
    text = "sign_1AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYAAAAEQ"
    assert parse_awakeable_id(text) == (bytes(range(1, 25)), 17)
    assert format_awakeable_id(bytes(range(1, 25)), 17) == text


def test_awakeable_id_of_a_real_invocation() -> None:
    (awakeable,) = [e for e in GOLDEN if e["entry_type"] == "Command: CompleteAwakeable"]
    text = json.loads(awakeable["entry_json"])["Command"]["CompleteAwakeable"]["id"]
    (owner,) = {e["id"] for e in GOLDEN if e["scenario"] == "awakeable"}
    assert parse_awakeable_id(text) == (parse_invocation_id(owner), 17)


@pytest.mark.parametrize(
    "text",
    ["", "sign_1", "sign_1AQID", "sign_1AQ!DBAUGBwgJCgsMDQ4PEBESExQVFhcYAAAAEQ", "prom_1abc"],
)
def test_bad_awakeable_ids(text: str) -> None:
    with pytest.raises(IdError):
        parse_awakeable_id(text)
