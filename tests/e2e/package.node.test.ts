// The packages as users get them: the npm tarball installed into a fresh
// project and imported from Node, Bun and Deno (npm: specifiers) and typed by
// tsc; the JSR package through `deno publish --dry-run`, `deno doc --lint`
// and `deno test --doc`. Node only: it drives the other runtimes itself.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../_host.ts";

const bin = (name: string) => join(root, "node_modules", ".bin", name);
const entries = Object.values<string>(
  JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).exports,
);
const stripColors = (text: string) => text.replace(new RegExp("\x1b\\[[0-9;]*m", "g"), "");

function run(command: string, args: string[], cwd: string, timeout = 120_000) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    timeout,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  return {
    status: result.status,
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? "",
    output: `${result.stdout ?? ""}${result.stderr ?? ""}`,
  };
}

function ok(result: ReturnType<typeof run>, what: string): string {
  assert.equal(result.status, 0, `${what} failed:\n${result.output.slice(-3000)}`);
  return result.stdout;
}

// Imports every entry point and uses each once; prints what it saw.
const smoke = (prefix: string, hono: string) => `
import { formatEvent, sse, StreamClosed } from "${prefix}edge-sse";
import { EventStreamParser } from "${prefix}edge-sse/client";
import { sseHandler } from "${prefix}edge-sse/hono";
import { Hono } from "${hono}";

const app = new Hono();
app.get("/:name", sseHandler(async (stream, c) => {
  await stream.send({ event: "hello", id: 1, data: c.req.param("name") });
}));
const hono = await (await app.fetch(new Request("http://localhost/ada"))).text();
const parsed = [];
const response = sse(new Request("http://localhost/"), async function* () {
  yield "one";
  yield { data: { n: 2 } };
}());
await response.body.pipeThrough(new EventStreamParser()).pipeTo(
  new WritableStream({ write(event) { parsed.push(event.data); } }),
);
const closed = new StreamClosed("client");
console.log(JSON.stringify({ hono, parsed, format: formatEvent("x"), closed: closed.reason }));
`;

const expected = {
  hono: ":\n\nevent: hello\nid: 1\ndata: ada\n\n",
  parsed: ["one", '{"n":2}'],
  format: "data: x\n\n",
  closed: "client",
};

// Typed use of the routes: compiles only if the .d.ts files resolve, and the
// lines marked as expected errors fail only if the types are real (not any).
const consumer = `
import { type CloseReason, sse, type SSEOptions } from "edge-sse";
import { sseHandler, streamEvents } from "edge-sse/hono";
import { Hono } from "hono";

type AppEnv = { Bindings: { TOKEN: string } };
const app = new Hono<AppEnv>();
const options: SSEOptions = { heartbeat: 15_000, close: { maxDuration: 60_000 } };
app.get("/rooms/:room", sseHandler<AppEnv, "/rooms/:room">(async (stream, c) => {
  const room: string = c.req.param("room");
  const token: string = c.env.TOKEN;
  // @ts-expect-error: a param is a string
  const wrong: number = c.req.param("room");
  const reason: CloseReason = await stream.closed;
  await stream.send({ data: { room, token, reason, wrong } });
}, options));
app.get("/inline/:id", (c) => streamEvents(c, (stream) => stream.send(c.req.param("id"))));
// @ts-expect-error: heartbeat takes milliseconds, false or settings
sse(new Request("http://localhost/"), () => {}, { heartbeat: "15s" });
export const response: Response = sse(new Request("http://localhost/"), (s) => s.send("x"));
export default app;
`;

// Uses every entry point's public types, compiled without the DOM lib: what a
// Node or Bun project sees (issue 14: HeadersInit and BodyInit are DOM-only).
const noDom = `
import { Channel, Shutdown, sse, type SSEOptions } from "edge-sse";
import { connect, type ConnectInit, events } from "edge-sse/client";
import { sseHandler } from "edge-sse/hono";

const options: SSEOptions = { headers: { "x-a": "b" }, close: { final: { shutdown: { event: "bye" } } } };
const shutdown = new Shutdown();
export const response: Response = sse(new Request("http://localhost/"), (s) => s.send("x"), {
  ...options,
  shutdown: shutdown.signal,
});
const init: ConnectInit = { headers: [["x-a", "b"]], body: "{}", reconnect: false };
export const stream = connect("http://localhost/", init);
export const read = events;
export const route = sseHandler(async (s) => void await s.send("x"));
export const channel = new Channel<{ n: number }>();
`;

function readPackage(): { devDependencies: Record<string, string> } {
  return JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
}

describe("the npm tarball, installed into a new project", () => {
  let dir: string;
  let project: string;
  let files: string[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "edge-sse-pack-"));
    project = join(dir, "project");
    ok(run(process.execPath, [join(root, "scripts", "build.mjs")], root), "npm run build");
    const packed = JSON.parse(
      ok(
        run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], root),
        "npm pack",
      ),
    );
    files = packed[0].files.map((file: { path: string }) => file.path);
    const tarball = join(dir, packed[0].filename);
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "edge-sse-smoke",
        private: true,
        type: "module",
        dependencies: {
          "edge-sse": `file:${tarball}`,
          hono: "^4",
          // Bun's types, as a Bun project has them (they bring @types/node).
          "bun-types": readPackage().devDependencies["bun-types"],
        },
      }),
    );
    ok(
      run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], project),
      "npm install of the tarball",
    );
    writeFileSync(join(project, "smoke.mjs"), smoke("", "hono"));
    writeFileSync(join(project, "smoke-deno.mjs"), smoke("npm:", "npm:hono@^4"));
    writeFileSync(join(project, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("npm pack ships the built entry points and their types, nothing else", () => {
    for (const name of ["mod", "client", "hono"]) {
      assert.ok(files.includes(`dist/${name}.js`), `dist/${name}.js in ${files}`);
      assert.ok(files.includes(`dist/${name}.d.ts`), `dist/${name}.d.ts`);
    }
    const unexpected = files.filter((path) =>
      !/^dist\/.+\.(js|js\.map|d\.ts)$/.test(path) &&
      !["package.json", "README.md", "LICENSE"].includes(path)
    );
    assert.deepEqual(unexpected, []);
  });

  test("every .js file ships with its sourcemap, which holds the TypeScript sources", () => {
    const scripts = files.filter((path) => path.endsWith(".js"));
    assert.ok(scripts.length >= 3);
    for (const script of scripts) {
      assert.ok(files.includes(`${script}.map`), `${script}.map`);
      const text = readFileSync(join(project, "node_modules", "edge-sse", script), "utf8");
      assert.match(text, /\/\/# sourceMappingURL=[\w.-]+\.js\.map\n?$/, script);
    }
    const sources: string[] = [];
    for (const script of scripts) {
      const map = JSON.parse(
        readFileSync(join(project, "node_modules", "edge-sse", `${script}.map`), "utf8"),
      );
      assert.equal(map.sources.length, map.sourcesContent.length, script);
      sources.push(...map.sources);
    }
    assert.ok(sources.every((source) => source.endsWith(".ts")), String(sources));
    for (const file of ["src/format.ts", "src/writer.ts", "src/client/connect.ts"]) {
      assert.ok(sources.some((source) => source.endsWith(file)), file);
    }
  });

  test("the types need no DOM lib: skipLibCheck false under @types/node, bun-types and deno check", () => {
    writeFileSync(join(project, "no-dom.ts"), noDom);
    const tsc = (types: string) =>
      run(process.execPath, [
        join(root, "node_modules", "typescript", "bin", "tsc"),
        ...["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"],
        ...["--target", "es2022", "--lib", "es2022", "--types", types],
        ...["--skipLibCheck", "false", "no-dom.ts"],
      ], project);
    ok(tsc("node"), "tsc with @types/node only");
    ok(tsc("bun-types"), "tsc with bun-types only");
    const forDeno = noDom.replace(/from "(edge-sse[^"]*)"/g, 'from "npm:$1"')
      .replace('from "hono"', 'from "npm:hono@^4"');
    writeFileSync(join(project, "no-dom-deno.ts"), forDeno);
    const denoJson = join(project, "deno.json");
    const before = readFileSync(denoJson, "utf8");
    writeFileSync(
      denoJson,
      JSON.stringify({ nodeModulesDir: "manual", compilerOptions: { skipLibCheck: false } }),
    );
    try {
      ok(run(bin("deno"), ["check", "no-dom-deno.ts"], project), "deno check, skipLibCheck false");
    } finally {
      writeFileSync(denoJson, before);
    }
  });

  test("Node imports edge-sse, edge-sse/client and edge-sse/hono", () => {
    const out = ok(run(process.execPath, ["smoke.mjs"], project), "node smoke.mjs");
    assert.deepEqual(JSON.parse(out), expected);
  });

  test("Bun imports them", () => {
    const out = ok(run(bin("bun"), ["smoke.mjs"], project), "bun smoke.mjs");
    assert.deepEqual(JSON.parse(out), expected);
  });

  test("Deno imports them with npm: specifiers", () => {
    const out = ok(run(bin("deno"), ["run", "-A", "smoke-deno.mjs"], project), "deno run");
    assert.deepEqual(JSON.parse(out), expected);
  });

  test("TypeScript (tsc and deno check) types the routes from the shipped .d.ts files", () => {
    writeFileSync(join(project, "consumer.ts"), consumer);
    const tsc = run(process.execPath, [
      join(root, "node_modules", "typescript", "bin", "tsc"),
      ...["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"],
      ...["--target", "es2022", "--lib", "es2022,dom,dom.iterable", "consumer.ts"],
    ], project);
    ok(tsc, "tsc on typed Hono routes");
    const forDeno = consumer
      .replace(/from "edge-sse(\/hono)?"/g, 'from "npm:edge-sse$1"')
      .replace('from "hono"', 'from "npm:hono@^4"');
    writeFileSync(join(project, "consumer-deno.ts"), forDeno);
    ok(run(bin("deno"), ["check", "consumer-deno.ts"], project), "deno check on npm: imports");
  });
});

describe("the JSR package", () => {
  test("deno publish --dry-run passes, with no slow types, leaving tests and examples out", () => {
    const result = run(bin("deno"), ["publish", "--dry-run", "--allow-dirty"], root);
    ok(result, "deno publish --dry-run");
    const text = stripColors(result.output);
    assert.match(text, /Dry run complete/);
    assert.match(text, /\/hono\.ts/);
    assert.doesNotMatch(text, /\/(tests|examples|bench|scripts)\//);
  });

  test("every export is documented (deno doc --lint)", () => {
    const result = run(bin("deno"), ["doc", "--lint", ...entries], root);
    // deno doc --lint counts types that come from npm packages as private
    // (denoland/deno#27364, fixed for jsr: and https: modules only): the Hono
    // adapter's signatures name Hono's own Context, Env, Input and Handler.
    const findings = [
      ...stripColors(result.output).matchAll(
        /error\[([\w-]+)\]: ([^\n]+)\n\s*--> ([^\n]+)/g,
      ),
    ].map(([, code, message, where]) => ({ code, message, where }));
    const honoTypes = /references private type '(Context|Env|Input|Handler)'$/;
    const real = findings.filter((f) =>
      !(f.code === "private-type-ref" && honoTypes.test(f.message) &&
        f.where.includes("src/hono.ts"))
    );
    assert.deepEqual(real, [], `deno doc --lint found:\n${JSON.stringify(real, null, 2)}`);
    assert.ok(result.status === 0 || findings.length > 0, result.output.slice(-2000));
  });

  test("the documentation's examples run (deno test --doc)", () => {
    const result = run(bin("deno"), ["test", "--doc", "--allow-all", ...entries, "src/"], root);
    ok(result, "deno test --doc");
    assert.match(result.output, /ok \| \d+ passed/);
  });
});
