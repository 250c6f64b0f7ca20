#!/usr/bin/env node
// Runs the one test suite under Deno, Bun and Node (TypeScript compiled for
// Node with esbuild), one runtime after the other, and fails if any fails.
//
//   npm test                         every runtime, every tests/{unit,e2e}/*.test.ts
//   npm test -- unit                 the unit tests alone (no system program needed)
//   npm test -- --runtime=bun        one runtime
//   npm test -- format writer        only test files whose path contains a word
//   npm test -- --grep "slow-consumer"  only tests whose name matches (a regular expression;
//                                    on Deno, the describe() blocks holding them run whole)
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureSystemDeps } from "./system-deps.mjs";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith("--"));
const runtimeArg = args.find((a) => a.startsWith("--runtime="))?.slice(10);
const runtimes = runtimeArg ? runtimeArg.split(",") : ["deno", "bun", "node"];
const grepIndex = args.findIndex((a) => a === "--grep" || a.startsWith("--grep="));
const grep = grepIndex < 0
  ? undefined
  : args[grepIndex].startsWith("--grep=")
  ? args[grepIndex].slice(7)
  : args[grepIndex + 1];
if (grepIndex >= 0 && args[grepIndex] === "--grep") only.splice(only.indexOf(grep), 1);

const files = ["unit", "e2e"]
  .flatMap((dir) =>
    readdirSync(join(root, "tests", dir))
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => `${dir}/${f}`)
  )
  .filter((f) => only.length === 0 || only.some((word) => f.includes(word)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched", only);
  process.exit(1);
}
// *.node.test.ts: Node-only tests (they spawn Node server processes); Deno and Bun skip them.
const portableFiles = files.filter((f) => !f.endsWith(".node.test.ts"));
const skipped = () => ({ ok: true, seconds: "0.0", status: 0 });

function run(command, commandArgs, extraEnv = {}) {
  console.log(`\n$ ${[command, ...commandArgs].join(" ")}`);
  const started = Date.now();
  const result = spawnSync(command, commandArgs, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...extraEnv },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return { ok: result.status === 0, seconds, status: result.status ?? result.signal };
}

/**
 * The tests whose name matches `pattern`, in `testFiles`: how many, and the
 * outermost `describe()` of each (found in the sources, by indentation).
 */
function matching(pattern, testFiles) {
  const wanted = new RegExp(pattern);
  const suites = new Set();
  let count = 0;
  const call = /^( *)(describe|test|it)\(\s*(["'`])((?:\\.|(?!\3).)*)\3/gm;
  for (const file of testFiles) {
    const open = []; // enclosing describe() blocks: { indent, name }
    const source = readFileSync(join(root, "tests", file), "utf8");
    for (const [, spaces, kind, , name] of source.matchAll(call)) {
      while (open.length > 0 && open.at(-1).indent >= spaces.length) open.pop();
      if (kind === "describe") {
        open.push({ indent: spaces.length, name });
      } else if (wanted.test(name)) {
        count++;
        if (open.length > 0) suites.add(open[0].name);
      }
    }
  }
  return { count, suites };
}

/**
 * Deno's `--filter` for `--grep`. Deno filters top-level tests only, and a
 * `describe()` is one, its tests its steps: a name matching a test inside a
 * `describe()` alone filtered everything out. So the filter also names each
 * `describe()` holding a test whose name matches: that block runs whole.
 */
function denoFilter(pattern, testFiles) {
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const names = [...matching(pattern, testFiles).suites].map(escape);
  return `/(?:${pattern.replaceAll("/", "\\/")})${
    names.length > 0 ? `|^(?:${names.join("|")})$` : ""
  }/`;
}

if (grep !== undefined && matching(grep, files).count === 0) {
  console.error(`no test name in ${files.length} file(s) matches --grep ${JSON.stringify(grep)}`);
  process.exit(1);
}

const steps = {
  deno: () =>
    portableFiles.length === 0 ? skipped() : run(bin("deno"), [
      "test",
      "--allow-all",
      ...(grep === undefined ? [] : ["--filter", denoFilter(grep, portableFiles)]),
      ...portableFiles.map((f) => `tests/${f}`),
    ]),
  bun: () =>
    portableFiles.length === 0 ? skipped() : run(bin("bun"), [
      "test",
      "--timeout",
      "60000",
      ...(grep === undefined ? [] : ["--test-name-pattern", grep]),
      ...portableFiles.map((f) => `./tests/${f}`),
    ]),
  node: () => {
    const out = join(root, ".build", `node-tests-${process.pid}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const build = run(bin("esbuild"), [
      ...files.map((f) => `tests/${f}`),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      "--packages=external",
      `--outdir=${out}`,
      "--outbase=tests",
      "--out-extension:.js=.mjs",
      "--log-level=warning",
    ]);
    if (!build.ok) return build;
    const tests = run(process.execPath, [
      "--test",
      "--test-concurrency=1",
      "--test-reporter=spec",
      ...(grep === undefined ? [] : [`--test-name-pattern=${grep}`]),
      ...files.map((f) => join(out, f.replace(/\.ts$/, ".mjs"))),
    ]);
    rmSync(out, { recursive: true, force: true });
    return tests;
  },
};

try {
  // Only end-to-end tests drive system programs (chromium, nginx, redis-server, curl, openssl).
  if (files.some((f) => f.startsWith("e2e/"))) ensureSystemDeps();
} catch (error) {
  console.error(`npm test: ${error.message}`);
  process.exit(1);
}

const results = [];
for (const runtime of runtimes) {
  if (!steps[runtime]) {
    console.error(`unknown runtime ${runtime}`);
    process.exit(2);
  }
  results.push({ runtime, ...steps[runtime]() });
}
console.log("\nedge-sse test summary");
for (const r of results) {
  console.log(`  ${r.runtime.padEnd(5)} ${r.ok ? "pass" : `FAIL (${r.status})`}  ${r.seconds}s`);
}
const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
