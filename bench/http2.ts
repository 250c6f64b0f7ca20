// Benchmark 7: HTTP/2 against HTTP/1.1 in a browser. For each runtime, the
// server (bench/http2_server.ts) answers the same handler over HTTPS
// (HTTP/2) and plain HTTP (HTTP/1.1); headless Chromium (bench/http2_client.ts,
// on Node) opens 12 EventSources to one origin on each and counts how many
// get a first event within 3 s, and when; then closes HTTP/2 sources one at a
// time (RST_STREAM) and measures how long until each handler's signal aborted.
//
//   npm run bench -- http2 [--quick] [--runtime=deno,bun,node]
//   deno run -A bench/http2.ts [--quick] [--runtime=...]   (this one alone)

import type { Context } from "./context.ts";
import { selfSignedCertificate } from "../tests/_tls.ts";
import { runAlone } from "./cli.ts";
import { ROOT, type Runtime } from "./proc.ts";
import { fixed, footer, load, percentile, table } from "./report.ts";

const BIN = `${ROOT}/node_modules/.bin`;
const BUILD = `${ROOT}/.build/bench`;

interface Output {
  protocol: string;
  http2: (number | null)[];
  http1: (number | null)[];
  cancels: number[];
  reasons: string[];
}

async function run(argv: string[], env: Record<string, string> = {}): Promise<void> {
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), cwd: ROOT, env }).output();
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** The tests' self-signed certificate (tests/_tls.ts), as files for the servers to read. */
async function certificate(): Promise<{ cert: string; key: string }> {
  const dir = await Deno.makeTempDir({ prefix: "edge-sse-bench-tls-" });
  const made = selfSignedCertificate();
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  await Deno.writeTextFile(cert, made.cert);
  await Deno.writeTextFile(key, made.key);
  return { cert, key };
}

async function build(): Promise<void> {
  const common = ["--bundle", "--platform=node", "--format=esm", "--target=node20"];
  await run([
    `${BIN}/esbuild`,
    "bench/http2_client.ts",
    ...common,
    "--packages=external",
    `--outfile=${BUILD}/http2-client.mjs`,
    "--log-level=warning",
  ]);
  await run([
    `${BIN}/esbuild`,
    "bench/http2_server.ts",
    ...common,
    "--packages=external",
    `--outfile=${BUILD}/http2-server-node.mjs`,
    "--log-level=warning",
  ]);
}

async function measure(
  runtime: Runtime,
  tls: { cert: string; key: string },
  closes: number,
): Promise<Output> {
  const argv = runtime === "deno"
    ? [`${BIN}/deno`, "run", "-A", "bench/http2_server.ts"]
    : runtime === "bun"
    ? [`${BIN}/bun`, "bench/http2_server.ts"]
    : ["node", `${BUILD}/http2-server-node.mjs`];
  const server = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: ROOT,
    env: { CERT: tls.cert, KEY: tls.key },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${runtime} http2 server exited`);
      text += value;
    }
    const ports = JSON.parse(text.slice(0, text.indexOf("\n")));
    const client = await new Deno.Command("node", {
      args: [`${BUILD}/http2-client.mjs`, JSON.stringify({ ...ports, closes })],
      cwd: ROOT,
      stderr: "inherit",
    }).output();
    if (!client.success) throw new Error(`http2 client failed on ${runtime}`);
    return JSON.parse(new TextDecoder().decode(client.stdout).trim()) as Output;
  } finally {
    reader.cancel().catch(() => {});
    server.kill("SIGTERM");
    await server.status;
  }
}

function firstEvents(times: (number | null)[]): [string, string] {
  const got = times.filter((t): t is number => t !== null);
  return [`${got.length} of ${times.length}`, got.length ? fixed(Math.max(...got), 0) : "–"];
}

/** Runs the HTTP/2 benchmark; returns its markdown section. */
export async function http2(context: Context): Promise<string> {
  const closes = context.quick ? 3 : 10;
  const before = await load();
  await build();
  const tls = await certificate();
  const rows: string[][] = [];
  for (const runtime of context.runtimes) {
    context.log(`http2: ${runtime}`);
    const out = await measure(runtime, tls, closes);
    const server = runtime === "deno" ? "Deno.serve" : "@hono/node-server + node:http2";
    const [h2Count, h2Last] = firstEvents(out.http2);
    const [h1Count, h1Last] = firstEvents(out.http1);
    const cancels = out.cancels.filter(Number.isFinite);
    rows.push([
      runtime,
      `${server} (${out.protocol})`,
      h2Count,
      h2Last,
      h1Count,
      h1Last,
      `${fixed(percentile(cancels, 50), 0)} / ${fixed(Math.max(...cancels), 0)}`,
      [...new Set(out.reasons)].join(", "),
    ]);
  }
  await Deno.remove(tls.cert.replace(/\/cert\.pem$/, ""), { recursive: true });
  const after = await load();
  return [
    "### 7. HTTP/2: 12 EventSources on one origin in headless Chromium",
    "",
    "Streams with a first event within 3 s of opening all 12 at once, and the time of the last " +
    `such first event (ms); then ${closes} HTTP/2 sources closed one at a time: ms from ` +
    "`close()` in the page to the handler's signal aborting on the server (p50 / max), and " +
    "the close reasons seen. HTTP/1.1 is the same server's plain-HTTP port.",
    "",
    table(
      [
        "runtime",
        "HTTPS server",
        "HTTP/2: with events",
        "last first event",
        "HTTP/1.1: with events",
        "last first event",
        "cancel → handler ms",
        "reasons",
      ],
      rows,
    ),
    "",
    footer(context.machine, before, after),
  ].join("\n");
}

if (import.meta.main) await runAlone(http2);
