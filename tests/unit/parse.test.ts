import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EventStreamParser, type ParserOptions, type ServerSentEvent } from "../../client.ts";
import { encodeEvent, type SSEEvent } from "../../mod.ts";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

interface Parsed {
  events: ServerSentEvent[];
  lastEventId: string;
  retries: number[];
}

/** Parses `chunks` (strings or bytes) through an EventStreamParser. */
async function parse(
  chunks: (string | Uint8Array)[],
  options: ParserOptions = {},
): Promise<Parsed> {
  const retries: number[] = [];
  const parser = new EventStreamParser({ ...options, onRetry: (ms) => retries.push(ms) });
  const source = new ReadableStream<Uint8Array | string>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const events: ServerSentEvent[] = [];
  const reader = source.pipeThrough(parser).getReader();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    events.push(value);
  }
  return { events, lastEventId: parser.lastEventId, retries };
}

/** The data of each event parsed from `text` sent as one UTF-8 chunk. */
async function data(text: string, options?: ParserOptions): Promise<string[]> {
  return (await parse([bytes(text)], options)).events.map((event) => event.data);
}

/** Feeds `data: x…x` (n characters) one byte per chunk; returns milliseconds. */
async function timeOneByteAtATime(n: number, deadline: number): Promise<number> {
  const body = bytes("data: " + "x".repeat(n) + "\n\n");
  const started = performance.now();
  let i = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (performance.now() - started > deadline) {
        controller.error(new Error(`parsing ${n} bytes one at a time took over ${deadline} ms`));
        return;
      }
      const end = Math.min(i + 4096, body.length);
      for (; i < end; i++) controller.enqueue(body.subarray(i, i + 1));
      if (i === body.length) controller.close();
    },
  }, { highWaterMark: 0 });
  const reader = source.pipeThrough(new EventStreamParser()).getReader();
  const events: ServerSentEvent[] = [];
  for (let step = await reader.read(); !step.done; step = await reader.read()) {
    events.push(step.value);
  }
  assert.equal(events.length, 1);
  assert.equal(events[0].data.length, n);
  return performance.now() - started;
}

async function timeLines(): Promise<{ quarter: number; full: number }> {
  await timeOneByteAtATime(1 << 14, 10_000); // warm up
  const quarter = Math.min(
    await timeOneByteAtATime(1 << 18, 10_000),
    await timeOneByteAtATime(1 << 18, 10_000),
  );
  const full = Math.min(
    await timeOneByteAtATime(1 << 20, 30_000),
    await timeOneByteAtATime(1 << 20, 30_000),
  );
  return { quarter, full };
}

// Timed while the file loads, outside any test: inside a node:test test, Node
// tracks the async context of every promise, which makes each chunk through a
// stream about ten times slower there and would time that, not the parser.
const lineTimes = await timeLines().catch((error: Error) => error);

const message = (data: string, lastEventId = "", type = "message"): ServerSentEvent => ({
  type,
  data,
  lastEventId,
});

describe("EventStreamParser: line endings", () => {
  test("LF, CR and CRLF each end a line, mixed in one stream", async () => {
    assert.deepEqual(await data("data: a\n\n"), ["a"]);
    assert.deepEqual(await data("data: a\r\r"), ["a"]);
    assert.deepEqual(await data("data: a\r\n\r\n"), ["a"]);
    assert.deepEqual(
      await data("data: 1\rdata: 2\r\ndata: 3\n\r\ndata: 4\r\n\n"),
      ["1\n2\n3", "4"],
    );
  });

  test("a CRLF split across two chunks is one line ending, not two", async () => {
    const { events } = await parse(["data: a\r", "\ndata: b\r", "\n\r", "\n"]);
    assert.deepEqual(events, [message("a\nb")]);
  });

  test("a CR at the end of a chunk followed by another line is one line ending", async () => {
    const { events } = await parse(["data: a\r", "data: b\r", "\r"]);
    assert.deepEqual(events, [message("a\nb")]);
  });

  test("an empty chunk between CR and LF does not turn them into two line endings", async () => {
    const { events } = await parse([bytes("data: a\r"), new Uint8Array(0), bytes("\ndata: b\n\n")]);
    assert.deepEqual(events, [message("a\nb")]);
  });

  test("an event ended by a CR is dispatched without waiting for the next chunk", async () => {
    const parser = new EventStreamParser();
    const writer = parser.writable.getWriter();
    const reader = parser.readable.getReader();
    writer.write("data: now\r\r");
    const first = await reader.read();
    assert.deepEqual(first.value, message("now"));
    writer.close();
    assert.equal((await reader.read()).done, true);
  });
});

describe("EventStreamParser: byte order mark and UTF-8", () => {
  const BOM = [0xef, 0xbb, 0xbf];

  test("one leading BOM is stripped, even split across chunks", async () => {
    const body = [...BOM, ...bytes("data: x\n\n")];
    assert.deepEqual((await parse([new Uint8Array(body)])).events, [message("x")]);
    const split = [new Uint8Array([0xef]), new Uint8Array([0xbb]), new Uint8Array(body.slice(2))];
    assert.deepEqual((await parse(split)).events, [message("x")]);
  });

  test("only one BOM is stripped: a second one makes the first field name unknown", async () => {
    const body = new Uint8Array([...BOM, ...BOM, ...bytes("data: x\n\ndata: y\n\n")]);
    assert.deepEqual((await parse([body])).events, [message("y")]);
  });

  test("a BOM after the start of the stream is not stripped", async () => {
    assert.deepEqual(await data("data: a\n\n\uFEFFdata: b\n\n"), ["a"]);
    assert.deepEqual(await data("data: \uFEFFc\n\n"), ["\uFEFFc"]);
  });

  test("exactly one layer strips the BOM: TextDecoderStream, then the parser", async () => {
    const body = new Response(new Uint8Array([...BOM, ...BOM, ...bytes("data: x\n\ndata: y\n\n")]))
      .body!.pipeThrough(new TextDecoderStream());
    const events: ServerSentEvent[] = [];
    const reader = body.pipeThrough(new EventStreamParser()).getReader();
    for (let step = await reader.read(); !step.done; step = await reader.read()) {
      events.push(step.value);
    }
    assert.deepEqual(events, [message("y")]);
  });

  test("multi-byte characters split across chunks decode intact", async () => {
    const body = bytes("data: é🎉日本\n\n");
    const chunks = [...body].map((byte) => new Uint8Array([byte]));
    assert.deepEqual((await parse(chunks)).events, [message("é🎉日本")]);
  });

  test("invalid UTF-8 becomes U+FFFD, as TextDecoder does", async () => {
    const body = new Uint8Array([...bytes("data: a"), 0xff, ...bytes("b\n\n")]);
    assert.deepEqual((await parse([body])).events, [message("a\uFFFDb")]);
  });
});

describe("EventStreamParser: fields", () => {
  test("one space after the colon is stripped, and only one", async () => {
    assert.deepEqual(await data("data:x\n\n"), ["x"]);
    assert.deepEqual(await data("data: x\n\n"), ["x"]);
    assert.deepEqual(await data("data:  x\n\n"), [" x"]);
    assert.deepEqual(await data("data:\tx\n\n"), ["\tx"]);
    assert.deepEqual(await data("data: a: b\n\n"), ["a: b"]);
    const { events } = await parse(["event:  spaced\nid:  7\ndata\n\n"]);
    assert.deepEqual(events, [message("", " 7", " spaced")]);
  });

  test("a line without a colon is a field with an empty value", async () => {
    assert.deepEqual(await data("data\n\n"), [""]);
    assert.deepEqual(await data("data\ndata\n\n"), ["\n"]);
    assert.deepEqual((await parse(["event\ndata: x\n\n"])).events, [message("x")]);
    assert.deepEqual((await parse(["id: 1\ndata: a\n\nid\ndata: b\n\n"])).events, [
      message("a", "1"),
      message("b", ""),
    ]);
  });

  test("lines starting with a colon are comments, even between data lines", async () => {
    assert.deepEqual(await data(": hello\n:\n:data: x\n\n"), []);
    assert.deepEqual(await data("data: a\n: comment\ndata: b\n\n"), ["a\nb"]);
  });

  test("unknown fields are ignored; field names are case-sensitive and exact", async () => {
    assert.deepEqual(await data("foo: bar\ndata: x\n\n"), ["x"]);
    assert.deepEqual(await data("Data: x\n\ndata : y\n\n data: z\n\n"), []);
  });

  test("data lines are joined with LF; one trailing LF is removed", async () => {
    assert.deepEqual(await data("data: a\ndata: b\n\n"), ["a\nb"]);
    assert.deepEqual(await data("data: a\ndata:\n\n"), ["a\n"]);
    assert.deepEqual(await data("data:\n\n"), [""]);
  });

  test("the event type defaults to message and applies to one event only", async () => {
    const { events } = await parse([
      "event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\nevent: lost\n\ndata: 4\n\n",
    ]);
    assert.deepEqual(events.map((event) => event.type), ["add", "message", "message", "message"]);
  });

  test("a block without data is not dispatched", async () => {
    assert.deepEqual(await data("event: x\nid: 1\n\n\n\n"), []);
  });
});

describe("EventStreamParser: id", () => {
  test("the id persists across events until changed, and is committed by a block without data", async () => {
    const { events, lastEventId } = await parse([
      "id: 1\ndata: a\n\ndata: b\n\nid: 2\n\ndata: c\n\n",
    ]);
    assert.deepEqual(events, [message("a", "1"), message("b", "1"), message("c", "2")]);
    assert.equal(lastEventId, "2");
  });

  test("an id containing NUL is ignored", async () => {
    const { events, lastEventId } = await parse(["id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"]);
    assert.deepEqual(events, [message("a", "1"), message("b", "1")]);
    assert.equal(lastEventId, "1");
  });

  test("an empty id resets the last event id", async () => {
    const { events, lastEventId } = await parse([
      "id: 5\ndata: a\n\nid\ndata: b\n\nid: 6\ndata: c\n\nid:\ndata: d\n\n",
    ]);
    assert.deepEqual(events.map((event) => event.lastEventId), ["5", "", "6", ""]);
    assert.equal(lastEventId, "");
  });

  test("the id of an unterminated final event is not committed", async () => {
    const { lastEventId } = await parse(["id: 1\ndata: a\n\nid: 2\ndata: b\n"]);
    assert.equal(lastEventId, "1");
  });
});

describe("EventStreamParser: retry", () => {
  test("retry is accepted only when it is all ASCII digits", async () => {
    const { retries, events } = await parse([
      "retry: 1000\n\nretry:42\nretry: 10a\nretry: -1\nretry: 1.5\nretry:  100\nretry: \nretry\n" +
      "retry: ١٢\nretry: 0\n\n",
    ]);
    assert.deepEqual(retries, [1000, 42, 0]);
    assert.deepEqual(events, []);
  });

  test("retry is reported as soon as its line is read, and kept by the parser", async () => {
    const parser = new EventStreamParser();
    const writer = parser.writable.getWriter();
    const next = parser.readable.getReader().read();
    assert.equal(parser.retry, undefined);
    await writer.write("retry: 250\n");
    assert.equal(parser.retry, 250);
    await writer.close();
    assert.equal((await next).done, true);
  });
});

describe("EventStreamParser: end of stream", () => {
  test("an unterminated final event is discarded", async () => {
    assert.deepEqual(await data("data: a\n\ndata: b"), ["a"]);
    assert.deepEqual(await data("data: a\n\ndata: b\n"), ["a"]);
    assert.deepEqual(await data("data: a\n\ndata: b\r"), ["a"]);
  });

  test("flushUnterminated dispatches it for upstreams that do not end their last event", async () => {
    const options = { flushUnterminated: true };
    assert.deepEqual(await data("data: a\n\ndata: b", options), ["a", "b"]);
    assert.deepEqual(await data("data: a\n\ndata: b\n", options), ["a", "b"]);
    assert.deepEqual(await data("data: a\n\n", options), ["a"]);
    const { events } = await parse(["id: 3\nevent: end\ndata: c"], options);
    assert.deepEqual(events, [message("c", "3", "end")]);
  });
});

describe("EventStreamParser: chunking", () => {
  const corpus = "\uFEFF: hi\r\nevent: é\r\nid: 7\r\ndata: 🎉 one\r\ndata:two\r\n\r\n" +
    "retry: 300\rdata: three\r\rid\nfoo\ndata\n\ndata: 日本\n\ndata: lost";
  const body = bytes(corpus);

  test("the same events come out however the bytes are split", async () => {
    const whole = await parse([body]);
    assert.deepEqual(whole.events, [
      message("🎉 one\ntwo", "7", "é"),
      message("three", "7"),
      message("", ""),
      message("日本", ""),
    ]);
    assert.deepEqual(whole.retries, [300]);
    for (let i = 0; i <= body.length; i++) {
      const split = await parse([body.subarray(0, i), body.subarray(i)]);
      assert.deepEqual(split, whole, `split at byte ${i}`);
    }
    for (let i = 0; i <= body.length; i += 3) {
      for (let j = i; j <= body.length; j += 5) {
        const split = await parse([body.subarray(0, i), body.subarray(i, j), body.subarray(j)]);
        assert.deepEqual(split, whole, `split at bytes ${i} and ${j}`);
      }
    }
    const oneByOne = await parse([...body].map((byte) => new Uint8Array([byte])));
    assert.deepEqual(oneByOne, whole, "one byte at a time");
  });

  test("string chunks split at every boundary give the same events", async () => {
    const text = corpus.slice(1);
    const whole = await parse([text]);
    for (let i = 0; i <= text.length; i++) {
      assert.deepEqual(await parse([text.slice(0, i), text.slice(i)]), whole, `split at ${i}`);
    }
  });
});

describe("EventStreamParser: limits and errors", () => {
  test("an event larger than maxEventSize errors the stream with a RangeError", async () => {
    const tooBig = "data: " + "x".repeat(100) + "\n\n";
    await assert.rejects(parse([tooBig], { maxEventSize: 50 }), {
      name: "RangeError",
      message: /maxEventSize \(50 characters\)/,
    });
    const manyLines = "data: 0123456789\n".repeat(10) + "\n";
    await assert.rejects(parse([manyLines], { maxEventSize: 50 }), RangeError);
    assert.equal((await parse([tooBig], { maxEventSize: 101 })).events.length, 1);
  });

  test("a line that never ends fails as soon as it passes maxEventSize", async () => {
    const parser = new EventStreamParser({ maxEventSize: 1000 });
    const writer = parser.writable.getWriter();
    parser.readable.getReader().read().catch(() => {});
    let written = 0;
    await assert.rejects(async () => {
      while (written < 1_000_000) {
        await writer.write("x".repeat(100));
        written += 100;
      }
    }, RangeError);
    assert.ok(written <= 1000, `wrote ${written} characters before the error`);
  });

  test("invalid options and chunks are rejected with errors that say what to fix", async () => {
    assert.throws(() => new EventStreamParser({ maxEventSize: 0 }), RangeError);
    assert.throws(() => new EventStreamParser({ maxEventSize: NaN }), RangeError);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => new EventStreamParser({ flushUnterminated: "yes" as any }), TypeError);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => new EventStreamParser({ onRetry: 5 as any }), TypeError);
    // deno-lint-ignore no-explicit-any
    await assert.rejects(parse([42 as any]), {
      name: "TypeError",
      message: /chunks must be Uint8Array or string, got number/,
    });
  });
});

describe("EventStreamParser: performance", () => {
  test("a 1 MiB line fed one byte at a time parses in linear time", () => {
    if (lineTimes instanceof Error) throw lineTimes;
    const { quarter, full } = lineTimes;
    // Linear: about 4 times the 256 KiB time; quadratic: about 16 times (and
    // a quadratic parser does not finish 1 MiB before the 30 s deadline).
    assert.ok(
      full < quarter * 10,
      `1 MiB took ${full.toFixed(0)} ms, 256 KiB took ${quarter.toFixed(0)} ms`,
    );
  });
});

describe("EventStreamParser: round trip with formatEvent", () => {
  const LINE_BREAK = /\r\n|\r|\n/g;
  const interesting = fc.constantFrom("a", " ", ":", "\r", "\n", "\r\n", "\0", "é", "🎉", "\uFEFF");
  const text = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: interesting }));
  const oneLine = text.map((s) => s.replace(/[\r\n]/g, ""));
  const sseEvent: fc.Arbitrary<SSEEvent | string> = fc.oneof(
    text,
    fc.record({
      data: fc.oneof(text, fc.jsonValue()),
      event: oneLine,
      id: fc.oneof(oneLine.map((s) => s.replace(/\0/g, "")), fc.integer(), fc.double()),
      retry: fc.maxSafeNat(),
      comment: text,
    }, { requiredKeys: [] }).filter((event) => Object.keys(event).length > 0).map(
      (event) =>
        typeof event.id === "number" && !Number.isFinite(event.id) ? { ...event, id: 0 } : event,
    ),
  );

  /** What an EventSource reports for these events, written one after another. */
  function expected(sent: (SSEEvent | string)[]): Parsed {
    const result: Parsed = { events: [], lastEventId: "", retries: [] };
    for (const event of sent) {
      const { data, event: type, id, retry } = typeof event === "string" ? { data: event } : event;
      if (id !== undefined) result.lastEventId = String(id);
      if (retry !== undefined) result.retries.push(retry);
      if (data === undefined && type === undefined) continue; // id/retry only: not dispatched
      const payload = data === undefined
        ? ""
        : typeof data === "string"
        ? data
        : JSON.stringify(data);
      result.events.push(
        message(payload.replace(LINE_BREAK, "\n"), result.lastEventId, type || "message"),
      );
    }
    return result;
  }

  test("anything formatEvent writes parses back to the same event, however it is split", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sseEvent, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (sent, cuts) => {
          const parts = sent.map(encodeEvent);
          const body = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
          let offset = 0;
          for (const part of parts) {
            body.set(part, offset);
            offset += part.length;
          }
          const points = [...new Set(cuts.map((cut) => cut % (body.length + 1)))].sort((a, b) =>
            a - b
          );
          const chunks: Uint8Array[] = [];
          let start = 0;
          for (const point of [...points, body.length]) {
            chunks.push(body.subarray(start, point));
            start = point;
          }
          assert.deepEqual(await parse(chunks), expected(sent));
        },
      ),
      { numRuns: 300 },
    );
  });
});
