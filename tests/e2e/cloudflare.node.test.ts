// examples/cloudflare-chat on real workerd (miniflare), as `wrangler deploy`
// builds it: a Worker forwarding each room's requests to the room's Durable
// Object, which holds the room's streams and its DurableObjectLog. Node only
// (it spawns wrangler and workerd).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { transform } from "esbuild";
import { delay } from "../_server.ts";
import { BodyReader, type ReadEvent } from "../_read.ts";
import { launchChromium, until } from "../_browser.ts";
import { root } from "../_host.ts";
import { readWrangler, startWorkerd, type Workerd, type WranglerConfig } from "../_workerd.ts";

const example = join(root, "examples", "cloudflare-chat");
/**
 * The test's heartbeat. A vanished client leaves its room within one heartbeat
 * interval with enable_request_signal, two without (README, "A client that
 * leaves"); MARGIN absorbs a loaded machine and the stats polling.
 */
const HEARTBEAT_MS = 400;
const MARGIN = 1_000;
const HISTORY = 20;

let config: WranglerConfig;
let script: string;
let persist: string;

async function start(
  options: { flags?: string[]; useSQLite?: boolean; persist?: string } = {},
): Promise<Workerd> {
  const { ROOMS } = config.durableObjects;
  return await startWorkerd({
    script,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: options.flags ?? config.compatibilityFlags,
    bindings: { ...config.vars, HEARTBEAT_MS: String(HEARTBEAT_MS), HISTORY: String(HISTORY) },
    durableObjects: { ROOMS: { ...ROOMS, useSQLite: options.useSQLite ?? ROOMS.useSQLite } },
    persist: options.persist ?? persist,
  });
}

interface Client {
  events: BodyReader;
  abort: AbortController;
}

async function enter(worker: Workerd, room: string, lastEventId?: string): Promise<Client> {
  const abort = new AbortController();
  const response = await fetch(`${worker.url}/rooms/${room}/events`, {
    signal: abort.signal,
    headers: lastEventId === undefined ? {} : { "last-event-id": lastEventId },
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  return { events: new BodyReader(response), abort };
}

async function post(worker: Workerd, room: string, text: string): Promise<string> {
  const response = await fetch(`${worker.url}/rooms/${room}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const { id } = await response.json();
  assert.equal(typeof id, "string");
  return id;
}

async function subscribers(worker: Workerd, room: string): Promise<number> {
  return (await (await fetch(`${worker.url}/rooms/${room}/stats`)).json()).subscribers;
}

/** Polls the room's stats until it counts `count`; returns how long that took. */
async function subscribersReach(
  worker: Workerd,
  room: string,
  count: number,
  ms: number,
): Promise<number> {
  const started = Date.now();
  let seen = await subscribers(worker, room);
  while (seen !== count && Date.now() - started < ms) {
    await delay(20);
    seen = await subscribers(worker, room);
  }
  assert.equal(seen, count, `room ${room}: ${seen} subscribers after ${ms} ms`);
  return Date.now() - started;
}

function texts(events: ReadEvent[]): string[] {
  return events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data).text);
}

before(async () => {
  config = readWrangler(join(example, "wrangler.toml"));
  persist = mkdtempSync(join(tmpdir(), "edge-sse-do-"));
  // The bundle `wrangler deploy` would upload, built by wrangler itself.
  const out = join(root, ".build", `cloudflare-chat-${process.pid}`);
  const { wrangler } = await import(pathToFileURL(join(example, "wrangler.mjs")).href);
  const result = wrangler(["deploy", "--dry-run", "--outdir", out]);
  assert.equal(
    result.status,
    0,
    `wrangler deploy --dry-run failed:\n${result.stdout}${result.stderr}`,
  );
  script = readFileSync(join(out, "worker.js"), "utf8");
  const minified = (await transform(script, { minify: true, format: "esm" })).code;
  const size = (code: string) =>
    `${(Buffer.byteLength(code) / 1024).toFixed(1)} KiB (${
      (gzipSync(code).byteLength / 1024).toFixed(1)
    } KiB gzipped)`;
  console.log(
    `examples/cloudflare-chat, as wrangler deploy --dry-run bundles it: ${size(script)}; ` +
      `minified: ${size(minified)}`,
  );
  rmSync(out, { recursive: true, force: true });
});

after(() => {
  rmSync(persist, { recursive: true, force: true });
});

describe("examples/cloudflare-chat on workerd", () => {
  let worker: Workerd;
  before(async () => {
    worker = await start();
  });
  after(async () => {
    await worker?.dispose();
  });

  test("wrangler.toml binds the room's Durable Object, SQLite-backed, with enable_request_signal", () => {
    assert.deepEqual(config.durableObjects, { ROOMS: { className: "ChatRoom", useSQLite: true } });
    assert.ok(config.compatibilityFlags.includes("enable_request_signal"));
  });

  test("the page and unknown routes", async () => {
    const page = await fetch(`${worker.url}/`);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(await page.text(), /new EventSource\("\/rooms\/"/);
    assert.equal((await fetch(`${worker.url}/rooms/a/nothing`)).status, 404);
    const bad = await fetch(`${worker.url}/rooms/a/messages`, { method: "POST", body: "{}" });
    assert.equal(bad.status, 400);
  });

  test("the page at / chats in Chromium: it shows what others post and posts through its form", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.open(`${worker.url}/`);
      await until(
        page,
        `document.getElementById("status").textContent.startsWith("connected")`,
        "connected",
      );
      await post(worker, "lobby", "Hi from <b>curl</b>");
      await until(
        page,
        `document.getElementById("log").textContent.includes("Hi from <b>curl</b>")`,
        "a message posted elsewhere",
        10_000,
      );
      await page.fill("input[name=text]", "Grüße from the page");
      await page.press("input[name=text]", "Enter");
      await until(
        page,
        `document.getElementById("log").textContent.includes("Grüße from the page")`,
        "its own message",
        10_000,
      );
      assert.equal(
        await page.evaluate(`document.querySelectorAll("#log b").length`),
        0,
        "text, not markup",
      );
    } finally {
      await browser.close();
    }
  });

  test("a message to a room of 50 reaches each of them once and nobody in the other room", async () => {
    const a = await Promise.all(Array.from({ length: 50 }, () => enter(worker, "a")));
    const b = await Promise.all(Array.from({ length: 5 }, () => enter(worker, "b")));
    assert.equal(await subscribers(worker, "a"), 50);
    assert.equal(await subscribers(worker, "b"), 5);
    const id = await post(worker, "a", "hello a");
    const marker = await post(worker, "b", "hello b");
    for (const client of a) {
      const [event] = await client.events.take(1, 10_000);
      assert.deepEqual({ id: event.id, text: JSON.parse(event.data).text }, {
        id,
        text: "hello a",
      });
    }
    for (const client of b) {
      const [event] = await client.events.take(1, 10_000);
      assert.deepEqual({ id: event.id, text: JSON.parse(event.data).text }, {
        id: marker,
        text: "hello b",
      });
    }

    // 10 clients of room a go away: the room notices within the bound.
    for (const client of a.slice(0, 10)) client.abort.abort();
    const took = await subscribersReach(worker, "a", 40, 3 * HEARTBEAT_MS + 2_000);
    console.log(`10 aborted clients left the room after ${took} ms (heartbeat ${HEARTBEAT_MS} ms)`);
    assert.ok(took <= HEARTBEAT_MS + MARGIN, `${took} ms`);
    // The room keeps serving the others, once each.
    const next = await post(worker, "a", "still here?");
    for (const client of a.slice(10)) {
      const events = await client.events.take(1, 10_000);
      assert.deepEqual(events.map((e) => [e.id, JSON.parse(e.data).text]), [[next, "still here?"]]);
    }
    assert.equal(await subscribers(worker, "b"), 5);
    for (const client of [...a, ...b]) client.abort.abort();
    await subscribersReach(worker, "a", 0, 3 * HEARTBEAT_MS + 2_000);
    await subscribersReach(worker, "b", 0, 3 * HEARTBEAT_MS + 2_000);
  });

  test("messages posted at once reach every client in the order of their ids, once", async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => enter(worker, "burst")));
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) => post(worker, "burst", `m${i}`)),
    );
    const offsets = ids.map((id) => Number(id.slice(id.lastIndexOf("-") + 1)));
    assert.deepEqual([...offsets].sort((a, b) => a - b), offsets.map((_, i) => i + 1));
    const inOrder = [...ids].sort((a, b) =>
      Number(a.slice(a.lastIndexOf("-") + 1)) - Number(b.slice(b.lastIndexOf("-") + 1))
    );
    for (const client of clients) {
      const events = await client.events.take(30, 10_000);
      assert.deepEqual(events.map((e) => e.id), inOrder);
    }
    for (const client of clients) client.abort.abort();
  });

  test("heartbeats go on for a room whose first client left", async () => {
    const first = await fetch(`${worker.url}/rooms/quiet/events`);
    const second = await fetch(`${worker.url}/rooms/quiet/events`);
    await first.body!.cancel();
    await subscribersReach(worker, "quiet", 1, 3 * HEARTBEAT_MS + 2_000);
    const reader = new BodyReader(second);
    const started = Date.now();
    // The opening comment, then heartbeats (":\n\n") long after the first request ended.
    await reader.until((text) => text.split(":\n\n").length - 1 >= 5, 10 * HEARTBEAT_MS + 3_000);
    assert.ok(Date.now() - started >= 3 * HEARTBEAT_MS - 100, "heartbeats, not a burst");
    await reader.cancel();
  });
});

// As deployed (SQLite-backed), and on a KV-backed object (`new_classes`).
for (const useSQLite of [true, false]) {
  describe(`a restarted room (same storage, new workerd), ${useSQLite ? "SQLite" : "KV"}-backed`, () => {
    let worker: Workerd;
    const storage = mkdtempSync(join(tmpdir(), "edge-sse-do-"));
    before(async () => {
      worker = await start({ useSQLite, persist: storage });
    });
    after(async () => {
      await worker?.dispose();
      rmSync(storage, { recursive: true, force: true });
    });

    test("a client with Last-Event-ID gets exactly what it missed; one from before the window gets reset", async () => {
      const client = await enter(worker, "replay");
      const seen = [await post(worker, "replay", "one"), await post(worker, "replay", "two")];
      const live = await client.events.take(2);
      assert.deepEqual(live.map((e) => e.id), seen);
      client.abort.abort();
      const missed = [await post(worker, "replay", "three"), await post(worker, "replay", "four")];
      // Fill room "trim" past its window of HISTORY messages.
      const oldest = await post(worker, "trim", "0");
      for (let i = 1; i <= HISTORY + 5; i++) await post(worker, "trim", String(i));

      await worker.dispose();
      worker = await start({ useSQLite, persist: storage });

      const back = await enter(worker, "replay", seen[1]);
      const replayed = await back.events.take(2);
      assert.deepEqual(replayed.map((e) => e.id), missed);
      assert.deepEqual(texts(replayed), ["three", "four"]);
      const five = await post(worker, "replay", "five");
      const [next] = await back.events.take(1);
      assert.deepEqual([next.id, JSON.parse(next.data).text], [five, "five"], "live, no duplicate");
      // A first visit gets the recent history (replay: 50).
      const fresh = await enter(worker, "replay");
      assert.deepEqual(texts(await fresh.events.take(5)), ["one", "two", "three", "four", "five"]);

      const late = await enter(worker, "trim", oldest);
      const [reset] = await late.events.take(1);
      assert.equal(reset.event, "reset");
      const stranger = await enter(worker, "trim", "zzzzzzzz-1");
      assert.equal((await stranger.events.take(1))[0].event, "reset");
      const after = await post(worker, "trim", "after");
      assert.equal((await late.events.take(1))[0].id, after, "then live events");
      for (const c of [back, fresh, late, stranger]) c.abort.abort();
    });
  });
}

describe("without enable_request_signal", () => {
  let worker: Workerd;
  before(async () => {
    worker = await start({ flags: [] });
  });
  after(async () => {
    await worker?.dispose();
  });

  test("a client that leaves still leaves the room (its body is cancelled)", async () => {
    const clients = await Promise.all(Array.from({ length: 3 }, () => enter(worker, "noflag")));
    assert.equal(await subscribers(worker, "noflag"), 3);
    for (const client of clients) client.abort.abort();
    const took = await subscribersReach(worker, "noflag", 0, 3 * HEARTBEAT_MS + 2_000);
    console.log(`without the flag, 3 aborted clients left after ${took} ms`);
    assert.ok(took <= 2 * HEARTBEAT_MS + MARGIN, `${took} ms`);
  });
});
