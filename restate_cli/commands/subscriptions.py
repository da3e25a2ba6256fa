"""``restate-cli subscriptions``: create, list, describe and delete Kafka subscriptions.

A subscription reads a Kafka topic (``kafka://CLUSTER/TOPIC``) and invokes a handler
(``service://SERVICE/HANDLER``) once per record. Its options are librdkafka consumer
configuration, passed through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from restate_cli.app import group
from restate_cli.commands._common import confirm, run_with_client, runtime
from restate_cli.errors import UsageError

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient
    from restate_cli.app import Runtime

app = group(
    "Create, list, inspect and delete Kafka subscriptions.",
    aliases={"ls": "list", "get": "describe", "rm": "delete"},
    hidden_aliases={"register": "create", "remove": "delete"},
)

ID_HELP = "A subscription id (sub_…)"


def _check_id(value: str) -> str:
    from restate_cli import ids

    value = value.strip()
    try:
        ids.check(value, "sub")
    except ids.IdError as e:
        raise UsageError(f"invalid subscription id {value!r}: {e}") from None
    return value


# -- create ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateOptions:
    source: str
    sink: str
    options: dict[str, str]


def create_options(args: list[str], from_file: str | None, read_stdin) -> CreateOptions:
    """SOURCE, SINK and options from the positional arguments and ``--from-file``.

    Arguments that are not ``KEY=VALUE`` are the source and the sink, in that order. With
    a file, a source or sink given on the command line wins over the file's, and
    ``KEY=VALUE`` arguments are added to (and override) the file's options.
    """
    from restate_cli import kafka

    uris = [a for a in args if not kafka.looks_like_property(a)]
    options = kafka.parse_properties((a for a in args if kafka.looks_like_property(a)), "option")
    if len(uris) > 2:
        if "://" not in uris[2]:
            raise UsageError(f"expected KEY=VALUE, got {uris[2]!r}")
        raise UsageError(f"expected SOURCE SINK [KEY=VALUE]..., got a third URI {uris[2]!r}")
    source = sink = None
    if from_file is not None:
        loaded = kafka.read_file(from_file, "options", read_stdin, with_uris=True)
        source, sink = loaded.source, loaded.sink
        options = {**loaded.properties, **options}
        if len(uris) == 2:
            source, sink = uris
        elif len(uris) == 1:
            if uris[0].startswith("kafka:"):
                source = uris[0]
            elif uris[0].startswith("service:"):
                sink = uris[0]
            else:
                raise UsageError(f"{uris[0]!r} is neither a kafka:// source nor a service:// sink")
    else:
        source, sink = [*uris, None, None][:2]
    if not source:
        raise UsageError(
            "missing SOURCE (kafka://CLUSTER/TOPIC)",
            hint="usage: restate-cli sub create SOURCE SINK [KEY=VALUE]...",
        )
    if not sink:
        raise UsageError(
            "missing SINK (service://SERVICE/HANDLER)",
            hint="usage: restate-cli sub create SOURCE SINK [KEY=VALUE]...",
        )
    if source.startswith("service:") and sink.startswith("kafka:"):
        raise UsageError("SOURCE and SINK are swapped: the source is kafka://…, the sink service://…")
    src, dst = kafka.parse_source(source), kafka.parse_sink(sink)
    return CreateOptions(str(src), str(dst), options)


@app.command("create")
def create_cmd(
    ctx: typer.Context,
    source: str | None = typer.Argument(
        None, metavar="SOURCE", help="kafka://CLUSTER/TOPIC", show_default=False
    ),
    sink: str | None = typer.Argument(
        None, metavar="SINK", help="service://SERVICE/HANDLER", show_default=False
    ),
    options: list[str] = typer.Argument(
        None,
        metavar="KEY=VALUE",
        help="librdkafka consumer options, e.g. auto.offset.reset=earliest",
        show_default=False,
    ),
    from_file: str | None = typer.Option(
        None,
        "-f",
        "--from-file",
        metavar="FILE",
        help="Read source, sink and options from FILE: .properties, .conf, .env or - (stdin) "
        "as key=value lines with source= and sink=; any other file as TOML with source, sink "
        "and an [options] table",
    ),
) -> None:
    """Subscribe a handler to a Kafka topic: each record becomes one invocation.

    For a virtual object or workflow handler, the record's key is the object key.
    """
    rt = runtime(ctx)
    args = [a for a in (source, sink, *(options or [])) if a is not None]
    opts = create_options(args, from_file, rt.io.inp.read)

    from restate_cli.render import kafka as view

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import kafka as api

        await client.info()  # an unreachable server fails before the prompt
        if not rt.output.machine:
            view.print_subscription_preview(rt.io, rt.output, opts.source, opts.sink, opts.options)
        confirm(rt, "Create this subscription?", what="create a subscription")
        sub = await api.create_subscription(client, opts.source, opts.sink, opts.options)
        view.print_created_subscription(rt.io, rt.output, sub, opts.options)

    run_with_client(rt, work)


# -- list / describe -------------------------------------------------------------------


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    source: str | None = typer.Option(
        None, "--source", metavar="URI", help="Only subscriptions with exactly this source"
    ),
    sink: str | None = typer.Option(
        None, "--sink", metavar="URI", help="Only subscriptions with exactly this sink"
    ),
) -> None:
    """List subscriptions, sorted by id."""
    from restate_cli import kafka

    rt = runtime(ctx)
    if source is not None:
        source = str(kafka.parse_source(source))
    if sink is not None:
        sink = str(kafka.parse_sink(sink))

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import kafka as api
        from restate_cli.render import kafka as view

        subs = await api.list_subscriptions(client, source=source, sink=sink)
        view.print_subscriptions(rt.io, rt.output, subs, filtered=bool(source or sink))

    run_with_client(rt, work)


@app.command("describe")
def describe_cmd(
    ctx: typer.Context,
    subscription_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
) -> None:
    """Show a subscription: source, sink, brokers and every option (defaults marked)."""
    rt = runtime(ctx)
    subscription_id = _check_id(subscription_id)

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import kafka as api
        from restate_cli.render import kafka as view

        view.print_subscription(rt.io, rt.output, await api.describe_subscription(client, subscription_id))

    run_with_client(rt, work)


# -- delete ----------------------------------------------------------------------------


@app.command("delete")
def delete_cmd(
    ctx: typer.Context,
    subscription_ids: list[str] = typer.Argument(..., metavar="ID", help=ID_HELP),
) -> None:
    """Delete subscriptions: their consumers stop, invocations already made are kept."""
    rt = runtime(ctx)
    wanted: list[str] = []
    for raw in subscription_ids:
        sid = _check_id(raw)
        if sid not in wanted:
            wanted.append(sid)
    _delete(rt, wanted)


def _delete(rt: Runtime, wanted: list[str]) -> None:
    import asyncio

    from restate_cli.admin.errors import ApiError
    from restate_cli.errors import CliError, NotFound
    from restate_cli.render import kafka as view

    async def work(client: AdminClient) -> list[view.Outcome]:
        from restate_cli.admin import kafka as api

        async def lookup(sid: str):
            try:
                return await api.get_subscription(client, sid)
            except ApiError as e:
                if e.status == 404:
                    return view.Outcome(sid, False, 404, f"[404] {e.server_message}")
                raise

        found = await asyncio.gather(*(lookup(s) for s in wanted))
        subs = [f for f in found if not isinstance(f, view.Outcome)]
        missing = [f for f in found if isinstance(f, view.Outcome)]
        if not subs:
            if len(missing) == 1:
                raise NotFound(f"subscription {wanted[0]} does not exist on {client.server}")
            raise NotFound(f"none of these {len(wanted)} subscriptions exist on {client.server}")
        if not rt.output.machine:
            view.print_subscription_delete_preview(rt.io, rt.output, subs)
        n = len(subs)
        these = f"subscription {subs[0].id}" if n == 1 else f"these {n} subscriptions"
        confirm(rt, f"Delete {these}?", what=f"delete {these}")

        async def delete(sub) -> view.Outcome:
            try:
                status = await api.delete_subscription(client, sub.id)
                return view.Outcome(sub.id, True, status, None, sub.source, sub.sink)
            except ApiError as e:
                return view.Outcome(sub.id, False, e.status, e.reason, sub.source, sub.sink)

        done = {o.name: o for o in await asyncio.gather(*(delete(s) for s in subs))}
        done.update({o.name: o for o in missing})
        return [done[s] for s in wanted]

    outcomes = run_with_client(rt, work)
    view.print_delete_report(rt.io, rt.output, "Subscription", outcomes)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise CliError(f"failed to delete {len(failed)} of {len(outcomes)} subscriptions")
