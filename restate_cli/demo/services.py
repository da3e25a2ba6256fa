"""Sample services for ``restate-cli dev --demo``, written with the official Python SDK."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import restate
from restate.exceptions import TerminalError
from restate.retry_policy import InvocationRetryPolicy

shop = restate.Service("Shop")

# The handlers that wait suspend after 2 s without news, not after the default minute: the
# demo shows them suspended at once, as a long wait looks in production.
SUSPEND_SOON = timedelta(seconds=2)


@shop.handler()
async def greet(ctx: restate.Context, name: str) -> str:
    return f"Hello {name}!"


@shop.handler()
async def reject(ctx: restate.Context, order: str) -> str:
    raise TerminalError(f"order {order} was rejected", status_code=422)


@shop.handler()
async def flaky_payment(ctx: restate.Context, order: str) -> str:
    raise Exception(f"payment provider unavailable for {order}")


@shop.handler(
    invocation_retry_policy=InvocationRetryPolicy(
        initial_interval=timedelta(milliseconds=200), max_attempts=3, on_max_attempts="pause"
    )
)
async def fragile_export(ctx: restate.Context, order: str) -> str:
    raise Exception(f"export of {order} failed")


@shop.handler(inactivity_timeout=SUSPEND_SOON)
async def wait_for_delivery(ctx: restate.Context, hours: float) -> str:
    await ctx.sleep(timedelta(hours=hours))
    return "delivered"


@shop.handler()
async def crunch(ctx: restate.Context, seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "crunched"


@shop.handler(inactivity_timeout=SUSPEND_SOON)
async def checkout(ctx: restate.Context, order: str) -> str:
    """A call tree: a one-way send, a delayed send, then an awaited call."""
    ctx.service_send(greet, arg=f"{order} (receipt)")
    ctx.service_send(greet, arg=f"{order} (reminder)", send_delay=timedelta(hours=1))
    return await ctx.service_call(wait_for_delivery, arg=2)


cart = restate.VirtualObject("Cart")


@cart.handler()
async def add(ctx: restate.ObjectContext, item: str) -> list[str]:
    items = await ctx.get("items", type_hint=list[str]) or []
    items.append(item)
    ctx.set("items", items)
    return items


@cart.handler(inactivity_timeout=SUSPEND_SOON)
async def hold(ctx: restate.ObjectContext, hours: float) -> str:
    await ctx.sleep(timedelta(hours=hours))
    return "released"


app = restate.app(services=[shop, cart])
