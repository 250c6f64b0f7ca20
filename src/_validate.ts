/**
 * Internal: the argument checks shared by the options of `sse()`
 * (src/options.ts), `connect()` and `events()` (src/client/) and `Channel`
 * (src/channel/). Each check takes the `context` its message starts with
 * (for example `"sse()"`), so every caller keeps its own error prefix.
 *
 * @module
 */

/** Whether `value` is an `AbortSignal` (from this realm or another one). */
export function isSignal(value: unknown): value is AbortSignal {
  return typeof value === "object" && value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function";
}

/** Throws a `TypeError` unless `value` is `undefined` or an `AbortSignal`. */
export function checkSignal(context: string, name: string, value: unknown): void {
  if (value !== undefined && !isSignal(value)) {
    throw new TypeError(`${context}: \`${name}\` must be an AbortSignal, got ${describe(value)}`);
  }
}

/**
 * Names the type of `value` for an error message: `typeof`, except
 * `"null"`, `"an array"` and the class name of other objects
 * (`"Map"`, `"Object"`).
 */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

/** Returns `value` if it is a finite number of milliseconds above 0, else throws a `RangeError`. */
export function positiveMs(context: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `${context}: \`${name}\` must be a positive number of milliseconds, got ${String(value)}`,
    );
  }
  return value;
}

/** Returns `value` if it is a finite number of milliseconds, 0 or more, else throws a `RangeError`. */
export function nonNegativeMs(context: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `${context}: \`${name}\` must be a non-negative number of milliseconds, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Throws a `TypeError` naming the first key of `object` that is not in
 * `allowed` (`path` prefixes nested option names: `"close."`).
 */
export function checkKeys(
  context: string,
  object: object,
  allowed: ReadonlySet<string>,
  path = "",
): void {
  for (const key of Object.keys(object)) {
    if (!allowed.has(key)) {
      throw new TypeError(
        `${context}: unknown option \`${path}${key}\`; expected one of ${[...allowed].join(", ")}`,
      );
    }
  }
}
