// The memory log, and how a Channel merges a log's replay with its live
// tail, in process: a scripted log whose tail the test drives entry by entry.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  Channel,
  type ChannelLog,
  formatLogId,
  type LogEntry,
  type LogPosition,
  type LogRead,
  MemoryLog,
  parseLogId,
  sse,
} from "../../mod.ts";
import { BodyReader } from "../_read.ts";

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const envelope = (data: unknown) => JSON.stringify({ v: 1, data: String(data) });

describe("MemoryLog", () => {
  test("assigns offsets 1, 2, 3… with ids <epoch>-<offset>, and hands each entry to the tail", async () => {
    const log = new MemoryLog();
    const tail: LogEntry[] = [];
    await log.open((entry) => tail.push(entry), () => {});
    const first = await log.append(envelope("a"));
    const second = await log.append(envelope("b"));
    assert.equal(first.offset, 1);
    assert.equal(second.offset, 2);
    assert.equal(first.id, formatLogId(log.epoch, 1));
    assert.deepEqual(parseLogId(second.id), { epoch: log.epoch, offset: 2 });
    assert.deepEqual(tail, [first, second]);
  });

  test("reads after an id, or the last n; a trimmed, unknown or other epoch's id is a reset", async () => {
    const log = new MemoryLog({ size: 3 });
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) ids.push((await log.append(envelope(n))).id);
    const offsets = (read: LogRead) => "entries" in read ? read.entries.map((e) => e.offset) : read;
    assert.deepEqual(offsets(await log.read({ after: ids[2] })), [4, 5]);
    assert.deepEqual(offsets(await log.read({ after: ids[4] })), []);
    assert.deepEqual(offsets(await log.read({ after: ids[1] })), [3, 4, 5]); // the oldest kept follows
    assert.deepEqual(await log.read({ after: ids[0] }), { reset: true }); // 2 was trimmed
    assert.deepEqual(await log.read({ after: "other-3" }), { reset: true });
    assert.deepEqual(await log.read({ after: `${log.epoch}-9` }), { reset: true });
    assert.deepEqual(offsets(await log.read({ last: 2 })), [4, 5]);
    assert.deepEqual(offsets(await log.read({ last: 10 })), [3, 4, 5]);
    assert.equal(log.length, 3);
  });

  test("with ttl, entries older than ttl are no longer replayed", async () => {
    const log = new MemoryLog({ size: 10, ttl: 40 });
    const old = await log.append(envelope("old"));
    await pause(80);
    const fresh = await log.append(envelope("fresh"));
    assert.equal(log.length, 1);
    assert.deepEqual(await log.read({ after: old.id }), { entries: [fresh] });
    assert.deepEqual(await log.read({ last: 5 }), { entries: [fresh] });
  });

  test("invalid options throw errors that say what to fix", () => {
    assert.throws(() => new MemoryLog({ size: 0 }), /positive whole number/);
    assert.throws(() => new MemoryLog({ ttl: -1 }), /positive number of milliseconds/);
  });
});

/** A shared log stand-in: appends are stored at once, the tail runs only when the test says. */
class ScriptedLog implements ChannelLog {
  epoch = "e1";
  entries: LogEntry[] = [];
  reads: LogPosition[] = [];
  #onEntry: (entry: LogEntry) => void = () => {};

  open(onEntry: (entry: LogEntry) => void): Promise<void> {
    this.#onEntry = onEntry;
    return Promise.resolve();
  }
  append(data: string): Promise<LogEntry> {
    const offset = (this.entries.at(-1)?.epoch === this.epoch ? this.entries.at(-1)!.offset : 0) +
      1;
    const entry = {
      id: formatLogId(this.epoch, offset),
      epoch: this.epoch,
      offset,
      envelope: data,
    };
    this.entries.push(entry);
    return Promise.resolve(entry);
  }
  /** Hands the tail the entries at these offsets (of the current epoch). */
  deliver(...offsets: number[]): void {
    for (const offset of offsets) {
      this.#onEntry(this.entries.find((e) => e.epoch === this.epoch && e.offset === offset)!);
    }
  }
  async read(position: LogPosition): Promise<LogRead> {
    this.reads.push(position);
    await pause(5);
    const current = this.entries.filter((e) => e.epoch === this.epoch);
    if ("last" in position) return { entries: current.slice(-position.last) };
    const parsed = parseLogId(position.after);
    if (parsed?.epoch !== this.epoch) return { reset: true };
    return { entries: current.filter((e) => e.offset > parsed.offset) };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function subscriber<T>(channel: Channel<T>, lastEventId?: string, replay = 0): BodyReader {
  const headers: HeadersInit = lastEventId ? { "last-event-id": lastEventId } : {};
  const response = sse(
    new Request("http://localhost/", { headers }),
    (stream) => channel.subscribe(stream, { replay }),
    { heartbeat: false },
  );
  return new BodyReader(response.body!);
}

describe("Channel over a shared log: replay merged with the live tail by offset", () => {
  test("live entries the tail brings late, after the replay covered them, are not sent twice", async () => {
    const log = new ScriptedLog();
    const channel = new Channel<string>({ log });
    for (let n = 1; n <= 6; n++) await channel.publish({ data: `m${n}` });
    log.deliver(1, 2); // this instance's tail is behind: it has seen 2 of 6
    const reader = subscriber(channel, "e1-3"); // the client saw 3 on another instance
    log.deliver(3, 4, 5); // arrive while the read is in flight
    await pause(20);
    log.deliver(6);
    await channel.publish({ data: "m7" });
    log.deliver(7);
    const events = await reader.take(4);
    assert.deepEqual(events.map((e) => e.data), ["m4", "m5", "m6", "m7"]);
    assert.deepEqual(events.map((e) => e.id), ["e1-4", "e1-5", "e1-6", "e1-7"]);
    await channel.close();
  });

  test("a client up to date with an instance whose tail lags gets nothing twice", async () => {
    const log = new ScriptedLog();
    const channel = new Channel<string>({ log });
    for (let n = 1; n <= 3; n++) await channel.publish({ data: `m${n}` });
    const reader = subscriber(channel, "e1-3"); // read finds nothing after 3
    log.deliver(1, 2, 3);
    await pause(20);
    await channel.publish({ data: "m4" });
    log.deliver(4);
    assert.deepEqual((await reader.take(1)).map((e) => e.data), ["m4"]);
    await channel.close();
  });

  test("a new epoch in the tail (the log lost its history) sends each subscriber one reset", async () => {
    const log = new ScriptedLog();
    const channel = new Channel<string>({ log });
    const reader = subscriber(channel);
    await channel.publish({ data: "m1" });
    log.deliver(1);
    log.epoch = "e2"; // FLUSHALL: the next append starts a new epoch
    await channel.publish({ data: "n1" });
    await channel.publish({ data: "n2" });
    log.deliver(1, 2);
    const events = await reader.take(4);
    assert.deepEqual(events.map((e) => e.event === "message" ? e.data : e.event), [
      "m1",
      "reset",
      "n1",
      "n2",
    ]);
    assert.deepEqual(JSON.parse(events[1].data), { lastEventId: "e1-1" });
    assert.equal(events[2].id, "e2-1");
    await channel.close();
  });

  test("a tail that skipped trimmed entries sends one reset, then goes on", async () => {
    const log = new ScriptedLog();
    const channel = new Channel<string>({ log });
    const reader = subscriber(channel);
    for (let n = 1; n <= 4; n++) await channel.publish({ data: `m${n}` });
    log.deliver(1, 4); // 2 and 3 were trimmed while the tail was cut off
    const events = await reader.take(3);
    assert.deepEqual(events.map((e) => e.event === "message" ? e.data : e.event), [
      "m1",
      "reset",
      "m4",
    ]);
    await channel.close();
  });

  test("an id from another epoch gets one reset and no replay; replay: n sends the last n", async () => {
    const log = new ScriptedLog();
    const channel = new Channel<string>({ log });
    for (let n = 1; n <= 5; n++) await channel.publish({ data: `m${n}` });
    log.deliver(1, 2, 3, 4, 5);
    const stale = subscriber(channel, "e0-40");
    const first = subscriber(channel, undefined, 2);
    const [reset] = await stale.take(1);
    assert.equal(reset.event, "reset");
    assert.deepEqual(JSON.parse(reset.data), { lastEventId: "e0-40" });
    assert.deepEqual((await first.take(2)).map((e) => e.data), ["m4", "m5"]);
    await channel.publish({ data: "m6" });
    log.deliver(6);
    assert.deepEqual((await stale.take(1)).map((e) => e.data), ["m6"]);
    assert.deepEqual((await first.take(1)).map((e) => e.data), ["m6"]);
    assert.deepEqual(log.reads, [{ after: "e0-40" }, { last: 2 }]);
    await channel.close();
  });

  test("publish() rejects when the log could not store the event, and resolves with the stored id", async () => {
    const log = new ScriptedLog();
    const channel = new Channel({ log, onError: () => {} });
    assert.equal(await channel.publish({ data: 1 }), "e1-1");
    log.append = () => Promise.reject(new Error("Cannot append: Redis is unreachable"));
    await assert.rejects(channel.publish({ data: 2 }), /unreachable/);
    await channel.close();
  });
});
