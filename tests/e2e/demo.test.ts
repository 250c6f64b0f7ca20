// The demo app (examples/demo/app.ts) on a real server of each runtime: the
// page is served and every stream route delivers what the page expects.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createApp } from "../../examples/demo/app.ts";
import { MAX_BODY, MAX_NAME, MAX_TEXT } from "../../examples/demo/chat.ts";
import { SERIES } from "../../examples/demo/metrics.ts";
import { runtime, serve, type TestServer } from "../_server.ts";
import { BodyReader } from "../_read.ts";

const TICK = 40;
const LIMIT = 400;
const SAMPLE = 20;
const OPTIONS = { tick: TICK, limit: LIMIT, sample: SAMPLE };

interface Received {
  type: string;
  data: string;
  lastEventId: string;
}

/** A response's events one at a time, as an EventSource dispatches them (tests/_read.ts parses). */
class EventReader {
  #body: BodyReader;

  constructor(response: Response) {
    this.#body = new BodyReader(response);
  }

  /** The last `id` field seen, as EventSource keeps it for Last-Event-ID. */
  get lastEventId(): string {
    return this.#body.lastEventId;
  }

  /** The last `retry` field seen. */
  get retry(): number | null {
    return this.#body.retry ?? null;
  }

  /** The next dispatched event, or null once the body ended. */
  async next(ms = 3000): Promise<Received | null> {
    const [event] = await this.#body.take(1, ms);
    return event ? { type: event.event, data: event.data, lastEventId: event.lastEventId } : null;
  }

  /** Reads events until one matches; throws if the body ends first. */
  async until(match: (event: Received) => boolean, ms = 3000): Promise<Received> {
    const deadline = performance.now() + ms;
    for (;;) {
      const event = await this.next(Math.max(1, deadline - performance.now()));
      assert.ok(event, "the stream ended before the expected event");
      if (match(event)) return event;
    }
  }

  cancel(): Promise<void> {
    return this.#body.cancel();
  }
}

describe(`demo app on ${runtime}`, () => {
  let server: TestServer;
  const open: EventReader[] = [];

  before(async () => {
    server = await serve(createApp(OPTIONS).fetch);
  });

  after(async () => {
    await Promise.all(open.map((reader) => reader.cancel()));
    await server.close();
  });

  async function stream(
    path: string,
    headers: HeadersInit = {},
    base = server.url,
  ): Promise<EventReader> {
    const response = await fetch(base + path, { headers });
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
    for (const route of ["/clock", "/counter", "/limited", "/metrics", "/chat", "/closes"]) {
      assert.ok(html.includes(`"${route}`), `the page opens ${route}`);
    }
    for (const type of ["time", "count", "window", "bye", "sample", "message", "closed"]) {
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

  test("/clock never sends two events in the same tick", async () => {
    const clock = await stream("/clock");
    let previous = -1;
    for (let n = 0; n < 8; n++) {
      const event = await clock.next();
      assert.ok(event, "the clock goes on");
      const slot = Math.floor(Date.parse(JSON.parse(event.data).iso) / TICK);
      assert.ok(slot > previous, `event ${n} is in a tick of its own (${slot} after ${previous})`);
      previous = slot;
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

  test("/metrics sends numbered samples of every series, and resumes", async () => {
    const metrics = await stream("/metrics");
    for (const n of [1, 2, 3]) {
      const event = await metrics.next();
      assert.equal(event?.type, "sample");
      assert.equal(event.lastEventId, `${n}`);
      const sample = JSON.parse(event.data);
      assert.deepEqual(Object.keys(sample), SERIES.map((series) => series.name));
      for (const series of SERIES) {
        const value = sample[series.name];
        assert.equal(typeof value, "number", `${series.name} is a number`);
        assert.ok(value >= series.min && value <= series.max, `${series.name}: ${value}`);
      }
    }
    await metrics.cancel();

    const resumed = await stream("/metrics", { "last-event-id": "7" });
    assert.equal((await resumed.next())?.lastEventId, "8");
    await resumed.cancel();
  });

  /** Posts `body` (JSON unless a string) to the app at `base`. */
  async function post(body: unknown, base = server.url): Promise<Response> {
    const response = await fetch(base + "/chat", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    await response.body?.cancel();
    return response;
  }

  /** A fresh app for one test: its chat room and close log hold only that test's doings. */
  async function fresh(run: (url: string) => Promise<void>): Promise<void> {
    const own = await serve(createApp(OPTIONS).fetch);
    try {
      await run(own.url);
    } finally {
      await Promise.all(open.splice(0).map((reader) => reader.cancel()));
      await own.close();
    }
  }

  test("POST /chat publishes to every /chat stream", async () => {
    await fresh(async (url) => {
      const [first, second] = [await stream("/chat", {}, url), await stream("/chat", {}, url)];
      assert.equal((await post({ name: " Ada ", text: "hello <b>you</b>" }, url)).status, 204);
      for (const reader of [first, second]) {
        const event = await reader.next();
        assert.equal(event?.type, "message");
        assert.match(event.lastEventId, /^\w+-\d+$/, "the channel's log numbers its messages");
        const { name, text, at } = JSON.parse(event.data);
        assert.deepEqual({ name, text }, { name: "Ada", text: "hello <b>you</b>" });
        assert.ok(Math.abs(Date.parse(at) - Date.now()) < 5000, `received at ${at}`);
      }
      assert.equal(first.retry, 2000, "the chat stream sets its reconnection delay");
    });
  });

  test("POST /chat refuses what is not a short message", async () => {
    await fresh(async (url) => {
      const chat = await stream("/chat", {}, url);
      const refused: [unknown, number][] = [
        [{ name: "Ada", text: "x".repeat(MAX_TEXT + 1) }, 400],
        [{ name: "A".repeat(MAX_NAME + 1), text: "hi" }, 400],
        [{ name: "Ada", text: "   " }, 400],
        [{ name: "Ada" }, 400],
        [{ name: 1, text: "hi" }, 400],
        [null, 400],
        ["not json", 400],
        [{ name: "Ada", text: "x".repeat(MAX_BODY) }, 413],
      ];
      for (const [body, status] of refused) {
        assert.equal((await post(body, url)).status, status, JSON.stringify(body).slice(0, 60));
      }
      const longest = "x".repeat(MAX_TEXT);
      assert.equal((await post({ name: "Ada", text: longest }, url)).status, 204);
      const event = await chat.next();
      assert.equal(JSON.parse(event?.data ?? "").text, longest, "only the valid one went out");

      const put = await fetch(url + "/chat", { method: "PUT" });
      assert.equal(put.status, 405);
      assert.equal(put.headers.get("allow"), "GET, POST");
      await put.body?.cancel();
    });
  });

  test("/chat replays history to a new page and what a reconnect missed", async () => {
    await fresh(async (url) => {
      const texts = (events: (Received | null)[]) =>
        events.map((event) => JSON.parse(event?.data ?? "null")?.text);
      await post({ name: "Ada", text: "one" }, url);
      // A first visit (no Last-Event-ID) gets the recent conversation.
      const page = await stream("/chat", {}, url);
      const one = await page.next();
      assert.deepEqual(texts([one]), ["one"]);
      await page.cancel();

      await post({ name: "Ada", text: "two" }, url);
      await post({ name: "Grace", text: "three" }, url);
      // EventSource reconnects with the last id it saw: only the missed messages come.
      const again = await stream("/chat", { "last-event-id": one!.lastEventId }, url);
      const missed = [await again.next(), await again.next()];
      assert.deepEqual(texts(missed), ["two", "three"]);
      await post({ name: "Ada", text: "four" }, url);
      assert.deepEqual(texts([await again.next()]), ["four"], "then live messages");
      const offset = (id: string) => Number(id.split("-").at(-1));
      assert.ok(offset(missed[0]!.lastEventId) > offset(one!.lastEventId), "ids increase");

      const later = await stream("/chat", { "last-event-id": missed[1]!.lastEventId }, url);
      assert.deepEqual(texts([await later.next()]), ["four"]);
    });
  });

  test("/closes reports each stream's close reason", async () => {
    // A fresh app: its close log holds only this test's streams.
    const own = await serve(createApp(OPTIONS).fetch);
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
      const metrics = new EventReader(await fetch(own.url + "/metrics"));
      await metrics.next();
      await metrics.next();
      await metrics.cancel();
      const chat = await fetch(own.url + "/chat");
      await chat.body?.cancel();

      const records = new Map<string, { lastId: number | null }>();
      const wanted = [
        "/counter client",
        "/clock client",
        "/metrics client",
        "/chat client",
        "/limited max-duration",
      ];
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
      assert.ok((records.get("/metrics client")?.lastId ?? 0) >= 2);
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
