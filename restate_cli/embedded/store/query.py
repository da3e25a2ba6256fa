"""``POST /query``: SQL over the system views, strictly read-only, in JSON or Arrow.

Queries run side by side: each in a thread of the ``QueryPool``, on a read-only connection
of its own (``query_only``, with a sandbox that lets it reach the system views and safe
functions only: ``store.sandbox``). At most ``QUERY_CONNECTIONS`` run at once; more
wait for a free connection, up to the time limit. A query stops at the time limit, when
its client disconnects (``Connection.interrupt``), and when its answer passes
``MAX_RESULT_BYTES``: rows are encoded as they are read, so that is what it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from restate_cli.embedded.store import sandbox, sysviews
from restate_cli.embedded.store.schema import connect, problem

QUERY_TIMEOUT_SECONDS = float(os.environ.get("RESTATE_CLI_QUERY_TIMEOUT_SECONDS", "30"))
QUERY_CONNECTIONS = int(os.environ.get("RESTATE_CLI_QUERY_CONNECTIONS", "8"))
MAX_RESULT_BYTES = int(os.environ.get("RESTATE_CLI_QUERY_MAX_RESULT_BYTES", str(32 * 1024 * 1024)))
FETCH_ROWS = 1000
ARROW = "application/vnd.apache.arrow.stream"
_PROGRESS_STEPS = 10_000  # SQLite virtual machine steps between two looks at the clock

_DML = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
_DDL = frozenset({"CREATE", "DROP", "ALTER", "ATTACH", "DETACH", "PRAGMA", "VACUUM", "REINDEX", "BEGIN"})


class Job:
    """One query: what it asks, and how to stop it from another thread."""

    def __init__(self, sql: str, accept: str) -> None:
        self.sql = sql
        self.accept = accept
        self.queued_at = time.monotonic()
        self.cancelled = False
        self.conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            if self.conn is not None:
                self.conn.interrupt()

    def attach(self, conn: sqlite3.Connection | None) -> bool:
        """Run on ``conn`` (``None``: done); False if the job was cancelled first."""
        with self._lock:
            self.conn = conn
            return not self.cancelled


class QueryPool:
    """The query threads and read connections of one store."""

    def __init__(self, path: Path, size: int = QUERY_CONNECTIONS, *, raise_corrupt: bool = False) -> None:
        self.path = path
        self.size = size
        self.raise_corrupt = raise_corrupt  # a corrupt store raises instead of answering 500
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="query")
        self._local = threading.local()  # each thread's connection and its sandbox
        self._running: set[Job] = set()
        self._lock = threading.Lock()

    async def answer(
        self, sql: str, accept: str, gone: Callable[[], Awaitable[None]] | None = None
    ) -> Answer:
        """Run ``sql`` in a thread of the pool; interrupt it if ``gone()`` returns first (its
        client disconnected)."""
        job = Job(sql, accept)
        try:
            future = asyncio.wrap_future(self._executor.submit(self._run, job))
        except RuntimeError:  # the runtime is stopping
            return _error(503, "Execution error: the runtime is shutting down")
        left = asyncio.ensure_future(gone()) if gone is not None else None
        try:
            await asyncio.wait(
                [future] if left is None else [future, left], return_when=asyncio.FIRST_COMPLETED
            )
        except asyncio.CancelledError:  # the server is stopping
            job.cancel()
            raise
        finally:
            if left is not None:
                left.cancel()
        if future.done():
            return future.result()
        job.cancel()
        future.cancel()  # not started yet: it never will
        return _error(500, "Execution error: the client closed the connection")

    def close(self) -> None:
        """Interrupt the running queries; queued ones are dropped."""
        with self._lock:
            running = list(self._running)
        for job in running:
            job.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job) -> Answer:
        if time.monotonic() - job.queued_at > QUERY_TIMEOUT_SECONDS:
            return _error(
                500,
                f"Resources exhausted: all {self.size} query connections stayed busy for "
                f"{QUERY_TIMEOUT_SECONDS:g}s; try again later",
            )
        try:
            conn, guard = self._connection()
        except sqlite3.Error as e:
            return self._store_error(e)
        if not job.attach(conn):
            return _error(500, "Execution error: the client closed the connection")
        with self._lock:
            self._running.add(job)
        deadline = time.monotonic() + QUERY_TIMEOUT_SECONDS
        conn.set_progress_handler(lambda: job.cancelled or time.monotonic() > deadline, _PROGRESS_STEPS)
        try:
            return _execute(conn, guard, job)
        except sqlite3.DatabaseError as e:  # the store is corrupt
            return self._store_error(e)
        finally:
            job.attach(None)
            with self._lock:
                self._running.discard(job)
            conn.set_progress_handler(None, 0)

    def _store_error(self, e: sqlite3.Error) -> Answer:
        if problem(e) == "corrupt":
            if self.raise_corrupt:
                raise e
            return _error(
                500,
                f"External error: the embedded runtime's store {self.path} is corrupt ({e}); "
                "move it aside (with its -wal and -shm files) to start with an empty one",
            )
        return _sqlite_error(str(e))

    def _connection(self) -> tuple[sqlite3.Connection, sandbox.Sandbox]:
        held = getattr(self._local, "held", None)
        if held is None:
            conn = connect(self.path, readonly=True)
            sysviews.install(conn)
            conn.execute("PRAGMA query_only = ON")
            conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_RESULT_BYTES)  # one value, one row
            held = self._local.held = (conn, sandbox.install(conn))
        return held


def _execute(conn: sqlite3.Connection, guard: sandbox.Sandbox, job: Job) -> Answer:
    text = job.sql.strip().rstrip(";").strip()
    refused = _refuse(text)
    if refused is not None:
        return refused
    guard.begin()
    try:
        cur = conn.execute(_translate(text))
        names = [d[0] for d in cur.description or ()]
        answer = _JsonAnswer(names) if job.accept == "application/json" else _ArrowAnswer(names)
        while rows := cur.fetchmany(FETCH_ROWS):
            answer.add(rows)
        return answer.finish()
    except _TooLarge:
        return _error(
            500,
            f"Resources exhausted: the query's answer passed the limit of {_size(MAX_RESULT_BYTES)} "
            "($RESTATE_CLI_QUERY_MAX_RESULT_BYTES); select fewer rows or columns",
        )
    except _Unencodable as e:
        return _error(500, f"Arrow error: {e}")
    except sqlite3.ProgrammingError as e:
        if "one statement" in str(e):
            return _error(
                500,
                "This feature is not implemented: The context currently only supports a single SQL statement",
            )
        return _error(400, f"SQL error: {e}")
    except sqlite3.DatabaseError as e:
        if guard.refusal is not None:
            return _error(*guard.refusal.answer(text))
        if str(e) == "interrupted":
            if job.cancelled:
                return _error(500, "Execution error: the client closed the connection")
            return _error(500, f"Execution error: the query ran longer than {QUERY_TIMEOUT_SECONDS:g}s")
        if str(e) == "string or blob too big":
            return _error(
                500,
                f"Resources exhausted: a value in the query passed the limit of {_size(MAX_RESULT_BYTES)} "
                "($RESTATE_CLI_QUERY_MAX_RESULT_BYTES)",
            )
        if problem(e) == "corrupt":
            raise
        return _sqlite_error(str(e))
    except UnicodeEncodeError as e:  # a lone surrogate in the query
        return _error(400, f'SQL error: ParserError("{e.reason} at position {e.start}")')


class Answer(NamedTuple):
    """An answer to ``POST /query``: HTTP status, content type and body."""

    status: int
    content_type: str
    body: bytes


def _error(status: int, message: str) -> Answer:
    body = json.dumps({"message": f"Datafusion error: {message}"}, separators=(",", ":"), ensure_ascii=False)
    return Answer(status, "application/json", body.encode())


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n} bytes"


_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$))*", re.DOTALL)


def _refuse(text: str) -> Answer | None:
    """restate-server's answers for an empty query and for statements that are not queries."""
    rest = text[_LEADING.match(text).end() :]  # type: ignore[union-attr]
    if not rest:
        return _error(400, "Error during planning: No SQL statements were provided in the query string")
    first = re.match(r"[A-Za-z]*", rest).group(0).upper()  # type: ignore[union-attr]
    if first in _DML:
        return _error(400, f"Error during planning: DML not supported: {first.capitalize()}")
    if first in _DDL:
        return _error(400, f"Error during planning: DDL not supported: {first.capitalize()}")
    if first == "EXPLAIN":  # SQLite's plans would show the names the sandbox relies on
        return _error(400, "This feature is not implemented: EXPLAIN in the embedded runtime")
    return None


def _sqlite_error(message: str) -> Answer:
    if message.startswith("no such table"):
        table = message.split(":", 1)[1].strip()
        if "." not in table:
            table = f"public.{table}"
        return _error(500, f"Error during planning: table 'restate.{table}' not found")
    if message.startswith("no such function"):
        return _error(500, f"Error during planning: Invalid function '{message.split(':', 1)[1].strip()}'.")
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


class _TooLarge(Exception):
    pass


class _Unencodable(Exception):
    pass


class _JsonAnswer:
    """``{"rows": [...]}``, as restate-server writes it: NULLs left out, booleans and lists
    as JSON, blobs in hex."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self._bools = {i for i, n in enumerate(names) if n in sysviews.BOOL_COLUMNS}
        self._lists = {i for i, n in enumerate(names) if n in sysviews.LIST_COLUMNS}
        self._parts = [b'{"rows":[']
        self._size = 0

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        text = json.dumps(
            [self._row(r) for r in rows], ensure_ascii=False, separators=(",", ":"), default=_hex
        )
        chunk = text[1:-1].encode()
        if len(self._parts) > 1:
            self._parts.append(b",")
        self._parts.append(chunk)
        self._size += len(chunk) + 1
        if self._size > MAX_RESULT_BYTES:
            raise _TooLarge

    def _row(self, row: tuple[Any, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, (name, value) in enumerate(zip(self.names, row, strict=True)):
            if value is None:
                continue
            if i in self._bools and isinstance(value, int):
                value = bool(value)
            elif i in self._lists and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            out[name] = value
        return out

    def finish(self) -> Answer:
        self._parts.append(b"]}")
        return Answer(200, "application/json", b"".join(self._parts))


class _ArrowAnswer:
    """An Arrow IPC stream; the Arrow library is loaded only for this."""

    def __init__(self, names: list[str]) -> None:
        from restate_cli.embedded.store.arrow_answer import BOOLEAN, ArrowWriter

        self._bools = [i for i, n in enumerate(names) if n in sysviews.BOOL_COLUMNS]
        columns = [
            (u, BOOLEAN) if n in sysviews.BOOL_COLUMNS else u
            for n, u in zip(names, _unique(names), strict=True)
        ]
        self._writer = ArrowWriter(columns, limit=MAX_RESULT_BYTES)

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        from restate_cli.embedded.store.arrow_answer import TooLarge

        if self._bools:
            rows = [self._with_bools(r) for r in rows]
        try:
            self._writer.add(rows)
        except TooLarge:
            raise _TooLarge from None
        except (TypeError, ValueError) as e:  # a column of text and numbers, say
            raise _Unencodable(str(e)) from None

    def _with_bools(self, row: tuple[Any, ...]) -> list[Any]:
        values = list(row)
        for i in self._bools:
            if values[i] is not None:
                values[i] = bool(values[i])
        return values

    def finish(self) -> Answer:
        try:
            body = self._writer.finish()
        except (TypeError, ValueError) as e:
            raise _Unencodable(str(e)) from None
        return Answer(200, ARROW, body)


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    raise TypeError(type(value).__name__)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out
