"""What a ``POST /query`` statement may reach: restate-server's system views, with their
columns, and functions known to be safe.

SQLite asks an authorizer about every column and function a statement uses while it
prepares the statement. Reads of the store's own tables are allowed only from inside the
definition of a system view: SQLite names the innermost view a read comes from, and the
definitions live in views whose names no query can know (``sysviews.hidden``), because a
common table expression is reported by its name just like a view. Everything else (the
store's tables, SQLite's schema tables, ``pragma_*`` and ``json_each`` table functions,
functions such as ``load_extension`` or ``sqlite_offset``) is refused, and ``Refusal``
says so in restate-server's words.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
from dataclasses import dataclass

from restate_cli.embedded.store import sysviews

# Functions a query may call: pure functions of their arguments, plus the clock and
# random values. Not on the list, among others: load_extension, the sqlite_* functions
# (version, source id, compile options, log, offset), changes, total_changes,
# last_insert_rowid, fts3_tokenizer and the fts5, rtree and matchinfo helpers.
SAFE_FUNCTIONS = frozenset(
    {
        # aggregates and window functions
        "avg", "count", "group_concat", "json_group_array", "json_group_object", "max", "min",
        "sum", "total", "cume_dist", "dense_rank", "first_value", "lag", "last_value", "lead",
        "nth_value", "ntile", "percent_rank", "rank", "row_number",
        # values and text
        "abs", "char", "coalesce", "format", "glob", "hex", "ifnull", "iif", "instr", "length",
        "like", "likelihood", "likely", "lower", "ltrim", "nullif", "printf", "quote", "random",
        "randomblob", "replace", "round", "rtrim", "soundex", "substr", "substring", "trim",
        "typeof", "unicode", "unlikely", "upper", "zeroblob", "starts_with",
        # numbers
        "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos",
        "cosh", "degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow",
        "power", "radians", "sign", "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
        # time
        "current_date", "current_time", "current_timestamp", "date", "datetime", "julianday",
        "now", "strftime", "time", "unixepoch",
        # JSON values (not the json_each / json_tree table functions)
        "->", "->>", "json", "json_array", "json_array_length", "json_extract", "json_insert",
        "json_object", "json_patch", "json_quote", "json_remove", "json_replace", "json_set",
        "json_type", "json_valid",
    }
)  # fmt: skip

_PUBLIC = frozenset(sysviews.VIEW_NAMES)
_INFORMATION_SCHEMA = frozenset({"tables", "columns"})
_REFERENCE = re.compile(r'(?:["`\[]?(\w+)["`\]]?\s*\.\s*)?["`\[]?(\w+)["`\]]?')
_READ_ONLY = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE}


@dataclass(frozen=True)
class Refusal:
    """Why a statement was refused: ``kind`` is table, table function, column, function or write."""

    kind: str
    name: str = ""

    def answer(self, sql: str) -> tuple[int, str]:
        """The status and DataFusion message restate-server gives for the same mistake."""
        if self.kind == "function":
            near = difflib.get_close_matches(self.name, sorted(SAFE_FUNCTIONS), n=1)
            hint = f"\nDid you mean '{near[0]}'?" if near else ""
            return 500, f"Error during planning: Invalid function '{self.name}'.{hint}"
        if self.kind == "table function":
            return 400, f"Error during planning: table function '{self.name}' not found"
        if self.kind == "table":
            return 500, f"Error during planning: table '{_as_written(sql, self.name)}' not found"
        if self.kind == "column":
            return 500, f"Schema error: No field named {self.name}."
        return 400, "Error during planning: only queries that read data are supported"


class Sandbox:
    """The authorizer of one query connection; ``begin`` before each statement."""

    def __init__(self, store_tables: frozenset[str], modules: frozenset[str] = frozenset()) -> None:
        self.store_tables = store_tables
        self.modules = modules  # virtual table modules: json_each, dbstat, sqlite_stmt, ...
        self.hidden = frozenset(sysviews.hidden(v).lower() for v in _PUBLIC)
        self.refusal: Refusal | None = None
        self._through_views: set[str] = set()
        self._declaring = False

    def begin(self) -> None:
        self.refusal = None
        self._through_views.clear()
        self._declaring = False

    def __call__(
        self, action: int, arg1: str | None, arg2: str | None, db: str | None, view: str | None
    ) -> int:
        if arg1 == "sqlite_master" and view is None:
            # Before a statement's first use of a table function (pragma_table_info,
            # json_each) SQLite declares it, which writes (ignored) and reads the schema
            # table; reading the function then is refused below, by its name.
            if action == sqlite3.SQLITE_UPDATE:
                self._declaring = True
                return sqlite3.SQLITE_IGNORE
            if action == sqlite3.SQLITE_READ and arg2 == "ROWID" and self._declaring:
                self._declaring = False
                return sqlite3.SQLITE_OK
        refusal = self._check(action, arg1 or "", arg2 or "", db, (view or "").lower())
        if refusal is None:
            return sqlite3.SQLITE_OK
        if self.refusal is None or self.refusal.kind == "write":
            self.refusal = refusal  # the first one that names what the query reached for
        return sqlite3.SQLITE_DENY

    def _check(self, action: int, arg1: str, arg2: str, db: str | None, view: str) -> Refusal | None:
        if action in _READ_ONLY:
            return None
        if action == sqlite3.SQLITE_FUNCTION:
            ok = view in self.hidden or arg2.lower() in SAFE_FUNCTIONS
            return None if ok else Refusal("function", arg2)
        if action != sqlite3.SQLITE_READ:
            return Refusal("write")
        table = arg1.lower()
        if view in self.hidden:  # the definition of a system view reads the store
            self._through_views.add(table)
            return None
        if table in self.hidden or (db == "information_schema" and table in _INFORMATION_SCHEMA):
            return None
        if table in _PUBLIC and db == "temp":
            return Refusal("column", "rowid") if arg2 == "ROWID" else None
        function = table in self.modules or table.startswith("pragma_")
        if arg2 == "" and (
            table in self._through_views
            or not (function or table in self.store_tables or table.startswith("sqlite_"))
        ):
            # count(*) uses a table and none of its columns: a store table a system view
            # reads, or a common table expression (a name SQLite reports no other way; one
            # named like a store table is refused, before its definition is seen)
            return None
        return Refusal("table function" if function else "table", arg1)


def install(conn: sqlite3.Connection) -> Sandbox:
    """Put a sandbox on a connection whose system views are installed."""
    tables = conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'").fetchall()
    modules = conn.execute("SELECT name FROM pragma_module_list").fetchall()
    sandbox = Sandbox(frozenset(n.lower() for (n,) in tables), frozenset(n.lower() for (n,) in modules))
    conn.set_authorizer(sandbox)
    return sandbox


def _as_written(sql: str, name: str) -> str:
    """``restate.public.name`` as the query wrote it (with its schema, if it gave one):
    how DataFusion names a table it does not have."""
    name = name.lower()
    for m in _REFERENCE.finditer(sql):
        qualifier, word = m.group(1), m.group(2)
        if _same_table(name, word.lower(), (qualifier or "").lower()):
            return f"restate.{qualifier or 'public'}.{word}"
    return f"restate.public.{name}"


def _same_table(name: str, word: str, qualifier: str) -> bool:
    """Whether ``qualifier.word`` in a query is the table SQLite reports as ``name``: it
    reports its schema tables by one name whichever the query used."""
    if name == "sqlite_master":
        return word in ("sqlite_master", "sqlite_schema") and qualifier != "temp"
    if name == "sqlite_temp_master":
        return word in ("sqlite_temp_master", "sqlite_temp_schema") or (
            qualifier == "temp" and word in ("sqlite_master", "sqlite_schema")
        )
    return word == name
