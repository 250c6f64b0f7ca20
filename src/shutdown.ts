/**
 * Graceful shutdown: one signal for every stream of a server, the count of
 * the streams still open, and a promise that settles when all have ended.
 *
 * @module
 */

/** The {@linkcode Shutdown} whose `signal` each signal is, for `sse()` to report streams to. */
const owners = new WeakMap<AbortSignal, Shutdown>();

/**
 * Options of {@linkcode Shutdown.drain}.
 *
 * @example
 * ```ts
 * import type { DrainOptions } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const options: DrainOptions = { timeout: 10_000, reason: "deploy" };
 * assert.equal(options.timeout, 10_000);
 * ```
 */
export interface DrainOptions {
  /** Milliseconds to wait for the streams to end; by default, as long as they take. */
  timeout?: number;
  /** The abort reason of `signal` (the `cause` of each stream's `StreamClosed`). */
  reason?: unknown;
}

/**
 * A server's graceful shutdown. Pass `shutdown.signal` as the `shutdown`
 * option of every stream: each stream that `sse()` opens with it is counted
 * in {@linkcode Shutdown.open} until it ends, and
 * {@linkcode Shutdown.drain} closes them all (reason `"shutdown"`, after
 * `close.final`) and resolves once every one has ended. A stream opened
 * after `drain()` is closed at once.
 *
 * @example SIGTERM: tell every client, wait for every stream, exit
 * ```ts
 * import { Shutdown, sse } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const shutdown = new Shutdown();
 * const options = {
 *   shutdown: shutdown.signal,
 *   close: { final: { shutdown: { event: "restarting", retry: 1_000 } } },
 * };
 * const response = sse(new Request("http://localhost/"), async (stream) => {
 *   while (await stream.sleep(1000));
 * }, options);
 * assert.equal(shutdown.open, 1);
 *
 * // In a server: process.on("SIGTERM", ...) or Deno.addSignalListener("SIGTERM", ...)
 * const left = await shutdown.drain({ timeout: 5_000 });
 * assert.equal(left, 0);
 * assert.equal(await response.text(), ":\n\nevent: restarting\nretry: 1000\ndata:\n\n");
 * ```
 */
export class Shutdown {
  readonly #controller = new AbortController();
  #open = 0;
  #idle: (() => void)[] = [];

  /** Creates a shutdown whose `signal` has not aborted yet. */
  constructor() {
    owners.set(this.#controller.signal, this);
  }

  /** Pass it as the `shutdown` option of each stream; it aborts when `drain()` is called. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** How many streams opened with `signal` have not ended yet. */
  get open(): number {
    return this.#open;
  }

  /**
   * Aborts `signal`, which closes every stream with reason `"shutdown"`
   * (writing `close.final`), and resolves with how many are still open
   * when all have ended (`0`) or `timeout` has passed. Calling it again
   * waits again.
   */
  drain(options: DrainOptions = {}): Promise<number> {
    const { timeout, reason } = options;
    if (timeout !== undefined && !(typeof timeout === "number" && timeout >= 0)) {
      throw new RangeError(
        `Cannot drain: \`timeout\` must be a non-negative number of milliseconds, got ${
          String(timeout)
        }`,
      );
    }
    this.#controller.abort(reason);
    if (this.#open === 0) return Promise.resolve(0);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        resolve(this.#open);
      };
      this.#idle.push(done);
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          this.#idle = this.#idle.filter((waiter) => waiter !== done);
          done();
        }, timeout);
      }
    });
  }

  /**
   * Counts `stream` (anything with a `closed` promise) in `open` until it
   * ends. `sse()` calls it for each stream opened with `signal`.
   */
  track(stream: { readonly closed: Promise<unknown> }): void {
    this.#open++;
    stream.closed.then(() => {
      if (--this.#open > 0) return;
      const waiters = this.#idle;
      this.#idle = [];
      for (const waiter of waiters) waiter();
    });
  }
}

/** Called by `sse()` for each stream's `shutdown` signal: counts it if a {@linkcode Shutdown} made it. */
export function trackShutdown(
  signal: AbortSignal,
  stream: { readonly closed: Promise<unknown> },
): void {
  owners.get(signal)?.track(stream);
}
