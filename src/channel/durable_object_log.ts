/**
 * `DurableObjectLog`: a {@linkcode ChannelLog} kept in a Cloudflare Durable
 * Object's storage (`ctx.storage`), for a `Channel` that lives in the object
 * (one object per room). Events survive the object being evicted or
 * restarted, so a reconnecting client resumes after its `Last-Event-ID`.
 *
 * @module
 */

import {
  type ChannelLog,
  formatLogId,
  type LogEntry,
  type LogPosition,
  type LogRead,
  parseLogId,
} from "./log.ts";

/**
 * The part of a Durable Object's storage the log uses: the key-value methods
 * that both KV-backed and SQLite-backed objects offer (`ctx.storage` fits;
 * no Cloudflare types needed).
 */
export interface DurableObjectLogStorage {
  /** The value stored at `key`, or `undefined`. */
  get(key: string): Promise<unknown>;
  /** Stores `value` at `key`. */
  put(key: string, value: unknown): Promise<void>;
  /** Deletes up to 128 keys; resolves with how many existed. */
  delete(keys: string[]): Promise<number>;
  /** The entries whose keys match, in key order (UTF-8 bytes), reversed with `reverse`. */
  list(options: {
    prefix?: string;
    start?: string;
    end?: string;
    reverse?: boolean;
    limit?: number;
  }): Promise<Map<string, unknown>>;
}

/** Options of {@linkcode DurableObjectLog}. */
export interface DurableObjectLogOptions {
  /** The object's storage: `ctx.storage` (`this.ctx.storage` in a `DurableObject` class). */
  storage: DurableObjectLogStorage;
  /** Names the log's keys, so one object can hold several logs (default `"sse"`). */
  key?: string;
  /** How many entries to keep (default 1 000); each append past it deletes the oldest. */
  maxLength?: number;
}

interface State {
  epoch: string;
  /** The last offset handed out (its write may still be pending). */
  last: number;
}

interface Pending {
  entry: LogEntry;
  written: boolean;
}

/** The KV API deletes at most 128 keys per call. */
const DELETE_BATCH = 128;

/**
 * A channel log in a Durable Object's storage. The object is the only writer,
 * so the log assigns offsets itself and hands each entry to the channel once
 * its write resolved, in offset order. Ids look like `"k3x9f2ab-42"`: an epoch
 * chosen when the log's storage was empty, then the offset. Replay is all or
 * nothing: an id older than the last `maxLength` entries, from another epoch
 * (the storage was wiped), or from the future reads as `reset`.
 *
 * @example An append, then a reconnecting client's read
 * ```ts
 * import assert from "node:assert/strict";
 * import { DurableObjectLog } from "@edge-sse/core";
 *
 * // In a Durable Object: new DurableObjectLog({ storage: ctx.storage }). Here, a stand-in:
 * const data = new Map<string, unknown>();
 * const storage = {
 *   get: async (key: string) => data.get(key),
 *   put: async (key: string, value: unknown) => void data.set(key, value),
 *   delete: async (keys: string[]) => keys.filter((key) => data.delete(key)).length,
 *   list: async (
 *     { prefix = "", start = "", end = "\u{10ffff}", reverse = false, limit = Infinity }: {
 *       prefix?: string; start?: string; end?: string; reverse?: boolean; limit?: number;
 *     },
 *   ) => {
 *     const keys = [...data.keys()]
 *       .filter((key) => key.startsWith(prefix) && key >= start && key < end)
 *       .sort();
 *     if (reverse) keys.reverse();
 *     return new Map(keys.slice(0, limit).map((key) => [key, data.get(key)]));
 *   },
 * };
 * const log = new DurableObjectLog({ storage, maxLength: 100 });
 * const first = await log.append('{"data":"hello"}');
 * await log.append('{"data":"world"}');
 * const read = await log.read({ after: first.id });
 * assert.ok("entries" in read);
 * assert.deepEqual(read.entries.map((entry) => entry.envelope), ['{"data":"world"}']);
 * assert.deepEqual(await log.read({ after: "other-1" }), { reset: true });
 * ```
 */
export class DurableObjectLog implements ChannelLog {
  #storage: DurableObjectLogStorage;
  #meta: string;
  #prefix: string;
  #maxLength: number;
  #state: Promise<State> | null = null;
  #pending: Pending[] = [];
  #listener: ((entry: LogEntry) => void) | null = null;
  #closed = false;

  /** Throws a `TypeError` or `RangeError` for invalid options. */
  constructor(options: DurableObjectLogOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        "Cannot create a DurableObjectLog: `options` must be an object like { storage }",
      );
    }
    const { storage, key = "sse", maxLength = 1000 } = options;
    for (const method of ["get", "put", "delete", "list"] as const) {
      if (typeof storage?.[method] !== "function") {
        throw new TypeError(
          `Cannot create a DurableObjectLog: \`storage\` must be a Durable Object's ctx.storage (no ${method}())`,
        );
      }
    }
    if (typeof key !== "string" || key === "") {
      throw new TypeError("Cannot create a DurableObjectLog: `key` must be a non-empty string");
    }
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
      throw new RangeError(
        `Cannot create a DurableObjectLog: \`maxLength\` must be a positive integer, got ${maxLength}`,
      );
    }
    this.#storage = storage;
    this.#meta = `${key}:meta`;
    this.#prefix = `${key}:entry:`;
    this.#maxLength = maxLength;
  }

  /** Loads the epoch and the last offset from storage, then hands every new entry to `onEntry`. */
  async open(
    onEntry: (entry: LogEntry) => void,
    _onError?: (error: unknown) => void,
  ): Promise<void> {
    await this.#load();
    this.#listener = onEntry;
  }

  /**
   * Stores `envelope` at the next offset. Resolves once `storage.put()`
   * resolved (the Durable Object's output gate then holds every outgoing
   * message until the write is durable); rejects if it failed, leaving that
   * offset unused (the channel's subscribers then see the jump and get a
   * `reset`; a failing storage usually means workerd resets the object).
   */
  async append(envelope: string): Promise<LogEntry> {
    if (typeof envelope !== "string") {
      throw new TypeError("Cannot append to a DurableObjectLog: `envelope` must be a string");
    }
    if (this.#closed) throw new Error("Cannot append to a DurableObjectLog: it is closed");
    const state = await this.#load();
    const offset = ++state.last;
    const entry: LogEntry = {
      id: formatLogId(state.epoch, offset),
      epoch: state.epoch,
      offset,
      envelope,
    };
    const pending: Pending = { entry, written: false };
    this.#pending.push(pending);
    // Both calls before any await: the object commits them as one atomic write.
    const writes = [this.#storage.put(this.#keyOf(offset), envelope)];
    if (offset > this.#maxLength) {
      writes.push(this.#storage.delete([this.#keyOf(offset - this.#maxLength)]).then(() => {}));
    }
    try {
      await Promise.all(writes);
    } catch (error) {
      this.#pending.splice(this.#pending.indexOf(pending), 1);
      this.#deliver();
      throw new Error(`Cannot append to a DurableObjectLog: storage.put() failed`, {
        cause: error,
      });
    }
    pending.written = true;
    this.#deliver();
    return entry;
  }

  /** Every retained entry after `position` (oldest first), or `reset`. */
  async read(position: LogPosition): Promise<LogRead> {
    const state = await this.#load();
    if ("last" in position) {
      const count = position.last;
      if (!Number.isSafeInteger(count) || count < 0) {
        throw new RangeError(
          `Cannot read a DurableObjectLog: \`last\` must be a count, got ${count}`,
        );
      }
      if (count === 0) return { entries: [] };
      const found = await this.#storage.list({
        prefix: this.#prefix,
        reverse: true,
        limit: Math.min(count, this.#maxLength),
      });
      return { entries: this.#entries(found, state).reverse() };
    }
    const id = parseLogId(position.after);
    if (id === null || id.epoch !== state.epoch) return { reset: true };
    const after = id.offset;
    if (after > state.last || after < state.last - this.#maxLength) return { reset: true };
    if (after === state.last) return { entries: [] };
    const found = await this.#storage.list({
      start: this.#keyOf(after + 1),
      end: this.#keyOf(state.last + 1),
      prefix: this.#prefix,
    });
    const entries = this.#entries(found, state);
    // Appends after the check may have trimmed the window: never a partial replay.
    if (entries[0]?.offset !== after + 1) return { reset: true };
    return { entries };
  }

  /** Stops handing entries to the channel; later appends reject. The storage stays. */
  close(): Promise<void> {
    this.#closed = true;
    this.#listener = null;
    return Promise.resolve();
  }

  #keyOf(offset: number): string {
    return this.#prefix + String(offset).padStart(16, "0");
  }

  #entries(found: Map<string, unknown>, state: State): LogEntry[] {
    const entries: LogEntry[] = [];
    for (const [key, envelope] of found) {
      const offset = Number(key.slice(this.#prefix.length));
      if (!Number.isSafeInteger(offset) || typeof envelope !== "string") continue;
      entries.push({ id: formatLogId(state.epoch, offset), epoch: state.epoch, offset, envelope });
    }
    return entries;
  }

  /** Hands the written entries at the head of the queue to the channel, in offset order. */
  #deliver(): void {
    while (this.#pending.length > 0 && this.#pending[0].written) {
      const { entry } = this.#pending.shift()!;
      this.#listener?.(entry);
    }
  }

  #load(): Promise<State> {
    this.#state ??= this.#read();
    // A failed load (storage unavailable) is retried by the next call.
    this.#state.catch(() => this.#state = null);
    return this.#state;
  }

  async #read(): Promise<State> {
    const meta = await this.#storage.get(this.#meta) as { epoch?: unknown } | undefined;
    const newest = await this.#storage.list({ prefix: this.#prefix, reverse: true, limit: 1 });
    const [lastKey] = newest.keys();
    const last = lastKey === undefined ? 0 : Number(lastKey.slice(this.#prefix.length)) || 0;
    let epoch = typeof meta?.epoch === "string" ? meta.epoch : "";
    if (!/^[0-9a-z]{1,16}$/.test(epoch)) {
      epoch = newEpoch();
      await this.#storage.put(this.#meta, { epoch });
    }
    await this.#trim(last);
    return { epoch, last };
  }

  /** Deletes what a smaller `maxLength` than before no longer keeps. */
  async #trim(last: number): Promise<void> {
    const end = this.#keyOf(Math.max(0, last - this.#maxLength) + 1);
    while (true) {
      const old = await this.#storage.list({ prefix: this.#prefix, end, limit: DELETE_BATCH });
      if (old.size === 0) return;
      await this.#storage.delete([...old.keys()]);
    }
  }
}

function newEpoch(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8);
}
