// The README's code blocks, as the tests see them. Every TypeScript or
// JavaScript block either runs (tests/e2e/readme.node.test.ts runs it on the
// runtimes it names) or says it is a fragment. The fence's info string:
//
//   ```ts                      runs on Deno, Bun and Node
//   ```ts deno                 runs on Deno only (also: bun, node; several allowed)
//   ```ts deno path=/feed      and GET /feed must answer an event stream (repeatable)
//   ```ts fragment             not run: part of a program (shown, never executed)
//
// A block that runs imports edge-sse as a user does ("@edge-sse/core",
// "edge-sse", their /client, /hono, ... entry points); the tests point those
// at this repository's entry files. A block that starts a server (any port)
// is moved to a free port, and every `path=` (default `/`) must answer 200
// with `text/event-stream` and send its first bytes; a module whose default
// export has a `fetch` method (a Hono app, a Worker) is served the same way.
// A block that starts no server must exit with status 0.

import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { root } from "./_host.ts";

export type Runtime = "deno" | "bun" | "node";

export const RUNTIMES: readonly Runtime[] = ["deno", "bun", "node"];
const LANGUAGES = new Set(["ts", "typescript", "js", "javascript"]);

/** One fenced TS/JS block of the README. */
export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above it (for test names). */
  section: string;
  language: string;
  /** Runtimes to run it on; empty for a fragment. */
  runtimes: Runtime[];
  fragment: boolean;
  /** Paths that must answer an event stream (`path=`); `["/"]` by default. */
  paths: string[];
  code: string;
  /** What is wrong with the info string, if anything. */
  problems: string[];
}

/** The TS/JS blocks of `markdown` (other languages are left out). */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split("\n");
  const blocks: ReadmeBlock[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (heading) section = heading[1].trim();
    const fence = /^(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]);
    if (!fence) continue;
    const [, marker, info] = fence;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith(marker); i++) body.push(lines[i]);
    const [language = "", ...words] = info.trim().split(/\s+/).filter(Boolean);
    if (!LANGUAGES.has(language)) continue;
    const block: ReadmeBlock = {
      line: start + 1,
      section,
      language,
      runtimes: [],
      fragment: false,
      paths: [],
      code: body.join("\n") + "\n",
      problems: [],
    };
    for (const word of words) {
      if (word === "fragment") block.fragment = true;
      else if ((RUNTIMES as string[]).includes(word)) block.runtimes.push(word as Runtime);
      else if (word.startsWith("path=/")) block.paths.push(word.slice(5));
      else {block.problems.push(
          `unknown word "${word}" (expected fragment, deno, bun, node or path=/...)`,
        );}
    }
    if (block.fragment && (block.runtimes.length > 0 || block.paths.length > 0)) {
      block.problems.push("a fragment does not run: no runtime or path with it");
    }
    if (!block.fragment && block.runtimes.length === 0) block.runtimes = [...RUNTIMES];
    if (block.paths.length === 0) block.paths = ["/"];
    blocks.push(block);
  }
  return blocks;
}

/** The README's blocks. */
export function readme(): ReadmeBlock[] {
  return readmeBlocks(readFileSync(join(root, "README.md"), "utf8"));
}

/**
 * `code` with the package names (`@edge-sse/core`, `edge-sse` and their
 * subpaths) pointing at the repository's entry files, relative to `fromDir`.
 */
export function localImports(code: string, fromDir: string): string {
  const exports: Record<string, string> = JSON.parse(
    readFileSync(join(root, "deno.json"), "utf8"),
  ).exports;
  return code.replace(
    /(["'])(?:@edge-sse\/core|edge-sse)(\/[\w-]+)?\1/g,
    (whole, quote: string, subpath: string | undefined) => {
      const file = exports[subpath ? `.${subpath}` : "."];
      if (file === undefined) return whole;
      const path = relative(fromDir, join(root, file));
      return `${quote}${path.startsWith(".") ? path : `./${path}`}${quote}`;
    },
  );
}
