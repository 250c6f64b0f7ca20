// Benchmark 4, fan-out: the time to deliver one event to 10 000 subscribers
// of a Channel, against the naive loop (`stream.send(event)` on every stream,
// which serialises the event once per stream). In-process: every subscriber is
// an sse() Response whose body is read, so the time covers queueing, the
// writer's flush and the body read, not the network (bench/throughput.ts
// measures that).
//
//   deno run -A bench/fanout.ts [--quick] [--runtime=deno,bun,node]
//
// Prints a markdown table; run by `npm run bench` (bench/main.ts) too. Each
// runtime runs in its own process (`--child`), Node through an esbuild bundle.

import { Channel, sse, type SSEStream } from "../mod.ts";

type Runtime = "deno" | "bun" | "node";
interface Row {
  runtime: string;
  subscribers: number;
  method: string;
  publishMs: number[];
  deliveredMs: number[];
}

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
const runtime: Runtime = globals.Deno ? "deno" : globals.Bun ? "bun" : "node";
const args: string[] = globals.Deno?.args ?? globals.process.argv.slice(2);
const quick = args.includes("--quick");

/** One process: every size and method on this runtime; prints one JSON line. */
async function child(): Promise<void> {
  const sizes = [1_000, 10_000];
  const rounds = quick ? 5 : 30;
  const rows: Row[] = [];
  for (const subscribers of sizes) {
    for (const method of ["Channel.publish()", "send() on each stream"]) {
      rows.push(await measure(subscribers, method, rounds));
    }
  }
  console.log(JSON.stringify(rows));
  globals.process?.exit?.(0);
}

async function measure(subscribers: number, method: string, rounds: number): Promise<Row> {
  const channel = new Channel({ history: false, ids: false });
  const streams: SSEStream[] = [];
  let received = 0;
  let target = Infinity;
  let arrived = () => {};
  const readers: Promise<void>[] = [];
  for (let i = 0; i < subscribers; i++) {
    const response = sse(new Request("http://localhost/"), (stream) => {
      streams.push(stream);
      return channel.subscribe(stream);
    }, { heartbeat: false });
    const reader = response.body!.getReader();
    readers.push((async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        received += value.byteLength;
        if (received >= target) arrived();
      }
    })());
  }
  // Every body first reads the stream's opening comment (":\n\n").
  target = 3 * subscribers;
  await new Promise<void>((resolve) => {
    arrived = resolve;
    if (received >= target) resolve();
  });
  const row: Row = { runtime, subscribers, method, publishMs: [], deliveredMs: [] };
  const text = "x".repeat(100);
  for (let round = -2; round < rounds; round++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    // A fixed-size event: every subscriber receives the same number of bytes.
    const event = { event: "tick", data: { round: String(round + 100).padStart(6, "0"), text } };
    const size = new TextEncoder().encode(`event: tick\ndata: ${JSON.stringify(event.data)}\n\n`)
      .byteLength;
    const done = new Promise<void>((resolve) => arrived = resolve);
    target = received + subscribers * size;
    const started = performance.now();
    if (method === "Channel.publish()") channel.publish(event);
    else for (const stream of streams) stream.send(event);
    const published = performance.now();
    if (received >= target) arrived();
    await done;
    if (round >= 0) {
      row.publishMs.push(published - started);
      row.deliveredMs.push(performance.now() - started);
    }
  }
  await channel.close();
  await Promise.all(readers);
  return row;
}

/** The orchestrator (Deno): one child per runtime, then the table. */
async function main(): Promise<void> {
  const { table, median, percentile, fixed, machine, load, footer } = await import(
    "./report.ts"
  );
  const root = new URL("..", import.meta.url).pathname;
  const runtimeArg = args.find((arg) => arg.startsWith("--runtime="))?.slice(10);
  const runtimes = (runtimeArg ? runtimeArg.split(",") : ["deno", "bun", "node"]) as Runtime[];
  const bin = `${root}node_modules/.bin`;
  const flags = ["--child", ...(quick ? ["--quick"] : [])];
  const loadBefore = await load();
  const rows: Row[] = [];
  for (const name of runtimes) {
    let argv: string[];
    if (name === "deno") argv = [globals.Deno.execPath(), "run", "-A", "bench/fanout.ts", ...flags];
    else if (name === "bun") argv = [`${bin}/bun`, "bench/fanout.ts", ...flags];
    else {
      const out = `${root}.build/bench/fanout-node.mjs`;
      const built = await new globals.Deno.Command(`${bin}/esbuild`, {
        args: ["bench/fanout.ts", "--bundle", "--platform=node", "--format=esm", "--target=node20"]
          .concat(["--packages=external", `--outfile=${out}`, "--log-level=warning"]),
        cwd: root,
      }).output();
      if (!built.success) throw new Error("esbuild bench/fanout.ts failed");
      argv = ["node", out, ...flags];
    }
    console.error(`[fanout] ${name}`);
    const result = await new globals.Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: root,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!result.success) throw new Error(`fanout on ${name} failed (exit ${result.code})`);
    rows.push(...JSON.parse(new TextDecoder().decode(result.stdout).trim().split("\n").at(-1)!));
  }
  const rounds = rows[0]?.deliveredMs.length ?? 0;
  console.log(
    `### 4. Fan-out: one event to every subscriber, median of ${rounds} events\n\n` +
      "In-process subscribers (sse() Responses whose bodies are read): the time from the " +
      "call until every body has read the event, and the time the call itself blocks.\n",
  );
  console.log(table(
    ["runtime", "subscribers", "method", "call ms", "delivered to all ms", "p95 ms", "µs / sub"],
    rows.map((row) => {
      const delivered = median(row.deliveredMs);
      return [
        row.runtime,
        String(row.subscribers),
        row.method,
        fixed(median(row.publishMs), 2),
        fixed(delivered, 1),
        fixed(percentile(row.deliveredMs, 95), 1),
        fixed((delivered * 1000) / row.subscribers, 2),
      ];
    }),
  ));
  console.log("\n" + footer(await machine(), loadBefore, await load()));
  if (runtimes.includes("node")) {
    const { socketFanout } = await import("./fanout_sockets.ts");
    const before = await load();
    console.log("\n" + await socketFanout(quick, (line) => console.error(line)));
    console.log("\n" + footer(await machine(), before, await load()));
  }
}

if (args.includes("--child")) await child();
else await main();
