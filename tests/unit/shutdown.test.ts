// Ending streams on purpose: close.final chosen per close reason, a graceful
// shutdown that knows when every stream has ended, and the warning for
// push-style code whose handler returned before it wrote.
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { streamEvents } from "../../hono.ts";
import { type CloseReason, Shutdown, sse, type SSEOptions, type SSEStream } from "../../mod.ts";
import { resetWriteAfterReturnWarning } from "../../src/_late_write.ts";
import { scheduler } from "../../src/scheduler.ts";
import { delay, within } from "../_server.ts";

const request = () => new Request("http://localhost/events");
const forever = (stream: SSEStream) => stream.closed;

/** The body of a stream opened with `options`, after `end` ended it. */
async function finalOf(
  options: SSEOptions,
  end: (stream: SSEStream) => unknown,
): Promise<string> {
  const response = sse(request(), async (stream) => {
    await stream.send("x");
    await end(stream);
  }, { heartbeat: false, ...options });
  return await within(response.text(), 5000, "the end of the body");
}

describe("close.final per close reason", () => {
  const final = { shutdown: { event: "restarting", retry: 1000 }, idle: { event: "idle" } };

  test("a goodbye for shutdown only is not written at the end of a normal stream", async () => {
    assert.equal(await finalOf({ close: { final } }, () => {}), ":\n\ndata: x\n\n");
  });

  test("each named reason gets its own final event", async () => {
    const shutdown = new AbortController();
    const body = finalOf({ shutdown: shutdown.signal, close: { final } }, forever);
    await delay(10);
    shutdown.abort();
    assert.equal(await body, ":\n\ndata: x\n\nevent: restarting\nretry: 1000\ndata:\n\n");
    assert.equal(
      await finalOf({ close: { final, idleTimeout: 30 } }, forever),
      ":\n\ndata: x\n\nevent: idle\ndata:\n\n",
    );
    assert.equal(
      await finalOf({ close: { final, maxDuration: 30 } }, forever),
      ":\n\ndata: x\n\n",
      "max-duration is not named: no final event",
    );
  });

  test("one event, as before, is written on every server-initiated close", async () => {
    const bye = { event: "bye" };
    const expected = ":\n\ndata: x\n\nevent: bye\ndata:\n\n";
    assert.equal(await finalOf({ close: { final: bye } }, () => {}), expected);
    assert.equal(await finalOf({ close: { final: bye } }, (s) => s.close()), expected);
    assert.equal(await finalOf({ close: { final: bye, maxDuration: 30 } }, forever), expected);
  });

  test("close(event) still overrides it", async () => {
    assert.equal(
      await finalOf({ close: { final } }, (s) => s.close({ data: "last" })),
      ":\n\ndata: x\n\ndata: last\n\n",
    );
  });

  test("invalid per-reason events or a mix of both forms throw when sse() is called", () => {
    assert.throws(
      () => sse(request(), forever, { close: { final: { shutdown: { id: "a\nb" } } } }),
      { name: "TypeError", message: /invalid `close.final.shutdown`/ },
    );
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => sse(request(), forever, { close: { final: { shutdown: {}, data: "x" } as any } }),
      { name: "TypeError", message: /either an event or an event per close reason/ },
    );
  });
});

describe("Shutdown", () => {
  test("counts open streams, and drain() closes them all and resolves when all ended", async () => {
    const shutdown = new Shutdown();
    const ended: CloseReason[] = [];
    const bodies = Array.from({ length: 3 }, () =>
      sse(request(), async (stream) => {
        // A handler that needs a moment to finish after the signal.
        await stream.closed;
        await delay(20);
        ended.push(await stream.closed);
      }, { shutdown: shutdown.signal, close: { final: { shutdown: { event: "bye" } } } }).text());
    assert.equal(shutdown.open, 3);
    const left = await within(shutdown.drain(), 5000, "drain");
    assert.equal(left, 0);
    assert.equal(shutdown.open, 0);
    assert.equal(shutdown.signal.aborted, true);
    for (const body of await Promise.all(bodies)) assert.equal(body, ":\n\nevent: bye\ndata:\n\n");
    await delay(40);
    assert.deepEqual(ended, ["shutdown", "shutdown", "shutdown"]);
  });

  test("streams that ended by themselves leave the count", async () => {
    const shutdown = new Shutdown();
    const response = sse(request(), (s) => s.send("hi"), { shutdown: shutdown.signal });
    assert.equal(shutdown.open, 1);
    await response.text();
    await delay(0);
    assert.equal(shutdown.open, 0);
    assert.equal(await shutdown.drain(), 0);
  });

  test("a stream opened during the drain is closed at once, leaving no timer", async () => {
    const shutdown = new Shutdown();
    await shutdown.drain();
    const before = scheduler.pending;
    const response = sse(request(), forever, { shutdown: shutdown.signal, heartbeat: 1000 });
    assert.equal(scheduler.pending, before, "no heartbeat for a stream that ended at once");
    assert.equal(await within(response.text(), 2000, "the body"), ":\n\n");
    assert.equal(shutdown.open, 0);
  });

  test("drain({ timeout }) resolves with how many are still open", async () => {
    const shutdown = new Shutdown();
    const stuck = new Response(new ReadableStream()); // not an sse() stream: tracked by hand
    let end!: () => void;
    shutdown.track({ closed: new Promise((resolve) => end = () => resolve("closed")) });
    const started = Date.now();
    assert.equal(await shutdown.drain({ timeout: 50 }), 1);
    assert.ok(Date.now() - started >= 45);
    end();
    await delay(0);
    assert.equal(shutdown.open, 0);
    assert.throws(() => shutdown.drain({ timeout: -1 }), RangeError);
    await stuck.body?.cancel();
  });

  test("a plain AbortSignal still works as `shutdown`, uncounted", async () => {
    const controller = new AbortController();
    const response = sse(request(), forever, { shutdown: controller.signal });
    controller.abort();
    assert.equal(await response.text(), ":\n\n");
  });
});

describe("push-style handlers", () => {
  let warnings: unknown[][];
  const warn = console.warn;
  beforeEach(() => {
    warnings = [];
    console.warn = (...args: unknown[]) => void warnings.push(args);
    resetWriteAfterReturnWarning();
  });
  afterEach(() => {
    console.warn = warn;
  });

  test("writing after the handler returned warns once, naming close.onReturn", async () => {
    const sent: boolean[] = [];
    const response = sse(request(), (stream) => {
      setTimeout(async () => sent.push(await stream.send("late")), 10);
      setTimeout(async () => sent.push(await stream.send("later")), 20);
    }, { heartbeat: false });
    assert.equal(await response.text(), ":\n\n");
    await delay(60);
    assert.deepEqual(sent, [false, false]);
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0][0]), /handler returned.*close: \{ onReturn: false \}/s);
  });

  test("with close.onReturn false, push-style code streams and nothing is logged", async () => {
    const response = sse(request(), (stream) => {
      let n = 0;
      const timer = setInterval(() => {
        if (++n === 3) stream.close();
        else stream.send({ data: n });
      }, 5);
      stream.signal.addEventListener("abort", () => clearInterval(timer));
    }, { heartbeat: false, close: { onReturn: false } });
    assert.equal(await within(response.text(), 2000, "body"), ":\n\ndata: 1\n\ndata: 2\n\n");
    assert.equal(warnings.length, 0);
  });

  test("writes after the client left or close() are not warned about", async () => {
    const response = sse(request(), async (stream) => {
      await stream.close();
      await stream.send("after close");
    }, { heartbeat: false });
    await response.text();
    await delay(10);
    assert.equal(warnings.length, 0);
  });
});

describe("messages that say what to fix", () => {
  test("sleep() with a string names its type", async () => {
    const response = sse(request(), async (stream) => {
      // deno-lint-ignore no-explicit-any
      await assert.rejects(stream.sleep("1000" as any), {
        name: "TypeError",
        message: /`ms` must be a number of milliseconds, got string "1000"/,
      });
    });
    await response.text();
  });

  test("sse(c.req) from Hono points to c.req.raw", async () => {
    const app = new Hono();
    // deno-lint-ignore no-explicit-any
    app.get("/", (c) => sse(c.req as any, (s) => s.send("x")));
    app.onError((error) => new Response(error.message, { status: 500 }));
    const text = await (await app.request("/")).text();
    assert.match(text, /got Hono's `c.req`: pass `c.req.raw`/);
  });

  test("streamEvents(c.req.raw) says it takes the Context", async () => {
    const app = new Hono();
    // deno-lint-ignore no-explicit-any
    app.get("/", (c) => streamEvents(c.req.raw as any, (s) => s.send("x")));
    app.onError((error) => new Response(error.message, { status: 500 }));
    const text = await (await app.request("/")).text();
    assert.match(text, /streamEvents\(\) takes Hono's Context.*got a Request: pass `c` itself/);
  });
});
