/**
 * Runtime quirks, detected once from `navigator.userAgent` and kept here so
 * the rest of the code stays runtime-neutral.
 *
 * @module
 */

const userAgent: string = typeof navigator === "object" && typeof navigator?.userAgent === "string"
  ? navigator.userAgent
  : "";

/** Deno.serve: see {@linkcode watchRequestSignal} and {@linkcode forceConnectionClose}. */
const isDeno = userAgent.startsWith("Deno/");

/**
 * Whether a timer belongs to the request that set it. On Cloudflare Workers
 * each request has its own I/O context, and a timer set while serving one
 * request runs in it and is cancelled with it, so streams cannot share one.
 */
export const timersBelongToRequests: boolean = userAgent === "Cloudflare-Workers";

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
 * Makes `Connection: close` really close the connection where the runtime
 * does not do it for the header alone.
 *
 * Deno.serve sends the header but keeps the socket open (measured on Deno
 * 2.9). It does close a connection whose body ends before its declared
 * length, after sending every byte and without logging anything (ending the
 * body with an error would also close it, but Deno.serve prints that error).
 * So on Deno the response declares the largest length a client accepts:
 * the body is sent unchunked, and when the stream ends the socket closes.
 * Bun and Node honour the header and need nothing.
 */
export function forceConnectionClose(headers: Headers): void {
  if (isDeno && !headers.has("content-length")) {
    headers.set("content-length", String(Number.MAX_SAFE_INTEGER));
  }
}
