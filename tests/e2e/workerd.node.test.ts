// Cloudflare Workers: examples/cloudflare and examples/bundle on real workerd
// (through the miniflare npm package), with the wrangler.toml settings they
// deploy with. Node only (it spawns workerd): scripts/test.mjs runs
// *.node.test.ts files under Node alone.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { within } from "../_server.ts";
import {
  bundleWorker,
  readWrangler,
  startWorkerd,
  type Workerd,
  type WranglerConfig,
} from "../_workerd.ts";
import { readUntil } from "../_read.ts";
import { root } from "../_host.ts";

interface Stats {
  open: number;
  closed: Record<string, number>;
}

interface FirehoseStats {
  opened: number[];
  closed: { reason: string; at: number; sent: number }[];
}

const example = join(root, "examples", "cloudflare");
let wrangler: WranglerConfig;
let script: string;

async function startExample(vars: Record<string, string>, flags?: string[]): Promise<Workerd> {
  return await startWorkerd({
    script,
    compatibilityDate: wrangler.compatibilityDate,
    compatibilityFlags: flags ?? wrangler.compatibilityFlags,
    bindings: { ...wrangler.vars, ...vars },
  });
}

async function stats(worker: Workerd): Promise<Stats> {
  return await (await fetch(`${worker.url}/stats`)).json();
}

/** Polls /stats until `done` holds; returns the stats and the time it took. */
async function statsWhen<T = Stats>(
  worker: Workerd,
  done: (stats: T) => boolean,
  ms: number,
): Promise<{ stats: T; after: number }> {
  const started = Date.now();
  let last = await stats(worker) as T;
  while (!done(last) && Date.now() - started < ms) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    last = await stats(worker) as T;
  }
  return { stats: last, after: Date.now() - started };
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

before(async () => {
  wrangler = readWrangler(join(example, "wrangler.toml"));
  script = await bundleWorker(join(example, wrangler.main));
});

describe("examples/cloudflare on workerd, as wrangler.toml deploys it", () => {
  let ticking: Workerd;
  let quiet: Workerd;

  before(async () => {
    ticking = await startExample({ TICK_MS: "100", HEARTBEAT_MS: "250" });
    quiet = await startExample({ TICK_MS: "60000", HEARTBEAT_MS: "200" });
  });
  after(async () => {
    await ticking?.dispose();
    await quiet?.dispose();
  });

  test("wrangler.toml turns on enable_request_signal with a compatibility date", () => {
    assert.deepEqual(wrangler.compatibilityFlags, ["enable_request_signal"]);
    assert.match(wrangler.compatibilityDate, /^\d{4}-\d{2}-\d{2}$/);
  });

  test("events stream one by one, with the retry field first", async () => {
    const started = Date.now();
    const response = await fetch(`${ticking.url}/events`);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "no-cache, no-transform");
    const { text, reader } = await readUntil(response.body!, (t) => t.includes("id: 3\n"), 5000);
    await reader.cancel();
    assert.match(text, /^retry: 2000\n\nevent: tick\nid: 1\ndata: \{"n":1,"at":\d+\}\n\n/);
    assert.ok(Date.now() - started >= 180, "ticks are 100 ms apart, not buffered up front");
  });

  test("a reconnect resumes after Last-Event-ID", async () => {
    const response = await fetch(`${ticking.url}/events`, { headers: { "last-event-id": "41" } });
    const { text, reader } = await readUntil(response.body!, (t) => t.includes("id: 42\n"), 5000);
    await reader.cancel();
    assert.match(text, /event: tick\nid: 42\ndata: \{"n":42,/);
  });

  test("a client abort is seen at once (enable_request_signal)", async () => {
    // The streams of the tests before, whose clients left, end first.
    const { stats: before } = await statsWhen(ticking, (s) => s.open === 0, 3000);
    assert.equal(before.open, 0);
    const controller = new AbortController();
    const response = await fetch(`${ticking.url}/events`, { signal: controller.signal });
    await readUntil(response.body!, (t) => t.includes("id: 1\n"), 5000);
    assert.equal((await stats(ticking)).open, before.open + 1);
    controller.abort();
    const seen = await statsWhen(
      ticking,
      (s) => (s.closed.client ?? 0) > (before.closed.client ?? 0),
      3000,
    );
    assert.equal(seen.stats.closed.client, (before.closed.client ?? 0) + 1, "closed as client");
    assert.equal(seen.stats.open, before.open);
    assert.ok(seen.after < 1500, `seen after ${seen.after} ms`);
  });

  test("heartbeats arrive on a quiet stream", async () => {
    const started = Date.now();
    const response = await fetch(`${quiet.url}/events`);
    const { text, reader } = await readUntil(
      response.body!,
      (t) => count(t, "\n\n:\n\n") >= 3,
      5000,
    );
    await reader.cancel();
    assert.match(text, /^retry: 2000\n\nevent: tick\nid: 1\n.*\n\n:\n\n:\n\n:\n\n$/s);
    const took = Date.now() - started;
    assert.ok(took >= 550 && took < 3000, `three 200 ms heartbeats took ${took} ms`);
  });

  test("two clients at once each get heartbeats, and one leaving does not stop the other", async () => {
    // workerd runs each request in its own I/O context: a timer armed while
    // serving one request dies with it and may not touch another's stream.
    const first = new AbortController();
    const a = await fetch(`${quiet.url}/events`, { signal: first.signal });
    const b = await fetch(`${quiet.url}/events`);
    const readerA = await readUntil(a.body!, (t) => count(t, ":\n\n") >= 2, 3000);
    const readerB = await readUntil(b.body!, (t) => count(t, ":\n\n") >= 2, 3000);
    first.abort();
    await readerA.reader.cancel().catch(() => {});
    const decoder = new TextDecoder();
    let more = "";
    await within(
      (async () => {
        while (count(more, ":\n\n") < 3) {
          const { value, done } = await readerB.reader.read();
          if (done) throw new Error(`the second stream ended: ${readerB.text}${more}`);
          more += decoder.decode(value, { stream: true });
        }
      })(),
      3000,
      "heartbeats on the second stream after the first client left",
    );
    await readerB.reader.cancel();
    const after = await statsWhen(quiet, (s) => s.open === 0, 3000);
    assert.equal(after.stats.open, 0, "both streams ended");
  });
});

describe("limits on workerd", () => {
  let limited: Workerd;
  before(async () => {
    limited = await startExample({ TICK_MS: "100", HEARTBEAT_MS: "250", MAX_DURATION_MS: "700" });
  });
  after(async () => {
    await limited?.dispose();
  });

  test("close.maxDuration ends the stream with the final event", async () => {
    const started = Date.now();
    const text = await within((await fetch(`${limited.url}/events`)).text(), 5000, "the end");
    const took = Date.now() - started;
    assert.ok(took >= 650 && took < 3000, `closed after ${took} ms, limit 700 ms`);
    assert.match(text, /id: 5\n/);
    assert.ok(text.endsWith("event: bye\ndata:\n\n"), text.slice(-60));
    const { stats: after } = await statsWhen(limited, (s) => s.open === 0, 2000);
    assert.deepEqual(after, { open: 0, closed: { "max-duration": 1 } });
  });
});

describe("without enable_request_signal", () => {
  let noFlag: Workerd;
  before(async () => {
    noFlag = await startExample({ TICK_MS: "100", HEARTBEAT_MS: "100" }, []);
  });
  after(async () => {
    await noFlag?.dispose();
  });

  test("workerd stops the handler of a client that left, and the stream never learns it ended", async () => {
    const controller = new AbortController();
    const response = await fetch(`${noFlag.url}/events`, { signal: controller.signal });
    await readUntil(response.body!, (t) => t.includes("id: 2\n"), 5000);
    controller.abort();
    // Well past the stall timeout (2 x 100 ms heartbeat): workerd cancelled
    // the request's I/O context, so no timer of it fires and `closed` never
    // settles. Turn the flag on (wrangler.toml does).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(await stats(noFlag), { open: 1, closed: {} });
  });
});

describe("a client that reads nothing on workerd", () => {
  let firehose: Workerd;
  before(async () => {
    firehose = await startWorkerd({
      script: await bundleWorker(join(root, "tests", "_firehose_worker.ts")),
      compatibilityDate: wrangler.compatibilityDate,
      compatibilityFlags: wrangler.compatibilityFlags,
    });
  });
  after(async () => {
    await firehose?.dispose();
  });

  test("is taken for gone after stallTimeout, while its socket is still open", async () => {
    const socket = connect(firehose.port, "127.0.0.1");
    socket.on("error", () => {});
    let closedByServer = false;
    socket.on("close", () => closedByServer = true);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(`GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
    socket.pause(); // reads nothing: the kernel buffers fill, workerd stops pulling
    try {
      const { stats: seen } = await statsWhen<FirehoseStats>(
        firehose,
        (s) => s.closed.length > 0,
        10_000,
      );
      assert.equal(seen.closed.length, 1, "the stream ended");
      assert.equal(seen.closed[0].reason, "client");
      assert.ok(seen.closed[0].sent > 10, `it sent ${seen.closed[0].sent} events first`);
      assert.equal(closedByServer, false, "the client had not gone anywhere");
    } finally {
      socket.destroy();
    }
  });
});

describe("examples/bundle (Hono + edge-sse in one file) on workerd", () => {
  let worker: Workerd;
  let size: { path: string; bytes: number; gzipBytes: number };
  before(async () => {
    // Imported at run time (not bundled into the test) so it finds its own files.
    const build = pathToFileURL(join(root, "examples", "bundle", "build.mjs")).href;
    size = await (await import(build)).buildBundle();
    const bundled = readWrangler(join(root, "examples", "bundle", "wrangler.toml"));
    worker = await startWorkerd({
      script: readFileSync(size.path, "utf8"),
      compatibilityDate: bundled.compatibilityDate,
      compatibilityFlags: bundled.compatibilityFlags,
    });
  });
  after(async () => {
    await worker?.dispose();
  });

  test("streams events from a Hono route", async () => {
    console.log(`bundle: ${size.bytes} bytes minified, ${size.gzipBytes} gzipped`);
    const response = await fetch(`${worker.url}/count/3`);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const text = await within(response.text(), 5000, "three events");
    assert.equal(
      text,
      ":\n\nevent: count\nid: 1\ndata: 1\n\nevent: count\nid: 2\ndata: 2\n\n" +
        "event: count\nid: 3\ndata: 3\n\n",
    );
    assert.equal(
      await (await fetch(`${worker.url}/`)).text(),
      "GET /count/5 for a stream of five events\n",
    );
  });
});
