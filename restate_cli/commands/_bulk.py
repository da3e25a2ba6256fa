"""The bulk invocation actions, written once: resolve, preview, confirm, act, report.

cancel, kill, purge, pause, resume and restart-as-new differ only in the statuses they
select, the admin operation they call, and their words.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from restate_cli.admin.actions import Action, Outcome
from restate_cli.errors import CliError, NotFound, UsageError

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient
    from restate_cli.admin.impact import Impact
    from restate_cli.admin.models import InvocationRef
    from restate_cli.admin.sql import ListFilter
    from restate_cli.app import Runtime

MAX_IN_FLIGHT = 64
PREVIEW_ROWS = 500
IMPACT_VERBS = ("cancel", "kill")  # actions that travel down call trees


_OTHER_COMMAND = {
    "cancel": "To remove a completed invocation, use 'purge'.",
    "kill": "To remove a completed invocation, use 'purge'.",
    "purge": "To stop a running invocation, use 'cancel' or 'kill'.",
    "restart": "",
    "resume": "",
    "pause": "",
}


@dataclass(frozen=True)
class BulkOptions:
    action: Action
    query: str | None
    limit: int = 500
    dry_run: bool = False
    params: dict[str, str] = field(default_factory=dict)
    wait: float = 3.0  # cancel/kill: seconds to wait for reached invocations to end; 0: no check
    filt: ListFilter | None = None  # list's filters (with QUERY inside, if any); None: QUERY alone
    filters: dict[str, object] = field(default_factory=dict)  # the filters as given, for messages

    @property
    def label(self) -> str:
        """What was asked for, for messages: the QUERY and the filters."""
        parts = [repr(self.query)] if self.query else []
        for name, value in self.filters.items():
            parts.append(f"--{name}" if value is True else f"--{name} {value}")
        return " ".join(parts)


def validate(opts: BulkOptions) -> None:
    """Flag and argument checks that need no server."""
    from restate_cli.admin import sql

    if opts.limit < 1:
        raise UsageError("--limit must be at least 1")
    if opts.wait < 0:
        raise UsageError("--wait must be 0 or more")
    if opts.filt is not None:
        opts.filt.where()  # raises UsageError for a malformed id or filter
    elif opts.query is None:
        raise UsageError(
            f"say which invocations to {opts.action.verb}: give a QUERY (an id or a target) or "
            "filters (--status, --service, --handler, --key, --deployment, --zombie, "
            "--created-before, --older-than)"
        )
    else:
        sql.query_filter(opts.query)  # raises UsageError for a malformed id or an empty query


async def resolve(client: AdminClient, opts: BulkOptions) -> list[InvocationRef]:
    from restate_cli.admin import sql
    from restate_cli.admin.models import InvocationRef

    a = opts.action
    info = await client.info()
    if a.needs_pause_api and info.api_version is not None and not info.supports_pause:
        raise CliError(
            f"pausing invocations needs admin API v3 (restate-server 1.6 or newer); "
            f"{client.server} offers v{info.api_version}"
        )
    if opts.filt is not None:
        rows = await client.query(sql.resolve_filtered(opts.filt, limit=opts.limit))
    else:
        assert opts.query is not None
        rows = await client.query(sql.resolve(opts.query, a.raw_statuses, negate=a.negate, limit=opts.limit))
    return [InvocationRef.model_validate(r) for r in rows]


async def execute(
    client: AdminClient, opts: BulkOptions, refs: list[InvocationRef], progress: Any = None
) -> list[Outcome]:
    """Send one admin call per invocation, at most ``MAX_IN_FLIGHT`` at a time."""
    from restate_cli.admin.errors import ApiError
    from restate_cli.errors import Unreachable

    gate = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def one(ref: InvocationRef) -> Outcome:
        out = Outcome(ref)
        async with gate:
            try:
                response = await client.invocation_op(ref.id, opts.action.op, opts.params or None)
                out.http_status = response.status_code
                if opts.action.op == "restart-as-new":
                    try:
                        out.new_invocation_id = response.json().get("new_invocation_id")
                    except (ValueError, AttributeError):
                        out.error = "the server's answer had no new invocation id"
            except ApiError as e:
                out.http_status, out.error = e.status, e.reason
            except Unreachable as e:
                out.error = e.message
        if progress is not None:
            progress()
        return out

    return list(await asyncio.gather(*(one(r) for r in refs)))


async def impact_of(client: AdminClient, verb: str, refs: list[InvocationRef]) -> Impact | None:
    """What ``verb`` will reach in the call trees of ``refs``; None (with a warning) when the
    server cannot tell, so that the action itself still works."""
    from restate_cli.admin.errors import ApiError, ProtocolError
    from restate_cli.admin.impact import preview

    try:
        return await preview(client, verb, [r.id for r in refs])
    except (ApiError, ProtocolError) as e:
        client.warnings.append(f"could not read the call trees, so no impact preview: {e.message}")
        return None


def run(rt: Runtime, opts: BulkOptions) -> None:
    """The whole command: resolve → preview → confirm → act → report.

    cancel and kill also preview their reach down the call trees, and afterwards read back
    what happened to every invocation they previewed.
    """
    from restate_cli.commands._common import confirm, run_with_client
    from restate_cli.render import bulk as view
    from restate_cli.render.timefmt import now

    validate(opts)
    a = opts.action
    io, out = rt.io, rt.output
    with_impact = a.verb in IMPACT_VERBS and (out.json or not out.machine)

    async def work(client: AdminClient) -> tuple[list[Outcome], Impact | None] | None:
        refs = await resolve(client, opts)
        if not refs:
            note = _OTHER_COMMAND[a.verb]
            what = f"query {opts.query!r}" if opts.query and not opts.filters else opts.label
            raise NotFound(
                f"no invocations found for {what}; {a.verb} works only on "
                f"{a.works_on} invocations." + (f" {note}" if note else "")
            )
        impact = await impact_of(client, a.verb, refs) if with_impact else None
        if opts.dry_run:
            view.dry_run(io, out, a, opts.query, refs, impact, filters=opts.filters or None)
            return None
        if not out.machine:
            view.preview(io, out, refs, PREVIEW_ROWS)
            if impact is not None:
                from restate_cli.render.impact import print_preview

                print_preview(io, out, impact, now(), PREVIEW_ROWS)
        confirm(
            rt,
            f"Are you sure you want to {a.verb} {_these(len(refs))}?",
            what=f"{a.verb} {_these(len(refs))}",
        )
        with view.progress(io, len(refs)) as tick:
            outcomes = await execute(client, opts, refs, tick)
        if impact is not None and opts.wait > 0:
            from restate_cli.admin.impact import settle
            from restate_cli.render.impact import checking

            with checking(io):
                await settle(client, impact, [o.ref.id for o in outcomes if o.ok], timeout=opts.wait)
        return outcomes, impact

    done = run_with_client(rt, work)
    if done is None:
        return
    outcomes, impact = done
    view.report(io, out, a, opts.query, outcomes, impact, filters=opts.filters or None)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise CliError(f"failed to {a.verb} {len(failed)} of {len(outcomes)} invocations")


def _these(n: int) -> str:
    return "this invocation" if n == 1 else f"these {n} invocations"
