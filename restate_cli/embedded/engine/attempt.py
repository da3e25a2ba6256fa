"""One invocation attempt: begin it, exchange it with the deployment, store what the SDK
sent, and act on how the attempt ended (End, Suspension, Error, or a broken exchange).

The exchange today is request/response, over HTTP/2 or HTTP/1.1 as the deployment was
registered: the request carries Start and the whole journal, the response every frame the
SDK produced until it ended the attempt.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from types import SimpleNamespace
from typing import Any

from restate_cli.embedded.engine import commands, policy
from restate_cli.embedded.engine.model import Attempt, AttemptError, ProtocolViolation, Result, Tx
from restate_cli.embedded.engine.notify import already_there, notify
from restate_cli.embedded.engine.outcomes import complete, pause, retry
from restate_cli.embedded.protocol import commands as cmds
from restate_cli.embedded.protocol import control
from restate_cli.embedded.protocol.framing import MessageType as T
from restate_cli.embedded.protocol.framing import encode_frame, is_command
from restate_cli.embedded.protocol.results import Failure
from restate_cli.embedded.store import Inv

Change = Callable[[Tx], None]


def begin(tx: Tx, inv_id: str) -> Attempt | None:
    """Mark an attempt in flight and build its request body (Start, then the journal)."""
    from restate_cli.embedded.protocol.deployment_client import HTTP_2, pick_protocol_version

    store, c, now = tx.store, tx.c, tx.now
    inv = tx.get(inv_id)
    if inv is None or inv.status != "invoked" or inv.in_flight or inv.next_retry_at:
        return None
    dep = _deployment_for(tx, inv)
    if dep is None:
        retry(tx, inv, AttemptError(404, f"no deployment serves '{inv.service}' any more", "RT0013"))
        return None
    version = inv.pinned_protocol_version or pick_protocol_version(
        SimpleNamespace(
            min_protocol_version=dep["min_protocol_version"],
            max_protocol_version=dep["max_protocol_version"],
        )
    )
    store.update(
        c,
        inv.id,
        in_flight=1,
        epoch=inv.epoch + 1,
        attempts=inv.attempts + 1,
        last_start_at=now,
        running_at=inv.running_at or now,
        last_attempt_deployment_id=dep["id"],
        modified_at=now,
    )
    journal = store.journal(inv.id, c)
    state = store.state(c, inv.service, inv.service_key or "") if inv.keyed else None
    if inv.attempts == 0:
        tx.fx.log(f"{inv.id} {inv.target}: running")
    manifest = store.service_manifest(inv.service)
    lazy = policy.lazy_state(manifest, inv.service, inv.handler)
    start = control.encode_start(
        raw_id=inv.raw_id,
        debug_id=inv.id,
        known_entries=len(journal),
        state_map=None if lazy or state is None else state,
        partial_state=lazy or state is None,
        key=inv.service_key or "",
        retry_count_since_last_stored_entry=inv.retries_since_stored,
        duration_since_last_stored_entry=max(0, now - (inv.last_stored_at or now)),
        random_seed=inv.random_seed,
    )
    parts = [encode_frame(T.START, start)]
    parts.extend(encode_frame(e.msg_type, e.payload) for e in journal)
    inv = replace(inv, epoch=inv.epoch + 1, in_flight=1)
    timeout = policy.abort_timeout(manifest, inv.service, inv.handler)
    http2 = dep["http_version"] == HTTP_2
    return Attempt(inv, b"".join(parts), dep["uri"], version, timeout, http2)


def _deployment_for(tx: Tx, inv: Inv) -> dict[str, Any] | None:
    if inv.pinned_deployment_id:
        return tx.store.deployment(inv.pinned_deployment_id)
    svc = tx.store.service(inv.service, tx.c)
    return tx.store.deployment(svc["deployment_id"]) if svc else None


async def request_response(client: Any, attempt: Attempt) -> Change:
    """Send one attempt and read the SDK's whole answer; returns the change to commit."""
    from restate_cli.embedded.protocol.deployment_client import AttemptFailed

    inv = attempt.inv
    try:
        result = await client.invoke(
            attempt.uri,
            inv.service,
            inv.handler,
            version=attempt.version,
            invocation_id=inv.id,
            key=inv.service_key if inv.keyed else None,
            body=attempt.body,
            timeout=attempt.timeout,
            http2=attempt.http2,
        )
    except AttemptFailed as e:
        error = AttemptError(500, e.message, e.code)
        return partial(
            failed, inv=inv, version=attempt.version, error=error, retry_after=e.retry_after, frames=e.frames
        )
    return partial(finished, inv=inv, version=attempt.version, frames=result.frames, server=result.server)


def current(tx: Tx, inv: Inv) -> Inv | None:
    """The invocation, if this attempt is still the live one."""
    live = tx.get(inv.id)
    if live is None or live.status != "invoked" or not live.in_flight or live.epoch != inv.epoch:
        return None
    return live


def finished(tx: Tx, *, inv: Inv, version: int, frames: list[Any], server: str | None) -> None:
    """The SDK answered the attempt: store its frames and act on how it ended."""
    live = current(tx, inv)
    if live is None:
        return
    if server:
        tx.store.update(tx.c, inv.id, last_attempt_server=server)
    apply_frames(tx, live, version, frames)


def failed(
    tx: Tx,
    *,
    inv: Inv,
    version: int,
    error: AttemptError,
    retry_after: float | None = None,
    frames: list[Any] | None = None,
) -> None:
    """A broken attempt: keep the commands the SDK did send (drain), then retry."""
    live = current(tx, inv)
    if live is None:
        return
    complete_frames = [f for f in frames or [] if is_command(f.type) or f.type == T.PROPOSE_RUN_COMPLETION]
    if complete_frames:
        apply_frames(tx, live, version, complete_frames, final=False)
        live = tx.get(inv.id)
        if live is None or live.status != "invoked":
            return
    override = int(retry_after * 1000) if retry_after else None
    retry(tx, live, error, override_ms=override)


def apply_frames(tx: Tx, inv: Inv, version: int, frames: list[Any], *, final: bool = True) -> None:
    """Store what one attempt produced, in order, and act on how it ended."""
    stored_command = False
    output: bytes | None = None  # the last Output command of these frames, once stored
    for frame in frames:
        t = frame.type
        try:
            if is_command(t) or t >= 0xFC00:
                if t == T.INPUT:
                    raise ProtocolViolation("the SDK sent an Input command")
                if not stored_command and not inv.pinned_deployment_id:
                    tx.store.update(
                        tx.c,
                        inv.id,
                        pinned_deployment_id=inv.last_attempt_deployment_id,
                        pinned_protocol_version=version,
                    )
                stored_command = True
                commands.apply(tx, inv, t, frame.payload)
                if t == T.OUTPUT:
                    output = frame.payload
            elif t == T.PROPOSE_RUN_COMPLETION:
                proposal = control.decode_propose_run_completion(frame.payload)
                notify(tx, inv.id, T.RUN_COMPLETION, control.run_completion_from_proposal(proposal))
            elif t == T.AWAITING_ON:
                continue
            elif t == T.END:
                end(tx, inv.id, output)
                return
            elif t == T.SUSPENSION:
                suspend(tx, inv.id, control.decode_suspension(frame.payload))
                return
            elif t == T.ERROR:
                sdk_error(tx, inv.id, control.decode_error(frame.payload))
                return
            else:
                raise ProtocolViolation(f"unexpected message type 0x{t:04X} from the SDK")
        except (ProtocolViolation, ValueError) as e:
            fresh = tx.get(inv.id)
            if fresh is not None:
                retry(tx, fresh, AttemptError(571, f"protocol violation: {e}", "RT0012"))
            return
    fresh = tx.get(inv.id)
    if final and fresh is not None:
        retry(
            tx,
            fresh,
            AttemptError(571, "the SDK closed the stream without End, Suspension or Error", "RT0012"),
        )


def end(tx: Tx, inv_id: str, stored: bytes | None = None) -> None:
    """End: complete with the journal's last Output (``stored``: the one just stored)."""
    output = cmds.decode_command(T.OUTPUT, stored) if stored is not None else None
    if output is None:
        for e in reversed(tx.store.journal(inv_id, tx.c)):
            if e.msg_type == T.OUTPUT:
                output = cmds.decode_command(T.OUTPUT, e.payload)
                break
    if output is None:
        inv = tx.get(inv_id)
        assert inv is not None
        retry(tx, inv, AttemptError(571, "the SDK ended without an Output command", "RT0012"))
        return
    result = Result(failure=output.failure) if output.failure else Result(value=output.value or b"")
    complete(tx, inv_id, result)


def suspend(tx: Tx, inv_id: str, suspension: Any) -> None:
    """Suspension: wait for what the SDK awaits, or run again at once if it is there."""
    inv = tx.get(inv_id)
    assert inv is not None
    if suspension.is_empty:
        retry(tx, inv, AttemptError(571, "the SDK suspended waiting for nothing", "RT0012"))
        return
    waiting: dict[str, Any] = {
        "completions": sorted(suspension.completion_ids),
        "signals": sorted(suspension.signal_indexes),
        "names": sorted(suspension.signal_names),
    }
    waiting["future"] = json.dumps(_future_json(waiting))
    if already_there(tx, inv_id, waiting):
        tx.store.update(tx.c, inv_id, in_flight=0, attempts=0, next_retry_at=None, modified_at=tx.now)
        tx.fx.run.append(inv_id)
        return
    tx.store.update(
        tx.c,
        inv_id,
        status="suspended",
        in_flight=0,
        attempts=0,
        next_retry_at=None,
        waiting=json.dumps(waiting),
        modified_at=tx.now,
        last_failure=None,
        last_failure_error_code=None,
    )
    tx.fx.log(f"{inv_id} {inv.target}: suspended")


def sdk_error(tx: Tx, inv_id: str, err: Any) -> None:
    """The SDK's Error message: fail, pause or retry, as its behavior says."""
    inv = tx.get(inv_id)
    assert inv is not None
    error = AttemptError(err.code, err.message, "RT0007", err.stacktrace)
    cmd_type = None
    if err.related_command_type is not None:
        from restate_cli.embedded.protocol.journal_view import entry_type_name

        cmd_type = entry_type_name(err.related_command_type).removeprefix("Command: ")
    tx.store.update(
        tx.c,
        inv_id,
        last_failure_command_index=err.related_command_index,
        last_failure_command_name=err.related_command_name or None,
        last_failure_command_type=cmd_type,
    )
    if err.behavior == control.ErrorBehavior.FAIL:
        complete(tx, inv_id, Result(failure=Failure(err.code, err.message)))
    elif err.behavior == control.ErrorBehavior.PAUSE:
        pause(tx, inv, error)
    else:
        retry(tx, inv, error, override_ms=err.next_retry_delay)


def _future_json(waiting: dict[str, Any]) -> dict[str, Any]:
    leaves = [{"Single": {"CompletionId": i}} for i in waiting["completions"]]
    leaves += [{"Single": {"SignalIndex": i}} for i in waiting["signals"]]
    leaves += [{"Single": {"SignalName": n}} for n in waiting["names"]]
    return {"Unknown": leaves}
