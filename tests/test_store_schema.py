"""A data directory written by an older version is upgraded in place when it is opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from restate_cli.embedded.store import MIGRATIONS, Store


def indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as c:
        return {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_an_older_schema_gets_the_later_migrations(tmp_path: Path) -> None:
    db = tmp_path / "restate.sqlite"
    Store(db).close()
    assert "invocations_inbox_seq" in indexes(db)
    with sqlite3.connect(db) as c:  # as the first release left it
        c.execute("DROP INDEX invocations_inbox_seq")
        c.execute("PRAGMA user_version = 1")
    store = Store(db)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        plan = store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT MAX(inbox_seq) FROM invocations WHERE inbox_seq IS NOT NULL"
        ).fetchall()
        assert any("invocations_inbox_seq" in str(row) for row in plan), plan
        with store.tx() as c:
            assert store.next_inbox_seq(c) == 1
    finally:
        store.close()
    assert "invocations_inbox_seq" in indexes(db)


def plan(conn: sqlite3.Connection, sql: str) -> str:
    return " | ".join(str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))


def test_a_version_3_store_sweeps_by_expiry_and_indexes_the_views_status_and_time(tmp_path: Path) -> None:
    """Migration 4 on a store as version 3 left it: its ``expire`` timers go (a sweep by
    ``expires_at`` replaces them), and the list queries read indexes, not every row."""
    from restate_cli.admin import sql
    from restate_cli.embedded.store import sysviews

    db = tmp_path / "restate.sqlite"
    Store(db).close()
    with sqlite3.connect(db) as c:  # as version 3 left it: no new indexes, one timer per completion
        for name in ("invocations_expiry", "invocations_created_text", "invocations_view_status"):
            c.execute(f"DROP INDEX {name}")
        c.execute("INSERT INTO timers (due_at, kind, invocation_id) VALUES (1, 'expire', 'inv_1')")
        c.execute("INSERT INTO timers (due_at, kind, invocation_id) VALUES (2, 'sleep', 'inv_2')")
        c.execute("PRAGMA user_version = 3")
    store = Store(db)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        kinds = [r[0] for r in store.conn.execute("SELECT kind FROM timers")]
        assert kinds == ["sleep"]
        assert "invocations_expiry" in plan(
            store.conn, "SELECT MIN(expires_at) FROM invocations WHERE status = 'completed'"
        )
    finally:
        store.close()

    reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    sysviews.install(reader)
    default = sql.ListFilter()
    backing_off = sql.ListFilter(statuses=["backing-off"])
    everything = sql.ListFilter(all=True)
    assert "invocations_view_status" in plan(reader, sql.list_ids(default, limit=100, oldest_first=False))
    assert "invocations_view_status" in plan(reader, sql.count(default))
    for filt in (backing_off,):
        assert "invocations_view_status" in plan(reader, sql.list_ids(filt, limit=100, oldest_first=False))
        assert "invocations_view_status" in plan(reader, sql.count(filt))
    assert "invocations_created_text" in plan(reader, sql.list_ids(everything, limit=100, oldest_first=False))
    reader.close()


def test_the_engines_lookups_by_status_read_an_index(tmp_path: Path) -> None:
    """None of the engine's reads and writes by status walks every invocation (at a million,
    each such walk took a second)."""
    store = Store(tmp_path / "restate.sqlite")
    try:
        statements = [
            "SELECT id FROM invocations WHERE status = 'invoked' AND in_flight = 0 "
            "AND next_retry_at IS NULL ORDER BY created_at",
            "UPDATE invocations SET in_flight = 0 WHERE status = 'invoked' AND in_flight = 1",
            "SELECT id FROM invocations WHERE status = 'inboxed' AND service = 'S' AND service_key = 'k' "
            "ORDER BY inbox_seq LIMIT 1",
            "SELECT MIN(expires_at) FROM invocations WHERE status = 'completed'",
            "SELECT id FROM invocations WHERE status = 'completed' AND expires_at <= 5 ORDER BY expires_at LIMIT 64",
        ]
        for sql in statements:
            p = plan(store.conn, sql)
            assert "USING" in p and "SCAN invocations" not in p, (sql, p)
        assert "invocations_inbox" in plan(store.conn, statements[2])
    finally:
        store.close()
