// One server instance for the two-process Redis test (bundled for Node by
// tests/channel-redis.node.test.ts). Env: REDIS_URL, NAME.
//   GET  /events               subscribes to the channel (SSE)
//   POST /publish?from=N&to=M  publishes events with data "NAME N" .. "NAME M"
// Prints "listening PORT" once the backplane is subscribed.

import { serve } from "@hono/node-server";
import { createClient } from "redis";
import { Channel, RedisBackplane, sse } from "../mod.ts";

const name = process.env.NAME ?? "server";
const url = process.env.REDIS_URL!;
const log = (...args: unknown[]) => console.error(`[${name}]`, ...args);

const publisher = createClient({
  url,
  socket: { reconnectStrategy: (retries: number) => Math.min(25 * 2 ** retries, 250) },
});
const subscriber = publisher.duplicate();
for (const client of [publisher, subscriber]) {
  client.on("error", (error: Error) => log("redis:", error.message));
  client.on("ready", () => log("redis: ready"));
}
await Promise.all([publisher.connect(), subscriber.connect()]);

const channel = new Channel<string>({
  backplane: new RedisBackplane({ publisher, subscriber, channel: "edge-sse-test" }),
  onError: (error) => log("channel:", (error as Error).message),
});
await channel.ready;

serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname === "/publish") {
      const from = Number(url.searchParams.get("from"));
      const to = Number(url.searchParams.get("to") ?? from);
      const ids: Promise<string>[] = [];
      for (let n = from; n <= to; n++) ids.push(channel.publish({ data: `${name} ${n}` }));
      return Promise.all(ids).then((ids) => Response.json({ ids }));
    }
    return sse(request, (stream) => channel.subscribe(stream), { heartbeat: false });
  },
}, (info) => console.log(`listening ${info.port}`));

process.on("SIGTERM", async () => {
  await channel.close();
  await Promise.allSettled([publisher.quit(), subscriber.quit()]);
  process.exit(0);
});
