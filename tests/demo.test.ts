// The demo app (examples/demo/app.ts) on a real server of each runtime: the
// page is served and every stream route delivers what the page expects.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createApp } from "../examples/demo/app.ts";
import { runtime, serve, type TestServer, within } from "./_server.ts";

const TICK = 40;
const LIMIT = 400;

interface Received {
  type: string;
  data: string;
  lastEventId: string;
}

/** Reads a text/event-stream body the way EventSource does: only events with data dispatch. */
class EventReader {
  /** The last `id` field seen, as EventSource keeps it for Last-Event-ID. */
  lastEventId = "";
  /** The last `retry` field seen. */
  retry: number | null = null;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = "";
  #events: Received[] = [];

  constructor(response: Response) {
    assert.ok(response.body, "the response has a body");
    this.#reader = response.body.getReader();
  }

  /** The next dispatched event, or null once the body ended. */
  next(ms = 3000): Promise<Received | null> {
    return within(this.#next(), ms, "waiting for an event");
  }

  /** Reads events until one matches; throws if the body ends first. */
  async until(match: (event: Received) => boolean, ms = 3000): Promise<Received> {
    const deadline = Date.now() + ms;
    for (;;) {
      const event = await this.next(Math.max(1, deadline - Date.now()));
      assert.ok(event, "the stream ended before the expected event");
      if (match(event)) return event;
    }
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }

  async #next(): Promise<Received | null> {
    for (;;) {
      const event = this.#events.shift();
      if (event) return event;
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buffer += this.#decoder.decode(value, { stream: true });
      let end: number;
      while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
        this.#dispatch(this.#buffer.slice(0, end));
        this.#buffer = this.#buffer.slice(end + 2);
      }
    }
  }

  #dispatch(block: string): void {
    let type = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
      else if (field === "id") this.lastEventId = value;
      else if (field === "retry") this.retry = Number(value);
    }
    if (data.length > 0) {
      this.#events.push({ type, data: data.join("\n"), lastEventId: this.lastEventId });
    }
  }
}

describe(`demo app on ${runtime}`, () => {
  let server: TestServer;
  const open: EventReader[] = [];

  before(async () => {
    server = await serve(createApp({ tick: TICK, limit: LIMIT }).fetch);
  });

  after(async () => {
    await Promise.all(open.map((reader) => reader.cancel()));
    await server.close();
  });

  async function stream(path: string, headers: HeadersInit = {}): Promise<EventReader> {
    const response = await fetch(server.url + path, { headers });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = new EventReader(response);
    open.push(reader);
    return reader;
  }

  test("serves the page, which opens every stream", async () => {
    const response = await fetch(server.url + "/");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    const html = await response.text();
    assert.match(html, /<title>edge-sse demo<\/title>/);
    assert.doesNotMatch(html, /\{\{runtime\}\}/);
    for (const route of ["/clock", "/counter", "/limited", "/closes"]) {
      assert.ok(html.includes(`"${route}`), `the page opens ${route}`);
    }
    for (const type of ["time", "count", "window", "bye", "closed"]) {
      assert.ok(html.includes(`addEventListener("${type}"`), `the page listens to ${type}`);
    }
  });

  test("/clock sends a time event per tick", async () => {
    const clock = await stream("/clock");
    const first = await clock.next();
    const second = await clock.next();
    for (const event of [first, second]) {
      assert.equal(event?.type, "time");
      const iso = JSON.parse(event.data).iso;
      assert.ok(Math.abs(Date.parse(iso) - Date.now()) < 5000, `a current time: ${iso}`);
    }
    await clock.cancel();
  });

  test("/counter sends numbered count events with ids and a retry", async () => {
    const counter = await stream("/counter");
    for (const n of [1, 2, 3]) {
      const event = await counter.next();
      assert.deepEqual(event, { type: "count", data: JSON.stringify({ n }), lastEventId: `${n}` });
    }
    assert.equal(counter.retry, 1000);
    await counter.cancel();
  });

  test("/counter resumes after Last-Event-ID, else after ?lastEventId=", async () => {
    const resumed = await stream("/counter", { "last-event-id": "5" });
    assert.deepEqual(await resumed.next(), { type: "count", data: '{"n":6}', lastEventId: "6" });
    assert.equal((await resumed.next())?.lastEventId, "7");
    await resumed.cancel();

    const query = await stream("/counter?lastEventId=41");
    assert.equal((await query.next())?.lastEventId, "42");
    await query.cancel();

    const junk = await stream("/counter", { "last-event-id": "not a number" });
    assert.equal((await junk.next())?.lastEventId, "1");
    await junk.cancel();
  });

  test("/limited closes with max-duration and a bye event, then resumes", async () => {
    const started = Date.now();
    const limited = await stream("/limited");
    const window = await limited.next();
    assert.equal(window?.type, "window");
    assert.deepEqual(JSON.parse(window.data), { ms: LIMIT, resumedFrom: null });
    const bye = await limited.until((event) => event.type === "bye", LIMIT + 3000);
    assert.deepEqual(JSON.parse(bye.data), { reason: "max-duration", after: LIMIT });
    assert.equal(limited.retry, 2000, "the bye event sets the reconnection delay");
    assert.equal(await limited.next(), null, "the body ends after the bye event");
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= LIMIT - 50 && elapsed < LIMIT + 2000, `closed after ${elapsed} ms`);
    const lastId = Number(limited.lastEventId);
    assert.ok(lastId >= 2, `counted to ${lastId} before the close`);
    assert.equal(bye.lastEventId, `${lastId}`, "the bye event keeps the last id");

    // The browser reconnects with Last-Event-ID: the count continues.
    const again = await stream("/limited", { "last-event-id": `${lastId}` });
    const resumed = await again.next();
    assert.deepEqual(JSON.parse(resumed?.data ?? ""), {
      ms: LIMIT,
      resumedFrom: `${lastId}`,
    });
    const next = await again.next();
    assert.deepEqual(next, {
      type: "count",
      data: JSON.stringify({ n: lastId + 1 }),
      lastEventId: `${lastId + 1}`,
    });
    await again.cancel();
  });

  test("/closes reports each stream's close reason", async () => {
    // A fresh app: its close log holds only this test's streams.
    const own = await serve(createApp({ tick: TICK, limit: LIMIT }).fetch);
    try {
      const response = await fetch(own.url + "/closes");
      const closes = new EventReader(response);
      open.push(closes);
      const limited = new EventReader(await fetch(own.url + "/limited"));
      open.push(limited);
      const clock = new EventReader(await fetch(own.url + "/clock"));
      await clock.next();
      const controller = new AbortController();
      const counter = await fetch(own.url + "/counter", { signal: controller.signal });
      await new EventReader(counter).next();
      controller.abort();
      await clock.cancel();

      const records = new Map<string, { lastId: number | null }>();
      const wanted = ["/counter client", "/clock client", "/limited max-duration"];
      while (!wanted.every((key) => records.has(key))) {
        const event = await closes.next(LIMIT + 2000);
        assert.ok(event, "the /closes stream stays open");
        assert.equal(event.type, "closed");
        const data = JSON.parse(event.data);
        records.set(`${data.route} ${data.reason}`, data);
      }
      assert.deepEqual([...records.keys()].sort(), [...wanted].sort());
      assert.ok((records.get("/counter client")?.lastId ?? 0) >= 1);
      assert.equal(records.get("/clock client")?.lastId, null);
      assert.ok((records.get("/limited max-duration")?.lastId ?? 0) >= 1);
      await limited.cancel();
      await closes.cancel();
    } finally {
      await own.close();
    }
  });

  test("other paths and methods are refused", async () => {
    const missing = await fetch(server.url + "/nope");
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const post = await fetch(server.url + "/clock", { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  });
});
