// sse() on a real server of the runtime running the suite: Deno.serve,
// Bun.serve or @hono/node-server, with fetch and raw TCP clients.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type CloseReason, sse, type SSEOptions, type SSEStream, StreamClosed } from "../../mod.ts";
import { readUntil, trapUnhandledRejections } from "../_read.ts";
import { delay, runtime, serve, serverErrors, type TestServer, within } from "../_server.ts";
import { rawGet } from "../_tcp.ts";

interface Opened {
  stream: SSEStream;
  abortedAt: Promise<number>;
}

/** One server whose routes are set per test: handler + options by path. */
const routes = new Map<
  string,
  { handler: (stream: SSEStream) => unknown; options?: SSEOptions }
>();
const opened: ((value: Opened) => void)[] = [];
let server: TestServer;
/** Reads of `request.signal` on the route `/socket`. */
let signalReads = 0;

/** Counts reads of `request.signal` (an own getter in front of the runtime's). */
function countSignalReads(request: Request): void {
  const signal = Object.getOwnPropertyDescriptor(Request.prototype, "signal")?.get;
  const own = Object.getPrototypeOf(request) as object;
  const getter = Object.getOwnPropertyDescriptor(own, "signal")?.get ?? signal!;
  Object.defineProperty(request, "signal", {
    get() {
      signalReads++;
      return getter.call(request);
    },
  });
}

function route(
  path: string,
  handler: (stream: SSEStream) => unknown,
  options?: SSEOptions,
): void {
  routes.set(path, { handler, options });
}

/** Resolves with the next stream the server opens. */
function nextStream(): Promise<Opened> {
  return new Promise((resolve) => opened.push(resolve));
}

before(async () => {
  server = await serve((request, bunServer) => {
    const path = new URL(request.url).pathname;
    if (path === "/plain") return new Response("plain");
    const found = routes.get(path);
    if (!found) return new Response("no route", { status: 404 });
    if (path === "/socket") countSignalReads(request);
    return sse(request, (stream) => {
      const abortedAt = new Promise<number>((resolve) =>
        stream.signal.addEventListener("abort", () => resolve(performance.now()))
      );
      opened.shift()?.({ stream, abortedAt });
      return found.handler(stream);
    }, { server: bunServer, ...found.options });
  });
});

after(async () => {
  await server.close();
});

const forever = (stream: SSEStream) =>
  new Promise((resolve) => stream.signal.addEventListener("abort", resolve));

describe(`on a real ${runtime} server`, () => {
  test("events stream to a fetch client with the SSE headers", async () => {
    route("/events", async (stream) => {
      await stream.send({ event: "tick", id: 1, data: { n: 1 } });
      await stream.send("two\nlines");
    }, { retry: 1000 });
    const response = await fetch(`${server.url}/events`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "no-cache, no-transform");
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    assert.equal(response.headers.get("connection") === "close", false);
    assert.equal(
      await response.text(),
      'retry: 1000\n\nevent: tick\nid: 1\ndata: {"n":1}\n\ndata: two\ndata: lines\n\n',
    );
  });

  test("the first byte reaches the client before the handler sends anything", async () => {
    route("/slow-start", async (stream) => {
      await stream.sleep(3000);
    });
    const controller = new AbortController();
    const started = performance.now();
    const response = await fetch(`${server.url}/slow-start`, { signal: controller.signal });
    const { text } = await readUntil(response.body!, (t) => t.length > 0, 1000);
    assert.equal(text, ":\n\n");
    assert.ok(performance.now() - started < 1000);
    controller.abort();
  });

  test("a client aborting its fetch is seen by the handler within 50 ms (median)", async () => {
    route("/abort", forever);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const opening = nextStream();
      const controller = new AbortController();
      const response = await fetch(`${server.url}/abort`, { signal: controller.signal });
      await readUntil(response.body!, (t) => t.length > 0);
      const { stream, abortedAt } = await opening;
      const abortAt = performance.now();
      controller.abort();
      delays.push(await within(abortedAt, 2000, "the handler's signal") - abortAt);
      assert.equal(await stream.closed, "client");
    }
    // Typically a few ms; the margins survive a loaded machine.
    const sorted = [...delays].sort((a, b) => a - b);
    assert.ok(sorted[2] < 50 && sorted[4] < 250, `abort seen after ${delays.map(Math.round)} ms`);
  });

  test("a client closing its socket is seen by the handler within 50 ms (median), request.signal unread", async () => {
    // Deno.serve, Bun.serve and @hono/node-server cancel the body on a
    // disconnect: the close is seen from it alone. Reading request.signal
    // would make an AbortController per request (on @hono/node-server,
    // 0.8 KiB) that only repeats it.
    route("/socket", forever);
    signalReads = 0;
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const opening = nextStream();
      const client = await rawGet(server.port, "/socket");
      await client.waitFor(":\n\n");
      const { stream, abortedAt } = await opening;
      const closeAt = performance.now();
      client.close();
      delays.push(await within(abortedAt, 2000, "the handler's signal") - closeAt);
      assert.equal(await stream.closed, "client");
    }
    // Typically a few ms; the margins survive a loaded machine.
    const sorted = [...delays].sort((a, b) => a - b);
    assert.ok(sorted[2] < 50 && sorted[4] < 250, `close seen after ${delays.map(Math.round)} ms`);
    assert.equal(signalReads, 0, "request.signal was read");
  });

  test("a stream that completes normally is not reported as a client abort", async () => {
    route("/complete", async (stream) => {
      await stream.send("done");
    });
    const opening = nextStream();
    const response = await fetch(`${server.url}/complete`);
    assert.equal(await response.text(), ":\n\ndata: done\n\n");
    const { stream } = await opening;
    await delay(50);
    assert.equal(await stream.closed, "returned");
    assert.equal(stream.signal.reason.reason, "returned");
  });

  test("heartbeats keep a quiet stream alive, sent only after the interval", async () => {
    route("/quiet", forever, { heartbeat: 100 });
    const controller = new AbortController();
    const response = await fetch(`${server.url}/quiet`, { signal: controller.signal });
    const started = performance.now();
    const { text } = await readUntil(response.body!, (t) => t.split(":\n\n").length >= 4, 2000);
    const elapsed = performance.now() - started;
    assert.equal(text, ":\n\n:\n\n:\n\n");
    assert.ok(elapsed >= 180, `three heartbeats took ${elapsed.toFixed(0)} ms`);
    controller.abort();
  });

  test("close.connection really closes a keep-alive connection, after every event", async () => {
    route("/bye", (stream) => {
      for (let i = 0; i < 50; i++) stream.send({ id: i, data: "x".repeat(100) });
    }, { close: { connection: "close", final: { event: "bye" } } });
    const errorsBefore = serverErrors.length;
    const client = await rawGet(server.port, "/bye", { connection: "keep-alive" });
    await within(client.ended, 3000, "the server closing the connection");
    await delay(20);
    assert.deepEqual(serverErrors.slice(errorsBefore), [], "the server reported no error");
    const text = client.text();
    assert.match(text, /^HTTP\/1.1 200/);
    assert.match(text.toLowerCase(), /\r\nconnection: close\r\n/);
    for (let i = 0; i < 50; i++) assert.ok(text.includes(`id: ${i}\n`), `event ${i} arrived`);
    assert.ok(text.includes("event: bye\ndata:\n\n"), "the final event arrived");
    client.close();
  });

  test("without close.connection the connection is kept alive for the next request", async () => {
    route("/short", async (stream) => {
      await stream.send("short");
    });
    const client = await rawGet(server.port, "/short", { connection: "keep-alive" });
    await client.waitFor("data: short");
    const ended = await Promise.race([client.ended.then(() => true), delay(300).then(() => false)]);
    assert.equal(ended, false, "the socket stays open");
    client.close();
  });

  test("a reader 100x slower than the producer keeps server memory bounded", async () => {
    const highWaterMark = 32 * 1024;
    let maxQueued = 0;
    let produced = 0;
    const opening = nextStream();
    route("/firehose", async (stream) => {
      const writer = stream as unknown as { bufferedAmount: number };
      const data = "y".repeat(1000);
      while (await stream.send(data)) {
        produced++;
        maxQueued = Math.max(maxQueued, writer.bufferedAmount);
      }
    }, { highWaterMark });
    const client = await rawGet(server.port, "/firehose");
    client.socket.pause();
    const { stream } = await opening;
    // Let the producer fill every buffer between it and the paused socket.
    let last = -1;
    while (produced !== last) {
      last = produced;
      await delay(300);
    }
    assert.ok(maxQueued <= highWaterMark + 1010, `queued at most ${maxQueued} bytes`);
    assert.ok(produced < 100_000, `the producer stopped after ${produced} events`);
    client.close();
    assert.equal(await within(stream.closed, 2000, "closed"), "client");
  });

  test("a producer that does not await closes a stalled client's stream as slow-consumer", async () => {
    const opening = nextStream();
    route("/flood", (stream) => {
      const data = "z".repeat(1000);
      const flood = () => {
        // 10 events a millisecond without awaiting send(): a reading client
        // keeps up, a stalled one fills every buffer on the way.
        for (let i = 0; i < 10; i++) stream.send(data);
        if (!stream.signal.aborted) setTimeout(flood, 1);
      };
      flood();
      return forever(stream);
    }, { highWaterMark: 16 * 1024, maxBuffered: 256 * 1024 });
    const client = await rawGet(server.port, "/flood");
    const { stream } = await opening;
    await delay(300);
    assert.equal(stream.signal.aborted, false, "a reading client keeps up");
    client.socket.pause();
    assert.equal(await within(stream.closed, 10_000, "closed"), "slow-consumer");
    const writer = stream as unknown as { bufferedAmount: number };
    assert.equal(writer.bufferedAmount, 0, "the queue was released");
    client.close();
  });

  test("a stalled client's connection is dropped within a second of its stream ending", async () => {
    const opening = nextStream();
    route("/stalled", async (stream) => {
      const data = "s".repeat(1000);
      while (await stream.send(data));
    }, { heartbeat: false, stallTimeout: 300, highWaterMark: 16 * 1024 });
    const errorsBefore = serverErrors.length;
    const client = await rawGet(server.port, "/stalled");
    client.socket.pause();
    const { stream } = await opening;
    assert.equal(await within(stream.closed, 20_000, "the stall"), "client");
    const endedAt = performance.now();
    // The client reads what reached it; then the connection must be gone,
    // not kept alive with the rest of the body still on its way.
    client.socket.resume();
    await within(client.ended, 5000, "the server dropping the connection");
    const after = performance.now() - endedAt;
    assert.ok(after < 1000, `connection closed ${after.toFixed(0)} ms after the stream ended`);
    // Deno.serve hands an aborted body's reason to onError: nothing else.
    for (const error of serverErrors.slice(errorsBefore)) {
      assert.ok(error instanceof StreamClosed, String(error));
    }
    client.close();
  });

  test('with onSlowConsumer "drop" a stalled client loses events, not the stream', async () => {
    const opening = nextStream();
    route("/drop", async (stream) => {
      const data = "w".repeat(1000);
      while (stream.dropped < 100 && !stream.signal.aborted) {
        for (let i = 0; i < 200; i++) stream.send(data);
        await stream.sleep(1);
      }
      // Once the client reads again the queue drains, and events get through.
      const writer = stream as unknown as { bufferedAmount: number };
      while (writer.bufferedAmount > 0 && !stream.signal.aborted) await stream.sleep(5);
      await stream.send("after the drops");
      return forever(stream);
    }, { highWaterMark: 16 * 1024, maxBuffered: 256 * 1024, onSlowConsumer: "drop" });
    const client = await rawGet(server.port, "/drop");
    client.socket.pause();
    const { stream } = await opening;
    await within(
      (async () => {
        while (stream.dropped < 100) await delay(10);
      })(),
      10_000,
      "100 dropped events",
    );
    assert.equal(stream.signal.aborted, false, "the stream stays open");
    client.socket.resume();
    await client.waitFor("data: after the drops", 10_000);
    client.close();
    assert.equal(await within(stream.closed, 2000, "closed"), "client");
  });

  test("a handler error closes its stream and the server keeps serving", async () => {
    const opening = nextStream();
    route("/fails", async (stream) => {
      await stream.send("partial");
      throw new Error("handler bug");
    }, { onError: () => ({ event: "error", data: "retry later" }) });
    const unhandled = await trapUnhandledRejections(async () => {
      const response = await fetch(`${server.url}/fails`);
      assert.equal(
        await response.text(),
        ":\n\ndata: partial\n\nevent: error\ndata: retry later\n\n",
      );
      const { stream } = await opening;
      assert.equal(await stream.closed, "error");
      assert.equal((stream.signal.reason.cause as Error).message, "handler bug");
      const next = await fetch(`${server.url}/plain`);
      assert.equal(await next.text(), "plain");
    });
    assert.deepEqual(unhandled, []);
  });

  test("client aborts, limits and shutdown end real streams with no unhandled rejection", async () => {
    const shutdown = new AbortController();
    const reasons: CloseReason[] = [];
    const unhandled = await trapUnhandledRejections(async () => {
      route("/limits/duration", forever, { close: { maxDuration: 50 } });
      route("/limits/idle", forever, { close: { idleTimeout: 50 } });
      route("/limits/shutdown", forever, { shutdown: shutdown.signal });
      route("/limits/client", forever);
      for (const path of ["duration", "idle", "shutdown", "client"]) {
        const opening = nextStream();
        const controller = new AbortController();
        const response = await fetch(`${server.url}/limits/${path}`, { signal: controller.signal });
        const reading = response.text().catch(() => "aborted");
        const { stream } = await opening;
        if (path === "shutdown") shutdown.abort();
        if (path === "client") controller.abort();
        reasons.push(await within(stream.closed, 2000, path));
        await reading;
      }
    });
    assert.deepEqual(reasons, ["max-duration", "idle", "shutdown", "client"]);
    assert.deepEqual(unhandled, []);
  });
});
