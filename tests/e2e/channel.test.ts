import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import {
  BroadcastChannelBackplane,
  Channel,
  type CloseReason,
  createMessage,
  decodeMessage,
  encodeMessage,
  parseLogId,
  sse,
  type SSEStream,
} from "../../mod.ts";
import { SlowLog } from "../_slow_log.ts";
import { delay, runtime, serve, type TestServer, within } from "../_server.ts";
import { BodyReader } from "../_read.ts";

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

/** A real server whose every request subscribes to `channel` (SSE options merged in). */
async function channelServer<T>(
  channel: Channel<T>,
  options: Parameters<typeof sse>[2] = {},
  reasons: CloseReason[] = [],
): Promise<TestServer> {
  const server = await serve((request, bunServer) =>
    sse(request, async (stream) => {
      reasons.push(await channel.subscribe(stream));
    }, { heartbeat: false, server: bunServer, ...options })
  );
  servers.push(server);
  return server;
}

/** An in-process subscriber: an sse() Response read through its body. */
function localSubscriber<T>(channel: Channel<T>, headers: HeadersInit = {}): BodyReader {
  const response = sse(
    new Request("http://localhost/", { headers }),
    (stream) => channel.subscribe(stream),
    { heartbeat: false },
  );
  return new BodyReader(response.body!);
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  await within(
    (async () => {
      while (!check()) await delay(5);
    })(),
    ms,
    what,
  );
}

describe("Channel: fan-out", () => {
  test("sse(request, (stream) => channel.subscribe(stream)) streams published events to a fetch client", async () => {
    const channel = new Channel<{ text: string }>();
    const reasons: CloseReason[] = [];
    const server = await channelServer(channel, {}, reasons);
    const controller = new AbortController();
    const response = await fetch(server.url, { signal: controller.signal });
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    await waitFor(() => channel.size === 1, 2000, "the subscriber to attach");
    const reader = new BodyReader(response.body!);
    const id = await channel.publish({ event: "message", data: { text: "hello" } });
    const [event] = await reader.take(1);
    assert.equal(event.id, id);
    assert.equal(event.event, "message");
    assert.deepEqual(JSON.parse(event.data), { text: "hello" });
    controller.abort();
    await reader.cancel();
    await waitFor(() => channel.size === 0, 5000, "the subscriber to leave after the disconnect");
    await waitFor(() => reasons.length === 1, 2000, "subscribe() to settle");
    assert.equal(reasons[0], "client");
    assert.match(await channel.publish({ data: { text: "nobody" } }), /-2$/);
  });

  test("1 000 subscribers each receive every event of a burst, in order, from one publish per event", async () => {
    const channel = new Channel({ history: false });
    const subscribers = 1000;
    const events = 200;
    const readers = Array.from({ length: subscribers }, () => localSubscriber(channel));
    assert.equal(channel.size, subscribers);
    const started = performance.now();
    const reading = readers.map((reader) => reader.take(events, 20_000));
    let publishMs = 0;
    for (let n = 1; n <= events; n++) {
      const before = performance.now();
      channel.publish({ data: n });
      publishMs = Math.max(publishMs, performance.now() - before);
      if (n % 50 === 0) await delay(0);
    }
    const received = await Promise.all(reading);
    const totalMs = performance.now() - started;
    for (const list of received) {
      assert.deepEqual(list.map((event) => Number(event.data)), range(1, events));
      const ids = list.map((event) => parseLogId(event.id!)!.offset);
      for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], "ids increase");
    }
    console.log(
      `  [${runtime}] ${subscribers} subscribers x ${events} events: all delivered in ${
        totalMs.toFixed(0)
      } ms; slowest publish() ${publishMs.toFixed(2)} ms`,
    );
    assert.ok(totalMs < 15_000, `delivery took ${totalMs} ms`);
    await channel.close();
    assert.equal(channel.size, 0);
  });

  test("a stalled subscriber does not delay the others, and is ended by its own maxBuffered", async () => {
    const channel = new Channel({ history: false });
    const reasons: CloseReason[] = [];
    const server = await channelServer(
      channel,
      { highWaterMark: 16 * 1024, maxBuffered: 256 * 1024 },
      reasons,
    );
    const readers: BodyReader[] = [];
    for (let i = 0; i < 8; i++) readers.push(new BodyReader((await fetch(server.url)).body!));
    // A raw connection that sends its request and never reads a byte.
    const stalled = connect(server.port, "127.0.0.1");
    stalled.on("error", () => {});
    stalled.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    stalled.pause();
    await waitFor(() => channel.size === 9, 3000, "nine subscribers");
    const latencies: number[] = [];
    const reading = readers.map(async (reader) => {
      for (;;) {
        const [event] = await reader.take(1, 20_000);
        const sentAt = Number(event.event);
        latencies.push(event.at - sentAt);
        if (event.data.startsWith("last")) return;
      }
    });
    const padding = "x".repeat(32 * 1024);
    let slowestPublish = 0;
    let published = 0;
    // Publish until the stalled subscriber hit its bound (a few MB of kernel
    // buffers fill first), then 50 more events.
    for (let extra = 50; extra > 0 && published < 1000; published++) {
      if (reasons.length > 0) extra--;
      const before = performance.now();
      channel.publish({ event: String(before), data: padding });
      slowestPublish = Math.max(slowestPublish, performance.now() - before);
      await delay(1);
    }
    channel.publish({ event: String(performance.now()), data: "last" });
    await within(Promise.all(reading), 20_000, "the readers to get the last event");
    stalled.destroy();
    latencies.sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length * 0.5)];
    const p99 = latencies[Math.floor(latencies.length * 0.99)];
    const max = latencies[latencies.length - 1];
    console.log(
      `  [${runtime}] ${published} events of 32 KiB to 8 readers + 1 stalled: reader latency p50 ${
        p50.toFixed(1)
      } ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; slowest publish() ${
        slowestPublish.toFixed(2)
      } ms`,
    );
    assert.deepEqual(reasons, ["slow-consumer"], "the stalled subscriber was ended alone");
    assert.equal(channel.size, 8);
    assert.ok(p99 < 1000, `p99 latency ${p99} ms`);
    assert.ok(slowestPublish < 250, `a publish() took ${slowestPublish} ms`);
    await channel.close();
  });

  test("each subscriber's onSlowConsumer applies to it alone: a dropping subscriber counts its drops", async () => {
    const channel = new Channel({ history: false, ids: false });
    const stalled: SSEStream[] = [];
    sse(new Request("http://localhost/"), (stream) => {
      stalled.push(stream);
      return channel.subscribe(stream);
    }, { heartbeat: false, highWaterMark: 100, maxBuffered: 100, onSlowConsumer: "drop" });
    const reader = localSubscriber(channel);
    for (let n = 0; n < 10; n++) channel.publish({ data: "y".repeat(40) });
    // The unread stream holds two 50-byte events and drops the rest.
    assert.equal(stalled[0].dropped, 8);
    assert.equal((await reader.take(10)).length, 10);
    await channel.close();
  });

  test("publish() resolves with the id the log gave (its position), and a memory log keeps an id it is given", async () => {
    const channel = new Channel();
    const reader = localSubscriber(channel);
    const ids = await Promise.all([
      channel.publish({ data: "a" }),
      channel.publish({ data: "b" }),
      channel.publish({ id: "custom", data: "c" }),
      channel.publish({ data: "d" }),
    ]);
    const events = await reader.take(4);
    assert.deepEqual(events.map((event) => event.id), ids);
    assert.deepEqual(ids.map((id) => parseLogId(id)?.offset), [1, 2, undefined, 4]);
    assert.equal(ids[2], "custom");
    const resumed = localSubscriber(channel, { "last-event-id": "custom" });
    channel.publish({ data: "e" });
    assert.deepEqual((await resumed.take(2)).map((event) => event.data), ["d", "e"]);
    const plain = new Channel({ ids: false });
    const plainReader = localSubscriber(plain);
    plain.publish({ data: "no id" });
    assert.equal((await plainReader.take(1))[0].id, undefined);
    await Promise.all([channel.close(), plain.close()]);
  });

  test("a filter picks the events a subscriber gets", async () => {
    const channel = new Channel<{ room: string; text: string }>();
    const response = sse(
      new Request("http://localhost/"),
      (stream) => channel.subscribe(stream, { filter: (event) => event.data?.room === "a" }),
      { heartbeat: false },
    );
    const reader = new BodyReader(response.body!);
    channel.publish({ data: { room: "b", text: "no" } });
    channel.publish({ data: { room: "a", text: "yes" } });
    assert.equal(JSON.parse((await reader.take(1))[0].data).text, "yes");
    await channel.close();
  });

  test("close(final) ends every subscriber after the final event; the closed channel refuses more", async () => {
    const channel = new Channel();
    const readers = [localSubscriber(channel), localSubscriber(channel)];
    channel.publish({ data: "last news" });
    await channel.close({ event: "bye", data: "closing" });
    assert.equal(channel.closed, true);
    for (const reader of readers) {
      const events = await reader.takeRest();
      assert.deepEqual(events.map((event) => event.data), ["last news", "closing"]);
      assert.equal(events[1].event, "bye");
    }
    await assert.rejects(
      channel.publish({ data: "too late" }),
      /Cannot publish: the channel is closed/,
    );
    const late = localSubscriber(channel);
    assert.deepEqual(await late.takeRest(), []);
    assert.equal(late.done, true);
  });

  test("a stream that is not the core's own gets events through its send()", async () => {
    const channel = new Channel<number>();
    const sent: unknown[] = [];
    const abort = new AbortController();
    let resolveClosed!: (reason: CloseReason) => void;
    const stream: SSEStream = {
      request: new Request("http://localhost/"),
      signal: abort.signal,
      lastEventId: null,
      closed: new Promise((resolve) => resolveClosed = resolve),
      dropped: 0,
      bufferedAmount: 0,
      send: (event) => (sent.push(event), Promise.resolve(true)),
      comment: () => Promise.resolve(true),
      sleep: () => Promise.resolve(true),
      close: () => (abort.abort(), resolveClosed("closed"), Promise.resolve()),
    };
    const subscribed = channel.subscribe(stream);
    assert.equal(await channel.publish({ id: 1, data: 42 }), "1");
    assert.deepEqual(sent, [{ id: "1", data: 42 }]);
    await stream.close();
    assert.equal(await subscribed, "closed");
    assert.equal(channel.size, 0);
  });

  test("invalid arguments throw errors that say what to fix", () => {
    assert.throws(() => new Channel({ history: { size: 0 } }), RangeError);
    assert.throws(() => new Channel({ onMissingId: "skip" as "all" }), /"reset" or "all"/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => new Channel({ histroy: false } as any), /unknown option `histroy`/);
    const channel = new Channel();
    assert.throws(() => channel.publish({ id: "a\nb", data: 1 }), TypeError);
    assert.throws(() => channel.publish({ retry: -1 }), RangeError);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => channel.publish("text" as any), /must be an object/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => channel.subscribe({} as any), /must be an SSEStream/);
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => new Channel({ history: { append() {}, after() {} } as any }),
      /a store of your own is a ChannelLog, passed as `log`/,
    );
    const backplane = new BroadcastChannelBackplane("x");
    assert.throws(() => new Channel({ log: new SlowLog(), backplane }), /remove the `backplane`/);
    backplane.close();
    const shared = new Channel({ log: new SlowLog() });
    assert.throws(() => shared.publish({ id: 7, data: 1 }), /the channel's log assigns ids/);
    void shared.close();
  });
});

describe("Channel: replay", () => {
  test("after a reconnect with Last-Event-ID there is no gap and no duplicate, under concurrent publishing", async () => {
    const channel = new Channel({ history: { size: 100_000 } });
    // A small highWaterMark makes the replay wait for the client, so live
    // events arrive while it is being written.
    await replayUnderLoad(channel, await channelServer(channel, { highWaterMark: 512 }));
  });

  test("with a log that answers late (a remote store), a replay still has no gap and no duplicate", async () => {
    const channel = new Channel({ log: new SlowLog() });
    await replayUnderLoad(channel, await channelServer(channel, { highWaterMark: 512 }));
  });

  test("events published while a replay is being written come after it, once each", async () => {
    for (const log of [undefined, new SlowLog()]) {
      const channel = new Channel({ log });
      const ids: string[] = [];
      for (let n = 1; n <= 300; n++) ids.push(await channel.publish({ data: n }));
      await delay(10); // let the slow log's tail settle
      // A small highWaterMark makes the 250 replayed events go out in many
      // chunks, and 2 events are published for every event the client reads.
      const response = sse(
        new Request("http://localhost/", { headers: { "last-event-id": ids[49] } }),
        (stream) => channel.subscribe(stream),
        { heartbeat: false, highWaterMark: 64 },
      );
      const reader = new BodyReader(response.body!);
      let next = 301;
      const received: number[] = [];
      while (received.length < 250 + 200) {
        const [event] = await reader.take(1);
        received.push(Number(event.data));
        if (next <= 500) {
          channel.publish({ data: next++ });
          channel.publish({ data: next++ });
        }
      }
      assert.deepEqual(received, range(51, 500));
      await channel.close();
    }
  });

  test('an id no longer in the history gets a "reset" event, then live events', async () => {
    const channel = new Channel({ history: { size: 3 } });
    for (let n = 1; n <= 5; n++) channel.publish({ id: n, data: n });
    const reader = localSubscriber(channel, { "last-event-id": "1" });
    channel.publish({ id: 6, data: 6 });
    const [reset, live] = await reader.take(2);
    assert.equal(reset.event, "reset");
    assert.deepEqual(JSON.parse(reset.data), { lastEventId: "1" });
    assert.equal(live.data, "6");
    const known = localSubscriber(channel, { "last-event-id": "4" });
    assert.deepEqual((await known.take(2)).map((event) => event.data), ["5", "6"]);
    await channel.close();
  });

  test('onMissingId "all" sends every event the history still holds', async () => {
    const channel = new Channel({ history: { size: 3 }, onMissingId: "all" });
    for (let n = 1; n <= 5; n++) channel.publish({ id: n, data: n });
    const reader = localSubscriber(channel, { "last-event-id": "1" });
    channel.publish({ id: 6, data: 6 });
    assert.deepEqual((await reader.take(4)).map((event) => event.data), ["3", "4", "5", "6"]);
    await channel.close();
  });

  test("replayed events pass through the subscriber's filter", async () => {
    const channel = new Channel<number>();
    for (let n = 1; n <= 6; n++) channel.publish({ id: n, data: n });
    const response = sse(
      new Request("http://localhost/", { headers: { "last-event-id": "2" } }),
      (stream) => channel.subscribe(stream, { filter: (event) => event.data! % 2 === 0 }),
      { heartbeat: false },
    );
    const reader = new BodyReader(response.body!);
    channel.publish({ id: 7, data: 7 });
    channel.publish({ id: 8, data: 8 });
    assert.deepEqual((await reader.take(3)).map((event) => event.data), ["4", "6", "8"]);
    await channel.close();
  });

  test("a first visit asks for the last n events with replay: n, then gets live ones", async () => {
    for (const log of [undefined, new SlowLog()]) {
      const channel = new Channel<number>({ log });
      for (let n = 1; n <= 10; n++) await channel.publish({ data: n });
      await delay(20);
      const response = sse(
        new Request("http://localhost/"),
        (stream) => channel.subscribe(stream, { replay: 3 }),
        { heartbeat: false },
      );
      const reader = new BodyReader(response.body!);
      assert.deepEqual((await reader.take(3)).map((event) => event.data), ["8", "9", "10"]);
      channel.publish({ data: 11 });
      assert.deepEqual((await reader.take(1)).map((event) => event.data), ["11"]);
      const none = localSubscriber(channel);
      channel.publish({ data: 12 });
      assert.deepEqual((await none.take(1)).map((event) => event.data), ["12"]);
      await channel.close();
    }
  });

  test("a message survives its envelope: same bytes, same event", () => {
    const message = createMessage({ event: "e", id: 9, comment: "c", data: { a: [1, "x\ny"] } });
    const copy = decodeMessage(encodeMessage(message));
    assert.deepEqual(copy.bytes, message.bytes);
    assert.equal(copy.id, "9");
    assert.deepEqual(copy.event.data, { a: [1, "x\ny"] });
    const text = decodeMessage(encodeMessage(createMessage({ data: "42" })));
    assert.equal(text.event.data, "42");
    assert.throws(() => decodeMessage("not json"), TypeError);
  });
});

describe("Channel: several instances", () => {
  test("two channels joined by a BroadcastChannel backplane deliver each other's events", async () => {
    const name = `edge-sse-test-${crypto.randomUUID()}`;
    const a = new Channel<string>({ backplane: new BroadcastChannelBackplane(name) });
    const b = new Channel<string>({ backplane: new BroadcastChannelBackplane(name) });
    await Promise.all([a.ready, b.ready]);
    const server = await channelServer(b);
    const response = await fetch(server.url);
    const reader = new BodyReader(response.body!);
    const local = localSubscriber(a);
    await waitFor(() => b.size === 1, 2000, "the subscriber on b");
    a.publish({ event: "from-a", data: "one" });
    b.publish({ event: "from-b", data: "two" });
    a.publish({ event: "from-a", data: "three" });
    const onB = await reader.take(3);
    const onA = await local.take(3);
    // Each side sees its own event at once and the other's when it arrives:
    // both see a's events in order, and ids increase on each.
    for (const events of [onA, onB]) {
      const fromA = events.filter((event) => event.event === "from-a").map((event) => event.data);
      assert.deepEqual(fromA, ["one", "three"]);
      assert.equal(events.filter((event) => event.data === "two").length, 1);
    }
    // Ids are unique, and increase from each publisher (concurrent publishers
    // on two instances may share a millisecond: the instance tag tells them apart).
    assert.equal(new Set(onB.map((event) => event.id)).size, 3);
    const idsFromA = onB.filter((event) => event.event === "from-a").map((event) => event.id!);
    assert.ok(parseLogId(idsFromA[1])!.offset > parseLogId(idsFromA[0])!.offset, `${idsFromA}`);
    // A reconnect to b replays a's events from b's own history.
    const replay = localSubscriber(b, { "last-event-id": onB[0].id! });
    assert.deepEqual(
      (await replay.take(2)).map((event) => event.data),
      onB.slice(1).map((event) => event.data),
    );
    await reader.cancel();
    await Promise.all([a.close(), b.close()]);
  });
});

/**
 * Publishes continuously while one client reads a little, disconnects, waits,
 * and reconnects with Last-Event-ID, several times; every event must arrive
 * exactly once, in order.
 */
async function replayUnderLoad(channel: Channel, server: TestServer): Promise<void> {
  let published = 0;
  let publishing = true;
  const publisher = (async () => {
    while (publishing) {
      for (let i = 0; i < 5; i++) channel.publish({ data: `${++published} ${"p".repeat(200)}` });
      await delay(1);
    }
  })();
  const received: number[] = [];
  let lastEventId: string | undefined;
  let replayedMax = 0;
  for (let round = 0; round < 6; round++) {
    const controller = new AbortController();
    const response = await fetch(server.url, {
      signal: controller.signal,
      headers: lastEventId ? { "last-event-id": lastEventId } : {},
    });
    const reader = new BodyReader(response.body!);
    const backlog = published - (received.at(-1) ?? published);
    replayedMax = Math.max(replayedMax, backlog);
    const events = await reader.take(backlog + 30 + round * 20, 10_000);
    for (const event of events) received.push(Number(event.data.split(" ")[0]));
    lastEventId = events.at(-1)!.id;
    controller.abort();
    await reader.cancel();
    await delay(20 + round * 10);
  }
  publishing = false;
  await publisher;
  const response = await fetch(server.url, { headers: { "last-event-id": lastEventId! } });
  const reader = new BodyReader(response.body!);
  const first = received[0];
  const rest = await reader.take(published - received.at(-1)!, 10_000);
  for (const event of rest) received.push(Number(event.data.split(" ")[0]));
  await reader.cancel();
  assert.deepEqual(received, range(first, published), "every event once, in order");
  assert.ok(replayedMax > 20, `a reconnect replayed ${replayedMax} events`);
  console.log(
    `  [${runtime}] ${published} events over 7 connections; largest replay ${replayedMax} events`,
  );
  await channel.close();
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
