"""The store's schema: its migrations, and how a connection to it is opened.

The database's ``user_version`` is the number of migrations applied.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from restate_cli.embedded.store.rows import Conn

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
    # 4: a million invocations. Retention is a sweep by expiry time instead of a timer row
    # per completed invocation; the views' status and created_at (sysviews.EXPRESSIONS,
    # written out the same way) are indexed, so `invocations list` filters and sorts by them
    # without reading every invocation (tests/test_store_schema.py checks the plans).
    """
    CREATE INDEX IF NOT EXISTS invocations_expiry ON invocations (status, expires_at);
    DELETE FROM timers WHERE kind = 'expire';
    CREATE INDEX IF NOT EXISTS invocations_created_text
        ON invocations (strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch'));
    CREATE INDEX IF NOT EXISTS invocations_view_status ON invocations (
        CASE status WHEN 'inboxed' THEN 'pending' WHEN 'invoked' THEN CASE
        WHEN in_flight = 1 THEN 'running'
        WHEN attempts > 0 AND next_retry_at IS NOT NULL THEN 'backing-off'
        ELSE 'ready' END ELSE status END,
        strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch'));
    """,
    # 5: fewer indexes to keep up on every state change: (status, expires_at) of migration 4
    # answers the engine's lookups by status, and nothing reads by the numeric created_at.
    """
    DROP INDEX IF EXISTS invocations_status;
    DROP INDEX IF EXISTS invocations_created;
    """,
]


class NewerSchema(Exception):
    """The store was written by a newer restate-cli: its schema version is past ours."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(f"schema version {found}, newer than the {known} this restate-cli knows")
        self.found = found
        self.known = known


def problem(e: sqlite3.Error) -> str | None:
    """``"corrupt"`` or ``"read-only"`` when SQLite's error says the store is, else None."""
    code = getattr(e, "sqlite_errorcode", 0) & 0xFF
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return "corrupt"
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return "read-only"
    return None


def migrate(c: Conn) -> None:
    """Apply the migrations this database has not had yet, in one transaction."""
    c.execute("BEGIN IMMEDIATE")
    try:
        version = c.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise NewerSchema(version, len(MIGRATIONS))
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in script.split(";"):
                if statement.strip():
                    c.execute(statement)
            c.execute(f"PRAGMA user_version = {number}")
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise


def connect(path: Path, *, readonly: bool = False) -> Conn:
    """A connection with WAL and a busy timeout (``readonly``: one that cannot write)."""
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
        # the writer's page cache, 32 MiB (SQLite's default is 2): more of a large store's
        # index pages stay in memory (`dev` held 119 MB at a million invocations)
        conn.execute("PRAGMA cache_size = -32768")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA case_sensitive_like = ON")
    return conn
