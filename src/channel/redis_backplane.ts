/**
 * A {@linkcode Backplane} over Redis pub/sub, duck-typed over the client you
 * already use (node-redis, ioredis, Bun's `RedisClient`), so this module
 * imports no Redis package.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";

/** What the backplane needs to publish: any Redis client. */
export interface RedisPublisher {
  /** `PUBLISH channel message`. */
  publish(channel: string, message: string): unknown;
}

/**
 * A client in subscriber mode (a dedicated connection: in RESP2 a
 * subscribed connection runs no other command). Either style works:
 * node-redis and Bun (`subscribe(channel, listener)`, the listener gets
 * `(message, channel)`), or ioredis (`subscribe(channel)`, then `"message"`
 * events with `(channel, message)`).
 */
export interface RedisSubscriber {
  /** `SUBSCRIBE channel`, with a listener (node-redis, Bun) or without (ioredis). */
  // deno-lint-ignore no-explicit-any
  subscribe(channel: string, listener?: any): unknown;
  /** `UNSUBSCRIBE channel`. */
  // deno-lint-ignore no-explicit-any
  unsubscribe?(channel: string, listener?: any): unknown;
  /** ioredis: `"message"` events. */
  // deno-lint-ignore no-explicit-any
  on?(event: string, listener: (...args: any[]) => void): unknown;
  /** ioredis: removes the `"message"` listener. */
  // deno-lint-ignore no-explicit-any
  off?(event: string, listener: (...args: any[]) => void): unknown;
  /** ioredis has a connection `status` string; its presence selects the event style. */
  status?: unknown;
}

/** Options of {@linkcode RedisBackplane}. */
export interface RedisBackplaneOptions {
  /** Any client; publishes on `channel`. */
  publisher: RedisPublisher;
  /** A separate client, subscribed to `channel` (the backplane subscribes it). */
  subscriber: RedisSubscriber;
  /** The Redis pub/sub channel name; one per {@linkcode Channel}. */
  channel: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Carries a channel's messages over Redis pub/sub. Redis delivers each
 * message to the instances subscribed at that moment: while an instance's
 * connection is down (a Redis restart, a network cut), the messages published
 * meanwhile do not reach it. Its own subscribers still get its own messages,
 * and its history (or a reconnect to another instance) covers the gap. The
 * clients reconnect and resubscribe by themselves (node-redis and ioredis do
 * by default); attach an `error` listener to them, as their documentation
 * asks.
 *
 * @example node-redis
 * ```ts ignore
 * import { createClient } from "redis";
 * import { Channel, RedisBackplane } from "@edge-sse/core";
 *
 * const publisher = createClient({ url: "redis://127.0.0.1:6379" });
 * const subscriber = publisher.duplicate();
 * for (const client of [publisher, subscriber]) client.on("error", console.error);
 * await Promise.all([publisher.connect(), subscriber.connect()]);
 *
 * const channel = new Channel({
 *   backplane: new RedisBackplane({ publisher, subscriber, channel: "chat" }),
 * });
 * await channel.ready;
 * ```
 */
export class RedisBackplane implements Backplane {
  #publisher: RedisPublisher;
  #subscriber: RedisSubscriber;
  #channel: string;
  #unsubscribe: (() => unknown) | undefined;

  /** Throws a `TypeError` for a client without the methods needed. */
  constructor(options: RedisBackplaneOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        "Cannot create a RedisBackplane: `options` must be { publisher, subscriber, channel }",
      );
    }
    const { publisher, subscriber, channel } = options;
    if (typeof publisher?.publish !== "function") {
      throw new TypeError(
        "Cannot create a RedisBackplane: `publisher` must be a Redis client with publish()",
      );
    }
    if (typeof subscriber?.subscribe !== "function") {
      throw new TypeError(
        "Cannot create a RedisBackplane: `subscriber` must be a Redis client with subscribe(); use a dedicated connection (node-redis: client.duplicate())",
      );
    }
    if (typeof channel !== "string" || channel === "") {
      throw new TypeError("Cannot create a RedisBackplane: `channel` must be a non-empty string");
    }
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = channel;
  }

  publish(message: Uint8Array): Promise<void> {
    // The channel's envelopes are UTF-8 JSON: text travels through every client.
    return Promise.resolve(this.#publisher.publish(this.#channel, decoder.decode(message)))
      .then(() => {});
  }

  async subscribe(listener: (message: Uint8Array) => void): Promise<void> {
    const subscriber = this.#subscriber;
    const channel = this.#channel;
    const deliver = (message: unknown) => {
      if (typeof message === "string") listener(encoder.encode(message));
      else if (message instanceof Uint8Array) listener(message);
    };
    if (typeof subscriber.status === "string" && typeof subscriber.on === "function") {
      // ioredis: events for every subscribed channel.
      const onMessage = (from: string, message: unknown) => {
        if (from === channel) deliver(message);
      };
      subscriber.on("message", onMessage);
      this.#unsubscribe = () => {
        subscriber.off?.("message", onMessage);
        return subscriber.unsubscribe?.(channel);
      };
      await subscriber.subscribe(channel);
      return;
    }
    const onMessage = (message: unknown) => deliver(message);
    this.#unsubscribe = () => subscriber.unsubscribe?.(channel, onMessage);
    await subscriber.subscribe(channel, onMessage);
  }

  async close(): Promise<void> {
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    await unsubscribe?.();
  }
}
