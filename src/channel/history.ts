/**
 * A channel's memory of recent messages, for replay on reconnect: the
 * pluggable {@linkcode History} interface and its in-memory ring buffer.
 *
 * @module
 */

import type { ChannelMessage } from "./message.ts";

/**
 * Where a {@linkcode Channel} keeps recent messages. Implement it to keep
 * them in Deno KV, Redis or elsewhere (store {@linkcode encodeMessage}'s
 * envelope, return {@linkcode decodeMessage}'s result); either method may be
 * asynchronous. With a history shared by several instances, `append` is
 * called by every instance that delivers a message, so it must ignore an id
 * it already holds.
 *
 * @example A history that forgets everything
 * ```ts
 * import { Channel, type History } from "@edge-sse/core";
 *
 * const nothing: History = {
 *   append() {},
 *   after: () => undefined,
 * };
 * new Channel({ history: nothing });
 * ```
 */
export interface History<T = unknown> {
  /** Keeps `message`; called in delivery order. */
  append(message: ChannelMessage<T>): void | Promise<void>;
  /**
   * The messages delivered after the one whose id is `id`, oldest first, or
   * `undefined` when `id` is not (or no longer) held. Without `id`: every
   * message held.
   */
  after(id?: string): HistoryResult<T> | Promise<HistoryResult<T>>;
}

/** What {@linkcode History.after} finds: messages, or `undefined` for an unknown id. */
export type HistoryResult<T = unknown> = readonly ChannelMessage<T>[] | undefined;

/** Options of {@linkcode MemoryHistory}. */
export interface MemoryHistoryOptions {
  /** How many messages to keep (default 1 000); the oldest go first. */
  size?: number;
  /** Milliseconds a message is kept (default: no limit). */
  ttl?: number;
}

interface Slot<T> {
  message: ChannelMessage<T>;
  at: number;
}

/**
 * The default {@linkcode History}: a ring buffer of the last `size` messages
 * (and, with `ttl`, only those younger than `ttl` ms). Lookups by id take
 * constant time.
 *
 * @example
 * ```ts
 * import { createMessage, MemoryHistory } from "@edge-sse/core";
 *
 * const history = new MemoryHistory({ size: 2 });
 * for (const id of [1, 2, 3]) history.append(createMessage({ id, data: id }));
 * history.after("2")?.map((message) => message.id); // ["3"]
 * history.after("1"); // undefined: no longer held
 * ```
 */
export class MemoryHistory<T = unknown> implements History<T> {
  #size: number;
  #ttl: number;
  #slots: (Slot<T> | undefined)[];
  /** Sequence numbers: `#first` is the oldest held, `#next` the next to append. */
  #first = 0;
  #next = 0;
  #ids = new Map<string, number>();

  /** Throws a `RangeError` for a `size` or `ttl` that is not a positive number. */
  constructor(options: MemoryHistoryOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("MemoryHistory: `options` must be an object like { size, ttl }");
    }
    const { size = 1000, ttl } = options;
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(
        `MemoryHistory: \`size\` must be a positive whole number of messages, got ${String(size)}`,
      );
    }
    if (ttl !== undefined && (typeof ttl !== "number" || !(ttl > 0))) {
      throw new RangeError(
        `MemoryHistory: \`ttl\` must be a positive number of milliseconds, got ${String(ttl)}`,
      );
    }
    this.#size = size;
    this.#ttl = ttl ?? Infinity;
    this.#slots = [];
  }

  /** How many messages are held. */
  get length(): number {
    this.#expire();
    return this.#next - this.#first;
  }

  append(message: ChannelMessage<T>): void {
    if (this.#next - this.#first === this.#size) this.#dropOldest();
    const seq = this.#next++;
    this.#slots[seq % this.#size] = { message, at: performance.now() };
    if (message.id !== undefined) this.#ids.set(message.id, seq);
    this.#expire();
  }

  after(id?: string): HistoryResult<T> {
    this.#expire();
    let seq = this.#first - 1;
    if (id !== undefined) {
      const found = this.#ids.get(id);
      if (found === undefined) return undefined;
      seq = found;
    }
    const messages: ChannelMessage<T>[] = [];
    for (let next = seq + 1; next < this.#next; next++) {
      messages.push(this.#slots[next % this.#size]!.message);
    }
    return messages;
  }

  #expire(): void {
    if (this.#ttl === Infinity) return;
    const oldest = performance.now() - this.#ttl;
    while (this.#first < this.#next && this.#slots[this.#first % this.#size]!.at <= oldest) {
      this.#dropOldest();
    }
  }

  #dropOldest(): void {
    const index = this.#first % this.#size;
    const id = this.#slots[index]!.message.id;
    if (id !== undefined && this.#ids.get(id) === this.#first) this.#ids.delete(id);
    this.#slots[index] = undefined;
    this.#first++;
  }
}
