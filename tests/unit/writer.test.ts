// The writer against a Sink of the test's own: the contract an output
// (the web ReadableStream, Node's ServerResponse, a compressor) implements.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { resolveOptions, type SSEOptions } from "../../src/options.ts";
import type { Sink, SinkOwner } from "../../src/sink.ts";
import { Writer } from "../../src/writer.ts";

const decoder = new TextDecoder();

/** A sink that records what it is given and takes more while `accepting`. */
class RecordingSink implements Sink {
  chunks: string[] = [];
  ended: "closed" | "aborted" | null = null;
  accepting = false;
  failing = false;
  constructor(readonly owner: SinkOwner) {}
  write(chunk: Uint8Array): boolean {
    if (this.failing) throw new Error("peer gone");
    this.chunks.push(decoder.decode(chunk));
    return this.accepting;
  }
  close(): void {
    this.ended ??= "closed";
  }
  abort(): void {
    this.ended ??= "aborted";
  }
}

function writer(options: SSEOptions = {}): Writer<RecordingSink> {
  const config = resolveOptions({ heartbeat: false, ...options });
  return new Writer(new Request("http://localhost/"), config, (owner) => new RecordingSink(owner));
}

/** Lets queued microtasks (the coalescing flush) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("writer and sink", () => {
  test("nothing is written before the sink asks; then the burst goes out as one chunk", async () => {
    const w = writer();
    w.send("a");
    w.send("b");
    await settle();
    assert.deepEqual(w.sink.chunks, []);
    w.demand();
    await settle();
    assert.deepEqual(w.sink.chunks, [":\n\ndata: a\n\ndata: b\n\n"]);
    assert.equal(w.bufferedAmount, 0);
  });

  test("a sink that can take more gets the next events without another demand", async () => {
    const w = writer();
    w.sink.accepting = true;
    w.demand();
    await settle();
    w.send("next");
    await settle();
    assert.deepEqual(w.sink.chunks, [":\n\n", "data: next\n\n"]);
  });

  test("a loop of await send() while the sink waits goes out as one chunk, not one per event", async () => {
    const w = writer();
    w.sink.accepting = true;
    w.demand();
    await settle();
    for (let i = 0; i < 10; i++) assert.equal(await w.send(`e${i}`), true);
    await settle();
    const burst = Array.from({ length: 10 }, (_, i) => `data: e${i}\n\n`).join("");
    assert.deepEqual(w.sink.chunks, [":\n\n", burst]);
  });

  test("write() says what happened to each chunk", () => {
    const w = writer({ highWaterMark: 10, maxBuffered: 30, onSlowConsumer: "drop" });
    assert.equal(w.write("0123"), "queued");
    assert.equal(w.write("0123456789"), "full");
    assert.equal(w.write("0123456789"), "full");
    assert.equal(w.write("0123456789"), "dropped");
    assert.equal(w.dropped, 1);
    w.end("closed");
    assert.equal(w.write("late"), "closed");
  });

  test("a server close flushes the queue and the final event, then closes the sink", () => {
    const w = writer({ close: { final: { event: "bye", data: "" } } });
    w.send("last");
    w.end("shutdown");
    assert.deepEqual(w.sink.chunks, [":\n\ndata: last\n\nevent: bye\ndata: \n\n"]);
    assert.equal(w.sink.ended, "closed");
  });

  test("a sink that throws on write ends the stream with reason client", async () => {
    const w = writer();
    w.sink.failing = true;
    w.demand();
    await settle();
    assert.equal(w.open, false);
    assert.equal(await w.closed, "client");
    assert.equal((w.signal.reason.cause as Error).message, "peer gone");
  });

  test("gone() ends the stream with reason client and drops the queue", async () => {
    const w = writer();
    w.send("never");
    w.gone(new Error("cancelled"));
    assert.equal(await w.closed, "client");
    assert.deepEqual(w.sink.chunks, []);
    assert.equal(w.bufferedAmount, 0);
  });

  test("signal and closed read after the end already tell the reason", async () => {
    const w = writer();
    w.end("max-duration");
    assert.equal(w.signal.aborted, true);
    assert.equal(w.signal.reason.reason, "max-duration");
    assert.equal(await w.closed, "max-duration");
    assert.equal(w.closed, w.closed);
  });

  test("timestamps are read-only outside the writer", () => {
    const w = writer();
    assert.throws(() => {
      (w as unknown as { lastWriteAt: number }).lastWriteAt = 0;
    }, TypeError);
  });
});
