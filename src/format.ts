/**
 * Event serialisation: one {@linkcode SSEEvent} to the text/event-stream wire
 * format, with every field validated before anything is written.
 *
 * @module
 */

import { describe } from "./_validate.ts";

/**
 * One Server-Sent Event. At least one field must be present; no other field
 * is accepted (a `type` is refused: the event's type is `event`).
 *
 * A client dispatches an event only when it has a data line: an event with
 * an `event` name and no `data` is sent with an empty `data:` line, so that
 * clients see it (with `data` `""`). An event with only `id` and/or `retry`
 * (and comments) is not dispatched: it only sets the client's last event id
 * or reconnection delay.
 *
 * @example Every field
 * ```ts
 * import { formatEvent, type SSEEvent } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const event: SSEEvent = {
 *   event: "tick",
 *   id: 7,
 *   retry: 5000,
 *   comment: "sent by the clock",
 *   data: { n: 7 },
 * };
 * assert.equal(
 *   formatEvent(event),
 *   ': sent by the clock\nevent: tick\nid: 7\nretry: 5000\ndata: {"n":7}\n\n',
 * );
 * ```
 */
export interface SSEEvent {
  /**
   * The payload. A string is sent as is, split on CRLF, CR and LF into
   * `data:` lines; any other value is sent as `JSON.stringify(data)`.
   */
  data?: unknown;
  /** The event type (`event:` field); must not contain CR or LF. */
  event?: string;
  /**
   * The event id (`id:` field); must not contain CR, LF or NUL, and at most
   * 1 024 characters (a client sends it back as `Last-Event-ID`, which
   * `stream.lastEventId` reads up to that length). `""` resets the client's
   * last event id.
   */
  id?: string | number;
  /** Reconnection delay in milliseconds: a non-negative safe integer. */
  retry?: number;
  /** A comment (`: ` lines), ignored by clients; may span several lines. */
  comment?: string;
}

/**
 * The longest `id` (in UTF-16 code units) accepted when written, and read
 * back from `Last-Event-ID`: a longer one could never be resumed from.
 */
export const MAX_EVENT_ID_LENGTH = 1024;

/**
 * The last event id a client sent: the `Last-Event-ID` header, else the
 * `lastEventId` query parameter of `url` (read only without the header);
 * `null` when absent or longer than {@linkcode MAX_EVENT_ID_LENGTH}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lastEventIdFrom } from "./format.ts";
 *
 * assert.equal(lastEventIdFrom("41", undefined), "41");
 * assert.equal(lastEventIdFrom(null, "/events?lastEventId=7"), "7");
 * assert.equal(lastEventIdFrom(null, "https://example.com/events"), null);
 * assert.equal(lastEventIdFrom("x".repeat(1025), undefined), null);
 * ```
 */
export function lastEventIdFrom(header: string | null, url: string | undefined): string | null {
  let id = header;
  if (id === null && url !== undefined && url.includes("lastEventId=")) {
    id = new URL(url, "http://localhost").searchParams.get("lastEventId");
  }
  return id !== null && id.length <= MAX_EVENT_ID_LENGTH ? id : null;
}

const LINE_BREAK = /\r\n|\r|\n/;
const HAS_LINE_BREAK_OR_NUL = /[\r\n\0]/;

/**
 * Serialises an event to its text/event-stream form, ending with the blank
 * line that dispatches it. A plain string is sent as the event's `data`.
 *
 * An event with an `event` name and no `data` gets an empty `data:` line, so
 * that clients dispatch it; an event of only `id`, `retry` and `comment` is
 * written as is (clients update their last id or delay, and dispatch nothing).
 *
 * Throws a `TypeError` for a field of the wrong type, a field that
 * {@linkcode SSEEvent} does not have (`type`, say), a line break in `event`
 * or `id`, a NUL in `id`, data that JSON cannot serialise (the JSON error is
 * the `cause`) or an event with no field at all; a `RangeError` for a `retry`
 * that is not a non-negative safe integer or an `id` over 1 024 characters.
 * Nothing partial is ever returned.
 *
 * @example
 * ```ts
 * import { formatEvent } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatEvent("hello"), "data: hello\n\n");
 * assert.equal(
 *   formatEvent({ event: "greeting", data: "two\nlines" }),
 *   "event: greeting\ndata: two\ndata: lines\n\n",
 * );
 * assert.throws(() => formatEvent({ id: "a\nb" }), TypeError);
 * ```
 */
export function formatEvent(event: SSEEvent | string): string {
  if (typeof event === "string") return dataLines(event) + "\n";
  if (event === null || typeof event !== "object") {
    throw new TypeError(
      `Cannot send event: expected an object or a string, got ${describe(event)}`,
    );
  }
  checkFields(event);
  let text = "";
  const { comment, event: type, id, retry, data } = event;
  if (comment !== undefined) text += formatComment(comment);
  if (type !== undefined) {
    if (typeof type !== "string") {
      throw new TypeError(
        `Cannot send event: \`event\` must be a string, got ${describe(type)}`,
      );
    }
    if (hasLineBreak(type)) {
      throw new TypeError(
        "Cannot send event: `event` cannot contain a newline",
      );
    }
    text += `event: ${type}\n`;
  }
  if (id !== undefined) text += formatId(id);
  if (retry !== undefined) text += formatRetry(retry);
  if (data !== undefined) text += dataLines(serialiseData(data));
  else if (type !== undefined) text += "data:\n"; // else no client would dispatch it
  if (text === "") {
    throw new TypeError(
      "Cannot send event: it has no field; set at least one of `data`, `event`, `id`, `retry` or `comment`",
    );
  }
  return text + "\n";
}

/**
 * Serialises an event like {@linkcode formatEvent} and encodes it as UTF-8.
 *
 * @example
 * ```ts
 * import { encodeEvent } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeEvent("ok"), new TextEncoder().encode("data: ok\n\n"));
 * ```
 */
export function encodeEvent(event: SSEEvent | string): Uint8Array {
  return encoder.encode(formatEvent(event));
}

/** Comment lines (`: text`), one per line of `text`; `":"` for an empty one. */
export function formatComment(text: string): string {
  if (typeof text !== "string") {
    throw new TypeError(
      `Cannot send comment: it must be a string, got ${describe(text)}`,
    );
  }
  if (text === "") return ":\n";
  if (!hasLineBreak(text)) return `: ${text}\n`;
  let lines = "";
  for (const line of text.split(LINE_BREAK)) {
    lines += line === "" ? ":\n" : `: ${line}\n`;
  }
  return lines;
}

/** The `retry:` line; throws a `RangeError` unless `ms` is a non-negative safe integer. */
export function formatRetry(ms: number): string {
  if (typeof ms !== "number") {
    throw new TypeError(
      `Cannot send event: \`retry\` must be a number, got ${describe(ms)}`,
    );
  }
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(
      `Cannot send event: \`retry\` must be a non-negative whole number of milliseconds, got ${ms}`,
    );
  }
  return `retry: ${ms}\n`;
}

function formatId(id: string | number): string {
  if (typeof id === "number") {
    if (!Number.isFinite(id)) {
      throw new RangeError(
        `Cannot send event: a numeric \`id\` must be finite, got ${id}`,
      );
    }
    return `id: ${id}\n`;
  }
  if (typeof id !== "string") {
    throw new TypeError(
      `Cannot send event: \`id\` must be a string or a number, got ${describe(id)}`,
    );
  }
  if (id.length > MAX_EVENT_ID_LENGTH) {
    throw new RangeError(
      `Cannot send event: \`id\` is ${id.length} characters long, over the ${MAX_EVENT_ID_LENGTH} that \`Last-Event-ID\` is read back with; use a shorter id (a counter, a timestamp, a hash)`,
    );
  }
  if (HAS_LINE_BREAK_OR_NUL.test(id)) {
    throw new TypeError(
      "Cannot send event: `id` cannot contain a newline or a NUL character",
    );
  }
  return id === "" ? "id\n" : `id: ${id}\n`;
}

/**
 * Throws a `TypeError` naming the first field that {@linkcode SSEEvent} does
 * not have. `Object.keys()`, not `for...in`: on Bun a `for...in` per event
 * cost a fifth of a 64 B event's CPU (bench/README.md).
 */
function checkFields(event: object): void {
  const keys = Object.keys(event);
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index];
    if (
      key !== "data" && key !== "event" && key !== "id" && key !== "retry" && key !== "comment"
    ) {
      const hint = key === "type"
        ? '; the event\'s type is sent as `event` (clients read it as `type`): { event: "x", data }'
        : "; an event has `data`, `event`, `id`, `retry` and `comment`";
      throw new TypeError(`Cannot send event: unknown field \`${key}\`${hint}`);
    }
  }
}

function serialiseData(data: unknown): string {
  if (typeof data === "string") return data;
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (cause) {
    throw new TypeError(
      "Cannot send event: `data` cannot be serialised to JSON",
      { cause },
    );
  }
  if (json === undefined) {
    throw new TypeError(
      `Cannot send event: \`data\` cannot be serialised to JSON (${describe(data)})`,
    );
  }
  return json;
}

function dataLines(data: string): string {
  if (!hasLineBreak(data)) return `data: ${data}\n`;
  let lines = "";
  for (const line of data.split(LINE_BREAK)) lines += `data: ${line}\n`;
  return lines;
}

/**
 * Whether `text` holds a CR or LF. Two `indexOf` calls (memchr) rather than
 * /[\r\n]/, many times faster on every runtime (bench/README.md), and every
 * event's data goes through here.
 */
function hasLineBreak(text: string): boolean {
  return text.indexOf("\n") !== -1 || text.indexOf("\r") !== -1;
}

const encoder = new TextEncoder();

/**
 * Internal: runs a formatter of this module (`formatEvent`, `formatComment`,
 * `formatRetry`) for another context, its errors starting `Cannot <doing>: `
 * instead of this module's `Cannot send event: ` (the same error class and
 * `cause`). For option validators, which check events ahead of time.
 */
export function formatFor<T>(doing: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    const why = error.message.replace(/^Cannot send (event|comment): /, "");
    const message = `Cannot ${doing}: ${why}`;
    const { cause } = error as Error;
    throw error instanceof RangeError
      ? new RangeError(message, { cause })
      : new TypeError(message, { cause });
  }
}
