// The tests' body reader (tests/_read.ts): text and events from one read, each
// event with its own id, nothing lost when a read times out.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BodyReader, readUntil } from "../_read.ts";

function body(
  ...chunks: string[]
): { stream: ReadableStream<Uint8Array>; push(text: string): void; end(): void } {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      for (const chunk of chunks) c.enqueue(encoder.encode(chunk));
    },
  });
  return {
    stream,
    push: (text) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

describe("test body reader", () => {
  test("each event carries its own id, and the last id it inherited", async () => {
    const source = body(":\n\nid: 1\ndata: a\n\nevent: b\ndata: b\n\nid: 3\nevent: c\ndata: c\n\n");
    source.end();
    const reader = new BodyReader(source.stream);
    const events = await reader.takeRest();
    assert.deepEqual(
      events.map(({ event, data, id, lastEventId }) => ({ event, data, id, lastEventId })),
      [
        { event: "message", data: "a", id: "1", lastEventId: "1" },
        { event: "b", data: "b", id: undefined, lastEventId: "1" },
        { event: "c", data: "c", id: "3", lastEventId: "3" },
      ],
    );
    assert.equal(reader.done, true);
  });

  test("an event split across chunks arrives once, when its blank line does", async () => {
    const source = body("data: hel");
    const reader = new BodyReader(source.stream);
    const taking = reader.take(1);
    source.push("lo\n");
    source.push("\n");
    assert.deepEqual((await taking).map((event) => event.data), ["hello"]);
    assert.equal(reader.text, "data: hello\n\n");
  });

  test("a read that times out loses no chunk", async () => {
    const source = body();
    const reader = new BodyReader(source.stream);
    await assert.rejects(reader.until("x", 20), /timed out/);
    source.push("x");
    source.end();
    assert.equal(await reader.rest(), "x");
  });

  test("until() fails when the body ends first; readUntil() returns what came", async () => {
    const ended = body("data: a\n\n");
    ended.end();
    await assert.rejects(
      new BodyReader(ended.stream).until("never"),
      /stream ended before "never"/,
    );
    const other = body("data: b\n\n");
    other.end();
    const { text } = await readUntil(other.stream, (t) => t.includes("never"));
    assert.equal(text, "data: b\n\n");
  });
});
