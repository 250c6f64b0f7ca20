// `npm run soak`: edge-sse's chaos suite on Deno, Bun and Node, against the
// floor where one exists. Not a test (not part of `npm test`): it prints one
// markdown table per section and fails only when a guarantee breaks (a stream
// left open, an unhandled rejection, a lost acked event, a response that did
// not end, a serializer mismatch), never on a number.
//
//   npm run soak                          everything (about 10 minutes on 2 cores)
//   npm run soak -- --quick               small counts (under 2 minutes): for CI
//   npm run soak -- cycles faults         some sections: cycles readers shutdown faults fuzz
//   npm run soak -- --runtime=deno,bun    some runtimes
//   npm run soak -- --write               also replace the figures in README.md "Reliability"
//
// Loopback only; every loop is bounded and the run stops by itself.

import { parseRunArgs, writeTables } from "../bench/cli.ts";
import { buildForNode, ROOT, runJson, type Runtime } from "../bench/proc.ts";
import { footer, load, machine, table } from "../bench/report.ts";
import { cycles } from "./cycles.ts";
import { faults } from "./faults.ts";
import type { FuzzResult } from "./fuzz.ts";
import { readers } from "./readers.ts";
import { shutdown } from "./shutdown.ts";

/** What every section gets from the command line. */
export interface SoakContext {
  quick: boolean;
  runtimes: Runtime[];
  machine: string;
  log(message: string): void;
  /** Records a broken guarantee: the run exits non-zero. */
  broken(what: string): void;
}

type Section = (context: SoakContext) => Promise<string>;

const SECTIONS: Record<string, Section> = { cycles, readers, shutdown, faults, fuzz };
const README = `${ROOT}/README.md`;
const MARKERS = { start: "<!-- soak:start -->", end: "<!-- soak:end -->" };
const BIN = `${ROOT}/node_modules/.bin`;

/** The serializer fuzz, in its own process on each runtime. */
async function fuzz(context: SoakContext): Promise<string> {
  const runs = context.quick ? 300 : 5_000;
  const before = await load();
  const rows: string[][] = [];
  for (const runtime of context.runtimes) {
    context.log(`fuzz: ${runtime} ${runs}`);
    const argv = runtime === "deno"
      ? [`${BIN}/deno`, "run", "-A", "soak/fuzz_run.ts"]
      : runtime === "bun"
      ? [`${BIN}/bun`, "soak/fuzz_run.ts"]
      : ["node", `${ROOT}/.build/bench/soak_fuzz_run-node.mjs`];
    const r = await runJson<FuzzResult>([...argv, String(runs)], 600_000);
    for (const failure of r.failures) context.broken(`fuzz ${runtime}: ${failure}`);
    rows.push([
      runtime,
      String(r.runs),
      String(r.events),
      String(r.accepted),
      String(r.refused),
      `${(r.bytes / 1048576).toFixed(1)} MiB`,
      r.failures.length === 0 ? "0" : r.failures[0].slice(0, 120),
    ]);
  }
  const after = await load();
  return [
    "### Serializer fuzz",
    "",
    "`npm run soak -- fuzz`",
    "",
    table(["runtime", "runs", "events", "accepted", "refused", "bytes parsed", "failures"], rows),
    "",
    "`soak/fuzz.ts` (fast-check): sequences of 1–6 event-shaped values with CR, lone CR, " +
    "CRLF, LF, NUL, BOM, lone surrogates, `data:`-like text, lines of 64 KiB to 1 MiB, " +
    "invalid `retry` values (negative, fractional, NaN, ±Infinity, 2^60, strings), ids and " +
    "names of the wrong type, and data JSON cannot serialise (cycles, BigInt, functions, " +
    "symbols, a throwing `toJSON`). Refused: `formatEvent` and `encodeEvent` both throw the " +
    "same TypeError/RangeError, nothing returned. Accepted: one whole event (no CR, no blank " +
    "line inside), and eventsource-parser, fed the decoded UTF-8 in pieces cut at random " +
    "points, reads back every event, id, retry and comment as sent (lone surrogates arrive " +
    "as U+FFFD, as UTF-8 requires). Found on the way: Deno 2.9's streaming `TextDecoder` " +
    "drops a U+FEFF that starts a later chunk (`decode(a, { stream: true })` then " +
    "`decode(b)` with `b` starting with a BOM), so the fuzz decodes the body at once.",
    "",
    footer(context.machine, before, after),
  ].join("\n");
}

async function main(): Promise<void> {
  const options = parseRunArgs(Deno.args, Object.keys(SECTIONS), "section");
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const broken: string[] = [];
  const context: SoakContext = {
    quick: options.quick,
    runtimes: options.runtimes,
    machine: await machine(),
    log: (message) => console.error(`[soak ${seconds()} s] ${message}`),
    broken: (what) => {
      broken.push(what);
      console.error(`[soak] BROKEN: ${what}`);
    },
  };
  context.log("building the Node server and fuzz runner");
  await buildForNode("soak/server.ts");
  await buildForNode("soak/fuzz_run.ts");
  const header = `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC` +
    `${options.quick ? " (--quick)" : ""}, load average ${(await load()).toFixed(2)} at the ` +
    "start (2 cores shared with other test runs).";
  console.log(`## edge-sse soak\n\n${header}\n`);
  const sections: string[] = [];
  for (const name of options.names) {
    const section = await SECTIONS[name](context);
    sections.push(section);
    console.log(section + "\n");
  }
  context.log(`done in ${seconds()} s`);
  if (options.write) await writeTables(README, MARKERS, header, sections);
  if (broken.length > 0) {
    console.error(`[soak] ${broken.length} guarantee(s) broken:\n${broken.join("\n")}`);
    Deno.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  Deno.exit(1);
});
