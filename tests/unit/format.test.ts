import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createParser } from "eventsource-parser";
import { encodeEvent, formatEvent } from "../../mod.ts";

describe("formatEvent", () => {
  test("a plain string is sent as data", () => {
    assert.equal(formatEvent("hello"), "data: hello\n\n");
  });

  test("data strings are split on CRLF, CR and LF into data lines", () => {
    assert.equal(
      formatEvent({ data: "a\r\nb\rc\nd" }),
      "data: a\ndata: b\ndata: c\ndata: d\n\n",
    );
    assert.equal(formatEvent({ data: "end\n" }), "data: end\ndata: \n\n");
  });

  test("non-string data is sent as JSON", () => {
    assert.equal(formatEvent({ data: { n: 1, s: "x\ny" } }), 'data: {"n":1,"s":"x\\ny"}\n\n');
    assert.equal(formatEvent({ data: 42 }), "data: 42\n\n");
    assert.equal(formatEvent({ data: null }), "data: null\n\n");
    assert.equal(formatEvent({ data: [1, "two"] }), 'data: [1,"two"]\n\n');
  });

  test("fields are written in a fixed order: comment, event, id, retry, data", () => {
    assert.equal(
      formatEvent({ data: "d", retry: 10, id: 3, event: "e", comment: "c" }),
      ": c\nevent: e\nid: 3\nretry: 10\ndata: d\n\n",
    );
  });

  test("an empty id resets the client's last event id", () => {
    assert.equal(formatEvent({ id: "", data: "x" }), "id\ndata: x\n\n");
  });

  test("comments may span lines", () => {
    assert.equal(formatEvent({ comment: "one\ntwo\r\n\rthree" }), ": one\n: two\n:\n: three\n\n");
    assert.equal(formatEvent({ comment: "" }), ":\n\n");
  });

  test("unicode data is kept intact", () => {
    const text = "héllo wörld ✓ 日本 🎉";
    assert.equal(formatEvent(text), `data: ${text}\n\n`);
    assert.equal(new TextDecoder().decode(encodeEvent(text)), `data: ${text}\n\n`);
  });

  test("an id with CR, LF or NUL is a TypeError", () => {
    for (const id of ["a\nb", "a\rb", "a\r\nb", "a\0b"]) {
      assert.throws(() => formatEvent({ id, data: "x" }), {
        name: "TypeError",
        message: /`id` cannot contain a newline/,
      });
    }
  });

  test("an event name with CR or LF is a TypeError", () => {
    for (const event of ["a\nb", "a\rb"]) {
      assert.throws(() => formatEvent({ event, data: "x" }), {
        name: "TypeError",
        message: /`event` cannot contain a newline/,
      });
    }
  });

  test("retry must be a non-negative safe integer (RangeError)", () => {
    for (const retry of [-1, 1.5, NaN, Infinity, 2 ** 60]) {
      assert.throws(() => formatEvent({ retry }), RangeError, `retry ${retry}`);
    }
    assert.equal(formatEvent({ retry: 0 }), "retry: 0\n\n");
  });

  test("fields of the wrong type are TypeErrors", () => {
    // deno-lint-ignore no-explicit-any
    const bad: any[] = [
      { event: 1 },
      { id: {} },
      { retry: "10" },
      { comment: 5 },
      null,
      42,
      undefined,
    ];
    for (const event of bad) {
      assert.throws(() => formatEvent(event), TypeError, JSON.stringify(event));
    }
  });

  test("a non-finite numeric id is a RangeError", () => {
    assert.throws(() => formatEvent({ id: NaN, data: "x" }), RangeError);
  });

  test("data that JSON cannot serialise is a TypeError with the cause", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const data of [cycle, { big: 1n }]) {
      assert.throws(
        () => formatEvent({ data }),
        (error: unknown) =>
          error instanceof TypeError && /cannot be serialised to JSON/.test(error.message) &&
          error.cause instanceof Error,
      );
    }
    assert.throws(() => formatEvent({ data: () => 1 }), TypeError);
    assert.throws(() => formatEvent({ data: Symbol("s") }), TypeError);
  });

  test("an event with no field is a TypeError", () => {
    assert.throws(() => formatEvent({}), { name: "TypeError", message: /no field/ });
    assert.throws(() => formatEvent({ data: undefined }), TypeError);
  });

  test("encodeEvent returns the UTF-8 bytes and throws the same errors", () => {
    assert.deepEqual(
      encodeEvent({ event: "e", data: "é" }),
      new TextEncoder().encode("event: e\ndata: é\n\n"),
    );
    assert.throws(() => encodeEvent({ id: "\n" }), TypeError);
    assert.throws(() => encodeEvent({ retry: -1 }), RangeError);
  });
});

/** The events a spec parser (eventsource-parser, not ours) dispatches for `text`. */
function dispatched(text: string): { event?: string; data: string; id?: string }[] {
  const seen: { event?: string; data: string; id?: string }[] = [];
  const parser = createParser({
    onEvent: ({ event, data, id }) => seen.push({ event, data, id }),
  });
  parser.feed(text);
  return seen;
}

describe("what a client dispatches (checked with eventsource-parser)", () => {
  test("an event with a name and no data reaches the client, with empty data", () => {
    assert.deepEqual(dispatched(formatEvent({ event: "bye" })), [
      { event: "bye", data: "", id: undefined },
    ]);
    assert.deepEqual(dispatched(formatEvent({ event: "bye", retry: 30000, id: 9 })), [
      { event: "bye", data: "", id: "9" },
    ]);
  });

  test("an event with empty data reaches the client", () => {
    assert.deepEqual(dispatched(formatEvent({ event: "ping", data: "" })), [
      { event: "ping", data: "", id: undefined },
    ]);
  });

  test("an id-only or retry-only event is not dispatched: it only sets the last id or delay", () => {
    assert.equal(formatEvent({ id: 5 }), "id: 5\n\n");
    assert.equal(formatEvent({ retry: 100 }), "retry: 100\n\n");
    assert.deepEqual(dispatched(formatEvent({ id: 5 })), []);
    assert.deepEqual(dispatched(formatEvent({ retry: 100, id: "", comment: "c" })), []);
  });

  test("every field written is read back as sent", () => {
    const event = { event: "e", id: "x y", data: "a\nb\r\nc", comment: "c" };
    assert.deepEqual(dispatched(formatEvent(event)), [{ event: "e", data: "a\nb\nc", id: "x y" }]);
  });
});

describe("formatEvent refuses what clients would not get", () => {
  test("an unknown field is a TypeError; `type` names `event`", () => {
    assert.throws(
      () => formatEvent({ type: "x", data: 1 } as never),
      (error) =>
        error instanceof TypeError && /unknown field `type`/.test(error.message) &&
        /`event`/.test(error.message),
    );
    assert.throws(
      () => formatEvent({ data: 1, name: "x" } as never),
      /unknown field `name`.*`data`, `event`, `id`, `retry` and `comment`/,
    );
  });

  test("an id over 1 024 characters is a RangeError (Last-Event-ID is read up to 1 024)", () => {
    assert.equal(
      formatEvent({ id: "x".repeat(1024), data: 1 }),
      `id: ${"x".repeat(1024)}\ndata: 1\n\n`,
    );
    assert.throws(
      () => formatEvent({ id: "x".repeat(1025), data: 1 }),
      (error) =>
        error instanceof RangeError && /1025 characters/.test(error.message) &&
        /1024/.test(error.message),
    );
  });
});
