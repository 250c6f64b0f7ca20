/**
 * `Channel`: one event, many streams. Fan-out of pre-serialised bytes,
 * increasing ids, replay from a history on reconnect, and a backplane to
 * reach the subscribers of other instances.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";
import type { CloseReason } from "../closed.ts";
import { formatEvent, type SSEEvent } from "../format.ts";
import {
  type ChannelOptions,
  resolveChannelOptions,
  resolveSubscribeOptions,
  type SubscribeOptions,
} from "./channel_options.ts";
import {
  type ChannelEvent,
  type ChannelMessage,
  createMessage,
  decodeEnvelope,
  encodeMessage,
} from "./message.ts";
import { Replay } from "./replay.ts";
import type { SSEStream } from "../writer.ts";
import { Subscriber } from "./subscriber.ts";

/**
 * Broadcasts events to every subscribed stream. Each event is serialised once
 * and the same bytes are queued on every stream; a stream that reads slowly
 * is bounded by its own `maxBuffered` / `onSlowConsumer` and never delays
 * the others.
 *
 * @example A chat room on Deno
 * ```ts ignore
 * import { Channel, sse } from "@edge-sse/core";
 *
 * const room = new Channel<{ user: string; text: string }>({ history: { size: 500 } });
 *
 * Deno.serve(async (request) => {
 *   if (request.method === "POST") {
 *     room.publish({ event: "message", data: await request.json() });
 *     return new Response(null, { status: 204 });
 *   }
 *   // Replays what a reconnecting client missed (Last-Event-ID), then live events.
 *   return sse(request, (stream) => room.subscribe(stream));
 * });
 * ```
 */
export class Channel<T = unknown> {
  /** Resolves once the backplane is subscribed (at once without one); rejects if that failed. */
  readonly ready: Promise<void>;
  #subscribers = new Set<Subscriber<T>>();
  #replay: Replay<T> | null;
  #ids: boolean;
  #lastId = 0;
  #backplane: Backplane | null;
  #origin: string;
  #onError: (error: unknown) => void;
  #closed = false;

  /** Throws a `TypeError` or `RangeError` for invalid options. */
  constructor(options: ChannelOptions<T> = {}) {
    const config = resolveChannelOptions(options);
    this.#replay = config.history === null
      ? null
      : new Replay(config.history, config.onMissingId, (error) => this.#report(error));
    this.#ids = config.ids;
    this.#onError = config.onError;
    const backplane = this.#backplane = config.backplane;
    this.#origin = crypto.randomUUID();
    this.ready = backplane === null
      ? Promise.resolve()
      : Promise.resolve().then(() => backplane.subscribe(this.#receive));
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
   * came after its last event id. Resolves with the stream's close reason,
   * so `sse(request, (stream) => channel.subscribe(stream))` is a complete
   * handler. On a closed channel the stream is closed at once.
   *
   * @example Only one user's notifications
   * ```ts ignore
   * const feed = new Channel<{ user: string; text: string }>();
   * Deno.serve((request) => {
   *   const user = new URL(request.url).searchParams.get("user");
   *   return sse(request, (stream) =>
   *     feed.subscribe(stream, { filter: (event) => event.data?.user === user }));
   * });
   * ```
   */
  subscribe(stream: SSEStream, options: SubscribeOptions<T> = {}): Promise<CloseReason> {
    const { filter, lastEventId } = resolveSubscribeOptions(stream, options);
    const subscriber = new Subscriber<T>(stream, filter);
    if (this.#closed) {
      stream.close().catch(() => {});
      return stream.closed;
    }
    if (!subscriber.open) return stream.closed;
    if (this.#replay !== null && lastEventId !== null) {
      this.#replay.start(subscriber, lastEventId);
    }
    this.#subscribers.add(subscriber);
    subscriber.onEnd(() => this.#subscribers.delete(subscriber));
    return stream.closed;
  }

  /**
   * Sends `event` to every subscriber (and, through the backplane, to the
   * subscribers of other instances) without waiting for any. Returns how many
   * local subscribers it was queued for. Throws a `TypeError` or `RangeError`
   * for an invalid event, like `formatEvent()`; returns 0 once closed.
   *
   * @example
   * ```ts
   * import { Channel } from "@edge-sse/core";
   *
   * const prices = new Channel<{ symbol: string; price: number }>();
   * prices.publish({ event: "price", data: { symbol: "ACME", price: 12.5 } }); // 0: nobody listens yet
   * ```
   */
  publish(event: ChannelEvent<T>): number {
    if (event === null || typeof event !== "object") {
      throw new TypeError(
        "Channel.publish(): `event` must be an object like { event?, id?, data? }",
      );
    }
    if (this.#closed) return 0;
    if (event.id !== undefined) this.#observe(event.id);
    else if (this.#ids) event = { ...event, id: this.#nextId() };
    const message = createMessage(event);
    if (this.#backplane !== null) {
      try {
        Promise.resolve(this.#backplane.publish(encodeMessage(message, this.#origin)))
          .catch((error) => this.#report(error));
      } catch (error) {
        this.#report(error);
      }
    }
    return this.#deliver(message);
  }

  /**
   * Closes every subscribed stream (after `final`, else each stream's
   * `close.final`), stops the backplane, and refuses new subscribers.
   * Resolves once every stream has ended.
   *
   * @example
   * ```ts
   * import { Channel } from "@edge-sse/core";
   *
   * const room = new Channel();
   * await room.close({ event: "closed", data: "the room is closed", retry: 60_000 });
   * ```
   */
  async close(final?: ChannelEvent<T>): Promise<void> {
    if (final !== undefined) formatEvent(final as SSEEvent);
    if (!this.#closed) {
      this.#closed = true;
      const backplane = this.#backplane;
      if (backplane !== null) {
        try {
          await backplane.close();
        } catch (error) {
          this.#report(error);
        }
      }
    }
    await Promise.all([...this.#subscribers].map(({ stream }) => stream.close(final as SSEEvent)));
  }

  #deliver(message: ChannelMessage<T>): number {
    this.#replay?.record(message);
    let count = 0;
    for (const subscriber of this.#subscribers) {
      if (subscriber.filter !== null && !subscriber.passes(message)) continue;
      if (subscriber.offer(message)) count++;
    }
    return count;
  }

  #receive = (bytes: Uint8Array): void => {
    if (this.#closed) return;
    let decoded;
    try {
      decoded = decodeEnvelope<T>(bytes);
    } catch (error) {
      return this.#report(error);
    }
    if (decoded.origin === this.#origin) return;
    if (decoded.message.id !== undefined) this.#observe(decoded.message.id);
    this.#deliver(decoded.message);
  };

  #nextId(): number | string {
    const id = Math.max(this.#lastId + 1, Date.now());
    this.#lastId = id;
    // Instances publish without asking each other: their tag keeps ids unique.
    return this.#backplane === null ? id : `${id}-${this.#origin.slice(0, 8)}`;
  }

  #observe(id: string | number): void {
    const value = typeof id === "number" ? id : Number(/^\d{1,16}(?=-|$)/.exec(id)?.[0]);
    if (Number.isSafeInteger(value) && value > this.#lastId) this.#lastId = value;
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch (failure) {
      console.error("edge-sse: a channel's onError threw", failure);
    }
  }
}
