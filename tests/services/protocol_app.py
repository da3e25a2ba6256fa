"""Real restate-sdk services that make the SDK emit every kind of protocol message.

The protocol tests drive these handlers directly with hand-built journals.
"""

from __future__ import annotations

from datetime import timedelta

import restate
from restate.exceptions import TerminalError
from restate.retry_policy import InvocationRetryPolicy

proto = restate.Service("Proto")


@proto.handler()
async def greet(ctx: restate.Context, name: str) -> str:
    return f"Hello {name}!"


@proto.handler()
async def sleepy(ctx: restate.Context, secs: float) -> str:
    await ctx.sleep(timedelta(seconds=secs))
    return "slept"


@proto.handler()
async def side(ctx: restate.Context) -> int:
    value = await ctx.run_typed("side", lambda: 42)
    return value + 1


@proto.handler()
async def caller(ctx: restate.Context, name: str) -> str:
    ctx.service_send(greet, arg="bg")
    return "caller:" + await ctx.service_call(greet, arg=name)


@proto.handler()
async def call_object(ctx: restate.Context, key: str) -> int:
    ctx.object_send(bump, key=key, arg=1, send_delay=timedelta(hours=1))
    return await ctx.object_call(bump, key=key, arg=1)


@proto.handler()
async def call_workflow(ctx: restate.Context, key: str) -> str:
    return await ctx.workflow_call(run, key=key, arg="x", idempotency_key="idem-1")


@proto.handler()
async def boom(ctx: restate.Context) -> str:
    raise Exception("boom")


@proto.handler()
async def teapot(ctx: restate.Context) -> str:
    raise TerminalError("teapot", status_code=418)


@proto.handler()
async def teapot_with_metadata(ctx: restate.Context) -> str:
    raise TerminalError("teapot", status_code=418, metadata={"brew": "earl grey"})


def _fail() -> str:
    raise Exception("side effect failed")


@proto.handler()
async def flaky_run(ctx: restate.Context) -> str:
    try:
        return await ctx.run_typed("flaky-step", _fail, restate.RunOptions(max_attempts=2))
    except TerminalError as e:
        return f"gave up: {e.message}"


@proto.handler()
async def awaken(ctx: restate.Context) -> str:
    _, future = ctx.awakeable(type_hint=str)
    return await future


@proto.handler()
async def awakeable_id(ctx: restate.Context) -> str:
    awakeable, _ = ctx.awakeable(type_hint=str)
    return awakeable


@proto.handler()
async def resolve(ctx: restate.Context, awakeable_id: str) -> str:
    ctx.resolve_awakeable(awakeable_id, "resolved!")
    return "ok"


@proto.handler()
async def wait_signal(ctx: restate.Context) -> str:
    return await ctx.signal("go", type_hint=str)


@proto.handler()
async def send_signal(ctx: restate.Context, target: str) -> str:
    ctx.resolve_signal(target, "go", "v")
    return "ok"


@proto.handler()
async def reject_signal(ctx: restate.Context, target: str) -> str:
    ctx.reject_signal(target, "go", "no go", 403)
    return "ok"


@proto.handler()
async def cancel(ctx: restate.Context, target: str) -> str:
    ctx.cancel_invocation(target)
    return "ok"


@proto.handler()
async def attach(ctx: restate.Context, target: str) -> str:
    return await ctx.attach_invocation(target, type_hint=str)


proto_object = restate.VirtualObject("ProtoObject")


@proto_object.handler()
async def bump(ctx: restate.ObjectContext, n: int) -> int:
    value = (await ctx.get("count", type_hint=int) or 0) + n
    ctx.set("count", value)
    return value


@proto_object.handler()
async def reset(ctx: restate.ObjectContext) -> list[str]:
    ctx.clear("count")
    keys = await ctx.state_keys()
    ctx.clear_all()
    return keys


@proto_object.handler(kind="shared")
async def peek(ctx: restate.ObjectSharedContext) -> int:
    return await ctx.get("count", type_hint=int) or 0


lazy = restate.VirtualObject("ProtoLazy", enable_lazy_state=True)


@lazy.handler("bump")
async def lazy_bump(ctx: restate.ObjectContext, n: int) -> int:
    value = (await ctx.get("count", type_hint=int) or 0) + n
    ctx.set("count", value)
    return value


@lazy.handler("keys")
async def lazy_keys(ctx: restate.ObjectContext) -> list[str]:
    return await ctx.state_keys()


flow = restate.Workflow("ProtoFlow")


@flow.main()
async def run(ctx: restate.WorkflowContext, x: str) -> str:
    return await ctx.promise("approval", type_hint=str).value()


@flow.handler()
async def approve(ctx: restate.WorkflowSharedContext, value: str) -> None:
    await ctx.promise("approval", type_hint=str).resolve(value)


@flow.handler()
async def peek_approval(ctx: restate.WorkflowSharedContext) -> str | None:
    return await ctx.promise("approval", type_hint=str).peek()


configured = restate.Service(
    "Configured",
    description="A service with every option set",
    metadata={"team": "protocol"},
    inactivity_timeout=timedelta(seconds=30),
    abort_timeout=timedelta(minutes=2),
    journal_retention=timedelta(days=1),
    idempotency_retention=timedelta(hours=6),
    ingress_private=False,
    invocation_retry_policy=InvocationRetryPolicy(
        initial_interval=timedelta(milliseconds=100),
        max_interval=timedelta(seconds=10),
        max_attempts=5,
        exponentiation_factor=2.0,
        on_max_attempts="kill",
    ),
)


@configured.handler(
    metadata={"handler": "yes"},
    invocation_retry_policy=InvocationRetryPolicy(max_attempts=3, on_max_attempts="pause"),
)
async def configured_greet(ctx: restate.Context, name: str) -> str:
    return name


app = restate.app(services=[proto, proto_object, lazy, flow, configured])
