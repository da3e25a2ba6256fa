"""Durable timers (sleeps, delayed starts, retries after a backoff), and the sweep that
forgets completed invocations when their retention ends."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from typing import Any

from restate_cli.embedded.engine.ingress import enqueue
from restate_cli.embedded.engine.model import Tx
from restate_cli.embedded.engine.notify import notify
from restate_cli.embedded.errors import storage_error
from restate_cli.embedded.protocol import notifications as notes
from restate_cli.embedded.protocol.framing import MessageType as T
from restate_cli.embedded.store import Store, now_ms

# Expired invocations removed per transaction: small enough that calls in between wait for
# a few milliseconds at most, however many expire at once.
SWEEP_BATCH = 64


async def run(store: Store, transact: Callable[[Callable[[Tx], Any]], Any], wakeup: asyncio.Event) -> None:
    """Fire timers as they fall due, each in a transaction of its own, and remove completed
    invocations whose retention is over, ``SWEEP_BATCH`` per transaction; other work runs
    between any two transactions. ``wakeup`` is set when something may be due sooner than
    what is waited for."""
    while True:
        wakeup.clear()
        due = store.next_timer_due()
        expiry = store.next_expiry()
        now = now_ms()
        busy = False
        try:
            if due is not None and due <= now:
                busy = True
                for timer in store.due_timers(now, limit=SWEEP_BATCH):
                    transact(lambda tx, timer=timer: fire(tx, *timer))
                    await asyncio.sleep(0)
            if expiry is not None and expiry <= now:
                busy = True
                transact(sweep)
                await asyncio.sleep(0)
        except sqlite3.Error as e:
            if storage_error(e) is None:
                raise
            await asyncio.sleep(1.0)  # a full disk: the timers fire once it has room
            continue
        if busy:
            continue
        soonest = min((t for t in (due, expiry) if t is not None), default=None)
        timeout = None if soonest is None else (soonest - now) / 1000
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout)


def sweep(tx: Tx) -> None:
    """Forget the first ``SWEEP_BATCH`` completed invocations whose retention is over."""
    for inv_id in tx.store.expired(tx.c, tx.now, SWEEP_BATCH):
        tx.store.delete_invocation(tx.c, inv_id)


def fire(tx: Tx, timer_id: int, _due: int, kind: str, inv_id: str, cid: int | None) -> None:
    """One due timer, unless another change removed it first."""
    if not tx.store.delete_timer(tx.c, timer_id):
        return
    if kind == "sleep" and cid is not None:
        notify(tx, inv_id, T.SLEEP_COMPLETION, notes.encode_sleep_completion(cid))
    elif kind == "start":
        inv = tx.get(inv_id)
        if inv is not None and inv.status == "scheduled":
            enqueue(tx, inv)
    elif kind == "retry" and tx.store.move(tx.c, inv_id, ("invoked",), next_retry_at=None):
        tx.fx.run.append(inv_id)
