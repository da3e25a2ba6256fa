"""The restate-sdk service both runtimes call in the benchmark.

``Greeter/greet`` is the trivial handler of the throughput test (the same as in
``tests/services/app.py``). ``Sleeper`` and ``BenchA``-``BenchC`` sleep durably, so their
invocations stay suspended: the data set of the list and cancel measurements.
"""

from __future__ import annotations

from datetime import timedelta

import restate

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


app = restate.app(services=[greeter, *(_sleeper(n) for n in ("Sleeper", "BenchA", "BenchB", "BenchC"))])
