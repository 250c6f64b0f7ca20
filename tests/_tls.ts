// HTTPS servers for the HTTP/2 tests: a throwaway self-signed certificate
// made with the openssl CLI (node:crypto cannot make certificates), and a
// TLS server of the current runtime on 127.0.0.1, port 0: Deno.serve with
// cert/key (HTTP/2 through ALPN), @hono/node-server on
// http2.createSecureServer (allowHTTP1: true) for Node and Bun, or Bun.serve
// with tls (HTTP/1.1 only: it does not offer h2).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { delay, type Handler, runtime, serverErrors, type TestServer } from "./_server.ts";

export interface Certificate {
  cert: string;
  key: string;
}

let made: Certificate | undefined;

/** A self-signed P-256 certificate for localhost and 127.0.0.1, valid two days. */
export function selfSignedCertificate(): Certificate {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), "edge-sse-tls-"));
  try {
    execFileSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ], { stdio: "pipe" });
    made = {
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
      key: readFileSync(join(dir, "key.pem"), "utf8"),
    };
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Which server answers: the runtime's own, or node:http2 through @hono/node-server. */
export type TlsServerKind = "native" | "node-http2";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;

/**
 * Starts an HTTPS server. `native`: Deno.serve (h2 and http/1.1 by ALPN),
 * Bun.serve (http/1.1 only), and on Node the same as `node-http2`.
 * `node-http2`: @hono/node-server with `http2.createSecureServer`.
 */
export async function serveTls(
  handler: Handler,
  kind: TlsServerKind = "native",
): Promise<TestServer> {
  const { cert, key } = selfSignedCertificate();
  if (kind === "native" && runtime === "deno") {
    const controller = new AbortController();
    const server = globals.Deno.serve({
      port: 0,
      hostname: "127.0.0.1",
      cert,
      key,
      signal: controller.signal,
      onListen() {},
      onError(error: unknown) {
        serverErrors.push(error);
        return new Response("server error", { status: 500 });
      },
    }, (request: Request) => handler(request, undefined));
    const port = server.addr.port;
    return {
      url: `https://127.0.0.1:${port}`,
      port,
      async close() {
        controller.abort();
        await Promise.race([server.finished, delay(2000)]);
      },
    };
  }
  if (kind === "native" && runtime === "bun") {
    const server = globals.Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: { cert, key },
      // deno-lint-ignore no-explicit-any
      fetch: (request: Request, bunServer: any) => handler(request, bunServer),
    });
    return {
      url: `https://127.0.0.1:${server.port}`,
      port: server.port,
      async close() {
        await server.stop(true);
      },
    };
  }
  const { serve } = await import("@hono/node-server");
  const { createSecureServer } = await import("node:http2");
  // server.close() waits for open sessions: close() destroys their sockets.
  const sockets = new Set<{ destroy(): void }>();
  return await new Promise((resolve) => {
    const server = serve({
      fetch: (request: Request) => handler(request, undefined),
      port: 0,
      hostname: "127.0.0.1",
      createServer: createSecureServer,
      serverOptions: { cert, key, allowHTTP1: true },
      // Elsewhere than Node, keep the runtime's own Response: Bun.serve rejects Hono's.
      overrideGlobalObjects: runtime === "node",
    }, (info: { port: number }) => {
      resolve({
        url: `https://127.0.0.1:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
    // deno-lint-ignore no-explicit-any
    server.on("secureConnection", (socket: any) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
  });
}
