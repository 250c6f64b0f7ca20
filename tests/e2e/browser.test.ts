// Headless Chromium's EventSource against edge-sse on a real server of the
// runtime under test: what arrives, reconnection with Last-Event-ID, 204,
// closing from the page, and heartbeats through an idle-cutting proxy.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sse, type SSEStream, StreamClosed } from "../../mod.ts";
import type { Page } from "playwright-core";
import { type Browser, launchChromium, RECORDER_PAGE, seen, until, watch } from "../_browser.ts";
import { comparable, EXPECTED, EXPECTED_JSON, NAMED_TYPES, SENT } from "../_events.ts";
import { idleProxy } from "../_proxy.ts";
import { expectedCounts, reconnectDelays, resumeRoute } from "../_resume.ts";
import { delay, runtime, serve, type TestServer, within } from "../_server.ts";

const RETRY = 300;
const IDLE_CUT = 2000;

let server: TestServer;
let browser: Browser;
const goneVisits: (string | null)[] = [];
const resume = resumeRoute(RETRY);
const held = new Map<string, SSEStream>();
const quiet = new Map<string, SSEStream[]>();

function waitForAbort(stream: SSEStream): Promise<void> {
  return new Promise((resolve) => stream.signal.addEventListener("abort", () => resolve()));
}

// deno-lint-ignore no-explicit-any
function handler(request: Request, bunServer?: any): Response {
  const url = new URL(request.url);
  const base = { server: bunServer };
  switch (url.pathname) {
    case "/":
      return new Response(RECORDER_PAGE, { headers: { "content-type": "text/html" } });
    case "/kinds":
      return sse(request, async (stream) => {
        for (const event of SENT) await stream.send(event);
        await waitForAbort(stream);
      }, base);
    case "/resume":
      return resume.handle(request, bunServer);
    case "/gone": {
      // One event and the end of the stream, then 204 for the reconnection.
      goneVisits.push(request.headers.get("last-event-id"));
      if (goneVisits.length > 1) return new Response(null, { status: 204 });
      return sse(request, (stream) => stream.send({ id: 1, data: "once" }), {
        ...base,
        retry: 100,
      });
    }
    case "/hold":
      return sse(request, (stream) => {
        held.set(url.searchParams.get("key")!, stream);
        return waitForAbort(stream);
      }, base);
    case "/quiet": {
      // An event, 3 s of silence (heartbeats aside), another event; then held open.
      const interval = Number(url.searchParams.get("heartbeat"));
      const key = `heartbeat=${interval}`;
      return sse(request, async (stream) => {
        quiet.set(key, [...quiet.get(key) ?? [], stream]);
        await stream.send({ event: "first", data: "before the silence" });
        if (await stream.sleep(IDLE_CUT + 1000)) {
          await stream.send({ event: "after", data: "after the silence" });
        }
        await waitForAbort(stream);
      }, { ...base, heartbeat: interval > 0 ? interval : false });
    }
    default:
      return new Response("not found", { status: 404 });
  }
}

before(async () => {
  [server, browser] = await Promise.all([serve(handler), launchChromium()]);
});

after(async () => {
  await Promise.all([browser?.close(), server?.close()]);
});

describe(`Chromium's EventSource against edge-sse on ${runtime}`, () => {
  test("named events, multi-line data, JSON and unicode arrive intact", async () => {
    const page = await browser.open(server.url);
    try {
      await watch(page, "kinds", "/kinds", NAMED_TYPES);
      await until(page, `seen("kinds").events.length >= ${EXPECTED.length}`, "every event");
      const { events, errors } = await seen(page, "kinds");
      assert.deepEqual(comparable(events), comparable(EXPECTED));
      assert.deepEqual(JSON.parse(events[2].data), EXPECTED_JSON);
      assert.equal(errors, 0);
    } finally {
      await page.close();
    }
  });

  test("a stream that ends is resumed after `retry` ms from Last-Event-ID, without gap or duplicate", async () => {
    const page = await browser.open(server.url);
    try {
      await watch(page, "resume", "/resume");
      // Three connections of three events, then a fourth answered 204.
      await until(page, `seen("resume").readyState === 2`, "the end after id 9", 5000);
      const { events } = await seen(page, "resume");
      assert.deepEqual(events.map((event) => [event.lastEventId, event.data]), expectedCounts());
      assert.deepEqual(resume.visits.map((visit) => visit.lastEventId), [null, "3", "6", "9"]);
      for (const waited of reconnectDelays(resume.visits)) {
        assert.ok(
          waited >= RETRY - 50 && waited < RETRY + 1200,
          `reconnected ${waited.toFixed(0)} ms after the end (retry: ${RETRY})`,
        );
      }
    } finally {
      await page.close();
    }
  });

  test("a 204 answer stops reconnection: readyState CLOSED, no further request", async () => {
    const page = await browser.open(server.url);
    try {
      await watch(page, "gone", "/gone");
      await until(page, `seen("gone").readyState === 2`, "readyState CLOSED");
      await delay(500); // five times the stream's retry: long enough for another attempt
      const recorded = await seen(page, "gone");
      assert.equal(recorded.readyState, 2);
      assert.deepEqual(recorded.events.map((event) => event.data), ["once"]);
      assert.deepEqual(goneVisits, [null, "1"], "Last-Event-ID of each request");
    } finally {
      await page.close();
    }
  });

  // Measured from the moment the browser's connection closes (seen by a
  // pass-through proxy): how long Chromium takes to close it is not ours.
  test("es.close() is seen by the handler's signal within 100 ms, reason client", async () => {
    await closeSeenWithin100ms("es-close", (page) => page.evaluate(`sources.held.close()`));
  });

  test("closing the page is seen by the handler's signal within 100 ms, reason client", async () => {
    await closeSeenWithin100ms("page-close", (page) => page.close());
  });

  test("heartbeats keep a stream open through a proxy that cuts connections idle for 2 s", async () => {
    const proxy = await idleProxy(server.port, IDLE_CUT);
    const page = await browser.open(proxy.url);
    try {
      await watch(page, "beating", "/quiet?heartbeat=500", ["first", "after"]);
      await watch(page, "silent", "/quiet?heartbeat=0", ["first", "after"]);
      await until(
        page,
        `seen("beating").events.length >= 2`,
        "the event after 3 s of silence",
        IDLE_CUT + 3000,
      );
      const beating = await seen(page, "beating");
      assert.deepEqual(beating.events.map((event) => event.type), ["first", "after"]);
      assert.equal(beating.opens, 1, "one connection");
      assert.equal(beating.errors, 0, "never cut");
      assert.equal(quiet.get("heartbeat=500")![0].signal.aborted, false);

      // Without heartbeats, the same stream is cut by the proxy.
      const silent = await seen(page, "silent");
      assert.ok(silent.errors >= 1, "the silent stream was cut");
      assert.deepEqual(silent.events.map((event) => event.type), ["first"]);
      assert.equal(await quiet.get("heartbeat=0")![0].closed, "client");
    } finally {
      await page.close();
      await proxy.close();
    }
  });
});

async function closeSeenWithin100ms(
  key: string,
  close: (page: Page) => Promise<unknown>,
): Promise<void> {
  const proxy = await idleProxy(server.port);
  const page = await browser.open(proxy.url);
  try {
    await watch(page, "held", `/hold?key=${key}`);
    await until(page, `seen("held").opens === 1`, "the stream to open");
    const stream = await within(waitForStream(key), 2000, "the handler");
    const aborted = abortTime(stream);
    const started = performance.now();
    await close(page);
    const abortedAt = await within(aborted, 2000, "the signal");
    const connection = proxy.connections.find((c) => c.sent.includes(`/hold?key=${key}`));
    const closedAt = connection?.clientClosedAt;
    assert.ok(closedAt !== undefined, "the browser closed the stream's connection");
    const ms = abortedAt - closedAt;
    assert.ok(
      ms < 100,
      `signal aborted ${ms.toFixed(1)} ms after the browser closed the connection ` +
        `(${(abortedAt - started).toFixed(1)} ms after the close was asked)`,
    );
    assert.ok(stream.signal.reason instanceof StreamClosed);
    assert.equal(stream.signal.reason.reason, "client");
    assert.equal(await stream.closed, "client");
  } finally {
    if (!page.isClosed()) await page.close();
    await proxy.close();
  }
}

async function waitForStream(key: string): Promise<SSEStream> {
  while (!held.has(key)) await delay(5);
  return held.get(key)!;
}

function abortTime(stream: SSEStream): Promise<number> {
  return new Promise((resolve) =>
    stream.signal.addEventListener("abort", () => resolve(performance.now()), { once: true })
  );
}
