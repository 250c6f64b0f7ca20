// Two server processes joined by a RedisBackplane over a real redis-server
// started here on a free loopback port. Node only (*.node.test.ts): the
// servers are Node processes running tests/_redis_server.ts bundled by esbuild.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { delay, within } from "../_server.ts";
import { BodyReader, type ReadEvent } from "../_read.ts";
import { bundleForNode, root } from "../_host.ts";
import { startRedis, startRedisOnFreePort, stopProcess } from "../_redis_server_process.ts";
import { parseLogId } from "../../mod.ts";

interface Instance {
  process: ChildProcess;
  url: string;
  log: string[];
}

const script = join(root, ".build", "redis-test-server.mjs");
let redisPort = 0;
let redis: ChildProcess | undefined;
const instances: Instance[] = [];
let a: Instance;
let b: Instance;

before(async () => {
  await bundleForNode(join(root, "tests", "_redis_server.ts"), script);
  ({ port: redisPort, redis } = await startRedisOnFreePort());
  [a, b] = await Promise.all([startInstance("a"), startInstance("b")]);
});

after(async () => {
  await Promise.all(instances.map((instance) => stopProcess(instance.process, "SIGTERM")));
  await stopProcess(redis, "SIGKILL");
});

describe("Channel with a RedisBackplane, two server processes", () => {
  test("an event published on one instance reaches a client of the other, ids in order", async () => {
    const onB = await listen(b);
    const onA = await listen(a);
    await publish(a, 1, 100);
    await publish(b, 1, 50);
    const fromA = (await onB.take(150, 10_000)).filter((event) => event.data.startsWith("a "));
    assert.deepEqual(fromA.map((event) => event.data), range(1, 100).map((n) => `a ${n}`));
    assertIncreasing(fromA);
    const fromB = (await onA.take(150, 10_000)).filter((event) => event.data.startsWith("b "));
    assert.deepEqual(fromB.map((event) => event.data), range(1, 50).map((n) => `b ${n}`));
    assertIncreasing(fromB);
    await Promise.all([onA.cancel(), onB.cancel()]);
  });

  test("when the instances take turns publishing, every id is unique and names its publisher", async () => {
    const onB = await listen(b);
    const onA = await listen(a);
    const events: ReadEvent[] = [];
    for (let n = 1; n <= 20; n++) {
      await publish(n % 2 ? a : b, n, n);
      events.push(...await onB.take(1, 5000));
      await onA.take(1, 5000);
    }
    await onA.cancel();
    assert.deepEqual(
      events.map((event) => event.data.split(" ")[1]),
      range(1, 20).map(String),
    );
    assert.equal(new Set(events.map((event) => event.id)).size, 20);
    const epochs = new Set(events.map((event) => parseLogId(event.id!)!.epoch));
    assert.equal(epochs.size, 2, "one epoch per publishing instance");
    await onB.cancel();
  });

  test("a Redis restart mid-stream is survived: no crash, delivery resumes, the loss is bounded", async () => {
    const onB = await listen(b);
    const onA = await listen(a);
    let n = 0;
    let publishing = true;
    const publishedAt = new Map<number, number>();
    const publisher = (async () => {
      while (publishing) {
        n++;
        publishedAt.set(n, performance.now());
        await publish(a, n, n);
        await delay(10);
      }
    })();
    await onB.take(20, 5000);
    const stoppedAt = performance.now();
    const lastBefore = n;
    await stopProcess(redis, "SIGKILL");
    await delay(300);
    redis = await startRedis(redisPort);
    const restartedAt = performance.now();
    const afterRestart: ReadEvent[] = await onB.takeUntil(
      (events) => events.some((event) => publishedAt.get(number(event))! > restartedAt + 2000),
      15_000,
    );
    publishing = false;
    await publisher;
    assert.equal(a.process.exitCode, null, "instance a is still running");
    assert.equal(b.process.exitCode, null, "instance b is still running");
    const seen = afterRestart.map(number);
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i] > seen[i - 1], "in order, no duplicate");
    }
    assertIncreasing(afterRestart);
    const missing = range(20 + 1, seen.at(-1)!).filter((k) => !seen.includes(k));
    // Lost events were all published while Redis was down or the instances
    // were reconnecting; everything from two seconds after the restart arrived.
    for (const k of missing) {
      assert.ok(publishedAt.get(k)! >= stoppedAt - 250, `event ${k} lost before the stop`);
      assert.ok(publishedAt.get(k)! <= restartedAt + 2000, `event ${k} lost after recovery`);
    }
    // The publishing instance's own subscribers lost nothing.
    const local = (await onA.take(seen.at(-1)!, 10_000)).map(number);
    assert.deepEqual(local, range(1, seen.at(-1)!));
    console.log(
      `  [node] Redis down ${(restartedAt - stoppedAt).toFixed(0)} ms after event ${lastBefore}: ` +
        `${missing.length} of ${seen.at(-1)! - 20} events missed by the other instance` +
        (missing.length ? ` (${missing[0]}..${missing.at(-1)})` : ""),
    );
    await Promise.all([onA.cancel(), onB.cancel()]);
  });
});

function number(event: ReadEvent): number {
  return Number(event.data.split(" ")[1]);
}

function assertIncreasing(events: ReadEvent[]): void {
  const ids = events.map((event) => parseLogId(event.id!)!.offset);
  for (let i = 1; i < ids.length; i++) {
    assert.ok(ids[i] > ids[i - 1], `id ${events[i].id} after ${events[i - 1].id}`);
  }
}

async function listen(instance: Instance): Promise<BodyReader> {
  const response = await fetch(`${instance.url}/events`);
  assert.equal(response.status, 200);
  const reader = new BodyReader(response.body!);
  await delay(50); // the subscription is attached when the handler runs
  return reader;
}

async function publish(instance: Instance, from: number, to: number): Promise<void> {
  const response = await fetch(`${instance.url}/publish?from=${from}&to=${to}`, { method: "POST" });
  assert.equal(response.status, 200);
  await response.body?.cancel();
}

async function startInstance(name: string): Promise<Instance> {
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: { ...process.env, NAME: name, REDIS_URL: `redis://127.0.0.1:${redisPort}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  child.stderr!.on("data", (chunk) => log.push(String(chunk)));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      child.stdout!.on("data", (chunk) => {
        const match = /listening (\d+)/.exec(String(chunk));
        if (match) resolve(Number(match[1]));
      });
      child.on("exit", (code) => reject(new Error(`${name} exited (${code}): ${log.join("")}`)));
    }),
    10_000,
    `server ${name} to listen`,
  );
  const instance = { process: child, url: `http://127.0.0.1:${port}`, log };
  instances.push(instance);
  return instance;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
