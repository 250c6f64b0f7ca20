// Hono routes on a real server of each runtime (Deno.serve, Bun.serve,
// @hono/node-server), behind the middleware people put in front of them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { compress } from "hono/compress";
import { cors } from "hono/cors";
import { logger } from "hono/logger";
import { timeout } from "hono/timeout";
import type { CloseReason, SSEStream } from "../../mod.ts";
import { sseHandler, streamEvents } from "../../hono.ts";
import { runtime, serve, type TestServer, within } from "../_server.ts";
import { BodyReader, readUntil } from "../_read.ts";

type AppEnv = { Variables: { user: string } };

/** A promise with its resolve function, to step a handler from the test. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => open = resolve);
  return { promise, open };
}

describe(`Hono routes on ${runtime}`, () => {
  const logs: string[] = [];
  const streams: SSEStream[] = [];
  let steps: { promise: Promise<void>; open: () => void }[] = [];
  const app = new Hono<AppEnv>();
  let server: TestServer;
  let quiet: Promise<{ text: string; seconds: number; reason: CloseReason }>;

  app.use("/logged/*", logger((line) => logs.push(line)));
  app.use("/zipped/*", compress());
  app.use("/zipped-all/*", compress({ contentTypeFilter: /./, threshold: 0 }));
  app.use("/cors/*", cors({ origin: ["http://app.example"] }));
  app.use("/timed/*", timeout(300));
  app.use("*", async (c, next) => {
    c.set("user", c.req.header("x-user") ?? "anonymous");
    await next();
  });

  // Sends three events, each only after the test has read the previous one:
  // a middleware that buffers the body makes the test time out.
  const stepped = sseHandler<AppEnv, "/:prefix/:room">(async (stream, c) => {
    streams.push(stream);
    for (let n = 1; n <= 3; n++) {
      await stream.send({ id: n, event: c.req.param("room"), data: { n, user: c.get("user") } });
      await steps[n - 1]?.promise;
    }
  });
  app.get("/plain/:room", stepped);
  app.get("/logged/:room", stepped);
  app.get("/zipped/:room", stepped);
  app.get("/zipped-all/:room", stepped);
  app.get("/cors/:room", stepped);

  app.get(
    "/timed/slow",
    sseHandler(async (stream) => {
      streams.push(stream);
      for (let n = 1; n <= 3; n++) {
        await stream.send({ id: n, data: n });
        await stream.sleep(250);
      }
    }),
  );
  app.get(
    "/limited",
    sseHandler((stream) => {
      streams.push(stream);
      return stream.send("hello");
    }, { close: { onReturn: false, maxDuration: 400, final: { event: "bye" } } }),
  );
  app.get("/guarded", (c) => {
    if (c.req.header("authorization") !== "Bearer ok") return c.text("sign in first", 401);
    c.header("x-request-id", "r-1");
    c.header("cache-control", "private");
    return streamEvents(c, async (stream) => {
      streams.push(stream);
      await stream.send({ data: c.req.query("q") ?? "" });
    }, { headers: { "x-stream": "yes" } });
  });
  app.get(
    "/forever",
    sseHandler(async (stream) => {
      streams.push(stream);
      await stream.send("first");
      await new Promise((resolve) => stream.signal.addEventListener("abort", resolve));
    }),
  );
  app.get(
    "/quiet",
    sseHandler(async (stream) => {
      await stream.sleep(14_000);
      await stream.send("still here");
    }, { heartbeat: false }),
  );

  before(async () => {
    server = await serve((request, bunServer) => app.fetch(request, bunServer));
    // The 14 s quiet stream runs alongside the other tests; its own test
    // awaits it last. Bun's default idleTimeout (10 s) cuts a quiet
    // connection at about 12 s (its timer ticks coarsely).
    quiet = (async () => {
      const started = Date.now();
      const response = await fetch(`${server.url}/quiet`);
      let text = "";
      let reason: CloseReason = "client";
      try {
        ({ text } = await readUntil(response.body!, (t) => t.includes("still here"), 25_000));
        reason = "returned";
      } catch (error) {
        text = String(error);
      }
      return { text, seconds: (Date.now() - started) / 1000, reason };
    })();
  });
  after(async () => {
    await server.close();
  });

  function stepsFor(count: number) {
    steps = Array.from({ length: count }, gate);
  }

  /** Reads the three stepped events one at a time, releasing the next after each. */
  async function readStepped(response: Response): Promise<string> {
    const body = new BodyReader(response);
    for (let n = 1; n <= 3; n++) {
      // A buffered body would hold the event back until the timeout.
      await body.until(`"n":${n},`, 3000);
      steps[n - 1].open();
    }
    await body.cancel();
    return body.text;
  }

  test("events stream through a Hono route with params and variables", async () => {
    stepsFor(3);
    const response = await fetch(`${server.url}/plain/lobby`, { headers: { "x-user": "ada" } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const text = await readStepped(response);
    assert.match(text, /^:\n\nevent: lobby\nid: 1\ndata: \{"n":1,"user":"ada"\}\n\n/);
    assert.match(text, /event: lobby\nid: 3\ndata: \{"n":3,"user":"ada"\}\n\n/);
  });

  test("compress() lets events through one by one, uncompressed", async () => {
    for (const path of ["/zipped/a", "/zipped-all/a"]) {
      stepsFor(3);
      const response = await fetch(`${server.url}${path}`, {
        headers: { "accept-encoding": "gzip, deflate" },
      });
      assert.equal(response.headers.get("content-encoding"), null, path);
      assert.equal(response.headers.get("cache-control"), "no-cache, no-transform");
      const text = await readStepped(response);
      assert.match(text, /event: a\nid: 3\ndata: \{"n":3,/, path);
    }
  });

  test("cors() headers are added and events still stream", async () => {
    stepsFor(3);
    const response = await fetch(`${server.url}/cors/room`, {
      headers: { origin: "http://app.example" },
    });
    assert.equal(response.headers.get("access-control-allow-origin"), "http://app.example");
    assert.match(response.headers.get("vary") ?? "", /origin/i);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    await readStepped(response);
  });

  test("logger() logs when the stream opens, while events keep flowing", async () => {
    logs.length = 0;
    stepsFor(3);
    const response = await fetch(`${server.url}/logged/room`);
    // logger() colours the status where the terminal allows it.
    const plain = logs.map((line) => line.replace(new RegExp("\x1b\\[\\d+m", "g"), ""));
    assert.equal(plain.length, 2, `logged ${JSON.stringify(plain)} before the first event`);
    assert.equal(plain[0], "<-- GET /logged/room");
    assert.match(plain[1], /^--> GET \/logged\/room 200 \d+ms$/);
    await readStepped(response);
  });

  test("timeout() does not cut a stream; close.maxDuration limits it", async () => {
    const started = Date.now();
    const response = await fetch(`${server.url}/timed/slow`);
    const text = await response.text();
    assert.ok(Date.now() - started >= 500, "the stream outlived the 300 ms timeout()");
    assert.equal(text, ":\n\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n");
    assert.equal(await streams.at(-1)!.closed, "returned");

    const limitedAt = Date.now();
    const limited = await (await fetch(`${server.url}/limited`)).text();
    assert.equal(limited, ":\n\ndata: hello\n\nevent: bye\ndata:\n\n");
    assert.equal(await streams.at(-1)!.closed, "max-duration");
    const took = Date.now() - limitedAt;
    assert.ok(took >= 350 && took < 3000, `closed after ${took} ms, limit 400 ms`);
  });

  test("streamEvents() answers from inside a handler, keeping c.header()", async () => {
    const denied = await fetch(`${server.url}/guarded`);
    assert.equal(denied.status, 401);
    assert.equal(await denied.text(), "sign in first");

    const response = await fetch(`${server.url}/guarded?q=hi`, {
      headers: { authorization: "Bearer ok" },
    });
    assert.equal(response.headers.get("x-request-id"), "r-1");
    assert.equal(response.headers.get("x-stream"), "yes");
    assert.equal(response.headers.get("cache-control"), "no-cache, no-transform");
    assert.equal(await response.text(), ":\n\ndata: hi\n\n");
  });

  test("a client that aborts is seen by stream.signal", async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/forever`, { signal: controller.signal });
    const { reader } = await readUntil(response.body!, (t) => t.includes("first"));
    const stream = streams.at(-1)!;
    assert.equal(stream.signal.aborted, false);
    controller.abort();
    await reader.cancel().catch(() => {});
    const reason = await within(stream.closed, 5000, "the server seeing the abort");
    assert.equal(reason, "client");
    assert.equal(stream.signal.aborted, true);
  });

  test("a quiet stream lives 14 s (on Bun: past the default 10 s idle timeout)", async () => {
    const { text, seconds, reason } = await quiet;
    assert.equal(reason, "returned", `the quiet stream broke after ${seconds} s: ${text}`);
    assert.equal(text, ":\n\ndata: still here\n\n");
    assert.ok(seconds >= 13.5, `ended after ${seconds} s`);
  });
});
