"""Rows of a SQL query: a table, JSON, JSON lines or a tabulate format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from restate_cli.io import IO
from restate_cli.render.output import OutputOptions, notice, write_json, write_lines, write_rows


def columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every column, in the order the rows give them (NULLs are absent from a row)."""
    seen: dict[str, None] = {}
    for row in rows:
        for name in row:
            seen.setdefault(name, None)
    return list(seen)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def print_rows(
    io: IO, opts: OutputOptions, rows: Sequence[dict[str, Any]], *, jsonl: bool, elapsed: float
) -> None:
    names = columns(rows)
    if opts.json:
        write_json(io, [{n: row.get(n) for n in names} for row in rows])
        return
    if jsonl:
        write_lines(io, [json.dumps({n: row.get(n) for n in names}, ensure_ascii=False) for row in rows])
        return
    if opts.quiet:
        write_lines(io, [cell(row.get(names[0])) for row in rows] if names else [])
        return
    table = [[cell(row.get(n)) for n in names] for row in rows]
    if names:
        write_rows(io, [n.upper() for n in names] if not opts.fmt else names, table, opts)
    if not opts.fmt:
        n = len(rows)
        notice(io, f"{n} row{'s' if n != 1 else ''}. Query took {elapsed * 1000:.0f} ms")
