"""``restate-cli dev``: run the embedded runtime in the foreground."""

from __future__ import annotations

import typer

from restate_cli.commands._common import runtime
from restate_cli.errors import CliError, UsageError


def dev_cmd(
    ctx: typer.Context,
    admin_port: int = typer.Option(9070, "--admin-port", help="Admin API port (0: any free port)"),
    ingress_port: int = typer.Option(8080, "--ingress-port", help="Ingress port (0: any free port)"),
    random_ports: bool = typer.Option(
        False, "--random-ports", help="Listen on free ports chosen by the system"
    ),
    demo: bool = typer.Option(False, "--demo", help="Also start sample services and traffic in every status"),
) -> None:
    """Run the embedded Restate-compatible runtime (admin API and ingress on loopback)."""
    import asyncio
    import sys
    import time

    from restate_cli.embedded.server import DevError, serve

    rt = runtime(ctx)
    settings = rt.settings
    if not settings.embedded:
        raise UsageError(
            f"dev runs the embedded runtime, but a remote server is configured ({settings.admin_url})",
            hint="unset --admin-url/$RESTATE_ADMIN_URL/-e to use the embedded runtime",
        )
    for port, flag in ((admin_port, "--admin-port"), (ingress_port, "--ingress-port")):
        if not 0 <= port <= 65535:
            raise UsageError(f"{flag} must be between 0 and 65535")
    if random_ports:
        admin_port = ingress_port = 0
    err = rt.io.err

    def log(line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        err.write(f"{stamp} {line}\n")
        err.flush()

    def ready(admin_url: str, ingress_url: str) -> None:
        rt.io.out.write(
            f"restate-cli dev: admin API {admin_url}  ingress {ingress_url}\n"
            f"data directory: {settings.data_dir}\nPress Ctrl-C to stop.\n"
        )
        rt.io.out.flush()
        if demo:
            from restate_cli.demo import start_demo

            asyncio.get_running_loop().create_task(start_demo(admin_url, ingress_url, settings.data_dir, log))

    async def main() -> None:
        try:
            await serve(
                settings.data_dir,
                admin_port=admin_port,
                ingress_port=ingress_port,
                on_log=log,
                on_ready=ready,
            )
        finally:
            if demo:
                from restate_cli.demo import stop_demo

                stop_demo()

    from restate_cli.embedded.server import run_loop

    try:
        run_loop(main())
    except DevError as e:
        raise CliError(str(e)) from None
    except KeyboardInterrupt:
        pass
    sys.stderr.write("stopped\n")
