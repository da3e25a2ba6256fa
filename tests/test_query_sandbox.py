"""POST /query reaches restate-server's system views with their columns, and safe functions:
nothing of the embedded store's own tables, SQLite's schema, or the process.

The refusals are asked of every backend: restate-server has none of these tables and
functions, and the embedded runtime must answer as it does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from support.backend import Backend

from restate_cli.embedded.store import MIGRATIONS

# The columns of restate-server 1.7.12's system tables that the embedded runtime has, in
# order, as its information_schema.columns lists them.
COLUMNS = json.loads((Path(__file__).parent / "data" / "sys-columns-1.7.12.json").read_text())
STORE_TABLES = sorted(set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", "".join(MIGRATIONS))))
HIDDEN_NAME = re.compile(r"restate_[0-9a-f]{16}_")


def query(b: Backend, sql: str, accept: str = "application/json") -> httpx.Response:
    r = httpx.post(f"{b.admin_url}/query", json={"query": sql}, headers={"accept": accept}, timeout=60)
    assert not HIDDEN_NAME.search(r.text), r.text
    return r


def message(r: httpx.Response) -> str:
    return r.json()["message"].removeprefix("Datafusion error: ")


def test_store_tables_are_found() -> None:
    assert {"invocations", "kv_state", "locks", "timers", "deployments", "journal"} <= set(STORE_TABLES)


@pytest.mark.parametrize(
    ("sql", "table"),
    [(f"SELECT * FROM {t}", f"restate.public.{t}") for t in STORE_TABLES]
    + [
        ("SELECT count(*) FROM invocations", "restate.public.invocations"),
        ("SELECT random_seed FROM main.invocations", "restate.main.invocations"),
        ("SELECT * FROM sqlite_master", "restate.public.sqlite_master"),
        ("SELECT name FROM sqlite_schema", "restate.public.sqlite_schema"),
        ("SELECT * FROM temp.sqlite_master", "restate.temp.sqlite_master"),
        ("SELECT * FROM sqlite_temp_master", "restate.public.sqlite_temp_master"),
        (
            "SELECT * FROM sys_invocation WHERE id IN (SELECT invocation_id FROM locks)",
            "restate.public.locks",
        ),
        ("SELECT (SELECT max(random_seed) FROM invocations)", "restate.public.invocations"),
        ("SELECT count(*) FROM timers, sys_invocation", "restate.public.timers"),
        # a common table expression named like a system view is not one
        (
            "WITH sys_invocation AS (SELECT random_seed AS id FROM invocations) SELECT id FROM sys_invocation",
            "restate.public.invocations",
        ),
        ("WITH state AS (SELECT * FROM kv_state) SELECT * FROM state", "restate.public.kv_state"),
    ],
)
def test_tables_beyond_the_system_views_are_not_found(backend: Backend, sql: str, table: str) -> None:
    r = query(backend, sql)
    assert r.status_code == 500, r.text
    assert message(r) == f"Error during planning: table '{table}' not found"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM pragma_table_info('sys_invocation')",
        "SELECT * FROM pragma_database_list()",
        "SELECT * FROM json_each('[1, 2]')",
        "SELECT * FROM json_tree('{}')",
    ],
)
def test_table_functions_are_not_found(backend: Backend, sql: str) -> None:
    r = query(backend, sql)
    name = sql.split("FROM ")[1].split("(")[0]
    assert r.status_code == (400 if backend.api_version >= 4 else 500), r.text  # 1.6 said 500
    assert message(r) == f"Error during planning: table function '{name}' not found"


@pytest.mark.parametrize(
    "call",
    [
        "load_extension('/tmp/evil.so')",
        "sqlite_version()",
        "sqlite_source_id()",
        "sqlite_compileoption_get(0)",
        "sqlite_compileoption_used('THREADSAFE')",
        "changes()",
        "total_changes()",
        "last_insert_rowid()",
        "fts3_tokenizer('simple')",
    ],
)
def test_functions_beyond_the_safe_ones_are_invalid(backend: Backend, call: str) -> None:
    name = call.split("(")[0]
    r = query(backend, f"SELECT {call}")
    assert r.status_code == 500, r.text
    assert message(r).startswith(f"Error during planning: Invalid function '{name}'.")


def test_functions_of_the_runtime_itself_are_invalid(embedded_only: Backend) -> None:
    for sql, name in (
        ("SELECT sqlite_offset(id) FROM sys_invocation", "sqlite_offset"),
        ("SELECT restate_entry_json(1, x'00', NULL)", "restate_entry_json"),
        ("SELECT restate_utf8(x'41')", "restate_utf8"),
        ("SELECT restate_ts(0)", "restate_ts"),
    ):
        r = query(embedded_only, sql)
        assert r.status_code == 500, r.text
        assert message(r).startswith(f"Error during planning: Invalid function '{name}'."), r.text


def test_hidden_columns_are_not_fields(embedded_only: Backend) -> None:
    for sql, field in (
        ("SELECT random_seed FROM sys_invocation", "random_seed"),
        ("SELECT rowid FROM sys_invocation", "rowid"),
        ("SELECT s.epoch FROM sys_invocation s", "s.epoch"),
    ):
        r = query(embedded_only, sql)
        assert r.status_code == 500, r.text
        assert message(r) == f"Schema error: No field named {field}."


def test_explain_is_refused(embedded_only: Backend) -> None:
    for sql in ("EXPLAIN SELECT * FROM sys_deployment", "/* plan */ EXPLAIN QUERY PLAN SELECT 1"):
        r = query(embedded_only, sql)
        assert r.status_code == 400, r.text


@pytest.mark.parametrize("view", sorted(COLUMNS))
def test_every_system_view_and_column_is_readable(embedded_only: Backend, view: str) -> None:
    columns = ", ".join(f'"{c}"' for c in COLUMNS[view])
    for sql in (
        f"SELECT {columns} FROM {view} LIMIT 3",
        f"SELECT * FROM {view} LIMIT 3",
        f"SELECT count(*) AS n FROM {view}",
        f"SELECT count(*) AS n FROM (SELECT * FROM {view} LIMIT 3)",
    ):
        r = query(embedded_only, sql)
        assert r.status_code == 200, r.text
    r = query(
        embedded_only,
        f"SELECT column_name FROM information_schema.columns WHERE table_name = '{view}' "
        "ORDER BY ordinal_position",
    )
    assert [row["column_name"] for row in r.json()["rows"]] == COLUMNS[view]


def test_safe_functions_and_the_views_together(embedded_only: Backend, backend: Backend) -> None:
    done = backend.call("Greeter/greet", "sandbox").headers["x-restate-id"]
    r = query(
        embedded_only,
        "WITH invocations AS (SELECT * FROM sys_invocation WHERE id = '" + done + "') "
        "SELECT upper(inv.status) AS s, length(randomblob(4)) AS r, json_extract('{\"a\": 1}', '$.a') AS j, "
        "starts_with(inv.target, 'Greeter/') AS g, now() IS NOT NULL AS t, "
        "(SELECT count(*) FROM sys_journal j WHERE j.id = inv.id) AS entries, "
        "(SELECT count(*) FROM sys_deployment) >= 1 AS deployed "
        "FROM invocations inv",
    )
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [
        {"s": "COMPLETED", "r": 4, "j": 1, "g": 1, "t": 1, "entries": 2, "deployed": 1}
    ]
    r = query(embedded_only, "SELECT table_name FROM information_schema.tables ORDER BY table_name")
    assert [row["table_name"] for row in r.json()["rows"]] == sorted(COLUMNS)


@pytest.fixture
def embedded_only(backend: Backend) -> Backend:
    if not backend.embedded:
        pytest.skip("checks what the embedded runtime's sandbox lets through")
    return backend
