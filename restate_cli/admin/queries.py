"""Reads composed from several SQL statements: a page of invocations, one invocation."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from restate_cli.admin import sql
from restate_cli.admin.client import AdminClient
from restate_cli.admin.errors import ApiError
from restate_cli.admin.models import Invocation, JournalEntry
from restate_cli.errors import NotFound

COUNT_CAP = 50_000
JOURNAL_LIMIT = 100


@dataclass(frozen=True)
class Page:
    invocations: list[Invocation]
    total: int
    exact: bool
    elapsed: float


async def list_invocations(
    client: AdminClient, filt: sql.ListFilter, *, limit: int, oldest_first: bool
) -> Page:
    """A page of invocations and how many match in all (counted up to 50,000)."""
    started = time.perf_counter()
    await client.info()
    id_rows, count_rows = await asyncio.gather(
        client.query(sql.list_ids(filt, limit=limit, oldest_first=oldest_first)),
        client.query(sql.count(filt, cap=COUNT_CAP)),
    )
    page_ids = [str(r["id"]) for r in id_rows if "id" in r]
    invocations: list[Invocation] = []
    if page_ids:
        rows = await client.query(sql.details(page_ids, oldest_first=oldest_first))
        invocations = [Invocation.model_validate(r) for r in rows]
    counted = int(count_rows[0].get("n", 0)) if count_rows else 0
    if len(page_ids) < limit:
        total, exact = len(invocations), True
    else:
        total = max(len(invocations), counted)
        exact = counted < COUNT_CAP
    return Page(invocations, total, exact, time.perf_counter() - started)


async def get_invocation(client: AdminClient, invocation_id: str) -> Invocation:
    rows = await client.query(sql.details([invocation_id], oldest_first=False))
    if not rows:
        raise NotFound(f"invocation {invocation_id} not found on {client.server}")
    return Invocation.model_validate(rows[0])


async def journal(
    client: AdminClient, invocation_id: str, *, limit: int = JOURNAL_LIMIT
) -> list[JournalEntry]:
    """The last ``limit`` journal entries, oldest first."""
    try:
        rows = await client.query(sql.journal(invocation_id, limit=limit))
    except ApiError as e:
        if e.status >= 500 or "No field named" in e.server_message:
            return []  # a server without the V2 journal columns
        raise
    return [JournalEntry.from_row(r) for r in reversed(rows)]


async def pause_reason(client: AdminClient, invocation_id: str) -> str | None:
    """Why the retry policy paused an invocation: its last ``Paused`` event's failure."""
    try:
        rows = await client.query(sql.last_event(invocation_id, "Paused"))
    except ApiError:
        return None  # a server without sys_journal_events
    for row in rows:
        try:
            failure = json.loads(row.get("event_json") or "{}").get("last_failure")
        except ValueError:
            return None
        if isinstance(failure, dict) and failure.get("error_message"):
            return f"[{failure.get('error_code', '?')}] {failure['error_message']}"
    return None


async def describe_invocation(
    client: AdminClient, invocation_id: str
) -> tuple[Invocation, list[JournalEntry], int | None]:
    """The invocation, its last journal entries, and its journal length when known."""
    inv, entries = await asyncio.gather(get_invocation(client, invocation_id), journal(client, invocation_id))
    return inv, entries, inv.journal_size
