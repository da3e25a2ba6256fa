"""``restate-cli invocations``: list, describe, cancel, kill, purge, pause, resume, restart.

Only typer and the standard library are imported here; the work happens in functions
that import the admin client and the renderers when they run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from restate_cli.app import group
from restate_cli.commands._common import check_limit, runtime, split_list
from restate_cli.commands._common import watch as _watch
from restate_cli.errors import UsageError, did_you_mean

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
    query: str | None = typer.Argument(None, metavar="QUERY", help=QUERY_HELP, show_default=False),
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
    rt = runtime(ctx)
    statuses = _statuses(status)
    result = completion_result.lower() if completion_result else None
    if result not in (None, "success", "failure"):
        hint = did_you_mean(result or "", ("success", "failure"))
        raise UsageError(f"--completion-result must be success or failure.{hint}")
    if result and (all_ or statuses):
        raise UsageError("--completion-result cannot be combined with --all or --status")
    check_limit(limit)
    if interval <= 0:
        raise UsageError("-n/--interval must be positive")
    filt = _filter(
        service,
        handler,
        key,
        deployment,
        statuses=statuses,
        all=all_,
        completion_result=result,
        virtual_objects_only=virtual_objects_only,
        zombie=zombie,
        query=query,
    )
    filt.where()  # validates the query before any request
    _watch(rt, watch, interval, lambda client: _list(rt, client, filt, limit, oldest_first))


def _filter(
    service: list[str], handler: list[str], key: list[str], deployment: list[str], **rest: Any
) -> ListFilter:
    """The filter of ``list`` and of the bulk actions: comma lists split, ``rest`` as given."""
    from restate_cli.admin.sql import ListFilter

    return ListFilter(
        services=split_list(service),
        handlers=split_list(handler),
        keys=split_list(key),
        deployments=split_list(deployment),
        **rest,
    )


def _statuses(values: list[str]) -> list[str]:
    """``--status`` values, checked: ``a,b --status c`` → ``[a, b, c]``."""
    statuses = [s.lower() for s in split_list(values)]
    bad = [s for s in statuses if s not in STATUS_VALUES]
    if bad:
        raise UsageError(
            f"unknown status {bad[0]!r}.{did_you_mean(bad[0], STATUS_VALUES)}",
            hint=f"choose from {', '.join(STATUS_VALUES)}",
        )
    return statuses


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
    subtree: bool = typer.Option(
        False, "--subtree", help="Only the invocation and its descendants, not the whole tree"
    ),
    watch: bool = typer.Option(False, "-w", "--watch", help="Refresh continuously"),
    interval: float = typer.Option(1.0, "-n", "--interval", help="Seconds between refreshes in watch mode"),
) -> None:
    """Show the call tree an invocation belongs to, from its root, with this one marked.

    The root is where the tree started (ingress, subscription or restart); below it comes
    every invocation started from there, with how (awaited call, one-way send, delayed send
    and when it is due) and its status. --subtree shows only what this invocation started."""
    rt = runtime(ctx)
    invocation_id = _invocation_id(invocation_id)
    if depth is not None and depth < 0:
        raise UsageError("--depth must be 0 or more")
    if interval <= 0:
        raise UsageError("-n/--interval must be positive")
    _watch(rt, watch, interval, lambda client: _tree(rt, client, invocation_id, depth, subtree))


async def _tree(
    rt: Runtime, client: AdminClient, invocation_id: str, depth: int | None, subtree: bool
) -> None:
    import time

    from restate_cli.admin.tree import fetch_tree
    from restate_cli.render import tree as view
    from restate_cli.render.output import write_json, write_lines, write_rows
    from restate_cli.render.timefmt import now

    started = time.perf_counter()
    tree = await fetch_tree(client, invocation_id, depth=depth, subtree=subtree)
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
    query: str | None,
    limit: int,
    dry_run: bool,
    sel: dict,
    params: dict[str, str] | None = None,
    wait: float = 3.0,
) -> None:
    from restate_cli.admin.actions import ACTIONS
    from restate_cli.commands import _bulk

    rt = runtime(ctx)
    action = ACTIONS[verb]
    filt, given = _selection(action, query, **sel)
    _bulk.run(rt, _bulk.BulkOptions(action, query, limit, dry_run, params or {}, wait, filt, given))


def _selection(
    action,
    query: str | None,
    *,
    status: list[str],
    service: list[str],
    handler: list[str],
    key: list[str],
    deployment: list[str],
    zombie: bool,
    created_before: str | None,
    older_than: str | None,
) -> tuple[ListFilter | None, dict[str, object]]:
    """list's filters for a bulk action, or None when only a QUERY is given; and the
    filters as the user gave them."""
    statuses = _statuses(status)
    given: dict[str, object] = {}
    for name, values in (
        ("status", statuses),
        ("service", split_list(service)),
        ("handler", split_list(handler)),
        ("key", split_list(key)),
        ("deployment", split_list(deployment)),
    ):
        if values:
            given[name] = ",".join(values)
    if zombie:
        given["zombie"] = True
    if created_before and older_than:
        raise UsageError("--created-before and --older-than cannot be combined")
    cutoff = None
    if created_before:
        cutoff = _timestamp(created_before)
        given["created-before"] = created_before
    if older_than:
        cutoff = _age_cutoff(older_than)
        given["older-than"] = older_than
    if not given:
        return None, given
    acted = action.shown_statuses
    chosen = [s for s in statuses if s in acted] if statuses else list(acted)
    if not chosen:
        raise UsageError(
            f"{action.verb} works only on {action.works_on} invocations; "
            f"--status {','.join(statuses)} selects none of them"
        )
    filt = _filter(
        service, handler, key, deployment, statuses=chosen, zombie=zombie, query=query, created_before=cutoff
    )
    return filt, given


def _utc_text(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _timestamp(text: str) -> str:
    """``--created-before``: an ISO 8601 date or time, UTC unless it names a zone."""
    from datetime import UTC, datetime

    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(
            f"--created-before: {text!r} is not a date or time; write e.g. 2026-11-27, "
            "2026-11-27T17:30 or 2026-11-27T17:30:00+01:00 (UTC unless a zone is given)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _utc_text(moment.astimezone(UTC))


def _age_cutoff(text: str) -> str:
    """``--older-than DURATION``: created before now minus DURATION."""
    from datetime import UTC, datetime, timedelta

    from restate_cli.durations import DurationError, parse_ms

    try:
        ms = parse_ms(text)
    except DurationError as e:
        raise UsageError(f"--older-than: {e}") from None
    return _utc_text(datetime.now(UTC) - timedelta(milliseconds=ms))


LIMIT_HELP = "At most this many invocations are selected"
DRY_RUN_HELP = "Show what would be affected and change nothing"
WAIT_HELP = (
    "Afterwards, wait up to this many seconds for the invocations reached to end, "
    "then report what happened to each one (0: do not check)"
)
BULK_QUERY_HELP = QUERY_HELP + "; optional with filters"
STATUS_HELP = "Only these statuses (among those the command acts on)"
CREATED_BEFORE_HELP = "Only invocations created before this time (ISO 8601, UTC unless a zone is given)"
OLDER_THAN_HELP = "Only invocations created longer ago than this (10m, 2h, 1d)"


def _opt_query():
    return typer.Argument(None, metavar="QUERY", help=BULK_QUERY_HELP, show_default=False)


def _opt_status():
    return typer.Option([], "--status", help=STATUS_HELP)


def _opt_service():
    return typer.Option([], "--service", help="Only these services")


def _opt_handler():
    return typer.Option([], "--handler", help="Only these handlers")


def _opt_key():
    return typer.Option([], "--key", help="Only these virtual-object or workflow keys")


def _opt_deployment():
    return typer.Option([], "--deployment", "--dp", help="Only invocations on these deployments")


def _opt_zombie():
    return typer.Option(
        False, "--zombie", help="Only invocations pinned to a deployment that no longer exists"
    )


def _opt_created_before():
    return typer.Option(None, "--created-before", metavar="TIME", help=CREATED_BEFORE_HELP)


def _opt_older_than():
    return typer.Option(None, "--older-than", metavar="DURATION", help=OLDER_THAN_HELP)


def _sel(status, service, handler, key, deployment, zombie, created_before, older_than) -> dict:
    return {
        "status": status,
        "service": service,
        "handler": handler,
        "key": key,
        "deployment": deployment,
        "zombie": zombie,
        "created_before": created_before,
        "older_than": older_than,
    }


@app.command("cancel")
def cancel_cmd(
    ctx: typer.Context,
    query: str | None = _opt_query(),
    kill: bool = typer.Option(
        False, "--kill", help="Kill instead: stop at once, without running compensations"
    ),
    status: list[str] = _opt_status(),
    service: list[str] = _opt_service(),
    handler: list[str] = _opt_handler(),
    key: list[str] = _opt_key(),
    deployment: list[str] = _opt_deployment(),
    zombie: bool = _opt_zombie(),
    created_before: str | None = _opt_created_before(),
    older_than: str | None = _opt_older_than(),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    wait: float = typer.Option(3.0, "--wait", metavar="SECONDS", help=WAIT_HELP),
) -> None:
    """Cancel invocations and the calls they await; handlers may run compensations.

    Select them by QUERY, by filters, or both. Before asking, shows which invocations down
    the call trees the cancel reaches (awaited calls) and which it does not (one-way and
    delayed sends keep running)."""
    sel = _sel(status, service, handler, key, deployment, zombie, created_before, older_than)
    _bulk(ctx, "kill" if kill else "cancel", query, limit, dry_run, sel, wait=wait)


@app.command("kill")
def kill_cmd(
    ctx: typer.Context,
    query: str | None = _opt_query(),
    status: list[str] = _opt_status(),
    service: list[str] = _opt_service(),
    handler: list[str] = _opt_handler(),
    key: list[str] = _opt_key(),
    deployment: list[str] = _opt_deployment(),
    zombie: bool = _opt_zombie(),
    created_before: str | None = _opt_created_before(),
    older_than: str | None = _opt_older_than(),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    wait: float = typer.Option(3.0, "--wait", metavar="SECONDS", help=WAIT_HELP),
) -> None:
    """Kill invocations at once, without involving their handlers.

    Select them by QUERY, by filters, or both. Before asking, shows which invocations down
    the call trees the kill reaches, by the rules of the server it talks to (restate-server
    also kills one-way sends and deletes delayed sends; the embedded runtime follows the
    documentation and spares them)."""
    sel = _sel(status, service, handler, key, deployment, zombie, created_before, older_than)
    _bulk(ctx, "kill", query, limit, dry_run, sel, wait=wait)


@app.command("purge")
def purge_cmd(
    ctx: typer.Context,
    query: str | None = _opt_query(),
    status: list[str] = _opt_status(),
    service: list[str] = _opt_service(),
    handler: list[str] = _opt_handler(),
    key: list[str] = _opt_key(),
    deployment: list[str] = _opt_deployment(),
    zombie: bool = _opt_zombie(),
    created_before: str | None = _opt_created_before(),
    older_than: str | None = _opt_older_than(),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Delete completed invocations, with their journals and results."""
    sel = _sel(status, service, handler, key, deployment, zombie, created_before, older_than)
    _bulk(ctx, "purge", query, limit, dry_run, sel)


@app.command("pause")
def pause_cmd(
    ctx: typer.Context,
    query: str | None = _opt_query(),
    status: list[str] = _opt_status(),
    service: list[str] = _opt_service(),
    handler: list[str] = _opt_handler(),
    key: list[str] = _opt_key(),
    deployment: list[str] = _opt_deployment(),
    zombie: bool = _opt_zombie(),
    created_before: str | None = _opt_created_before(),
    older_than: str | None = _opt_older_than(),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Pause running or backing-off invocations (restate-server 1.6+)."""
    sel = _sel(status, service, handler, key, deployment, zombie, created_before, older_than)
    _bulk(ctx, "pause", query, limit, dry_run, sel)


@app.command("resume")
def resume_cmd(
    ctx: typer.Context,
    query: str | None = _opt_query(),
    to: str | None = typer.Option(
        None,
        "--deployment",
        metavar="ID|latest|keep",
        help="Resume on this deployment (default: the pinned one)",
    ),
    status: list[str] = _opt_status(),
    service: list[str] = _opt_service(),
    handler: list[str] = _opt_handler(),
    key: list[str] = _opt_key(),
    on_deployment: list[str] = typer.Option(
        [],
        "--on-deployment",
        metavar="ID",
        help="Only invocations on these deployments (list's --deployment)",
    ),
    zombie: bool = _opt_zombie(),
    created_before: str | None = _opt_created_before(),
    older_than: str | None = _opt_older_than(),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Resume paused invocations, or retry backing-off ones now.

    --deployment says where they resume, as in the official CLI; to select invocations by
    the deployment they run on, use --on-deployment."""
    params = {}
    if to is not None:
        from restate_cli import ids

        to = to.strip()
        if to.lower() not in ("latest", "keep") and not ids.is_valid(to, "dp"):
            raise UsageError(f"--deployment must be a deployment id (dp_…), latest or keep; got {to!r}")
        params["deployment"] = to
    sel = _sel(status, service, handler, key, on_deployment, zombie, created_before, older_than)
    _bulk(ctx, "resume", query, limit, dry_run, sel, params)


@app.command("restart-as-new")
def restart_cmd(
    ctx: typer.Context,
    query: str | None = _opt_query(),
    status: list[str] = _opt_status(),
    service: list[str] = _opt_service(),
    handler: list[str] = _opt_handler(),
    key: list[str] = _opt_key(),
    deployment: list[str] = _opt_deployment(),
    zombie: bool = _opt_zombie(),
    created_before: str | None = _opt_created_before(),
    older_than: str | None = _opt_older_than(),
    limit: int = typer.Option(500, "--limit", help=LIMIT_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Start completed invocations again, as new invocations with the same input."""
    sel = _sel(status, service, handler, key, deployment, zombie, created_before, older_than)
    _bulk(ctx, "restart", query, limit, dry_run, sel)
