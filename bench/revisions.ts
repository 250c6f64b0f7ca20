// `deno run -A bench/revisions.ts [--size=64] [--rounds=6] <rev> <rev> ...`:
// edge-sse at several git revisions ("." for the working tree), each bundled
// and served alone by Deno.serve (bench/revision_server.ts), one revision
// after the other, rounds interleaved. Each server sends 5 streams of 300 000
// events to the bench client (a forced GC before each); the figure is the
// server's CPU time per event, median of the last three streams (the first
// two warm it up). For bisecting a throughput change (bench/README.md,
// "Throughput since the layout move"). Not a test: it prints a table.

import { build, bundleRevision, ROOT, runClient, startServer } from "./proc.ts";
import { median } from "./report.ts";

interface Run {
  events: number;
  serverCpuMs: number;
}

const STREAMS = 5;
const EVENTS = 300_000;

/** Bundles `rev` (see bundleRevision); returns the bundle. */
async function bundle(rev: string): Promise<string> {
  const dir = `${ROOT}/.build/bench/revision-${rev === "." ? "worktree" : rev}`;
  await bundleRevision(rev, dir);
  return `${dir}/bundle.mjs`;
}

async function cpuPerEvent(file: string, size: number): Promise<number> {
  Deno.env.set("EDGE_SSE_REVISION", file);
  const server = await startServer("deno", "bench/revision_server.ts");
  try {
    const paths = Array.from({ length: STREAMS }, () => `/stream?size=${size}&n=${EVENTS}`);
    const runs = await runClient<Run>({ mode: "throughput", port: server.port, paths }, 600_000);
    return median(runs.slice(2).map((run) => (run.serverCpuMs * 1e6) / run.events));
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const size = Number(Deno.args.find((arg) => arg.startsWith("--size="))?.slice(7) ?? 64);
  const rounds = Number(Deno.args.find((arg) => arg.startsWith("--rounds="))?.slice(9) ?? 6);
  const revs = Deno.args.filter((arg) => !arg.startsWith("--"));
  if (revs.length === 0) throw new Error("Cannot compare: name at least one git revision");
  await build();
  const files = new Map<string, string>();
  for (const rev of revs) files.set(rev, await bundle(rev));
  const results = new Map<string, number[]>(revs.map((rev) => [rev, []]));
  for (let round = 0; round < rounds; round++) {
    for (const rev of revs) {
      const ns = await cpuPerEvent(files.get(rev)!, size);
      results.get(rev)!.push(ns);
      console.error(`[revisions] round ${round + 1}: ${rev} ${Math.round(ns)} ns/event`);
    }
  }
  console.log(`| revision | Deno ${size} B, server CPU ns/event (each server) | median |`);
  console.log("| --- | --- | --- |");
  for (const [rev, values] of results) {
    const sorted = values.map(Math.round).sort((a, b) => a - b);
    console.log(`| ${rev} | ${sorted.join(" ")} | ${Math.round(median(values))} |`);
  }
}

await main();
