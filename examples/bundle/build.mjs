// Bundles worker.ts (Hono + edge-sse) into dist/worker.js, minified, the way
// `wrangler deploy` would, and prints its size.
//
//   node examples/bundle/build.mjs
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

const options = {
  bundle: true,
  minify: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  mainFields: ["module", "main"],
  conditions: ["workerd", "worker", "browser", "import"],
  // Inside this repository edge-sse is the checkout itself; a real project
  // installs it from npm and needs no alias.
  alias: { "edge-sse/hono": join(root, "hono.ts"), "edge-sse": join(root, "mod.ts") },
  write: false,
  logLevel: "warning",
};

/** The same Hono app without the edge-sse route, for comparison. */
const honoAlone = `import { Hono } from "hono";
const app = new Hono();
app.get("/", (c) => c.text("hello"));
export default app;`;

/** Builds the bundle; returns its path and sizes in bytes, and Hono's alone. */
export async function buildBundle() {
  const result = await build({ ...options, entryPoints: [join(here, "worker.ts")] });
  const baseline = await build({
    ...options,
    stdin: { contents: honoAlone, resolveDir: here, loader: "ts" },
  });
  const code = result.outputFiles[0].contents;
  const path = join(here, "dist", "worker.js");
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, code);
  const hono = baseline.outputFiles[0].contents;
  return {
    path,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    honoBytes: hono.byteLength,
    honoGzipBytes: gzipSync(hono, { level: 9 }).byteLength,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = await buildBundle();
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(
    `${size.path}: ${kib(size.bytes)} minified, ${kib(size.gzipBytes)} gzipped (Hono + edge-sse)`,
  );
  console.log(
    `  Hono alone: ${kib(size.honoBytes)} minified, ${kib(size.honoGzipBytes)} gzipped; ` +
      `edge-sse adds ${kib(size.bytes - size.honoBytes)}, ` +
      `${kib(size.gzipBytes - size.honoGzipBytes)} gzipped`,
  );
}
