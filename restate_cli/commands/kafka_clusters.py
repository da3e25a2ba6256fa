"""``restate-cli kafka-clusters``: register, list, inspect, change and delete Kafka clusters.

A cluster is a name plus librdkafka properties (at least ``bootstrap.servers``), shared by
the subscriptions whose source is ``kafka://NAME/…``. restate-server 1.7 added this API;
on 1.6 the clusters come from the server's configuration file and these commands say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from restate_cli.app import group
from restate_cli.commands._common import confirm, run_with_client, runtime
from restate_cli.errors import CliError, UsageError

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient

app = group(
    "Register, list, inspect, change and delete Kafka clusters (restate-server 1.7+).",
    aliases={"ls": "list", "get": "describe", "rm": "delete"},
    hidden_aliases={"register": "create", "remove": "delete"},
)

NAME_HELP = "The Kafka cluster's name, as in kafka://NAME/topic"
PROPS_HELP = "librdkafka properties, e.g. bootstrap.servers=broker:9092"
FILE_HELP = (
    "Read properties from FILE: .properties, .conf, .env or - (stdin) as key=value lines; "
    "any other file as TOML with a [properties] table"
)


def _name(value: str) -> str:
    from restate_cli import kafka

    value = value.strip()
    kafka.check_cluster_name(value)
    return value


def _properties(args: list[str] | None, from_file: str | None, read_stdin) -> dict[str, str] | None:
    """Properties from ``KEY=VALUE`` arguments and/or a file (arguments win); None if neither."""
    from restate_cli import kafka

    props = kafka.parse_properties(args or [])
    if from_file is None:
        return props if args else None
    loaded = kafka.read_file(from_file, "properties", read_stdin, with_uris=False)
    return {**loaded.properties, **props}


def _refuse_masked(props: dict[str, str], how: str) -> None:
    from restate_cli import kafka

    hidden = kafka.redacted_by_server(props)
    if hidden:
        raise UsageError(
            f"{', '.join(hidden)} {'has' if len(hidden) == 1 else 'have'} the value *** "
            f"(the server never shows secrets), which would be stored as is; {how}"
        )


# -- create ----------------------------------------------------------------------------


@app.command("create")
def create_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help=NAME_HELP),
    properties: list[str] = typer.Argument(None, metavar="KEY=VALUE", help=PROPS_HELP, show_default=False),
    from_file: str | None = typer.Option(None, "-f", "--from-file", metavar="FILE", help=FILE_HELP),
) -> None:
    """Register a Kafka cluster; it needs bootstrap.servers (or metadata.broker.list)."""
    from restate_cli import kafka

    rt = runtime(ctx)
    name = _name(name)
    props = _properties(properties, from_file, rt.io.inp.read)
    if props is None:
        raise UsageError(
            "give the cluster's properties as KEY=VALUE or with --from-file",
            hint=f"e.g. restate-cli kc create {name} bootstrap.servers=broker:9092",
        )
    kafka.check_broker_keys(name, props)
    _refuse_masked(props, "give the real value")

    from restate_cli.render import kafka as view

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import kafka as api

        await api.require_cluster_api(client)
        if not rt.output.machine:
            view.print_cluster_preview(rt.io, rt.output, name, props)
        confirm(rt, f"Create Kafka cluster {name}?", what=f"create Kafka cluster {name}")
        cluster = await api.create_cluster(client, name, props)
        view.print_cluster_result(rt.io, rt.output, cluster, "created")

    run_with_client(rt, work)


# -- list / describe -------------------------------------------------------------------


@app.command("list")
def list_cmd(ctx: typer.Context) -> None:
    """List Kafka clusters, sorted by name."""

    rt = runtime(ctx)

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import kafka as api
        from restate_cli.render import kafka as view

        view.print_clusters(rt.io, rt.output, await api.list_clusters(client))

    run_with_client(rt, work)


@app.command("describe")
def describe_cmd(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME", help=NAME_HELP)) -> None:
    """Show a Kafka cluster: brokers, properties and the subscriptions that use it."""

    rt = runtime(ctx)
    name = name.strip()

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import kafka as api
        from restate_cli.render import kafka as view
        from restate_cli.render.timefmt import now

        view.print_cluster(rt.io, rt.output, await api.get_cluster(client, name), now())

    run_with_client(rt, work)


# -- patch -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PatchOptions:
    name: str
    replace: dict[str, str] | None  # the new baseline; None: the current properties
    set: dict[str, str]
    unset: list[str]


def patch_new_properties(current: dict[str, str], opts: PatchOptions) -> dict[str, str]:
    """The complete property set to send: the baseline, then --set, then --unset."""
    from restate_cli import kafka

    new = dict(current if opts.replace is None else opts.replace)
    new.update(opts.set)
    for key in opts.unset:
        new.pop(key, None)
    if opts.replace is None:
        _refuse_masked(
            new,
            "give the value again with --set KEY=VALUE, or the whole new set as KEY=VALUE "
            "arguments or with --from-file",
        )
    kafka.check_broker_keys(opts.name, new)
    return new


@app.command("patch")
def patch_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help=NAME_HELP),
    properties: list[str] = typer.Argument(
        None,
        metavar="KEY=VALUE",
        help="The complete new property set (replaces every current property)",
        show_default=False,
    ),
    set_: list[str] = typer.Option(
        [], "--set", metavar="KEY=VALUE", help="Set or change one property, keeping the others"
    ),
    unset: list[str] = typer.Option([], "--unset", metavar="KEY", help="Remove one property"),
    from_file: str | None = typer.Option(
        None, "-f", "--from-file", metavar="FILE", help="The complete new property set, from FILE"
    ),
) -> None:
    """Change a Kafka cluster's properties.

    The server replaces the whole property set. KEY=VALUE arguments or --from-file give
    the complete new set; --set and --unset change single properties of the current set
    (or of the new set, when one is given). The change is shown before it is applied.
    """
    from restate_cli import kafka

    rt = runtime(ctx)
    name = _name(name)
    replace = _properties(properties, from_file, rt.io.inp.read)
    changes = kafka.parse_properties(set_, "--set property")
    removals = kafka.parse_keys(unset)
    both = sorted(set(changes) & set(removals))
    if both:
        raise UsageError(f"{both[0]!r} is given to both --set and --unset")
    if replace is None and not changes and not removals:
        raise UsageError(
            "nothing to change",
            hint="give the new properties as KEY=VALUE, or use --set KEY=VALUE, --unset KEY "
            "or --from-file FILE",
        )
    if replace is not None:
        _refuse_masked(replace, "give the real value")
    if changes:
        _refuse_masked(changes, "give the real value")
    _patch(rt, PatchOptions(name, replace, changes, removals))


def _patch(rt, opts: PatchOptions) -> None:
    from restate_cli.render import kafka as view

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import kafka as api

        cluster = await api.get_cluster(client, opts.name, with_subscriptions=False)
        _refuse_static(cluster, "change")
        new = patch_new_properties(dict(cluster.properties), opts)
        changes = view.diff(cluster.properties, new)
        if not changes:
            if rt.output.json:
                view.print_patch_result(rt.io, rt.output, cluster, [])
            elif not rt.output.machine:
                rt.io.console().print(
                    f"No changes: Kafka cluster {opts.name} already has these properties.",
                    markup=False,
                )
            return
        if not rt.output.machine:
            view.print_patch_preview(rt.io, rt.output, opts.name, changes, new)
        confirm(
            rt,
            f"Replace the properties of Kafka cluster {opts.name}?",
            what=f"change Kafka cluster {opts.name}",
        )
        updated = await api.update_cluster(client, opts.name, new)
        view.print_patch_result(rt.io, rt.output, updated, changes)

    run_with_client(rt, work)


# -- delete ----------------------------------------------------------------------------


@app.command("delete")
def delete_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help=NAME_HELP),
    force: bool = typer.Option(
        False, "--force", help="Delete even while subscriptions use it (they are orphaned)"
    ),
) -> None:
    """Delete a Kafka cluster. While subscriptions use it, the server refuses unless --force."""
    from restate_cli.admin.errors import ApiError
    from restate_cli.render import kafka as view

    rt = runtime(ctx)
    name = name.strip()

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import kafka as api

        cluster = await api.get_cluster(client, name)
        _refuse_static(cluster, "delete")
        subs = cluster.subscriptions
        if subs and not force:
            raise CliError(
                f"Kafka cluster {name} is used by {_count(subs)}: "
                + ", ".join(f"{s.id} ({s.source} → {s.sink})" for s in subs),
                hint=f"delete {'it' if len(subs) == 1 else 'them'} first (restate-cli sub rm "
                + " ".join(s.id for s in subs)
                + f"), or pass --force to orphan {'it' if len(subs) == 1 else 'them'}",
            )
        if not rt.output.machine:
            view.print_cluster_delete_preview(rt.io, rt.output, cluster)
        if subs:
            view.print_orphans(rt.io, rt.output, subs)
        confirm(rt, f"Delete Kafka cluster {name}?", what=f"delete Kafka cluster {name}")
        try:
            status = await api.delete_cluster(client, name, force=force)
        except ApiError as e:
            if e.status == 409 and "orphan" in e.server_message:
                e.hint = f"a subscription was added meanwhile: see restate-cli kc describe {name}"
            raise
        outcome = view.Outcome(name, True, status, orphaned=tuple(s.id for s in subs))
        view.print_delete_report(rt.io, rt.output, "Kafka cluster", [outcome], key="name")

    run_with_client(rt, work)


def _refuse_static(cluster, verb: str) -> None:
    from restate_cli.admin.kafka import is_static

    if is_static(cluster):
        raise CliError(
            f"Kafka cluster {cluster.name} is defined in the server's configuration file; "
            f"the server cannot {verb} it",
            hint="edit [[ingress.kafka-clusters]] in the configuration file and restart, or "
            "remove it there and register the cluster with restate-cli kc create",
        )


def _count(subs) -> str:
    return f"{len(subs)} subscription{'s' if len(subs) != 1 else ''}"
