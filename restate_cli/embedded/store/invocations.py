"""Invocations, object locks and inboxes, timers, and the waiters of calls."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from restate_cli.embedded.store.rows import INV_COLUMNS, Conn, Inv


class InvocationTables:
    """``invocations``, ``locks``, ``timers`` and ``waiters`` (part of ``Store``)."""

    conn: Conn

    # -- invocations -----------------------------------------------------------------

    def get(self, inv_id: str, c: Conn | None = None) -> Inv | None:
        row = (
            (c or self.conn)
            .execute(f"SELECT {', '.join(INV_COLUMNS)} FROM invocations WHERE id = ?", (inv_id,))
            .fetchone()
        )
        return Inv(*row) if row else None

    def insert(self, c: Conn, inv: Inv) -> None:
        c.execute(
            f"INSERT INTO invocations ({', '.join(INV_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(INV_COLUMNS))})",
            tuple(getattr(inv, n) for n in INV_COLUMNS),
        )

    def update(self, c: Conn, inv_id: str, **cols: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in cols)
        c.execute(f"UPDATE invocations SET {sets} WHERE id = ?", (*cols.values(), inv_id))

    def move(self, c: Conn, inv_id: str, frm: Iterable[str], **cols: Any) -> bool:
        """Guarded update: only when the status is one of ``frm``; says whether it landed."""
        frm = tuple(frm)
        sets = ", ".join(f"{k} = ?" for k in cols)
        cur = c.execute(
            f"UPDATE invocations SET {sets} WHERE id = ? AND status IN ({', '.join('?' * len(frm))})",
            (*cols.values(), inv_id, *frm),
        )
        return cur.rowcount == 1

    def delete_invocation(self, c: Conn, inv_id: str) -> None:
        for sql in (
            "DELETE FROM invocations WHERE id = ?",
            "DELETE FROM journal WHERE invocation_id = ?",
            "DELETE FROM journal_events WHERE invocation_id = ?",
            "DELETE FROM timers WHERE invocation_id = ?",
            "DELETE FROM waiters WHERE waiter_id = ?",
            "DELETE FROM promise_waiters WHERE invocation_id = ?",
        ):
            c.execute(sql, (inv_id,))

    def find_idempotent(
        self, c: Conn, service: str, key: str | None, handler: str, idempotency_key: str
    ) -> Inv | None:
        row = c.execute(
            f"SELECT {', '.join(INV_COLUMNS)} FROM invocations WHERE service = ? "
            "AND IFNULL(service_key, '') = ? AND handler = ? AND idempotency_key = ?",
            (service, key or "", handler, idempotency_key),
        ).fetchone()
        return Inv(*row) if row else None

    def runnable(self) -> list[str]:
        """Invoked invocations with no attempt in flight and no retry pending."""
        rows = self.conn.execute(
            "SELECT id FROM invocations WHERE status = 'invoked' AND in_flight = 0 "
            "AND next_retry_at IS NULL ORDER BY created_at"
        ).fetchall()
        return [r[0] for r in rows]

    def reset_in_flight(self) -> int:
        """After a restart, no attempt is in flight: make interrupted ones runnable again."""
        with self.tx() as c:
            # only an invoked invocation is ever in flight; the status finds them by index
            sql = "UPDATE invocations SET in_flight = 0 WHERE status = 'invoked' AND in_flight = 1"
            return c.execute(sql).rowcount

    def children(self, c: Conn, parent_id: str) -> list[Inv]:
        rows = c.execute(
            f"SELECT {', '.join(INV_COLUMNS)} FROM invocations WHERE invoked_by_id = ?",
            (parent_id,),
        ).fetchall()
        return [Inv(*r) for r in rows]

    # -- locks and inboxes -----------------------------------------------------------

    def lock_holder(self, c: Conn, service: str, key: str) -> str | None:
        row = c.execute(
            "SELECT invocation_id FROM locks WHERE service = ? AND service_key = ?", (service, key)
        ).fetchone()
        return row[0] if row else None

    def lock(self, c: Conn, service: str, key: str, inv_id: str) -> None:
        c.execute(
            "INSERT INTO locks (service, service_key, invocation_id) VALUES (?, ?, ?)",
            (service, key, inv_id),
        )

    def unlock(self, c: Conn, service: str, key: str, inv_id: str) -> bool:
        return (
            c.execute(
                "DELETE FROM locks WHERE service = ? AND service_key = ? AND invocation_id = ?",
                (service, key, inv_id),
            ).rowcount
            == 1
        )

    def next_inbox_seq(self, c: Conn) -> int:
        """One sequence for the inboxes' invocations and state changes, so they keep their order."""
        row = c.execute(
            "SELECT MAX(IFNULL((SELECT MAX(inbox_seq) FROM invocations WHERE inbox_seq IS NOT NULL), 0), "
            "IFNULL((SELECT MAX(inbox_seq) FROM state_mutations), 0)) + 1"
        ).fetchone()
        return int(row[0])

    def queue_state_mutation(
        self, c: Conn, service: str, key: str, new_state: dict[bytes, bytes], version: str | None
    ) -> None:
        """A state change that waits in the key's inbox, behind the invocations already there."""
        c.execute(
            "INSERT INTO state_mutations (inbox_seq, service, service_key, version, new_state) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                self.next_inbox_seq(c),
                service,
                key,
                version,
                json.dumps({k.hex(): v.hex() for k, v in new_state.items()}),
            ),
        )

    def take_state_mutations(
        self, c: Conn, service: str, key: str, before_seq: int | None
    ) -> list[tuple[dict[bytes, bytes], str | None]]:
        """Remove and return the key's queued state changes that come before inbox position
        ``before_seq`` (all of them when None), oldest first."""
        limit = "" if before_seq is None else f" AND inbox_seq < {int(before_seq)}"
        rows = c.execute(
            "SELECT inbox_seq, new_state, version FROM state_mutations "
            f"WHERE service = ? AND service_key = ?{limit} ORDER BY inbox_seq",
            (service, key),
        ).fetchall()
        for seq, _, _ in rows:
            c.execute("DELETE FROM state_mutations WHERE inbox_seq = ?", (seq,))
        return [
            ({bytes.fromhex(k): bytes.fromhex(v) for k, v in json.loads(state).items()}, version)
            for _, state, version in rows
        ]

    def inbox_seq_of(self, c: Conn, inv_id: str) -> int | None:
        row = c.execute("SELECT inbox_seq FROM invocations WHERE id = ?", (inv_id,)).fetchone()
        return row[0] if row else None

    def inbox_head(self, c: Conn, service: str, key: str) -> str | None:
        row = c.execute(
            "SELECT id FROM invocations WHERE status = 'inboxed' AND service = ? AND service_key = ? "
            "ORDER BY inbox_seq LIMIT 1",
            (service, key),
        ).fetchone()
        return row[0] if row else None

    # -- timers ----------------------------------------------------------------------

    def add_timer(
        self, c: Conn, due_at: int, kind: str, inv_id: str, completion_id: int | None = None
    ) -> int:
        cur = c.execute(
            "INSERT INTO timers (due_at, kind, invocation_id, completion_id) VALUES (?, ?, ?, ?)",
            (due_at, kind, inv_id, completion_id),
        )
        return int(cur.lastrowid or 0)

    def due_timers(self, now: int, limit: int = 1000) -> list[tuple[int, int, str, str, int | None]]:
        return self.conn.execute(
            "SELECT id, due_at, kind, invocation_id, completion_id FROM timers WHERE due_at <= ? "
            "ORDER BY due_at, id LIMIT ?",
            (now, limit),
        ).fetchall()

    def next_timer_due(self) -> int | None:
        row = self.conn.execute("SELECT MIN(due_at) FROM timers").fetchone()
        return row[0]

    def next_expiry(self) -> int | None:
        """When the first completed invocation's retention ends."""
        sql = "SELECT MIN(expires_at) FROM invocations WHERE status = 'completed'"
        return self.conn.execute(sql).fetchone()[0]

    def expired(self, c: Conn, now: int, limit: int) -> list[str]:
        """Up to ``limit`` completed invocations whose retention ended by ``now``, oldest first."""
        rows = c.execute(
            "SELECT id FROM invocations WHERE status = 'completed' AND expires_at <= ? "
            "ORDER BY expires_at LIMIT ?",
            (now, limit),
        ).fetchall()
        return [r[0] for r in rows]

    def delete_timer(self, c: Conn, timer_id: int) -> bool:
        return c.execute("DELETE FROM timers WHERE id = ?", (timer_id,)).rowcount == 1

    def delete_timers(self, c: Conn, inv_id: str, kind: str | None = None) -> None:
        if kind is None:
            c.execute("DELETE FROM timers WHERE invocation_id = ?", (inv_id,))
        else:
            c.execute("DELETE FROM timers WHERE invocation_id = ? AND kind = ?", (inv_id, kind))

    # -- waiters (calls and attachments) ---------------------------------------------

    def add_waiter(self, c: Conn, target_id: str, waiter_id: str, completion_id: int, kind: str) -> None:
        c.execute(
            "INSERT OR IGNORE INTO waiters (target_id, waiter_id, completion_id, kind) VALUES (?, ?, ?, ?)",
            (target_id, waiter_id, completion_id, kind),
        )

    def take_waiters(self, c: Conn, target_id: str) -> list[tuple[str, int, str]]:
        rows = c.execute(
            "SELECT waiter_id, completion_id, kind FROM waiters WHERE target_id = ?", (target_id,)
        ).fetchall()
        c.execute("DELETE FROM waiters WHERE target_id = ?", (target_id,))
        return rows

    def awaited_children(self, c: Conn, waiter_id: str) -> list[str]:
        """Invocations whose result ``waiter_id`` still waits for (its awaited calls)."""
        rows = c.execute(
            "SELECT target_id FROM waiters WHERE waiter_id = ? AND kind = 'call'", (waiter_id,)
        ).fetchall()
        return [r[0] for r in rows]

    # -- counts for the dev log and the benchmark --------------------------------------

    def count_by_status(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT status, COUNT(*) FROM invocations GROUP BY status").fetchall())
