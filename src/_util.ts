/**
 * Small type guards and constants shared by the server core, the Hono
 * adapter, channels and the client (this module imports nothing).
 *
 * @module
 */

/** `setTimeout`'s largest delay (2^31 - 1 ms); a longer one fires at once. */
export const MAX_TIMER_DELAY = 2_147_483_647;

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
