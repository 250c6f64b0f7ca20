// The system programs the real-client tests drive: Chromium (EventSource in
// a browser), nginx (a buffering reverse proxy), redis-server (the Redis
// backplane), curl, and openssl (certificates for the HTTPS and HTTP/2
// tests). On a machine that has only Node and npm, `npm test` installs the
// missing ones from Debian's packages when it can (root with apt-get), and
// otherwise says what to install.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";

const PROGRAMS = [
  { path: "/usr/bin/chromium", pkg: "chromium" },
  { path: "/usr/sbin/nginx", pkg: "nginx" },
  { path: "/usr/bin/redis-server", pkg: "redis-server" },
  { path: "/usr/bin/curl", pkg: "curl" },
  { path: "/usr/bin/openssl", pkg: "openssl" },
];

/** Installs the missing programs; throws with what to do when it cannot. */
export function ensureSystemDeps() {
  const missing = PROGRAMS.filter(({ path }) => !existsSync(path)).map(({ pkg }) => pkg);
  if (missing.length === 0) return;
  const canInstall = process.getuid?.() === 0 &&
    spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
  if (!canInstall) {
    throw new Error(
      `the real-client tests need ${missing.join(", ")}: install them (Debian: ` +
        `sudo apt-get install -y ${missing.join(" ")}) and run npm test again`,
    );
  }
  console.log(`installing ${missing.join(", ")} with apt-get (real-client tests)`);
  // Keep the packages' services (nginx, redis) from starting: tests run their own.
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    execFileSync("apt-get", ["install", "-y", "-qq", ...missing], {
      stdio: ["ignore", "ignore", "inherit"],
      env,
    });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}
