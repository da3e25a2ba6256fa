"""The engine: runs changes as transactions, applies their effects, and owns the tasks
(one per attempt in flight, and the timer loop).

Every state change is one store transaction (``transact``), written as a function of a
``Tx`` in the modules beside this one. Effects that must wait for the commit (starting an
attempt, answering a waiting ingress caller, waking the timer loop) are collected in
``Effects`` and applied after it. A passive engine (the CLI mounting the admin API
in-process while no ``dev`` process runs) records the same durable changes but starts no
attempts and fires no timers; ``dev`` picks them up when it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from restate_cli.embedded.engine import attempt, commands, ingress, ops, policy, streaming, timers
from restate_cli.embedded.engine.model import END, Attempt, Effects, Result, Target, Tx, result_of
from restate_cli.embedded.errors import EngineError, storage_error
from restate_cli.embedded.protocol.results import Failure
from restate_cli.embedded.store import Conn, Inv, Store, now_ms

log = logging.getLogger("restate_cli.embedded")

MAX_CONCURRENT_ATTEMPTS = 256  # request/response attempts under way at once
# Streamed attempts stay open while their handlers wait (up to the inactivity timeout): they
# have a bound of their own, so that waiting handlers do not hold back the others.
MAX_OPEN_STREAMS = 10_000
R = TypeVar("R")


class Engine:
    """One runtime over one store."""

    def __init__(self, store: Store, *, active: bool = True) -> None:
        self.store = store
        self.active = active
        self._waiting: dict[str, list[asyncio.Future[Result]]] = {}
        self._attempts: dict[str, asyncio.Task[None]] = {}
        self._streams: dict[str, streaming.Outbox] = {}  # of bidirectional attempts in flight
        self.timeouts = policy.Timeouts()
        self._rerun: set[str] = set()
        self._gate = asyncio.Semaphore(MAX_CONCURRENT_ATTEMPTS)
        self._stream_gate = asyncio.Semaphore(MAX_OPEN_STREAMS)
        self._timer_wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._client: Any = None
        self._stopping = False
        self.on_log: Callable[[int, str], None] | None = None

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        if not self.active:
            return
        from restate_cli.embedded.protocol.deployment_client import DeploymentClient

        self._client = DeploymentClient()
        self.store.checkpoint_in_background()
        interrupted = self.store.reset_in_flight()
        if interrupted:
            self.log(f"recovered {interrupted} interrupted attempt(s)")
        for inv_id in self.store.runnable():
            self._schedule(inv_id)
        timer_loop = timers.run(self.store, self.transact, self._timer_wakeup)
        self._tasks.append(asyncio.create_task(timer_loop, name="timers"))

    async def stop(self) -> None:
        self._stopping = True
        for task in [*self._tasks, *self._attempts.values()]:
            task.cancel()
        for task in [*self._tasks, *self._attempts.values()]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._client is not None:
            await self._client.aclose()
        stopped = EngineError(503, "the embedded runtime is stopping; try again when it runs", kind="ingress")
        for futures in self._waiting.values():
            for f in futures:
                if not f.done():
                    f.set_exception(stopped)  # the caller is answered, not dropped

    def log(self, line: str, level: int = END) -> None:
        """A line for the dev log, at a ``logging`` level (model: CHANGE, END, FAILURE)."""
        if self.on_log is not None:
            self.on_log(level, line)
        else:
            log.log(level, line)

    # -- transactions ----------------------------------------------------------------

    def transact(self, work: Callable[[Tx], R]) -> R:
        """Run ``work`` in one transaction, then apply its effects.

        Attempts that the change makes due begin in the same transaction (marked in flight,
        their request built) when an attempt slot is free and no task has the invocation:
        one transaction per call fewer than beginning them in one of their own.
        """
        fx = Effects()
        with self.store.tx() as c:
            result = work(Tx(self.store, c, fx, now_ms()))
            if fx.run and self.active and not self._stopping:
                tx = Tx(self.store, c, fx, now_ms())
                for inv_id in fx.run:
                    busy = len(self._attempts) - len(self._streams) + len(fx.started)
                    if busy >= MAX_CONCURRENT_ATTEMPTS:
                        break
                    if inv_id in self._attempts or inv_id in fx.started:
                        continue
                    begun = attempt.begin(tx, inv_id, self.timeouts)
                    if begun is not None:
                        fx.started[inv_id] = begun
        self._apply(fx)
        return result

    def _apply(self, fx: Effects) -> None:
        for level, line in fx.logs:
            self.log(line, level)
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
        for inv_id, idx, frame in fx.appended:
            outbox = self._streams.get(inv_id)
            if outbox is not None:
                outbox.offer(idx, frame)
        for inv_id in fx.run:
            begun = fx.started.pop(inv_id, None)
            if begun is not None and inv_id not in self._attempts:
                self._open(begun)
                self._attempts[inv_id] = asyncio.create_task(self._attempt(inv_id, begun), name=inv_id)
            else:
                self._schedule(inv_id)

    # -- attempts --------------------------------------------------------------------

    def _schedule(self, inv_id: str) -> None:
        if not self.active or self._stopping:
            return
        running = self._attempts.get(inv_id)
        if running is not None:
            if running is asyncio.current_task():
                self._rerun.add(inv_id)  # asked from inside its own attempt: run again after it
            return
        self._attempts[inv_id] = asyncio.create_task(self._attempt(inv_id), name=inv_id)

    def _open(self, begun: Attempt) -> streaming.Outbox | None:
        """Register a bidirectional attempt's outbox at once: notifications appended from
        now on reach its stream."""
        if not begun.bidi:
            return None
        outbox = self._streams[begun.inv.id] = streaming.Outbox(begun.known)
        return outbox

    async def _attempt(self, inv_id: str, begun: Attempt | None = None) -> None:
        outbox = self._streams.get(inv_id) if begun is not None else None
        try:
            if outbox is None:  # request/response, or not begun yet
                async with self._gate:
                    if begun is None:
                        begun = self.transact(lambda tx: attempt.begin(tx, inv_id, self.timeouts))
                        if begun is None:
                            return
                        outbox = self._open(begun)
                    if outbox is None:
                        self.transact(await attempt.request_response(self._client, begun))
                        return
            async with self._stream_gate:
                await streaming.exchange(self._client, begun, outbox, self.transact)
        except asyncio.CancelledError:
            raise
        except sqlite3.Error as e:
            if storage_error(e) is None:
                raise
            self.log(f"{inv_id}: the store is full, the attempt's outcome was not kept; retrying in 1s")
            asyncio.get_running_loop().call_later(1.0, self._requeue_in_flight, inv_id)
        except Exception:
            log.exception("attempt of %s failed unexpectedly", inv_id)
        finally:
            if outbox is not None and self._streams.get(inv_id) is outbox:
                del self._streams[inv_id]
            if self._attempts.get(inv_id) is asyncio.current_task():
                del self._attempts[inv_id]
                if inv_id in self._rerun:
                    self._rerun.discard(inv_id)
                    self._schedule(inv_id)

    def _requeue_in_flight(self, inv_id: str) -> None:
        """Run again an attempt whose outcome could not be stored (a full disk), once the
        store takes writes: as after a crash, the attempt is replayed from the journal."""
        if self._stopping:
            return

        def work(tx: Tx) -> None:
            if tx.store.move(tx.c, inv_id, ("invoked",), in_flight=0):
                tx.fx.run.append(inv_id)

        try:
            self.transact(work)
        except sqlite3.Error as e:
            if storage_error(e) is None:
                raise
            asyncio.get_running_loop().call_later(1.0, self._requeue_in_flight, inv_id)

    # -- accepting invocations (ingress, Kafka) ----------------------------------------

    def resolve_target(self, c: Conn | None, service: str, handler: str) -> Target:
        return ingress.resolve_target(self.store, c, service, handler)

    def existing(self, tx: Tx, target: Target, idempotency_key: str | None) -> Inv | None:
        return ingress.existing(tx.store, tx.c, target, idempotency_key)

    def create(self, tx: Tx, target: Target, **kw: Any) -> Inv:
        """A new invocation (see ``ingress.create``)."""
        return ingress.create(tx, target, **kw)

    def resolve_awakeable(self, awakeable_id: str, value: bytes | None, failure: Failure | None) -> None:
        self.transact(lambda tx: commands.resolve_awakeable(tx, awakeable_id, value, failure))

    def result_of(self, inv_id: str) -> Result | None:
        inv = self.store.get(inv_id)
        if inv is None or inv.status != "completed":
            return None
        return result_of(inv)

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

    def cancel(self, inv_id: str) -> int:
        return self.transact(lambda tx: ops.cancel(tx, inv_id))

    def kill(self, inv_id: str) -> int:
        return self.transact(lambda tx: ops.kill(tx, inv_id))

    def purge(self, inv_id: str) -> int:
        return self.transact(lambda tx: ops.purge(tx, inv_id))

    def purge_journal(self, inv_id: str) -> int:
        return self.transact(lambda tx: ops.purge_journal(tx, inv_id))

    def pause(self, inv_id: str) -> int:
        return self.transact(lambda tx: ops.pause(tx, inv_id))

    def resume(self, inv_id: str, deployment: str | None = None) -> int:
        return self.transact(lambda tx: ops.resume(tx, inv_id, deployment))

    def restart_as_new(self, inv_id: str, upto: int | None = None, deployment: str | None = None) -> str:
        return self.transact(lambda tx: ops.restart_as_new(tx, inv_id, upto, deployment))
