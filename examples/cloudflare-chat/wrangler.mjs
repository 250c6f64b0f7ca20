// Runs wrangler on this example from the edge-sse repository, with `edge-sse`
// resolved to the checkout (a project that installs edge-sse from npm runs
// `npx wrangler ...` in its own directory and needs none of this):
//
//   node examples/cloudflare-chat/wrangler.mjs dev
//   node examples/cloudflare-chat/wrangler.mjs deploy [--dry-run --outdir dist]
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

/**
 * Writes .build/cloudflare-chat/wrangler.toml: this example's wrangler.toml
 * with an absolute `main` and an `[alias]` for edge-sse. Returns its path.
 */
export function repoConfig() {
  const toml = readFileSync(join(here, "wrangler.toml"), "utf8")
    .replace(/^main = "(.+)"$/m, (_, main) => `main = ${JSON.stringify(join(here, main))}`);
  const dir = join(root, ".build", "cloudflare-chat");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "wrangler.toml");
  const alias = JSON.stringify(join(root, "mod.ts"));
  writeFileSync(path, `${toml}\n[alias]\n"edge-sse" = ${alias}\n`);
  return path;
}

/** Runs the wrangler of the repository's node_modules with `args` on the example. */
export function wrangler(args, options = {}) {
  const bin = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  return spawnSync(process.execPath, [bin, ...args, "--config", repoConfig()], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    ...options,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = wrangler(process.argv.slice(2), { stdio: "inherit" });
  process.exit(result.status ?? 1);
}
