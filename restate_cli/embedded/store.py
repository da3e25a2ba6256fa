"""The embedded runtime's durable state: one SQLite database in WAL mode.

This is the only module with SQL. Every state change of the engine happens inside one
``BEGIN IMMEDIATE`` transaction (``Store.tx``), built from the ``*`` methods below that
take the open connection; a crash at any point leaves either all of a change or none.
Times are integer milliseconds since the Unix epoch.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from restate_cli.embedded import sysviews

Conn = sqlite3.Connection

MIGRATIONS: list[str] = [
    # 1: the initial schema
    """
    CREATE TABLE deployments (
        id TEXT PRIMARY KEY,
        uri TEXT NOT NULL UNIQUE,
        protocol_type TEXT NOT NULL,
        http_version TEXT NOT NULL,
        min_protocol_version INTEGER NOT NULL,
        max_protocol_version INTEGER NOT NULL,
        sdk_version TEXT,
        additional_headers TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        manifest TEXT NOT NULL
    );
    CREATE TABLE services (
        name TEXT PRIMARY KEY,
        deployment_id TEXT NOT NULL,
        ty TEXT NOT NULL,
        revision INTEGER NOT NULL,
        public INTEGER NOT NULL DEFAULT 1,
        manifest TEXT NOT NULL
    );
    CREATE TABLE invocations (
        id TEXT PRIMARY KEY,
        raw_id BLOB NOT NULL,
        partition_key INTEGER NOT NULL,
        service TEXT NOT NULL,
        service_key TEXT,
        handler TEXT NOT NULL,
        service_ty TEXT NOT NULL,
        handler_ty TEXT,
        status TEXT NOT NULL,
        in_flight INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        idempotency_key TEXT,
        invoked_by TEXT NOT NULL,
        invoked_by_id TEXT,
        invoked_by_target TEXT,
        invoked_by_service_name TEXT,
        invoked_by_subscription_id TEXT,
        restarted_from TEXT,
        pinned_deployment_id TEXT,
        pinned_protocol_version INTEGER,
        created_at INTEGER NOT NULL,
        modified_at INTEGER NOT NULL,
        inboxed_at INTEGER,
        inbox_seq INTEGER,
        scheduled_at INTEGER,
        scheduled_start_at INTEGER,
        running_at INTEGER,
        completed_at INTEGER,
        completion_retention INTEGER NOT NULL,
        journal_retention INTEGER NOT NULL,
        expires_at INTEGER,
        journal_size INTEGER NOT NULL DEFAULT 0,
        journal_commands_size INTEGER NOT NULL DEFAULT 0,
        last_stored_at INTEGER,
        retries_since_stored INTEGER NOT NULL DEFAULT 0,
        last_start_at INTEGER,
        next_retry_at INTEGER,
        last_attempt_deployment_id TEXT,
        last_attempt_server TEXT,
        last_failure TEXT,
        last_failure_error_code TEXT,
        last_failure_command_index INTEGER,
        last_failure_command_name TEXT,
        last_failure_command_type TEXT,
        retry_override_ms INTEGER,
        waiting TEXT,
        completion_result TEXT,
        completion_failure TEXT,
        output BLOB,
        failure_code INTEGER,
        failure_message TEXT,
        random_seed INTEGER NOT NULL,
        epoch INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX invocations_status ON invocations (status, in_flight);
    CREATE INDEX invocations_created ON invocations (created_at);
    CREATE INDEX invocations_parent ON invocations (invoked_by_id);
    CREATE INDEX invocations_inbox ON invocations (service, service_key, inbox_seq)
        WHERE status = 'inboxed';
    CREATE UNIQUE INDEX invocations_idempotency
        ON invocations (service, IFNULL(service_key, ''), handler, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    CREATE TABLE journal (
        invocation_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        msg_type INTEGER NOT NULL,
        payload BLOB NOT NULL,
        appended_at INTEGER NOT NULL,
        extra TEXT,
        PRIMARY KEY (invocation_id, idx)
    ) WITHOUT ROWID;
    CREATE TABLE journal_events (
        invocation_id TEXT NOT NULL,
        after_idx INTEGER NOT NULL,
        appended_at INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        event_json TEXT NOT NULL
    );
    CREATE INDEX journal_events_inv ON journal_events (invocation_id);
    CREATE TABLE kv_state (
        service TEXT NOT NULL,
        service_key TEXT NOT NULL,
        key BLOB NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (service, service_key, key)
    ) WITHOUT ROWID;
    CREATE TABLE locks (
        service TEXT NOT NULL,
        service_key TEXT NOT NULL,
        invocation_id TEXT NOT NULL,
        PRIMARY KEY (service, service_key)
    ) WITHOUT ROWID;
    CREATE TABLE timers (
        id INTEGER PRIMARY KEY,
        due_at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        invocation_id TEXT NOT NULL,
        completion_id INTEGER
    );
    CREATE INDEX timers_due ON timers (due_at);
    CREATE INDEX timers_inv ON timers (invocation_id);
    CREATE TABLE waiters (
        target_id TEXT NOT NULL,
        waiter_id TEXT NOT NULL,
        completion_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        PRIMARY KEY (target_id, waiter_id, completion_id)
    ) WITHOUT ROWID;
    CREATE INDEX waiters_waiter ON waiters (waiter_id);
    CREATE TABLE promises (
        service TEXT NOT NULL,
        service_key TEXT NOT NULL,
        key TEXT NOT NULL,
        completed INTEGER NOT NULL DEFAULT 0,
        value BLOB,
        failure_code INTEGER,
        failure_message TEXT,
        PRIMARY KEY (service, service_key, key)
    ) WITHOUT ROWID;
    CREATE TABLE promise_waiters (
        service TEXT NOT NULL,
        service_key TEXT NOT NULL,
        key TEXT NOT NULL,
        invocation_id TEXT NOT NULL,
        completion_id INTEGER NOT NULL,
        PRIMARY KEY (service, service_key, key, invocation_id, completion_id)
    ) WITHOUT ROWID;
    CREATE TABLE kafka_clusters (
        name TEXT PRIMARY KEY,
        properties TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        seq INTEGER NOT NULL
    );
    CREATE TABLE subscriptions (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        sink TEXT NOT NULL,
        options TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE kafka_offsets (
        subscription_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        partition INTEGER NOT NULL,
        next_offset INTEGER NOT NULL,
        PRIMARY KEY (subscription_id, topic, partition)
    ) WITHOUT ROWID;
    """,
    # 2: the next inbox sequence number without scanning every invocation
    """
    CREATE INDEX invocations_inbox_seq ON invocations (inbox_seq) WHERE inbox_seq IS NOT NULL;
    """,
    # 3: state changes from the admin API that wait in a key's inbox behind its invocations
    """
    CREATE TABLE IF NOT EXISTS state_mutations (
        inbox_seq INTEGER PRIMARY KEY,
        service TEXT NOT NULL,
        service_key TEXT NOT NULL,
        version TEXT,
        new_state TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS state_mutations_key ON state_mutations (service, service_key, inbox_seq);
    """,
]


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Inv:
    """One row of ``invocations``."""

    id: str
    raw_id: bytes
    partition_key: int
    service: str
    service_key: str | None
    handler: str
    service_ty: str
    handler_ty: str | None
    status: str
    in_flight: int
    attempts: int
    idempotency_key: str | None
    invoked_by: str
    invoked_by_id: str | None
    invoked_by_target: str | None
    invoked_by_service_name: str | None
    invoked_by_subscription_id: str | None
    restarted_from: str | None
    pinned_deployment_id: str | None
    pinned_protocol_version: int | None
    created_at: int
    modified_at: int
    inboxed_at: int | None
    inbox_seq: int | None
    scheduled_at: int | None
    scheduled_start_at: int | None
    running_at: int | None
    completed_at: int | None
    completion_retention: int
    journal_retention: int
    expires_at: int | None
    journal_size: int
    journal_commands_size: int
    last_stored_at: int | None
    retries_since_stored: int
    last_start_at: int | None
    next_retry_at: int | None
    last_attempt_deployment_id: str | None
    last_attempt_server: str | None
    last_failure: str | None
    last_failure_error_code: str | None
    last_failure_command_index: int | None
    last_failure_command_name: str | None
    last_failure_command_type: str | None
    retry_override_ms: int | None
    waiting: str | None
    completion_result: str | None
    completion_failure: str | None
    output: bytes | None
    failure_code: int | None
    failure_message: str | None
    random_seed: int
    epoch: int

    @property
    def target(self) -> str:
        if self.service_key is not None and self.service_ty != "service":
            return f"{self.service}/{self.service_key}/{self.handler}"
        return f"{self.service}/{self.handler}"

    @property
    def keyed(self) -> bool:
        return self.service_ty != "service"

    @property
    def exclusive(self) -> bool:
        """Whether it takes the key's lock: exclusive object handlers and workflow runs."""
        return self.keyed and self.handler_ty in ("exclusive", "workflow")


INV_COLUMNS = tuple(f.name for f in fields(Inv))


@dataclass(frozen=True)
class Entry:
    idx: int
    msg_type: int
    payload: bytes
    appended_at: int


class Store:
    """The database of one data directory."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        if not readonly:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = connect(path, readonly=readonly)
        self._cached_catalog: _Catalog | None = None
        self._catalog_written = False
        self._checkpointer: tuple[threading.Event, threading.Thread] | None = None
        if not readonly:
            self._migrate()

    def close(self) -> None:
        if self._checkpointer is not None:
            stop, thread = self._checkpointer
            stop.set()
            thread.join(5)
            self._checkpointer = None
        self.conn.close()

    def checkpoint_in_background(self, interval: float = 0.1) -> None:
        """Copy the WAL back into the database from a thread of its own, every ``interval``
        seconds, instead of inside a commit on the event loop.

        With SQLite's automatic checkpoints (every 1,000 pages), a busy runtime stopped for
        a checkpoint every ~100 calls, inside a commit; checkpointing less often was faster
        but stopped longer (p99 latency 55 ms instead of 31). A PASSIVE checkpoint neither
        waits for nor blocks the writer, and what a commit writes, and when it is durable,
        do not change.
        """
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        stop = threading.Event()

        def run() -> None:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30)
            try:
                while not stop.wait(interval):
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()

        thread = threading.Thread(target=run, name="wal-checkpoint", daemon=True)
        thread.start()
        self._checkpointer = (stop, thread)

    @contextmanager
    def tx(self) -> Iterator[Conn]:
        """One write transaction: everything inside commits together or not at all."""
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        else:
            c.execute("COMMIT")
        finally:
            if self._catalog_written:  # what was read inside may have been rolled back
                self._cached_catalog = None
                self._catalog_written = False

    def _migrate(self) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            version = c.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(f"PRAGMA user_version = {number}")
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

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
            return c.execute("UPDATE invocations SET in_flight = 0 WHERE in_flight = 1").rowcount

    def children(self, c: Conn, parent_id: str) -> list[Inv]:
        rows = c.execute(
            f"SELECT {', '.join(INV_COLUMNS)} FROM invocations WHERE invoked_by_id = ?",
            (parent_id,),
        ).fetchall()
        return [Inv(*r) for r in rows]

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

    # -- deployments and services -----------------------------------------------------
    #
    # Every call reads its service (and its manifest) several times, and they change only
    # when deployments are registered or removed: they are read once into a _Catalog and
    # kept until this connection writes them, or another connection commits anything
    # (PRAGMA data_version). Returned rows are shared: callers must not modify them.

    def _catalog(self) -> _Catalog:
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        catalog = self._cached_catalog
        if catalog is None or catalog.version != version:
            cur = self.conn.execute("SELECT * FROM services ORDER BY name")
            services = {r["name"]: r for r in (_row_dict(cur, row) for row in cur.fetchall())}
            cur = self.conn.execute("SELECT * FROM deployments ORDER BY created_at")
            deployments = {r["id"]: r for r in (_row_dict(cur, row) for row in cur.fetchall())}
            catalog = _Catalog(version, services, deployments)
            self._cached_catalog = catalog
        return catalog

    def _catalog_changed(self) -> None:
        """Forget the catalog now and again when the current transaction ends."""
        self._cached_catalog = None
        self._catalog_written = True

    def deployments(self) -> list[dict[str, Any]]:
        return list(self._catalog().deployments.values())

    def deployment(self, dep_id: str) -> dict[str, Any] | None:
        return self._catalog().deployments.get(dep_id)

    def deployment_by_uri(self, uri: str) -> dict[str, Any] | None:
        return next((d for d in self._catalog().deployments.values() if d["uri"] == uri), None)

    def save_deployment(self, c: Conn, dep: dict[str, Any]) -> None:
        cols = list(dep)
        c.execute(
            f"INSERT INTO deployments ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{k} = excluded.{k}' for k in cols if k != 'id')}",
            tuple(dep.values()),
        )
        self._catalog_changed()

    def delete_deployment(self, c: Conn, dep_id: str) -> None:
        c.execute("DELETE FROM deployments WHERE id = ?", (dep_id,))
        c.execute("DELETE FROM services WHERE deployment_id = ?", (dep_id,))
        self._catalog_changed()

    def services(self) -> list[dict[str, Any]]:
        return list(self._catalog().services.values())

    def service(self, name: str, c: Conn | None = None) -> dict[str, Any] | None:
        return self._catalog().services.get(name)

    def service_manifest(self, name: str) -> dict[str, Any]:
        """The service's manifest, parsed once; ``{}`` for an unknown service."""
        catalog = self._catalog()
        manifest = catalog.manifests.get(name)
        if manifest is None:
            svc = catalog.services.get(name)
            manifest = json.loads(svc["manifest"]) if svc else {}
            catalog.manifests[name] = manifest
        return manifest

    def save_service(self, c: Conn, svc: dict[str, Any]) -> None:
        cols = list(svc)
        c.execute(
            f"INSERT INTO services ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT (name) DO UPDATE SET "
            f"{', '.join(f'{k} = excluded.{k}' for k in cols if k != 'name')}",
            tuple(svc.values()),
        )
        self._catalog_changed()

    def set_service_public(self, c: Conn, name: str, public: bool) -> None:
        c.execute("UPDATE services SET public = ? WHERE name = ?", (int(public), name))
        self._catalog_changed()

    def set_service_manifest(self, c: Conn, name: str, manifest: dict[str, Any]) -> None:
        c.execute("UPDATE services SET manifest = ? WHERE name = ?", (json.dumps(manifest), name))
        self._catalog_changed()

    # -- kafka -----------------------------------------------------------------------

    def kafka_clusters(self) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT name, properties, created_at FROM kafka_clusters ORDER BY seq")
        return [_row_dict(cur, r) for r in cur.fetchall()]

    def kafka_cluster(self, name: str) -> dict[str, Any] | None:
        cur = self.conn.execute(
            "SELECT name, properties, created_at FROM kafka_clusters WHERE name = ?", (name,)
        )
        row = cur.fetchone()
        return _row_dict(cur, row) if row else None

    def save_kafka_cluster(self, c: Conn, name: str, properties: dict[str, str], created_at: int) -> None:
        seq = c.execute("SELECT IFNULL(MAX(seq), 0) + 1 FROM kafka_clusters").fetchone()[0]
        c.execute(
            "INSERT INTO kafka_clusters (name, properties, created_at, seq) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET properties = excluded.properties",
            (name, json.dumps(properties), created_at, seq),
        )

    def delete_kafka_cluster(self, c: Conn, name: str) -> bool:
        return c.execute("DELETE FROM kafka_clusters WHERE name = ?", (name,)).rowcount == 1

    def subscriptions(self) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT id, source, sink, options FROM subscriptions ORDER BY created_at")
        return [_row_dict(cur, r) for r in cur.fetchall()]

    def subscription(self, sub_id: str) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT id, source, sink, options FROM subscriptions WHERE id = ?", (sub_id,))
        row = cur.fetchone()
        return _row_dict(cur, row) if row else None

    def save_subscription(
        self, c: Conn, sub_id: str, source: str, sink: str, options: dict[str, str], now: int
    ) -> None:
        c.execute(
            "INSERT INTO subscriptions (id, source, sink, options, created_at) VALUES (?, ?, ?, ?, ?)",
            (sub_id, source, sink, json.dumps(options), now),
        )

    def delete_subscription(self, c: Conn, sub_id: str) -> bool:
        c.execute("DELETE FROM kafka_offsets WHERE subscription_id = ?", (sub_id,))
        return c.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,)).rowcount == 1

    def kafka_offset(self, c: Conn, sub_id: str, topic: str, partition: int) -> int | None:
        row = c.execute(
            "SELECT next_offset FROM kafka_offsets WHERE subscription_id = ? AND topic = ? AND partition = ?",
            (sub_id, topic, partition),
        ).fetchone()
        return row[0] if row else None

    def set_kafka_offset(self, c: Conn, sub_id: str, topic: str, partition: int, next_offset: int) -> None:
        c.execute(
            "INSERT INTO kafka_offsets (subscription_id, topic, partition, next_offset) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (subscription_id, topic, partition) "
            "DO UPDATE SET next_offset = excluded.next_offset",
            (sub_id, topic, partition, next_offset),
        )

    # -- counts for the dev log and the benchmark --------------------------------------

    def count_by_status(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT status, COUNT(*) FROM invocations GROUP BY status").fetchall())


@dataclass
class _Catalog:
    version: int  # PRAGMA data_version when read
    services: dict[str, dict[str, Any]]
    deployments: dict[str, dict[str, Any]]
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)


def _row_dict(cur: sqlite3.Cursor, row: Sequence[Any]) -> dict[str, Any]:
    return {d[0]: v for d, v in zip(cur.description, row, strict=True)}


def connect(path: Path, *, readonly: bool = False) -> Conn:
    """A connection with WAL, a busy timeout, and the sys_* views available."""
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=30,
        )
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA case_sensitive_like = ON")
    sysviews.install(conn)
    return conn
