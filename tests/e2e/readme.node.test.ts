// Runs every TypeScript and JavaScript block of README.md that is not a
// fragment, on each runtime it names, as a user would paste it (the rules:
// tests/_readme.ts). Node only: it drives Deno, Bun and Node processes itself.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { localImports, readme, type ReadmeBlock, type Runtime } from "../_readme.ts";
import { bundleForNode, root } from "../_host.ts";

const dir = join(root, ".build", `readme-${process.pid}`);
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const LISTEN_MS = 60_000; // Deno type-checks the block first; the machine is shared
const RESPONSE_MS = 15_000;

mkdirSync(dir, { recursive: true });
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the block and an entry that imports the listen harness first; returns the entry. */
function write(block: ReadmeBlock, runtime: Runtime): string {
  const name = `line-${block.line}`;
  const js = block.language === "js" || block.language === "javascript";
  const file = `${name}.${js ? "mjs" : "ts"}`;
  writeFileSync(join(dir, file), localImports(block.code, dir));
  const entry = join(dir, `${name}-${runtime}.ts`);
  writeFileSync(
    entry,
    [
      'import { serveDefault } from "../../tests/_readme_listen.ts";',
      `const block: Record<string, unknown> = await import("./${file}");`,
      "await serveDefault(block.default);",
      "",
    ].join("\n"),
  );
  return entry;
}

/** The command that runs the block (Deno's blocks are type-checked together, first). */
async function prepare(block: ReadmeBlock, runtime: Runtime): Promise<string[]> {
  const entry = write(block, runtime);
  if (runtime === "deno") return [bin("deno"), "run", "--allow-all", "--no-check", entry];
  if (runtime === "bun") return [bin("bun"), entry];
  const out = entry.replace(/\.ts$/, ".mjs");
  await bundleForNode(entry, out);
  return [process.execPath, out];
}

/** Runs the command until it prints its port (a server) or exits. */
function start(command: string[]): Promise<
  { port: number; output: () => string; stop: () => void } | {
    exit: number | null;
    output: string;
  }
> {
  const child = spawn(command[0], command.slice(1), {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`neither listened nor exited in ${LISTEN_MS} ms:\n${output.slice(-3000)}`));
    }, LISTEN_MS);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const listening = /README-LISTENING (\d+)/.exec(output);
      if (listening) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        resolve({
          port: Number(listening[1]),
          output: () => output,
          stop: () => child.kill("SIGKILL"),
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => output += chunk);
    child.on("exit", (exit) => {
      clearTimeout(timer);
      resolve({ exit, output });
    });
  });
}

/** GETs `path` and checks it answers an event stream that sends its first bytes. */
/**
 * GET `url`, once more if the first connection was reset before any
 * response: seen once in CI, on a server that had just printed its port and
 * printed nothing else, whose next connection worked. A server that resets
 * every connection still fails.
 */
async function get(url: string): Promise<Response> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(RESPONSE_MS) });
  } catch (error) {
    if ((error as { cause?: { code?: unknown } }).cause?.code !== "ECONNRESET") throw error;
    return await fetch(url, { signal: AbortSignal.timeout(RESPONSE_MS) });
  }
}

async function expectStream(port: number, path: string): Promise<void> {
  const response = await get(`http://127.0.0.1:${port}${path}`);
  const body = response.body!.getReader();
  try {
    assert.equal(response.status, 200, `GET ${path}: status`);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/, path);
    const first = await body.read();
    assert.ok(
      !first.done && first.value.length > 0,
      `GET ${path}: the stream sent its first bytes`,
    );
  } finally {
    await body.cancel().catch(() => {});
  }
}

/**
 * deno.json for the blocks' folder: the root's, without its `exclude` (which
 * names .build/, and `deno check` skips excluded files without a word), its
 * relative imports pointing back at the root.
 */
function checkConfig(): string {
  const config = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
  for (const key of ["exclude", "tasks", "test", "lint", "fmt", "publish", "exports", "name"]) {
    delete config[key];
  }
  for (const [name, target] of Object.entries<string>(config.imports ?? {})) {
    if (target.startsWith("./")) config.imports[name] = relative(dir, join(root, target));
  }
  const file = join(dir, "deno.json");
  writeFileSync(file, JSON.stringify(config));
  // nodeModulesDir "manual" reads the node_modules beside the config.
  if (!existsSync(join(dir, "node_modules"))) {
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  }
  return file;
}

const blocks = readme();

describe("README.md's code blocks run as written", () => {
  test("every TS/JS block runs somewhere or says it is a fragment", () => {
    assert.deepEqual(
      blocks.filter((b) => b.problems.length > 0).map((b) => `line ${b.line}: ${b.problems}`),
      [],
    );
  });

  test("the blocks that run on Deno type-check (deno check, one run for all)", () => {
    const entries = blocks.filter((b) => !b.fragment && b.runtimes.includes("deno"))
      .map((block) => write(block, "deno"));
    const check = spawnSync(bin("deno"), ["check", "--config", checkConfig(), ...entries], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      timeout: 300_000,
    });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`.slice(-5000));
  });

  for (const block of blocks.filter((b) => !b.fragment)) {
    for (const runtime of block.runtimes) {
      test(`line ${block.line} (${block.section}) on ${runtime}`, async () => {
        const started = await start(await prepare(block, runtime));
        if ("exit" in started) {
          assert.equal(started.exit, 0, `exited with ${started.exit}:\n${started.output}`);
          return;
        }
        try {
          for (const path of block.paths) await expectStream(started.port, path);
          await new Promise((resolve) => setTimeout(resolve, 500));
          // A handler that failed after the first bytes (edge-sse logs it) is a failure too.
          assert.doesNotMatch(started.output(), /edge-sse: |Uncaught|Unhandled/);
        } catch (error) {
          throw new Error(`${(error as Error).message}\noutput:\n${started.output()}`, {
            cause: error,
          });
        } finally {
          started.stop();
        }
      });
    }
  }
});
