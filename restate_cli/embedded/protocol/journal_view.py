"""How journal entries look in ``sys_journal``: ``entry_type``, ``entry_json``, ``entry_lite_json``.

The shapes follow what restate-server 1.7.12 returns for V2 journal entries (serde's JSON
of its own entry types), measured against restate-sdk 1.3.0; the ``restate`` CLI parses
``entry_json`` back, so key names and nesting matter. Bytes are lists of ints.

Call and OneWayCall are stored by restate after it resolved the target, so their JSON holds
facts the command bytes lack. Pass them in ``extra``:

* ``invocation_id``: the child's ``inv_1…`` id;
* ``service_type``: the target service's manifest ``ty`` (``SERVICE``, ``VIRTUAL_OBJECT``,
  ``WORKFLOW``); by default ``SERVICE`` without a key and ``VIRTUAL_OBJECT`` with one;
* ``handler_type``: the handler's manifest ``ty`` (``EXCLUSIVE``, ``SHARED``, ``WORKFLOW``);
  by default ``EXCLUSIVE`` for objects and ``WORKFLOW`` for workflows;
* ``completion_retention_ms``, ``journal_retention_ms``: default one day each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from restate_cli.embedded.protocol import commands as c
from restate_cli.embedded.protocol.commands import Command, decode_command
from restate_cli.embedded.protocol.framing import MessageType, is_command
from restate_cli.embedded.protocol.notifications import Notification, decode_notification
from restate_cli.embedded.protocol.results import Failure

_COMMAND_NAMES: dict[int, str] = {
    MessageType.INPUT: "Input",
    MessageType.OUTPUT: "Output",
    MessageType.GET_LAZY_STATE: "GetLazyState",
    MessageType.SET_STATE: "SetState",
    MessageType.CLEAR_STATE: "ClearState",
    MessageType.CLEAR_ALL_STATE: "ClearAllState",
    MessageType.GET_LAZY_STATE_KEYS: "GetLazyStateKeys",
    MessageType.GET_EAGER_STATE: "GetEagerState",
    MessageType.GET_EAGER_STATE_KEYS: "GetEagerStateKeys",
    MessageType.GET_PROMISE: "GetPromise",
    MessageType.PEEK_PROMISE: "PeekPromise",
    MessageType.COMPLETE_PROMISE: "CompletePromise",
    MessageType.SLEEP: "Sleep",
    MessageType.CALL: "Call",
    MessageType.ONE_WAY_CALL: "OneWayCall",
    MessageType.SEND_SIGNAL: "SendSignal",
    MessageType.RUN: "Run",
    MessageType.ATTACH_INVOCATION: "AttachInvocation",
    MessageType.GET_INVOCATION_OUTPUT: "GetInvocationOutput",
    MessageType.COMPLETE_AWAKEABLE: "CompleteAwakeable",
}

_COMPLETION_NAMES: dict[int, str] = {
    MessageType.GET_LAZY_STATE_COMPLETION: "GetLazyState",
    MessageType.GET_LAZY_STATE_KEYS_COMPLETION: "GetLazyStateKeys",
    MessageType.GET_PROMISE_COMPLETION: "GetPromise",
    MessageType.PEEK_PROMISE_COMPLETION: "PeekPromise",
    MessageType.COMPLETE_PROMISE_COMPLETION: "CompletePromise",
    MessageType.SLEEP_COMPLETION: "Sleep",
    MessageType.CALL_INVOCATION_ID_COMPLETION: "CallInvocationId",
    MessageType.CALL_COMPLETION: "Call",
    MessageType.RUN_COMPLETION: "Run",
    MessageType.ATTACH_INVOCATION_COMPLETION: "AttachInvocation",
    MessageType.GET_INVOCATION_OUTPUT_COMPLETION: "GetInvocationOutput",
}

DAY_MS = 86_400_000


def entry_type_name(msg_type: int) -> str:
    """``sys_journal.entry_type``, e.g. ``Command: Input`` or ``Notification: Signal``.

    ``ValueError`` for a type that is not a known command or notification.
    """
    if msg_type in _COMMAND_NAMES:
        return f"Command: {_COMMAND_NAMES[msg_type]}"
    if msg_type in _COMPLETION_NAMES:
        return f"Notification: {_COMPLETION_NAMES[msg_type]}"
    if msg_type == MessageType.SIGNAL_NOTIFICATION:
        return "Notification: Signal"
    raise ValueError(f"0x{msg_type:04X} is not a journal entry type")


def entry_json(msg_type: int, payload: bytes, *, extra: Mapping[str, Any] | None = None) -> str:
    """``sys_journal.entry_json`` for a V2 entry (``extra``: see the module docstring)."""
    if is_command(msg_type):
        cmd = decode_command(msg_type, payload)
        body = _command_json(cmd, extra or {})
        return _dumps({"Command": {_COMMAND_NAMES[msg_type]: body}})
    n = _notification(msg_type, payload)
    if n.type == MessageType.SIGNAL_NOTIFICATION:
        signal = {
            "id": _signal_id(n.signal_index, n.signal_name),
            "result": _outcome(n.value, n.failure),
        }
        return _dumps({"Notification": {"Signal": signal}})
    completion = {"completion_id": n.completion_id, **_completion_result(n)}
    return _dumps({"Notification": {"Completion": {_COMPLETION_NAMES[n.type]: completion}}})


def entry_lite_json(msg_type: int, payload: bytes, *, extra: Mapping[str, Any] | None = None) -> str:
    """``sys_journal.entry_lite_json``: the same entry without payloads."""
    if is_command(msg_type):
        cmd = decode_command(msg_type, payload)
        body = _command_lite_json(cmd, extra or {})
        return _dumps({"Command": {_COMMAND_NAMES[msg_type]: body}})
    n = _notification(msg_type, payload)
    if n.type == MessageType.SIGNAL_NOTIFICATION:
        ty: Any = "Signal"
        nid = {"SignalIndex": n.signal_index} if n.signal_name is None else {"SignalName": n.signal_name}
    else:
        ty = {"Completion": _COMPLETION_NAMES[n.type]}
        nid = {"CompletionId": n.completion_id}
    return _dumps({"Notification": {"ty": ty, "id": nid, "result": _lite_result(n)}})


def _notification(msg_type: int, payload: bytes) -> Notification:
    if msg_type not in _COMPLETION_NAMES and msg_type != MessageType.SIGNAL_NOTIFICATION:
        raise ValueError(f"0x{msg_type:04X} is not a journal entry type")
    return decode_notification(msg_type, payload)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# -- shared pieces ---------------------------------------------------------------------


def _failure(f: Failure) -> dict[str, Any]:
    out: dict[str, Any] = {"code": f.code, "message": f.message}
    if f.metadata:
        out["metadata"] = [{"key": k, "value": v} for k, v in f.metadata]
    return out


def _outcome(value: bytes | None, failure: Failure | None) -> Any:
    """``"Void"``, ``{"Success": [...]}`` or ``{"Failure": {...}}``."""
    if failure is not None:
        return {"Failure": _failure(failure)}
    if value is not None:
        return {"Success": list(value)}
    return "Void"


def _lite_outcome(value: bytes | None, failure: Failure | None) -> str:
    return "Failure" if failure is not None else "Success" if value is not None else "Void"


def _headers(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers]


def _signal_id(index: int | None, name: str | None) -> dict[str, Any]:
    return {"Index": index} if name is None else {"Name": name}


def _completion_result(n: Notification) -> dict[str, Any]:
    if n.type == MessageType.SLEEP_COMPLETION:
        return {}
    if n.type == MessageType.CALL_INVOCATION_ID_COMPLETION:
        return {"invocation_id": n.invocation_id}
    if n.type == MessageType.GET_LAZY_STATE_KEYS_COMPLETION:
        return {"state_keys": list(n.state_keys or ())}
    return {"result": _outcome(n.value, n.failure)}


def _lite_result(n: Notification) -> str:
    if n.type == MessageType.CALL_INVOCATION_ID_COMPLETION:
        return "InvocationId"
    if n.type == MessageType.GET_LAZY_STATE_KEYS_COMPLETION:
        return "StateKeys"
    return _lite_outcome(n.value, n.failure)


def _target(cmd: c.CallCommand | c.OneWayCallCommand, extra: Mapping[str, Any]) -> dict[str, Any]:
    service_type = str(extra.get("service_type") or ("VIRTUAL_OBJECT" if cmd.key else "SERVICE"))
    service_type = service_type.upper()
    if service_type == "SERVICE":
        return {"Service": {"name": cmd.service, "handler": cmd.handler, "scope": cmd.scope}}
    workflow = service_type == "WORKFLOW"
    handler_type = str(extra.get("handler_type") or ("WORKFLOW" if workflow else "EXCLUSIVE"))
    body = {
        "name": cmd.service,
        "key": cmd.key,
        "handler": cmd.handler,
        "handler_ty": handler_type.capitalize(),
        "scope": cmd.scope,
    }
    return {"Workflow" if workflow else "VirtualObject": body}


def _duration(ms: int) -> dict[str, int]:
    return {"secs": ms // 1000, "nanos": ms % 1000 * 1_000_000}


_NO_SPAN = {
    "span_context": {
        "trace_id": [0] * 16,
        "span_id": [0] * 8,
        "trace_flags": 0,
        "is_remote": False,
        "trace_state": "",
    },
    "cause": None,
}


def _request(cmd: c.CallCommand | c.OneWayCallCommand, extra: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "invocation_id": extra.get("invocation_id"),
        "invocation_target": _target(cmd, extra),
        "span_context": _NO_SPAN,
        "parameter": list(cmd.parameter),
        "headers": _headers(cmd.headers),
        "idempotency_key": cmd.idempotency_key,
        "completion_retention_duration": _duration(int(extra.get("completion_retention_ms", DAY_MS))),
        "journal_retention_duration": _duration(int(extra.get("journal_retention_ms", DAY_MS))),
    }


def _attach_target(target: c.AttachTarget) -> dict[str, Any]:
    if isinstance(target, c.InvocationIdTarget):
        return {"InvocationId": target.invocation_id}
    if isinstance(target, c.IdempotentRequestTarget):
        return {
            "IdempotentRequest": {
                "service_name": target.service,
                "service_key": target.key,
                "service_handler": target.handler,
                "idempotency_key": target.idempotency_key,
                "scope": target.scope,
            }
        }
    return {"Workflow": {"service_name": target.name, "key": target.key, "scope": target.scope}}


# -- commands -------------------------------------------------------------------------------


def _command_json(cmd: Command, extra: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any]
    match cmd:
        case c.InputCommand():
            body = {"headers": _headers(cmd.headers), "payload": list(cmd.value)}
        case c.OutputCommand():
            body = {"result": _outcome(cmd.value, cmd.failure)}
        case c.GetLazyStateCommand() | c.GetPromiseCommand() | c.PeekPromiseCommand():
            body = {"key": cmd.key, "completion_id": cmd.result_completion_id}
        case c.SetStateCommand():
            body = {"key": cmd.key, "value": list(cmd.value)}
        case c.ClearStateCommand():
            body = {"key": cmd.key}
        case c.ClearAllStateCommand():
            body = {}
        case c.GetLazyStateKeysCommand():
            body = {"completion_id": cmd.result_completion_id}
        case c.GetEagerStateCommand():
            body = {"key": cmd.key, "result": _outcome(cmd.value, None)}
        case c.GetEagerStateKeysCommand():
            body = {"state_keys": cmd.keys}
        case c.CompletePromiseCommand():
            body = {
                "key": cmd.key,
                "value": _outcome(cmd.value, cmd.failure),
                "completion_id": cmd.result_completion_id,
            }
        case c.SleepCommand():
            body = {"wake_up_time": cmd.wake_up_time, "completion_id": cmd.result_completion_id}
        case c.CallCommand():
            body = {
                "request": _request(cmd, extra),
                "invocation_id_completion_id": cmd.invocation_id_notification_idx,
                "result_completion_id": cmd.result_completion_id,
            }
        case c.OneWayCallCommand():
            body = {
                "request": _request(cmd, extra),
                "invoke_time": cmd.invoke_time,
                "invocation_id_completion_id": cmd.invocation_id_notification_idx,
            }
        case c.SendSignalCommand():
            body = {
                "target_invocation_id": cmd.target_invocation_id,
                "signal_id": _signal_id(cmd.signal_index, cmd.signal_name),
                "result": _outcome(cmd.value, cmd.failure),
            }
        case c.RunCommand():
            body = {"completion_id": cmd.result_completion_id}
        case c.AttachInvocationCommand() | c.GetInvocationOutputCommand():
            body = {
                "target": _attach_target(cmd.target),
                "completion_id": cmd.result_completion_id,
            }
        case c.CompleteAwakeableCommand():
            body = {"id": cmd.awakeable_id, "result": _outcome(cmd.value, cmd.failure)}
    body["name"] = cmd.name
    return body


def _command_lite_json(cmd: Command, extra: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any]
    match cmd:
        case c.InputCommand() | c.ClearAllStateCommand() | c.GetEagerStateKeysCommand():
            return {}
        case c.OutputCommand():
            return {"result": _lite_outcome(cmd.value, cmd.failure)}
        case c.SetStateCommand() | c.ClearStateCommand():
            return {"key": cmd.key}
        case c.GetEagerStateCommand():
            return {"key": cmd.key, "result": _lite_outcome(cmd.value, None)}
        case (
            c.GetLazyStateCommand()
            | c.GetPromiseCommand()
            | c.PeekPromiseCommand()
            | c.CompletePromiseCommand()
        ):
            return {"key": cmd.key, "completion_id": cmd.result_completion_id}
        case c.GetLazyStateKeysCommand():
            return {"completion_id": cmd.result_completion_id}
        case c.SleepCommand():
            body = {"wake_up_time": cmd.wake_up_time, "completion_id": cmd.result_completion_id}
        case c.CallCommand():
            body = {
                "invocation_id": extra.get("invocation_id"),
                "invocation_target": _target(cmd, extra),
                "invocation_id_completion_id": cmd.invocation_id_notification_idx,
                "result_completion_id": cmd.result_completion_id,
            }
        case c.OneWayCallCommand():
            body = {
                "invocation_id": extra.get("invocation_id"),
                "invocation_target": _target(cmd, extra),
                "invoke_time": cmd.invoke_time,
                "invocation_id_completion_id": cmd.invocation_id_notification_idx,
            }
        case c.RunCommand():
            body = {"completion_id": cmd.result_completion_id}
        case c.SendSignalCommand():
            return {
                "target_invocation_id": cmd.target_invocation_id,
                "signal_id": _signal_id(cmd.signal_index, cmd.signal_name),
                "result": _lite_outcome(cmd.value, cmd.failure),
            }
        case c.AttachInvocationCommand() | c.GetInvocationOutputCommand():
            return {"target": _attach_target(cmd.target), "completion_id": cmd.result_completion_id}
        case c.CompleteAwakeableCommand():
            return {"id": cmd.awakeable_id, "result": _lite_outcome(cmd.value, cmd.failure)}
    if cmd.name:  # the lite shapes of Sleep, Call, OneWayCall and Run keep a non-empty name
        body["name"] = cmd.name
    return body
