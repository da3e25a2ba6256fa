"""Accepting invocations: resolve the target, dedupe by idempotency key or workflow key,
create the invocation with its Input entry, and route it: run now, at its start time, or
after the invocation that holds its object key."""

from __future__ import annotations

import random

from restate_cli import ids
from restate_cli.embedded.engine import policy
from restate_cli.embedded.engine.model import Target, Tx, raw_id
from restate_cli.embedded.errors import EngineError
from restate_cli.embedded.protocol import commands as cmds
from restate_cli.embedded.protocol.framing import MessageType as T
from restate_cli.embedded.store import Conn, Inv, Store


def resolve_target(store: Store, c: Conn | None, service: str, handler: str) -> Target:
    """The target of ``service/handler`` (without a key), or 404 as restate answers."""
    svc = store.service(service, c)
    if svc is None:
        raise EngineError(404, f"service '{service}' not found", kind="service")
    for h in store.service_manifest(service).get("handlers", []):
        if h["name"] == handler:
            return Target(service, None, handler, svc["ty"], policy.handler_kind(svc["ty"], h))
    raise EngineError(404, f"handler '{service}/{handler}' not found", kind="handler")


def existing(store: Store, c: Conn, target: Target, idempotency_key: str | None) -> Inv | None:
    """The invocation a request for ``target`` attaches to instead of creating one."""
    if target.handler_ty == "workflow":
        found = store.get(ids.format_invocation_id(raw_id(target, None)), c)
        if found is not None:
            return found
    if idempotency_key:
        return store.find_idempotent(c, target.service, target.key, target.handler, idempotency_key)
    return None


def create(
    tx: Tx,
    target: Target,
    *,
    parameter: bytes,
    headers: list[tuple[str, str]],
    invoked_by: str,
    idempotency_key: str | None = None,
    start_at: int | None = None,
    caller: Inv | None = None,
    subscription_id: str | None = None,
    restarted_from: str | None = None,
) -> Inv:
    """A new invocation with its Input entry; it runs now, later, or after its key frees."""
    now = tx.now
    raw = raw_id(target, idempotency_key)
    retention = policy.retention(
        tx.store.service_manifest(target.service), target.handler, keyed=idempotency_key is not None
    )
    inv = Inv(
        id=ids.format_invocation_id(raw),
        raw_id=raw,
        partition_key=int.from_bytes(raw[:8], "big") >> 1,
        service=target.service,
        service_key=target.key,
        handler=target.handler,
        service_ty=target.service_ty,
        handler_ty=target.handler_ty,
        status="invoked",
        in_flight=0,
        attempts=0,
        idempotency_key=idempotency_key,
        invoked_by=invoked_by,
        invoked_by_id=caller.id if caller else None,
        invoked_by_target=caller.target if caller else None,
        invoked_by_service_name=caller.service if caller else None,
        invoked_by_subscription_id=subscription_id,
        restarted_from=restarted_from,
        pinned_deployment_id=None,
        pinned_protocol_version=None,
        created_at=now,
        modified_at=now,
        inboxed_at=None,
        inbox_seq=None,
        scheduled_at=None,
        scheduled_start_at=None,
        running_at=None,
        completed_at=None,
        completion_retention=retention.completion,
        journal_retention=retention.journal,
        expires_at=None,
        # The row starts with its Input entry counted (what append would have set).
        journal_size=1,
        journal_commands_size=1,
        last_stored_at=now,
        retries_since_stored=0,
        last_start_at=None,
        next_retry_at=None,
        last_attempt_deployment_id=None,
        last_attempt_server=None,
        last_failure=None,
        last_failure_error_code=None,
        last_failure_command_index=None,
        last_failure_command_name=None,
        last_failure_command_type=None,
        retry_override_ms=None,
        waiting=None,
        completion_result=None,
        completion_failure=None,
        output=None,
        failure_code=None,
        failure_message=None,
        random_seed=random.getrandbits(63),
        epoch=0,
    )
    if start_at is not None and start_at > now:
        inv.status, inv.scheduled_at, inv.scheduled_start_at = "scheduled", now, start_at
    tx.store.insert(tx.c, inv)
    tx.store.add_entry(tx.c, inv.id, 0, T.INPUT, cmds.encode_input(parameter, headers), now=now)
    if inv.status == "scheduled":
        tx.store.add_timer(tx.c, start_at, "start", inv.id)  # type: ignore[arg-type]
        tx.fx.timers = True
        tx.fx.log(f"{inv.id} {inv.target}: scheduled")
    else:
        enqueue(tx, inv)
    return inv


def enqueue(tx: Tx, inv: Inv) -> None:
    """Run now, or wait in the key's inbox while another invocation holds it."""
    store, c, now = tx.store, tx.c, tx.now
    if inv.exclusive:
        holder = store.lock_holder(c, inv.service, inv.service_key or "")
        if holder is not None and holder != inv.id:
            seq = store.next_inbox_seq(c)
            store.update(c, inv.id, status="inboxed", inboxed_at=now, inbox_seq=seq, modified_at=now)
            inv.status = "inboxed"
            tx.fx.log(f"{inv.id} {inv.target}: pending (key held by {holder})")
            return
        if holder is None:
            store.lock(c, inv.service, inv.service_key or "", inv.id)
    if (inv.status, inv.modified_at, inv.inboxed_at, inv.inbox_seq) != ("invoked", now, None, None):
        store.update(c, inv.id, status="invoked", modified_at=now, inboxed_at=None, inbox_seq=None)
        inv.status = "invoked"
    tx.fx.run.append(inv.id)
