// The examples as a user of this repository runs them. Node only: it starts
// wrangler (and its workerd) itself.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, root } from "../_host.ts";

describe("examples/cloudflare from a checkout", () => {
  test("node examples/cloudflare/wrangler.mjs dev serves the Worker with edge-sse from the repository", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [
      "examples/cloudflare/wrangler.mjs",
      ...["dev", "--ip", "127.0.0.1", "--port", String(port)],
      "--show-interactive-dev-session=false",
    ], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => output += chunk);
    child.stderr.on("data", (chunk) => output += chunk);
    const exited = new Promise((resolve) => child.on("exit", resolve));
    try {
      const started = Date.now();
      while (!output.includes("Ready on")) {
        assert.ok(Date.now() - started < 90_000, `wrangler dev did not start:\n${output}`);
        assert.equal(child.exitCode, null, `wrangler dev exited:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const response = await fetch(`http://127.0.0.1:${port}/events`, {
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("event: tick\nid: 1\n")) text += (await reader.read()).value ?? "";
      await reader.cancel();
      assert.match(text, /^retry: 2000\n\n/);
    } finally {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      child.kill("SIGKILL");
    }
    assert.equal(
      existsSync(join(root, "examples", "cloudflare", ".wrangler.repo.toml")),
      false,
      "the generated config is removed",
    );
  });
});
