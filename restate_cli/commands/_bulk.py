"""The bulk invocation actions, written once: resolve, preview, confirm, act, report.

cancel, kill, purge, pause, resume and restart-as-new differ only in the statuses they
select, the admin operation they call, and their words.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from restate_cli.admin.actions import Action, Outcome
from restate_cli.errors import CliError, Interrupted, NotFound, UsageError

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient
    from restate_cli.admin.impact import Impact
    from restate_cli.admin.models import InvocationRef
    from restate_cli.admin.sql import ListFilter
    from restate_cli.app import Runtime

MAX_IN_FLIGHT = 64
PREVIEW_ROWS = 50  # a page of the preview; beyond it, counts by status, relation and effect
IMPACT_VERBS = ("cancel", "kill")  # actions that travel down call trees


# What to use instead, when the query matches invocations only in these (raw) statuses.
_OTHER_COMMAND = {
    "cancel": ({"completed"}, "To remove a completed invocation, use 'purge'."),
    "kill": ({"completed"}, "To remove a completed invocation, use 'purge'."),
    "purge": (
        {"inboxed", "scheduled", "invoked", "suspended", "paused"},
        "To stop an invocation that has not completed, use 'cancel' or 'kill'.",
    ),
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
    from restate_cli.commands._common import check_limit

    check_limit(opts.limit)
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


async def nothing_found(client: AdminClient, opts: BulkOptions) -> NotFound:
    """Why the query selected nothing: no such invocation or service, or none in a status
    this action works on (and, if another command would act on them, which)."""
    from restate_cli.admin import sql
    from restate_cli.errors import did_you_mean

    a, query = opts.action, opts.query.strip().rstrip("/")
    found = {
        r["status"]: int(r.get("n", 0)) for r in await client.query(sql.statuses_of(query)) if "status" in r
    }
    if not found:
        if query.startswith("inv_"):
            return NotFound(f"invocation {query} not found on {client.server}")
        service = query.split("/", 1)[0]
        names = [str(r["name"]) for r in await client.query(sql.service_names()) if "name" in r]
        if service not in names:
            return NotFound(f"no service {service!r} on {client.server}.{did_you_mean(service, names)}")
        return NotFound(f"no invocations match {opts.query!r}")
    have = ", ".join(
        f"{n} {_shown(status)}" for status, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    message = (
        f"no invocations found for query {opts.query!r}: {a.verb} works only on "
        f"{a.works_on} invocations, and it matches {have}."
    )
    statuses, note = _OTHER_COMMAND.get(a.verb, (set(), ""))
    if note and statuses & set(found):
        message += f" {note}"
    return NotFound(message)


def _shown(raw: str) -> str:
    from restate_cli.admin.models import InvocationRef

    return InvocationRef(id="", status=raw).shown_status


async def execute(
    client: AdminClient, opts: BulkOptions, refs: list[InvocationRef], progress: Any = None
) -> tuple[list[Outcome], bool]:
    """Send one admin call per invocation, at most ``MAX_IN_FLIGHT`` at a time, and say
    whether Ctrl-C interrupted them: then the requests in flight finish, the others are
    not sent (their outcomes say ``attempted=False``)."""
    import signal

    from restate_cli.admin.errors import ApiError
    from restate_cli.errors import Unreachable

    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    stop = asyncio.Event()

    async def one(ref: InvocationRef) -> Outcome:
        out = Outcome(ref)
        async with gate:
            if stop.is_set():
                out.attempted = False
                return out
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

    async def pipelined() -> list[Outcome] | None:
        """All of them pipelined, when the client can (plain HTTP): one request each still,
        at a fraction of the CLI's time per request."""
        if opts.action.op == "restart-as-new":
            return None  # each answer names a new invocation: one by one, as above
        outcomes = [Outcome(r) for r in refs]

        def answered(index: int, status: int | None, _body: bytes, error: str | None) -> None:
            out = outcomes[index]
            out.http_status, out.error = status, error
            if progress is not None:
                progress()

        unsent = await client.pipelined_ops(
            opts.action.op, [r.id for r in refs], opts.params or None, stop, answered
        )
        if unsent is None:
            return None
        for index in unsent:
            outcomes[index].attempted = False
        return outcomes

    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, stop.set)
        handled = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals
        handled = False
    try:
        outcomes = await pipelined()
        if outcomes is None:
            outcomes = list(await asyncio.gather(*(one(r) for r in refs)))
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)
    return outcomes, stop.is_set()


async def impact_of(
    client: AdminClient, verb: str, refs: list[InvocationRef], query: str | None = None
) -> Impact | None:
    """What ``verb`` will reach in the call trees of ``refs`` (selected by ``query`` alone,
    if given); None (with a warning) when the server cannot tell, so that the action itself
    still works."""
    from restate_cli.admin.errors import ApiError, ProtocolError
    from restate_cli.admin.impact import preview

    try:
        return await preview(client, verb, [r.id for r in refs], query=query)
    except (ApiError, ProtocolError) as e:
        client.warnings.append(f"could not read the call trees, so no impact preview: {e.message}")
        return None


async def view_statuses(
    client: AdminClient, refs: list[InvocationRef], impact: Impact | None
) -> list[InvocationRef]:
    """``refs`` with the statuses ``list`` shows: the resolver's raw ``invoked`` becomes
    running, backing-off or ready (from the impact preview's rows, or one more read)."""
    invoked = [r.id for r in refs if r.status == "invoked"]
    if not invoked:
        return refs
    if impact is not None:
        known = {i: e.node.status for i, e in impact.entries.items()}
    else:
        from restate_cli.admin.tree import TreeReader

        known = {i: inv.status for i, inv in (await TreeReader(client).invocations(invoked)).items()}
    return [
        r.model_copy(update={"status": known[r.id]}) if r.status == "invoked" and r.id in known else r
        for r in refs
    ]


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

    async def work(client: AdminClient) -> tuple[list[Outcome], Impact | None, bool, bool] | None:
        refs = await resolve(client, opts)
        if not refs:
            if opts.query and not opts.filters:
                raise await nothing_found(client, opts)
            _, note = _OTHER_COMMAND.get(a.verb, (set(), ""))
            raise NotFound(
                f"no invocations found for {opts.label}; {a.verb} works only on "
                f"{a.works_on} invocations." + (f" {note}" if note else "")
            )
        by_query = opts.query if opts.filt is None else None  # cancel and kill: not completed
        impact = await impact_of(client, a.verb, refs, by_query) if with_impact else None
        if not out.quiet:
            refs = await view_statuses(client, refs, impact)
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
            outcomes, interrupted = await execute(client, opts, refs, tick)
        if interrupted:
            return outcomes, None, client.offline_dir is not None, True
        # Offline, nothing carries a cancel out (or ends what a kill reaches) until `dev`
        # starts: there is nothing to wait for.
        if impact is not None and opts.wait > 0 and client.offline_dir is None:
            from restate_cli.admin.impact import settle
            from restate_cli.render.impact import checking

            with checking(io):
                await settle(client, impact, [o.ref.id for o in outcomes if o.ok], timeout=opts.wait)
        return outcomes, impact, client.offline_dir is not None, False

    done = run_with_client(rt, work)
    if done is None:
        return
    outcomes, impact, offline, interrupted = done
    view.report(
        io,
        out,
        a,
        opts.query,
        outcomes,
        impact,
        filters=opts.filters or None,
        offline=offline,
        interrupted=interrupted,
    )
    if interrupted:
        raise Interrupted(
            f"interrupted: {a.verb} was not sent to {sum(not o.attempted for o in outcomes)} "
            f"of {len(outcomes)} invocations"
        )
    failed = [o for o in outcomes if o.failed]
    if failed:
        raise CliError(f"failed to {a.verb} {len(failed)} of {len(outcomes)} invocations")


def _these(n: int) -> str:
    return "this invocation" if n == 1 else f"these {n} invocations"
