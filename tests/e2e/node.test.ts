// The Node entry (`edge-sse/node`) on a bare node:http server, under
// whichever runtime runs the suite (Deno and Bun implement node:http too),
// with fetch and raw TCP clients.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Channel, type CloseReason, type SSEOptions, type SSEStream } from "../../mod.ts";
import { sse } from "../../node.ts";
import { BodyReader, readUntil } from "../_read.ts";
import { delay, runtime, within } from "../_server.ts";
import { rawGet } from "../_tcp.ts";

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const routes = new Map<string, Route>();
const opened: ((stream: SSEStream) => void)[] = [];
let server: Server;
let base: string;
let port: number;

/** Serves `path` with sse(); the handler's stream is announced to `nextStream()`. */
function route(path: string, handler: (stream: SSEStream) => unknown, options?: SSEOptions): void {
  routes.set(path, (req, res) =>
    sse(req, res, (stream) => {
      opened.shift()?.(stream);
      return handler(stream);
    }, options));
}

function nextStream(): Promise<SSEStream> {
  return new Promise((resolve) => opened.push(resolve));
}

before(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const found = routes.get(path);
    if (found) return found(req, res);
    res.writeHead(404).end("no route");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  server.closeAllConnections?.();
  await new Promise((resolve) => server.close(resolve));
});

describe(`edge-sse/node on node:http (${runtime})`, () => {
  test("streams events with the SSE headers, the opening comment first", async () => {
    route("/hello", async (stream) => {
      await stream.send({ event: "greeting", id: 1, data: { hello: "world" } });
      await stream.send("plain");
    }, { retry: 2000 });
    const response = await fetch(`${base}/hello`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "no-cache, no-transform");
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    assert.equal(
      await response.text(),
      'retry: 2000\n\nevent: greeting\nid: 1\ndata: {"hello":"world"}\n\ndata: plain\n\n',
    );
  });

  test("the first byte arrives before the handler's first event", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    route("/first-byte", async (stream) => {
      await released;
      await stream.send("late");
    });
    const response = await within(fetch(`${base}/first-byte`), 3000, "headers");
    const { text, reader } = await readUntil(response.body!, (text) => text.length > 0, 3000);
    assert.equal(text, ":\n\n");
    release();
    await reader.cancel();
  });

  test("headers set on res before sse() are kept; sse()'s own and options.headers win", async () => {
    routes.set("/headers", (req, res) => {
      res.setHeader("access-control-allow-origin", "*");
      res.setHeader("content-type", "application/json");
      sse(req, res, (stream) => stream.send("ok"), {
        status: 201,
        headers: { "x-stream": "yes", "cache-control": "no-store" },
      });
    });
    const response = await fetch(`${base}/headers`);
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(response.headers.get("x-stream"), "yes");
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(await response.text(), ":\n\ndata: ok\n\n");
  });

  test("invalid options throw before anything is written, so the route can answer", async () => {
    routes.set("/invalid", (req, res) => {
      try {
        sse(req, res, () => {}, { heartbeat: -1 });
      } catch (error) {
        res.writeHead(500).end((error as Error).constructor.name);
      }
    });
    const response = await fetch(`${base}/invalid`);
    assert.equal(response.status, 500);
    assert.equal(await response.text(), "RangeError");
  });

  test("a client that disconnects ends the stream with reason client", async () => {
    route("/abort", (stream) => stream.closed);
    const next = nextStream();
    const client = await rawGet(port, "/abort");
    const stream = await within(next, 3000, "the stream to open");
    await client.waitFor(":\n\n");
    const aborted = new Promise<number>((resolve) =>
      stream.signal.addEventListener("abort", () => resolve(performance.now()))
    );
    const closedAt = performance.now();
    client.close();
    const at = await within(aborted, 2000, "stream.signal to abort");
    assert.equal(await stream.closed, "client");
    assert.ok(at - closedAt < 1000, `told after ${Math.round(at - closedAt)} ms`);
  });

  test("close reasons: returned, closed with a final event, max-duration, idle", async () => {
    const reasons: Promise<CloseReason>[] = [];
    route("/returned", (stream) => {
      reasons.push(stream.closed);
      return stream.send("once");
    });
    route("/closed", (stream) => {
      reasons.push(stream.closed);
      return stream.close({ event: "bye", data: "closed" });
    });
    route("/max", (stream) => {
      reasons.push(stream.closed);
    }, { close: { onReturn: false, maxDuration: 150, final: { event: "bye", data: "max" } } });
    route("/idle", (stream) => {
      reasons.push(stream.closed);
    }, { close: { onReturn: false, idleTimeout: 150 } });
    const texts = [];
    for (const path of ["/returned", "/closed", "/max", "/idle"]) {
      texts.push(await within((await fetch(`${base}${path}`)).text(), 3000, path));
    }
    assert.deepEqual(texts, [
      ":\n\ndata: once\n\n",
      ":\n\nevent: bye\ndata: closed\n\n",
      ":\n\nevent: bye\ndata: max\n\n",
      ":\n\n",
    ]);
    assert.deepEqual(await Promise.all(reasons), ["returned", "closed", "max-duration", "idle"]);
  });

  test("a handler error ends the stream with reason error; the server keeps serving", async () => {
    const reasons: Promise<CloseReason>[] = [];
    route("/fails", async (stream) => {
      reasons.push(stream.closed);
      await stream.send("before");
      throw new Error("handler bug (expected by the test)");
    }, { onError: () => ({ event: "error", data: "sorry" }) });
    const text = await (await fetch(`${base}/fails`)).text();
    assert.equal(text, ":\n\ndata: before\n\nevent: error\ndata: sorry\n\n");
    assert.deepEqual(await Promise.all(reasons), ["error"]);
    assert.equal(await (await fetch(`${base}/returned`)).text(), ":\n\ndata: once\n\n");
  });

  test("the shutdown signal closes every stream with reason shutdown", async () => {
    const shutdown = new AbortController();
    route("/shutdown", (stream) => stream.closed, {
      shutdown: shutdown.signal,
      close: { final: { event: "bye", data: "restart" } },
    });
    const next = [nextStream(), nextStream()];
    const bodies = [fetch(`${base}/shutdown`), fetch(`${base}/shutdown`)].map(async (r) =>
      (await r).text()
    );
    const streams = await within(Promise.all(next), 3000, "two streams");
    shutdown.abort();
    assert.deepEqual(await Promise.all(streams.map((s) => s.closed)), ["shutdown", "shutdown"]);
    for (const text of await Promise.all(bodies)) {
      assert.equal(text, ":\n\nevent: bye\ndata: restart\n\n");
    }
  });

  test("Last-Event-ID comes from the header, else from ?lastEventId=", async () => {
    route("/last-id", (stream) => stream.send({ data: String(stream.lastEventId) }));
    const fromHeader = await fetch(`${base}/last-id`, { headers: { "last-event-id": "41" } });
    assert.equal(await fromHeader.text(), ":\n\ndata: 41\n\n");
    const fromQuery = await fetch(`${base}/last-id?lastEventId=7`);
    assert.equal(await fromQuery.text(), ":\n\ndata: 7\n\n");
    const none = await fetch(`${base}/last-id`);
    assert.equal(await none.text(), ":\n\ndata: null\n\n");
  });

  test("stream.request is a web Request with the method, URL and headers of req", async () => {
    route("/request", (stream) =>
      stream.send({
        data: {
          method: stream.request.method,
          url: stream.request.url,
          user: stream.request.headers.get("x-user"),
        },
      }));
    const text = await (await fetch(`${base}/request?room=a`, { headers: { "x-user": "ann" } }))
      .text();
    assert.equal(
      text,
      `:\n\ndata: {"method":"GET","url":"${base}/request?room=a","user":"ann"}\n\n`,
    );
  });

  test("a quiet stream gets heartbeats", async () => {
    route("/quiet", (stream) => stream.closed, { heartbeat: 100 });
    const response = await fetch(`${base}/quiet`);
    const { text, reader } = await readUntil(response.body!, (t) => t.split(":\n\n").length > 3);
    assert.match(text, /^(:\n\n){3,}$/);
    await reader.cancel();
  });

  test("a client that stops reading makes send() wait; a producer that does not wait is cut as a slow consumer", async () => {
    const big = "x".repeat(64 * 1024);
    const seen = { waitedAfter: -1, buffered: 0 };
    route("/slow", async (stream) => {
      // Awaited sends: one of them waits once res.write() said false and
      // highWaterMark bytes are queued.
      for (let i = 0; i < 5000 && seen.waitedAfter < 0; i++) {
        const sent = await Promise.race([stream.send({ data: big }), delay(300)]);
        if (sent === undefined) seen.waitedAfter = i;
      }
      seen.buffered = stream.bufferedAmount;
      // Then sends that do not wait: past maxBuffered the stream ends.
      for (let i = 0; i < 100 && !stream.signal.aborted; i++) stream.send({ data: big });
    }, { highWaterMark: 64 * 1024, maxBuffered: 256 * 1024, heartbeat: false });
    const next = nextStream();
    const client = await rawGet(port, "/slow");
    client.socket.pause();
    const stream = await within(next, 3000, "the stream to open");
    assert.equal(
      await within(stream.closed, 10_000, "the slow consumer to be cut"),
      "slow-consumer",
    );
    assert.ok(seen.waitedAfter >= 0, "send() never waited for the client");
    // The kernel's and the runtime's socket buffers take some MB before res.write() says false.
    assert.ok(seen.waitedAfter < 1000, `${seen.waitedAfter} events before the first wait`);
    assert.ok(seen.buffered > 64 * 1024, `bufferedAmount ${seen.buffered} while waiting`);
    client.close();
  });

  test("compress: true compresses with the encoding the client accepts, each event at once", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    route("/compressed", async (stream) => {
      await stream.send({ id: 1, data: "first" });
      await released;
      await stream.send({ id: 2, data: "second" });
    }, { compress: true });
    const response = await fetch(`${base}/compressed`, { headers: { "accept-encoding": "gzip" } });
    assert.equal(response.headers.get("content-encoding"), "gzip");
    assert.match(response.headers.get("vary") ?? "", /accept-encoding/i);
    const body = new BodyReader(response.body!);
    await body.until("data: first", 3000);
    release();
    assert.equal(await body.rest(3000), ":\n\nid: 1\ndata: first\n\nid: 2\ndata: second\n\n");
  });

  test("a stream quiet for 12 s stays open (no idle timeout cuts node:http streams, Bun's included)", async () => {
    route("/silent", (stream) => stream.closed, { heartbeat: false });
    const next = nextStream();
    const client = await rawGet(port, "/silent");
    const stream = await within(next, 3000, "the stream to open");
    await client.waitFor(":\n\n");
    const ended = await Promise.race([client.ended.then(() => "ended"), delay(12_000)]);
    assert.equal(ended, undefined, "the connection was closed while quiet");
    assert.equal(stream.signal.aborted, false);
    client.close();
    assert.equal(await within(stream.closed, 3000, "the close to be seen"), "client");
  });

  test("a Channel broadcasts to node streams and replays after Last-Event-ID", async () => {
    const channel = new Channel<{ n: number }>({ history: { size: 10 } });
    routes.set("/channel", (req, res) => sse(req, res, (stream) => channel.subscribe(stream)));
    const first = await fetch(`${base}/channel`);
    const firstRead = readUntil(first.body!, (t) => t.includes('"n":2'));
    while (channel.size < 1) await delay(5);
    await channel.publish({ event: "n", data: { n: 1 } });
    await channel.publish({ event: "n", data: { n: 2 } });
    const { text, reader } = await firstRead;
    const ids = [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
    assert.equal(ids.length, 2);
    await reader.cancel();
    const again = await fetch(`${base}/channel`, { headers: { "last-event-id": ids[0] } });
    const replayed = await readUntil(again.body!, (t) => t.includes('"n":2'));
    assert.doesNotMatch(replayed.text, /"n":1/);
    await replayed.reader.cancel();
    await channel.close();
  });
});
