"""The operator's operations on one invocation, with restate-server 1.7's status codes
and messages: cancel, kill, purge, purge the journal, pause, resume, restart as new."""

from __future__ import annotations

import contextlib

from restate_cli import ids
from restate_cli.embedded.engine.ingress import create
from restate_cli.embedded.engine.model import CANCELED_PENDING, KILLED, Result, Target, Tx
from restate_cli.embedded.engine.notify import wake
from restate_cli.embedded.engine.outcomes import complete, remove_queued
from restate_cli.embedded.engine.outcomes import pause as pause_inv
from restate_cli.embedded.errors import EngineError
from restate_cli.embedded.protocol import commands as cmds
from restate_cli.embedded.protocol import notifications as notes
from restate_cli.embedded.protocol.framing import MessageType as T
from restate_cli.embedded.protocol.framing import is_command, is_notification
from restate_cli.embedded.store import Entry, Inv


def cancel(tx: Tx, inv_id: str) -> int:
    """Queued: removed at once (200). Otherwise the cancel signal reaches the handler at its
    next suspension point (202)."""
    inv = tx.get_or_404(inv_id)
    if inv.status == "completed":
        raise EngineError(409, f"The invocation '{inv_id}' was already completed.")
    if inv.status in ("inboxed", "scheduled"):
        remove_queued(tx, inv, CANCELED_PENDING)
        return 200
    signal = notes.encode_signal_notification(index=notes.CANCEL_SIGNAL)
    tx.store.append(tx.c, inv_id, T.SIGNAL_NOTIFICATION, signal, command=False, now=tx.now)
    if inv.status in ("suspended", "paused"):
        wake(tx, inv)
    tx.fx.log(f"{inv_id} {inv.target}: cancel requested")
    return 202


def kill(tx: Tx, inv_id: str) -> int:
    """Complete at once with ``killed``, and kill the calls it awaits, recursively (one-way
    and delayed sends are detached from the call tree and survive)."""
    inv = tx.get_or_404(inv_id)
    if inv.status == "completed":
        raise EngineError(409, f"The invocation '{inv_id}' was already completed.")
    if inv.status in ("inboxed", "scheduled"):
        remove_queued(tx, inv, KILLED)
        return 200
    children = tx.store.awaited_children(tx.c, inv_id)
    complete(tx, inv_id, Result(failure=KILLED))
    for child in children:
        with contextlib.suppress(EngineError):
            kill(tx, child)
    return 200


def purge(tx: Tx, inv_id: str) -> int:
    inv = _completed(tx, inv_id)
    tx.store.delete_invocation(tx.c, inv_id)
    if inv.service_ty == "workflow" and inv.handler_ty == "workflow":
        tx.store.delete_promises(tx.c, inv.service, inv.service_key or "")
    tx.fx.log(f"{inv_id} {inv.target}: purged")
    return 200


def purge_journal(tx: Tx, inv_id: str) -> int:
    _completed(tx, inv_id)
    tx.store.truncate_journal(tx.c, inv_id)
    return 200


def _completed(tx: Tx, inv_id: str) -> Inv:
    inv = tx.get_or_404(inv_id)
    if inv.status != "completed":
        raise EngineError(409, f"The invocation '{inv_id}' is not yet completed.")
    return inv


def pause(tx: Tx, inv_id: str) -> int:
    inv = tx.get_or_404(inv_id)
    if inv.status in ("inboxed", "scheduled", "completed"):
        raise EngineError(409, f"The invocation '{inv_id}' is not running, cannot be paused.")
    if inv.status in ("paused", "suspended"):
        return 200
    pause_inv(tx, inv, None)
    return 202


def resume(tx: Tx, inv_id: str, deployment: str | None = None) -> int:
    """Run a paused, suspended or backing-off invocation now (on ``deployment``, if given)."""
    inv = tx.get_or_404(inv_id)
    if inv.status in ("inboxed", "scheduled"):
        raise EngineError(
            425, f"The invocation '{inv_id}' is either inboxed or scheduled, cannot be resumed."
        )
    if inv.status == "completed":
        raise EngineError(409, f"The invocation '{inv_id}' is completed, cannot be resumed.")
    if deployment is not None:
        _repin(tx, inv, deployment)
    if inv.status in ("paused", "suspended"):
        wake(tx, inv)
    elif inv.status == "invoked" and not inv.in_flight and inv.next_retry_at:
        tx.store.delete_timers(tx.c, inv_id, "retry")
        tx.store.update(tx.c, inv_id, next_retry_at=None, modified_at=tx.now)
        tx.fx.run.append(inv_id)
    tx.fx.log(f"{inv_id} {inv.target}: resumed")
    return 200


def _repin(tx: Tx, inv: Inv, deployment: str) -> None:
    if deployment.lower() == "keep":
        return
    if deployment.lower() == "latest":
        svc = tx.store.service(inv.service, tx.c)
        if svc is not None and inv.pinned_deployment_id:
            tx.store.update(tx.c, inv.id, pinned_deployment_id=svc["deployment_id"])
        return
    _check_deployment_id(deployment)
    if inv.in_flight or not inv.pinned_deployment_id:
        raise EngineError(
            409,
            f"The invocation '{inv.id}' is still running or the deployment id is not pinned yet, "
            "deployment id cannot be changed.",
        )
    if tx.store.deployment(deployment) is None:
        raise EngineError(404, f"The requested deployment '{deployment}' does not exist")
    tx.store.update(tx.c, inv.id, pinned_deployment_id=deployment)


def _check_deployment_id(deployment: str) -> None:
    try:
        ids.check(deployment, "dp")
    except ids.IdError as e:
        raise EngineError(400, f"The query parameter 'deployment' is invalid. Reason: {e}") from None


def restart_as_new(tx: Tx, inv_id: str, upto: int | None = None, deployment: str | None = None) -> str:
    """A new invocation with the same input (and the journal prefix up to ``upto``)."""
    inv = tx.get_or_404(inv_id)
    if inv.status in ("inboxed", "scheduled"):
        raise EngineError(425, f"The invocation '{inv_id}' cannot be restarted because it's not running yet.")
    if inv.status != "completed":
        raise EngineError(409, f"The invocation '{inv_id}' is still running.")
    if inv.service_ty == "workflow":
        raise EngineError(
            422,
            f"Restarting the invocation '{inv_id}' is not supported. Restarting workflows is not "
            "supported, and restarting invocations created using the old service protocol.",
        )
    journal = tx.store.journal(inv_id, tx.c)
    if not journal or journal[0].msg_type != T.INPUT:
        raise EngineError(
            410,
            f"The invocation '{inv_id}' cannot be restarted because the input is not available. "
            "This indicates that the journal was already purged, or not retained at all.",
        )
    last = 0 if upto is None else upto
    if last >= len(journal) or not _complete_prefix(journal[: last + 1]):
        raise EngineError(
            400,
            f"The prefix of the journal '{inv_id}' up to 'from' (included) contains some Commands "
            "without respective Completions.",
        )
    original = cmds.decode_command(T.INPUT, journal[0].payload)
    target = Target(inv.service, inv.service_key, inv.handler, inv.service_ty, inv.handler_ty)
    new = create(
        tx,
        target,
        parameter=original.value,
        headers=list(original.headers),
        invoked_by="restart_as_new",
        restarted_from=inv_id,
    )
    if last > 0:
        tx.store.truncate_journal(tx.c, new.id)
        size, commands = tx.store.copy_journal(tx.c, inv_id, new.id, last, tx.now)
        tx.store.update(
            tx.c,
            new.id,
            journal_size=size,
            journal_commands_size=commands,
            pinned_deployment_id=inv.pinned_deployment_id,
            pinned_protocol_version=inv.pinned_protocol_version,
        )
    if deployment is not None and deployment.lower() not in ("keep", "latest"):
        _check_deployment_id(deployment)
        tx.store.update(tx.c, new.id, pinned_deployment_id=deployment)
    tx.fx.log(f"{new.id} {new.target}: restarted from {inv_id}")
    return new.id


def _complete_prefix(entries: list[Entry]) -> bool:
    """Every command in the prefix that expects a completion has it in the prefix."""
    expected: set[int] = set()
    for e in entries:
        if is_command(e.msg_type) and e.msg_type not in (T.INPUT, T.OUTPUT):
            cid = getattr(cmds.decode_command(e.msg_type, e.payload), "result_completion_id", None)
            if cid:
                expected.add(cid)
        elif is_notification(e.msg_type):
            n = notes.decode_notification(e.msg_type, e.payload)
            expected.discard(n.completion_id or -1)
    return not expected
