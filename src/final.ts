/**
 * `close.final`: one event for every close the server initiates, or one per
 * close reason (a goodbye on shutdown that a normal end does not send).
 *
 * @module
 */

import type { SSEEvent } from "./format.ts";

/** The close reasons that the server initiates, after which a final event can be written. */
export type ServerCloseReason = "closed" | "returned" | "max-duration" | "idle" | "shutdown";

/**
 * A final event per close reason: only the reasons named get one.
 *
 * @example A goodbye on shutdown only, not at the end of every stream
 * ```ts
 * import { sse, type FinalEvents } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const final: FinalEvents = { shutdown: { event: "restarting", retry: 1_000 } };
 * const response = sse(new Request("http://localhost/"), (stream) => stream.send("done"), {
 *   close: { final },
 * });
 * assert.equal(await response.text(), ":\n\ndata: done\n\n"); // "returned": no final event
 * ```
 */
export type FinalEvents = { readonly [reason in ServerCloseReason]?: SSEEvent };

/** Serialised final events, by close reason. */
export type FinalTexts = { readonly [reason in ServerCloseReason]?: string };

const REASONS: readonly ServerCloseReason[] = [
  "closed",
  "returned",
  "max-duration",
  "idle",
  "shutdown",
];

/**
 * Validates `close.final` (an event, or events by reason) into serialised
 * texts by reason; `format(name, event)` serialises one, throwing what
 * `sse()` throws for an invalid event.
 */
export function resolveFinal(
  final: SSEEvent | FinalEvents | undefined,
  format: (name: string, event: SSEEvent) => string,
): FinalTexts | null {
  if (final === undefined) return null;
  if (typeof final !== "object" || final === null) {
    format("close.final", final); // throws the event's own TypeError
    return null;
  }
  const keys = Object.keys(final);
  const byReason = keys.filter((key) => (REASONS as string[]).includes(key));
  if (byReason.length === 0) {
    const text = format("close.final", final as SSEEvent);
    return { closed: text, returned: text, "max-duration": text, idle: text, shutdown: text };
  }
  if (byReason.length !== keys.length) {
    const other = keys.find((key) => !(REASONS as string[]).includes(key));
    throw new TypeError(
      `Cannot start the stream: \`close.final\` is either an event or an event per close reason (${
        REASONS.join(", ")
      }), not both; got \`${other}\` beside \`${byReason[0]}\``,
    );
  }
  const texts: { [reason in ServerCloseReason]?: string } = {};
  for (const reason of byReason as ServerCloseReason[]) {
    const event = (final as FinalEvents)[reason];
    if (event !== undefined) texts[reason] = format(`close.final.${reason}`, event);
  }
  return texts;
}
