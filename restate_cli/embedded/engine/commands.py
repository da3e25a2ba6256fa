"""What each command an SDK sends does: store it in the journal and apply its effect
(state, timers, calls, signals, awakeables, promises, attach), with the notifications
that answer it."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

from restate_cli import ids
from restate_cli.embedded.engine import ops
from restate_cli.embedded.engine.ingress import create, existing, resolve_target
from restate_cli.embedded.engine.model import CHANGE, ProtocolViolation, Tx, result_of, workflow_run_id
from restate_cli.embedded.engine.notify import await_result, notify
from restate_cli.embedded.errors import EngineError
from restate_cli.embedded.protocol import commands as cmds
from restate_cli.embedded.protocol import notifications as notes
from restate_cli.embedded.protocol.awakeables import parse_awakeable_id
from restate_cli.embedded.protocol.framing import MessageType as T
from restate_cli.embedded.protocol.results import Failure
from restate_cli.embedded.store import Inv

_STATE = (
    cmds.SetStateCommand,
    cmds.ClearStateCommand,
    cmds.ClearAllStateCommand,
    cmds.GetLazyStateCommand,
    cmds.GetLazyStateKeysCommand,
)
_STATE_WRITES = _STATE[:3]
_PROMISES = (cmds.GetPromiseCommand, cmds.PeekPromiseCommand, cmds.CompletePromiseCommand)


def apply(tx: Tx, inv: Inv, t: int, payload: bytes) -> None:
    """Store one command and apply its effect, with the notifications it produces."""
    store, c = tx.store, tx.c
    if t >= 0xFC00:  # a custom entry: stored, no effect
        store.append(c, inv.id, t, payload, command=True, now=tx.now)
        return
    cmd = cmds.decode_command(t, payload)
    if isinstance(cmd, cmds.CallCommand | cmds.OneWayCallCommand):
        _call(tx, inv, t, payload, cmd)
        return
    _check(inv, cmd)
    store.append(c, inv.id, t, payload, command=True, now=tx.now)
    key = inv.service_key or ""
    if isinstance(cmd, cmds.SetStateCommand):
        store.state_set(c, inv.service, key, _b(cmd.key), cmd.value)
    elif isinstance(cmd, cmds.ClearStateCommand):
        store.state_clear(c, inv.service, key, _b(cmd.key))
    elif isinstance(cmd, cmds.ClearAllStateCommand):
        store.state_clear(c, inv.service, key)
    elif isinstance(cmd, cmds.GetLazyStateCommand):
        value = store.state_get(c, inv.service, key, _b(cmd.key))
        encoded = notes.encode_get_lazy_state_completion(cmd.result_completion_id, value)
        notify(tx, inv.id, T.GET_LAZY_STATE_COMPLETION, encoded)
    elif isinstance(cmd, cmds.GetLazyStateKeysCommand):
        keys = [k for k, _ in store.state(c, inv.service, key)]
        encoded = notes.encode_get_lazy_state_keys_completion(cmd.result_completion_id, keys)
        notify(tx, inv.id, T.GET_LAZY_STATE_KEYS_COMPLETION, encoded)
    elif isinstance(cmd, cmds.SleepCommand):
        store.add_timer(c, cmd.wake_up_time, "sleep", inv.id, cmd.result_completion_id)
        tx.fx.timers = True
    elif isinstance(cmd, cmds.SendSignalCommand):
        _signal(tx, cmd)
    elif isinstance(cmd, cmds.CompleteAwakeableCommand):
        resolve_awakeable(tx, cmd.awakeable_id, cmd.value, cmd.failure)
    elif isinstance(cmd, _PROMISES):
        _promise(tx, inv, key, cmd)
    elif isinstance(cmd, cmds.AttachInvocationCommand | cmds.GetInvocationOutputCommand):
        _attach(tx, inv, cmd)


def _check(inv: Inv, cmd: Any) -> None:
    if isinstance(cmd, _STATE) and not inv.keyed:
        raise ProtocolViolation("state access from a plain service")
    if isinstance(cmd, _PROMISES) and inv.service_ty != "workflow":
        raise ProtocolViolation("promises exist only in workflows")
    if isinstance(cmd, _STATE_WRITES) and inv.handler_ty == "shared":
        raise ProtocolViolation("a shared handler cannot change state")


def _call(tx: Tx, inv: Inv, t: int, payload: bytes, cmd: Any) -> None:
    """Call or OneWayCall: create the child, tell the caller its id, await its result."""
    child = _spawn(tx, inv, cmd)
    extra = {
        "invocation_id": child.id,
        "service_type": child.service_ty.upper(),
        "handler_type": (child.handler_ty or "").upper() or None,
    }
    tx.store.append(tx.c, inv.id, t, payload, command=True, now=tx.now, extra=extra)
    encoded = notes.encode_call_invocation_id_completion(cmd.invocation_id_notification_idx, child.id)
    notify(tx, inv.id, T.CALL_INVOCATION_ID_COMPLETION, encoded)
    if isinstance(cmd, cmds.CallCommand):
        await_result(tx, inv.id, child.id, cmd.result_completion_id, "call")


def _spawn(tx: Tx, parent: Inv, cmd: Any) -> Inv:
    """The child of a Call or OneWayCall (an existing one for an idempotency key)."""
    try:
        target = resolve_target(tx.store, tx.c, cmd.service, cmd.handler)
    except EngineError as e:
        raise ProtocolViolation(f"call to an unknown target: {e.message}") from None
    if target.service_ty != "service":
        if not cmd.key and target.service_ty == "virtual_object":
            raise ProtocolViolation(f"call to virtual object {cmd.service} without a key")
        target = replace(target, key=cmd.key)
    if cmd.idempotency_key == "":
        raise ProtocolViolation("empty idempotency key")
    found = existing(tx.store, tx.c, target, cmd.idempotency_key)
    if found is not None:
        return found
    first = len(tx.fx.logs)  # "created by" goes before what create logs (scheduled, pending)
    child = create(
        tx,
        target,
        parameter=cmd.parameter,
        headers=list(cmd.headers),
        invoked_by="service",
        idempotency_key=cmd.idempotency_key,
        start_at=getattr(cmd, "invoke_time", 0) or None,
        caller=parent,
    )
    tx.fx.logs.insert(first, (CHANGE, f"{child.id} {child.target}: created by {parent.id}"))
    return child


def _promise(tx: Tx, inv: Inv, key: str, cmd: Any) -> None:
    """A workflow's durable promise: get (waits until completed), peek, or complete."""
    if isinstance(cmd, cmds.CompletePromiseCommand):
        _complete_promise(tx, inv, key, cmd)
        return
    promise = tx.store.promise(tx.c, inv.service, key, cmd.key)
    done = bool(promise and promise[0])
    cid = cmd.result_completion_id
    if isinstance(cmd, cmds.PeekPromiseCommand):
        encoded = notes.encode_peek_promise_completion(cid, **(_outcome(promise) if done else {}))
        notify(tx, inv.id, T.PEEK_PROMISE_COMPLETION, encoded)
    elif done:
        notify(
            tx,
            inv.id,
            T.GET_PROMISE_COMPLETION,
            notes.encode_get_promise_completion(cid, **_outcome(promise)),
        )
    else:
        tx.store.add_promise_waiter(tx.c, inv.service, key, cmd.key, inv.id, cid)


def _complete_promise(tx: Tx, inv: Inv, key: str, cmd: Any) -> None:
    store, c = tx.store, tx.c
    failure = (cmd.failure.code, cmd.failure.message) if cmd.failure else None
    value = None if cmd.failure else (cmd.value or b"")
    completed = store.complete_promise(c, inv.service, key, cmd.key, value, failure)
    if completed:
        outcome = {"value": value} if failure is None else {"failure": cmd.failure}
        for waiter, cid in store.take_promise_waiters(c, inv.service, key, cmd.key):
            notify(tx, waiter, T.GET_PROMISE_COMPLETION, notes.encode_get_promise_completion(cid, **outcome))
    result = None if completed else Failure(409, "promise was already completed")
    encoded = notes.encode_complete_promise_completion(cmd.result_completion_id, result)
    notify(tx, inv.id, T.COMPLETE_PROMISE_COMPLETION, encoded)


def _attach(tx: Tx, inv: Inv, cmd: Any) -> None:
    """AttachInvocation (await another invocation's result) or GetInvocationOutput (peek)."""
    target_id = _attach_target_id(tx, cmd.target)
    if isinstance(cmd, cmds.AttachInvocationCommand):
        if target_id is None:
            encoded = notes.encode_attach_invocation_completion(
                cmd.result_completion_id, failure=Failure(404, "invocation not found")
            )
            notify(tx, inv.id, T.ATTACH_INVOCATION_COMPLETION, encoded)
        else:
            await_result(tx, inv.id, target_id, cmd.result_completion_id, "attach")
        return
    target = tx.get(target_id) if target_id else None
    kw: dict[str, Any] = {}
    if target is not None and target.status == "completed":
        r = result_of(target)
        kw = {"value": r.value} if r.failure is None else {"failure": r.failure}
    encoded = notes.encode_get_invocation_output_completion(cmd.result_completion_id, **kw)
    notify(tx, inv.id, T.GET_INVOCATION_OUTPUT_COMPLETION, encoded)


def _attach_target_id(tx: Tx, target: Any) -> str | None:
    if isinstance(target, cmds.InvocationIdTarget):
        return target.invocation_id if ids.is_valid(target.invocation_id, "inv") else None
    if isinstance(target, cmds.WorkflowTarget):
        return workflow_run_id(target.name, target.key)
    found = tx.store.find_idempotent(tx.c, target.service, target.key, target.handler, target.idempotency_key)
    return found.id if found else None


def _signal(tx: Tx, cmd: Any) -> None:
    if not ids.is_valid(cmd.target_invocation_id, "inv"):
        raise ProtocolViolation(f"invalid invocation id {cmd.target_invocation_id!r} in SendSignal")
    if cmd.signal_index == notes.CANCEL_SIGNAL:
        with contextlib.suppress(EngineError):
            ops.cancel(tx, cmd.target_invocation_id)
        return
    payload = notes.encode_signal_notification(
        index=cmd.signal_index, name=cmd.signal_name, value=cmd.value, failure=cmd.failure
    )
    notify(tx, cmd.target_invocation_id, T.SIGNAL_NOTIFICATION, payload)


def resolve_awakeable(tx: Tx, awakeable_id: str, value: bytes | None, failure: Failure | None) -> None:
    """Complete an awakeable: a signal notification to the invocation that owns it."""
    try:
        raw, index = parse_awakeable_id(awakeable_id)
        owner = ids.format_invocation_id(raw)
    except ValueError:
        raise EngineError(400, f"invalid awakeable id {awakeable_id!r}", kind="ingress") from None
    payload = notes.encode_signal_notification(
        index=index, value=None if failure else (value or b""), failure=failure
    )
    notify(tx, owner, T.SIGNAL_NOTIFICATION, payload)


def _b(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else key


def _outcome(promise: tuple[Any, ...]) -> dict[str, Any]:
    _, value, code, message = promise
    if code is not None:
        return {"failure": Failure(code, message or "")}
    return {"value": value or b""}
