// The JSR (deno.json) and npm (package.json) packages export the same entry
// points, and the core entry point never loads Hono.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { root } from "../_host.ts";

const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Relative imports of a module and of everything it imports, as files. */
function importGraph(file: string, seen = new Set<string>()): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const source = readFileSync(path, "utf8");
    const specifiers = [
      ...source.matchAll(/^\s*(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']/gm),
    ]
      .map((match) => match[1]);
    graph.set(path, specifiers);
    for (const specifier of specifiers) {
      if (specifier.startsWith(".")) visit(join(dirname(path), specifier));
    }
  };
  visit(file);
  return graph;
}

describe("package entry points", () => {
  test("package.json exports the same subpaths as deno.json, from dist/", () => {
    assert.deepEqual(Object.keys(pkg.exports).sort(), Object.keys(deno.exports).sort());
    for (const [subpath, file] of Object.entries<string>(deno.exports)) {
      const name = file.replace(/^\.\//, "").replace(/\.ts$/, "");
      assert.deepEqual(pkg.exports[subpath], {
        types: `./dist/${name}.d.ts`,
        default: `./dist/${name}.js`,
      }, `package.json exports["${subpath}"] for ${file}`);
      assert.ok(existsSync(join(root, file)), `${file} exists`);
    }
    assert.equal(pkg.main, pkg.exports["."].default);
    assert.equal(pkg.types, pkg.exports["."].types);
  });

  test("JSR publishes every exported file, npm ships dist/ alone", () => {
    for (const file of Object.values<string>(deno.exports)) {
      const path = file.replace(/^\.\//, "");
      assert.ok(
        deno.publish.include.some((entry: string) => entry === path),
        `deno.json publish.include lists ${path}`,
      );
    }
    for (const kept of ["tests/", "examples/", "bench/", "scripts/"]) {
      assert.ok(!deno.publish.include.includes(kept), `${kept} stays out of the JSR package`);
    }
    assert.deepEqual(pkg.files, ["dist/"]);
  });

  test("Hono is a peer dependency on npm and an npm: import on JSR, same range", () => {
    assert.equal(deno.imports.hono, `npm:hono@${pkg.peerDependencies.hono}`);
    assert.equal(pkg.peerDependenciesMeta.hono.optional, true);
    assert.equal(pkg.dependencies?.hono, undefined);
  });

  test("the core entry point never imports Hono; ./hono does", () => {
    const bare = (graph: Map<string, string[]>) =>
      [...graph.values()].flat().filter((specifier) => !specifier.startsWith("."));
    const core = importGraph(join(root, deno.exports["."]));
    assert.ok(core.size > 3, `followed ${core.size} modules`);
    assert.deepEqual(bare(core), []);
    assert.ok(bare(importGraph(join(root, deno.exports["./hono"]))).includes("hono"));
  });
});
