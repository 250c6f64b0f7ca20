// The soak server's streams: every scenario's handler, written the way users
// write them, each recording what the orchestrator checks in `stats`.

import { formatEvent, type SSEEvent } from "../src/format.ts";
import type { SSEOptions } from "../src/options.ts";
import { sse } from "../src/sse.ts";
import type { SSEStream } from "../src/stream.ts";
import { type ReaderRecord, stats, track } from "./stats.ts";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
const isDeno = globals.Deno !== undefined;
const encoder = new TextEncoder();
const KIB = "x".repeat(1024);
const KIB_EVENT = encoder.encode(`data: ${KIB}\n\n`);
const OPEN = encoder.encode(":\n\n");
const TICK = encoder.encode("data: tick\n\n");
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The stream's queue as the library counts it (`bufferedAmount`, else the older `queuedBytes`). */
function queued(stream: SSEStream): number {
  const s = stream as unknown as { bufferedAmount?: number; queuedBytes?: number };
  return s.bufferedAmount ?? s.queuedBytes ?? 0;
}

/** Whether the library counts its queue in UTF-8 bytes (else in UTF-16 code units). */
const queueCountsBytes: boolean = (() => {
  let delta = 0;
  sse(new Request("http://localhost/"), (stream) => {
    const before = queued(stream);
    stream.send("€€€€");
    delta = queued(stream) - before;
    return stream.close();
  }, { heartbeat: false });
  return delta === formatEvent("€€€€").length + 8;
})();

/** Routes a scenario request. */
export function handle(request: Request, url: URL, server: unknown): Response {
  const q = url.searchParams;
  const options: SSEOptions = { heartbeat: 1000, server: server as SSEOptions["server"] };
  switch (url.pathname) {
    case "/cycle":
      return q.get("c") === "floor"
        ? floorCycle(request, q.get("moment")!)
        : sse(request, cycleHandler(q.get("moment")!), options);
    case "/reader":
      return reader(request, q, options);
    case "/load":
      return load(request, q.get("id")!, options);
    case "/shutdown": {
      const at = Date.now();
      shutdown.abort();
      shutdown = new AbortController();
      return Response.json({ at });
    }
    case "/acked": {
      const acked = stats.acked;
      stats.acked = {};
      return Response.json(acked);
    }
    case "/fault":
      return fault(request, q.get("kind")!, options);
    default:
      return new Response("not found", { status: 404 });
  }
}

/** Open/abort cycles: where the handler is when the client leaves. */
function cycleHandler(moment: string): (stream: SSEStream) => unknown {
  const tracked = (body: (stream: SSEStream) => unknown) => (stream: SSEStream) => {
    track(stream.closed);
    return body(stream);
  };
  switch (moment) {
    case "first-byte":
      return tracked((stream) => stream.closed);
    case "mid-send":
      return tracked(async (stream) => {
        while (await stream.send({ data: KIB }));
      });
    case "mid-sleep":
      return tracked(async (stream) => {
        while (await stream.send({ data: "tick" })) await stream.sleep(50);
      });
    default: // "return": two events, then the handler returns and the stream ends
      return tracked(async (stream) => {
        await stream.send({ data: "a" });
        await stream.send({ data: "b" });
      });
  }
}

/** The same four moments on a bare ReadableStream, for the floor. */
function floorCycle(request: Request, moment: string): Response {
  stats.floorOpened++;
  let timer: ReturnType<typeof setInterval> | undefined;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    stats.floorEnded++;
    clearInterval(timer);
  };
  if (!isDeno) request.signal.addEventListener("abort", end, { once: true });
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(OPEN);
      if (moment === "return") {
        controller.enqueue(encoder.encode("data: a\n\ndata: b\n\n"));
        controller.close();
        end();
      } else if (moment !== "mid-send") {
        const bytes = moment === "first-byte" ? OPEN : TICK;
        timer = setInterval(() => {
          try {
            controller.enqueue(bytes);
          } catch {
            end();
          }
        }, moment === "first-byte" ? 1000 : 50);
      }
    },
    pull(controller) {
      if (moment === "mid-send") controller.enqueue(KIB_EVENT);
    },
    cancel: end,
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/**
 * A producer against a slow or stalled reader for `seconds`: awaited sends,
 * or un-awaited bursts with `onSlowConsumer` "close" or "drop".
 */
function reader(request: Request, q: URLSearchParams, options: SSEOptions): Response {
  const producer = q.get("producer")!;
  const id = q.get("id")!;
  const event: SSEEvent = { data: q.get("text") === "utf8" ? "€".repeat(1024) : KIB };
  const text = formatEvent(event);
  const unitsToBytes = queueCountsBytes ? 1 : encoder.encode(text).length / text.length;
  const deadline = Date.now() + Number(q.get("seconds")) * 1000;
  const record: ReaderRecord = stats.readers[id] = {
    producer,
    peakQueueBytes: 0,
    sent: 0,
    dropped: 0,
    reason: null,
    startedAt: Date.now(),
    endedAt: 0,
  };
  const sample = (stream: SSEStream) => {
    const bytes = queued(stream) * unitsToBytes;
    if (bytes > record.peakQueueBytes) record.peakQueueBytes = bytes;
  };
  return sse(request, async (stream) => {
    track(stream.closed, (reason) => {
      record.reason = reason;
      record.endedAt = Date.now();
    });
    if (producer === "awaited") {
      while (Date.now() < deadline) {
        const sent = stream.send(event);
        record.sent++;
        sample(stream);
        if (!await sent) break;
      }
    } else {
      while (Date.now() < deadline && !stream.signal.aborted) {
        for (let i = 0; i < 64; i++) stream.send(event);
        record.sent += 64;
        sample(stream);
        await delay(1);
      }
    }
    record.dropped = stream.dropped;
    await stream.closed;
  }, { ...options, onSlowConsumer: producer === "drop" ? "drop" : "close" });
}

let shutdown = new AbortController();

/** A stream under load for the shutdown test: numbered events, each acked once send() resolved true. */
function load(request: Request, id: string, options: SSEOptions): Response {
  const data = "y".repeat(512);
  return sse(request, async (stream) => {
    track(stream.closed);
    let n = 0;
    while (await stream.send({ id: ++n, data })) {
      stats.acked[id] = n;
      if (n % 2 === 0) await stream.sleep(10);
    }
  }, { ...options, shutdown: shutdown.signal });
}

async function* failingIterable(): AsyncGenerator<SSEEvent> {
  yield { data: "one" };
  yield { data: "two" };
  throw new Error("the iterable failed");
}

/** Handlers that fail in each way users' handlers do. */
function fault(request: Request, kind: string, options: SSEOptions): Response {
  const record = (reason: string) => {
    const reasons = stats.faults[kind] ??= {};
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  };
  const fails = async (stream: SSEStream) => {
    await stream.send({ data: "before" });
    throw new Error("the handler failed");
  };
  const flood = (stream: SSEStream) => {
    for (let i = 0; i < 20_000; i++) stream.send({ data: KIB });
  };
  const handlers: Record<string, [(stream: SSEStream) => unknown, SSEOptions?]> = {
    "sync-throw": [() => {
      throw new Error("sync");
    }],
    reject: [fails],
    iterable: [() => failingIterable()],
    "invalid-send": [(stream) => stream.send({ retry: -1 })],
    "onerror-throw": [fails, {
      onError: () => {
        throw new Error("onError failed");
      },
    }],
    "onerror-async": [fails, {
      onError: (async () => {
        await delay(1);
        throw new Error("async onError failed");
      }) as unknown as SSEOptions["onError"],
    }],
    "onerror-event": [fails, { onError: () => ({ event: "failed", data: "sorry" }) }],
    flood: [flood],
    "flood-drop": [flood, { onSlowConsumer: "drop" }],
  };
  const [handler, extra] = handlers[kind];
  return sse(request, (stream) => {
    track(stream.closed, record);
    return handler(stream);
  }, { ...options, ...extra });
}
