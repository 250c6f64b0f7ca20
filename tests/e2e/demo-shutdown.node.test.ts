// The demo's entry points as `npm start` runs them, on each runtime: HOST and
// PORT choose the address, and SIGTERM drains every stream (a "restarting"
// event, then the end of the body) before the process exits with status 0.
// Node only: it starts Deno, Bun and Node processes itself.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { root } from "../_host.ts";

const bin = (name: string) => join(root, "node_modules", ".bin", name);
const bundle = join(root, ".build", `demo-node-${process.pid}.mjs`);
after(() => rmSync(bundle, { force: true }));

function command(runtime: string): string[] {
  if (runtime === "deno") {
    return [bin("deno"), "run", "--allow-net", "--allow-read", "--allow-env", "examples/deno.ts"];
  }
  if (runtime === "bun") return [bin("bun"), "examples/bun.ts"];
  const out = bundle;
  mkdirSync(join(root, ".build"), { recursive: true });
  const build = spawnSync(bin("esbuild"), [
    "examples/node.ts",
    "--bundle",
    "--platform=node",
    "--format=esm",
    "--packages=external",
    "--log-level=warning",
    `--outfile=${out}`,
  ], { cwd: root, encoding: "utf8" });
  assert.equal(build.status, 0, build.stderr);
  return [process.execPath, out];
}

/** Starts the demo; resolves with its URL once it prints it. */
function start(
  runtime: string,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const [program, ...args] = command(runtime);
  const child = spawn(program, args, {
    cwd: root,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr!.on("data", (chunk) => output += chunk);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the demo did not start in 60 s:\n${output}`));
    }, 60_000);
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      const url = /(http:\/\/\S+:\d+)\//.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output: () => output });
      }
    });
    child.on("exit", (code) => reject(new Error(`the demo exited (${code}):\n${output}`)));
  });
}

describe("the demo server, as npm start runs it", () => {
  for (const runtime of ["deno", "bun", "node"]) {
    test(`${runtime}: HOST and PORT are honoured; SIGTERM says goodbye to every stream, then exits`, async () => {
      const { child, url, output } = await start(runtime);
      try {
        assert.match(url, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
        const response = await fetch(`${url}/clock`, { signal: AbortSignal.timeout(30_000) });
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while (!text.includes("event: time")) text += (await reader.read()).value ?? "";
        const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
        child.kill("SIGTERM");
        for (let step = await reader.read(); !step.done; step = await reader.read()) {
          text += step.value;
        }
        assert.match(text, /event: restarting\nretry: 2000\ndata: the server is restarting\n\n$/);
        assert.equal(await exited, 0, output());
        assert.match(output(), /SIGTERM: closing 1 streams[\s\S]*every stream ended/);
      } finally {
        child.kill("SIGKILL");
      }
    });
  }
});
