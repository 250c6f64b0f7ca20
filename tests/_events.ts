// Events that must reach real clients intact, and what a spec-following
// client makes of them (type, data, lastEventId).
import type { SSEEvent } from "../mod.ts";

const NESTED = { n: 1, list: [1, "two", null], nested: { ok: true } };

/** Named events, multi-line data with every line ending, JSON, unicode, a plain string. */
export const SENT: (SSEEvent | string)[] = [
  { event: "greeting", data: "hello" },
  { data: "line one\nline two\r\nline three\rline four" },
  { event: "json", id: 7, data: NESTED },
  { event: "unicode", data: "héllo wörld — 日本語 ✓ 🎉 Ω" },
  // 80 KB of 4-byte characters: clients read it in several pieces.
  { event: "unicode", data: "🎉".repeat(20_000) },
  "a plain string",
];

/** The event types a client must listen to, besides `message`. */
export const NAMED_TYPES: string[] = ["greeting", "json", "unicode"];

/** One event as a client delivers it. */
export interface DeliveredEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/** What a client delivers for {@linkcode SENT}, in order. */
export const EXPECTED: DeliveredEvent[] = [
  { type: "greeting", data: "hello", lastEventId: "" },
  { type: "message", data: "line one\nline two\nline three\nline four", lastEventId: "" },
  { type: "json", data: JSON.stringify(NESTED), lastEventId: "7" },
  { type: "unicode", data: "héllo wörld — 日本語 ✓ 🎉 Ω", lastEventId: "7" },
  { type: "unicode", data: "🎉".repeat(20_000), lastEventId: "7" },
  { type: "message", data: "a plain string", lastEventId: "7" },
];

/** The parsed JSON of the `json` event. */
export const EXPECTED_JSON: unknown = NESTED;

/**
 * `events` with long data replaced by its length, start and a checksum, so
 * that a failed comparison prints a readable diff (and still catches any
 * changed character).
 */
export function comparable(events: DeliveredEvent[]): DeliveredEvent[] {
  return events.map((event) => {
    if (event.data.length <= 200) return event;
    let sum = 0;
    for (const char of event.data) sum = (sum * 31 + char.codePointAt(0)!) >>> 0;
    return {
      ...event,
      data: `${event.data.slice(0, 20)}… (${event.data.length} UTF-16 units, checksum ${sum})`,
    };
  });
}
