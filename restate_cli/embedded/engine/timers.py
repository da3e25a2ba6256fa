"""Durable timers: sleeps, delayed starts, retries after a backoff, and retention expiry."""

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


async def run(store: Store, transact: Callable[[Callable[[Tx], Any]], Any], wakeup: asyncio.Event) -> None:
    """Fire timers as they fall due, each in a transaction of its own; ``wakeup`` is set
    when a new timer may be due sooner than the one waited for."""
    while True:
        wakeup.clear()
        due = store.next_timer_due()
        now = now_ms()
        if due is not None and due <= now:
            try:
                for timer in store.due_timers(now):
                    transact(lambda tx, timer=timer: fire(tx, *timer))
            except sqlite3.Error as e:
                if storage_error(e) is None:
                    raise
                await asyncio.sleep(1.0)  # a full disk: the timers fire once it has room
            continue
        timeout = None if due is None else (due - now) / 1000
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout)


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
    elif kind == "expire":
        inv = tx.get(inv_id)
        if inv is not None and inv.status == "completed":
            tx.store.delete_invocation(tx.c, inv_id)
