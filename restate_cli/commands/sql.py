"""``restate-cli sql QUERY``: run a SQL query over the system tables (``POST /query``).

restate-server runs DataFusion. The embedded runtime runs SQLite over views with the same
names, columns and value formats, read-only; a query outside what it supports gets the
server's one-line reason.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import typer

from restate_cli.commands._common import runtime, watch
from restate_cli.errors import CliError, UsageError

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient
    from restate_cli.admin.errors import ApiError

_PARSER = re.compile(r'^SQL error: ParserError\("(.*)"\)$', re.DOTALL)


def sql_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(..., metavar="QUERY", help="The SQL query, e.g. 'SELECT * FROM sys_service'"),
    jsonl: bool = typer.Option(False, "--jsonl", help="Print one JSON object per row"),
    watching: bool = typer.Option(False, "-w", "--watch", help="Refresh continuously"),
    interval: float = typer.Option(1.0, "-n", "--interval", help="Seconds between refreshes in watch mode"),
) -> None:
    """Run a SQL query over the system tables (sys_invocation, sys_journal, state, ...).

    Prints a table; --json prints an array of rows, --jsonl one row per line, and -o
    plain|tsv|markdown a table for scripts. The embedded runtime answers with SQLite over the
    same tables: DataFusion-only functions and syntax are not available there."""
    rt = runtime(ctx)
    text = query.strip()
    if not text:
        raise UsageError("the query is empty")
    if jsonl and rt.output.machine:
        raise UsageError("--jsonl cannot be combined with --json, -q or -o")

    async def show(client: AdminClient) -> None:
        import time

        from restate_cli.admin.errors import ApiError
        from restate_cli.render import sql as view

        started = time.perf_counter()
        try:
            rows = await client.query(text)
        except ApiError as e:
            raise _query_error(e, (await client.info()).embedded) from None
        view.print_rows(rt.io, rt.output, rows, jsonl=jsonl, elapsed=time.perf_counter() - started)

    watch(rt, watching, interval, show)


def _query_error(e: ApiError, embedded: bool) -> CliError:
    """One line: the server's reason, without DataFusion's wrapping."""
    message = " ".join(e.server_message.removeprefix("Datafusion error: ").split())
    parsed = _PARSER.match(message)
    if parsed:
        message = parsed.group(1).replace('\\"', '"')
    if embedded:
        return CliError(
            f"the embedded runtime cannot run this query: {message}",
            hint="it runs SQLite over restate's system tables, read-only; DataFusion-only functions "
            "and syntax are not available",
        )
    return CliError(f"the query failed: {message} (HTTP {e.status})")
