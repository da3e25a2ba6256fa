"""Small helpers every command module uses: the runtime, asyncio, list flags, confirmation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from restate_cli.errors import Aborted, StoreUnusable, UsageError

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient
    from restate_cli.app import Runtime

T = TypeVar("T")


def runtime(ctx: typer.Context) -> Runtime:
    return ctx.find_root().obj


def run_with_client(rt: Runtime, work: Callable[[AdminClient], Awaitable[T]]) -> T:
    """Run ``work`` with a fresh admin client in a new event loop, then close the client.

    Over an offline store (no ``dev`` serves it), say so once: before asking for a
    confirmation, else when the command is done; not when the store proved unusable.
    """

    results: list[T] = []

    async def go() -> None:
        client = rt.client()
        rt.offline_notice = client.offline_notice
        try:
            results.append(await work(client))
        except StoreUnusable:
            rt.offline_notice = None
            raise
        finally:
            await client.aclose()
            say_offline(rt)
        for warning in client.warnings:
            from restate_cli.render.output import warn

            warn(rt.io, warning)

    import asyncio

    # The result is handed over outside the task: when asyncio.run restores the SIGINT
    # handler, Python formats repr(main task), which includes its result in full (tens of
    # milliseconds for a bulk action's 500 outcomes and call trees).
    asyncio.run(go())
    return results[0]


def split_list(values: Iterable[str] | None) -> list[str]:
    """``--status a,b --status c`` → ``["a", "b", "c"]``, blanks dropped, order kept."""
    out: list[str] = []
    for value in values or ():
        for piece in value.split(","):
            piece = piece.strip()
            if piece and piece not in out:
                out.append(piece)
    return out


def say_offline(rt: Runtime) -> None:
    """The offline-store notice, if it is still to be said."""
    if rt.offline_notice is not None:
        from restate_cli.render.output import notice

        notice(rt.io, rt.offline_notice)
        rt.offline_notice = None


def confirm(rt: Runtime, prompt: str, *, what: str) -> None:
    """Ask before a destructive action; ``--yes`` or ``CI`` answers for the user.

    Without a terminal to ask on, refuse rather than hang or guess.
    """
    io = rt.io
    if io.auto_confirm:
        stream = io.console(stderr=rt.output.machine)
        stream.print(f"{prompt} ", end="", markup=False)
        stream.print("Auto-confirming --yes is set.", style="magenta", markup=False)
        return
    if not io.can_prompt:
        raise UsageError(
            f"refusing to {what} without confirmation: stdin is not a terminal",
            hint="pass --yes (or set CI) to confirm",
        )
    say_offline(rt)  # before the question, not after the answer
    console = io.console()
    console.print(f"{prompt} [y/N] ", end="", markup=False)
    io.out.flush()
    answer = io.inp.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise Aborted("aborted: nothing was changed")


MAX_LIMIT = 2**63 - 1  # a SQL LIMIT is a signed 64-bit integer on restate-server


def positive(value: Any, flag: str) -> None:
    if value is not None and value < 1:
        raise UsageError(f"{flag} must be at least 1")


def check_limit(value: int, flag: str = "--limit") -> None:
    """A row limit the server can take: 1 to 2^63 - 1."""
    positive(value, flag)
    if value > MAX_LIMIT:
        raise UsageError(f"{flag} must be at most {MAX_LIMIT} (a 64-bit integer)")


def watch(
    rt: Runtime, watching: bool, interval: float, show: Callable[[AdminClient], Awaitable[Any]]
) -> None:
    """Run ``show`` once, or forever every ``interval`` seconds until Ctrl-C (``-w``)."""
    import asyncio

    if interval <= 0:
        raise UsageError("-n/--interval must be positive")
    if not watching:
        run_with_client(rt, show)
        return
    console = rt.io.console()

    async def loop(client: AdminClient) -> None:
        while True:
            if rt.io.stdout_tty:
                console.clear()
                rt.offline_notice = client.offline_notice  # cleared with the screen: say it again
                say_offline(rt)
            await show(client)
            await asyncio.sleep(interval)

    try:
        run_with_client(rt, loop)
    except KeyboardInterrupt:
        return
