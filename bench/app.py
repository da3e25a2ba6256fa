"""The restate-sdk service both runtimes call in the benchmarks.

``Greeter/greet`` is the trivial handler of the throughput test (the same as in
``tests/services/app.py``). ``Sleeper`` and ``BenchA``-``BenchC`` sleep durably, so their
invocations stay suspended: the data set of the list and cancel measurements.

For ``bench/scale.py``: ``History/record`` and ``Expiring/record`` answer at once and are
kept 90 days and one minute after they complete; ``Flaky/fail`` always fails and retries
an hour later (backing-off); ``Holder/{key}/hold`` holds its key while it sleeps, so the
key's next invocations wait (pending); ``Tree/fan_out`` sends one-way calls that sleep.
``Chain/five`` makes five awaited calls in a row (streaming against request/response).
"""

from __future__ import annotations

from datetime import timedelta

import restate
from restate.retry_policy import InvocationRetryPolicy

greeter = restate.Service("Greeter")


@greeter.handler()
async def greet(ctx: restate.Context, name: str) -> str:
    return f"Hello {name}!"


def _sleeper(name: str) -> restate.Service:
    svc = restate.Service(name)

    @svc.handler()
    async def sleep(ctx: restate.Context, secs: float) -> str:
        await ctx.sleep(timedelta(seconds=secs))
        return "slept"

    return svc


def _recorder(name: str, keep: timedelta) -> restate.Service:
    svc = restate.Service(name, journal_retention=keep)

    @svc.handler()
    async def record(ctx: restate.Context, what: str) -> str:
        return f"recorded {what}"

    return svc


flaky = restate.Service(
    "Flaky",
    invocation_retry_policy=InvocationRetryPolicy(
        initial_interval=timedelta(hours=1), max_interval=timedelta(hours=1), max_attempts=1000
    ),
)


@flaky.handler()
async def fail(ctx: restate.Context, what: str) -> str:
    raise RuntimeError(f"{what}: not yet")


holder = restate.VirtualObject("Holder")


@holder.handler()
async def hold(ctx: restate.ObjectContext, secs: float) -> str:
    await ctx.sleep(timedelta(seconds=secs))
    return "held"


tree = restate.Service("Tree")


@tree.handler()
async def fan_out(ctx: restate.Context, shape: list[int]) -> int:
    """One-way sends ``shape[0]`` children, each ``fan_out(shape[1:])``; an empty shape
    sleeps for 30 days."""
    if not shape:
        await ctx.sleep(timedelta(days=30))
        return 0
    for _ in range(shape[0]):
        ctx.service_send(fan_out, arg=shape[1:])
    return shape[0]


chain = restate.Service("Chain")


@chain.handler()
async def five(ctx: restate.Context, name: str) -> str:
    """Five awaited calls of ``Greeter/greet``, one after the other: a streamed attempt
    runs it in one go, a request/response one suspends and replays after each call."""
    for _ in range(5):
        name = await ctx.service_call(greet, arg=name)
    return name


app = restate.app(
    services=[
        greeter,
        chain,
        *(_sleeper(n) for n in ("Sleeper", "BenchA", "BenchB", "BenchC")),
        _recorder("History", timedelta(days=90)),
        _recorder("Expiring", timedelta(minutes=1)),
        flaky,
        holder,
        tree,
    ]
)
