"""``POST /query``: SQL over the system views, strictly read-only, in JSON or Arrow.

Queries run on a separate connection that is ``query_only`` and whose authorizer refuses
anything but reading, so a query can never change the runtime's state.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

from restate_cli.embedded.store import arrow, connect, sysviews

QUERY_TIMEOUT_SECONDS = float(os.environ.get("RESTATE_CLI_QUERY_TIMEOUT_SECONDS", "30"))
_conns: dict[Path, sqlite3.Connection] = {}
_lock = threading.Lock()

_ALLOWED = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}


def _authorize(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY


def _connection(path: Path) -> sqlite3.Connection:
    with _lock:
        conn = _conns.get(path)
        if conn is None:
            conn = connect(path)
            conn.execute("PRAGMA query_only = ON")
            conn.set_authorizer(_authorize)
            _conns[path] = conn
        return conn


class Answer(NamedTuple):
    """An answer to ``POST /query``: HTTP status, content type and body."""

    status: int
    content_type: str
    body: bytes


def _error(status: int, message: str) -> Answer:
    body = json.dumps({"message": f"Datafusion error: {message}"}, separators=(",", ":"), ensure_ascii=False)
    return Answer(status, "application/json", body.encode())


def run_query(path: Path, sql: str, accept: str) -> Answer:
    text = sql.strip().rstrip(";").strip()
    if not text:
        return _error(400, "Error during planning: No SQL statements were provided in the query string")
    first = text.split(None, 1)[0].upper()
    if first in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
        return _error(400, f"Error during planning: DML not supported: {first.capitalize()}")
    if first in (
        "CREATE",
        "DROP",
        "ALTER",
        "ATTACH",
        "DETACH",
        "PRAGMA",
        "VACUUM",
        "REINDEX",
        "BEGIN",
    ):
        return _error(400, f"Error during planning: DDL not supported: {first.capitalize()}")
    conn = _connection(path)
    try:
        with _lock:
            deadline = time.monotonic() + QUERY_TIMEOUT_SECONDS
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            cur = conn.execute(_translate(text))
            names = [d[0] for d in cur.description or ()]
            rows = cur.fetchall()
    except sqlite3.ProgrammingError as e:
        if "one statement" in str(e):
            return _error(
                500,
                "This feature is not implemented: The context currently only supports a single SQL statement",
            )
        return _error(400, f"SQL error: {e}")
    except sqlite3.OperationalError as e:
        if str(e) == "interrupted":
            return _error(500, f"Execution error: the query ran longer than {QUERY_TIMEOUT_SECONDS:g}s")
        return _sqlite_error(str(e))
    except sqlite3.DatabaseError as e:
        return _sqlite_error(str(e))
    if accept == "application/json":
        body = json.dumps({"rows": [_json_row(names, r) for r in rows]}, ensure_ascii=False, default=_hex)
        return Answer(200, "application/json", body.encode())
    return Answer(200, arrow.CONTENT_TYPE, _arrow(names, rows))


def _sqlite_error(message: str) -> Answer:
    if message.startswith("no such table"):
        table = message.split(":", 1)[1].strip()
        return _error(500, f"Error during planning: table 'restate.public.{table}' not found")
    if message.startswith("no such column"):
        column = message.split(":", 1)[1].strip()
        return _error(500, f"Schema error: No field named {column}.")
    if "not authorized" in message or "readonly" in message or "read-only" in message:
        return _error(400, "Error during planning: only queries that read data are supported")
    return _error(400, f'SQL error: ParserError("{message}")')


_WORDS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\b(index|STRING)\b", re.IGNORECASE)


def _translate(sql: str) -> str:
    """Accept DataFusion spellings that SQLite reads differently, outside string literals:
    the column name ``index`` (a keyword in SQLite) and the type name ``STRING``."""

    def fix(m: re.Match[str]) -> str:
        word = m.group(1)
        if word is None:
            return m.group(0)
        return '"index"' if word.lower() == "index" else "TEXT"

    return _WORDS.sub(fix, sql)


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    raise TypeError(type(value).__name__)


def _json_row(names: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in zip(names, row, strict=True):
        if value is None:
            continue
        if name in sysviews.BOOL_COLUMNS and isinstance(value, int):
            value = bool(value)
        elif name in sysviews.LIST_COLUMNS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[name] = value
    return out


def _arrow(names: list[str], rows: list[tuple[Any, ...]]) -> bytes:
    types: dict[str, arrow.ArrowType] = {}
    for i, name in enumerate(names):
        if name in sysviews.BOOL_COLUMNS:
            types[name] = arrow.BOOLEAN
            rows = [(*r[:i], None if r[i] is None else bool(r[i]), *r[i + 1 :]) for r in rows]
        elif all(isinstance(r[i], str) or r[i] is None for r in rows):
            types[name] = arrow.LARGE_UTF8
        elif all(isinstance(r[i], bytes) or r[i] is None for r in rows):
            types[name] = arrow.LARGE_BINARY
    unique = _unique(names)
    types = {unique[names.index(k)]: v for k, v in types.items()}
    return arrow.encode_rows(unique, rows, types)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out
