// Test services written with the TypeScript SDK, the way its documentation writes them
// (named unlike the Python test services that share a runtime with them, so that those
// keep their names and the typo suggestions the tests expect for them).
// Node.js 22 runs this file as it is (type annotations are stripped); see serve.ts.
import * as restate from "@restatedev/restate-sdk";

export const greeter = restate.service({
  name: "Hello",
  handlers: {
    greet: async (_ctx: restate.Context, name: string): Promise<string> => `Hello ${name}!`,
    sleepy: async (ctx: restate.Context, ms: number): Promise<string> => {
      await ctx.sleep(ms);
      return `slept ${ms}`;
    },
  },
});

export const counter = restate.object({
  name: "Tally",
  handlers: {
    add: async (ctx: restate.ObjectContext, n: number): Promise<number> => {
      const total = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", total);
      return total;
    },
    get: restate.handlers.object.shared(
      async (ctx: restate.ObjectSharedContext): Promise<number> => (await ctx.get<number>("count")) ?? 0,
    ),
  },
});

export const caller = restate.service({
  name: "Relay",
  handlers: {
    call: async (ctx: restate.Context, name: string): Promise<string> =>
      `called: ${await ctx.serviceClient(greeter).greet(name)}`,
    // A one-way send and a delayed send to the same counter; returns at once.
    fanout: async (ctx: restate.Context, key: string): Promise<string> => {
      ctx.objectSendClient(counter, key).add(1);
      ctx.objectSendClient(counter, key).add(10, restate.rpc.sendOpts({ delay: 500 }));
      return "sent";
    },
  },
});

export const waiter = restate.object({
  name: "Latch",
  handlers: {
    // Waits for an awakeable, whose id it keeps in its state for the test to read.
    wait: async (ctx: restate.ObjectContext): Promise<string> => {
      const { id, promise } = ctx.awakeable<string>();
      ctx.set("awakeable", id);
      return `got ${await promise}`;
    },
    awakeable: restate.handlers.object.shared(
      async (ctx: restate.ObjectSharedContext): Promise<string> => (await ctx.get<string>("awakeable")) ?? "",
    ),
  },
});

export const approval = restate.workflow({
  name: "Signoff",
  handlers: {
    run: async (ctx: restate.WorkflowContext, order: string): Promise<string> =>
      `${order}: ${await ctx.promise<string>("decision")}`,
    decide: async (ctx: restate.WorkflowSharedContext, decision: string): Promise<string> => {
      await ctx.promise<string>("decision").resolve(decision);
      return "decided";
    },
    peek: async (ctx: restate.WorkflowSharedContext): Promise<string> =>
      (await ctx.promise<string>("decision").peek()) ?? "<pending>",
  },
});

// Attempts of each invocation, by invocation id: when each one started.
const attempts = new Map<string, number[]>();

export const flaky = restate.service({
  name: "Flaky",
  options: { retryPolicy: { initialInterval: 300, exponentiationFactor: 2, maxInterval: 5000 } },
  handlers: {
    // Fails `times` times, then answers with the pauses the runtime made between attempts.
    fail: async (ctx: restate.Context, times: number): Promise<{ failures: number; pauses: number[] }> => {
      const started = attempts.get(ctx.request().id) ?? [];
      started.push(Date.now());
      attempts.set(ctx.request().id, started);
      if (started.length <= times) {
        throw new Error(`failure ${started.length} of ${times}`);
      }
      const pauses = started.slice(1).map((t, i) => t - started[i]);
      return { failures: times, pauses };
    },
  },
});

export const tree = restate.service({
  name: "Chain",
  handlers: {
    // Calls itself `depth` levels down; the leaf waits for an awakeable nobody resolves.
    node: async (ctx: restate.Context, depth: number): Promise<string> => {
      if (depth === 0) {
        return await ctx.awakeable<string>().promise;
      }
      return await ctx.serviceClient(tree).node(depth - 1);
    },
  },
});

export const services = [greeter, counter, caller, waiter, approval, flaky, tree];
