// The `eventsource` npm package (the EventSource of Node and Deno scripts)
// against edge-sse on a real server of the runtime under test.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import { sse, type SSEStream } from "../../mod.ts";
import {
  comparable,
  type DeliveredEvent,
  EXPECTED,
  EXPECTED_JSON,
  NAMED_TYPES,
  SENT,
} from "../_events.ts";
import { expectedCounts, reconnectDelays, resumeRoute } from "../_resume.ts";
import { runtime, serve, type TestServer, within } from "../_server.ts";

const RETRY = 200;
// The package sets each MessageEvent's lastEventId to that event's own id
// (the spec says: the last id seen so far); it does send the last id seen
// so far as Last-Event-ID when it reconnects.
const OWN_IDS: DeliveredEvent[] = EXPECTED.map((event) => ({
  ...event,
  lastEventId: event.type === "json" ? "7" : "",
}));

let server: TestServer;
const resume = resumeRoute(RETRY);
let held: ((stream: SSEStream) => void) | undefined;

// deno-lint-ignore no-explicit-any
function handler(request: Request, bunServer?: any): Response {
  switch (new URL(request.url).pathname) {
    case "/kinds":
      return sse(request, async (stream) => {
        for (const event of SENT) await stream.send(event);
      }, { server: bunServer, close: { onReturn: false } });
    case "/resume":
      return resume.handle(request, bunServer);
    case "/hold":
      return sse(request, (stream) => held?.(stream), {
        server: bunServer,
        close: { onReturn: false },
      });
    default:
      return new Response("not found", { status: 404 });
  }
}

interface Client {
  source: EventSource;
  events: DeliveredEvent[];
  errors: number;
  /** Resolves once `events` has `count` events. */
  received(count: number, ms?: number): Promise<void>;
  /** Resolves when the client gives up (`readyState` CLOSED after an error). */
  gaveUp(ms?: number): Promise<void>;
}

function open(path: string, types: string[] = []): Client {
  const source = new EventSource(`${server.url}${path}`);
  const wakers = new Set<() => void>();
  const client: Client = {
    source,
    events: [],
    errors: 0,
    received: (count, ms = 3000) => waitUntil(() => client.events.length >= count, ms, "events"),
    gaveUp: (ms = 3000) =>
      waitUntil(() => source.readyState === EventSource.CLOSED, ms, "readyState CLOSED"),
  };
  const waitUntil = (done: () => boolean, ms: number, what: string) =>
    within(
      new Promise<void>((resolve) => {
        const check = () => {
          if (!done()) return;
          wakers.delete(check);
          resolve();
        };
        wakers.add(check);
        check();
      }),
      ms,
      what,
    );
  const wake = () => wakers.forEach((check) => check());
  const onEvent = (event: MessageEvent) => {
    client.events.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
    wake();
  };
  for (const type of ["message", ...types]) source.addEventListener(type, onEvent);
  source.addEventListener("error", () => {
    client.errors++;
    wake();
  });
  return client;
}

before(async () => {
  server = await serve(handler);
});

after(async () => {
  await server.close();
});

describe(`the eventsource npm client against edge-sse on ${runtime}`, () => {
  test("named events, multi-line data, JSON and unicode arrive intact", async () => {
    const client = open("/kinds", NAMED_TYPES);
    try {
      await client.received(EXPECTED.length);
      assert.deepEqual(comparable(client.events), comparable(OWN_IDS));
      assert.deepEqual(JSON.parse(client.events[2].data), EXPECTED_JSON);
      assert.equal(client.errors, 0);
    } finally {
      client.source.close();
    }
  });

  test("a stream that ends is resumed after `retry` ms from Last-Event-ID; 204 stops it", async () => {
    const client = open("/resume");
    try {
      await client.gaveUp(5000);
      assert.deepEqual(
        client.events.map((event) => [event.lastEventId, event.data]),
        expectedCounts(),
      );
      assert.deepEqual(resume.visits.map((visit) => visit.lastEventId), [null, "3", "6", "9"]);
      for (const waited of reconnectDelays(resume.visits)) {
        assert.ok(
          waited >= RETRY - 50 && waited < RETRY + 1200,
          `reconnected ${waited.toFixed(0)} ms after the end (retry: ${RETRY})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 3 * RETRY));
      assert.equal(resume.visits.length, 4, "no request after the 204");
    } finally {
      client.source.close();
    }
  });

  test("close() is seen by the handler's signal, reason client", async () => {
    const opened = new Promise<SSEStream>((resolve) => held = resolve);
    const client = open("/hold");
    const connected = new Promise((resolve) => client.source.addEventListener("open", resolve));
    const stream = await within(opened, 2000, "the handler");
    await within(connected, 2000, "open");
    client.source.close();
    assert.equal(await within(stream.closed, 1000, "the stream's end"), "client");
  });
});
