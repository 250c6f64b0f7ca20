/**
 * The options of {@linkcode Channel} and of `Channel.subscribe()`, and their
 * validation.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";
import type { ChannelLog } from "./log.ts";
import { MemoryLog, type MemoryLogOptions } from "./memory_log.ts";
import type { ChannelEvent } from "./message.ts";
import type { SSEStream } from "../stream.ts";
import { checkKeys } from "../_validate.ts";
import { Writer } from "../writer.ts";

/** Options of {@linkcode Channel}. */
export interface ChannelOptions<T = unknown> {
  /**
   * The channel's log: it gives every event its position (its SSE id) and
   * keeps recent ones for replay. Default: a {@linkcode MemoryLog} with the
   * `history` options. A log shared by instances (`RedisStreamLog` from
   * `edge-sse/redis`, `DurableObjectLog`) gives one order and lossless
   * replay across all of them. {@linkcode Channel.close} closes it.
   */
  log?: ChannelLog;
  /**
   * Retention of the default memory log: `{ size, ttl }` (default
   * `{ size: 1000 }`), or `false` for no replay at all (a reconnecting
   * client gets live events only, no `reset`). Not with `log`.
   */
  history?: MemoryLogOptions | false;
  /**
   * Write each event's id (default `true`): the log's position,
   * `"<epoch>-<offset>"`, which a reconnecting client sends back as
   * `Last-Event-ID` to resume. `false` writes no `id:` line.
   */
  ids?: boolean;
  /**
   * When a subscriber's last event id is not in the log (too old, or from
   * another epoch: a restarted process, a flushed Redis): `"reset"`
   * (default) sends a `reset` event (`data: {"lastEventId": "..."}`) so the
   * client reloads its state, then live events; `"all"` sends every entry
   * the log holds, then live events.
   */
  onMissingId?: "reset" | "all";
  /**
   * Carries events to and from the channel's other instances, at most once
   * (each instance keeps its own memory log). Not with a shared `log`.
   * {@linkcode Channel.close} closes it.
   */
  backplane?: Backplane;
  /** Called when the log or the backplane fails (default: `console.error`). */
  onError?: (error: unknown) => void;
}

/** Options of {@linkcode Channel.subscribe}. */
export interface SubscribeOptions<T = unknown> {
  /** Only events for which this returns `true` reach the stream (replayed ones too). */
  filter?: (event: ChannelEvent<T>) => boolean;
  /** Replay what came after this id (default: `stream.lastEventId`); `null` for no replay. */
  lastEventId?: string | null;
  /**
   * A client with no last event id (a first visit) first gets the last
   * `replay` events the log holds (default 0: live events only).
   */
  replay?: number;
}

/** Channel options after validation. */
export interface ChannelConfig {
  log: ChannelLog;
  /** The log, when it is the default (or a) memory log: read and appended synchronously. */
  memory: MemoryLog | null;
  /** Whether reconnecting clients get a replay (`history: false` turns it off). */
  replays: boolean;
  ids: boolean;
  onMissingId: "reset" | "all";
  backplane: Backplane | null;
  onError: (error: unknown) => void;
}

const CHANNEL_KEYS = new Set(["log", "history", "ids", "onMissingId", "backplane", "onError"]);

/** Validates `options`, throwing a `TypeError` or `RangeError` that says what to fix. */
export function resolveChannelOptions<T>(options: ChannelOptions<T>): ChannelConfig {
  if (options === null || typeof options !== "object") {
    throw new TypeError("Cannot create a Channel: `options` must be an object");
  }
  checkKeys("Cannot create a Channel", options, CHANNEL_KEYS);
  if (options.ids !== undefined && typeof options.ids !== "boolean") {
    throw new TypeError("Cannot create a Channel: `ids` must be a boolean");
  }
  const onMissingId = options.onMissingId ?? "reset";
  if (onMissingId !== "reset" && onMissingId !== "all") {
    throw new TypeError(
      `Cannot create a Channel: \`onMissingId\` must be "reset" or "all", got ${
        JSON.stringify(onMissingId)
      }`,
    );
  }
  const onError = options.onError ??
    ((error: unknown) => console.error("edge-sse: channel", error));
  if (typeof onError !== "function") {
    throw new TypeError("Cannot create a Channel: `onError` must be a function");
  }
  const backplane = options.backplane ?? null;
  if (
    backplane !== null &&
    (typeof backplane.publish !== "function" || typeof backplane.subscribe !== "function" ||
      typeof backplane.close !== "function")
  ) {
    throw new TypeError(
      "Cannot create a Channel: `backplane` must have publish(), subscribe() and close()",
    );
  }
  const log = resolveLog(options);
  if (backplane !== null && !(log instanceof MemoryLog)) {
    throw new TypeError(
      "Cannot create a Channel: a shared `log` reaches every instance by itself; remove the `backplane`",
    );
  }
  return {
    log,
    memory: log instanceof MemoryLog ? log : null,
    replays: options.history !== false,
    ids: options.ids ?? true,
    onMissingId,
    backplane,
    onError,
  };
}

/**
 * Validates the arguments of `Channel.subscribe()`. `lastEventId` is
 * `undefined` when the caller gave none: the channel reads the stream's own
 * only if it replays (on Bun, reading the request's headers makes a
 * `Headers` object that lives as long as the stream; bench/README.md).
 */
export function resolveSubscribeOptions<T>(
  stream: SSEStream,
  options: SubscribeOptions<T>,
): {
  filter: ((event: ChannelEvent<T>) => boolean) | null;
  lastEventId: string | null | undefined;
  replay: number;
} {
  // The core's own streams need no duck check (which would make every
  // stream's `closed` promise and AbortController just to look at them).
  if (
    !(stream instanceof Writer) &&
    (stream === null || typeof stream !== "object" || typeof stream.send !== "function" ||
      typeof stream.close !== "function" || !(stream.closed instanceof Promise) ||
      typeof stream.signal?.addEventListener !== "function")
  ) {
    throw new TypeError(
      "Cannot subscribe: `stream` must be an SSEStream (the argument sse() passes to its handler)",
    );
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "Cannot subscribe: `options` must be an object like { filter, lastEventId, replay }",
    );
  }
  const { filter = null, lastEventId, replay = 0 } = options;
  if (!Number.isSafeInteger(replay) || replay < 0) {
    throw new RangeError(
      `Cannot subscribe: \`replay\` must be a whole number of events (0 or more), got ${
        String(replay)
      }`,
    );
  }
  if (filter !== null && typeof filter !== "function") {
    throw new TypeError("Cannot subscribe: `filter` must be a function");
  }
  if (lastEventId !== undefined && lastEventId !== null && typeof lastEventId !== "string") {
    throw new TypeError("Cannot subscribe: `lastEventId` must be a string or null");
  }
  return { filter, lastEventId: lastEventId === "" ? null : lastEventId, replay };
}

function resolveLog<T>(options: ChannelOptions<T>): ChannelLog {
  const { log, history } = options;
  if (log !== undefined) {
    if (
      log === null || typeof log !== "object" || typeof log.open !== "function" ||
      typeof log.append !== "function" || typeof log.read !== "function" ||
      typeof log.close !== "function"
    ) {
      throw new TypeError(
        "Cannot create a Channel: `log` must be a ChannelLog (open, append, read, close)",
      );
    }
    if (history !== undefined) {
      throw new TypeError(
        "Cannot create a Channel: `history` sets the default memory log's retention; with `log`, set it on the log",
      );
    }
    return log;
  }
  if (history === false) return new MemoryLog({ size: 1 });
  if (history === undefined) return new MemoryLog();
  if (history === null || typeof history !== "object") {
    throw new TypeError("Cannot create a Channel: `history` must be { size?, ttl? } or false");
  }
  if ("append" in history || "after" in history) {
    throw new TypeError(
      "Cannot create a Channel: `history` takes { size?, ttl? }; a store of your own is a ChannelLog, passed as `log`",
    );
  }
  return new MemoryLog(history);
}
