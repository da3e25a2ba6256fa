"""``restate-cli invocations``: list, describe, cancel, kill, purge, pause, resume, restart.

Only typer and the standard library are imported here; the work happens in functions
that import the admin client and the renderers when they run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from restate_cli.app import group
from restate_cli.commands._common import positive, runtime, split_list
from restate_cli.commands._common import watch as _watch
from restate_cli.errors import UsageError

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient
    from restate_cli.admin.sql import ListFilter
    from restate_cli.app import Runtime

app = group(
    "List, inspect and manage invocations.",
    aliases={"ls": "list", "get": "describe", "rm": "purge", "restart": "restart-as-new"},
)

STATUS_VALUES = (
    "pending",
    "scheduled",
    "ready",
    "running",
    "backing-off",
    "suspended",
    "paused",
    "completed",
)
QUERY_HELP = "An invocation id, or a target: Service, Service/handler, Object/key, Object/key/handler"


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    query: str | None = typer.Argument(None, help=QUERY_HELP, show_default=False),
    status: list[str] = typer.Option(
        [], "--status", help=f"Only these statuses ({', '.join(STATUS_VALUES)})"
    ),
    service: list[str] = typer.Option([], "--service", help="Only these services"),
    handler: list[str] = typer.Option([], "--handler", help="Only these handlers"),
    key: list[str] = typer.Option([], "--key", help="Only these virtual-object or workflow keys"),
    deployment: list[str] = typer.Option(
        [], "--deployment", "--dp", help="Only invocations on these deployments"
    ),
    zombie: bool = typer.Option(
        False, "--zombie", help="Only invocations pinned to a deployment that no longer exists"
    ),
    completion_result: str | None = typer.Option(
        None,
        "--completion-result",
        metavar="success|failure",
        help="Only completed invocations with this result",
    ),
    virtual_objects_only: bool = typer.Option(
        False, "--virtual-objects-only", help="Only virtual-object invocations"
    ),
    all_: bool = typer.Option(False, "--all", help="Include completed invocations"),
    oldest_first: bool = typer.Option(False, "--oldest-first", help="Oldest first (default: newest first)"),
    limit: int = typer.Option(100, "--limit", help="At most this many invocations"),
    watch: bool = typer.Option(False, "-w", "--watch", help="Refresh continuously"),
    interval: float = typer.Option(1.0, "-n", "--interval", help="Seconds between refreshes in watch mode"),
) -> None:
    """List invocations (by default, those not completed)."""
    from restate_cli.admin.sql import ListFilter

    rt = runtime(ctx)
    statuses = [s.lower() for s in split_list(status)]
    bad = [s for s in statuses if s not in STATUS_VALUES]
    if bad:
        raise UsageError(f"unknown status {bad[0]!r}; choose from {', '.join(STATUS_VALUES)}")
    result = completion_result.lower() if completion_result else None
    if result not in (None, "success", "failure"):
        raise UsageError("--completion-result must be success or failure")
    if result and (all_ or statuses):
        raise UsageError("--completion-result cannot be combined with --all or --status")
    positive(limit, "--limit")
    if interval <= 0:
        raise UsageError("-n/--interval must be positive")
    filt = ListFilter(
        services=split_list(service),
        handlers=split_list(handler),
        keys=split_list(key),
        deployments=split_list(deployment),
        statuses=statuses,
        all=all_,
        completion_result=result,
        virtual_objects_only=virtual_objects_only,
        zombie=zombie,
        query=query,
    )
    filt.where()  # validates the query before any request
    _watch(rt, watch, interval, lambda client: _list(rt, client, filt, limit, oldest_first))


async def _list(rt: Runtime, client: AdminClient, filt: ListFilter, limit: int, oldest_first: bool) -> None:
    from restate_cli.admin.queries import list_invocations
    from restate_cli.render import invocations as view
    from restate_cli.render.output import write_json, write_lines, write_rows
    from restate_cli.render.timefmt import now

    page = await list_invocations(client, filt, limit=limit, oldest_first=oldest_first)
    out = rt.output
    if out.json:
        write_json(rt.io, [view.to_json(i) for i in page.invocations])
    elif out.quiet:
        write_lines(rt.io, [i.id for i in page.invocations])
    elif out.fmt:
        write_rows(rt.io, view.LIST_HEADERS, view.table_rows(page.invocations), out)
    else:
        view.print_entries(rt.io, page.invocations, out, now())
    if not out.machine or out.fmt:
        view.print_footer(rt.io, len(page.invocations), page.total, page.exact, page.elapsed)


@app.command("describe")
def describe_cmd(
    ctx: typer.Context,
    invocation_id: str = typer.Argument(..., metavar="INVOCATION_ID", help="The invocation id (inv_…)"),
    watch: bool = typer.Option(False, "-w", "--watch", help="Refresh continuously"),
    interval: float = typer.Option(1.0, "-n", "--interval", help="Seconds between refreshes in watch mode"),
) -> None:
    """Show everything about one invocation, with its journal, parent and children."""
    rt = runtime(ctx)
    invocation_id = _invocation_id(invocation_id)
    if interval <= 0:
        raise UsageError("-n/--interval must be positive")
    _watch(rt, watch, interval, lambda client: _describe(rt, client, invocation_id))


def _invocation_id(value: str) -> str:
    from restate_cli import ids

    value = value.strip()
    try:
        ids.check(value, "inv")
    except ids.IdError as e:
        raise UsageError(f"invalid invocation id {value!r}: {e}") from None
    return value


async def _describe(rt: Runtime, client: AdminClient, invocation_id: str) -> None:
    from restate_cli.admin.errors import ApiError
    from restate_cli.admin.queries import describe_invocation, pause_reason
    from restate_cli.admin.tree import fetch_family
    from restate_cli.render import invocations as view
    from restate_cli.render.output import write_json, write_lines
    from restate_cli.render.timefmt import now

    inv, journal, journal_total = await describe_invocation(client, invocation_id)
    paused_by = await pause_reason(client, invocation_id) if inv.status == "paused" else None
    try:
        family = await fetch_family(client, inv)
    except ApiError as e:
        client.warnings.append(f"could not read the parent and children: {e.message}")
        family = None
    out = rt.output
    if out.json:
        from restate_cli.render.tree import family_json

        data = view.to_json(inv)
        data["journal"] = [e.model_dump(mode="json") for e in journal]
        data["pause_reason"] = paused_by
        if family is not None:
            data.update(family_json(family))
        write_json(rt.io, data)
    elif out.quiet:
        write_lines(rt.io, [inv.id])
    elif out.fmt:
        from restate_cli.render.output import write_rows

        write_rows(rt.io, view.LIST_HEADERS, view.table_rows([inv]), out)
    else:
        view.print_describe(
            rt.io, inv, journal, out, now(), journal_total=journal_total, family=family, paused_by=paused_by
        )


@app.command("tree")
def tree_cmd(
    ctx: typer.Context,
    invocation_id: str = typer.Argument(..., metavar="INVOCATION_ID", help="The invocation id (inv_…)"),
    depth: int | None = typer.Option(
        None, "--depth", metavar="N", help="Show at most N levels below the invocation"
    ),
    watch: bool = typer.Option(False, "-w", "--watch", help="Refresh continuously"),
    interval: float = typer.Option(1.0, "-n", "--interval", help="Seconds between refreshes in watch mode"),
) -> None:
    """Show an invocation's call tree: its callers and everything it started.

    The callers go up to the root (ingress, subscription or restart); below the invocation
    comes every invocation it started, with how (awaited call, one-way send, delayed send
    and when it is due) and its status."""
    rt = runtime(ctx)
    invocation_id = _invocation_id(invocation_id)
    if depth is not None and depth < 0:
        raise UsageError("--depth must be 0 or more")
    if interval <= 0:
        raise UsageError("-n/--interval must be positive")
    _watch(rt, watch, interval, lambda client: _tree(rt, client, invocation_id, depth))


async def _tree(rt: Runtime, client: AdminClient, invocation_id: str, depth: int | None) -> None:
    import time

    from restate_cli.admin.tree import fetch_tree
    from restate_cli.render import tree as view
    from restate_cli.render.output import write_json, write_lines, write_rows
    from restate_cli.render.timefmt import now

    started = time.perf_counter()
    tree = await fetch_tree(client, invocation_id, depth=depth)
    elapsed = time.perf_counter() - started
    out = rt.output
    if out.json:
        write_json(rt.io, view.tree_json(tree))
    elif out.quiet:
        write_lines(rt.io, view.tree_ids(tree))
    elif out.fmt:
        write_rows(rt.io, view.TREE_ROW_HEADERS, view.tree_rows(tree), out)
    else:
        view.print_tree(rt.io, tree, out, now())
    if not out.machine or out.fmt:
        view.print_tree_footer(rt.io, tree, elapsed)


# -- bulk actions ----------------------------------------------------------------------


def _bulk(
    ctx: typer.Context,
    verb: str,
    query: str,
    limit: int,
    dry_run: bool,
    params: dict[str, str] | None = None,
    wait: float = 3.0,
) -> None:
    from restate_cli.commands import _bulk

    rt = runtime(ctx)
    _bulk.run(rt, _bulk.BulkOptions(_bulk.ACTIONS[verb], query, limit, dry_run, params or {}, wait))


LIMIT_HELP = "At most this many invocations are selected"
DRY_RUN_HELP = "Show what would be affected and change nothing"
WAIT_HELP = (
    "Afterwards, wait up to this many seconds for the invocations reached to end, "
    "then report what happened to each one (0: do not check)"
)


@app.command("cancel")
def cancel_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(..., help=QUERY_HELP),
    kill: bool = typer.Option(
        False, "--kill", help="Kill instead: stop at once, without running compensations"
    ),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    wait: float = typer.Option(3.0, "--wait", metavar="SECONDS", help=WAIT_HELP),
) -> None:
    """Cancel invocations and the calls they await; handlers may run compensations.

    Before asking, shows which invocations down the call trees the cancel reaches (awaited
    calls) and which it does not (one-way and delayed sends keep running)."""
    _bulk(ctx, "kill" if kill else "cancel", query, limit, dry_run, wait=wait)


@app.command("kill")
def kill_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(..., help=QUERY_HELP),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    wait: float = typer.Option(3.0, "--wait", metavar="SECONDS", help=WAIT_HELP),
) -> None:
    """Kill invocations at once, without involving their handlers.

    Before asking, shows which invocations down the call trees the kill reaches, by the
    rules of the server it talks to (restate-server also kills one-way sends and deletes
    delayed sends; the embedded runtime follows the documentation and spares them)."""
    _bulk(ctx, "kill", query, limit, dry_run, wait=wait)


@app.command("purge")
def purge_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(..., help=QUERY_HELP),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Delete completed invocations, with their journals and results."""
    _bulk(ctx, "purge", query, limit, dry_run)


@app.command("pause")
def pause_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(..., help=QUERY_HELP),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Pause running or backing-off invocations (restate-server 1.6+)."""
    _bulk(ctx, "pause", query, limit, dry_run)


@app.command("resume")
def resume_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(..., help=QUERY_HELP),
    deployment: str | None = typer.Option(
        None,
        "--deployment",
        metavar="ID|latest|keep",
        help="Resume on this deployment (default: the pinned one)",
    ),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Resume paused invocations, or retry backing-off ones now."""
    params = {}
    if deployment is not None:
        from restate_cli import ids

        deployment = deployment.strip()
        if deployment.lower() not in ("latest", "keep") and not ids.is_valid(deployment, "dp"):
            raise UsageError(
                f"--deployment must be a deployment id (dp_…), latest or keep; got {deployment!r}"
            )
        params["deployment"] = deployment
    _bulk(ctx, "resume", query, limit, dry_run, params)


@app.command("restart-as-new")
def restart_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(..., help=QUERY_HELP),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Start completed invocations again, as new invocations with the same input."""
    _bulk(ctx, "restart", query, limit, dry_run)
