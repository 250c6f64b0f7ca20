// Benchmark: channels over Redis. A RedisStreamLog's acknowledged publishes
// per second (one publisher awaiting each, and 50 concurrent publishers),
// publish-to-client latency across instances, and one event to 3 instances ×
// 3 000 subscribers (time until the last client has it), the last against
// RedisBackplane (pub/sub). Each "instance" is a Channel with its own Redis
// connections, in one process per runtime; subscribers are in-process sse()
// streams whose bodies are read. redis-server is started here (no
// persistence: the network round trip and Redis, not the disk).
//
//   deno run -A bench/redis.ts [--quick] [--runtime=deno,bun,node]
//   npm run bench -- redis

import { Channel, sse } from "../mod.ts";
import { RedisBackplane, RedisStreamLog } from "../redis.ts";
import { APPEND } from "../src/channel/_redis_scripts.ts";

type Runtime = "deno" | "bun" | "node";
interface Row {
  runtime: Runtime;
  sequential: number;
  concurrent: number;
  floor: number;
  p50: number;
  p99: number;
  logFanout: number;
  backplaneFanout: number;
  subscribers: number;
}

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
const runtime: Runtime = globals.Deno ? "deno" : globals.Bun ? "bun" : "node";
const args: string[] = globals.Deno?.args ?? globals.process.argv.slice(2);
const quick = args.includes("--quick");
const INSTANCES = 3;

async function child(url: string): Promise<void> {
  const { createClient } = await import("redis");
  const clients: { quit(): Promise<unknown> }[] = [];
  const connect = async () => {
    const client = await createClient({ url }).connect();
    clients.push(client);
    return client;
  };
  const key = `bench-${runtime}-${Date.now()}`;
  const logs = await Promise.all(
    Array.from({ length: INSTANCES }, async () =>
      new Channel<string>({
        log: new RedisStreamLog({ redis: await connect(), key, maxLength: 100_000 }),
      })),
  );
  await Promise.all(logs.map((channel) => channel.ready));
  const [a, b] = logs;

  const sequentialCount = quick ? 300 : 3000;
  let started = performance.now();
  for (let n = 0; n < sequentialCount; n++) await a.publish({ data: "x" });
  const sequential = sequentialCount / ((performance.now() - started) / 1000);

  const concurrentCount = quick ? 3000 : 30_000;
  let left = concurrentCount;
  started = performance.now();
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (left-- > 0) await a.publish({ data: "x" });
  }));
  const concurrent = concurrentCount / ((performance.now() - started) / 1000);

  // The floor: the same append script sent raw (EVALSHA) by the same client, as concurrently.
  const raw = await connect() as unknown as { sendCommand(args: string[]): Promise<unknown> };
  const sha = await raw.sendCommand(["SCRIPT", "LOAD", APPEND]) as string;
  left = concurrentCount;
  started = performance.now();
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (left-- > 0) {
      await raw.sendCommand([
        "EVALSHA",
        sha,
        "2",
        `${key}-raw`,
        `${key}-raw:meta`,
        "floor",
        "0",
        "{}",
        "100000",
      ]);
    }
  }));
  const floor = concurrentCount / ((performance.now() - started) / 1000);

  // Latency: publish on a, a client of b receives it.
  const latencies: number[] = [];
  const watcher = subscribe(b);
  for (let n = 0; n < (quick ? 100 : 1000); n++) {
    const sent = performance.now();
    const arrived = watcher.next(`m${n}|`);
    await a.publish({ data: `m${n}|` });
    latencies.push(await arrived - sent);
  }
  latencies.sort((x, y) => x - y);
  const p = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];

  const subscribers = quick ? 300 : 3000;
  const logFanout = await fanout(logs, subscribers);
  await Promise.all(logs.map((channel) => channel.close()));

  const backplanes = await Promise.all(
    Array.from({ length: INSTANCES }, async () =>
      new Channel<string>({
        history: false,
        backplane: new RedisBackplane({
          publisher: await connect(),
          subscriber: await connect() as never,
          channel: `${key}-pubsub`,
        }),
      })),
  );
  await Promise.all(backplanes.map((channel) => channel.ready));
  const backplaneFanout = await fanout(backplanes, subscribers);
  await Promise.all(backplanes.map((channel) => channel.close()));
  await Promise.all(clients.map((client) => client.quit().catch(() => {})));
  const row: Row = {
    runtime,
    sequential,
    concurrent,
    floor,
    p50: p(0.5),
    p99: p(0.99),
    logFanout,
    backplaneFanout,
    subscribers,
  };
  console.log(JSON.stringify(row));
  globals.process?.exit?.(0);
}

/** A client of `channel` that resolves `next(marker)` when an event containing marker arrives. */
function subscribe(channel: Channel<string>): { next(marker: string): Promise<number> } {
  const waiting = new Map<string, (at: number) => void>();
  const response = sse(new Request("http://localhost/"), (stream) => channel.subscribe(stream), {
    heartbeat: false,
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const text = decoder.decode(value);
      const at = performance.now();
      for (const [marker, resolve] of waiting) {
        if (text.includes(marker)) {
          waiting.delete(marker);
          resolve(at);
        }
      }
    }
  })();
  return {
    next: (marker) => new Promise((resolve) => waiting.set(marker, resolve)),
  };
}

/** Median ms from publishing one event on the first channel until every subscriber of all has it. */
async function fanout(channels: Channel<string>[], perInstance: number): Promise<number> {
  let round = "";
  let pending = 0;
  let allArrived = () => {};
  for (const channel of channels) {
    for (let i = 0; i < perInstance; i++) {
      const response = sse(
        new Request("http://localhost/"),
        (stream) => channel.subscribe(stream),
        {
          heartbeat: false,
        },
      );
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      (async () => {
        let seen = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          if (round !== "" && seen !== round && decoder.decode(value).includes(round)) {
            seen = round;
            if (--pending === 0) allArrived();
          }
        }
      })();
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const times: number[] = [];
  for (let n = -1; n < (quick ? 3 : 10); n++) {
    round = `round-${n}|`;
    pending = channels.length * perInstance;
    const arrived = new Promise<void>((resolve) => allArrived = resolve);
    const started = performance.now();
    await channels[0].publish({ data: round });
    await arrived;
    if (n >= 0) times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

/** Starts redis-server and one child per runtime; prints the table. */
async function main(): Promise<void> {
  const { ROOT, buildForNode } = await import("./proc.ts");
  const { table, fixed, load, machine, footer } = await import("./report.ts");
  const { startRedisOnFreePort, stopProcess } = await import(
    "../tests/_redis_server_process.ts"
  );
  const requested = args.find((arg) => arg.startsWith("--runtime="))?.slice(10).split(",") ??
    ["deno", "bun", "node"];
  const { port, redis } = await startRedisOnFreePort();
  const loadBefore = await load();
  const rows: Row[] = [];
  try {
    await buildForNode("bench/redis.ts");
    for (const name of requested as Runtime[]) {
      const argv = name === "deno"
        ? [Deno.execPath(), "run", "-A", "bench/redis.ts"]
        : name === "bun"
        ? [`${ROOT}/node_modules/.bin/bun`, "bench/redis.ts"]
        : ["node", `${ROOT}/.build/bench/bench_redis-node.mjs`];
      argv.push("--child", `--redis=redis://127.0.0.1:${port}`, ...(quick ? ["--quick"] : []));
      const out = await new Deno.Command(argv[0], {
        args: argv.slice(1),
        cwd: ROOT,
        stdout: "piped",
        stderr: "inherit",
      }).output();
      if (!out.success) {
        const server = redis.exitCode === null && redis.signalCode === null
          ? "redis-server still running"
          : `redis-server had exited (${redis.exitCode ?? redis.signalCode})`;
        throw new Error(`bench/redis.ts on ${name} failed (exit ${out.code}; ${server})`);
      }
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
      rows.push(JSON.parse(lines[lines.length - 1]));
    }
  } finally {
    await stopProcess(redis, "SIGKILL");
  }
  const loadAfter = await load();
  console.log([
    `### Channels over Redis (\`npm run bench -- redis${quick ? " --quick" : ""}\`)`,
    "",
    "Acknowledged publishes per second on a `RedisStreamLog` (one publisher awaiting each; 50",
    "concurrent publishers; floor: the append script sent raw by the same client, as",
    "concurrently), publish-to-client latency from one instance to a client of another, and one",
    `event to ${INSTANCES} instances × ${rows[0]?.subscribers} subscribers: time until the last`,
    "client has it, with the log and with `RedisBackplane` (pub/sub). Targets: p50 ≤ 2 ms,",
    "≥ 20 000 acknowledged/s concurrent.",
    "",
    table(
      [
        "runtime",
        "acked/s sequential",
        "acked/s concurrent",
        "floor: raw EVALSHA/s",
        "latency p50 ms",
        "latency p99 ms",
        "fan-out log ms",
        "fan-out pub/sub ms",
      ],
      rows.map((row) => [
        row.runtime,
        fixed(row.sequential, 0),
        fixed(row.concurrent, 0),
        fixed(row.floor, 0),
        fixed(row.p50, 2),
        fixed(row.p99, 2),
        fixed(row.logFanout, 1),
        fixed(row.backplaneFanout, 1),
      ]),
    ),
    "",
    footer(await machine(), loadBefore, loadAfter),
  ].join("\n"));
}

if (args.includes("--child")) {
  await child(args.find((arg) => arg.startsWith("--redis="))!.slice(8));
} else {
  await main();
}
