"""Journals and their events, object state, and workflow promises."""

from __future__ import annotations

import json
from typing import Any

from restate_cli.embedded.store.rows import Conn, Entry


class JournalTables:
    """``journal``, ``journal_events``, ``kv_state``, ``promises`` (part of ``Store``)."""

    conn: Conn

    # -- journal ---------------------------------------------------------------------

    def journal(self, inv_id: str, c: Conn | None = None) -> list[Entry]:
        rows = (
            (c or self.conn)
            .execute(
                "SELECT idx, msg_type, payload, appended_at FROM journal "
                "WHERE invocation_id = ? ORDER BY idx",
                (inv_id,),
            )
            .fetchall()
        )
        return [Entry(*r) for r in rows]

    def entry(self, c: Conn, inv_id: str, idx: int) -> Entry | None:
        row = c.execute(
            "SELECT idx, msg_type, payload, appended_at FROM journal WHERE invocation_id = ? AND idx = ?",
            (inv_id, idx),
        ).fetchone()
        return Entry(*row) if row else None

    def append(
        self,
        c: Conn,
        inv_id: str,
        msg_type: int,
        payload: bytes,
        *,
        command: bool,
        now: int,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Append one entry; keep the invocation's journal counters; return its index."""
        idx = c.execute("SELECT journal_size FROM invocations WHERE id = ?", (inv_id,)).fetchone()[0]
        c.execute(
            "INSERT INTO journal (invocation_id, idx, msg_type, payload, appended_at, extra) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (inv_id, idx, msg_type, payload, now, json.dumps(extra) if extra else None),
        )
        if command:
            c.execute(
                "UPDATE invocations SET journal_size = journal_size + 1, "
                "journal_commands_size = journal_commands_size + 1, last_stored_at = ?, "
                "retries_since_stored = 0 WHERE id = ?",
                (now, inv_id),
            )
        else:
            c.execute(
                "UPDATE invocations SET journal_size = journal_size + 1, last_stored_at = ? WHERE id = ?",
                (now, inv_id),
            )
        return idx

    def add_entry(self, c: Conn, inv_id: str, idx: int, msg_type: int, payload: bytes, *, now: int) -> None:
        """Store entry ``idx`` as it is; the caller keeps the invocation's counters."""
        c.execute(
            "INSERT INTO journal (invocation_id, idx, msg_type, payload, appended_at, extra) "
            "VALUES (?, ?, ?, ?, ?, NULL)",
            (inv_id, idx, msg_type, payload, now),
        )

    def truncate_journal(self, c: Conn, inv_id: str) -> None:
        c.execute("DELETE FROM journal WHERE invocation_id = ?", (inv_id,))
        c.execute("DELETE FROM journal_events WHERE invocation_id = ?", (inv_id,))
        c.execute(
            "UPDATE invocations SET journal_size = 0, journal_commands_size = 0 WHERE id = ?",
            (inv_id,),
        )

    def copy_journal(self, c: Conn, src: str, dst: str, upto: int, now: int) -> tuple[int, int]:
        """Copy entries ``0..upto`` of ``src`` to the new invocation ``dst``."""
        c.execute(
            "INSERT INTO journal (invocation_id, idx, msg_type, payload, appended_at, extra) "
            "SELECT ?, idx, msg_type, payload, ?, extra FROM journal WHERE invocation_id = ? AND idx <= ?",
            (dst, now, src, upto),
        )
        size, commands = c.execute(
            "SELECT COUNT(*), SUM(CASE WHEN msg_type < 32768 THEN 1 ELSE 0 END) FROM journal "
            "WHERE invocation_id = ?",
            (dst,),
        ).fetchone()
        return size, commands or 0

    def event(self, c: Conn, inv_id: str, after_idx: int, now: int, ty: str, body: dict[str, Any]) -> None:
        c.execute(
            "INSERT INTO journal_events (invocation_id, after_idx, appended_at, event_type, event_json) "
            "VALUES (?, ?, ?, ?, ?)",
            (inv_id, after_idx, now, ty, json.dumps({"ty": ty, **body})),
        )

    # -- state -----------------------------------------------------------------------

    def state(self, c: Conn, service: str, key: str) -> list[tuple[bytes, bytes]]:
        return c.execute(
            "SELECT key, value FROM kv_state WHERE service = ? AND service_key = ? ORDER BY key",
            (service, key),
        ).fetchall()

    def state_get(self, c: Conn, service: str, key: str, name: bytes) -> bytes | None:
        row = c.execute(
            "SELECT value FROM kv_state WHERE service = ? AND service_key = ? AND key = ?",
            (service, key, name),
        ).fetchone()
        return row[0] if row else None

    def state_set(self, c: Conn, service: str, key: str, name: bytes, value: bytes) -> None:
        c.execute(
            "INSERT INTO kv_state (service, service_key, key, value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (service, service_key, key) DO UPDATE SET value = excluded.value",
            (service, key, name, value),
        )

    def state_clear(self, c: Conn, service: str, key: str, name: bytes | None = None) -> None:
        if name is None:
            c.execute("DELETE FROM kv_state WHERE service = ? AND service_key = ?", (service, key))
        else:
            c.execute(
                "DELETE FROM kv_state WHERE service = ? AND service_key = ? AND key = ?",
                (service, key, name),
            )

    # -- promises --------------------------------------------------------------------

    def promise(
        self, c: Conn, service: str, key: str, name: str
    ) -> tuple[int, bytes | None, int | None, str | None] | None:
        return c.execute(
            "SELECT completed, value, failure_code, failure_message FROM promises "
            "WHERE service = ? AND service_key = ? AND key = ?",
            (service, key, name),
        ).fetchone()

    def complete_promise(
        self,
        c: Conn,
        service: str,
        key: str,
        name: str,
        value: bytes | None,
        failure: tuple[int, str] | None,
    ) -> bool:
        """Complete a promise once; False when it was already completed."""
        existing = self.promise(c, service, key, name)
        if existing is not None and existing[0]:
            return False
        code, message = failure if failure else (None, None)
        c.execute(
            "INSERT INTO promises "
            "(service, service_key, key, completed, value, failure_code, failure_message) "
            "VALUES (?, ?, ?, 1, ?, ?, ?) ON CONFLICT (service, service_key, key) DO UPDATE SET "
            "completed = 1, value = excluded.value, failure_code = excluded.failure_code, "
            "failure_message = excluded.failure_message",
            (service, key, name, value, code, message),
        )
        return True

    def add_promise_waiter(self, c: Conn, service: str, key: str, name: str, inv_id: str, cid: int) -> None:
        c.execute(
            "INSERT OR IGNORE INTO promise_waiters (service, service_key, key, invocation_id, completion_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (service, key, name, inv_id, cid),
        )

    def take_promise_waiters(self, c: Conn, service: str, key: str, name: str) -> list[tuple[str, int]]:
        rows = c.execute(
            "SELECT invocation_id, completion_id FROM promise_waiters WHERE service = ? "
            "AND service_key = ? AND key = ?",
            (service, key, name),
        ).fetchall()
        c.execute(
            "DELETE FROM promise_waiters WHERE service = ? AND service_key = ? AND key = ?",
            (service, key, name),
        )
        return rows

    def delete_promises(self, c: Conn, service: str, key: str) -> None:
        c.execute("DELETE FROM promises WHERE service = ? AND service_key = ?", (service, key))
