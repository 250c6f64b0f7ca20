// A real nginx (Debian's /usr/sbin/nginx) in front of a test server: started
// on loopback from a generated config in a temporary directory, in the
// foreground, as the current user, with its pid file and logs in that
// directory. proxy_buffering is left at its default (on). Two locations:
// /http1.0/ proxies with nginx's default proxy_http_version 1.0 (the upstream
// answers without chunked encoding and closes the connection at the end),
// /http1.1/ with proxy_http_version 1.1 and keep-alive (chunked responses).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { delay } from "./_server.ts";
import { freePort } from "./_host.ts";

export const NGINX_PATH = "/usr/sbin/nginx";

export interface Nginx {
  url: string;
  port: number;
  /** nginx's error log so far. */
  errorLog(): string;
  close(): Promise<void>;
}

/** Starts nginx proxying 127.0.0.1:(port) to 127.0.0.1:`upstreamPort`. */
export async function startNginx(upstreamPort: number, readTimeout = "3s"): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), "edge-sse-nginx-"));
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  const errorLog = join(dir, "error.log");
  writeFileSync(conf, config(dir, port, upstreamPort, readTimeout));
  const child: ChildProcess = spawn(NGINX_PATH, ["-p", dir, "-c", conf, "-e", errorLog], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Uint8Array) => stderr += new TextDecoder().decode(chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const readLog = () => {
    try {
      return readFileSync(errorLog, "utf8");
    } catch {
      return "";
    }
  };
  const close = async () => {
    child.kill("SIGTERM");
    await Promise.race([exited, delay(3000)]);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 5000;
  while (!await accepts(port)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`nginx did not start: ${stderr}${readLog()}`);
    }
    await delay(20);
  }
  return { url: `http://127.0.0.1:${port}`, port, errorLog: readLog, close };
}

function config(dir: string, port: number, upstreamPort: number, readTimeout: string): string {
  // As root, nginx would switch its workers to "nobody"; keep them as root so
  // that they can use the temporary directory.
  const user = process.getuid?.() === 0 ? "user root root;" : "";
  return `
${user}
daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${join(dir, "client_body")};
  proxy_temp_path ${join(dir, "proxy")};
  fastcgi_temp_path ${join(dir, "fastcgi")};
  uwsgi_temp_path ${join(dir, "uwsgi")};
  scgi_temp_path ${join(dir, "scgi")};
  server {
    listen 127.0.0.1:${port};
    proxy_read_timeout ${readTimeout};
    location /http1.0/ {
      proxy_pass http://127.0.0.1:${upstreamPort}/;
    }
    location /http1.1/ {
      proxy_pass http://127.0.0.1:${upstreamPort}/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
