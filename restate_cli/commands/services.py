"""``restate-cli services``: the registry, one service, what its invocations do, its settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from restate_cli.app import group
from restate_cli.commands._common import confirm, run_with_client, runtime, watch
from restate_cli.errors import UsageError

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient
    from restate_cli.admin.models import Service
    from restate_cli.app import Runtime

app = group(
    "List services, inspect them and their activity, and change their settings.",
    aliases={"ls": "list", "get": "describe"},
)
config_app = group(
    "View and change a service's settings: visibility, retentions and timeouts.",
    aliases={"get": "view"},
)
app.add_typer(config_app, name="config")

SERVICE_HELP = "The service's name"
WATCH_HELP = "Refresh continuously"
INTERVAL_HELP = "Seconds between refreshes in watch mode"


@app.command("list")
def list_cmd(ctx: typer.Context) -> None:
    """List the registered services, sorted by name."""
    rt = runtime(ctx)

    async def work(client: AdminClient) -> None:
        import asyncio

        from restate_cli.admin.models import Service
        from restate_cli.render import services as view

        services_data, deployments = await asyncio.gather(
            client.get_json("services"), client.get_json("deployments")
        )
        raw = sorted((services_data or {}).get("services", []), key=lambda s: s.get("name", ""))
        endpoints = {
            d["id"]: str(d.get("uri") or d.get("arn") or "")
            for d in (deployments or {}).get("deployments", [])
            if isinstance(d, dict) and "id" in d
        }
        view.print_list(rt.io, rt.output, [Service.model_validate(s) for s in raw], raw, endpoints)

    run_with_client(rt, work)


@app.command("describe")
def describe_cmd(
    ctx: typer.Context, service: str = typer.Argument(..., metavar="SERVICE", help=SERVICE_HELP)
) -> None:
    """Show a service: its deployment, handlers with their input and output, and settings."""
    rt = runtime(ctx)
    name = _name(service)

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import services as api
        from restate_cli.admin.models import Service
        from restate_cli.render import services as view
        from restate_cli.render.timefmt import now

        raw = await api.get_service_raw(client, name)
        raw["handlers"] = sorted(raw.get("handlers") or [], key=lambda h: str(h.get("name")))
        svc = Service.model_validate(raw)
        dep = await api.get_deployment(client, svc.deployment_id)
        view.print_describe(rt.io, rt.output, svc, raw, dep, now())

    run_with_client(rt, work)


@app.command("status")
def status_cmd(
    ctx: typer.Context,
    services: list[str] = typer.Argument(
        None, metavar="[SERVICE]...", help="Only these services (default: all)", show_default=False
    ),
    watching: bool = typer.Option(False, "-w", "--watch", help=WATCH_HELP),
    interval: float = typer.Option(1.0, "-n", "--interval", help=INTERVAL_HELP),
) -> None:
    """What the invocations of each handler are doing: how many are in each status (not
    completed), and the oldest of them."""
    rt = runtime(ctx)
    names = [_name(s) for s in services or []]

    async def show(client: AdminClient) -> None:
        from restate_cli.admin import services as api
        from restate_cli.render import services as view
        from restate_cli.render.timefmt import now

        if names:
            chosen = [await api.get_service(client, n) for n in names]
        else:
            chosen = sorted(await api.list_services(client), key=lambda s: s.name)
        entries = await api.status(client, chosen)
        view.print_status(rt.io, rt.output, chosen, entries, now())

    watch(rt, watching, interval, show)


def _name(value: str) -> str:
    name = value.strip()
    if not name or "/" in name or not name.isprintable():
        raise UsageError(f"invalid service name {value!r}")
    return name


# -- config ------------------------------------------------------------------------------


@config_app.command("view")
def config_view_cmd(
    ctx: typer.Context, service: str = typer.Argument(..., metavar="SERVICE", help=SERVICE_HELP)
) -> None:
    """Show a service's settings."""
    rt = runtime(ctx)
    name = _name(service)

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import services as api
        from restate_cli.render import services as view

        view.print_config(rt.io, rt.output, await api.get_service(client, name))

    run_with_client(rt, work)


DURATION_HELP = "A duration: 10m, 1h 30m, 2days or ISO 8601 (PT1H)"
FILE_HELP = (
    "Read the settings from FILE (TOML or JSON, keys as in `config view --json`; - for stdin); "
    "flags win over the file"
)


@config_app.command("patch")
def config_patch_cmd(
    ctx: typer.Context,
    service: str = typer.Argument(..., metavar="SERVICE", help=SERVICE_HELP),
    public: str | None = typer.Option(
        None, "--public", metavar="true|false", help="Whether the ingress may call it"
    ),
    idempotency_retention: str | None = typer.Option(
        None,
        "--idempotency-retention",
        metavar="DURATION",
        help=f"Keep completed calls this long. {DURATION_HELP}",
    ),
    workflow_completion_retention: str | None = typer.Option(
        None,
        "--workflow-completion-retention",
        metavar="DURATION",
        help="Keep completed workflow runs this long (workflows only)",
    ),
    journal_retention: str | None = typer.Option(
        None,
        "--journal-retention",
        metavar="DURATION",
        help="Keep journals of completed invocations this long",
    ),
    inactivity_timeout: str | None = typer.Option(
        None,
        "--inactivity-timeout",
        metavar="DURATION",
        help="Ask an attempt without progress to suspend after",
    ),
    abort_timeout: str | None = typer.Option(
        None, "--abort-timeout", metavar="DURATION", help="Abort an attempt this long after that"
    ),
    from_file: str | None = typer.Option(None, "-f", "--from-file", metavar="FILE", help=FILE_HELP),
) -> None:
    """Change a service's settings, shown as a diff first.

    Registering the deployment again resets them to what the deployment declares."""
    from restate_cli.commands import _service_config as cfg

    rt = runtime(ctx)
    name = _name(service)
    wanted = cfg.read_file(from_file, rt.io.inp.read) if from_file else {}
    flags: dict[str, Any] = {
        "public": public,
        "idempotency_retention": idempotency_retention,
        "workflow_completion_retention": workflow_completion_retention,
        "journal_retention": journal_retention,
        "inactivity_timeout": inactivity_timeout,
        "abort_timeout": abort_timeout,
    }
    wanted.update({k: v for k, v in flags.items() if v is not None})
    if not wanted:
        raise UsageError(
            "nothing to change",
            hint="give --public, --idempotency-retention, --journal-retention, --inactivity-timeout, "
            "--abort-timeout, --workflow-completion-retention or --from-file FILE",
        )
    settings = cfg.normalize(wanted, origin="--from-file" if from_file else "flags")
    _apply(rt, name, lambda svc: settings)


@config_app.command("edit")
def config_edit_cmd(
    ctx: typer.Context, service: str = typer.Argument(..., metavar="SERVICE", help=SERVICE_HELP)
) -> None:
    """Edit a service's settings in $EDITOR (a TOML file with the current values), then
    confirm the diff."""
    from restate_cli.commands._edit import require_answer

    rt = runtime(ctx)
    name = _name(service)
    require_answer(rt, f"change service {name}")

    def edited(svc: Service) -> dict[str, Any]:
        from restate_cli.commands import _edit
        from restate_cli.commands import _service_config as cfg

        text = _edit.edit_text(cfg.template(svc), suffix=".toml")
        return cfg.normalize(cfg.parse_toml(text, "the edited file"), origin="the edited file")

    _apply(rt, name, edited)


def _apply(rt: Runtime, name: str, wanted_of) -> None:
    """Read the service, work out the changes, show them, confirm, PATCH, show the result."""

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import services as api
        from restate_cli.admin.models import Service
        from restate_cli.commands import _service_config as cfg
        from restate_cli.render import services as view
        from restate_cli.render.output import success, write_json

        svc = await api.get_service(client, name)
        changes = cfg.changes(svc, wanted_of(svc))
        out = rt.output
        if not changes:
            if out.json:
                write_json(rt.io, {"service": name, "updated": False, "changes": [], **_settings(svc)})
            elif not out.machine:
                rt.io.console().print(f"No changes: service {name} already has these settings.", markup=False)
            return
        if not out.machine:
            view.print_changes(rt.io, out, changes)
            rt.io.console().print()
        confirm(rt, f"Change the settings of service {name}?", what=f"change service {name}")
        updated = Service.model_validate(
            await api.patch_service(client, name, {k: new for k, _, new in changes})
        )
        if out.json:
            write_json(
                rt.io,
                {
                    "service": name,
                    "updated": True,
                    "changes": view.changes_json(changes),
                    **_settings(updated),
                },
            )
        elif out.quiet:
            rt.io.out.write(name + "\n")
        elif not out.machine:
            success(rt.io, f"Service {name} updated")
            view.print_settings(rt.io, out, updated)

    run_with_client(rt, work)


def _settings(svc: Service) -> dict[str, Any]:
    from restate_cli.render.services import settings_json

    data = settings_json(svc)
    data.pop("service", None)
    return {"settings": data}
