/**
 * The options of {@linkcode Channel} and of `Channel.subscribe()`, and their
 * validation.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";
import { type History, MemoryHistory, type MemoryHistoryOptions } from "./history.ts";
import type { ChannelEvent } from "./message.ts";
import type { SSEStream } from "../writer.ts";
import { checkKeys } from "../_validate.ts";

/** Options of {@linkcode Channel}. */
export interface ChannelOptions<T = unknown> {
  /**
   * Recent messages kept for replay: `{ size, ttl }` for the in-memory ring
   * buffer (default `{ size: 1000 }`), your own {@linkcode History}, or
   * `false` for no replay.
   */
  history?: MemoryHistoryOptions | History<T> | false;
  /**
   * Give events published without an `id` an increasing one (default
   * `true`): the millisecond clock, or one more than the largest id seen when
   * that is larger, so ids keep increasing across restarts and instances.
   * With a backplane the id also names the instance (`1754312345678-9f3a1c2e`),
   * so two instances publishing in the same millisecond never share an id.
   */
  ids?: boolean;
  /**
   * When a subscriber's last event id is not in the history (too old, or
   * from before a restart): `"reset"` (default) sends a `reset` event
   * (`data: {"lastEventId": "..."}`) so the client reloads its state, then
   * live events; `"all"` sends every message the history holds, then live
   * events.
   */
  onMissingId?: "reset" | "all";
  /** Carries messages to and from the channel's other instances. {@linkcode Channel.close} closes it. */
  backplane?: Backplane;
  /** Called when the backplane or the history fails (default: `console.error`). */
  onError?: (error: unknown) => void;
}

/** Options of {@linkcode Channel.subscribe}. */
export interface SubscribeOptions<T = unknown> {
  /** Only events for which this returns `true` reach the stream (replayed ones too). */
  filter?: (event: ChannelEvent<T>) => boolean;
  /** Replay what came after this id (default: `stream.lastEventId`); `null` for no replay. */
  lastEventId?: string | null;
}

/** Channel options after validation. */
export interface ChannelConfig<T> {
  history: History<T> | null;
  ids: boolean;
  onMissingId: "reset" | "all";
  backplane: Backplane | null;
  onError: (error: unknown) => void;
}

const CHANNEL_KEYS = new Set(["history", "ids", "onMissingId", "backplane", "onError"]);

/** Validates `options`, throwing a `TypeError` or `RangeError` that says what to fix. */
export function resolveChannelOptions<T>(options: ChannelOptions<T>): ChannelConfig<T> {
  if (options === null || typeof options !== "object") {
    throw new TypeError("Channel: `options` must be an object");
  }
  checkKeys("Channel", options, CHANNEL_KEYS);
  if (options.ids !== undefined && typeof options.ids !== "boolean") {
    throw new TypeError("Channel: `ids` must be a boolean");
  }
  const onMissingId = options.onMissingId ?? "reset";
  if (onMissingId !== "reset" && onMissingId !== "all") {
    throw new TypeError(
      `Channel: \`onMissingId\` must be "reset" or "all", got ${JSON.stringify(onMissingId)}`,
    );
  }
  const onError = options.onError ??
    ((error: unknown) => console.error("edge-sse: channel", error));
  if (typeof onError !== "function") throw new TypeError("Channel: `onError` must be a function");
  const backplane = options.backplane ?? null;
  if (
    backplane !== null &&
    (typeof backplane.publish !== "function" || typeof backplane.subscribe !== "function" ||
      typeof backplane.close !== "function")
  ) {
    throw new TypeError("Channel: `backplane` must have publish(), subscribe() and close()");
  }
  return {
    history: resolveHistory(options.history),
    ids: options.ids ?? true,
    onMissingId,
    backplane,
    onError,
  };
}

/** Validates the arguments of `Channel.subscribe()`. */
export function resolveSubscribeOptions<T>(
  stream: SSEStream,
  options: SubscribeOptions<T>,
): { filter: ((event: ChannelEvent<T>) => boolean) | null; lastEventId: string | null } {
  if (
    stream === null || typeof stream !== "object" || typeof stream.send !== "function" ||
    typeof stream.close !== "function" || !(stream.closed instanceof Promise) ||
    typeof stream.signal?.addEventListener !== "function"
  ) {
    throw new TypeError(
      "Channel.subscribe(): `stream` must be an SSEStream (the argument sse() passes to its handler)",
    );
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "Channel.subscribe(): `options` must be an object like { filter, lastEventId }",
    );
  }
  const { filter = null, lastEventId = stream.lastEventId } = options;
  if (filter !== null && typeof filter !== "function") {
    throw new TypeError("Channel.subscribe(): `filter` must be a function");
  }
  if (lastEventId !== null && typeof lastEventId !== "string") {
    throw new TypeError("Channel.subscribe(): `lastEventId` must be a string or null");
  }
  return { filter, lastEventId: lastEventId === "" ? null : lastEventId };
}

function resolveHistory<T>(history: ChannelOptions<T>["history"]): History<T> | null {
  if (history === false) return null;
  if (history === undefined) return new MemoryHistory<T>();
  if (history === null || typeof history !== "object") {
    throw new TypeError(
      "Channel: `history` must be { size?, ttl? }, an object with append() and after(), or false",
    );
  }
  if ("append" in history || "after" in history) {
    const custom = history as History<T>;
    if (typeof custom.append !== "function" || typeof custom.after !== "function") {
      throw new TypeError("Channel: a custom `history` must have append() and after() methods");
    }
    return custom;
  }
  return new MemoryHistory<T>(history as MemoryHistoryOptions);
}
