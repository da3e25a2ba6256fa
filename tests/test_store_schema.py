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
