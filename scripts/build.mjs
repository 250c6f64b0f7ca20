#!/usr/bin/env node
// Builds the npm package into dist/: ESM by esbuild (one file per export of
// deno.json, shared code in chunks/), declarations by tsc. `npm run build`;
// `npm pack` runs it first (prepack).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const dist = join(root, "dist");
const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const entries = Object.values(deno.exports).map((file) => join(root, file));

rmSync(dist, { recursive: true, force: true });

await build({
  entryPoints: entries,
  outdir: dist,
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  // dist/*.js.map, with the TypeScript sources inside (sourcesContent).
  sourcemap: true,
  target: "es2022",
  // Peer dependencies stay imports.
  external: Object.keys(readPackage().peerDependencies ?? {}),
  logLevel: "warning",
});

const tsc = spawnSync(process.execPath, [
  join(root, "node_modules", "typescript", "bin", "tsc"),
  ...["--declaration", "--emitDeclarationOnly", "--allowImportingTsExtensions"],
  ...["--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler"],
  ...["--lib", "es2022,dom,dom.iterable", "--strict", "--skipLibCheck"],
  ...["--verbatimModuleSyntax", "--rootDir", ".", "--outDir", "dist"],
  ...entries,
], { cwd: root, stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// tsc keeps the sources' `./x.ts` specifiers in .d.ts files (TypeScript
// rewrites them only in emitted JavaScript); the package ships `./x.js` +
// `./x.d.ts`, so point them there.
const relativeTs = /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g;
for (const file of walk(dist).filter((f) => f.endsWith(".d.ts"))) {
  const text = readFileSync(file, "utf8");
  // Doc examples name the JSR package; npm users import "edge-sse".
  const fixed = text.replace(relativeTs, "$1$2.js$3").replaceAll('"@edge-sse/core', '"edge-sse');
  if (fixed !== text) writeFileSync(file, fixed);
}

const files = walk(dist);
const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
console.log(`dist/: ${files.length} files, ${(bytes / 1024).toFixed(1)} KiB`);

function readPackage() {
  return JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}
