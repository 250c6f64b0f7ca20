// One channel shared by three server processes on three runtimes (Deno with
// node-redis through a cuttable proxy, Bun with its RedisClient, Node with
// ioredis) through a RedisStreamLog on one redis-server (AOF, appendfsync
// always), started here. Clients hop between instances with Last-Event-ID
// while an instance is SIGKILLed and restarted, Redis is SIGKILLed and
// restarted, and one instance's Redis connection is cut. Each client must
// receive exactly the log: no gap, no duplicate, one order, the ids
// publish() returned. Node only (*.node.test.ts): it drives the three runtimes.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { Channel, sse } from "../../mod.ts";
import { RedisStreamLog } from "../../redis.ts";
import { delay, within } from "../_server.ts";
import { BodyReader } from "../_read.ts";
import { type CuttableProxy, cuttableProxy } from "../_redis_proxy.ts";
import { startRedis, startRedisOnFreePort, stopProcess } from "../_redis_server_process.ts";
import { bundleForNode, root } from "../_host.ts";

interface Instance {
  name: string;
  command: string[];
  env: Record<string, string>;
  process?: ChildProcess;
  url?: string;
  log: string[];
}

interface Received {
  id: string;
  event?: string;
  data: string;
}

const bin = (name: string) => join(root, "node_modules", ".bin", name);
const script = join(root, ".build", "redis-log-test-server.mjs");
const dir = mkdtempSync(join(tmpdir(), "edge-sse-redis-"));
const key = `edge-sse-log-${Date.now()}`;
let redisPort = 0;
let redis: ChildProcess | undefined;
let proxy: CuttableProxy;
const instances: Instance[] = [];

before(async () => {
  await bundleForNode(join(root, "tests", "_redis_log_server.ts"), script);
  ({ port: redisPort, redis } = await startRedisOnFreePort(dir));
  proxy = await cuttableProxy(redisPort);
  const url = (port: number) => `redis://127.0.0.1:${port}`;
  instances.push(
    instance("deno", [bin("deno"), "run", "-A", "tests/_redis_log_server.ts"], {
      CLIENT: "node-redis",
      REDIS_URL: url(proxy.port),
    }),
    instance("bun", [bin("bun"), "tests/_redis_log_server.ts"], {
      CLIENT: "bun",
      REDIS_URL: url(redisPort),
    }),
    instance("node", [process.execPath, script], { CLIENT: "ioredis", REDIS_URL: url(redisPort) }),
  );
  await Promise.all(instances.map(start));
});

after(async () => {
  await Promise.all(instances.map((one) => stopProcess(one.process, "SIGTERM")));
  await proxy?.close();
  await stopProcess(redis, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function instance(name: string, command: string[], env: Record<string, string>): Instance {
  return { name, command, env: { ...env, NAME: name, KEY: key }, log: [] };
}

async function start(one: Instance): Promise<void> {
  const child = spawn(one.command[0], one.command.slice(1), {
    cwd: root,
    env: { ...process.env, ...one.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  one.process = child;
  child.stderr!.on("data", (chunk) => one.log.push(String(chunk)));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      child.stdout!.on("data", (chunk) => {
        const match = /listening (\d+)/.exec(String(chunk));
        if (match) resolve(Number(match[1]));
      });
      child.on("exit", (code) => reject(new Error(`${one.name} exited (${code}): ${one.log}`)));
    }),
    30_000,
    `instance ${one.name} to listen`,
  );
  one.url = `http://127.0.0.1:${port}`;
}

/** A client that follows the channel, hopping to the next instance every so often. */
async function follow(
  first: number,
  received: Received[],
  running: () => boolean,
): Promise<void> {
  let next = first;
  while (running()) {
    const one = instances[next++ % instances.length];
    const controller = new AbortController();
    const hop = setTimeout(() => controller.abort(), 800 + Math.random() * 1200);
    try {
      const last = received.at(-1)?.id;
      const response = await fetch(`${one.url}/events?replay=1000000`, {
        signal: controller.signal,
        headers: last ? { "last-event-id": last } : {},
      });
      const reader = new BodyReader(response.body!);
      while (!reader.done) {
        for (const event of await reader.takeUntil((events) => events.length > 0, 60_000)) {
          received.push({ id: event.id!, event: event.event, data: event.data });
        }
      }
    } catch {
      // hopped, or the instance is down: go to the next one
    } finally {
      clearTimeout(hop);
      controller.abort();
    }
    await delay(20);
  }
}

/** Publishes `<name>-<n>` through one instance until told to stop; returns what was acknowledged. */
async function publishThrough(
  one: Instance,
  running: () => boolean,
  acked: Map<string, string>,
): Promise<number> {
  let failed = 0;
  for (let n = 1; running(); n++) {
    const data = `${one.name}-${n}`;
    try {
      const response = await fetch(`${one.url}/publish?data=${data}`, { method: "POST" });
      const body = await response.json();
      if (response.ok) acked.set(body.id, data);
      else failed++;
    } catch {
      failed++;
      await delay(50);
    }
    await delay(10);
  }
  return failed;
}

/** The whole log, read from Redis: ids and data, in order. */
async function readLog(): Promise<Received[]> {
  const client = await createClient({ url: `redis://127.0.0.1:${redisPort}` }).connect();
  const entries = await client.sendCommand(["XRANGE", key, "-", "+"]) as [string, string[]][];
  await client.quit();
  return entries.map(([streamId, fields]) => {
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    return { id: `${field("e")}-${streamId.split("-")[0]}`, data: JSON.parse(field("d")).data };
  });
}

describe("RedisStreamLog: one channel, three runtimes, chaos", () => {
  test("every client receives exactly the log, in its order, through instance and Redis kills and a cut connection", async () => {
    let publishing = true;
    let following = true;
    const acked = new Map<string, string>();
    const clients: Received[][] = Array.from({ length: 6 }, () => []);
    const followers = clients.map((received, i) => follow(i, received, () => following));
    await delay(500);
    const publishers = instances.map((one) => publishThrough(one, () => publishing, acked));
    const chaos: string[] = [];
    await delay(1500);
    const node = instances[2];
    await stopProcess(node.process, "SIGKILL");
    chaos.push(`SIGKILL node at ${acked.size} acked`);
    await delay(300);
    await start(node);
    await delay(1500);
    await stopProcess(redis, "SIGKILL");
    chaos.push(`SIGKILL redis at ${acked.size} acked`);
    await delay(500);
    redis = await startRedis(redisPort, dir);
    await delay(2000);
    proxy.cut(2500);
    chaos.push(`cut deno's Redis connection for 2.5 s at ${acked.size} acked`);
    await delay(3500);
    publishing = false;
    const failures = await Promise.all(publishers);
    const log = await readLog();
    const lastId = log.at(-1)!.id;
    await within(
      (async () => {
        while (!clients.every((received) => received.at(-1)?.id === lastId)) await delay(50);
      })(),
      20_000,
      "every client to reach the end of the log",
    ).catch((error) => {
      for (const one of instances) console.log(one.name, one.log.join("").slice(-2000));
      throw error;
    });
    following = false;
    await Promise.all(followers);

    console.log(
      `  [3 runtimes] ${log.length} events in the log, ${acked.size} acknowledged, ` +
        `${failures.join("/")} publishes failed (deno/bun/node); ${chaos.join("; ")}`,
    );
    const inLog = new Map(log.map((entry) => [entry.id, entry.data]));
    for (const [id, data] of acked) {
      assert.equal(inLog.get(id), data, `acknowledged ${id} is in the log`);
    }
    assert.equal(new Set(log.map((entry) => entry.data)).size, log.length, "no event stored twice");
    for (const [i, received] of clients.entries()) {
      assert.deepEqual(
        received.map((event) =>
          `${event.event === "message" ? "" : event.event}${event.id} ${event.data}`
        ),
        log.map((entry) => `${entry.id} ${entry.data}`),
        `client ${i} received exactly the log`,
      );
    }
  });
});

describe("RedisStreamLog: lost history and retention", () => {
  test("FLUSHALL: live clients and clients coming back with an old id each get one reset", async () => {
    const client = await createClient({ url: `redis://127.0.0.1:${redisPort}` }).connect();
    const channel = new Channel<number>({
      log: new RedisStreamLog({ redis: client, key: `${key}-flush` }),
      onError: () => {},
    });
    await channel.ready;
    const live = subscriber(channel);
    const before = [await channel.publish({ data: 1 }), await channel.publish({ data: 2 })];
    assert.deepEqual((await live.take(2)).map((event) => event.id), before);
    await client.sendCommand(["FLUSHALL"]);
    const after = [await channel.publish({ data: 3 }), await channel.publish({ data: 4 })];
    assert.notEqual(after[0].split("-")[0], before[0].split("-")[0], "a new epoch");
    const events = await live.take(3, 10_000);
    assert.deepEqual(events.map((event) => event.event === "message" ? event.data : event.event), [
      "reset",
      "3",
      "4",
    ]);
    assert.deepEqual(events.slice(1).map((event) => event.id), after);
    const back = subscriber(channel, before[1]);
    const [reset] = await back.take(1);
    assert.equal(reset.event, "reset");
    await channel.publish({ data: 5 });
    assert.deepEqual((await back.take(1)).map((event) => event.data), ["5"]);
    await channel.close();
    await client.quit();
  });

  test("an id older than the retained window (maxLength) gets one reset, never a partial replay", async () => {
    const client = await createClient({ url: `redis://127.0.0.1:${redisPort}` }).connect();
    const channel = new Channel<number>({
      log: new RedisStreamLog({ redis: client, key: `${key}-trim`, maxLength: 10 }),
    });
    await channel.ready;
    const ids: string[] = [];
    for (let n = 1; n <= 400; n++) ids.push(await channel.publish({ data: n }));
    const length = Number(await client.sendCommand(["XLEN", `${key}-trim`]));
    assert.ok(length < 400, `trimmed to about maxLength (${length} kept)`);
    const old = subscriber(channel, ids[0]);
    const recent = subscriber(channel, ids[397]);
    assert.equal((await old.take(1))[0].event, "reset");
    assert.deepEqual((await recent.take(2)).map((event) => event.data), ["399", "400"]);
    await channel.publish({ data: 401 });
    assert.deepEqual((await old.take(1)).map((event) => event.data), ["401"]);
    await channel.close();
    await client.quit();
  });

  test("while Redis is unreachable, publish() rejects within the timeout and never resolves", async () => {
    const cut = await cuttableProxy(redisPort);
    const client = createClient({
      url: `redis://127.0.0.1:${cut.port}`,
      socket: { reconnectStrategy: () => 100 },
    });
    client.on("error", () => {});
    await client.connect();
    const channel = new Channel({
      log: new RedisStreamLog({ redis: client, key: `${key}-cut`, timeout: 500 }),
      onError: () => {},
    });
    await channel.ready;
    try {
      await channel.publish({ data: "stored" });
      cut.cut(3000);
      // The first may fail at once (its connection closed under it), the next waits for Redis.
      for (const data of ["in flight", "not stored"]) {
        const started = performance.now();
        await assert.rejects(channel.publish({ data }));
        const took = performance.now() - started;
        assert.ok(took < 1500, `rejected after ${took.toFixed(0)} ms`);
      }
    } finally {
      await channel.close();
      await client.disconnect().catch(() => {});
      await cut.close();
    }
  });
});

function subscriber<T>(channel: Channel<T>, lastEventId?: string): BodyReader {
  const headers: HeadersInit = lastEventId ? { "last-event-id": lastEventId } : {};
  const response = sse(
    new Request("http://localhost/", { headers }),
    (stream) => channel.subscribe(stream),
    {
      heartbeat: false,
    },
  );
  return new BodyReader(response.body!);
}
