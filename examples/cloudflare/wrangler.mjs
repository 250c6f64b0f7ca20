#!/usr/bin/env node
// Runs wrangler on this example with `edge-sse` resolved to this repository's
// source instead of the npm package: for trying the example from a checkout
// (before a release, or with local changes). After `npm install` at the
// repository's root:
//
//   node examples/cloudflare/wrangler.mjs dev        # http://localhost:8787/events
//   node examples/cloudflare/wrangler.mjs deploy
//
// It writes .wrangler.repo.toml (wrangler.toml plus an [alias] per entry point
// of deno.json), runs the root's wrangler with it, and removes it at the end.
// A copy of this folder outside the repository uses the npm package instead:
// `npm install && npx wrangler dev`.
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const exports = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).exports;
const aliases = Object.entries(exports).map(([subpath, file]) =>
  `${JSON.stringify(`edge-sse${subpath.slice(1)}`)} = ${JSON.stringify(join(root, file))}`
);
const config = join(here, ".wrangler.repo.toml");
writeFileSync(
  config,
  `${readFileSync(join(here, "wrangler.toml"), "utf8")}\n[alias]\n${aliases.join("\n")}\n`,
);

const wrangler = spawn(
  join(root, "node_modules", ".bin", "wrangler"),
  [...process.argv.slice(2), "--config", config],
  { cwd: here, stdio: "inherit" },
);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => wrangler.kill(signal));
}
wrangler.on("exit", (code, signal) => {
  rmSync(config, { force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
