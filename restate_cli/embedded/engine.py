"""The invocation lifecycle: create, attempt, suspend, retry, complete, and the operations.

Every state change is one store transaction. Effects that must wait for the commit
(starting an attempt, answering a waiting ingress caller, waking the timer loop) are
collected in ``Effects`` and applied after it. A passive engine (the CLI mounting the
admin API in-process while no ``dev`` process runs) records the same durable changes but
starts no attempts and fires no timers; ``dev`` picks them up when it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

from restate_cli import ids
from restate_cli.embedded import policy
from restate_cli.embedded.errors import EngineError
from restate_cli.embedded.protocol import commands as cmds
from restate_cli.embedded.protocol import control
from restate_cli.embedded.protocol import notifications as notes
from restate_cli.embedded.protocol.awakeables import parse_awakeable_id
from restate_cli.embedded.protocol.framing import MessageType as T
from restate_cli.embedded.protocol.framing import encode_frame, is_command, is_notification
from restate_cli.embedded.protocol.results import Failure
from restate_cli.embedded.store import Conn, Inv, Store, now_ms

log = logging.getLogger("restate_cli.embedded")

CANCELED_PENDING = Failure(409, "canceled")
KILLED = Failure(409, "killed")
MAX_CONCURRENT_ATTEMPTS = 256


@dataclass(frozen=True)
class Result:
    """How an invocation ended: ``value`` on success, else ``failure``."""

    value: bytes | None = None
    failure: Failure | None = None


# An attempt ready to send: the invocation as marked in flight, the request body (Start,
# then the journal), the deployment's URI, the protocol version and the abort timeout.
Attempt = tuple[Inv, bytes, str, int, float]


@dataclass
class Effects:
    """Work to do once the transaction that caused it has committed."""

    run: list[str] = field(default_factory=list)
    abort: list[str] = field(default_factory=list)
    results: dict[str, Result] = field(default_factory=dict)
    timers: bool = False
    logs: list[str] = field(default_factory=list)
    started: dict[str, Attempt] = field(default_factory=dict)  # of ``run``: begun in the same transaction


@dataclass(frozen=True)
class AttemptError:
    """Why an attempt failed: an SDK error, a broken stream, a protocol violation."""

    code: int
    message: str
    doc_code: str | None = None  # restate's RT00xx code
    stacktrace: str = ""

    @property
    def text(self) -> str:
        """The invocation's ``last_failure``, as restate-server words it."""
        label = "500 Internal" if self.code == 500 else str(self.code)
        return f"[{label}] {self.message}" + (f"\n{self.stacktrace}" if self.stacktrace else "")

    def event(self) -> dict[str, Any]:
        """The failure as restate-server records it in ``sys_journal_events``."""
        return {
            "error_code": self.code,
            "error_message": self.message,
            "error_stacktrace": self.stacktrace,
            "restate_doc_error_code": self.doc_code,
        }


@dataclass(frozen=True)
class Target:
    service: str
    key: str | None
    handler: str
    service_ty: str
    handler_ty: str | None


class Engine:
    """One runtime over one store."""

    def __init__(self, store: Store, *, active: bool = True) -> None:
        self.store = store
        self.active = active
        self._waiting: dict[str, list[asyncio.Future[Result]]] = {}
        self._attempts: dict[str, asyncio.Task[None]] = {}
        self._rerun: set[str] = set()
        self._gate = asyncio.Semaphore(MAX_CONCURRENT_ATTEMPTS)
        self._timer_wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._client: Any = None
        self._stopping = False
        self.on_log: Callable[[str], None] | None = None

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        if not self.active:
            return
        from restate_cli.embedded.deployment_client import DeploymentClient

        self._client = DeploymentClient()
        self.store.checkpoint_in_background()
        interrupted = self.store.reset_in_flight()
        if interrupted:
            self._log(f"recovered {interrupted} interrupted attempt(s)")
        for inv_id in self.store.runnable():
            self._schedule(inv_id)
        self._tasks.append(asyncio.create_task(self._timer_loop(), name="timers"))

    async def stop(self) -> None:
        self._stopping = True
        for task in [*self._tasks, *self._attempts.values()]:
            task.cancel()
        for task in [*self._tasks, *self._attempts.values()]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._client is not None:
            await self._client.aclose()
        for futures in self._waiting.values():
            for f in futures:
                if not f.done():
                    f.cancel()

    def _apply(self, fx: Effects) -> None:
        for line in fx.logs:
            self._log(line)
        for inv_id in fx.abort:
            task = self._attempts.get(inv_id)
            if task is not None and task is not asyncio.current_task():
                del self._attempts[inv_id]
                task.cancel()
        for inv_id, result in fx.results.items():
            for fut in self._waiting.pop(inv_id, []):
                if not fut.done():
                    fut.set_result(result)
        if fx.timers:
            self._timer_wakeup.set()
        for inv_id in fx.run:
            attempt = fx.started.pop(inv_id, None)
            if attempt is not None and inv_id not in self._attempts:
                self._attempts[inv_id] = asyncio.create_task(self._attempt(inv_id, attempt), name=inv_id)
            else:
                self._schedule(inv_id)

    def _log(self, line: str) -> None:
        if self.on_log is not None:
            self.on_log(line)
        else:
            log.info(line)

    def _schedule(self, inv_id: str) -> None:
        if not self.active or self._stopping:
            return
        running = self._attempts.get(inv_id)
        if running is not None:
            if running is asyncio.current_task():
                self._rerun.add(inv_id)  # asked from inside its own attempt: run again after it
            return
        self._attempts[inv_id] = asyncio.create_task(self._attempt(inv_id), name=inv_id)

    def transact(self, work: Callable[[Conn, Effects], Any]) -> Any:
        """Run ``work`` in one transaction, then apply its effects.

        Attempts that the change makes due begin in the same transaction (marked in flight,
        their request built) when an attempt slot is free and no task has the invocation:
        one transaction per call fewer than beginning them in one of their own.
        """
        fx = Effects()
        with self.store.tx() as c:
            result = work(c, fx)
            if fx.run and self.active and not self._stopping:
                now = now_ms()
                for inv_id in fx.run:
                    if len(self._attempts) + len(fx.started) >= MAX_CONCURRENT_ATTEMPTS:
                        break
                    if inv_id in self._attempts or inv_id in fx.started:
                        continue
                    attempt = self._begin_in(c, fx, inv_id, now)
                    if attempt is not None:
                        fx.started[inv_id] = attempt
        self._apply(fx)
        return result

    # -- creating invocations --------------------------------------------------------

    def resolve_target(self, c: Conn | None, service: str, handler: str) -> Target:
        svc = self.store.service(service, c)
        if svc is None:
            raise EngineError(404, f"service '{service}' not found", kind="service")
        manifest = self.store.service_manifest(service)
        for h in manifest.get("handlers", []):
            if h["name"] == handler:
                return Target(service, None, handler, svc["ty"], policy.handler_kind(svc["ty"], h))
        raise EngineError(404, f"handler '{service}/{handler}' not found", kind="handler")

    def create(
        self,
        c: Conn,
        fx: Effects,
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
        now: int | None = None,
    ) -> Inv:
        """A new invocation with its Input entry; it runs now, later, or after its key frees."""
        now = now or now_ms()
        raw = _raw_id(target, idempotency_key)
        inv_id = ids.format_invocation_id(raw)
        manifest = self._service_manifest(target.service, c)
        retention = policy.retention(manifest, target.handler, keyed=idempotency_key is not None)
        inv = Inv(
            id=inv_id,
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
            journal_size=0,
            journal_commands_size=0,
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
        # The row starts with its Input entry counted (what append would have set).
        inv.journal_size = inv.journal_commands_size = 1
        self.store.insert(c, inv)
        self.store.add_entry(c, inv.id, 0, T.INPUT, cmds.encode_input(parameter, headers), now=now)
        if inv.status == "scheduled":
            self.store.add_timer(c, start_at, "start", inv.id)  # type: ignore[arg-type]
            fx.timers = True
            fx.logs.append(f"{inv.id} {inv.target}: scheduled")
        else:
            self._enqueue(c, fx, inv, now)
        return inv

    def _enqueue(self, c: Conn, fx: Effects, inv: Inv, now: int) -> None:
        """Run now, or wait in the key's inbox while another invocation holds it."""
        if inv.exclusive:
            holder = self.store.lock_holder(c, inv.service, inv.service_key or "")
            if holder is not None and holder != inv.id:
                seq = self.store.next_inbox_seq(c)
                self.store.update(c, inv.id, status="inboxed", inboxed_at=now, inbox_seq=seq, modified_at=now)
                inv.status = "inboxed"
                fx.logs.append(f"{inv.id} {inv.target}: pending (key held by {holder})")
                return
            if holder is None:
                self.store.lock(c, inv.service, inv.service_key or "", inv.id)
        if (inv.status, inv.modified_at, inv.inboxed_at, inv.inbox_seq) != ("invoked", now, None, None):
            self.store.update(c, inv.id, status="invoked", modified_at=now, inboxed_at=None, inbox_seq=None)
            inv.status = "invoked"
        fx.run.append(inv.id)

    # -- attempts --------------------------------------------------------------------

    async def _attempt(self, inv_id: str, begun: Attempt | None = None) -> None:
        try:
            async with self._gate:
                prepared = begun or self._begin(inv_id)
                if prepared is None:
                    return
                inv, body, uri, version, timeout = prepared
                await self._send(inv, body, uri, version, timeout)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("attempt of %s failed unexpectedly", inv_id)
        finally:
            if self._attempts.get(inv_id) is asyncio.current_task():
                del self._attempts[inv_id]
                if inv_id in self._rerun:
                    self._rerun.discard(inv_id)
                    self._schedule(inv_id)

    def _begin(self, inv_id: str) -> Attempt | None:
        """Mark an attempt in flight and build its request, in a transaction of its own."""
        fx = Effects()
        with self.store.tx() as c:
            attempt = self._begin_in(c, fx, inv_id, now_ms())
        self._apply(fx)
        return attempt

    def _begin_in(self, c: Conn, fx: Effects, inv_id: str, now: int) -> Attempt | None:
        """Mark an attempt in flight and build its request body (Start, then the journal)."""
        from restate_cli.embedded.deployment_client import pick_protocol_version

        inv = self.store.get(inv_id, c)
        if inv is None or inv.status != "invoked" or inv.in_flight or inv.next_retry_at:
            return None
        dep = self._deployment_for(c, inv)
        if dep is None:
            error = AttemptError(404, f"no deployment serves '{inv.service}' any more", "RT0013")
            self._retry(c, fx, inv, now, error)
            return None
        version = inv.pinned_protocol_version or pick_protocol_version(
            SimpleNamespace(
                min_protocol_version=dep["min_protocol_version"],
                max_protocol_version=dep["max_protocol_version"],
            )
        )
        self.store.update(
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
        journal = self.store.journal(inv.id, c)
        state = self.store.state(c, inv.service, inv.service_key or "") if inv.keyed else None
        if inv.attempts == 0:
            fx.logs.append(f"{inv.id} {inv.target}: running")
        manifest = self._service_manifest(inv.service)
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
        return inv, b"".join(parts), dep["uri"], version, timeout

    def _service_manifest(self, service: str, c: Conn | None = None) -> dict[str, Any]:
        return self.store.service_manifest(service)

    def _deployment_for(self, c: Conn, inv: Inv) -> dict[str, Any] | None:
        if inv.pinned_deployment_id:
            return self.store.deployment(inv.pinned_deployment_id)
        svc = self.store.service(inv.service, c)
        return self.store.deployment(svc["deployment_id"]) if svc else None

    async def _send(self, inv: Inv, body: bytes, uri: str, version: int, timeout: float) -> None:
        from restate_cli.embedded.deployment_client import AttemptFailed

        try:
            result = await self._client.invoke(
                uri,
                inv.service,
                inv.handler,
                version=version,
                invocation_id=inv.id,
                key=inv.service_key if inv.keyed else None,
                body=body,
                timeout=timeout,
            )
        except AttemptFailed as e:
            error = AttemptError(500, e.message, e.code)
            self._fail_attempt(inv, version, error, retry_after=e.retry_after, frames=e.frames)
            return
        self._finish_attempt(inv, version, result.frames, result.server)

    def _fail_attempt(
        self,
        inv: Inv,
        version: int,
        error: AttemptError,
        *,
        retry_after: float | None = None,
        frames: list[Any] | None = None,
    ) -> None:
        """A broken attempt: keep the commands the SDK did send (drain), then retry."""

        def work(c: Conn, fx: Effects) -> None:
            current = self._current(c, inv)
            if current is None:
                return
            now = now_ms()
            complete = [f for f in frames or [] if is_command(f.type) or f.type == T.PROPOSE_RUN_COMPLETION]
            if complete:
                self._apply_frames(c, fx, current, version, complete, now, final=False)
                current = self.store.get(inv.id, c)
                if current is None or current.status != "invoked":
                    return
            override = int(retry_after * 1000) if retry_after else None
            self._retry(c, fx, current, now, error, override_ms=override)

        self.transact(work)

    def _current(self, c: Conn, inv: Inv) -> Inv | None:
        """The invocation, if this attempt is still the live one."""
        current = self.store.get(inv.id, c)
        if (
            current is None
            or current.status != "invoked"
            or not current.in_flight
            or current.epoch != inv.epoch
        ):
            return None
        return current

    def _finish_attempt(self, inv: Inv, version: int, frames: list[Any], server: str | None) -> None:
        def work(c: Conn, fx: Effects) -> None:
            current = self._current(c, inv)
            if current is None:
                return
            now = now_ms()
            if server:
                self.store.update(c, inv.id, last_attempt_server=server)
            self._apply_frames(c, fx, current, version, frames, now)

        self.transact(work)

    def _apply_frames(
        self,
        c: Conn,
        fx: Effects,
        inv: Inv,
        version: int,
        frames: list[Any],
        now: int,
        *,
        final: bool = True,
    ) -> None:
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
                        self.store.update(
                            c,
                            inv.id,
                            pinned_deployment_id=inv.last_attempt_deployment_id,
                            pinned_protocol_version=version,
                        )
                    stored_command = True
                    self._command(c, fx, inv, t, frame.payload, now)
                    if t == T.OUTPUT:
                        output = frame.payload
                elif t == T.PROPOSE_RUN_COMPLETION:
                    proposal = control.decode_propose_run_completion(frame.payload)
                    self._notify(
                        c,
                        fx,
                        inv.id,
                        T.RUN_COMPLETION,
                        control.run_completion_from_proposal(proposal),
                        now,
                    )
                elif t == T.AWAITING_ON:
                    continue
                elif t == T.END:
                    self._end(c, fx, inv.id, now, output)
                    return
                elif t == T.SUSPENSION:
                    self._suspend(c, fx, inv.id, control.decode_suspension(frame.payload), now)
                    return
                elif t == T.ERROR:
                    err = control.decode_error(frame.payload)
                    self._sdk_error(c, fx, inv.id, err, now)
                    return
                else:
                    raise ProtocolViolation(f"unexpected message type 0x{t:04X} from the SDK")
            except (ProtocolViolation, ValueError) as e:
                fresh = self.store.get(inv.id, c)
                if fresh is not None:
                    self._retry(c, fx, fresh, now, AttemptError(571, f"protocol violation: {e}", "RT0012"))
                return
        fresh = self.store.get(inv.id, c)
        if final and fresh is not None:
            closed = AttemptError(571, "the SDK closed the stream without End, Suspension or Error", "RT0012")
            self._retry(c, fx, fresh, now, closed)

    # -- commands --------------------------------------------------------------------

    def _command(self, c: Conn, fx: Effects, inv: Inv, t: int, payload: bytes, now: int) -> None:
        """Store one command and apply its effect, with the notifications it produces."""
        if t >= 0xFC00:
            self.store.append(c, inv.id, t, payload, command=True, now=now)
            return
        cmd = cmds.decode_command(t, payload)
        extra: dict[str, Any] | None = None
        if isinstance(cmd, cmds.CallCommand | cmds.OneWayCallCommand):
            child = self._spawn(c, fx, inv, cmd, now)
            extra = {
                "invocation_id": child.id,
                "service_type": child.service_ty.upper(),
                "handler_type": (child.handler_ty or "").upper() or None,
            }
            self.store.append(c, inv.id, t, payload, command=True, now=now, extra=extra)
            self._notify(
                c,
                fx,
                inv.id,
                T.CALL_INVOCATION_ID_COMPLETION,
                notes.encode_call_invocation_id_completion(cmd.invocation_id_notification_idx, child.id),
                now,
            )
            if isinstance(cmd, cmds.CallCommand):
                self._await_result(c, fx, inv.id, child.id, cmd.result_completion_id, "call", now)
            return
        self._check_command(inv, cmd)
        self.store.append(c, inv.id, t, payload, command=True, now=now)
        key = inv.service_key or ""
        if isinstance(cmd, cmds.SetStateCommand):
            self.store.state_set(c, inv.service, key, _b(cmd.key), cmd.value)
        elif isinstance(cmd, cmds.ClearStateCommand):
            self.store.state_clear(c, inv.service, key, _b(cmd.key))
        elif isinstance(cmd, cmds.ClearAllStateCommand):
            self.store.state_clear(c, inv.service, key)
        elif isinstance(cmd, cmds.GetLazyStateCommand):
            value = self.store.state_get(c, inv.service, key, _b(cmd.key))
            self._notify(
                c,
                fx,
                inv.id,
                T.GET_LAZY_STATE_COMPLETION,
                notes.encode_get_lazy_state_completion(cmd.result_completion_id, value),
                now,
            )
        elif isinstance(cmd, cmds.GetLazyStateKeysCommand):
            keys = [k for k, _ in self.store.state(c, inv.service, key)]
            self._notify(
                c,
                fx,
                inv.id,
                T.GET_LAZY_STATE_KEYS_COMPLETION,
                notes.encode_get_lazy_state_keys_completion(cmd.result_completion_id, keys),
                now,
            )
        elif isinstance(cmd, cmds.SleepCommand):
            self.store.add_timer(c, cmd.wake_up_time, "sleep", inv.id, cmd.result_completion_id)
            fx.timers = True
        elif isinstance(cmd, cmds.SendSignalCommand):
            self._signal(c, fx, cmd, now)
        elif isinstance(cmd, cmds.CompleteAwakeableCommand):
            self.resolve_awakeable(c, fx, cmd.awakeable_id, cmd.value, cmd.failure, now)
        elif isinstance(cmd, cmds.GetPromiseCommand):
            promise = self.store.promise(c, inv.service, key, cmd.key)
            if promise and promise[0]:
                self._notify(
                    c,
                    fx,
                    inv.id,
                    T.GET_PROMISE_COMPLETION,
                    notes.encode_get_promise_completion(cmd.result_completion_id, **_outcome(promise)),
                    now,
                )
            else:
                self.store.add_promise_waiter(c, inv.service, key, cmd.key, inv.id, cmd.result_completion_id)
        elif isinstance(cmd, cmds.PeekPromiseCommand):
            promise = self.store.promise(c, inv.service, key, cmd.key)
            kw = _outcome(promise) if promise and promise[0] else {}
            self._notify(
                c,
                fx,
                inv.id,
                T.PEEK_PROMISE_COMPLETION,
                notes.encode_peek_promise_completion(cmd.result_completion_id, **kw),
                now,
            )
        elif isinstance(cmd, cmds.CompletePromiseCommand):
            failure = (cmd.failure.code, cmd.failure.message) if cmd.failure else None
            value = None if cmd.failure else (cmd.value or b"")
            done = self.store.complete_promise(c, inv.service, key, cmd.key, value, failure)
            if done:
                outcome = {"value": value} if failure is None else {"failure": cmd.failure}
                for waiter, cid in self.store.take_promise_waiters(c, inv.service, key, cmd.key):
                    self._notify(
                        c,
                        fx,
                        waiter,
                        T.GET_PROMISE_COMPLETION,
                        notes.encode_get_promise_completion(cid, **outcome),
                        now,
                    )
            result = None if done else Failure(409, "promise was already completed")
            self._notify(
                c,
                fx,
                inv.id,
                T.COMPLETE_PROMISE_COMPLETION,
                notes.encode_complete_promise_completion(cmd.result_completion_id, result),
                now,
            )
        elif isinstance(cmd, cmds.AttachInvocationCommand | cmds.GetInvocationOutputCommand):
            self._attach_command(c, fx, inv, cmd, now)

    def _check_command(self, inv: Inv, cmd: Any) -> None:
        state_cmds = (
            cmds.SetStateCommand,
            cmds.ClearStateCommand,
            cmds.ClearAllStateCommand,
            cmds.GetLazyStateCommand,
            cmds.GetLazyStateKeysCommand,
        )
        if isinstance(cmd, state_cmds) and not inv.keyed:
            raise ProtocolViolation("state access from a plain service")
        promise_cmds = (
            cmds.GetPromiseCommand,
            cmds.PeekPromiseCommand,
            cmds.CompletePromiseCommand,
        )
        if isinstance(cmd, promise_cmds) and inv.service_ty != "workflow":
            raise ProtocolViolation("promises exist only in workflows")
        if isinstance(cmd, state_cmds[:3]) and inv.handler_ty == "shared":
            raise ProtocolViolation("a shared handler cannot change state")

    def _spawn(self, c: Conn, fx: Effects, parent: Inv, cmd: Any, now: int) -> Inv:
        """The child of a Call or OneWayCall (an existing one for an idempotency key)."""
        try:
            target = self.resolve_target(c, cmd.service, cmd.handler)
        except EngineError as e:
            raise ProtocolViolation(f"call to an unknown target: {e.message}") from None
        if target.service_ty != "service":
            if not cmd.key and target.service_ty == "virtual_object":
                raise ProtocolViolation(f"call to virtual object {cmd.service} without a key")
            target = replace(target, key=cmd.key)
        if cmd.idempotency_key == "":
            raise ProtocolViolation("empty idempotency key")
        existing = self._existing(c, target, cmd.idempotency_key)
        if existing is not None:
            return existing
        start_at = getattr(cmd, "invoke_time", 0) or None
        child = self.create(
            c,
            fx,
            target,
            parameter=cmd.parameter,
            headers=list(cmd.headers),
            invoked_by="service",
            idempotency_key=cmd.idempotency_key,
            start_at=start_at,
            caller=parent,
            now=now,
        )
        fx.logs.append(f"{child.id} {child.target}: created by {parent.id}")
        return child

    def _existing(self, c: Conn, target: Target, idempotency_key: str | None) -> Inv | None:
        if target.handler_ty == "workflow":
            found = self.store.get(ids.format_invocation_id(_raw_id(target, None)), c)
            if found is not None:
                return found
        if idempotency_key:
            return self.store.find_idempotent(c, target.service, target.key, target.handler, idempotency_key)
        return None

    def _await_result(
        self, c: Conn, fx: Effects, waiter: str, target_id: str, cid: int, kind: str, now: int
    ) -> None:
        """Deliver ``target_id``'s result to ``waiter`` now if it has one, else when it ends."""
        target = self.store.get(target_id, c)
        if target is None:
            self._notify(
                c,
                fx,
                waiter,
                _completion_type(kind),
                _completion_payload(kind, cid, Result(failure=Failure(404, "invocation not found"))),
                now,
            )
        elif target.status == "completed":
            self._notify(
                c,
                fx,
                waiter,
                _completion_type(kind),
                _completion_payload(kind, cid, _result_of(target)),
                now,
            )
        else:
            self.store.add_waiter(c, target_id, waiter, cid, kind)

    def _attach_command(self, c: Conn, fx: Effects, inv: Inv, cmd: Any, now: int) -> None:
        target_id = self._attach_target_id(c, cmd.target)
        if isinstance(cmd, cmds.AttachInvocationCommand):
            if target_id is None:
                self._notify(
                    c,
                    fx,
                    inv.id,
                    T.ATTACH_INVOCATION_COMPLETION,
                    notes.encode_attach_invocation_completion(
                        cmd.result_completion_id, failure=Failure(404, "invocation not found")
                    ),
                    now,
                )
            else:
                self._await_result(c, fx, inv.id, target_id, cmd.result_completion_id, "attach", now)
            return
        target = self.store.get(target_id, c) if target_id else None
        kw: dict[str, Any] = {}
        if target is not None and target.status == "completed":
            r = _result_of(target)
            kw = {"value": r.value} if r.failure is None else {"failure": r.failure}
        self._notify(
            c,
            fx,
            inv.id,
            T.GET_INVOCATION_OUTPUT_COMPLETION,
            notes.encode_get_invocation_output_completion(cmd.result_completion_id, **kw),
            now,
        )

    def _attach_target_id(self, c: Conn, target: Any) -> str | None:
        if isinstance(target, cmds.InvocationIdTarget):
            return target.invocation_id if ids.is_valid(target.invocation_id, "inv") else None
        if isinstance(target, cmds.WorkflowTarget):
            t = Target(target.name, target.key, "run", "workflow", "workflow")
            return ids.format_invocation_id(_raw_id(t, None))
        found = self.store.find_idempotent(
            c, target.service, target.key, target.handler, target.idempotency_key
        )
        return found.id if found else None

    def _signal(self, c: Conn, fx: Effects, cmd: Any, now: int) -> None:
        if not ids.is_valid(cmd.target_invocation_id, "inv"):
            raise ProtocolViolation(f"invalid invocation id {cmd.target_invocation_id!r} in SendSignal")
        if cmd.signal_index == notes.CANCEL_SIGNAL:
            with contextlib.suppress(EngineError):
                self._cancel(c, fx, cmd.target_invocation_id, now)
            return
        payload = notes.encode_signal_notification(
            index=cmd.signal_index, name=cmd.signal_name, value=cmd.value, failure=cmd.failure
        )
        self._notify(c, fx, cmd.target_invocation_id, T.SIGNAL_NOTIFICATION, payload, now)

    def resolve_awakeable(
        self,
        c: Conn,
        fx: Effects,
        awakeable_id: str,
        value: bytes | None,
        failure: Failure | None,
        now: int,
    ) -> None:
        try:
            raw, index = parse_awakeable_id(awakeable_id)
            owner = ids.format_invocation_id(raw)
        except ValueError:
            raise EngineError(400, f"invalid awakeable id {awakeable_id!r}", kind="ingress") from None
        payload = notes.encode_signal_notification(
            index=index, value=None if failure else (value or b""), failure=failure
        )
        self._notify(c, fx, owner, T.SIGNAL_NOTIFICATION, payload, now)

    # -- notifications and waking ----------------------------------------------------

    def _notify(self, c: Conn, fx: Effects, inv_id: str, t: int, payload: bytes, now: int) -> None:
        """Append a notification; wake the invocation if it is suspended waiting for it."""
        inv = self.store.get(inv_id, c)
        if inv is None or inv.status == "completed":
            return
        self.store.append(c, inv_id, t, payload, command=False, now=now)
        if inv.status == "suspended" and _wakes(inv.waiting, t, payload):
            self._wake(c, fx, inv, now)

    def _wake(self, c: Conn, fx: Effects, inv: Inv, now: int) -> None:
        if self.store.move(
            c,
            inv.id,
            ("suspended", "paused"),
            status="invoked",
            waiting=None,
            attempts=0,
            next_retry_at=None,
            modified_at=now,
        ):
            fx.run.append(inv.id)

    def _suspend(self, c: Conn, fx: Effects, inv_id: str, suspension: Any, now: int) -> None:
        inv = self.store.get(inv_id, c)
        assert inv is not None
        if suspension.is_empty:
            self._retry(c, fx, inv, now, AttemptError(571, "the SDK suspended waiting for nothing", "RT0012"))
            return
        waiting = {
            "completions": sorted(suspension.completion_ids),
            "signals": sorted(suspension.signal_indexes),
            "names": sorted(suspension.signal_names),
        }
        waiting["future"] = json.dumps(_future_json(waiting))
        if self._already_there(c, inv_id, waiting):
            self.store.update(c, inv_id, in_flight=0, attempts=0, next_retry_at=None, modified_at=now)
            fx.run.append(inv_id)
            return
        self.store.update(
            c,
            inv_id,
            status="suspended",
            in_flight=0,
            attempts=0,
            next_retry_at=None,
            waiting=json.dumps(waiting),
            modified_at=now,
            last_failure=None,
            last_failure_error_code=None,
        )
        fx.logs.append(f"{inv_id} {inv.target}: suspended")

    def _already_there(self, c: Conn, inv_id: str, waiting: dict[str, Any]) -> bool:
        text = json.dumps(waiting)
        return any(
            _wakes(text, e.msg_type, e.payload)
            for e in self.store.journal(inv_id, c)
            if is_notification(e.msg_type)
        )

    # -- ends ------------------------------------------------------------------------

    def _end(self, c: Conn, fx: Effects, inv_id: str, now: int, stored: bytes | None = None) -> None:
        """End: complete with the journal's last Output (``stored``: the one just stored)."""
        output = cmds.decode_command(T.OUTPUT, stored) if stored is not None else None
        if output is None:
            for e in reversed(self.store.journal(inv_id, c)):
                if e.msg_type == T.OUTPUT:
                    output = cmds.decode_command(T.OUTPUT, e.payload)
                    break
        if output is None:
            inv = self.store.get(inv_id, c)
            assert inv is not None
            self._retry(
                c, fx, inv, now, AttemptError(571, "the SDK ended without an Output command", "RT0012")
            )
            return
        result = Result(failure=output.failure) if output.failure else Result(value=output.value or b"")
        self._complete(c, fx, inv_id, result, now)

    def _complete(self, c: Conn, fx: Effects, inv_id: str, result: Result, now: int) -> None:
        """Finish an invocation: store the result, answer its waiters, free its key."""
        inv = self.store.get(inv_id, c)
        if inv is None or inv.status == "completed":
            return
        failure = result.failure
        keep = max(inv.completion_retention, inv.journal_retention)
        self.store.update(
            c,
            inv_id,
            status="completed",
            in_flight=0,
            waiting=None,
            next_retry_at=None,
            completion_result="failure" if failure else "success",
            completion_failure=f"[{failure.code}] {failure.message}" if failure else None,
            output=None if failure else (result.value or b""),
            failure_code=failure.code if failure else None,
            failure_message=failure.message if failure else None,
            completed_at=now,
            modified_at=now,
            expires_at=now + keep,
            last_failure=None,
            last_failure_error_code=None,
            attempts=0,
            inbox_seq=None,
        )
        self.store.delete_timers(c, inv_id)
        self.store.add_timer(c, now + keep, "expire", inv_id)  # retention: forget it then
        fx.timers = True
        for waiter, cid, kind in self.store.take_waiters(c, inv_id):
            self._notify(c, fx, waiter, _completion_type(kind), _completion_payload(kind, cid, result), now)
        if inv.exclusive:
            self._release(c, fx, inv, now)
        if inv.journal_retention == 0:
            self.store.truncate_journal(c, inv_id)
        fx.results[inv_id] = result
        fx.abort.append(inv_id)
        word = f"failed with [{failure.code}] {failure.message}" if failure else "completed"
        fx.logs.append(f"{inv_id} {inv.target}: {word}")
        if keep == 0:
            self.store.delete_invocation(c, inv_id)

    def _release(self, c: Conn, fx: Effects, inv: Inv, now: int) -> None:
        key = inv.service_key or ""
        if not self.store.unlock(c, inv.service, key, inv.id):
            return
        nxt = self.store.inbox_head(c, inv.service, key)
        from restate_cli.embedded.state_mutations import apply_queued

        apply_queued(self.store, c, inv.service, key, self.store.inbox_seq_of(c, nxt) if nxt else None)
        if nxt is not None:
            self.store.lock(c, inv.service, key, nxt)
            self.store.update(c, nxt, status="invoked", inboxed_at=None, inbox_seq=None, modified_at=now)
            fx.run.append(nxt)

    def _remove_queued(self, c: Conn, fx: Effects, inv: Inv, failure: Failure, now: int) -> None:
        """Drop a pending or scheduled invocation at once; its callers get ``failure``."""
        for waiter, cid, kind in self.store.take_waiters(c, inv.id):
            self._notify(
                c,
                fx,
                waiter,
                _completion_type(kind),
                _completion_payload(kind, cid, Result(failure=failure)),
                now,
            )
        self.store.delete_invocation(c, inv.id)
        fx.results[inv.id] = Result(failure=failure)
        fx.logs.append(f"{inv.id} {inv.target}: removed ({failure.message})")

    # -- failures and retries ----------------------------------------------------------

    def _sdk_error(self, c: Conn, fx: Effects, inv_id: str, err: Any, now: int) -> None:
        inv = self.store.get(inv_id, c)
        assert inv is not None
        error = AttemptError(err.code, err.message, "RT0007", err.stacktrace)
        cmd_type = None
        if err.related_command_type is not None:
            from restate_cli.embedded.protocol.journal_view import entry_type_name

            cmd_type = entry_type_name(err.related_command_type).removeprefix("Command: ")
        self.store.update(
            c,
            inv_id,
            last_failure_command_index=err.related_command_index,
            last_failure_command_name=err.related_command_name or None,
            last_failure_command_type=cmd_type,
        )
        if err.behavior == control.ErrorBehavior.FAIL:
            self._complete(c, fx, inv_id, Result(failure=Failure(err.code, err.message)), now)
            return
        if err.behavior == control.ErrorBehavior.PAUSE:
            self._pause(c, fx, inv, now, error)
            return
        self._retry(c, fx, inv, now, error, override_ms=err.next_retry_delay)

    def _retry(
        self,
        c: Conn,
        fx: Effects,
        inv: Inv,
        now: int,
        error: AttemptError,
        *,
        override_ms: int | None = None,
    ) -> None:
        """A failed attempt: back off and try again, or pause/kill when the policy runs out."""
        manifest = self._service_manifest(inv.service, c)
        rp = policy.retry_policy(manifest, inv.service, inv.handler)
        attempts = max(inv.attempts, 1)
        base = dict(
            in_flight=0,
            last_failure=error.text,
            last_failure_error_code=error.doc_code,
            retries_since_stored=inv.retries_since_stored + 1,
            modified_at=now,
        )
        if rp.max_attempts is not None and attempts >= rp.max_attempts:
            if rp.on_max_attempts == "kill":
                self.store.update(c, inv.id, **base)
                self._complete(c, fx, inv.id, Result(failure=Failure(error.code, error.message)), now)
                return
            self.store.update(c, inv.id, **base)
            self._pause(c, fx, inv, now, error)
            return
        delay = override_ms if override_ms is not None else rp.delay_ms(attempts)
        due = now + delay
        self.store.update(c, inv.id, next_retry_at=due, **base)
        self.store.delete_timers(c, inv.id, "retry")
        self.store.add_timer(c, due, "retry", inv.id)
        self.store.event(
            c,
            inv.id,
            max(inv.journal_size - 1, 0),
            now,
            "TransientError",
            error.event(),
        )
        fx.timers = True
        fx.logs.append(
            f"{inv.id} {inv.target}: backing-off ([{error.code}] {error.message}), retry in {delay} ms"
        )

    def _pause(self, c: Conn, fx: Effects, inv: Inv, now: int, error: AttemptError | None) -> None:
        """Stop retrying; ``error`` is what made the retry policy give up (None: paused by API)."""
        self.store.update(c, inv.id, status="paused", in_flight=0, next_retry_at=None, modified_at=now)
        self.store.delete_timers(c, inv.id, "retry")
        body = {"last_failure": error.event()} if error else {}
        self.store.event(c, inv.id, max(inv.journal_size - 1, 0), now, "Paused", body)
        fx.abort.append(inv.id)
        fx.logs.append(f"{inv.id} {inv.target}: paused")

    # -- timers ----------------------------------------------------------------------

    async def _timer_loop(self) -> None:
        while True:
            self._timer_wakeup.clear()
            due = self.store.next_timer_due()
            now = now_ms()
            if due is not None and due <= now:
                self._fire_timers(now)
                continue
            timeout = None if due is None else (due - now) / 1000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timer_wakeup.wait(), timeout)

    def _fire_timers(self, now: int) -> None:
        for timer_id, _due, kind, inv_id, cid in self.store.due_timers(now):

            def work(
                c: Conn,
                fx: Effects,
                timer_id: int = timer_id,
                kind: str = kind,
                inv_id: str = inv_id,
                cid: int | None = cid,
            ) -> None:
                if not self.store.delete_timer(c, timer_id):
                    return
                if kind == "sleep" and cid is not None:
                    self._notify(c, fx, inv_id, T.SLEEP_COMPLETION, notes.encode_sleep_completion(cid), now)
                elif kind == "start":
                    inv = self.store.get(inv_id, c)
                    if inv is not None and inv.status == "scheduled":
                        self._enqueue(c, fx, inv, now)
                elif kind == "retry" and self.store.move(c, inv_id, ("invoked",), next_retry_at=None):
                    fx.run.append(inv_id)
                elif kind == "expire":
                    inv = self.store.get(inv_id, c)
                    if inv is not None and inv.status == "completed":
                        self.store.delete_invocation(c, inv_id)

            self.transact(work)

    # -- waiting for results (ingress) -------------------------------------------------

    def result_of(self, inv_id: str) -> Result | None:
        inv = self.store.get(inv_id)
        if inv is None or inv.status != "completed":
            return None
        return _result_of(inv)

    async def wait_result(self, inv_id: str) -> Result:
        fut: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        waiting = self._waiting.setdefault(inv_id, [])
        waiting.append(fut)
        result = self.result_of(inv_id)  # completed already: answer at once
        if result is not None:
            waiting.remove(fut)
            if not waiting:
                del self._waiting[inv_id]
            return result
        return await fut

    # -- operations (admin API) --------------------------------------------------------

    def _get_or_404(self, c: Conn, inv_id: str) -> Inv:
        inv = self.store.get(inv_id, c)
        if inv is None:
            raise EngineError(404, f"The requested invocation '{inv_id}' does not exist")
        return inv

    def cancel(self, inv_id: str) -> int:
        return self.transact(lambda c, fx: self._cancel(c, fx, inv_id, now_ms()))

    def _cancel(self, c: Conn, fx: Effects, inv_id: str, now: int) -> int:
        inv = self._get_or_404(c, inv_id)
        if inv.status == "completed":
            raise EngineError(409, f"The invocation '{inv_id}' was already completed.")
        if inv.status in ("inboxed", "scheduled"):
            self._remove_queued(c, fx, inv, CANCELED_PENDING, now)
            return 200
        self.store.append(
            c,
            inv_id,
            T.SIGNAL_NOTIFICATION,
            notes.encode_signal_notification(index=notes.CANCEL_SIGNAL),
            command=False,
            now=now,
        )
        if inv.status in ("suspended", "paused"):
            self._wake(c, fx, inv, now)
        fx.logs.append(f"{inv_id} {inv.target}: cancel requested")
        return 202

    def kill(self, inv_id: str) -> int:
        return self.transact(lambda c, fx: self._kill(c, fx, inv_id, now_ms()))

    def _kill(self, c: Conn, fx: Effects, inv_id: str, now: int) -> int:
        inv = self._get_or_404(c, inv_id)
        if inv.status == "completed":
            raise EngineError(409, f"The invocation '{inv_id}' was already completed.")
        if inv.status in ("inboxed", "scheduled"):
            self._remove_queued(c, fx, inv, KILLED, now)
            return 200
        children = self.store.awaited_children(c, inv_id)
        self._complete(c, fx, inv_id, Result(failure=KILLED), now)
        for child in children:
            with contextlib.suppress(EngineError):
                self._kill(c, fx, child, now)
        return 200

    def purge(self, inv_id: str) -> int:
        def work(c: Conn, fx: Effects) -> int:
            inv = self._get_or_404(c, inv_id)
            if inv.status != "completed":
                raise EngineError(409, f"The invocation '{inv_id}' is not yet completed.")
            self.store.delete_invocation(c, inv_id)
            if inv.service_ty == "workflow" and inv.handler_ty == "workflow":
                self.store.delete_promises(c, inv.service, inv.service_key or "")
            fx.logs.append(f"{inv_id} {inv.target}: purged")
            return 200

        return self.transact(work)

    def purge_journal(self, inv_id: str) -> int:
        def work(c: Conn, fx: Effects) -> int:
            inv = self._get_or_404(c, inv_id)
            if inv.status != "completed":
                raise EngineError(409, f"The invocation '{inv_id}' is not yet completed.")
            self.store.truncate_journal(c, inv_id)
            return 200

        return self.transact(work)

    def pause(self, inv_id: str) -> int:
        def work(c: Conn, fx: Effects) -> int:
            inv = self._get_or_404(c, inv_id)
            if inv.status in ("inboxed", "scheduled", "completed"):
                raise EngineError(409, f"The invocation '{inv_id}' is not running, cannot be paused.")
            if inv.status in ("paused", "suspended"):
                return 200
            self._pause(c, fx, inv, now_ms(), None)
            return 202

        return self.transact(work)

    def resume(self, inv_id: str, deployment: str | None = None) -> int:
        def work(c: Conn, fx: Effects) -> int:
            now = now_ms()
            inv = self._get_or_404(c, inv_id)
            if inv.status in ("inboxed", "scheduled"):
                raise EngineError(
                    425,
                    f"The invocation '{inv_id}' is either inboxed or scheduled, cannot be resumed.",
                )
            if inv.status == "completed":
                raise EngineError(409, f"The invocation '{inv_id}' is completed, cannot be resumed.")
            if deployment is not None:
                self._repin(c, inv, deployment)
            if inv.status in ("paused", "suspended"):
                self._wake(c, fx, inv, now)
            elif inv.status == "invoked" and not inv.in_flight and inv.next_retry_at:
                self.store.delete_timers(c, inv_id, "retry")
                self.store.update(c, inv_id, next_retry_at=None, modified_at=now)
                fx.run.append(inv_id)
            fx.logs.append(f"{inv_id} {inv.target}: resumed")
            return 200

        return self.transact(work)

    def _repin(self, c: Conn, inv: Inv, deployment: str) -> None:
        if deployment.lower() == "keep":
            return
        if deployment.lower() == "latest":
            svc = self.store.service(inv.service, c)
            if svc is not None and inv.pinned_deployment_id:
                self.store.update(c, inv.id, pinned_deployment_id=svc["deployment_id"])
            return
        try:
            ids.check(deployment, "dp")
        except ids.IdError as e:
            raise EngineError(400, f"The query parameter 'deployment' is invalid. Reason: {e}") from None
        if inv.in_flight or not inv.pinned_deployment_id:
            raise EngineError(
                409,
                f"The invocation '{inv.id}' is still running or the deployment id is not pinned yet, "
                "deployment id cannot be changed.",
            )
        if self.store.deployment(deployment) is None:
            raise EngineError(404, f"The requested deployment '{deployment}' does not exist")
        self.store.update(c, inv.id, pinned_deployment_id=deployment)

    def restart_as_new(self, inv_id: str, upto: int | None = None, deployment: str | None = None) -> str:
        def work(c: Conn, fx: Effects) -> str:
            now = now_ms()
            inv = self._get_or_404(c, inv_id)
            if inv.status in ("inboxed", "scheduled"):
                raise EngineError(
                    425,
                    f"The invocation '{inv_id}' cannot be restarted because it's not running yet.",
                )
            if inv.status != "completed":
                raise EngineError(409, f"The invocation '{inv_id}' is still running.")
            if inv.service_ty == "workflow":
                raise EngineError(
                    422,
                    f"Restarting the invocation '{inv_id}' is not supported. Restarting workflows is not "
                    "supported, and restarting invocations created using the old service protocol.",
                )
            journal = self.store.journal(inv_id, c)
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
            new = self.create(
                c,
                fx,
                target,
                parameter=original.value,
                headers=list(original.headers),
                invoked_by="restart_as_new",
                restarted_from=inv_id,
                now=now,
            )
            if last > 0:
                self.store.truncate_journal(c, new.id)
                size, commands = self.store.copy_journal(c, inv_id, new.id, last, now)
                self.store.update(
                    c,
                    new.id,
                    journal_size=size,
                    journal_commands_size=commands,
                    pinned_deployment_id=inv.pinned_deployment_id,
                    pinned_protocol_version=inv.pinned_protocol_version,
                )
            if deployment is not None and deployment.lower() not in ("keep", "latest"):
                try:
                    ids.check(deployment, "dp")
                except ids.IdError as e:
                    raise EngineError(
                        400, f"The query parameter 'deployment' is invalid. Reason: {e}"
                    ) from None
                self.store.update(c, new.id, pinned_deployment_id=deployment)
            fx.logs.append(f"{new.id} {new.target}: restarted from {inv_id}")
            return new.id

        return self.transact(work)


class ProtocolViolation(Exception):
    """The SDK sent something the protocol does not allow: the attempt fails (retryable)."""


def _b(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else key


def _raw_id(target: Target, idempotency_key: str | None) -> bytes:
    """24 bytes: partition key (stable per object/workflow key) and a uuid (deterministic
    for idempotent requests and workflow runs)."""
    if target.key is not None and target.service_ty != "service":
        pk = hashlib.sha256(f"{target.service}\0{target.key}".encode()).digest()[:8]
    else:
        pk = random.getrandbits(64).to_bytes(8, "big")
    if target.handler_ty == "workflow" and target.service_ty == "workflow":
        uuid = hashlib.sha256(f"wf\0{target.service}\0{target.key}".encode()).digest()[:16]
    elif idempotency_key:
        text = f"ik\0{target.service}\0{target.key or ''}\0{target.handler}\0{idempotency_key}"
        uuid = hashlib.sha256(text.encode()).digest()[:16]
    else:
        uuid = ids.new_uuid()
    return pk + uuid


def _result_of(inv: Inv) -> Result:
    if inv.completion_result == "failure":
        return Result(failure=Failure(inv.failure_code or 500, inv.failure_message or ""))
    return Result(value=inv.output or b"")


def _outcome(promise: tuple[Any, ...]) -> dict[str, Any]:
    _, value, code, message = promise
    if code is not None:
        return {"failure": Failure(code, message or "")}
    return {"value": value or b""}


def _completion_type(kind: str) -> int:
    return T.CALL_COMPLETION if kind == "call" else T.ATTACH_INVOCATION_COMPLETION


def _completion_payload(kind: str, cid: int, result: Result) -> bytes:
    encode = notes.encode_call_completion if kind == "call" else notes.encode_attach_invocation_completion
    if result.failure is not None:
        return encode(cid, failure=result.failure)
    return encode(cid, value=result.value or b"")


def _wakes(waiting: str | None, t: int, payload: bytes) -> bool:
    if not waiting:
        return False
    w = json.loads(waiting)
    n = notes.decode_notification(t, payload)
    return (
        (n.completion_id is not None and n.completion_id in w["completions"])
        or (n.signal_index is not None and n.signal_index in w["signals"])
        or (n.signal_name is not None and n.signal_name in w["names"])
    )


def _future_json(waiting: dict[str, Any]) -> dict[str, Any]:
    leaves = [{"Single": {"CompletionId": i}} for i in waiting["completions"]]
    leaves += [{"Single": {"SignalIndex": i}} for i in waiting["signals"]]
    leaves += [{"Single": {"SignalName": n}} for n in waiting["names"]]
    return {"Unknown": leaves}


def _complete_prefix(entries: list[Any]) -> bool:
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
