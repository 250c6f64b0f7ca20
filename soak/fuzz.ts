// The serializer fuzzed against an independent spec parser: events with CR,
// lone CR, NUL, lone surrogates, huge lines, invalid retry values and data
// JSON cannot serialise go through formatEvent/encodeEvent; what is accepted
// is fed, in random byte-split pieces, to eventsource-parser (not ours) and
// must come back as sent; what is refused must be a TypeError or RangeError
// from both functions, with nothing returned.
//
//   deno run -A soak/fuzz_run.ts 20000     prints one JSON line of counts
//
// tests/unit/serializer_fuzz.test.ts runs a few hundred of these on every
// `npm test`; `npm run soak` runs many more on each runtime.

import fc from "fast-check";
import { createParser } from "eventsource-parser";
import { encodeEvent, formatEvent, type SSEEvent } from "../src/format.ts";

/** What the fuzz found. */
export interface FuzzResult {
  runs: number;
  events: number;
  accepted: number;
  refused: number;
  /** Accepted events a spec parser read back differently, or refusals of another kind. */
  failures: string[];
  bytes: number;
}

const nasty = fc.constantFrom(
  "a",
  " ",
  ":",
  "\r",
  "\n",
  "\r\n",
  "\n\n",
  "\0",
  "é",
  "€",
  "🎉",
  "\uFEFF",
  "\uD800",
  "\uDC00",
  "data: x",
  "id: 1",
);
const text = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: nasty, maxLength: 30 }) },
  { weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme-composite", maxLength: 10 }) },
);
/** A huge line (64 KiB to 1 MiB), sometimes. */
const textOrHuge = fc.oneof(
  { weight: 40, arbitrary: text },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 16, max: 20 }), nasty).map(([log, unit]) =>
      "h".repeat(2 ** log) + unit
    ),
  },
);
const oneLine = text.map((s) => s.replace(/[\r\n\0]/g, ""));
const cycle: Record<string, unknown> = {};
cycle.self = cycle;
const unserialisable = fc.constantFrom<unknown>(
  cycle,
  { big: 10n },
  10n,
  () => 1,
  Symbol("s"),
  { toJSON: () => undefined },
  {
    toJSON() {
      throw new Error("toJSON failed");
    },
  },
);
const invalidRetry = fc.constantFrom<unknown>(
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 60,
  "10",
  null,
);
/** Mostly valid values, now and then an invalid one (CR/LF/NUL, a wrong type). */
const field = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: invalid });
/** Any event-shaped value, valid or not. */
export const anyEvent: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: textOrHuge },
  {
    weight: 12,
    arbitrary: fc.record({
      data: field(fc.oneof(textOrHuge, fc.jsonValue({ maxDepth: 2 })), unserialisable),
      event: field(oneLine, fc.oneof(text, fc.constantFrom<unknown>(1, null))),
      id: field(
        fc.oneof(oneLine, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
        fc.oneof(text, fc.constantFrom<unknown>(null, {}, 10n, NaN)),
      ),
      retry: field(fc.maxSafeNat(), invalidRetry),
      comment: field(textOrHuge, fc.constantFrom<unknown>(5)),
    }, { requiredKeys: [] }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(null, 42, undefined, [], {}, { data: undefined }),
  },
);

interface Seen {
  events: { event?: string; data: string; id?: string }[];
  retries: number[];
  comments: string[];
}

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();
const LINE_BREAK = /\r\n|\r|\n/g;
/** What UTF-8 makes of a string: lone surrogates become U+FFFD. */
const wellFormed = (s: string) => decoder.decode(encoder.encode(s));

/**
 * What a spec parser must report for `sent` (accepted events, in order).
 * eventsource-parser reports an event's own `id` field (not the last id
 * carried over from earlier events), `undefined` for none or `""`.
 */
function expected(sent: (SSEEvent | string)[]): Seen {
  const seen: Seen = { events: [], retries: [], comments: [] };
  for (const item of sent) {
    const e: SSEEvent = typeof item === "string" ? { data: item } : item;
    if (e.comment !== undefined) {
      for (const line of e.comment.split(LINE_BREAK)) seen.comments.push(wellFormed(line));
    }
    const id = e.id === undefined || e.id === "" ? undefined : wellFormed(String(e.id));
    if (e.retry !== undefined) seen.retries.push(e.retry);
    if (e.data === undefined && e.event === undefined) continue;
    const data = e.data === undefined
      ? ""
      : typeof e.data === "string"
      ? e.data.replace(LINE_BREAK, "\n")
      : JSON.stringify(e.data);
    seen.events.push({
      event: e.event ? wellFormed(e.event) : undefined,
      data: wellFormed(data),
      id,
    });
  }
  return seen;
}

/**
 * Feeds `bytes`, decoded, to eventsource-parser in pieces cut at `cuts`. The
 * text is decoded at once: Deno 2.9's streaming TextDecoder drops a U+FEFF
 * that starts a later chunk (a runtime bug, not the serializer's).
 */
function parse(bytes: Uint8Array, cuts: number[]): Seen {
  const seen: Seen = { events: [], retries: [], comments: [] };
  const parser = createParser({
    onEvent: ({ event, data, id }) => seen.events.push({ event, data, id: id || undefined }),
    onRetry: (ms) => seen.retries.push(ms),
    onComment: (comment) => seen.comments.push(comment),
  });
  const text = decoder.decode(bytes);
  let start = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)) {
    parser.feed(text.slice(start, cut));
    start = cut;
  }
  parser.feed(text.slice(start));
  return seen;
}

function errorKind(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    return error instanceof RangeError
      ? "RangeError"
      : error instanceof TypeError
      ? "TypeError"
      : `other: ${error}`;
  }
}

/** Runs the fuzz `runs` times (each a sequence of 1 to 6 events). */
export function fuzzSerializer(runs: number, seed?: number): FuzzResult {
  const result: FuzzResult = { runs, events: 0, accepted: 0, refused: 0, failures: [], bytes: 0 };
  const property = fc.property(
    fc.array(anyEvent, { minLength: 1, maxLength: 6 }),
    fc.array(fc.nat(), { maxLength: 8 }),
    (events, cuts) => {
      const accepted: (SSEEvent | string)[] = [];
      const parts: Uint8Array[] = [];
      for (const event of events) {
        result.events++;
        let wire: string;
        try {
          wire = formatEvent(event as SSEEvent);
        } catch {
          const a = errorKind(() => formatEvent(event as SSEEvent));
          const b = errorKind(() => encodeEvent(event as SSEEvent));
          if (a !== b || a === null || a.startsWith("other")) {
            throw new Error(`refused with ${a} by formatEvent, ${b} by encodeEvent`);
          }
          result.refused++;
          continue;
        }
        // One whole event: nothing after its blank line, no CR, no blank line inside.
        if (wire.indexOf("\n\n") !== wire.length - 2 || wire.includes("\r")) {
          throw new Error(`not one event: ${JSON.stringify(wire.slice(0, 80))}`);
        }
        result.accepted++;
        accepted.push(event as SSEEvent);
        parts.push(encodeEvent(event as SSEEvent));
      }
      const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const part of parts) {
        body.set(part, offset);
        offset += part.length;
      }
      result.bytes += body.length;
      const got = parse(body, cuts);
      const want = expected(accepted);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(
          `read back differently: sent ${short(accepted)}, ` +
            `got ${short(got)}, want ${short(want)}`,
        );
      }
    },
  );
  const details = fc.check(property, { numRuns: runs, seed, endOnFailure: true });
  if (details.failed) {
    result.failures.push(
      `${
        String(details.errorInstance).slice(0, 2000)
      } (seed ${details.seed}, path ${details.counterexamplePath})`,
    );
  }
  return result;
}

/** JSON of `value` with long runs of one character shortened, for messages. */
function short(value: unknown): string {
  return JSON.stringify(value).replace(/(.)\1{15,}/g, (run, c) => `${c}…×${run.length}`).slice(
    0,
    600,
  );
}
