// Starts and stops the processes of the Redis tests: redis-server on a
// loopback port (with a directory: AOF with appendfsync always, so a SIGKILL
// loses nothing acknowledged), and stops any child by pid.
import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "./_host.ts";
import { within } from "./_server.ts";

/** Starts redis-server on `port`; with `dir`, it persists there (AOF, fsync on every write). */
export async function startRedis(port: number, dir?: string): Promise<ChildProcess> {
  const persistence = dir === undefined
    ? ["--save", "", "--appendonly", "no"]
    : ["--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir];
  const child = spawn("redis-server", [
    ...["--port", String(port), "--bind", "127.0.0.1"],
    ...persistence,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  await within(
    new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk) => {
        output += chunk;
        if (output.includes("Ready to accept connections")) resolve();
      });
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    }),
    10_000,
    "redis-server to start (is it installed? apt-get install redis-server)",
  );
  return child;
}

/**
 * Starts redis-server (as {@linkcode startRedis}) on a port free now. Another
 * program may take that port before redis-server binds it, so a start that
 * fails is tried again on a new port, three times in all.
 */
export async function startRedisOnFreePort(
  dir?: string,
): Promise<{ port: number; redis: ChildProcess }> {
  for (let attempt = 1;; attempt++) {
    const port = await freePort();
    try {
      return { port, redis: await startRedis(port, dir) };
    } catch (error) {
      if (attempt === 3) throw error;
      console.error(`redis-server did not start on port ${port}, trying another: ${error}`);
    }
  }
}

/** Sends `signal` to `child` and waits (up to 3 s, then SIGKILL) until it exited. */
export async function stopProcess(
  child: ChildProcess | undefined,
  signal: "SIGTERM" | "SIGKILL",
): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  await within(exited, 3000, "exit").catch(() => {
    child.kill("SIGKILL");
    return exited;
  });
}
