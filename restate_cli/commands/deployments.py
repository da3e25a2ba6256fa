"""``restate-cli deployments``: register, list, describe and remove service deployments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from restate_cli.app import group
from restate_cli.commands._common import confirm, run_with_client, runtime
from restate_cli.errors import UsageError

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient

app = group(
    "Register and inspect the deployments that serve your services.",
    aliases={"ls": "list", "get": "describe", "rm": "remove", "add": "register"},
)


@app.command("register")
def register_cmd(
    ctx: typer.Context,
    uri: str = typer.Argument(..., metavar="URI", help="The deployment's URL, e.g. http://localhost:9080"),
    force: bool = typer.Option(False, "--force", help="Update an already registered deployment"),
    use_http_11: bool = typer.Option(False, "--use-http1.1", help="Reach it over HTTP/1.1, not HTTP/2"),
    header: list[str] = typer.Option([], "--header", metavar="KEY:VALUE", help="Extra header sent to it"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Discover and validate, register nothing"),
) -> None:
    """Discover a deployment's services and register them."""
    from urllib.parse import urlsplit

    rt = runtime(ctx)
    try:
        parts = urlsplit(uri.strip())  # raises on a malformed [IPv6] host
        parts.port  # noqa: B018 - raises on a port beyond 65535
    except ValueError as e:
        raise UsageError(f"invalid deployment URL {uri!r}: {e}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"invalid deployment URL {uri!r}: expected http://host:port/")
    headers: dict[str, str] = {}
    for h in header:
        key, sep, value = h.partition(":")
        if not sep or not key.strip():
            raise UsageError(f"invalid --header {h!r}: expected KEY:VALUE")
        headers[key.strip()] = value.strip()
    body: dict[str, Any] = {"uri": uri.strip(), "force": force, "dry_run": dry_run}
    if use_http_11:
        body["use_http_11"] = True
    if headers:
        body["additional_headers"] = headers

    async def work(client: AdminClient) -> Any:
        return await client.post_json("deployments", body)

    data = run_with_client(rt, work)
    from restate_cli.render import deployments as view

    view.registered(rt.io, rt.output, data, dry_run=dry_run)


@app.command("list")
def list_cmd(ctx: typer.Context) -> None:
    """List the registered deployments."""
    rt = runtime(ctx)

    async def work(client: AdminClient) -> Any:
        return await client.get_json("deployments")

    data = run_with_client(rt, work)
    from restate_cli.render import deployments as view

    view.listing(rt.io, rt.output, data.get("deployments", []))


@app.command("describe")
def describe_cmd(
    ctx: typer.Context, deployment_id: str = typer.Argument(..., metavar="DEPLOYMENT_ID")
) -> None:
    """Show one deployment with its services and handlers."""
    rt = runtime(ctx)
    _check(deployment_id)

    async def work(client: AdminClient) -> Any:
        return await client.get_json(f"deployments/{deployment_id}")

    data = run_with_client(rt, work)
    from restate_cli.render import deployments as view

    view.describe(rt.io, rt.output, data)


@app.command("remove")
def remove_cmd(
    ctx: typer.Context,
    deployment_id: str = typer.Argument(..., metavar="DEPLOYMENT_ID"),
    force: bool = typer.Option(False, "--force", help="Remove it even though invocations may still need it"),
) -> None:
    """Remove a deployment and its services (restate-server needs --force)."""
    rt = runtime(ctx)
    _check(deployment_id)
    confirm(rt, f"Remove deployment {deployment_id}?", what=f"remove deployment {deployment_id}")

    async def work(client: AdminClient) -> None:
        from restate_cli.admin.errors import ApiError
        from restate_cli.errors import CliError

        try:
            await client.delete(
                f"deployments/{deployment_id}", params={"force": "true" if force else "false"}
            )
        except ApiError as e:
            if e.status == 501 and not force:
                raise CliError(
                    f"{client.server} removes deployments only when forced: invocations pinned to "
                    f"{deployment_id} would become zombies",
                    hint="check `restate-cli inv ls --deployment` and re-run with --force",
                ) from None
            raise

    run_with_client(rt, work)
    from restate_cli.render.output import success, write_json, write_lines

    if rt.output.json:
        write_json(rt.io, {"id": deployment_id, "removed": True})
    elif rt.output.quiet:
        write_lines(rt.io, [deployment_id])
    else:
        success(rt.io, f"Removed deployment {deployment_id}")


def _check(deployment_id: str) -> None:
    from restate_cli import ids

    try:
        ids.check(deployment_id.strip(), "dp")
    except ids.IdError as e:
        raise UsageError(f"invalid deployment id {deployment_id!r}: {e}") from None
