/**
 * `Channel`: one event, many streams. Every event goes through the channel's
 * log, which gives it its position (the SSE id); the channel tails the log
 * and fans each entry out as pre-serialised bytes, replays from the log on
 * reconnect, and merges replay and live entries by offset.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";
import type { CloseReason } from "../closed.ts";
import { encodeEvent, formatEvent } from "../format.ts";
import {
  type ChannelOptions,
  resolveChannelOptions,
  resolveSubscribeOptions,
  type SubscribeOptions,
} from "./channel_options.ts";
import type { ChannelLog, LogEntry, LogPosition, LogRead } from "./log.ts";
import type { MemoryLog } from "./memory_log.ts";
import {
  type ChannelEvent,
  type ChannelMessage,
  decodeEnvelope,
  encodeMessage,
  envelopeOf,
} from "./message.ts";
import type { SSEStream } from "../stream.ts";
import { type Delivery, positionOf, Subscriber } from "./subscriber.ts";

/**
 * Broadcasts events to every subscribed stream, in the order of the
 * channel's log. Each event is serialised once and the same bytes are queued
 * on every stream; a stream that reads slowly is bounded by its own
 * `maxBuffered` / `onSlowConsumer` and never delays the others.
 *
 * @example A chat room
 * ```ts
 * import { Channel, sse } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const room = new Channel<{ user: string; text: string }>({ history: { size: 500 } });
 *
 * // Deno.serve(handler), Bun.serve({ fetch: handler }), export default { fetch: handler }
 * async function handler(request: Request): Promise<Response> {
 *   if (request.method === "POST") {
 *     await room.publish({ event: "message", data: await request.json() });
 *     return new Response(null, { status: 204 });
 *   }
 *   // Replays what a reconnecting client missed (Last-Event-ID), or the last
 *   // 20 messages to a first visit, then live events.
 *   return sse(request, (stream) => room.subscribe(stream, { replay: 20 }));
 * }
 *
 * const say = (text: string) =>
 *   handler(new Request("http://localhost/", {
 *     method: "POST",
 *     body: JSON.stringify({ user: "ada", text }),
 *   }));
 * await say("first");
 * const page = await handler(new Request("http://localhost/")); // a first visit
 * await say("second");
 * await room.close();
 * assert.match(await page.text(), /"text":"first"[^]*"text":"second"/); // replayed, then live
 * ```
 */
export class Channel<T = unknown> {
  /** Resolves once the log's tail (and the backplane) is open; rejects if that failed. */
  readonly ready: Promise<void>;
  #subscribers = new Set<Subscriber<T>>();
  #log: ChannelLog;
  #memory: MemoryLog | null;
  #replays: boolean;
  #ids: boolean;
  #onMissingId: "reset" | "all";
  #backplane: Backplane | null;
  #origin: string;
  #onError: (error: unknown) => void;
  #closed = false;
  /** The message being appended to the memory log, so its tail need not decode it again. */
  #appending: { envelope: string; message: (entry: LogEntry) => ChannelMessage<T> } | null = null;
  /** Messages made of memory log entries, for replays. */
  #messages = new WeakMap<LogEntry, ChannelMessage<T>>();

  /** Throws a `TypeError` or `RangeError` for invalid options. */
  constructor(options: ChannelOptions<T> = {}) {
    const config = resolveChannelOptions(options);
    this.#log = config.log;
    this.#memory = config.memory;
    this.#replays = config.replays;
    this.#ids = config.ids;
    this.#onMissingId = config.onMissingId;
    this.#onError = config.onError;
    const backplane = this.#backplane = config.backplane;
    this.#origin = crypto.randomUUID();
    let opened: Promise<void>;
    try {
      // Opened at once: a memory log's tail is attached before the first publish.
      opened = Promise.resolve(this.#log.open(this.#onEntry, (error) => this.#report(error)));
    } catch (error) {
      opened = Promise.reject(error);
    }
    this.ready = Promise.all([
      opened,
      backplane === null
        ? undefined
        : Promise.resolve().then(() => backplane.subscribe(this.#receive)),
    ]).then(() => {});
    this.ready.catch((error) => this.#report(error));
  }

  /** How many streams are subscribed. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Whether {@linkcode Channel.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Attaches `stream` until it ends (for any reason), first replaying what
   * came after its last event id (or, to a first visit, the last `replay`
   * events). Resolves with the stream's close reason, so
   * `sse(request, (stream) => channel.subscribe(stream))` is a complete
   * handler. On a closed channel the stream is closed at once.
   *
   * Live events that arrive while the replay is read and written wait, and
   * follow it without a gap or a duplicate; when the log cannot replay
   * everything the client missed, it gets one `reset` event instead of a part.
   *
   * @example Only one user's notifications
   * ```ts
   * import { Channel, sse } from "@edge-sse/core";
   * import assert from "node:assert/strict";
   *
   * const feed = new Channel<{ user: string; text: string }>();
   * const handler = (request: Request) => {
   *   const user = new URL(request.url).searchParams.get("user");
   *   return sse(request, (stream) =>
   *     feed.subscribe(stream, { filter: (event) => event.data?.user === user }));
   * };
   * const ada = handler(new Request("http://localhost/notifications?user=ada"));
   * await feed.publish({ data: { user: "bob", text: "hello bob" } });
   * await feed.publish({ data: { user: "ada", text: "hello ada" } });
   * await feed.close();
   * const text = await ada.text();
   * assert.match(text, /hello ada/);
   * assert.doesNotMatch(text, /hello bob/);
   * ```
   */
  subscribe(stream: SSEStream, options: SubscribeOptions<T> = {}): Promise<CloseReason> {
    const { filter, lastEventId: given, replay } = resolveSubscribeOptions(stream, options);
    const subscriber = new Subscriber<T>(stream, filter);
    if (this.#closed) {
      stream.close().catch(() => {});
      return stream.closed;
    }
    if (!subscriber.open) return stream.closed;
    // The stream's own last event id only where it matters (a channel that replays).
    const lastEventId = !this.#replays
      ? null
      : given !== undefined
      ? given
      : ownLastEventId(stream);
    const position: LogPosition | null = lastEventId !== null
      ? { after: lastEventId }
      : this.#replays && replay > 0
      ? { last: replay }
      : null;
    // Attached first, holding live entries back: nothing appended from here
    // on can fall between the read and the live tail.
    if (position !== null) subscriber.backlog = [];
    this.#subscribers.add(subscriber);
    subscriber.leaveWhenEnded(this.#subscribers);
    if (position !== null) {
      this.#replay(subscriber, position).catch((error) => {
        this.#report(error);
        stream.close().catch(() => {});
      });
    }
    return stream.closed;
  }

  /**
   * Appends `event` to the channel's log, which delivers it to every
   * subscriber of every instance, in the log's order. Resolves with the
   * event's id once the log has stored it (at once for the memory log; for
   * Redis, once Redis acknowledged it) and rejects if it was not stored
   * (the log unreachable, the channel closed): `await` it, or `.catch()` it.
   * Throws a `TypeError` or `RangeError` for an invalid event, like
   * `formatEvent()`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Channel } from "@edge-sse/core";
   *
   * const prices = new Channel<{ symbol: string; price: number }>();
   * const id = await prices.publish({ event: "price", data: { symbol: "ACME", price: 12.5 } });
   * assert.match(id, /^\w+-1$/); // the memory log's epoch, then the position
   * ```
   */
  publish(event: ChannelEvent<T>): Promise<string> {
    if (event === null || typeof event !== "object") {
      throw new TypeError(
        "Cannot publish: `event` must be an object like { event?, id?, data? }",
      );
    }
    const { id: given, ...rest } = event;
    const plain = rest as ChannelEvent<T>;
    // Formatting checks the event (and its id) before anything is stored.
    const bytes = encodeEvent(plain);
    if (given !== undefined) formatEvent({ id: given });
    if (this.#closed) return Promise.reject(new Error("Cannot publish: the channel is closed"));
    const envelope = envelopeOf(plain);
    const memory = this.#memory;
    if (memory === null) {
      if (given !== undefined) {
        throw new TypeError(
          "Cannot publish: the channel's log assigns ids; remove `id` from the event",
        );
      }
      return this.ready.then(() => this.#log.append(envelope)).then((entry) => entry.id);
    }
    this.#appending = {
      envelope,
      message: (entry) => ({
        id: this.#ids ? entry.id : undefined,
        bytes: this.#ids ? withId(entry.id, bytes) : bytes,
        event: this.#ids ? { ...plain, id: entry.id } : plain,
      }),
    };
    let entry: LogEntry;
    try {
      entry = memory.appendNow(envelope, given === undefined ? undefined : String(given));
    } finally {
      this.#appending = null;
    }
    if (this.#backplane !== null) {
      const message = this.#messages.get(entry)!;
      try {
        Promise.resolve(
          this.#backplane.publish(encodeMessage({ ...message, id: entry.id }, this.#origin)),
        )
          .catch((error) => this.#report(error));
      } catch (error) {
        this.#report(error);
      }
    }
    return Promise.resolve(entry.id);
  }

  /**
   * Closes every subscribed stream (after `final`, else each stream's
   * `close.final`), stops the log's tail and the backplane, and refuses new
   * subscribers. Resolves once every stream has ended.
   *
   * @example
   * ```ts
   * import { Channel, sse } from "@edge-sse/core";
   * import assert from "node:assert/strict";
   *
   * const room = new Channel();
   * const response = sse(new Request("http://localhost/"), (stream) => room.subscribe(stream));
   * await room.close({ event: "closed", data: "the room is closed", retry: 60_000 });
   * assert.equal(
   *   await response.text(),
   *   ":\n\nevent: closed\nretry: 60000\ndata: the room is closed\n\n",
   * );
   * assert.equal(room.closed, true);
   * ```
   */
  async close(final?: ChannelEvent<T>): Promise<void> {
    if (final !== undefined) formatEvent(final);
    if (!this.#closed) {
      this.#closed = true;
      const closing = [this.#log.close(), this.#backplane?.close()];
      for (const result of await Promise.allSettled(closing)) {
        if (result.status === "rejected") this.#report(result.reason);
      }
    }
    await Promise.all([...this.#subscribers].map(({ stream }) => stream.close(final)));
  }

  /** The tail: every entry of the log, from every instance, in order. */
  #onEntry = (entry: LogEntry): void => {
    if (this.#closed) return;
    let message: ChannelMessage<T>;
    try {
      message = this.#message(entry);
    } catch (error) {
      return this.#report(error);
    }
    const delivery: Delivery<T> = { entry, message };
    for (const subscriber of this.#subscribers) subscriber.offer(delivery);
  };

  /** The message of `entry`: made once, kept for a memory log's replays. */
  #message(entry: LogEntry): ChannelMessage<T> {
    let message = this.#messages.get(entry);
    if (message !== undefined) return message;
    const appending = this.#appending;
    message = appending !== null && appending.envelope === entry.envelope
      ? appending.message(entry)
      : decodeEnvelope<T>(entry.envelope, this.#ids ? entry.id : null).message;
    if (this.#memory !== null) this.#messages.set(entry, message);
    return message;
  }

  async #replay(subscriber: Subscriber<T>, position: LogPosition): Promise<void> {
    const memory = this.#memory;
    const all = this.#onMissingId === "all";
    const everything = { last: Number.MAX_SAFE_INTEGER };
    let found: LogRead;
    if (memory !== null) {
      // Read in the step that attached the subscriber: nothing falls in between.
      found = memory.readNow(position);
      if ("reset" in found && all) found = memory.readNow(everything);
    } else {
      await this.ready;
      found = await this.#log.read(position);
      if ("reset" in found && all) found = await this.#log.read(everything);
    }
    const reset: ChannelEvent | null = "reset" in found
      ? { event: "reset", data: { lastEventId: (position as { after: string }).after } }
      : null;
    const entries = "entries" in found ? found.entries : [];
    await subscriber.replay(
      entries.map((entry) => ({ entry, message: this.#message(entry) })),
      reset,
      // A shared log's tail may lag the client: skip what the client's id covers.
      memory === null && reset === null && entries.length === 0 ? positionOf(position) : null,
    );
  }

  #receive = (bytes: Uint8Array): void => {
    if (this.#closed) return;
    let decoded;
    try {
      decoded = decodeEnvelope<T>(bytes);
    } catch (error) {
      return this.#report(error);
    }
    const { message, origin } = decoded;
    if (origin === this.#origin || message.id === undefined) return;
    const envelope = new TextDecoder().decode(bytes);
    this.#appending = {
      envelope,
      message: () => this.#ids ? message : decodeEnvelope<T>(bytes, null).message,
    };
    try {
      this.#memory!.appendNow(envelope, message.id);
    } finally {
      this.#appending = null;
    }
  };

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch (failure) {
      console.error("edge-sse: a channel's onError threw", failure);
    }
  }
}

/** `stream.lastEventId`, `""` read as none. */
function ownLastEventId(stream: SSEStream): string | null {
  const id = stream.lastEventId;
  if (id !== null && typeof id !== "string") {
    throw new TypeError("Cannot subscribe: `lastEventId` must be a string or null");
  }
  return id === "" ? null : id;
}

const encoder = new TextEncoder();

/** `bytes` (an event with no id) with an `id:` line in front. */
function withId(id: string, bytes: Uint8Array): Uint8Array {
  const line = encoder.encode(`id: ${id}\n`);
  const out = new Uint8Array(line.byteLength + bytes.byteLength);
  out.set(line);
  out.set(bytes, line.byteLength);
  return out;
}
