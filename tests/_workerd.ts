// Runs workers on real workerd (the binary the `miniflare` npm package
// installs), the way `wrangler deploy` would ship them: one ES module bundled
// by esbuild, with the compatibility date and flags of a wrangler.toml.
// Node only: test files using it are named *.node.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { root } from "./_host.ts";

export interface WranglerConfig {
  main: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
  /** `[[durable_objects.bindings]]`, SQLite-backed when a migration lists them in `new_sqlite_classes`. */
  durableObjects: Record<string, DurableObjectBinding>;
}

export interface DurableObjectBinding {
  className: string;
  useSQLite: boolean;
}

/** Reads the few wrangler.toml keys the examples use. */
export function readWrangler(path: string): WranglerConfig {
  const text = readFileSync(path, "utf8");
  const value = (key: string) => text.match(new RegExp(`^${key}\\s*=\\s*(.+)$`, "m"))?.[1];
  const vars: Record<string, string> = {};
  const varsSection = text.split(/^\[vars\]\s*$/m)[1]?.split(/^\[/m)[0] ?? "";
  for (const [, key, val] of varsSection.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)) vars[key] = val;
  const sqlite = new Set<string>();
  for (const [, list] of text.matchAll(/^new_sqlite_classes\s*=\s*(\[.*\])$/gm)) {
    for (const name of JSON.parse(list)) sqlite.add(name);
  }
  const durableObjects: Record<string, DurableObjectBinding> = {};
  for (const section of text.split(/^\[\[durable_objects\.bindings\]\]\s*$/m).slice(1)) {
    const body = section.split(/^\[/m)[0];
    const name = /^name\s*=\s*"([^"]+)"/m.exec(body)?.[1];
    const className = /^class_name\s*=\s*"([^"]+)"/m.exec(body)?.[1];
    if (name && className) durableObjects[name] = { className, useSQLite: sqlite.has(className) };
  }
  return {
    main: JSON.parse(value("main") ?? '""'),
    compatibilityDate: JSON.parse(value("compatibility_date") ?? '""'),
    compatibilityFlags: JSON.parse(value("compatibility_flags") ?? "[]"),
    vars,
    durableObjects,
  };
}

/** Bundles a worker into one ES module; `edge-sse` imports resolve to this checkout. */
export async function bundleWorker(entry: string, minify = false): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    minify,
    write: false,
    logLevel: "warning",
    alias: {
      "edge-sse/hono": join(root, "hono.ts"),
      "edge-sse": join(root, "mod.ts"),
    },
    nodePaths: [join(root, "node_modules")],
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser", "import"],
  });
  return result.outputFiles[0].text;
}

export interface Workerd {
  url: string;
  port: number;
  dispose(): Promise<void>;
}

/** Starts workerd on 127.0.0.1 with one worker module. */
export async function startWorkerd(options: {
  script: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings?: Record<string, string>;
  durableObjects?: Record<string, DurableObjectBinding>;
  /** Where Durable Objects keep their storage (default: in memory, lost on dispose). */
  persist?: string;
}): Promise<Workerd> {
  const mf = new Miniflare({
    modules: true,
    script: options.script,
    compatibilityDate: options.compatibilityDate,
    compatibilityFlags: options.compatibilityFlags,
    bindings: options.bindings ?? {},
    durableObjects: options.durableObjects ?? {},
    durableObjectsPersist: options.persist ?? false,
    host: "127.0.0.1",
    port: 0,
  });
  const url = await mf.ready;
  return {
    url: url.origin,
    port: Number(url.port),
    dispose: () => mf.dispose(),
  };
}
