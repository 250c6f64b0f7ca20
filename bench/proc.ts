// Processes of a benchmark run (Deno-only: the orchestrator runs on Deno):
// the bench server on a runtime, the Node client, and what /proc says about
// a server's memory and CPU time.

import { resolve } from "node:path";

/** A runtime the bench server runs on. */
export type Runtime = "deno" | "bun" | "node";

export const ROOT: string = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BIN = `${ROOT}/node_modules/.bin`;
const BUILD = `${ROOT}/.build/bench`;
export const CLIENT: string = `${BUILD}/client.mjs`;
const NODE_SERVER = `${BUILD}/server-node.mjs`;
const NODE_OBJECTS = `${BUILD}/idle_objects-node.mjs`;

/**
 * Runs a command with the soft file-descriptor limit raised to the hard one
 * (10 000 sockets need more than the usual 1 024).
 */
function command(argv: string[], piped: { stdin?: boolean } = {}): Deno.ChildProcess {
  return new Deno.Command("sh", {
    args: ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...argv],
    cwd: ROOT,
    stdin: piped.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/**
 * `argv` run on one CPU (Linux `taskset`), when `cpu` is given: a server and
 * its client each on a core of their own, so that neither takes the other's
 * time slices (bench/revisions.ts `--pin`).
 */
export function pinned(cpu: number | undefined, argv: string[]): string[] {
  return cpu === undefined ? argv : ["taskset", "-c", String(cpu), ...argv];
}

/** The hard limit on open files, which the server and the client are raised to. */
export async function fileLimit(): Promise<number> {
  const out = await new Deno.Command("sh", { args: ["-c", "ulimit -Hn"] }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  return text === "unlimited" ? Infinity : Number(text);
}

/** Bundles the client, and the server for Node, with esbuild. */
export async function build(): Promise<void> {
  const common = ["--bundle", "--platform=node", "--format=esm", "--target=node20"];
  for (
    const [entry, out, extra] of [
      ["bench/client.ts", CLIENT, []],
      ["bench/server.ts", NODE_SERVER, ["--packages=external"]],
      ["bench/idle_objects.ts", NODE_OBJECTS, ["--packages=external"]],
    ] as const
  ) {
    const result = await new Deno.Command(`${BIN}/esbuild`, {
      args: [entry, ...common, ...extra, `--outfile=${out}`, "--log-level=warning"],
      cwd: ROOT,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!result.success) throw new Error(`esbuild ${entry} failed`);
  }
}

/**
 * Where `--baseline=<rev>` puts that revision's files, and a copy of the
 * checkout's beside it: bench/server.ts loads both `mod.ts` the same way
 * (the source on Deno and Bun, `bundle.mjs` on Node), away from its own
 * imports of src/, so that neither copy has an advantage.
 */
export const BASELINE = { baseline: `${BUILD}/baseline`, checkout: `${BUILD}/checkout` };

/**
 * Puts edge-sse's `mod.ts` and `src/` as they are at the git revision `rev`
 * (`"."`: the working tree; a directory holding `mod.ts` and `src/`: that
 * copy, a variant to measure) into `dir`, and bundles them for Node into
 * `dir/bundle.mjs`; returns the revision's short hash (`rev` itself for a
 * tree).
 */
export async function bundleRevision(rev: string, dir: string): Promise<string> {
  // A tree's path is the caller's (relative to where it runs); git runs in ROOT.
  const tree = rev === "." ? ROOT : isTree(rev) ? resolve(rev) : null;
  const fill = tree !== null
    ? 'cp -r "$1/mod.ts" "$1/src" "$2" && echo "$3"'
    : 'git archive "$1" mod.ts src | tar -x -C "$2" && git rev-parse --short "$1"';
  const out = await new Deno.Command("sh", {
    args: ["-c", `rm -rf "$2" && mkdir -p "$2" && ${fill}`, "sh", tree ?? rev, dir, rev],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error(`Cannot bundle edge-sse: no git revision or source tree ${rev}`);
  }
  const result = await new Deno.Command(`${BIN}/esbuild`, {
    args: [
      `${dir}/mod.ts`,
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      `--outfile=${dir}/bundle.mjs`,
      "--log-level=warning",
    ],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) throw new Error(`Cannot bundle edge-sse: esbuild failed on ${rev}`);
  return new TextDecoder().decode(out.stdout).trim();
}

/** Whether `path` is a directory holding edge-sse's `mod.ts`. */
function isTree(path: string): boolean {
  try {
    return Deno.statSync(`${path}/mod.ts`).isFile;
  } catch {
    return false;
  }
}

/**
 * The revision `rev` and the working tree, into {@linkcode BASELINE};
 * returns the revision's short hash.
 */
export async function buildBaseline(rev: string): Promise<string> {
  await bundleRevision(".", BASELINE.checkout);
  return await bundleRevision(rev, BASELINE.baseline);
}

/** Reads a child's stdout line by line. */
class Lines {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #what: string;

  constructor(stdout: ReadableStream<Uint8Array>, what: string) {
    this.#reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
    this.#what = what;
  }

  /** The next line, parsed as JSON; throws after `ms` or when the output ends. */
  async next<T>(ms: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.#what}: no output in ${ms} ms`)), ms);
    });
    try {
      while (!this.#buffer.includes("\n")) {
        const { value, done } = await Promise.race([this.#reader.read(), timeout]);
        if (done) throw new Error(`${this.#what} exited without output`);
        this.#buffer += value;
      }
    } finally {
      clearTimeout(timer);
    }
    const end = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, end);
    this.#buffer = this.#buffer.slice(end + 1);
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new Error(`${this.#what}: unexpected output ${JSON.stringify(line)}`);
    }
  }

  cancel(): void {
    this.#reader.cancel().catch(() => {});
  }
}

/** A running bench server. */
export interface Server {
  runtime: Runtime;
  port: number;
  pid: number;
  /** GETs a JSON document from the server. */
  get<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

function serverArgv(runtime: Runtime, entry: string): string[] {
  if (runtime === "deno") {
    return [`${BIN}/deno`, "run", "-A", "--v8-flags=--expose-gc", entry];
  }
  if (runtime === "bun") return [`${BIN}/bun`, entry];
  return ["node", "--expose-gc", entry === "bench/server.ts" ? NODE_SERVER : nodeBuild(entry)];
}

/** Where {@linkcode buildForNode} puts `entry`'s Node bundle. */
export function nodeBuild(entry: string): string {
  return `${BUILD}/${entry.replace(/\//g, "_").replace(/\.ts$/, "")}-node.mjs`;
}

/** Bundles `entry` (a server script, packages external) for Node with esbuild. */
export async function buildForNode(entry: string): Promise<void> {
  const result = await new Deno.Command(`${BIN}/esbuild`, {
    args: [
      entry,
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      "--packages=external",
      `--outfile=${nodeBuild(entry)}`,
      "--log-level=warning",
    ],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) throw new Error(`esbuild ${entry} failed`);
}

/**
 * The command running a script on Deno or Bun (no Node build needed), with
 * a forced GC available (`gc()` on Deno, `Bun.gc()` on Bun).
 */
export function scriptArgv(runtime: "deno" | "bun", entry: string, ...args: string[]): string[] {
  return runtime === "deno"
    ? [`${BIN}/deno`, "run", "-A", "--v8-flags=--expose-gc", entry, ...args]
    : [`${BIN}/bun`, entry, ...args];
}

/** The command running bench/idle_objects.ts on `runtime` (built for Node by {@linkcode build}). */
export function objectsArgv(runtime: Runtime): string[] {
  return runtime === "node"
    ? ["node", "--expose-gc", NODE_OBJECTS]
    : scriptArgv(runtime, "bench/idle_objects.ts");
}

/** Runs `argv` to its end; returns its stdout's last line, parsed as JSON. */
export async function runJson<T>(argv: string[], ms: number): Promise<T> {
  const child = command(argv);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${argv.join(" ")} took over ${ms} ms`));
    }, ms);
  });
  try {
    const result = await Promise.race([child.output(), timeout]);
    if (!result.success) throw new Error(`${argv.join(" ")} failed (exit ${result.code})`);
    const lines = new TextDecoder().decode(result.stdout).trim().split("\n");
    return JSON.parse(lines[lines.length - 1]) as T;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the bench server (or another server script, built for Node with
 * {@linkcode buildForNode} first) on `runtime`; resolves once it listens.
 */
export async function startServer(
  runtime: Runtime,
  entry = "bench/server.ts",
  cpu?: number,
): Promise<Server> {
  const child = command(pinned(cpu, serverArgv(runtime, entry)));
  const lines = new Lines(child.stdout, `${runtime} server`);
  let ready: { port: number; pid: number };
  try {
    ready = await lines.next<{ port: number; pid: number }>(30_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const { port, pid } = ready;
  return {
    runtime,
    port,
    pid,
    async get<T>(path: string): Promise<T> {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      if (!response.ok) throw new Error(`${path}: ${response.status}`);
      return await response.json() as T;
    },
    async stop() {
      lines.cancel();
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const exited = await Promise.race([child.status, delay(3000).then(() => null)]);
      if (exited === null) {
        child.kill("SIGKILL");
        await child.status;
      }
    },
  };
}

/** Runs the Node client on one job and returns its output lines, parsed. */
export async function runClient<T>(job: unknown, ms: number, cpu?: number): Promise<T[]> {
  const child = command(pinned(cpu, ["node", CLIENT, JSON.stringify(job)]));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const output = child.output();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`client ${JSON.stringify(job)} took over ${ms} ms`));
    }, ms);
  });
  try {
    const result = await Promise.race([output, timeout]);
    if (!result.success) throw new Error(`client failed (exit ${result.code})`);
    const text = new TextDecoder().decode(result.stdout).trim();
    return text === "" ? [] : text.split("\n").map((line) => JSON.parse(line) as T);
  } finally {
    clearTimeout(timer);
  }
}

/** A client that keeps running and takes commands on stdin (the idle benchmark). */
export interface LiveClient {
  next<T>(ms: number): Promise<T>;
  tell(line: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the Node client on a job that reads commands from stdin. */
export function startClient(job: unknown): LiveClient {
  const child = command(["node", CLIENT, JSON.stringify(job)], { stdin: true });
  const lines = new Lines(child.stdout, "client");
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  return {
    next: <T>(ms: number) => lines.next<T>(ms),
    tell: (line: string) => writer.write(encoder.encode(line + "\n")),
    async stop() {
      await writer.close().catch(() => {});
      const exited = await Promise.race([child.status, delay(5000).then(() => null)]);
      if (exited === null) {
        child.kill("SIGKILL");
        await child.status;
      }
      lines.cancel();
    },
  };
}

/** Resident memory of a process, in KiB. */
export async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = status.match(/^VmRSS:\s+(\d+) kB$/m);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

/** User + system CPU time of a process (all threads), in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** USER_HZ: the unit of /proc/<pid>/stat times (100 on Linux). */
const CLOCK_TICKS = 100;

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
