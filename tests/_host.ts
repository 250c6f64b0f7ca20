// The machine the tests run on: the checkout's root and free TCP ports.
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The checkout's root directory, found upwards from this file (tests run from
 * tests/ under Deno and Bun, bundled into .build/ under Node).
 */
export const root: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "deno.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/**
 * A TCP port free on 127.0.0.1 now, for a program that cannot listen on
 * port 0 and report its port (nginx, redis-server).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Bundles the TypeScript file `entry` into one ES module at `outfile` that
 * Node runs as a child process (npm packages stay external, resolved from
 * the checkout's node_modules).
 */
export async function bundleForNode(entry: string, outfile: string): Promise<void> {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile,
    logLevel: "warning",
  });
}
