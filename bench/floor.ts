// The floor: what a bare ReadableStream does with no library at all.
// (a) one enqueue per event, (b) pre-joined chunks of about 64 KiB of whole
// events, encoded once: the most a runtime can push through one stream.
// Idle, abort and first-byte streams are a bare stream and one setInterval.
// Idle streams also have a floor per handler shape (bench/shapes.ts): the
// same handler written on a bare stream, holding what that handler holds.

import { counters, payload, type Scenario, wallNow } from "./scenario.ts";
import { type Shape, SHAPES } from "./shapes.ts";

const encoder = new TextEncoder();
const HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };
const CHUNK_BYTES = 64 * 1024;
const PING = encoder.encode(": ping\n\n");
const OPEN = encoder.encode(":\n\n");
const HELLO = encoder.encode("data: hello\n\n");
/**
 * A shape's events, encoded when sent, as a handler on a bare stream writes
 * events whose data it has just made: one shared, pre-encoded chunk for
 * every stream and turn would be a floor no handler with real data reaches
 * (on Node a fresh chunk per event costs RSS per stream; bench/README.md).
 */
const event = (data: string): Uint8Array => encoder.encode(`data: ${data}\n\n`);

/**
 * The floor's response for `scenario`; `isDeno` skips `request.signal` (see
 * src/runtime.ts). An idle stream's `shape` (bench/shapes.ts) is read from
 * the request's `?shape=` (absent: the plain floor).
 */
export function floor(request: Request, scenario: Scenario, isDeno: boolean): Response {
  if (scenario.mode === "idle") {
    const shape = new URL(request.url).searchParams.get("shape") as Shape | null;
    return idleFloor(request, scenario.heartbeat, shape, isDeno);
  }
  if (scenario.mode === "throughput") {
    const body = scenario.contender === "floor-a"
      ? perEvent(scenario.n, payload(scenario.size))
      : preJoined(scenario.n, payload(scenario.size));
    return new Response(body, { headers: HEADERS });
  }
  if (scenario.mode === "ttfb") {
    // The first event, then the stream stays open like any SSE stream.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(HELLO);
      },
    });
    return new Response(body, { headers: HEADERS });
  }
  return new Response(heartbeating(request, scenario, null, isDeno), { headers: HEADERS });
}

/** An idle floor stream: plain (`shape` null), or the handler `shape` on a bare stream. */
export function idleFloor(
  request: Request,
  heartbeat: number,
  shape: Shape | null,
  isDeno: boolean,
): Response {
  if (shape !== null && !SHAPES.includes(shape)) throw new Error(`unknown shape ${shape}`);
  const body = shape === "loop"
    ? looping(request, heartbeat, isDeno)
    : heartbeating(request, { mode: "idle", heartbeat } as Scenario, shape, isDeno);
  return new Response(body, { headers: HEADERS });
}

/** (a): one `enqueue` of freshly encoded bytes per event, paced by the stream's queue. */
function perEvent(n: number, data: string): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      while (sent < n && controller.desiredSize! > 0) {
        controller.enqueue(encoder.encode("data: " + data + "\n\n"));
        sent++;
      }
      if (sent === n) controller.close();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: CHUNK_BYTES }));
}

/** (b): the same bytes, joined into ~64 KiB chunks of whole events once, enqueued as is. */
function preJoined(n: number, data: string): ReadableStream<Uint8Array> {
  const event = "data: " + data + "\n\n";
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / event.length));
  const full = encoder.encode(event.repeat(perChunk));
  let left = n;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left >= perChunk) {
        controller.enqueue(full);
        left -= perChunk;
      } else if (left > 0) {
        controller.enqueue(full.subarray(0, left * event.length));
        left = 0;
      }
      if (left === 0) controller.close();
    },
  }, { highWaterMark: 0 });
}

function countAbort(): void {
  floorAborted.count++;
}

/** Floor streams of the `returns` shape whose request signal aborted. */
export const floorAborted = { count: 0 };

/** Every `channel`-shaped floor stream's controller (what a hand-written broadcast keeps). */
const subscribed = new Set<ReadableStreamDefaultController<Uint8Array>>();

/**
 * A bare stream with one `setInterval` heartbeat; records when it learns the
 * client left. Idle shapes add what that handler holds on a bare stream:
 * `returns` its one event and an abort listener, `closed` an async function awaiting a promise
 * that settles when the stream ends, `channel` a slot in a `Set`.
 */
function heartbeating(
  request: Request,
  scenario: Scenario,
  shape: Shape | null,
  isDeno: boolean,
): ReadableStream<Uint8Array> {
  let timer: ReturnType<typeof setInterval> | undefined;
  let ended: (() => void) | undefined;
  let self: ReadableStreamDefaultController<Uint8Array> | undefined;
  const stop = () => {
    if (timer === undefined) return;
    if (scenario.mode === "abort") counters.aborts[scenario.id] = wallNow();
    clearInterval(timer);
    timer = undefined;
    counters.floorTimers--;
    ended?.();
    if (self !== undefined) subscribed.delete(self);
  };
  if (!isDeno) request.signal.addEventListener("abort", stop, { once: true });
  // The `returns` handler's own listener (bench/shapes.ts listens to `stream.signal`).
  if (shape === "returns" && !isDeno) {
    request.signal.addEventListener("abort", countAbort, { once: true });
  }
  if (shape === "closed") {
    const closed = new Promise<void>((resolve) => ended = resolve);
    (async () => {
      await closed;
    })();
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      counters.floorTimers++;
      controller.enqueue(OPEN);
      if (shape === "returns") controller.enqueue(event("hello"));
      if (shape === "channel") subscribed.add(self = controller);
      timer = setInterval(() => {
        try {
          controller.enqueue(PING);
        } catch {
          stop();
        }
      }, scenario.heartbeat);
    },
    cancel: stop,
  });
}

/**
 * The `loop` shape on a bare stream: `while (open) { enqueue; await sleep }`,
 * a `setTimeout` per turn and no heartbeat beside it (the events are one).
 */
function looping(request: Request, interval: number, isDeno: boolean): ReadableStream<Uint8Array> {
  let open = true;
  const stop = () => {
    if (!open) return;
    open = false;
    counters.floorTimers--;
  };
  if (!isDeno) request.signal.addEventListener("abort", stop, { once: true });
  return new ReadableStream<Uint8Array>({
    start(controller) {
      counters.floorTimers++;
      controller.enqueue(OPEN);
      // Not awaited: start() would hold the stream until the loop ends.
      (async () => {
        while (open) {
          try {
            controller.enqueue(event("tick"));
          } catch {
            return stop();
          }
          await new Promise((resolve) => setTimeout(resolve, interval));
        }
      })();
    },
    cancel: stop,
  });
}
