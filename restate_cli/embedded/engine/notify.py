"""Delivering notifications: append them to a journal and wake what waits for them.

A suspended invocation records what it waits for (completion ids, signal indexes and
names); a notification that matches makes it runnable again.
"""

from __future__ import annotations

import json
from typing import Any

from restate_cli.embedded.engine.model import Result, Tx, result_of
from restate_cli.embedded.protocol import notifications as notes
from restate_cli.embedded.protocol.framing import MessageType as T
from restate_cli.embedded.protocol.framing import is_notification
from restate_cli.embedded.protocol.results import Failure
from restate_cli.embedded.store import Inv


def notify(tx: Tx, inv_id: str, t: int, payload: bytes) -> None:
    """Append a notification; wake the invocation if it is suspended waiting for it."""
    inv = tx.get(inv_id)
    if inv is None or inv.status == "completed":
        return
    tx.store.append(tx.c, inv_id, t, payload, command=False, now=tx.now)
    if inv.status == "suspended" and wakes(inv.waiting, t, payload):
        wake(tx, inv)


def wake(tx: Tx, inv: Inv) -> None:
    """Make a suspended or paused invocation runnable again."""
    if tx.store.move(
        tx.c,
        inv.id,
        ("suspended", "paused"),
        status="invoked",
        waiting=None,
        attempts=0,
        next_retry_at=None,
        modified_at=tx.now,
    ):
        tx.fx.run.append(inv.id)


def await_result(tx: Tx, waiter: str, target_id: str, cid: int, kind: str) -> None:
    """Deliver ``target_id``'s result to ``waiter`` now if it has one, else when it ends.

    ``kind`` is ``call`` (a Call command's result) or ``attach`` (AttachInvocation).
    """
    target = tx.get(target_id)
    if target is None:
        result = Result(failure=Failure(404, "invocation not found"))
    elif target.status == "completed":
        result = result_of(target)
    else:
        tx.store.add_waiter(tx.c, target_id, waiter, cid, kind)
        return
    notify(tx, waiter, completion_type(kind), completion_payload(kind, cid, result))


def deliver_result(tx: Tx, inv_id: str, result: Result) -> None:
    """Hand an invocation's result to everything that awaits it."""
    for waiter, cid, kind in tx.store.take_waiters(tx.c, inv_id):
        notify(tx, waiter, completion_type(kind), completion_payload(kind, cid, result))


def completion_type(kind: str) -> int:
    return T.CALL_COMPLETION if kind == "call" else T.ATTACH_INVOCATION_COMPLETION


def completion_payload(kind: str, cid: int, result: Result) -> bytes:
    encode = notes.encode_call_completion if kind == "call" else notes.encode_attach_invocation_completion
    if result.failure is not None:
        return encode(cid, failure=result.failure)
    return encode(cid, value=result.value or b"")


def wakes(waiting: str | None, t: int, payload: bytes) -> bool:
    """Whether a notification is one of those a suspended invocation waits for."""
    if not waiting:
        return False
    w = json.loads(waiting)
    n = notes.decode_notification(t, payload)
    return (
        (n.completion_id is not None and n.completion_id in w["completions"])
        or (n.signal_index is not None and n.signal_index in w["signals"])
        or (n.signal_name is not None and n.signal_name in w["names"])
    )


def already_there(tx: Tx, inv_id: str, waiting: dict[str, Any]) -> bool:
    """Whether the journal already holds a notification that ``waiting`` waits for."""
    text = json.dumps(waiting)
    return any(
        wakes(text, e.msg_type, e.payload)
        for e in tx.store.journal(inv_id, tx.c)
        if is_notification(e.msg_type)
    )
