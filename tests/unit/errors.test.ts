// Every error the module throws for bad input says, in one style, what it
// cannot do and why: "Cannot <do what>: <why>" (CONTRIBUTING.md, "Errors").
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BroadcastChannelBackplane,
  Channel,
  DurableObjectLog,
  formatEvent,
  MemoryLog,
  RedisBackplane,
  sse,
  type SSEStream,
} from "../../mod.ts";
import { connect, events, EventStreamParser } from "../../client.ts";
import { RedisStreamLog } from "../../redis.ts";
import { sseHandler } from "../../hono.ts";

const STYLE = /^Cannot [a-z][^:]*: \S/;

/** What `attempt` throws or rejects with. */
async function failure(what: string, attempt: () => unknown): Promise<Error> {
  try {
    await attempt();
  } catch (error) {
    assert.ok(error instanceof Error, `${what} threw ${String(error)}`);
    return error;
  }
  assert.fail(`${what} did not throw`);
}

const request = () => new Request("http://localhost/");

/** Runs `use` on an open stream, then closes it. */
async function withStream(use: (stream: SSEStream) => Promise<unknown>): Promise<unknown> {
  let stream!: SSEStream;
  sse(request(), (opened) => {
    stream = opened;
  }, { close: { onReturn: false } });
  try {
    return await use(stream);
  } finally {
    await stream.close();
  }
}

const cases: [string, () => unknown][] = [
  ["sse() options", () => sse(request(), () => {}, { heartbeat: -1 })],
  ["sse() unknown option", () => sse(request(), () => {}, { heartbeats: 1 } as never)],
  ["formatEvent()", () => formatEvent({ type: "x", data: 1 } as never)],
  ["stream.sleep()", () => withStream((stream) => stream.sleep(-1))],
  ["stream.send()", () => withStream((stream) => stream.send({ id: "a\nb" }))],
  ["new Channel()", () => new Channel({ ids: 1 } as never)],
  ["new Channel() unknown option", () => new Channel({ size: 1 } as never)],
  ["channel.publish()", () => new Channel().publish(42 as never)],
  ["channel.subscribe()", () => new Channel().subscribe({} as never)],
  ["new MemoryLog()", () => new MemoryLog({ size: -1 })],
  ["new RedisStreamLog()", () => new RedisStreamLog({ redis: {}, key: "k" } as never)],
  ["new RedisBackplane()", () => new RedisBackplane({} as never)],
  ["new BroadcastChannelBackplane()", () => new BroadcastChannelBackplane("")],
  ["new DurableObjectLog()", () => new DurableObjectLog({} as never)],
  ["connect()", () => connect("http://localhost/", { retry: -1 }).next()],
  ["events() on a 404", () => events(new Response("no", { status: 404 })).next()],
  ["new EventStreamParser()", () => new EventStreamParser({ maxEventSize: 0 })],
  ["sseHandler()", () => sseHandler(42 as never)],
];

describe("error messages", () => {
  test("every error for bad input reads 'Cannot <do what>: <why>'", async () => {
    for (const [what, attempt] of cases) {
      const error = await failure(what, attempt);
      assert.match(error.message, STYLE, `${what}: ${error.message}`);
    }
  });
});
