"""The Restate service protocol (V5 to V7) from the runtime's side: frames, messages, journal views.

    framing         type ids, the 8-byte frame header, a decoder for split byte streams
    protobuf        the minimal proto3 reader and writer the messages are built on
    results         Failure, and the value/failure/void results inside messages
    control         Start and acks (sent); Suspension, Error, ProposeRunCompletion, AwaitingOn
    commands        the Input command (sent) and every command the SDK writes (decoded)
    notifications   every notification the runtime writes, and a decoder for stored ones
    journal_view    sys_journal's entry_type, entry_json and entry_lite_json
    awakeables      ``sign_1…`` awakeable ids
    jsonbody        JSON read as restate-server's serde_json reads it (request bodies, manifests)

Import from here; the submodules are an implementation detail.
"""

from typing import TYPE_CHECKING

from restate_cli.lazy import exports

if TYPE_CHECKING:
    from restate_cli.embedded.protocol.awakeables import format_awakeable_id, parse_awakeable_id
    from restate_cli.embedded.protocol.commands import (
        AttachInvocationCommand,
        AttachTarget,
        CallCommand,
        ClearAllStateCommand,
        ClearStateCommand,
        Command,
        CompleteAwakeableCommand,
        CompletePromiseCommand,
        GetEagerStateCommand,
        GetEagerStateKeysCommand,
        GetInvocationOutputCommand,
        GetLazyStateCommand,
        GetLazyStateKeysCommand,
        GetPromiseCommand,
        IdempotentRequestTarget,
        InputCommand,
        InvocationIdTarget,
        OneWayCallCommand,
        OutputCommand,
        PeekPromiseCommand,
        RunCommand,
        SendSignalCommand,
        SetStateCommand,
        SleepCommand,
        WorkflowTarget,
        decode_command,
        encode_input,
    )
    from restate_cli.embedded.protocol.control import (
        AwaitingOn,
        Combinator,
        ErrorBehavior,
        ErrorMessage,
        Future,
        ProposeRunCompletion,
        Suspension,
        decode_awaiting_on,
        decode_error,
        decode_propose_run_completion,
        decode_suspension,
        encode_command_ack,
        encode_propose_run_completion_ack,
        encode_start,
        run_completion_from_proposal,
    )
    from restate_cli.embedded.protocol.framing import (
        REQUESTED_ACK,
        TERMINAL_TYPES,
        Frame,
        FrameDecoder,
        MessageType,
        encode_frame,
        is_command,
        is_custom_entry,
        is_notification,
    )
    from restate_cli.embedded.protocol.journal_view import (
        entry_json,
        entry_lite_json,
        entry_type_name,
    )
    from restate_cli.embedded.protocol.notifications import (
        CANCEL_SIGNAL,
        Notification,
        decode_notification,
        encode_attach_invocation_completion,
        encode_call_completion,
        encode_call_invocation_id_completion,
        encode_complete_promise_completion,
        encode_get_invocation_output_completion,
        encode_get_lazy_state_completion,
        encode_get_lazy_state_keys_completion,
        encode_get_promise_completion,
        encode_peek_promise_completion,
        encode_run_completion,
        encode_signal_notification,
        encode_sleep_completion,
    )
    from restate_cli.embedded.protocol.protobuf import ProtocolError
    from restate_cli.embedded.protocol.results import Failure

__all__ = [
    "CANCEL_SIGNAL",
    "REQUESTED_ACK",
    "TERMINAL_TYPES",
    "AttachInvocationCommand",
    "AttachTarget",
    "AwaitingOn",
    "CallCommand",
    "ClearAllStateCommand",
    "ClearStateCommand",
    "Combinator",
    "Command",
    "CompleteAwakeableCommand",
    "CompletePromiseCommand",
    "ErrorBehavior",
    "ErrorMessage",
    "Failure",
    "Frame",
    "FrameDecoder",
    "Future",
    "GetEagerStateCommand",
    "GetEagerStateKeysCommand",
    "GetInvocationOutputCommand",
    "GetLazyStateCommand",
    "GetLazyStateKeysCommand",
    "GetPromiseCommand",
    "IdempotentRequestTarget",
    "InputCommand",
    "InvocationIdTarget",
    "MessageType",
    "Notification",
    "OneWayCallCommand",
    "OutputCommand",
    "PeekPromiseCommand",
    "ProposeRunCompletion",
    "ProtocolError",
    "RunCommand",
    "SendSignalCommand",
    "SetStateCommand",
    "SleepCommand",
    "Suspension",
    "WorkflowTarget",
    "decode_awaiting_on",
    "decode_command",
    "decode_error",
    "decode_notification",
    "decode_propose_run_completion",
    "decode_suspension",
    "encode_attach_invocation_completion",
    "encode_call_completion",
    "encode_call_invocation_id_completion",
    "encode_command_ack",
    "encode_complete_promise_completion",
    "encode_frame",
    "encode_get_invocation_output_completion",
    "encode_get_lazy_state_completion",
    "encode_get_lazy_state_keys_completion",
    "encode_get_promise_completion",
    "encode_input",
    "encode_peek_promise_completion",
    "encode_propose_run_completion_ack",
    "encode_run_completion",
    "encode_signal_notification",
    "encode_sleep_completion",
    "encode_start",
    "entry_json",
    "entry_lite_json",
    "entry_type_name",
    "format_awakeable_id",
    "is_command",
    "is_custom_entry",
    "is_notification",
    "parse_awakeable_id",
    "run_completion_from_proposal",
]

# Imported on first use: reading one submodule (``jsonbody`` for a request body) does not
# load the others (about 20 ms).
_SUBMODULES = (
    "awakeables",
    "commands",
    "control",
    "framing",
    "journal_view",
    "notifications",
    "protobuf",
    "results",
)


__getattr__ = exports(__name__, __all__, _SUBMODULES)
