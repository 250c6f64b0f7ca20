// The command line shared by `npm run bench` (bench/main.ts) and `npm run soak`
// (soak/main.ts): which parts and runtimes to run, and where --write stores
// the tables.

import type { Context } from "./context.ts";
import type { Runtime } from "./proc.ts";
import { machine } from "./report.ts";

/** Every runtime the benchmarks and the soak suite know. */
export const RUNTIMES: readonly Runtime[] = ["deno", "bun", "node"];

/** What the command line asks for. */
export interface RunOptions {
  /** Small counts: proves everything runs. */
  quick: boolean;
  /** Also store the tables in the document (full runs only). */
  write: boolean;
  /** The parts to run, in order (every known part when none is named). */
  names: string[];
  runtimes: Runtime[];
  /** `--baseline=<rev>`: a git revision to compare against in the same run. */
  baseline?: string;
}

/**
 * Reads `[part...] [--quick] [--write] [--runtime=deno,bun] [--baseline=<rev>]`; throws on an
 * unknown part (`what`: "benchmark", "section") or runtime, and on
 * `--quick --write`.
 */
export function parseRunArgs(args: string[], known: readonly string[], what: string): RunOptions {
  const names = args.filter((arg) => !arg.startsWith("--"));
  for (const name of names) {
    if (!known.includes(name)) throw new Error(`unknown ${what} ${name}: ${known.join(", ")}`);
  }
  const runtimeArg = args.find((arg) => arg.startsWith("--runtime="))?.slice(10);
  const runtimes = runtimeArg ? runtimeArg.split(",") as Runtime[] : [...RUNTIMES];
  for (const runtime of runtimes) {
    if (!RUNTIMES.includes(runtime)) throw new Error(`unknown runtime ${runtime}`);
  }
  if (args.includes("--quick") && args.includes("--write")) {
    throw new Error("--write stores full runs only, not --quick ones");
  }
  const baseline = args.find((arg) => arg.startsWith("--baseline="))?.slice(11);
  if (baseline !== undefined && args.includes("--write")) {
    throw new Error("--write stores the checkout's tables, not a --baseline comparison");
  }
  return {
    baseline,
    quick: args.includes("--quick"),
    write: args.includes("--write"),
    names: names.length > 0 ? names : [...known],
    runtimes,
  };
}

/**
 * Replaces what stands between the `start` and `end` markers of the markdown
 * file `path` with `header` and `sections`, then formats the file as
 * `deno fmt --check` (CI) expects.
 */
export async function writeTables(
  path: string,
  markers: { start: string; end: string },
  header: string,
  sections: string[],
): Promise<void> {
  const { start, end } = markers;
  const text = await Deno.readTextFile(path);
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${path} lacks ${start} ... ${end}`);
  const block = [start, "", header, "", ...sections.flatMap((s) => [s, ""]), end].join("\n");
  await Deno.writeTextFile(path, text.slice(0, from) + block + text.slice(to + end.length));
  const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", path] }).output();
  if (!fmt.success) throw new Error(`deno fmt ${path} failed`);
}

/**
 * Runs one benchmark on its own (`deno run -A bench/x.ts [--quick]
 * [--runtime=deno,bun]`, as `npm run bench -- x` would) and prints its table.
 */
export async function runAlone(bench: (context: Context) => Promise<string>): Promise<void> {
  const options = parseRunArgs(Deno.args, [], "benchmark");
  const started = performance.now();
  console.log(
    await bench({
      quick: options.quick,
      runtimes: options.runtimes,
      machine: await machine(),
      log: (message) =>
        console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1)} s] ${message}`),
    }),
  );
}
