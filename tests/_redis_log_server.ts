// One server instance of the shared-log test (tests/e2e/channel-redis-log.node.test.ts),
// run by Deno, Bun or Node (bundled). Env: REDIS_URL, NAME, KEY, CLIENT
// ("node-redis" | "ioredis" | "bun").
//   GET  /events?replay=N   subscribes to the channel (SSE), a first visit gets the last N events
//   POST /publish?data=X    publishes X; 200 {"id"} once stored, 503 {"error"} if not
// Prints "listening PORT" once the channel's log is open.

import { Channel, sse } from "../mod.ts";
import { RedisStreamLog } from "../redis.ts";
import { serve } from "./_server.ts";

// deno-lint-ignore no-explicit-any
const env = (name: string): string | undefined => (globalThis as any).process?.env?.[name];
const name = env("NAME") ?? "server";
const url = env("REDIS_URL")!;
const kind = env("CLIENT") ?? "node-redis";
const log = (...args: unknown[]) => console.error(`[${name}]`, ...args);

// deno-lint-ignore no-explicit-any
let redis: any;
if (kind === "ioredis") {
  const { Redis } = await import("ioredis");
  redis = new Redis(url, {
    retryStrategy: () => 100,
    maxRetriesPerRequest: null,
    autoResendUnfulfilledCommands: false,
  });
  redis.on("error", (error: Error) => log("ioredis:", error.message));
} else if (kind === "bun") {
  // deno-lint-ignore no-explicit-any
  const { RedisClient } = (globalThis as any).Bun;
  redis = new RedisClient(url, { autoReconnect: true, maxRetries: 1_000_000 });
  await redis.connect();
} else {
  const { createClient } = await import("redis");
  redis = createClient({ url, socket: { reconnectStrategy: () => 100 } });
  redis.on("error", (error: Error) => log("redis:", error.message));
  await redis.connect();
}

const channel = new Channel<string>({
  log: new RedisStreamLog({ redis, key: env("KEY")!, timeout: 2000 }),
  onError: (error) => log("channel:", (error as Error)?.message ?? error),
});
await channel.ready;

const server = await serve(async (request, bunServer) => {
  const url = new URL(request.url);
  if (url.pathname === "/publish") {
    try {
      const id = await channel.publish({ data: url.searchParams.get("data") ?? "" });
      return Response.json({ id });
    } catch (error) {
      return Response.json({ error: String((error as Error)?.message) }, { status: 503 });
    }
  }
  const replay = Number(url.searchParams.get("replay") ?? 0);
  return sse(request, (stream) => channel.subscribe(stream, { replay }), {
    heartbeat: 1000,
    server: bunServer,
  });
});
console.log(`listening ${server.port}`);
