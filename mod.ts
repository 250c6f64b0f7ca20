/**
 * edge-sse: Server-Sent Events for web-standard runtimes (Deno, Bun,
 * Cloudflare Workers, Node through a fetch adapter).
 *
 * One call turns a `Request` and a handler into a streaming `Response`. The
 * handler learns through `stream.signal` the moment the stream ends, for any
 * reason; heartbeats, time limits, backpressure and `Last-Event-ID` are
 * options, not code you write.
 *
 * @example
 * ```ts ignore
 * import { sse } from "@edge-sse/core";
 *
 * Deno.serve((request) =>
 *   sse(request, async (stream) => {
 *     let n = 0;
 *     while (await stream.send({ event: "tick", id: ++n, data: { n } })) {
 *       await stream.sleep(1000);
 *     }
 *   })
 * );
 * ```
 *
 * @module
 */

export { type Backplane, BroadcastChannelBackplane } from "./src/channel/backplane.ts";
export { Channel } from "./src/channel/channel.ts";
export type { ChannelOptions, SubscribeOptions } from "./src/channel/channel_options.ts";
export {
  DurableObjectLog,
  type DurableObjectLogOptions,
  type DurableObjectLogStorage,
} from "./src/channel/durable_object_log.ts";
export { type CloseReason, StreamClosed } from "./src/closed.ts";
export { encodeEvent, formatEvent, type SSEEvent } from "./src/format.ts";
export { MemoryLog, type MemoryLogOptions } from "./src/channel/memory_log.ts";
export {
  type ChannelEvent,
  type ChannelMessage,
  createMessage,
  decodeMessage,
  encodeMessage,
} from "./src/channel/message.ts";
export {
  type ChannelLog,
  formatLogId,
  type LogEntry,
  type LogPosition,
  type LogRead,
  parseLogId,
} from "./src/channel/log.ts";
export type { CloseOptions, HeartbeatOptions, SSEOptions } from "./src/options.ts";
export type { FinalEvents, ServerCloseReason } from "./src/final.ts";
export { type DrainOptions, Shutdown } from "./src/shutdown.ts";
export {
  RedisBackplane,
  type RedisBackplaneOptions,
  type RedisPublisher,
  type RedisSubscriber,
} from "./src/channel/redis_backplane.ts";
export { type Source, sse } from "./src/sse.ts";
export type { SSEStream } from "./src/stream.ts";
