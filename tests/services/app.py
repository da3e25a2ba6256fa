"""Real restate-sdk services that put invocations into every status.

Served by hypercorn on loopback by the test fixtures; registered with the server under test.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import restate
from restate.exceptions import TerminalError
from restate.retry_policy import InvocationRetryPolicy

greeter = restate.Service("Greeter")


@greeter.handler()
async def greet(ctx: restate.Context, name: str) -> str:
    return f"Hello {name}!"


@greeter.handler()
async def terminal(ctx: restate.Context, name: str) -> str:
    raise TerminalError("terminal failure on purpose", status_code=418)


@greeter.handler()
async def failing(ctx: restate.Context, name: str) -> str:
    raise Exception("Failing on purpose")


@greeter.handler(
    invocation_retry_policy=InvocationRetryPolicy(
        initial_interval=timedelta(milliseconds=100), max_attempts=2, on_max_attempts="pause"
    )
)
async def fail_then_pause(ctx: restate.Context, name: str) -> str:
    raise Exception("fail_then_pause boom")


@greeter.handler()
async def sleepy(ctx: restate.Context, secs: float) -> str:
    await ctx.sleep(timedelta(seconds=secs))
    return "slept"


@greeter.handler()
async def busy(ctx: restate.Context, secs: float) -> str:
    await asyncio.sleep(secs)
    return "busy done"


@greeter.handler()
async def parent(ctx: restate.Context, secs: float) -> str:
    """A one-way send, a delayed send, then an awaited call; compensates on failure."""
    ctx.service_send(sleepy, arg=3600)
    ctx.service_send(sleepy, arg=3600, send_delay=timedelta(hours=1))
    try:
        return await ctx.service_call(sleepy, arg=secs)
    except TerminalError as e:
        msg = e.message
        await ctx.run("compensate", lambda: f"undo after {msg}")
        raise TerminalError(f"compensated: {e.message}", status_code=e.status_code) from e


@greeter.handler()
async def grandparent(ctx: restate.Context, secs: float) -> str:
    """Awaits ``parent``, which sends and calls further down: a three-level tree."""
    ctx.service_send(sleepy, arg=3600)
    ctx.service_send(sleepy, arg=3600, send_delay=timedelta(hours=1))
    try:
        return await ctx.service_call(parent, arg=secs)
    except TerminalError as e:
        await ctx.run("gp-compensate", lambda: "gp undo")
        raise TerminalError(f"gp compensated: {e.message}", status_code=e.status_code) from e


_flaky_attempts: dict[str, int] = {}


@greeter.handler()
async def flaky(ctx: restate.Context, failures: int) -> str:
    """Fails its first ``failures`` attempts (counted in this process), then succeeds."""
    inv = ctx.request().id
    _flaky_attempts[inv] = _flaky_attempts.get(inv, 0) + 1
    if _flaky_attempts[inv] <= failures:
        raise Exception(f"flaky attempt {_flaky_attempts[inv]}")
    return "recovered"


@greeter.handler()
async def chain(ctx: restate.Context, secs: float) -> str:
    """Awaits a child that sleeps, then sleeps itself."""
    child = await ctx.service_call(sleepy, arg=secs)
    await ctx.sleep(timedelta(seconds=secs))
    return f"chain:{child}"


@greeter.handler()
async def branch(ctx: restate.Context, levels: int) -> str:
    """At every level a one-way send, a delayed send (1 h) and an awaited call, each to
    ``branch(levels - 1)``; level 0 sleeps for an hour. ``branch(2)`` is a three-level tree
    of 10 invocations (the delayed ones start nothing until they are due)."""
    if levels <= 0:
        await ctx.sleep(timedelta(hours=1))
        return "leaf"
    ctx.service_send(branch, arg=levels - 1)
    ctx.service_send(branch, arg=levels - 1, send_delay=timedelta(hours=1))
    try:
        return await ctx.service_call(branch, arg=levels - 1)
    except TerminalError as e:
        await ctx.run("compensate", lambda: f"undo level {levels}")
        raise TerminalError(f"compensated: {e.message}", status_code=e.status_code) from e


@greeter.handler()
async def fan_out(ctx: restate.Context, shape: list[int]) -> int:
    """One-way sends ``shape[0]`` children, each ``fan_out(shape[1:])``; an empty shape
    sleeps for an hour. ``[10, 10, 10]`` makes 1,110 descendants."""
    if not shape:
        await ctx.sleep(timedelta(hours=1))
        return 0
    for _ in range(shape[0]):
        ctx.service_send(fan_out, arg=shape[1:])
    return shape[0]


counter = restate.VirtualObject("Counter")


@counter.handler()
async def add(ctx: restate.ObjectContext, n: int) -> int:
    value = (await ctx.get("count", type_hint=int) or 0) + n
    ctx.set("count", value)
    return value


@counter.handler()
async def hold(ctx: restate.ObjectContext, secs: float) -> str:
    await ctx.sleep(timedelta(seconds=secs))
    return "held"


@counter.handler(kind="shared")
async def get(ctx: restate.ObjectSharedContext) -> int:
    return await ctx.get("count", type_hint=int) or 0


# Kafka sinks: each record of a subscribed topic becomes one invocation of these handlers.
kafka_sink = restate.Service("KafkaSink")


@kafka_sink.handler()
async def record(ctx: restate.Context, value: dict) -> dict:
    return value


kafka_counter = restate.VirtualObject("KafkaCounter")


@kafka_counter.handler()
async def count(ctx: restate.ObjectContext, value: dict) -> int:
    """Counts the records per key: the record's key is the object key."""
    n = (await ctx.get("records", type_hint=int) or 0) + 1
    ctx.set("records", n)
    return n


@kafka_counter.handler(kind="shared")
async def records(ctx: restate.ObjectSharedContext) -> int:
    return await ctx.get("records", type_hint=int) or 0


app = restate.app(services=[greeter, counter, kafka_sink, kafka_counter])
