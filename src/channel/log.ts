/**
 * `ChannelLog`: the one order of a channel's events, shared by every
 * instance that serves the channel. The log assigns each event its position;
 * the SSE id carries the log's epoch and that position, so a client that
 * reconnects to any instance resumes exactly after the last event it saw, or
 * learns (with one `reset` event) that it cannot.
 *
 * Implementations: the memory log (one process), `RedisStreamLog` (Redis
 * Streams, from `edge-sse/redis`) and `DurableObjectLog` (a Durable Object's
 * storage, on Cloudflare Workers).
 *
 * @module
 */

/** One stored event: where the log put it, and what was stored. */
export interface LogEntry {
  /**
   * The SSE id written on the `id:` line: the epoch and the offset, opaque
   * to clients. A log shared by instances spells it with
   * {@linkcode formatLogId} (`"k3x9f2-42"`): the channel reads a client's
   * position back from it with {@linkcode parseLogId}.
   */
  readonly id: string;
  /**
   * The epoch: changes whenever the log's history is lost (a new stream, a
   * flushed Redis, a failover to an empty replica), so ids from before
   * cannot be mistaken for positions in the new history.
   */
  readonly epoch: string;
  /** The position within the epoch: 1 for the first event, then one more per event. */
  readonly offset: number;
  /** What was appended: the channel's envelope of the event (its id not included). */
  readonly envelope: string;
}

/** What {@linkcode ChannelLog.read} finds. */
export type LogRead =
  /**
   * Every entry after the asked position, oldest first: empty when the
   * position is the newest entry (`after`) or the log is empty (`last`).
   */
  | { readonly entries: readonly LogEntry[] }
  /** The position is outside the retained window, or from another epoch: replay nothing. */
  | { readonly reset: true };

/** Where to start a {@linkcode ChannelLog.read}. */
export type LogPosition =
  /** After the event with this SSE id (a reconnecting client's `Last-Event-ID`). */
  | { readonly after: string }
  /** The last `count` entries (a first visit asking for recent history). */
  | { readonly last: number };

/**
 * A channel's shared, ordered log. Every method may be called from any
 * instance; the guarantees hold across instances.
 *
 * - `append` resolves only once the entry is stored (for Redis: acknowledged
 *   by the server) and rejects, within a bounded time, when it was not.
 * - The tail started by `open` hands the listener every entry appended after
 *   `open` resolved, by any instance, exactly once, in offset order, with no
 *   gap: after a lost connection it resumes from the last offset it delivered.
 *   When it cannot (the entries it missed were trimmed meanwhile, or the log
 *   lost its history and started a new epoch) it goes on with the next entry
 *   it has; the channel sees the jump in epoch or offset and sends its
 *   subscribers one `reset` event.
 * - `read` is all-or-nothing: every entry after the position, or `reset`.
 */
export interface ChannelLog {
  /**
   * Connects and starts the tail. `onEntry` receives entries in log order;
   * `onError` receives failures the log recovers from by itself (a dropped
   * connection it re-opens), for reporting. Called once, by the channel.
   */
  open(
    onEntry: (entry: LogEntry) => void,
    onError: (error: unknown) => void,
  ): Promise<void>;
  /** Stores `envelope` at the next position; resolves with its entry once stored. */
  append(envelope: string): Promise<LogEntry>;
  /** Reads the retained entries from `position`, all or nothing. */
  read(position: LogPosition): Promise<LogRead>;
  /** Stops the tail and releases what the log opened itself (the caller's client stays open). */
  close(): Promise<void>;
}

/**
 * The SSE id of the entry at `offset` in `epoch`: `"<epoch>-<offset>"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatLogId } from "@edge-sse/core";
 *
 * assert.equal(formatLogId("k3x9f2", 42), "k3x9f2-42");
 * ```
 */
export function formatLogId(epoch: string, offset: number): string {
  return `${epoch}-${offset}`;
}

/**
 * The epoch and offset of an id made by {@linkcode formatLogId}, or `null`
 * for any other string (an id the log never wrote).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLogId } from "@edge-sse/core";
 *
 * assert.deepEqual(parseLogId("k3x9f2-42"), { epoch: "k3x9f2", offset: 42 });
 * assert.equal(parseLogId("42"), null);
 * ```
 */
export function parseLogId(id: string): { epoch: string; offset: number } | null {
  const dash = id.lastIndexOf("-");
  if (dash < 1 || !/^[1-9]\d{0,15}$/.test(id.slice(dash + 1))) return null;
  const offset = Number(id.slice(dash + 1));
  return Number.isSafeInteger(offset) ? { epoch: id.slice(0, dash), offset } : null;
}
