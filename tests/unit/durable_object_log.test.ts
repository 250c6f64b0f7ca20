// DurableObjectLog over a stand-in for a Durable Object's storage: positions,
// the tail, replay after Last-Event-ID across restarts, retention, resets.
// The same log on real workerd storage: tests/e2e/cloudflare.node.test.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Channel, DurableObjectLog, formatLogId, parseLogId, sse } from "../../mod.ts";
import { BodyReader } from "../_read.ts";
import type { LogEntry, LogRead } from "../../src/channel/log.ts";
import { MemoryStorage } from "../_memory_storage.ts";

function envelopes(read: LogRead): string[] {
  assert.ok("entries" in read, "expected entries, got a reset");
  return read.entries.map((entry) => entry.envelope);
}

describe("DurableObjectLog", () => {
  test("assigns offsets 1, 2, 3 in one epoch, spelled epoch-offset in the id", async () => {
    const log = new DurableObjectLog({ storage: new MemoryStorage() });
    const entries = [await log.append("a"), await log.append("b"), await log.append("c")];
    assert.deepEqual(entries.map((entry) => entry.offset), [1, 2, 3]);
    const { epoch } = entries[0];
    assert.match(epoch, /^[0-9a-z]{8}$/);
    assert.deepEqual(entries.map((entry) => entry.id), [1, 2, 3].map((n) => formatLogId(epoch, n)));
    assert.deepEqual(parseLogId(entries[2].id), { epoch, offset: 3 });
    assert.deepEqual(entries.map((entry) => entry.envelope), ["a", "b", "c"]);
  });

  test("append resolves once the entry is in storage", async () => {
    const storage = new MemoryStorage();
    const log = new DurableObjectLog({ storage, key: "room" });
    const entry = await log.append("hello");
    assert.equal(storage.data.get(`room:entry:${"1".padStart(16, "0")}`), "hello");
    assert.deepEqual(storage.data.get("room:meta"), { epoch: entry.epoch });
  });

  test("a failed write rejects, is never delivered, and the next append works", async () => {
    const storage = new MemoryStorage();
    const log = new DurableObjectLog({ storage });
    const seen: LogEntry[] = [];
    await log.open((entry) => seen.push(entry), () => {});
    await log.append("before");
    storage.failWrites = new Error("storage down");
    await assert.rejects(log.append("lost"), (error: Error) => {
      assert.match(error.message, /^Cannot append to a DurableObjectLog: /);
      assert.equal((error.cause as Error).message, "storage down");
      return true;
    });
    storage.failWrites = null;
    await log.append("after");
    assert.deepEqual(seen.map((entry) => entry.envelope), ["before", "after"]);
    const read = await log.read({ last: 10 });
    assert.deepEqual(envelopes(read), ["before", "after"]);
  });

  test("the tail hands over every entry appended after open, once, in offset order", async () => {
    const log = new DurableObjectLog({ storage: new MemoryStorage() });
    await log.append("before open");
    const seen: LogEntry[] = [];
    await log.open((entry) => seen.push(entry), () => {});
    const appended = await Promise.all(["a", "b", "c", "d"].map((text) => log.append(text)));
    assert.deepEqual(seen, appended);
    assert.deepEqual(seen.map((entry) => entry.offset), [2, 3, 4, 5]);
  });

  test("a log re-created over the same storage keeps its epoch and offsets", async () => {
    const storage = new MemoryStorage();
    const before = new DurableObjectLog({ storage });
    const first = await before.append("one");
    await before.append("two");
    await before.close();
    // The object was evicted: a new instance, the same storage.
    const after = new DurableObjectLog({ storage });
    assert.deepEqual(envelopes(await after.read({ after: first.id })), ["two"]);
    const third = await after.append("three");
    assert.equal(third.epoch, first.epoch);
    assert.equal(third.offset, 3);
    assert.deepEqual(envelopes(await after.read({ after: first.id })), ["two", "three"]);
    assert.deepEqual(envelopes(await after.read({ after: third.id })), []);
  });

  test("keeps the last maxLength entries; an id before that window reads as reset", async () => {
    const storage = new MemoryStorage();
    const log = new DurableObjectLog({ storage, maxLength: 3 });
    const entries = [];
    for (const text of ["1", "2", "3", "4", "5"]) entries.push(await log.append(text));
    assert.equal([...storage.data.keys()].filter((key) => key.includes(":entry:")).length, 3);
    assert.deepEqual(await log.read({ after: entries[0].id }), { reset: true });
    assert.deepEqual(envelopes(await log.read({ after: entries[1].id })), ["3", "4", "5"]);
    assert.deepEqual(envelopes(await log.read({ last: 10 })), ["3", "4", "5"]);
    assert.deepEqual(envelopes(await log.read({ last: 2 })), ["4", "5"]);
    assert.deepEqual(envelopes(await log.read({ last: 0 })), []);
  });

  test("a smaller maxLength after a restart trims the older entries", async () => {
    const storage = new MemoryStorage();
    const big = new DurableObjectLog({ storage, maxLength: 500 });
    for (let i = 1; i <= 300; i++) await big.append(String(i));
    const small = new DurableObjectLog({ storage, maxLength: 10 });
    assert.deepEqual(envelopes(await small.read({ last: 1000 })).map(Number), [
      291,
      292,
      293,
      294,
      295,
      296,
      297,
      298,
      299,
      300,
    ]);
    assert.equal([...storage.data.keys()].filter((key) => key.includes(":entry:")).length, 10);
  });

  test("wiped storage starts a new epoch: ids from before read as reset", async () => {
    const storage = new MemoryStorage();
    const old = await new DurableObjectLog({ storage }).append("old");
    storage.data.clear(); // ctx.storage.deleteAll()
    const log = new DurableObjectLog({ storage });
    const fresh = await log.append("new");
    assert.notEqual(fresh.epoch, old.epoch);
    assert.equal(fresh.offset, 1);
    assert.deepEqual(await log.read({ after: old.id }), { reset: true });
  });

  test("an id that is not this log's reads as reset, never as a partial replay", async () => {
    const log = new DurableObjectLog({ storage: new MemoryStorage() });
    const entry = await log.append("a");
    for (
      const id of ["", "42", "abc", `${entry.epoch}-99`, `${entry.epoch}-0`, "1754312345678"]
    ) {
      assert.deepEqual(await log.read({ after: id }), { reset: true }, id);
    }
    assert.deepEqual(envelopes(await log.read({ after: entry.id })), []);
  });

  test("two logs in one object's storage stay apart", async () => {
    const storage = new MemoryStorage();
    const a = new DurableObjectLog({ storage, key: "a" });
    const b = new DurableObjectLog({ storage, key: "b" });
    await a.append("for a");
    const first = await b.append("for b");
    assert.equal(first.offset, 1);
    assert.deepEqual(envelopes(await a.read({ last: 5 })), ["for a"]);
    assert.deepEqual(envelopes(await b.read({ last: 5 })), ["for b"]);
  });

  test("a closed log refuses appends and delivers nothing more", async () => {
    const log = new DurableObjectLog({ storage: new MemoryStorage() });
    const seen: string[] = [];
    await log.open((entry) => seen.push(entry.envelope), () => {});
    await log.append("a");
    await log.close();
    await assert.rejects(
      log.append("b"),
      /^Error: Cannot append to a DurableObjectLog: it is closed/,
    );
    assert.deepEqual(seen, ["a"]);
  });

  test("invalid options and arguments say what to fix", async () => {
    const storage = new MemoryStorage();
    // @ts-expect-error: no storage
    assert.throws(() => new DurableObjectLog({}), TypeError);
    // @ts-expect-error: not a storage
    assert.throws(() => new DurableObjectLog({ storage: {} }), /ctx\.storage/);
    assert.throws(() => new DurableObjectLog({ storage, key: "" }), TypeError);
    assert.throws(() => new DurableObjectLog({ storage, maxLength: 0 }), RangeError);
    assert.throws(() => new DurableObjectLog({ storage, maxLength: 1.5 }), RangeError);
    const log = new DurableObjectLog({ storage });
    // @ts-expect-error: not a string
    await assert.rejects(log.append({ data: 1 }), TypeError);
    await assert.rejects(log.read({ last: -1 }), RangeError);
  });

  test("a Channel on it replays after a restart, then goes on live", async () => {
    const storage = new MemoryStorage();
    const before = new Channel<string>({ log: new DurableObjectLog({ storage }) });
    await before.ready;
    const seen = await before.publish({ data: "one" });
    const missed = await before.publish({ data: "two" });
    await before.close();
    // The object restarts: a new channel over the same storage.
    const room = new Channel<string>({ log: new DurableObjectLog({ storage }) });
    await room.ready;
    const request = new Request("http://room/events", { headers: { "last-event-id": seen } });
    const body = new BodyReader(sse(request, (stream) => room.subscribe(stream)));
    assert.deepEqual((await body.take(1)).map((e) => [e.id, e.data]), [[missed, "two"]]);
    const live = await room.publish({ data: "three" });
    assert.deepEqual((await body.take(1)).map((e) => [e.id, e.data]), [[live, "three"]]);
    await room.close();
  });
});
