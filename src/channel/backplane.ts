/**
 * Backplanes carry a channel's messages between instances (isolates,
 * workers, processes, machines), so that an event published on one reaches
 * subscribers on all. The interface, and the web-standard implementation over
 * `BroadcastChannel`.
 *
 * @module
 */

/**
 * A message bus shared by the instances of a {@linkcode Channel}. Every
 * message published by one instance must reach the listener of every other
 * instance; messages from one publisher must arrive in the order sent.
 * Whether the publisher hears its own messages does not matter: the channel
 * ignores them.
 *
 * @example A backplane over an EventTarget (one process)
 * ```ts
 * import { type Backplane, Channel, sse } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const bus = new EventTarget();
 * const backplane = (): Backplane => {
 *   const listeners: ((event: Event) => void)[] = [];
 *   return {
 *     publish: (message) => void bus.dispatchEvent(new MessageEvent("m", { data: message })),
 *     subscribe: (listener) => {
 *       const onMessage = (event: Event) => listener((event as MessageEvent).data);
 *       listeners.push(onMessage);
 *       bus.addEventListener("m", onMessage);
 *     },
 *     close: () => listeners.forEach((l) => bus.removeEventListener("m", l)),
 *   };
 * };
 * const a = new Channel({ backplane: backplane() });
 * const b = new Channel({ backplane: backplane() });
 * await Promise.all([a.ready, b.ready]);
 * const onB = sse(new Request("http://localhost/"), (stream) => b.subscribe(stream));
 * await a.publish({ data: "from a" });
 * await b.close(); // ends b's streams after what they got
 * assert.match(await onB.text(), /data: from a\n\n/);
 * await a.close();
 * ```
 */
export interface Backplane {
  /** Sends a message (an envelope made by the channel) to the other instances. */
  publish(message: Uint8Array): void | Promise<void>;
  /** Starts delivering the other instances' messages to `listener`; called once. */
  subscribe(listener: (message: Uint8Array) => void): void | Promise<void>;
  /** Stops delivering and releases what the backplane holds. */
  close(): void | Promise<void>;
}

/**
 * A {@linkcode Backplane} over the web-standard `BroadcastChannel`: across
 * isolates on Deno Deploy, and across workers (and channels) of one process
 * in Deno, Bun and Node.
 *
 * @example Two channels of one process
 * ```ts
 * import { BroadcastChannelBackplane, Channel, sse } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const a = new Channel({ backplane: new BroadcastChannelBackplane("chat") });
 * const b = new Channel({ backplane: new BroadcastChannelBackplane("chat") });
 * await Promise.all([a.ready, b.ready]);
 * const onB = sse(new Request("http://localhost/"), (stream) => b.subscribe(stream));
 * const body = onB.body!.pipeThrough(new TextDecoderStream()).getReader();
 * await a.publish({ data: "reaches b's subscribers too" });
 * let text = "";
 * while (!text.includes("reaches b")) text += (await body.read()).value;
 * assert.match(text, /data: reaches b's subscribers too\n\n/);
 * await body.cancel();
 * await Promise.all([a.close(), b.close()]);
 * ```
 */
export class BroadcastChannelBackplane implements Backplane {
  #channel: BroadcastChannel;
  #listener: ((event: MessageEvent) => void) | undefined;

  /** Opens the `BroadcastChannel` called `name`; a `TypeError` if there is no `BroadcastChannel`. */
  constructor(name: string) {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        "Cannot create a BroadcastChannelBackplane: `name` must be a non-empty string",
      );
    }
    if (typeof BroadcastChannel !== "function") {
      throw new TypeError(
        "Cannot create a BroadcastChannelBackplane: this runtime has no BroadcastChannel; use another backplane",
      );
    }
    this.#channel = new BroadcastChannel(name);
  }

  publish(message: Uint8Array): void {
    this.#channel.postMessage(message);
  }

  subscribe(listener: (message: Uint8Array) => void): void {
    if (this.#listener) this.#channel.removeEventListener("message", this.#listener);
    this.#listener = (event) => {
      const data: unknown = event.data;
      if (data instanceof Uint8Array) listener(data);
      else if (data instanceof ArrayBuffer) listener(new Uint8Array(data));
    };
    this.#channel.addEventListener("message", this.#listener);
  }

  close(): void {
    if (this.#listener) this.#channel.removeEventListener("message", this.#listener);
    this.#listener = undefined;
    this.#channel.close();
  }
}
