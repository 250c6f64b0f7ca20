/**
 * Runtime quirks, detected once from `navigator.userAgent` and kept here so
 * the rest of the code stays runtime-neutral.
 *
 * @module
 */

import { StreamClosed } from "./closed.ts";
import type { Writer } from "./stream.ts";
import { type ScheduledTask, scheduler } from "./scheduler.ts";

/** How long the last bytes may take to be read before the connection is dropped anyway. */
const CONSUME_TIMEOUT = 10_000;

const userAgent: string = typeof navigator === "object" && typeof navigator?.userAgent === "string"
  ? navigator.userAgent
  : "";

/** Deno.serve: see {@linkcode watchRequestSignal} and {@linkcode finishBodyForConnectionClose}. */
const isDeno = userAgent.startsWith("Deno/");

/**
 * Whether to watch `request.signal` for a client going away.
 *
 * Deno.serve aborts `request.signal` on normal completion too, and prints a
 * deprecation warning the first time a request's signal is read ("legacy
 * abort", denoland/deno#27005). It also cancels the response body within
 * milliseconds of a disconnect, so on Deno the body's `cancel()` alone is the
 * client signal and `request.signal` is never read.
 */
export const watchRequestSignal: boolean = !isDeno;

/**
 * How the body ends when `close.connection` is `"close"`, if the runtime
 * needs help to really close the connection.
 *
 * Deno.serve sends a `Connection: close` header but keeps the socket open.
 * A body that errors makes it drop the connection, so once the client has
 * read every queued byte the body is errored instead of closed. Bun and
 * Node honour the header and need nothing.
 */
export const finishBodyForConnectionClose:
  | ((writer: Writer, close: () => void) => void)
  | undefined = isDeno
    ? (writer, close) => {
      let dropped = false;
      const drop = () => {
        if (dropped) return;
        dropped = true;
        task.cancel();
        writer.abortBody(
          new StreamClosed("closed", {
            cause:
              'close.connection is "close": ending the body abruptly makes Deno.serve drop the connection',
          }),
        );
        close();
      };
      const task: ScheduledTask = scheduler.schedule(CONSUME_TIMEOUT, drop);
      writer.consumed().then(drop);
    }
    : undefined;
