/**
 * edge-sse/redis (JSR: `@edge-sse/core/redis`): channels across instances
 * over Redis, with the client you already use (node-redis, ioredis or Bun's
 * `RedisClient`); edge-sse imports no Redis package.
 *
 * - {@linkcode RedisStreamLog}: a shared, ordered, durable log in a Redis
 *   Stream. One order for every subscriber on every instance, nothing
 *   acknowledged lost, replay all or nothing.
 * - {@linkcode RedisBackplane}: Redis pub/sub, at most once; cheaper, each
 *   instance keeps its own memory log.
 *
 * @example One channel shared by every instance
 * ```ts ignore
 * import { createClient } from "redis";
 * import { Channel, sse } from "edge-sse";
 * import { RedisStreamLog } from "edge-sse/redis";
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const room = new Channel({ log: new RedisStreamLog({ redis, key: "chat:lobby", maxLength: 10_000 }) });
 * await room.ready;
 *
 * // Resolves with the event's id once Redis has stored it; rejects if it could not be stored.
 * const id = await room.publish({ event: "message", data: { text: "hi" } });
 *
 * // Replays from Redis what came after Last-Event-ID (from any instance), then live events.
 * const handler = (request: Request) => sse(request, (stream) => room.subscribe(stream));
 * ```
 *
 * @module
 */

export { RedisStreamLog, type RedisStreamLogOptions } from "./src/channel/redis_stream_log.ts";
export {
  RedisBackplane,
  type RedisBackplaneOptions,
  type RedisPublisher,
  type RedisSubscriber,
} from "./src/channel/redis_backplane.ts";
