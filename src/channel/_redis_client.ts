/**
 * The few Redis calls the stream log makes, over whichever client the user
 * passed (node-redis, ioredis, Bun's `RedisClient`), told apart by shape:
 * edge-sse imports no Redis package.
 *
 * @module
 */

/** Sends one command and resolves with its raw reply. */
export interface RedisConnection {
  send(args: readonly string[]): Promise<unknown>;
  /** Closes a connection the log opened (never the user's own). */
  close(): Promise<void>;
}

/** A user's client: its own connection, and a way to open another like it. */
export interface RedisClientAdapter {
  /** Which client library this is. */
  readonly kind: "node-redis" | "ioredis" | "bun";
  /** Commands on the user's connection. */
  readonly main: RedisConnection;
  /** Opens a dedicated connection (for blocking reads), connected within `timeout` ms. */
  open(onError: (error: unknown) => void, timeout: number): Promise<RedisConnection>;
}

// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * Recognises the client: ioredis (`call()` and a `status`), node-redis
 * (`sendCommand()` and `duplicate()`), Bun (`send(command, args)` and
 * `duplicate()`). Throws a `TypeError` for anything else.
 */
export function adaptRedisClient(client: unknown): RedisClientAdapter {
  const redis = client as Any;
  if (redis === null || typeof redis !== "object") {
    throw new TypeError(
      "Cannot create a RedisStreamLog: `redis` must be a connected client of node-redis, ioredis or Bun's RedisClient",
    );
  }
  if (typeof redis.call === "function" && typeof redis.status === "string") {
    return {
      kind: "ioredis",
      main: { send: ([command, ...args]) => redis.call(command, ...args), close: noClose },
      async open(_onError, timeout) {
        const copy = redis.duplicate();
        copy.on?.("error", () => {}); // the log reports failures of its commands itself
        try {
          if (copy.status === "wait") {
            await withTimeout(copy.connect(), timeout, "connect to Redis for the stream's tail");
          }
        } catch (error) {
          copy.disconnect();
          throw error;
        }
        return {
          send: ([command, ...args]) => copy.call(command, ...args),
          close: () => Promise.resolve(void copy.disconnect()),
        };
      },
    };
  }
  if (typeof redis.sendCommand === "function" && typeof redis.duplicate === "function") {
    return {
      kind: "node-redis",
      main: { send: (args) => redis.sendCommand([...args]), close: noClose },
      async open(onError, timeout) {
        const copy = redis.duplicate();
        copy.on?.("error", onError);
        const close = async () => {
          try {
            await (copy.destroy ?? copy.disconnect).call(copy);
          } catch {
            // already closed
          }
        };
        try {
          await withTimeout(copy.connect(), timeout, "connect to Redis for the stream's tail");
        } catch (error) {
          await close();
          throw error;
        }
        return {
          send: (args) => copy.sendCommand([...args]),
          close,
        };
      },
    };
  }
  if (typeof redis.send === "function" && typeof redis.duplicate === "function") {
    return {
      kind: "bun",
      main: { send: ([command, ...args]) => redis.send(command, args), close: noClose },
      async open(_onError, timeout) {
        const copy = await withTimeout<Any>(
          Promise.resolve(redis.duplicate()),
          timeout,
          "connect to Redis for the stream's tail",
        );
        if (copy.connected === false) await copy.connect?.();
        return {
          send: ([command, ...args]) => copy.send(command, args),
          close: () => Promise.resolve(void copy.close()),
        };
      },
    };
  }
  throw new TypeError(
    "Cannot create a RedisStreamLog: `redis` must be a client of node-redis (sendCommand), ioredis (call) or Bun's RedisClient (send)",
  );
}

function noClose(): Promise<void> {
  return Promise.resolve();
}

/** Commands waiting for Redis, with their deadlines; one timer checks them all. */
const waiting = new Set<{ at: number; fail: () => void }>();
let sweeper: ReturnType<typeof setInterval> | undefined;

/**
 * Rejects with "Cannot <what>: Redis did not answer within `ms` ms" unless
 * `promise` settles first (checked every 100 ms by one shared timer, so a
 * command costs no timer of its own).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline = {
      at: Date.now() + ms,
      fail: () => reject(new Error(`Cannot ${what}: Redis did not answer within ${ms} ms`)),
    };
    waiting.add(deadline);
    sweeper ??= setInterval(sweep, 100);
    promise.then(
      (value) => (waiting.delete(deadline), resolve(value)),
      (error) => (waiting.delete(deadline), reject(error)),
    );
  });
}

function sweep(): void {
  const now = Date.now();
  for (const deadline of waiting) {
    if (deadline.at > now) continue;
    waiting.delete(deadline);
    deadline.fail();
  }
  if (waiting.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}
