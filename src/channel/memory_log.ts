/**
 * `MemoryLog`: a channel's log in the memory of one process, the default of
 * every {@linkcode Channel}. The same interface as the logs shared by
 * instances, so one channel implementation serves them all.
 *
 * @module
 */

import {
  type ChannelLog,
  formatLogId,
  type LogEntry,
  type LogPosition,
  type LogRead,
} from "./log.ts";

/** Options of {@linkcode MemoryLog}. */
export interface MemoryLogOptions {
  /** How many entries to keep for replay (default 1 000); the oldest go first. */
  size?: number;
  /** Milliseconds an entry is kept for replay (default: no limit). */
  ttl?: number;
}

interface Slot {
  entry: LogEntry;
  at: number;
}

/**
 * A {@linkcode ChannelLog} in memory: a ring buffer of the last `size`
 * entries (and, with `ttl`, only those younger than `ttl` ms). Its epoch is
 * new in every process, so after a restart a client's old id gets `reset`.
 * The tail is synchronous: `append` hands the entry to the listener before
 * it returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryLog } from "@edge-sse/core";
 *
 * const log = new MemoryLog({ size: 2 });
 * const first = await log.append('{"v":1,"data":"a"}');
 * await log.append('{"v":1,"data":"b"}');
 * await log.append('{"v":1,"data":"c"}');
 * await log.append('{"v":1,"data":"d"}');
 * assert.equal(first.offset, 1);
 * assert.deepEqual(await log.read({ after: first.id }), { reset: true }); // trimmed
 * const read = await log.read({ last: 5 });
 * const entries = "entries" in read ? read.entries : [];
 * assert.deepEqual(entries.map((entry) => entry.offset), [3, 4]);
 * ```
 */
export class MemoryLog implements ChannelLog {
  /** This log's epoch: random, one per instance. */
  readonly epoch: string = crypto.randomUUID().slice(0, 8);
  #size: number;
  #ttl: number;
  #slots: (Slot | undefined)[] = [];
  /** Offsets: `#first` is the oldest held, `#next` the next to append. */
  #first = 1;
  #next = 1;
  /** Offsets of entries whose id was given (`appendWithId`). */
  #ids = new Map<string, number>();
  #listener: ((entry: LogEntry) => void) | null = null;

  /** Throws a `RangeError` for a `size` or `ttl` that is not a positive number. */
  constructor(options: MemoryLogOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        "Cannot create a MemoryLog: `options` must be an object like { size, ttl }",
      );
    }
    const { size = 1000, ttl } = options;
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(
        `Cannot create a MemoryLog: \`size\` must be a positive whole number of entries, got ${
          String(size)
        }`,
      );
    }
    if (ttl !== undefined && (typeof ttl !== "number" || !(ttl > 0))) {
      throw new RangeError(
        `Cannot create a MemoryLog: \`ttl\` must be a positive number of milliseconds, got ${
          String(ttl)
        }`,
      );
    }
    this.#size = size;
    this.#ttl = ttl ?? Infinity;
  }

  /** How many entries are held. */
  get length(): number {
    this.#expire();
    return this.#next - this.#first;
  }

  open(onEntry: (entry: LogEntry) => void, _onError?: (error: unknown) => void): Promise<void> {
    this.#listener = onEntry;
    return Promise.resolve();
  }

  append(envelope: string): Promise<LogEntry> {
    return Promise.resolve(this.appendNow(envelope));
  }

  /**
   * Appends at once and returns the entry (after the tail has it). With `id`
   * the entry keeps that id instead of the log's own (an id chosen by the
   * publisher, or by another instance through a backplane); `read` finds it.
   */
  appendNow(envelope: string, id?: string): LogEntry {
    if (this.#next - this.#first === this.#size) this.#dropOldest();
    const offset = this.#next++;
    const entry: LogEntry = {
      id: id ?? formatLogId(this.epoch, offset),
      epoch: this.epoch,
      offset,
      envelope,
    };
    this.#slots[offset % this.#size] = { entry, at: this.#ttl === Infinity ? 0 : Date.now() };
    if (id !== undefined) this.#ids.set(id, offset);
    this.#expire();
    this.#listener?.(entry);
    return entry;
  }

  read(position: LogPosition): Promise<LogRead> {
    return Promise.resolve(this.readNow(position));
  }

  /** {@linkcode MemoryLog.read}, synchronously. */
  readNow(position: LogPosition): LogRead {
    this.#expire();
    let from: number;
    if ("after" in position) {
      const offset = this.#offsetOf(position.after);
      // Trimmed, or never written here: replay nothing rather than a part.
      if (offset === undefined || offset < this.#first - 1 || offset >= this.#next) {
        return { reset: true };
      }
      from = offset + 1;
    } else {
      from = Math.max(this.#first, this.#next - Math.max(0, Math.floor(position.last)));
    }
    const entries: LogEntry[] = [];
    for (let offset = from; offset < this.#next; offset++) {
      entries.push(this.#slots[offset % this.#size]!.entry);
    }
    return { entries };
  }

  close(): Promise<void> {
    this.#listener = null;
    return Promise.resolve();
  }

  #offsetOf(id: string): number | undefined {
    const given = this.#ids.get(id);
    if (given !== undefined) return given;
    const prefix = `${this.epoch}-`;
    if (!id.startsWith(prefix)) return undefined;
    const offset = Number(id.slice(prefix.length));
    return Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined;
  }

  #expire(): void {
    if (this.#ttl === Infinity) return;
    const oldest = Date.now() - this.#ttl;
    while (this.#first < this.#next && this.#slots[this.#first % this.#size]!.at <= oldest) {
      this.#dropOldest();
    }
  }

  #dropOldest(): void {
    const index = this.#first % this.#size;
    const { id, offset } = this.#slots[index]!.entry;
    if (this.#ids.get(id) === offset) this.#ids.delete(id);
    this.#slots[index] = undefined;
    this.#first++;
  }
}
