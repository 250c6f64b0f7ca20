/**
 * A channel message: one published event, serialised once, in the forms the
 * channel needs: the wire bytes every subscriber gets, and a portable
 * envelope that carries it to other instances or into a log.
 *
 * @module
 */

import { encodeEvent, type SSEEvent } from "../format.ts";

/**
 * An event published on a {@linkcode Channel}: an {@linkcode SSEEvent} whose
 * `data` has the channel's type.
 *
 * @example
 * ```ts
 * import { type ChannelEvent, formatEvent } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const event: ChannelEvent<{ text: string }> = { event: "message", data: { text: "hi" } };
 * assert.equal(formatEvent(event), 'event: message\ndata: {"text":"hi"}\n\n');
 * ```
 */
export type ChannelEvent<T = unknown> = Omit<SSEEvent, "data"> & { data?: T };

/**
 * A published event with its serialised form. The same `bytes` are handed to
 * every subscriber; logs store their envelopes and backplanes carry them.
 *
 * @example
 * ```ts
 * import { createMessage } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const message = createMessage({ id: 1, data: "hi" });
 * assert.equal(new TextDecoder().decode(message.bytes), "id: 1\ndata: hi\n\n");
 * ```
 */
export interface ChannelMessage<T = unknown> {
  /** The event's id as written on the `id:` line, if it has one. */
  readonly id: string | undefined;
  /** The event in text/event-stream form, UTF-8 encoded. */
  readonly bytes: Uint8Array;
  /** The event, as filters see it (from another instance: `data` decoded from JSON). */
  readonly event: ChannelEvent<T>;
}

/** The envelope's JSON shape (version 1). */
interface Envelope {
  v: 1;
  origin?: string;
  id?: string;
  event?: string;
  retry?: number;
  comment?: string;
  /** `data` as written: the string itself, or its JSON text when `json` is set. */
  data?: string;
  json?: true;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Serialises `event` once (throwing a `TypeError` or `RangeError` like
 * {@linkcode encodeEvent} for an invalid one) into a message.
 *
 * @example
 * ```ts
 * import { createMessage } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * assert.equal(createMessage({ event: "joined", id: 7, data: { user: "ada" } }).id, "7");
 * ```
 */
export function createMessage<T>(event: ChannelEvent<T>): ChannelMessage<T> {
  return {
    id: event.id === undefined ? undefined : String(event.id),
    bytes: encodeEvent(event),
    event,
  };
}

/**
 * Encodes a message as a portable envelope (UTF-8 JSON) for a backplane or a
 * log; {@linkcode decodeMessage} turns it back into a message
 * with the very same `bytes`.
 *
 * @example
 * ```ts
 * import { createMessage, decodeMessage, encodeMessage } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const message = createMessage({ id: 3, data: { n: 3 } });
 * const copy = decodeMessage(encodeMessage(message));
 * assert.equal(copy.id, "3");
 * assert.deepEqual(copy.event.data, { n: 3 });
 * assert.deepEqual(copy.bytes, message.bytes);
 * ```
 */
export function encodeMessage(message: ChannelMessage, origin?: string): Uint8Array {
  return encoder.encode(envelopeOf(message.event, message.id, origin));
}

/** The envelope of `event` as JSON text; a log stores it without `id` (the log assigns one). */
export function envelopeOf(event: ChannelEvent, id?: string, origin?: string): string {
  const envelope: Envelope = { v: 1 };
  if (origin !== undefined) envelope.origin = origin;
  if (id !== undefined) envelope.id = id;
  if (event.event !== undefined) envelope.event = event.event;
  if (event.retry !== undefined) envelope.retry = event.retry;
  if (event.comment !== undefined) envelope.comment = event.comment;
  if (event.data !== undefined) {
    if (typeof event.data === "string") {
      envelope.data = event.data;
    } else {
      envelope.data = JSON.stringify(event.data);
      envelope.json = true;
    }
  }
  return JSON.stringify(envelope);
}

/**
 * Decodes an envelope made by {@linkcode encodeMessage} (bytes or text).
 * Throws a `TypeError` for anything else.
 *
 * @example
 * ```ts
 * import { createMessage, decodeMessage, encodeMessage } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeMessage(encodeMessage(createMessage({ data: "hi" }))).event.data, "hi");
 * assert.throws(() => decodeMessage("not an envelope"), TypeError);
 * ```
 */
export function decodeMessage<T = unknown>(envelope: Uint8Array | string): ChannelMessage<T> {
  return decodeEnvelope<T>(envelope).message;
}

/**
 * Decodes an envelope with the instance it came from; with `id`, the
 * message carries that id (a log's) instead of the envelope's.
 */
export function decodeEnvelope<T = unknown>(
  input: Uint8Array | string,
  id?: string | null,
): { message: ChannelMessage<T>; origin: string | undefined } {
  let envelope: Envelope;
  try {
    envelope = JSON.parse(typeof input === "string" ? input : decoder.decode(input));
  } catch (cause) {
    throw new TypeError("Cannot decode channel message: it is not JSON", { cause });
  }
  if (envelope === null || typeof envelope !== "object" || envelope.v !== 1) {
    throw new TypeError(
      "Cannot decode channel message: expected an envelope made by encodeMessage() (version 1)",
    );
  }
  const { origin, event, retry, comment, data, json } = envelope;
  const wireId = id === undefined ? envelope.id : id ?? undefined;
  const wire: SSEEvent = {};
  if (comment !== undefined) wire.comment = comment;
  if (event !== undefined) wire.event = event;
  if (wireId !== undefined) wire.id = wireId;
  if (retry !== undefined) wire.retry = retry;
  if (data !== undefined) wire.data = data;
  // `data` is already serialised, so formatting it as a string writes exactly
  // the lines its publisher wrote.
  const bytes = encodeEvent(wire);
  let decoded: ChannelEvent<T> | undefined;
  const message: ChannelMessage<T> = {
    id: wireId,
    bytes,
    get event(): ChannelEvent<T> {
      if (decoded === undefined) {
        decoded = { ...wire } as ChannelEvent<T>;
        if (data !== undefined) decoded.data = (json ? JSON.parse(data) : data) as T;
      }
      return decoded;
    },
  };
  return { message, origin: typeof origin === "string" ? origin : undefined };
}
