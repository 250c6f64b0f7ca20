/**
 * Small type guards shared by the server core, the Hono adapter and channels.
 *
 * @module
 */

/** Whether `value` has a callable `then` (a promise or any thenable). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

/** Whether `value` is an object with a `Symbol.asyncIterator` method. */
export function isAsyncIterable<T = unknown>(value: unknown): value is AsyncIterable<T> {
  return typeof value === "object" && value !== null &&
    typeof (value as AsyncIterable<T>)[Symbol.asyncIterator] === "function";
}
