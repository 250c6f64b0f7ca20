// `npm run bench`: every benchmark, edge-sse against the floor and Hono, on
// Deno, Bun and Node, one markdown table each. See bench/README.md.
//
//   npm run bench                          everything (several minutes)
//   npm run bench -- --quick               small counts: proves it all runs (about 5 min)
//   npm run bench -- throughput abort      only some benchmarks
//   npm run bench -- --runtime=deno,bun    only some runtimes
//   npm run bench -- --write               also store the tables in bench/README.md
//   npm run bench -- throughput --baseline=HEAD~3
//                                          also that git revision's edge-sse, in the same run
//
// Exits non-zero only when a benchmark breaks (a crash, a missing event),
// never because of a number.

import { abort } from "./abort.ts";
import { compress } from "./compress.ts";
import { http2 } from "./http2.ts";
import type { Context } from "./context.ts";
import { idle } from "./idle.ts";
import { parseRunArgs, writeTables } from "./cli.ts";
import { BASELINE, build, buildBaseline, ROOT } from "./proc.ts";
import { load, machine } from "./report.ts";
import { throughput } from "./throughput.ts";
import { ttfb } from "./ttfb.ts";

type Bench = (context: Context) => Promise<string>;

const BENCHES: Record<string, Bench> = {
  throughput,
  idle,
  abort,
  fanout,
  ttfb,
  compress,
  http2,
  redis,
};
const README = `${ROOT}/bench/README.md`;
const MARKERS = { start: "<!-- results:start -->", end: "<!-- results:end -->" };

/** Benchmark 4, fan-out (bench/fanout.ts), spawns a process per runtime itself. */
function fanout(context: Context): Promise<string> {
  return runScript("bench/fanout.ts", context);
}

/** Channels over Redis (bench/redis.ts) start their own redis-server. */
function redis(context: Context): Promise<string> {
  return runScript("bench/redis.ts", context);
}

/** Runs a benchmark that is a script of its own, with the same runtimes and --quick; returns its table. */
async function runScript(script: string, context: Context): Promise<string> {
  const args = ["run", "-A", `${ROOT}/${script}`, `--runtime=${context.runtimes.join(",")}`];
  if (context.quick) args.push("--quick");
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`${script} failed (exit ${out.code})`);
  return new TextDecoder().decode(out.stdout).trim();
}

async function main(): Promise<void> {
  const options = parseRunArgs(Deno.args, Object.keys(BENCHES), "benchmark");
  const started = performance.now();
  const log = (message: string) => console.error(`[bench ${elapsed(started)}] ${message}`);
  log("building the client and the Node server");
  await build();
  let baseline: string | undefined;
  if (options.baseline !== undefined) {
    log(`building edge-sse at ${options.baseline}`);
    baseline = await buildBaseline(options.baseline);
    Deno.env.set("EDGE_SSE_BASELINE", BASELINE.baseline);
    Deno.env.set("EDGE_SSE_CHECKOUT", BASELINE.checkout);
  }
  const context: Context = {
    baseline,
    quick: options.quick,
    runtimes: options.runtimes,
    machine: await machine(),
    log,
  };
  const header = `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC` +
    `${options.quick ? " (--quick)" : ""}, load average ${(await load()).toFixed(2)} at the start.`;
  console.log(`## edge-sse benchmarks\n\n${header}\n`);
  const sections: string[] = [];
  for (const name of options.names) {
    const section = await BENCHES[name](context);
    sections.push(section);
    console.log(section + "\n");
  }
  log(`done in ${elapsed(started)}`);
  if (options.write) await writeTables(README, MARKERS, header, sections);
}

function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

main().catch((error) => {
  console.error(error);
  Deno.exit(1);
});
