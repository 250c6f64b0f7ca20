// `deno run -A bench/revisions.ts [--size=64] [--rounds=6] [--runtime=deno|bun] [--pin] [--in-process] <rev> ...`:
// edge-sse at several git revisions ("." for the working tree, or the path of
// a directory holding a variant's `mod.ts` and `src/`), each bundled and
// served alone by Deno.serve or Bun.serve (bench/revision_server.ts), one
// revision after the other, rounds interleaved (reversed every other round).
// Each server sends 5 streams of 300 000 events to the bench client (a
// forced GC before each); the figure is the server's CPU time per event,
// median of the last three streams (the first two warm it up). `--pin` runs
// the server on CPU 1 and the client on CPU 0 (`taskset`), so that neither
// takes the other's time slices. `--in-process` has no server: each
// revision streams into a reader in its own process
// (bench/revision_in_process.ts), so sockets and the HTTP stack add no
// noise, and the figure is edge-sse's CPU per event. For bisecting a throughput change, or
// measuring a variant (bench/README.md, "Throughput since the layout
// move"). Not a test: it prints a table.

import {
  build,
  bundleRevision,
  pinned,
  ROOT,
  runClient,
  runJson,
  type Runtime,
  scriptArgv,
  startServer,
} from "./proc.ts";
import { median } from "./report.ts";

interface Run {
  events: number;
  serverCpuMs: number;
}

const STREAMS = 5;
const EVENTS = 300_000;

/** Bundles `rev` (see bundleRevision); returns the bundle. */
async function bundle(rev: string): Promise<string> {
  const name = rev === "." ? "worktree" : rev.replace(/[^\w.-]+/g, "_");
  const dir = `${ROOT}/.build/bench/revision-${name}`;
  await bundleRevision(rev, dir);
  return `${dir}/bundle.mjs`;
}

/**
 * How the servers run: which runtime, whether pinned to a CPU (the client
 * to the other), and whether in process (no server, no client).
 */
interface Setup {
  runtime: Runtime & ("deno" | "bun");
  pin: boolean;
  inProcess: boolean;
}

async function cpuPerEvent(file: string, size: number, setup: Setup): Promise<number> {
  Deno.env.set("EDGE_SSE_REVISION", file);
  if (setup.inProcess) {
    const argv = scriptArgv(setup.runtime, "bench/revision_in_process.ts", `${size}`, `${EVENTS}`);
    const result = await runJson<{ nsPerEvent: number }>(
      pinned(setup.pin ? 1 : undefined, argv),
      600_000,
    );
    return result.nsPerEvent;
  }
  const server = await startServer(
    setup.runtime,
    "bench/revision_server.ts",
    setup.pin ? 1 : undefined,
  );
  try {
    const paths = Array.from({ length: STREAMS }, () => `/stream?size=${size}&n=${EVENTS}`);
    const runs = await runClient<Run>(
      { mode: "throughput", port: server.port, paths },
      600_000,
      setup.pin ? 0 : undefined,
    );
    return median(runs.slice(2).map((run) => (run.serverCpuMs * 1e6) / run.events));
  } finally {
    await server.stop();
  }
}

function option(name: string): string | undefined {
  return Deno.args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

async function main(): Promise<void> {
  const size = Number(option("size") ?? 64);
  const rounds = Number(option("rounds") ?? 6);
  const runtime = option("runtime") ?? "deno";
  if (runtime !== "deno" && runtime !== "bun") {
    throw new Error(`Cannot compare: --runtime must be deno or bun, got ${runtime}`);
  }
  const setup: Setup = {
    runtime,
    pin: Deno.args.includes("--pin"),
    inProcess: Deno.args.includes("--in-process"),
  };
  const revs = Deno.args.filter((arg) => !arg.startsWith("--"));
  if (revs.length === 0) throw new Error("Cannot compare: name at least one git revision");
  await build();
  const files = new Map<string, string>();
  for (const rev of revs) files.set(rev, await bundle(rev));
  const results = new Map<string, number[]>(revs.map((rev) => [rev, []]));
  for (let round = 0; round < rounds; round++) {
    for (const rev of round % 2 === 0 ? revs : revs.toReversed()) {
      const ns = await cpuPerEvent(files.get(rev)!, size, setup);
      results.get(rev)!.push(ns);
      console.error(`[revisions] round ${round + 1}: ${rev} ${Math.round(ns)} ns/event`);
    }
  }
  const label = `${runtime === "deno" ? "Deno" : "Bun"} ${size} B${setup.pin ? ", pinned" : ""}`;
  const what = setup.inProcess
    ? "in process, CPU ns/event (each process)"
    : "server CPU ns/event (each server)";
  console.log(`| revision | ${label}, ${what} | median |`);
  console.log("| --- | --- | --- |");
  for (const [rev, values] of results) {
    const sorted = values.map(Math.round).sort((a, b) => a - b);
    console.log(`| ${rev} | ${sorted.join(" ")} | ${Math.round(median(values))} |`);
  }
}

await main();
