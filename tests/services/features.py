"""SDK features beyond the basics: awakeables, workflows and promises, attach, cancel from
code, run retries, idempotent calls between services, state keys, delayed object sends."""

from __future__ import annotations

from datetime import timedelta

import restate
from restate.exceptions import TerminalError

waiter = restate.VirtualObject("Waiter")


@waiter.handler()
async def await_awakeable(ctx: restate.ObjectContext) -> str:
    awakeable_id, promise = ctx.awakeable(type_hint=str)
    ctx.set("awakeable", awakeable_id)
    try:
        return f"got {await promise}"
    except TerminalError as e:
        return f"rejected: {e.message}"


@waiter.handler(kind="shared")
async def awakeable_id(ctx: restate.ObjectSharedContext) -> str:
    return await ctx.get("awakeable", type_hint=str) or ""


@waiter.handler()
async def set_many(ctx: restate.ObjectContext, names: list[str]) -> list[str]:
    for n in names:
        ctx.set(n, n.upper())
    return sorted(await ctx.state_keys())


@waiter.handler()
async def wipe(ctx: restate.ObjectContext) -> list[str]:
    ctx.clear_all()
    return sorted(await ctx.state_keys())


@waiter.handler(kind="shared")
async def read(ctx: restate.ObjectSharedContext, name: str) -> str:
    return await ctx.get(name, type_hint=str) or "<none>"


@waiter.handler()
async def await_signal(ctx: restate.ObjectContext, name: str) -> str:
    try:
        return f"signal: {await ctx.signal(name, type_hint=str)}"
    except TerminalError as e:
        return f"signal rejected: {e.message}"


@waiter.handler()
async def race(ctx: restate.ObjectContext, timeout_ms: int) -> str:
    """An awakeable against a timer: whichever completes first wins."""
    awakeable_id, promise = ctx.awakeable(type_hint=str)
    ctx.set("awakeable", awakeable_id)
    match await restate.select(awakeable=promise, timeout=ctx.sleep(timedelta(milliseconds=timeout_ms))):
        case ["awakeable", value]:
            return f"awakeable: {value}"
        case ["timeout", _]:
            return "timeout"
    return "unreachable"


helper = restate.Service("Helper")


@helper.handler()
async def signal(ctx: restate.Context, args: dict) -> str:
    if args.get("reject"):
        ctx.reject_signal(args["id"], args["name"], "not today")
    else:
        ctx.resolve_signal(args["id"], args["name"], args["value"])
    return "sent"


@helper.handler()
async def all_naps(ctx: restate.Context) -> list[str]:
    naps = [ctx.service_call(nap, arg=s) for s in (0.2, 0.1, 0.3)]
    return [await n for n in naps]


@helper.handler()
async def resolve(ctx: restate.Context, args: dict) -> str:
    if args.get("reject"):
        ctx.reject_awakeable(args["id"], "no thanks", 400)
    else:
        ctx.resolve_awakeable(args["id"], args["value"])
    return "done"


@helper.handler()
async def nap(ctx: restate.Context, secs: float) -> str:
    await ctx.sleep(timedelta(seconds=secs))
    return f"napped {secs}"


@helper.handler()
async def attach_to_child(ctx: restate.Context, secs: float) -> str:
    handle = ctx.generic_send("Helper", "nap", str(secs).encode())
    child = await handle.invocation_id()
    out = await ctx.attach_invocation(child, type_hint=str)
    return f"attached: {out}"


@helper.handler()
async def cancel_child(ctx: restate.Context) -> str:
    handle = ctx.generic_send("Helper", "nap", b"3600")
    child = await handle.invocation_id()
    ctx.cancel_invocation(child)
    try:
        await ctx.attach_invocation(child, type_hint=str)
    except TerminalError as e:
        return f"child ended: [{e.status_code}] {e.message}"
    return "child finished?"


@helper.handler()
async def give_up(ctx: restate.Context) -> str:
    def boom() -> str:
        raise ValueError("side effect failed")

    try:
        await ctx.run("flaky-step", boom, max_attempts=2)
    except TerminalError as e:
        return f"gave up: {e.message}"
    return "unexpected"


@helper.handler()
async def add_twice(ctx: restate.Context, key: str) -> int:
    a = await ctx.generic_call("Waiter", "count", b"1", key=key, idempotency_key="once")
    b = await ctx.generic_call("Waiter", "count", b"1", key=key, idempotency_key="once")
    assert a == b
    return int(b)


@helper.handler()
async def later(ctx: restate.Context, key: str) -> str:
    ctx.object_send(set_many, key=key, arg=["delayed"], send_delay=timedelta(seconds=1))
    return "sent"


@helper.handler()
async def echo_headers(ctx: restate.Context) -> dict:
    return dict(ctx.request().headers)


@helper.handler()
async def call_with_headers(ctx: restate.Context) -> dict:
    out = await ctx.generic_call("Helper", "echo_headers", b"", headers={"x-trace": "abc"})
    import json

    return json.loads(out)


@waiter.handler()
async def count(ctx: restate.ObjectContext, n: int) -> int:
    value = (await ctx.get("n", type_hint=int) or 0) + n
    ctx.set("n", value)
    return value


@helper.handler(journal_retention=timedelta(seconds=1), idempotency_retention=timedelta(seconds=1))
async def brief(ctx: restate.Context) -> str:
    return "kept for a second"


locker = restate.VirtualObject("Locker")


@locker.handler()
async def start(ctx: restate.ObjectContext) -> None:
    """Awaits ``recurse`` on a key of its own; that one ends up waiting for itself."""
    await ctx.object_call(recurse, key=f"{ctx.key()}-inner", arg=None)


@locker.handler()
async def recurse(ctx: restate.ObjectContext) -> None:
    name, promise = ctx.awakeable()
    ctx.object_send(set_many, key=ctx.key(), arg=[name])
    await promise
    await ctx.object_call(recurse, key=ctx.key(), arg=None)  # queued behind itself


@locker.handler()
async def is_unlocked(ctx: restate.ObjectContext) -> str:
    return "unlocked"


approval = restate.Workflow("Approval")


@approval.main()
async def run(ctx: restate.WorkflowContext, order: str) -> str:
    decision = await ctx.promise("decision", type_hint=str).value()
    ctx.set("status", decision)
    return f"{order}: {decision}"


@approval.handler()
async def decide(ctx: restate.WorkflowSharedContext, decision: str) -> str:
    await ctx.promise("decision", type_hint=str).resolve(decision)
    return "ok"


@approval.handler()
async def peek(ctx: restate.WorkflowSharedContext) -> str:
    return await ctx.promise("decision", type_hint=str).peek() or "<pending>"


app = restate.app(services=[waiter, helper, locker, approval])
