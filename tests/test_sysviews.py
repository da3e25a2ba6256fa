"""The system views' timestamps are the same text whether Python or SQLite formats them."""

from __future__ import annotations

import random
import sqlite3

from restate_cli.embedded.store import sysviews


def test_native_timestamps_match_ts() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (ms INTEGER)")
    rnd = random.Random(42)
    values = [0, 1, 999, 1000, 86_399_999, 1_795_804_010_241, 1_795_804_010_999, 4_102_444_799_999]
    values += [rnd.randrange(0, 4_102_444_800_000) for _ in range(20_000)]
    conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values] + [(None,)])
    sql = sysviews._native_ts("SELECT ms, restate_ts(ms) FROM t")
    assert "restate_ts" not in sql
    for ms, text in conn.execute(sql):
        assert text == sysviews.ts(ms), ms


def test_every_view_is_written_without_restate_ts(tmp_path) -> None:
    from restate_cli.embedded.store import Store, connect

    Store(tmp_path / "r.db").close()  # creates the tables
    conn = connect(tmp_path / "r.db", readonly=True)
    sysviews.install(conn)
    views = conn.execute("SELECT name, sql FROM sqlite_temp_master WHERE type = 'view'").fetchall()
    assert {name for name, _ in views} == {*sysviews.VIEW_NAMES, *map(sysviews.hidden, sysviews.VIEW_NAMES)}
    assert not [sql for _, sql in views if "restate_ts(" in sql]
