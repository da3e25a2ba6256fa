"""A root app with ``subscriptions`` and ``kafka-clusters`` commands shaped like theirs
(same names, aliases, arguments and options), to check that the completion table reaches
commands as soon as they join the tree."""

from __future__ import annotations

import typer

from restate_cli.app import AliasGroup, group


def kafka_app() -> typer.Typer:
    root = typer.Typer(
        cls=type(
            "Root",
            (AliasGroup,),
            {"aliases": {"sub": "subscriptions", "kc": "kafka-clusters"}, "hidden_aliases": {}},
        ),
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @root.callback()
    def _root(
        admin_url: str | None = typer.Option(None, "--admin-url", help="Admin API base URL"),
        environment: str | None = typer.Option(None, "-e", "--environment", help="Environment"),
    ) -> None:
        """Manage subscriptions."""

    subs = group(
        "Manage Kafka subscriptions.",
        aliases={"ls": "list", "get": "describe", "rm": "delete"},
        hidden_aliases={"register": "create", "remove": "delete"},
    )

    @subs.command("create")
    def _create(
        source: str | None = typer.Argument(None, metavar="SOURCE"),
        sink: str | None = typer.Argument(None, metavar="SINK"),
        options: list[str] = typer.Argument(None, metavar="KEY=VALUE"),
        from_file: str | None = typer.Option(None, "-f", "--from-file", metavar="FILE"),
    ) -> None:
        """Create a subscription."""

    @subs.command("list")
    def _list(
        source: str | None = typer.Option(None, "--source", metavar="URI"),
        sink: str | None = typer.Option(None, "--sink", metavar="URI"),
    ) -> None:
        """List subscriptions."""

    @subs.command("describe")
    def _describe(subscription_id: str = typer.Argument(..., metavar="ID")) -> None:
        """Show one subscription."""

    @subs.command("delete")
    def _delete(subscription_ids: list[str] = typer.Argument(..., metavar="ID")) -> None:
        """Delete subscriptions."""

    clusters = group(
        "Manage Kafka clusters.",
        aliases={"ls": "list", "get": "describe", "rm": "delete"},
        hidden_aliases={"register": "create"},
    )

    @clusters.command("create")
    def _create_cluster(name: str = typer.Argument(..., metavar="NAME")) -> None:
        """Create a cluster."""

    @clusters.command("describe")
    def _describe_cluster(name: str = typer.Argument(..., metavar="NAME")) -> None:
        """Show one cluster."""

    @clusters.command("delete")
    def _delete_cluster(
        name: str = typer.Argument(..., metavar="NAME"), force: bool = typer.Option(False, "--force")
    ) -> None:
        """Delete a cluster."""

    @clusters.command("secret", hidden=True)
    def _secret() -> None:
        """Hidden."""

    root.add_typer(subs, name="subscriptions")
    root.add_typer(clusters, name="kafka-clusters")
    return root
