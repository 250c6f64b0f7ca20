/**
 * `RedisStreamLog`: a channel's log in a Redis Stream, shared by every
 * instance that serves the channel. One order everywhere, nothing
 * acknowledged lost, replay all or nothing.
 *
 * @module
 */

import {
  adaptRedisClient,
  type RedisClientAdapter,
  type RedisConnection,
  withTimeout,
} from "./_redis_client.ts";
import { APPEND, READ, Script } from "./_redis_scripts.ts";
import {
  type ChannelLog,
  formatLogId,
  type LogEntry,
  type LogPosition,
  type LogRead,
  parseLogId,
} from "./log.ts";

/** Options of {@linkcode RedisStreamLog}. */
export interface RedisStreamLogOptions {
  /**
   * A connected client of node-redis (`createClient()`), ioredis
   * (`new Redis()`) or Bun (`new RedisClient()`). It stays yours: the log
   * opens one more connection like it for its blocking reads, and closes
   * only that one.
   */
  redis: unknown;
  /**
   * The stream's key; the epoch and last offset live next to it in
   * `<key>:meta`. In Redis Cluster, put a hash tag in it (`"{chat:lobby}"`)
   * so both keys are in one slot.
   */
  key: string;
  /** Entries kept for replay (default 10 000), trimmed approximately (`MAXLEN ~`). */
  maxLength?: number;
  /**
   * Milliseconds the log is kept after its last event (default: forever).
   * When it expires, the next event starts a new epoch: clients that come
   * back with an older id get `reset`.
   */
  ttl?: number;
  /** Milliseconds `append` (so `publish()`) waits for Redis before it rejects (default 5 000). */
  timeout?: number;
}

/** How long a blocking read waits before the tail checks the epoch (ms). */
const BLOCK_MS = 1000;

/**
 * A {@linkcode ChannelLog} in a Redis Stream. `append` runs one Lua script
 * that takes the next offset from the meta hash and adds the entry with the
 * offset as its stream id, so every instance sees one order; the channel's
 * `publish()` resolves once Redis has answered. Each instance tails the
 * stream with `XREAD BLOCK` on its own connection, from the last offset it
 * delivered: after a cut connection it goes on from there, so nothing stored
 * meanwhile is missed (unlike pub/sub).
 *
 * @example node-redis
 * ```ts ignore
 * import { createClient } from "redis";
 * import { Channel } from "edge-sse";
 * import { RedisStreamLog } from "edge-sse/redis";
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const room = new Channel({ log: new RedisStreamLog({ redis, key: "chat:lobby", maxLength: 10_000 }) });
 * await room.ready;
 * const id = await room.publish({ event: "message", data: { text: "hi" } }); // stored in Redis
 * ```
 */
export class RedisStreamLog implements ChannelLog {
  /** The stream's key (the meta hash is `<key>:meta`). */
  readonly key: string;
  #client: RedisClientAdapter;
  #keys: [string, string];
  #maxLength: number;
  #ttl: number;
  #timeout: number;
  #append = new Script(APPEND);
  #read = new Script(READ);
  #state: "new" | "open" | "closed" = "new";
  #reader: RedisConnection | null = null;
  #tail: Promise<void> = Promise.resolve();

  /** Throws a `TypeError` or `RangeError` for invalid options. */
  constructor(options: RedisStreamLogOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        "Cannot create a RedisStreamLog: `options` must be { redis, key, maxLength?, ttl? }",
      );
    }
    const { redis, key, maxLength = 10_000, ttl, timeout = 5000 } = options;
    if (typeof key !== "string" || key === "") {
      throw new TypeError("Cannot create a RedisStreamLog: `key` must be a non-empty string");
    }
    for (const [name, value] of [["maxLength", maxLength], ["ttl", ttl], ["timeout", timeout]]) {
      if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < 1)) {
        throw new RangeError(
          `Cannot create a RedisStreamLog: \`${name}\` must be a positive whole number, got ${
            String(value)
          }`,
        );
      }
    }
    this.#client = adaptRedisClient(redis);
    this.key = key;
    this.#keys = [key, `${key}:meta`];
    this.#maxLength = maxLength;
    this.#ttl = ttl ?? 0;
    this.#timeout = timeout;
  }

  async open(onEntry: (entry: LogEntry) => void, onError: (error: unknown) => void): Promise<void> {
    if (this.#state !== "new") throw new Error("Cannot open a RedisStreamLog twice");
    this.#state = "open";
    const start = await this.#position(this.#client.main, { mode: "top" });
    this.#tail = this.#follow(start.epoch, start.top, onEntry, onError);
  }

  async append(envelope: string): Promise<LogEntry> {
    if (this.#state === "closed") throw new Error("Cannot append: the log is closed");
    const reply = await withTimeout(
      this.#append.run(this.#client.main, this.#keys, [
        newEpoch(),
        String(this.#ttl),
        envelope,
        String(this.#maxLength),
      ]),
      this.#timeout,
      "append to the Redis stream",
    ) as unknown[];
    const epoch = String(reply[0]);
    const offset = Number(reply[1]);
    return { id: formatLogId(epoch, offset), epoch, offset, envelope };
  }

  async read(position: LogPosition): Promise<LogRead> {
    let args: string[];
    if ("after" in position) {
      const parsed = parseLogId(position.after);
      if (parsed === null) return { reset: true };
      args = ["after", parsed.epoch, String(parsed.offset)];
    } else {
      if (position.last < 1) return { entries: [] };
      args = ["last", String(Math.min(position.last, Number.MAX_SAFE_INTEGER))];
    }
    const reply = await withTimeout(
      this.#read.run(this.#client.main, this.#keys, [newEpoch(), String(this.#ttl), ...args]),
      this.#timeout,
      "read the Redis stream",
    ) as unknown[];
    if (reply[2] === "reset") return { reset: true };
    const entries = streamEntries(reply[3]);
    if ("last" in position) entries.reverse();
    return { entries };
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    const reader = this.#reader;
    this.#reader = null;
    await reader?.close();
    await this.#tail;
  }

  /** The epoch (created if missing) and the last offset. */
  async #position(
    connection: RedisConnection,
    { mode }: { mode: "top" },
  ): Promise<{ epoch: string; top: number }> {
    const reply = await withTimeout(
      this.#read.run(connection, this.#keys, [newEpoch(), String(this.#ttl), mode]),
      this.#timeout,
      "read the Redis stream's position",
    ) as unknown[];
    return { epoch: String(reply[0]), top: Number(reply[1]) };
  }

  /**
   * The tail: `XREAD BLOCK` from the last delivered offset, on a connection
   * of its own, re-opened after any failure. A quiet read (timeout) checks
   * the epoch: after Redis lost its data, the new epoch's stream starts
   * again at offset 1, below the position the tail waits after.
   */
  async #follow(
    epoch: string,
    last: number,
    onEntry: (entry: LogEntry) => void,
    onError: (error: unknown) => void,
  ): Promise<void> {
    let backoff = 50;
    while (this.#state === "open") {
      try {
        const reader = this.#reader ??= await this.#client.open(onError, this.#timeout);
        if (this.#state !== "open") return void await reader.close();
        const reply = await withTimeout(
          reader.send([
            "XREAD",
            "COUNT",
            "1000",
            "BLOCK",
            String(BLOCK_MS),
            "STREAMS",
            this.key,
            String(last),
          ]),
          BLOCK_MS + this.#timeout,
          "read the Redis stream",
        );
        backoff = 50;
        const entries = streamEntries(xreadEntries(reply));
        if (entries.length === 0) {
          const now = await this.#position(reader, { mode: "top" });
          if (now.epoch !== epoch) [epoch, last] = [now.epoch, 0];
          continue;
        }
        for (const entry of entries) {
          if (this.#state !== "open") return;
          if (entry.epoch !== epoch) {
            // A new epoch whose stream grew past our position: start it from its beginning.
            [epoch, last] = [entry.epoch, 0];
            break;
          }
          last = entry.offset;
          onEntry(entry);
        }
      } catch (error) {
        if (this.#state !== "open") return;
        onError(error);
        const reader = this.#reader;
        this.#reader = null;
        await reader?.close().catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 1000);
      }
    }
  }
}

/** A fresh epoch: 8 random letters and digits. */
function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return [...bytes].map((byte) => "abcdefghijklmnopqrstuvwxyz0123456789"[byte % 36]).join("");
}

/** The `[id, fields]` pairs of an XREAD reply (RESP2 arrays, or RESP3 maps), or none. */
function xreadEntries(reply: unknown): unknown {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) return (reply[0] as unknown[] | undefined)?.[1] ?? [];
  if (reply instanceof Map) return [...reply.values()][0] ?? [];
  return Object.values(reply as object)[0] ?? [];
}

/** Log entries of stream entries (`[id, [field, value, ...]]`). */
function streamEntries(raw: unknown): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const item of (raw ?? []) as [unknown, unknown][]) {
    const [streamId, fields] = item;
    const offset = Number(String(streamId).split("-")[0]);
    let epoch = "";
    let envelope = "";
    const pairs = Array.isArray(fields) ? fields : Object.entries(fields as object).flat();
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] === "e") epoch = String(pairs[i + 1]);
      else if (pairs[i] === "d") envelope = String(pairs[i + 1]);
    }
    entries.push({ id: formatLogId(epoch, offset), epoch, offset, envelope });
  }
  return entries;
}
