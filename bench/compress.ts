// Benchmark 6: per-event compression (`compress: true`). For each runtime,
// stream kind (an OpenAI-style LLM token stream; the demo's metrics) and
// encoding (none, gzip, br, zstd, deflate), a client opens concurrent streams
// of events sent 10 ms apart and reads the raw bytes with node:http,
// decompressing as they arrive. Measured: bytes on the wire against the
// plain stream, each event's delay from `send()` to decoded at the client
// (p50/p99, and what compression adds to the plain stream's), and the
// server's CPU time per event.
//
//   npm run bench -- compress [--quick] [--runtime=deno,bun,node]
//   deno run -A bench/compress.ts [--quick] [--runtime=...]   (this one alone)

import http from "node:http";
import zlib from "node:zlib";
import type { Context } from "./context.ts";
import { runAlone } from "./cli.ts";
import { buildForNode, nodeBuild, ROOT, type Runtime } from "./proc.ts";
import { fixed, footer, load, percentile, table } from "./report.ts";

type Kind = "llm" | "metrics";
type Encoding = "identity" | "gzip" | "br" | "zstd" | "deflate";
const ENCODINGS: Encoding[] = ["identity", "gzip", "br", "zstd", "deflate"];
/** The peer: Hono's streamSSE behind its compress() middleware, by default and told to take event streams. */
const HONO = [
  { path: "/hono/default", label: "hono compress()" },
  { path: "/hono/sse", label: "hono compress(event-stream filter)" },
];
const KINDS: Kind[] = ["llm", "metrics"];
const INTERVAL = 10;

const wallNow = (): number => performance.timeOrigin + performance.now();

interface Server {
  port: number;
  stop(): Promise<void>;
}

async function startServer(runtime: Runtime): Promise<Server> {
  const bin = `${ROOT}/node_modules/.bin`;
  let argv: string[];
  if (runtime === "node") {
    await buildForNode("bench/compress_server.ts");
    argv = ["node", "--expose-gc", nodeBuild("bench/compress_server.ts")];
  } else {
    argv = runtime === "deno"
      ? [`${bin}/deno`, "run", "-A", "--v8-flags=--expose-gc", "bench/compress_server.ts"]
      : [`${bin}/bun`, "bench/compress_server.ts"];
  }
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${runtime} compress server exited`);
    text += value;
  }
  const { port } = JSON.parse(text.slice(0, text.indexOf("\n")));
  return {
    port,
    async stop() {
      reader.cancel().catch(() => {});
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

function getJson<T>(port: number, path: string): Promise<T> {
  return fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.json() as Promise<T>);
}

interface StreamResult {
  wire: number;
  plain: number;
  received: number[];
  encoding: string;
}

function decoderFor(encoding: string): zlib.Gunzip | null {
  switch (encoding) {
    case "gzip":
      return zlib.createGunzip();
    case "deflate":
      return zlib.createInflate();
    case "br":
      return zlib.createBrotliDecompress();
    case "zstd":
      // deno-lint-ignore no-explicit-any
      return (zlib as any).createZstdDecompress();
    default:
      return null;
  }
}

/** Reads one stream raw, decoding as bytes arrive; records when each event was decoded. */
function readStream(port: number, path: string, encoding: Encoding): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const request = http.get({
      host: "127.0.0.1",
      port,
      path,
      headers: encoding === "identity" ? {} : { "accept-encoding": encoding },
    }, (response) => {
      const result: StreamResult = {
        wire: 0,
        plain: 0,
        received: [],
        encoding: response.headers["content-encoding"] ?? "identity",
      };
      const decoder = decoderFor(result.encoding);
      let text = "";
      const onText = (chunk: Uint8Array) => {
        const now = wallNow();
        result.plain += chunk.byteLength;
        text += new TextDecoder().decode(chunk);
        let end: number;
        while ((end = text.indexOf("\n\n")) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          if (block.includes("data:")) result.received.push(now);
        }
      };
      response.on("data", (chunk: Uint8Array) => {
        result.wire += chunk.byteLength;
        if (decoder) decoder.write(chunk);
        else onText(chunk);
      });
      decoder?.on("data", onText);
      response.on("end", () => {
        if (!decoder) return resolve(result);
        decoder.end();
        decoder.on("end", () => resolve(result));
      });
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}

interface Run {
  encoding: string;
  wire: number;
  plain: number;
  delays: number[];
  cpuPerEvent: number;
}

let nextId = 0;

async function run(
  port: number,
  kind: Kind,
  encoding: Encoding,
  streams: number,
  events: number,
  route = "/stream",
): Promise<Run> {
  const compress = encoding === "identity" ? 0 : 1;
  const ids = Array.from({ length: streams }, () => String(++nextId));
  const cpuBefore = (await getJson<{ micros: number }>(port, "/cpu")).micros;
  const results = await Promise.all(ids.map((id) =>
    readStream(
      port,
      `${route}?kind=${kind}&compress=${compress}&n=${events}&interval=${INTERVAL}&id=${id}`,
      encoding,
    )
  ));
  const cpuAfter = (await getJson<{ micros: number }>(port, "/cpu")).micros;
  const delays: number[] = [];
  for (const [i, id] of ids.entries()) {
    const sent = await getJson<number[]>(port, `/times?id=${id}`);
    const received = results[i].received;
    if (received.length !== sent.length) {
      throw new Error(`${kind}/${encoding}: ${received.length} of ${sent.length} events arrived`);
    }
    sent.forEach((at, n) => delays.push(received[n] - at));
  }
  return {
    encoding: results[0].encoding,
    wire: results.reduce((sum, r) => sum + r.wire, 0),
    plain: results.reduce((sum, r) => sum + r.plain, 0),
    delays,
    cpuPerEvent: (cpuAfter - cpuBefore) / (streams * events),
  };
}

/** Runs the compression benchmark; returns its markdown section. */
export async function compress(context: Context): Promise<string> {
  const streams = context.quick ? 4 : 20;
  const events = context.quick ? 50 : 200;
  const before = await load();
  const rows: string[][] = [];
  for (const runtime of context.runtimes) {
    const server = await startServer(runtime);
    try {
      for (const kind of KINDS) {
        // Warm up the server's JIT on both paths.
        await run(server.port, kind, "gzip", 2, 20);
        await run(server.port, kind, "identity", 2, 20);
        let baseline: Run | undefined;
        for (const encoding of ENCODINGS) {
          context.log(`compress: ${runtime} ${kind} ${encoding}`);
          const result = await run(server.port, kind, encoding, streams, events);
          if (encoding !== "identity" && result.encoding !== encoding) {
            rows.push([runtime, kind, encoding, "not offered", "", "", "", "", "", "", ""]);
            continue;
          }
          baseline ??= result;
          const sink = encoding === "identity" ? [] : await getJson<number[]>(
            server.port,
            `/sink?kind=${kind}&encoding=${encoding}&n=${events}`,
          );
          const memory = encoding === "identity" || kind !== "llm" ? "" : fixed(
            (await getJson<{ kib: number }>(
              server.port,
              `/memory?encoding=${encoding}&n=100`,
            ))
              .kib,
            0,
          );
          const p50 = percentile(result.delays, 50);
          const p99 = percentile(result.delays, 99);
          const added = (p: number, value: number) =>
            encoding === "identity" ? "" : fixed(value - percentile(baseline!.delays, p), 2);
          rows.push([
            runtime,
            kind,
            encoding === "identity" ? "none" : encoding,
            fixed(result.wire / result.plain, 3),
            fixed(result.wire / (streams * events), 0),
            `${fixed(p50, 2)} / ${fixed(p99, 2)}`,
            added(50, p50),
            added(99, p99),
            encoding === "identity"
              ? ""
              : `${fixed(percentile(sink, 50), 3)} / ${fixed(percentile(sink, 99), 3)}`,
            fixed(result.cpuPerEvent, 1),
            memory,
          ]);
        }
        for (const peer of HONO) {
          context.log(`compress: ${runtime} ${kind} ${peer.label}`);
          const result = await run(server.port, kind, "gzip", streams, events, peer.path);
          const p50 = percentile(result.delays, 50);
          const p99 = percentile(result.delays, 99);
          rows.push([
            runtime,
            kind,
            `${peer.label}: ${result.encoding === "identity" ? "none" : result.encoding}`,
            fixed(result.wire / result.plain, 3),
            fixed(result.wire / (streams * events), 0),
            `${fixed(p50, 2)} / ${fixed(p99, 2)}`,
            fixed(p50 - percentile(baseline!.delays, 50), 2),
            fixed(p99 - percentile(baseline!.delays, 99), 2),
            "",
            fixed(result.cpuPerEvent, 1),
            "",
          ]);
        }
      }
    } finally {
      await server.stop();
    }
  }
  const after = await load();
  return [
    `### 6. Compression: ${streams} concurrent streams × ${events} events, ${INTERVAL} ms apart`,
    "",
    "`compress: true` with the encoding the client asks for (Accept-Encoding: that one alone). " +
    "wire/plain: bytes on the wire over the decoded bytes; delay: from `send()` to the event " +
    "decoded by a node:http client (ms); added: compressed minus uncompressed delay at that " +
    "percentile (both include the machine's scheduling noise); compressor: in the server " +
    "process, from the sink's write() to the compressed bytes handed on (ms, events 2 ms " +
    "apart), what compression itself adds; CPU: server user+system time per event (µs); " +
    "KiB/stream: resident memory per idle compressor (one event written). " +
    "Targets (issue 13): LLM " +
    "wire/plain ≤ 0.15, p99 added ≤ 1 ms.",
    "",
    table(
      [
        "runtime",
        "stream",
        "encoding",
        "wire/plain",
        "B/event",
        "delay p50 / p99",
        "added p50",
        "added p99",
        "compressor p50 / p99",
        "CPU µs/event",
        "KiB/stream",
      ],
      rows,
    ),
    "",
    footer(context.machine, before, after),
  ].join("\n");
}

if (import.meta.main) await runAlone(compress);
