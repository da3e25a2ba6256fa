"""``restate-cli dev``: run the embedded runtime in the foreground."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from restate_cli.commands._common import confirm, runtime
from restate_cli.embedded.locate import serving_message
from restate_cli.errors import CliError, UsageError

if TYPE_CHECKING:
    from restate_cli.app import Runtime
    from restate_cli.embedded.engine.policy import Timeouts


def dev_cmd(
    ctx: typer.Context,
    admin_port: int = typer.Option(9070, "--admin-port", help="Admin API port (0: any free port)"),
    ingress_port: int = typer.Option(8080, "--ingress-port", help="Ingress port (0: any free port)"),
    random_ports: bool = typer.Option(
        False, "--random-ports", help="Listen on free ports chosen by the system"
    ),
    demo: bool = typer.Option(
        False, "--demo", help="Also serve sample services, and send them traffic in every status once"
    ),
    reset: bool = typer.Option(
        False,
        "--reset",
        help="Start over from an empty store (asks first; with --demo, sends the traffic again)",
    ),
    inactivity_timeout: str = typer.Option(
        "1m",
        "--inactivity-timeout",
        metavar="DURATION",
        help="A streaming attempt with no traffic this long is asked to suspend (0: every attempt "
        "request/response); a service's own setting wins",
    ),
    abort_timeout: str = typer.Option(
        "10m",
        "--abort-timeout",
        metavar="DURATION",
        help="How long an attempt may still take once asked to end, before it is aborted and "
        "retried; a service's own setting wins",
    ),
) -> None:
    """Run the embedded Restate-compatible runtime (admin API and ingress on loopback).

    Logs each invocation's end and every failure and retry to stderr; -v adds each state
    change, -q keeps only failures and retries."""
    import asyncio
    import logging
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
    timeouts = _timeouts(inactivity_timeout, abort_timeout)
    if random_ports:
        admin_port = ingress_port = 0
    busy = serving_message(settings.data_dir)
    if busy is not None:
        raise CliError(busy)
    if reset:
        _reset(rt, settings.data_dir)
    err = rt.io.err
    # The one place the dev log is filtered: each state change with -v; by default each
    # invocation's end, every failure and retry; with -q failures and retries only.
    shown = logging.DEBUG if rt.verbose else logging.WARNING if rt.output.quiet else logging.INFO

    def log(level: int, line: str) -> None:
        if level >= shown:
            err.write(f"{time.strftime('%H:%M:%S')} {line}\n")
            err.flush()

    def ready(admin_url: str, ingress_url: str) -> None:
        rt.io.out.write(
            f"restate-cli dev: admin API {admin_url}  ingress {ingress_url}\n"
            f"data directory: {settings.data_dir}\nPress Ctrl-C to stop.\n"
        )
        rt.io.out.flush()
        if sample is not None:
            asyncio.get_running_loop().create_task(sample.setup(admin_url, ingress_url))

    sample = None
    if demo:
        from restate_cli.demo import Demo

        sample = Demo(settings.data_dir, log)
        if not sample.start_services():
            sample = None

    from restate_cli.embedded.server import run_loop

    try:
        run_loop(
            serve(
                settings.data_dir,
                admin_port=admin_port,
                ingress_port=ingress_port,
                on_log=log,
                on_ready=ready,
                timeouts=timeouts,
                on_exit=sample.kill if sample is not None else None,
            )
        )
    except DevError as e:
        raise CliError(str(e)) from None
    except KeyboardInterrupt:
        pass
    finally:
        if sample is not None:
            sample.stop()
    sys.stderr.write("stopped\n")


def _reset(rt: Runtime, data_dir: Path) -> None:
    """Delete the store of ``data_dir`` after confirming, holding its lock meanwhile."""
    from restate_cli.embedded.locate import DevLock
    from restate_cli.embedded.runtime import DB_NAME, wipe_store

    if not (data_dir / DB_NAME).exists():
        return
    confirm(
        rt,
        f"Delete every invocation, deployment, subscription and Kafka cluster in {data_dir} and start over?",
        what="reset the data directory",
    )
    lock = DevLock(data_dir)
    if not lock.acquire():
        raise CliError(serving_message(data_dir) or f"another restate-cli dev serves {data_dir}")
    try:
        wipe_store(data_dir)
    finally:
        lock.release()


def _timeouts(inactivity: str, abort: str) -> Timeouts:
    """The ``--inactivity-timeout`` and ``--abort-timeout`` durations, checked."""
    from restate_cli.durations import DurationError, parse_ms
    from restate_cli.embedded.engine.policy import Timeouts

    values = {}
    for flag, text in (("--inactivity-timeout", inactivity), ("--abort-timeout", abort)):
        try:
            values[flag] = parse_ms(text)
        except DurationError as e:
            raise UsageError(f"{flag}: {e}") from None
    if values["--abort-timeout"] <= 0:
        raise UsageError("--abort-timeout must be more than 0")
    return Timeouts(inactivity_ms=values["--inactivity-timeout"], abort_ms=values["--abort-timeout"])
