// The idle-stream handlers users write, for the idle benchmark (bench/idle.ts)
// and its in-process breakdown (bench/idle_objects.ts). Every shape holds a
// quiet stream open with a heartbeat; only the handler differs.

import { Channel } from "../src/channel/channel.ts";
import type { SSEOptions } from "../src/options.ts";
import { sse } from "../src/sse.ts";
import type { SSEStream } from "../src/stream.ts";

/** How the handler of an idle edge-sse stream is written. */
export type Shape = "closed" | "returns" | "loop" | "channel";

export const SHAPES: readonly Shape[] = ["closed", "returns", "loop", "channel"];

/** What each shape's handler does, for tables. */
export const SHAPE_LABELS: Record<Shape, string> = {
  closed: "`(s) => s.closed`",
  returns: "sends 1 event, returns (`onReturn: false`), listens to `signal`",
  loop: "`while (await s.send()) await s.sleep(hb)`",
  channel: "`(s) => channel.subscribe(s)`",
};

/** Streams whose signal aborted (the `returns` shape counts them). */
export const shapeCounters = { aborted: 0 };

/** One channel every `channel`-shaped stream subscribes to (nobody publishes while idle). */
const channel = new Channel();

function onAbort(): void {
  shapeCounters.aborted++;
}

/** A `returns` handler: one event, then it returns; the stream stays open. */
function returns(stream: SSEStream): void {
  stream.signal.addEventListener("abort", onAbort, { once: true });
  stream.send({ data: "hello" });
}

/** The loop users write: an event every `heartbeat` ms until the stream ends. */
function looping(heartbeat: number) {
  return async (stream: SSEStream): Promise<void> => {
    while (await stream.send({ data: "tick" })) await stream.sleep(heartbeat);
  };
}

/** An idle edge-sse stream with handler `shape` and a `heartbeat` option. */
export function idleStream(
  request: Request,
  shape: Shape,
  heartbeat: number,
  server?: SSEOptions["server"],
): Response {
  switch (shape) {
    case "closed":
      return sse(request, (stream) => stream.closed, { heartbeat, server });
    case "returns":
      return sse(request, returns, { heartbeat, server, close: { onReturn: false } });
    case "loop":
      return sse(request, looping(heartbeat), { heartbeat, server });
    case "channel":
      return sse(request, (stream) => channel.subscribe(stream), { heartbeat, server });
  }
}
