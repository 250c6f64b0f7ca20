// Backpressure, coalescing, buffer limits and the shared timer, in process.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { Channel, sse, type SSEStream, type StreamClosed } from "../../mod.ts";
import { scheduler } from "../../src/scheduler.ts";
import { BodyReader } from "../_read.ts";
import { delay, within } from "../_server.ts";

function open(options: Parameters<typeof sse>[2] = {}) {
  let stream!: SSEStream;
  const response = sse(new Request("http://localhost/"), (s) => {
    stream = s;
  }, { heartbeat: false, stallTimeout: false, ...options, close: { onReturn: false } });
  return { stream, body: new BodyReader(response) };
}

const event1k = "x".repeat(1000);

describe("coalescing", () => {
  test("everything queued when the consumer pulls leaves as one chunk", async () => {
    const { stream, body } = open();
    await body.next();
    for (let i = 0; i < 10; i++) stream.send(`e${i}`);
    const chunk = await body.next();
    assert.equal(chunk, [...Array(10).keys()].map((i) => `data: e${i}\n\n`).join(""));
    stream.close();
  });

  test("unicode and ASCII events coalesced in one chunk arrive intact", async () => {
    const { stream, body } = open();
    await body.next();
    const texts = ["plain", "héllo", "日本語", "emoji 🎉", "tail"];
    for (const text of texts) stream.send(text);
    assert.equal(await body.next(), texts.map((text) => `data: ${text}\n\n`).join(""));
    stream.close();
  });

  test("an event sent while the consumer waits is delivered at once, without a timer", async () => {
    const { stream, body } = open();
    await body.next();
    const reading = body.next();
    const sentAt = performance.now();
    stream.send("now");
    assert.equal(await reading, "data: now\n\n");
    assert.ok(performance.now() - sentAt < 5, "no added latency");
    stream.close();
  });
});

describe("backpressure", () => {
  test("send() waits while more than highWaterMark bytes are queued", async () => {
    const { stream, body } = open({ highWaterMark: 4096 });
    await body.next();
    let resolved = 0;
    const sends: Promise<boolean>[] = [];
    for (let i = 0; i < 10; i++) {
      sends.push(stream.send(event1k).then((ok) => (resolved++, ok)));
    }
    await delay(10);
    assert.equal(resolved, 4, "sends under the high-water mark (4 × 1 008 bytes) resolve at once");
    await body.next();
    assert.deepEqual(await Promise.all(sends), Array(10).fill(true));
    stream.close();
  });

  test("a producer 100x faster than the consumer keeps memory bounded", async () => {
    const highWaterMark = 16 * 1024;
    const { stream, body } = open({ highWaterMark });
    await body.next();
    let produced = 0;
    let maxQueued = 0;
    const writer = stream as unknown as { bufferedAmount: number };
    const producer = (async () => {
      while (produced < 2000 && await stream.send(event1k)) {
        produced++;
        maxQueued = Math.max(maxQueued, writer.bufferedAmount);
      }
    })();
    // The consumer reads one chunk every 10 ms; the producer could write
    // hundreds of events in that time.
    let received = 0;
    while (received < 200 * 1000) {
      const chunk = await body.next();
      received += chunk!.length;
      await delay(10);
    }
    assert.ok(maxQueued <= highWaterMark + 1100, `queued at most ${maxQueued} bytes`);
    assert.ok(produced * 1000 <= received + highWaterMark + 2200, "the producer waited");
    stream.close();
    await producer;
  });

  test("past maxBuffered an un-awaited producer closes the stream as slow-consumer", async () => {
    const { stream, body } = open({ highWaterMark: 2048, maxBuffered: 10_000 });
    await body.next();
    const results = [];
    for (let i = 0; i < 20; i++) results.push(stream.send(event1k));
    assert.equal(await stream.closed, "slow-consumer");
    assert.equal(await results[19], false);
    await assert.rejects(body.rest(), (error: Error) => {
      assert.equal((error as StreamClosed).reason, "slow-consumer");
      return true;
    }, "the body errors: the runtime drops the connection");
    assert.equal(body.text, ":\n\n", "the queue of a slow consumer is dropped");
  });

  test('with onSlowConsumer "drop", events past maxBuffered are dropped and counted', async () => {
    const { stream, body } = open({
      highWaterMark: 2048,
      maxBuffered: 10_000,
      onSlowConsumer: "drop",
    });
    await body.next();
    for (let i = 0; i < 20; i++) stream.send(`${i}`.padEnd(990, "."));
    assert.equal(stream.dropped, 10);
    const chunk = await body.next();
    assert.equal(chunk!.split("\n\n").length - 1, 10, "the first ten events were kept");
    assert.equal(await stream.send("after"), true, "the stream is still open");
    stream.close();
  });
});

describe("limits", () => {
  // deno-lint-ignore no-explicit-any
  const globals = globalThis as any;
  /** Heap in use after a collection where the runtime offers one. */
  const heapUsed = () => {
    globals.gc?.();
    globals.Bun?.gc(true);
    return process.memoryUsage().heapUsed;
  };

  test('with onSlowConsumer "drop", dropped sends share one promise and memory stays bounded', async () => {
    const { stream, body } = open({
      highWaterMark: 2048,
      maxBuffered: 8192,
      onSlowConsumer: "drop",
    });
    await body.next();
    while (stream.dropped === 0) stream.send(event1k);
    const first = stream.send(event1k);
    assert.equal(stream.send("x"), first, "every pending send waits on the same promise");
    const before = heapUsed();
    for (let i = 0; i < 1_000_000; i++) stream.send("x");
    const grown = heapUsed() - before;
    assert.ok(stream.dropped > 999_000);
    assert.ok(
      grown < 64 * 1024 * 1024,
      `1 000 000 dropped sends grew the heap by ${(grown / 1048576).toFixed(1)} MiB`,
    );
    assert.ok(stream.bufferedAmount <= 8192);
    stream.close();
    assert.equal(await first, false, "pending sends resolve false once closed");
  });

  test("bufferedAmount counts the UTF-8 bytes queued", async () => {
    const { stream, body } = open();
    await body.next();
    assert.equal(stream.bufferedAmount, 0);
    stream.send("€".repeat(100));
    assert.equal(stream.bufferedAmount, "data: \n\n".length + 300);
    stream.send({ data: "ok" });
    assert.equal(stream.bufferedAmount, "data: \n\n".length + 300 + "data: ok\n\n".length);
    stream.close();
    assert.equal(
      await body.rest(),
      `:\n\ndata: ${"€".repeat(100)}\n\ndata: ok\n\n`,
      "measured, then sent",
    );
  });

  test("highWaterMark counts UTF-8 bytes: non-ASCII text waits as early as its size says", async () => {
    const { stream, body } = open({ highWaterMark: 4096 });
    await body.next();
    const euro = "€".repeat(1000); // 3 000 bytes, 1 000 UTF-16 code units
    let resolved = 0;
    const sends: Promise<boolean>[] = [];
    for (let i = 0; i < 5; i++) sends.push(stream.send(euro).then((ok) => (resolved++, ok)));
    await delay(10);
    assert.equal(resolved, 1, "one event of 3 008 bytes fits under 4 096, two do not");
    assert.ok(stream.bufferedAmount >= 5 * 3008);
    stream.close();
    assert.deepEqual(await Promise.all(sends), [true, false, false, false, false]);
  });

  test("maxBuffered counts UTF-8 bytes: drops and slow-consumer come at the byte limit", async () => {
    const euro = "€".repeat(1000);
    const dropping = open({ highWaterMark: 2048, maxBuffered: 10_000, onSlowConsumer: "drop" });
    await dropping.body.next();
    for (let i = 0; i < 20; i++) dropping.stream.send(euro);
    assert.equal(dropping.stream.dropped, 17, "3 events of 3 008 bytes fit in 10 000");
    assert.ok(dropping.stream.bufferedAmount <= 10_000);
    const chunk = await dropping.body.next();
    assert.equal(chunk, `data: ${euro}\n\n`.repeat(3));
    dropping.stream.close();

    const closing = open({ highWaterMark: 2048, maxBuffered: 10_000 });
    await closing.body.next();
    for (let i = 0; i < 3; i++) closing.stream.send(euro);
    assert.equal(closing.stream.signal.aborted, false);
    closing.stream.send(euro);
    assert.equal(closing.stream.signal.aborted, true, "the fourth event passes 10 000 bytes");
    assert.equal(await closing.stream.closed, "slow-consumer");
    await closing.body.rest().catch(() => {});
  });

  test("ASCII, non-ASCII and emoji bursts past highWaterMark arrive intact", async () => {
    const { stream, body } = open({ highWaterMark: 64, maxBuffered: 1 << 20 });
    await body.next();
    const texts: string[] = [];
    for (let i = 0; i < 300; i++) {
      texts.push(["plain", "héllo", "日本語", "🎉x", "a".repeat(40)][i % 5] + i);
    }
    for (const text of texts) stream.send(text);
    stream.close();
    assert.equal(await body.rest(), ":\n\n" + texts.map((text) => `data: ${text}\n\n`).join(""));
  });
});

describe("scheduler", () => {
  test("10 000 open streams with heartbeats and deadlines share one timer", async () => {
    const before = scheduler.pending;
    const streams: SSEStream[] = [];
    for (let i = 0; i < 10_000; i++) {
      sse(new Request("http://localhost/"), (s) => {
        streams.push(s);
      }, { heartbeat: 1000, close: { onReturn: false, maxDuration: 60_000 } });
    }
    assert.equal(scheduler.timers, 1);
    assert.equal(
      scheduler.pending - before,
      10_000 * 2,
      "the heartbeat (which also checks for a stall) and the deadline",
    );
    await Promise.all(streams.map((s) => s.close()));
    assert.equal(scheduler.pending, before);
    if (before === 0) assert.equal(scheduler.timers, 0, "the timer is released");
  });

  test("a stream with every deadline, a channel and sleeps in parallel leaves none of them behind when it ends", async () => {
    const before = scheduler.pending;
    const channel = new Channel({ history: false });
    const shutdown = new AbortController();
    let stream!: SSEStream;
    const sleeps: Promise<boolean>[] = [];
    const response = sse(new Request("http://localhost/"), (s) => {
      stream = s;
      sleeps.push(s.sleep(1), s.sleep(60_000), s.sleep(60_000));
      return channel.subscribe(s);
    }, {
      heartbeat: 1000,
      shutdown: shutdown.signal,
      close: { maxDuration: 60_000, idleTimeout: 60_000 },
    });
    const body = new BodyReader(response);
    assert.equal(await sleeps[0], true, "the first sleep wakes");
    assert.equal(channel.size, 1);
    assert.equal(
      scheduler.pending - before,
      5,
      "the heartbeat, two deadlines and the two sleeps still waiting",
    );
    await stream.close();
    assert.deepEqual(await Promise.all(sleeps.slice(1)), [false, false]);
    assert.equal(channel.size, 0, "the stream left the channel");
    assert.equal(scheduler.pending, before, "every timer of the stream was cancelled");
    assert.equal(await body.rest(), ":\n\n");
    shutdown.abort();
    assert.equal(await stream.closed, "closed", "the shutdown signal no longer reaches it");
  });

  test("a heartbeat is sent only after the interval with nothing written", async () => {
    let stream!: SSEStream;
    const response = sse(new Request("http://localhost/"), (s) => {
      stream = s;
    }, { heartbeat: { interval: 60, comment: "ping" }, close: { onReturn: false } });
    const body = new BodyReader(response);
    await body.next();
    const started = performance.now();
    const beats: number[] = [];
    const reading = (async () => {
      while (beats.length < 3) {
        const chunk = await body.next(2000);
        if (chunk === ": ping\n\n") beats.push(performance.now() - started);
      }
    })();
    // Traffic at 0, 30 and 60 ms pushes the first heartbeat to about 120 ms.
    for (let i = 0; i < 3; i++) {
      await stream.send(`e${i}`);
      await delay(30);
    }
    await within(reading, 3000, "three heartbeats");
    assert.ok(beats[0] >= 110, `first heartbeat at ${beats[0].toFixed(0)} ms reset by traffic`);
    assert.ok(beats[1] - beats[0] >= 55, "heartbeats are spaced by the interval");
    stream.close();
  });

  test("a send/sleep loop as fast as the heartbeat gets its events and no heartbeats", async () => {
    // `while (await send()) await sleep(interval)`: every event keeps the
    // connection alive, so a heartbeat beside each one is double traffic.
    const interval = 40;
    const response = sse(new Request("http://localhost/"), async (stream) => {
      while (await stream.send("tick")) await stream.sleep(interval);
    }, { heartbeat: { interval, comment: "ping" } });
    const body = new BodyReader(response);
    const text = await body.until((seen) => seen.split("data: tick").length > 8, 10_000);
    await body.cancel();
    assert.equal(
      text.split(": ping").length - 1,
      0,
      `heartbeats between the loop's events:\n${text}`,
    );
  });

  test("a stream asleep in a send/sleep loop holds one timer task, its heartbeat's, and its sleeps wake on time", async () => {
    const before = scheduler.pending;
    const woke: number[] = [];
    let stream!: SSEStream;
    const response = sse(new Request("http://localhost/"), async (s) => {
      stream = s;
      while (await s.send("tick")) {
        const started = performance.now();
        if (!await s.sleep(15)) return;
        woke.push(performance.now() - started);
      }
    }, { heartbeat: 1000 });
    const body = new BodyReader(response);
    await body.until((seen) => seen.split("data: tick").length > 4, 5000);
    assert.equal(scheduler.pending - before, 1, "one task: the sleep waits in the heartbeat's");
    assert.ok(woke.length >= 3);
    for (const slept of woke) assert.ok(slept >= 15, `slept ${slept.toFixed(2)} ms of 15`);
    await stream.close();
    assert.equal(scheduler.pending, before, "the heartbeat left with the stream");
    await body.rest();
  });

  test("a heartbeat can be a named event", async () => {
    const response = sse(new Request("http://localhost/"), () => {}, {
      heartbeat: { interval: 20, event: { event: "ping", data: "" } },
      close: { maxDuration: 70, onReturn: false },
    });
    assert.match(await response.text(), /event: ping\ndata: \n\n/);
  });
});
