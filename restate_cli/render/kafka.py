"""How subscriptions and Kafka clusters look: lists, detail views, previews and results.

Secret property values never reach the console or JSON: every value goes through
``restate_cli.kafka.shown`` (``***`` for secret-looking keys, and the server's own ``***``
stays as it is).

JSON shapes (stable, snake_case):

* subscription: ``{"id", "source", "sink", "options"}``; ``describe`` adds ``cluster``,
  ``topic``, ``service``, ``handler``, ``brokers``, ``cluster_found`` and
  ``default_options`` (the keys whose values are the server's defaults);
* Kafka cluster: ``{"name", "brokers", "properties", "created_at", "static_config",
  "info"}``; ``describe`` adds ``subscriptions``;
* deletions: ``{"action", "succeeded", "failed", "results": [...]}``, one result per id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

from restate_cli.admin.kafka import SubscriptionView, is_static
from restate_cli.admin.models import KafkaCluster, Subscription
from restate_cli.admin.record import utc_iso
from restate_cli.errors import UsageError
from restate_cli.io import IO
from restate_cli.kafka import (
    MASK,
    brokers,
    masked,
    parse_sink,
    parse_source,
    shown,
    source_cluster,
)
from restate_cli.render import timefmt
from restate_cli.render.output import (
    OutputOptions,
    kv_table,
    new_table,
    success,
    title,
    warn,
    write_json,
    write_lines,
    write_rows,
)

if TYPE_CHECKING:
    from rich.table import Table

DEFAULT_CLIENT_ID = "restate"


# -- shared ----------------------------------------------------------------------------


def _value_text(key: str, value: str) -> Text:
    text = shown(key, value)
    return Text(text, style="magenta" if text == MASK else "")


def properties_table(
    opts: OutputOptions, props: Mapping[str, str], notes: Mapping[str, str] | None = None
) -> Table:
    """KEY / VALUE, sorted by key, secrets masked; ``notes`` adds a dim remark per key."""
    table = new_table(opts, headers=("KEY", "VALUE"))
    for key in sorted(props):
        value = _value_text(key, props[key])
        if notes and key in notes:
            value.append(f"  ({notes[key]})", style="dim")
        table.add_row(key, value)
    return table


@dataclass(frozen=True)
class Outcome:
    """The result of one deletion."""

    name: str  # subscription id or cluster name
    ok: bool
    http_status: int | None = None
    error: str | None = None
    source: str | None = None
    sink: str | None = None
    orphaned: tuple[str, ...] = ()  # a cluster deleted with --force: what it left behind


# -- subscriptions ---------------------------------------------------------------------


def default_options(sub: Subscription) -> dict[str, str]:
    """The options whose values are what the server adds when they are not given."""
    notes = {}
    if sub.options.get("client.id") == DEFAULT_CLIENT_ID:
        notes["client.id"] = "server default"
    if sub.options.get("group.id") == sub.id:
        notes["group.id"] = "server default: the subscription id"
    return notes


def custom_options(sub: Subscription) -> dict[str, str]:
    defaults = default_options(sub)
    return {k: v for k, v in sub.options.items() if k not in defaults}


def _options_cell(sub: Subscription) -> str:
    return ", ".join(f"{k}={v}" for k, v in masked(custom_options(sub)).items())


def _sub_row(sub: Subscription) -> tuple[str, str, str, str]:
    return (sub.id, sub.source, sub.sink, _options_cell(sub))


def subscription_json(sub: Subscription) -> dict[str, Any]:
    return {"id": sub.id, "source": sub.source, "sink": sub.sink, "options": masked(sub.options)}


SUB_HEADERS = ("ID", "SOURCE", "SINK", "OPTIONS")


def print_subscriptions(
    io: IO, opts: OutputOptions, subs: Sequence[Subscription], *, filtered: bool = False
) -> None:
    if opts.json:
        write_json(io, [subscription_json(s) for s in subs])
    elif opts.quiet:
        write_lines(io, [s.id for s in subs])
    elif opts.fmt:
        write_rows(io, SUB_HEADERS, [(s.id, s.source, s.sink, _options_cell(s)) for s in subs], opts)
    elif not subs:
        text = "No subscriptions match." if filtered else "No subscriptions registered."
        io.console(stderr=True).print(text, markup=False)
    else:
        table = new_table(opts, headers=SUB_HEADERS)
        for s in subs:
            custom = masked(custom_options(s))
            cell = (
                Text("\n".join(f"{k}={v}" for k, v in custom.items()))
                if custom
                else Text("(defaults)", style="dim")
            )
            table.add_row(Text(s.id, style="bold"), s.source, s.sink, cell)
        io.console().print(table)


def subscription_view_json(view: SubscriptionView) -> dict[str, Any]:
    sub = view.subscription
    data = subscription_json(sub)
    try:
        src = parse_source(sub.source)
        cluster, topic = src.cluster, src.topic
    except UsageError:  # a stored source the CLI would not accept, e.g. with an empty topic
        cluster, topic = source_cluster(sub.source), None
    try:
        dst = parse_sink(sub.sink)
        service, handler = dst.service, dst.handler
    except UsageError:
        service = handler = None
    data.update(
        {
            "cluster": cluster,
            "topic": topic,
            "service": service,
            "handler": handler,
            "brokers": brokers(view.cluster.properties) if view.cluster else None,
            "cluster_found": {"found": True, "missing": False}.get(view.cluster_state),
            "default_options": sorted(default_options(sub)),
        }
    )
    return data


def print_subscription(io: IO, opts: OutputOptions, view: SubscriptionView) -> None:
    sub = view.subscription
    if opts.json:
        write_json(io, subscription_view_json(view))
        return
    if opts.quiet:
        write_lines(io, [sub.id])
        return
    if opts.fmt:
        write_rows(io, SUB_HEADERS, [_sub_row(sub)], opts)
        return
    console = io.console()
    title(io, "info", "Subscription")
    rows: list[tuple[str, Text | str]] = [
        ("ID", sub.id),
        ("Source", sub.source),
        ("Sink", sub.sink),
    ]
    cluster = source_cluster(sub.source)
    if view.cluster_state == "found" and view.cluster is not None:
        found = brokers(view.cluster.properties)
        if found:
            rows.append(("Kafka brokers", found))
    elif view.cluster_state == "missing":
        rows.append(
            (
                "Kafka cluster",
                Text(
                    f"{cluster} no longer exists: this subscription is orphaned and consumes nothing",
                    style="bold red",
                ),
            )
        )
    elif view.cluster_state == "config":
        rows.append(("Kafka cluster", Text(f"{cluster} (from the server's configuration file)")))
    console.print(kv_table(opts, rows))
    if sub.options:
        console.print()
        title(io, "options", "Options")
        console.print(properties_table(opts, sub.options, default_options(sub)))


def print_subscription_preview(
    io: IO, opts: OutputOptions, source: str, sink: str, options: Mapping[str, str]
) -> None:
    console = io.console()
    console.print(kv_table(opts, [("Source", source), ("Sink", sink)]))
    if options:
        console.print("Options:", style="bold", markup=False)
        console.print(properties_table(opts, options))
    else:
        console.print(Text("Options: ", style="bold") + Text("(none)", style="dim"))
    console.print()


def print_created_subscription(
    io: IO, opts: OutputOptions, sub: Subscription, sent: Mapping[str, str]
) -> None:
    added = {k: v for k, v in sub.options.items() if k not in sent}
    if opts.json:
        data = subscription_json(sub)
        data["default_options"] = sorted(added)
        write_json(io, data)
        return
    if opts.quiet:
        write_lines(io, [sub.id])
        return
    if opts.fmt:
        write_rows(io, SUB_HEADERS, [_sub_row(sub)], opts)
        return
    success(io, f"Subscription {sub.id} created")
    if added:
        pairs = ", ".join(f"{k}={shown(k, v)}" for k, v in sorted(added.items()))
        io.console().print(Text(f"The server added its defaults: {pairs}", style="dim"))


def print_subscription_delete_preview(io: IO, opts: OutputOptions, subs: Sequence[Subscription]) -> None:
    table = new_table(opts, headers=("ID", "SOURCE", "SINK"))
    for s in subs:
        table.add_row(Text(s.id, style="bold"), s.source, s.sink)
    io.console().print(table)
    io.console().print()


def print_delete_report(
    io: IO, opts: OutputOptions, what: str, outcomes: Sequence[Outcome], key: str = "id"
) -> None:
    """Per-item results of a deletion: JSON, ids, a table, or OK lines and a failure table."""
    ok = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    if opts.json:
        results = []
        for o in outcomes:
            item: dict[str, Any] = {key: o.name, "ok": o.ok}
            if key == "id":
                item.update({"source": o.source, "sink": o.sink})
            else:
                item["orphaned_subscriptions"] = list(o.orphaned)
            item.update({"http_status": o.http_status, "error": o.error})
            results.append(item)
        write_json(
            io,
            {"action": "delete", "succeeded": len(ok), "failed": len(failed), "results": results},
        )
        return
    if opts.quiet:
        write_lines(io, [o.name for o in ok])
        return
    if opts.fmt:
        headers = (key.upper(), "OK", "HTTP", "ERROR")
        write_rows(io, headers, [(o.name, o.ok, o.http_status, o.error) for o in outcomes], opts)
        return
    for o in ok:
        success(io, f"{what} {o.name} deleted")
    if failed:
        if ok:
            io.console().print()
        warn(io, f"Failed to delete {len(failed)} of {len(outcomes)}:")
        table = new_table(opts, headers=(key.upper(), "REASON"))
        for o in failed:
            table.add_row(o.name, Text(o.error or "", style="red"))
        io.console().print(table)


# -- Kafka clusters --------------------------------------------------------------------


def cluster_json(cluster: KafkaCluster, *, with_subscriptions: bool = False) -> dict[str, Any]:
    static = is_static(cluster)
    data: dict[str, Any] = {
        "name": cluster.name,
        "brokers": brokers(cluster.properties),
        "properties": masked(cluster.properties),
        "created_at": None if static or cluster.created_at is None else utc_iso(cluster.created_at),
        "static_config": static,
        "info": [i.message for i in cluster.info],
    }
    if with_subscriptions:
        data["subscriptions"] = [subscription_json(s) for s in cluster.subscriptions]
    return data


CLUSTER_HEADERS = ("NAME", "BROKERS", "PROPERTIES", "CREATED AT")


def _created(cluster: KafkaCluster, fmt: str, *, machine: bool) -> str | None:
    if is_static(cluster):
        return "(server config file)"
    if cluster.created_at is None:
        return None
    return utc_iso(cluster.created_at) if machine else timefmt.timestamp(cluster.created_at, fmt)


def _cluster_row(cluster: KafkaCluster, fmt: str, machine: bool) -> list[Any]:
    return [
        cluster.name,
        brokers(cluster.properties) or "-",
        len(cluster.properties),
        _created(cluster, fmt, machine=machine),
    ]


def print_clusters(io: IO, opts: OutputOptions, clusters: Sequence[KafkaCluster]) -> None:
    if opts.json:
        write_json(io, [cluster_json(c) for c in clusters])
    elif opts.quiet:
        write_lines(io, [c.name for c in clusters])
    elif opts.fmt:
        write_rows(io, CLUSTER_HEADERS, [_cluster_row(c, opts.time_format, True) for c in clusters], opts)
    elif not clusters:
        io.console(stderr=True).print("No Kafka clusters registered.", markup=False)
    else:
        table = new_table(opts, headers=CLUSTER_HEADERS)
        for c in clusters:
            name, brk, count, created = _cluster_row(c, opts.time_format, False)
            table.add_row(
                Text(name, style="bold"),
                brk,
                str(count),
                Text(created or "", style="dim" if is_static(c) else ""),
            )
        io.console().print(table)


def print_cluster(io: IO, opts: OutputOptions, cluster: KafkaCluster, now: datetime) -> None:
    if opts.json:
        write_json(io, cluster_json(cluster, with_subscriptions=True))
        return
    if opts.quiet:
        write_lines(io, [cluster.name])
        return
    if opts.fmt:
        write_rows(io, CLUSTER_HEADERS, [_cluster_row(cluster, opts.time_format, True)], opts)
        return
    console = io.console()
    fmt = opts.time_format
    rows: list[tuple[str, Text | str]] = [
        ("Name", cluster.name),
        ("Brokers", brokers(cluster.properties) or "-"),
        ("Properties", str(len(cluster.properties))),
        ("Subscriptions", str(len(cluster.subscriptions))),
    ]
    if is_static(cluster):
        rows.append(("Defined in", Text("the server's configuration file", style="dim")))
    elif cluster.created_at is not None:
        ago = timefmt.rough_duration(now - cluster.created_at, fmt, "past")
        rows.append(("Created at", f"{timefmt.timestamp(cluster.created_at, fmt)} ({ago})"))
    for note in cluster.info:
        rows.append(("Note", Text(note.message, style="italic")))
    title(io, "info", "Kafka Cluster")
    console.print(kv_table(opts, rows))
    console.print()
    title(io, "options", "Properties")
    console.print(properties_table(opts, cluster.properties))
    if cluster.subscriptions:
        console.print()
        title(io, "subs", "Subscriptions")
        table = new_table(opts, headers=("ID", "SOURCE", "SINK"))
        for s in cluster.subscriptions:
            table.add_row(Text(s.id, style="bold"), s.source, s.sink)
        console.print(table)


def print_cluster_preview(io: IO, opts: OutputOptions, name: str, props: Mapping[str, str]) -> None:
    console = io.console()
    console.print(kv_table(opts, [("Name", name)]))
    console.print(properties_table(opts, props))
    console.print()


def print_cluster_result(io: IO, opts: OutputOptions, cluster: KafkaCluster, verb: str) -> None:
    """After create or patch: the cluster as the server now has it."""
    if opts.json:
        write_json(io, cluster_json(cluster))
    elif opts.quiet:
        write_lines(io, [cluster.name])
    elif opts.fmt:
        write_rows(io, CLUSTER_HEADERS, [_cluster_row(cluster, opts.time_format, True)], opts)
    else:
        success(io, f"Kafka cluster {cluster.name} {verb}")


# -- patch -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    key: str
    old: str | None  # None: not set before
    new: str | None  # None: removed

    def to_json(self) -> dict[str, Any]:
        return {
            "property": self.key,
            "old": None if self.old is None else shown(self.key, self.old),
            "new": None if self.new is None else shown(self.key, self.new),
        }


def diff(old: Mapping[str, str], new: Mapping[str, str]) -> list[Change]:
    """What changes when ``old`` is replaced by ``new``. A value the server hid (``***``) is
    unknown, so setting that key again always counts as a change."""
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before != after or before == MASK:
            changes.append(Change(key, before, after))
    return changes


def print_patch_preview(
    io: IO,
    opts: OutputOptions,
    name: str,
    changes: Sequence[Change],
    new: Mapping[str, str],
) -> None:
    console = io.console()
    table = new_table(opts, headers=("PROPERTY", "OLD", "NEW"))
    for c in changes:
        old = Text("(unset)", style="dim") if c.old is None else _value_text(c.key, c.old)
        new_cell = Text("(removed)", style="bold red") if c.new is None else _value_text(c.key, c.new)
        table.add_row(c.key, old, new_cell)
    console.print(table)
    console.print()
    console.print(
        f"The server replaces the whole property set: after this change, Kafka cluster "
        f"{name} has exactly these {len(new)} properties:",
        markup=False,
    )
    console.print(properties_table(opts, new))
    console.print()


def print_patch_result(io: IO, opts: OutputOptions, cluster: KafkaCluster, changes: Sequence[Change]) -> None:
    if opts.json:
        data = cluster_json(cluster)
        data["updated"] = bool(changes)
        data["changes"] = [c.to_json() for c in changes]
        write_json(io, data)
        return
    print_cluster_result(io, opts, cluster, "updated")


def print_cluster_delete_preview(io: IO, opts: OutputOptions, cluster: KafkaCluster) -> None:
    rows: list[tuple[str, Text | str]] = [
        ("Name", cluster.name),
        ("Brokers", brokers(cluster.properties) or "-"),
        ("Subscriptions", str(len(cluster.subscriptions))),
    ]
    io.console().print(kv_table(opts, rows))
    io.console().print()


def print_orphans(io: IO, opts: OutputOptions, subs: Sequence[Subscription]) -> None:
    """The subscriptions a forced delete leaves behind, on stderr."""
    n = len(subs)
    warn(
        io,
        f"{n} subscription{'s' if n != 1 else ''} will be orphaned and stop consuming: "
        + ", ".join(f"{s.id} ({s.source} → {s.sink})" for s in subs),
    )
