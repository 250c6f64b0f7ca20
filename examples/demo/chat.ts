/**
 * The demo's chat room: one `Channel` per app. `GET /chat` subscribes a
 * stream (replaying what a reconnecting page missed, or the recent
 * conversation to a first visit), `POST /chat` publishes a message to every
 * subscriber. With `REDIS_URL` set, the room's log is a Redis Stream shared
 * by every demo process on that Redis (run two and chat across them);
 * otherwise it is in memory.
 *
 * @module
 */

import { Channel, type ChannelLog, type CloseReason, type SSEStream } from "../../mod.ts";
import { RedisStreamLog } from "../../redis.ts";

// deno-lint-ignore no-explicit-any
const REDIS_URL: string | undefined = (globalThis as any).process?.env?.REDIS_URL;

/** The demo's Redis connection, when `REDIS_URL` is set (opened once, when this module loads). */
const redis: unknown = REDIS_URL ? await connectRedis(REDIS_URL) : undefined;

async function connectRedis(url: string): Promise<unknown> {
  const { createClient } = await import("redis");
  const client = createClient({ url });
  client.on("error", (error: Error) => console.error("chat: redis", error.message));
  await client.connect();
  console.error(`chat: the room's log is the Redis stream "edge-sse-demo:chat" at ${url}`);
  return client;
}

/** The room's log: a Redis Stream with `REDIS_URL`, else the channel's default memory log. */
function chatLog(): ChannelLog | undefined {
  if (redis === undefined) return undefined;
  return new RedisStreamLog({ redis, key: "edge-sse-demo:chat", maxLength: 50, ttl: 60 * 60_000 });
}

/** What the room carries: `at` is when the server received it (ISO 8601). */
export interface ChatMessage {
  name: string;
  text: string;
  at: string;
}

/** The longest name and message, in UTF-16 code units (as `maxlength` counts them). */
export const MAX_NAME = 24;
export const MAX_TEXT = 280;
/** The largest request body `POST /chat` reads, in bytes. */
export const MAX_BODY = 4096;

/** How many recent messages a first visit gets. */
const FIRST_VISIT_MESSAGES = 50;

/** A chat room: its channel keeps the last 50 messages of the last hour for replay. */
export class ChatRoom {
  readonly channel: Channel<ChatMessage> = new Channel<ChatMessage>(
    redis === undefined
      ? { history: { size: 50, ttl: 60 * 60_000 }, onMissingId: "all" }
      : { log: chatLog(), onMissingId: "all" },
  );

  /**
   * Sends `stream` the messages after its last event id (a first visit: the
   * recent conversation), then live ones until it ends.
   */
  subscribe(stream: SSEStream): Promise<CloseReason> {
    return this.channel.subscribe(stream, { replay: FIRST_VISIT_MESSAGES });
  }

  /** Handles `POST /chat` with a JSON body `{ "name": "...", "text": "..." }`. */
  async post(request: Request): Promise<Response> {
    const declared = Number(request.headers.get("content-length") ?? 0);
    if (declared > MAX_BODY) return refuse(413, `the body is over ${MAX_BODY} bytes`);
    const body = await request.text().catch(() => "");
    if (body.length > MAX_BODY) return refuse(413, `the body is over ${MAX_BODY} bytes`);
    const message = parseMessage(body);
    if (typeof message === "string") return refuse(400, message);
    try {
      await this.channel.publish({
        event: "message",
        data: { ...message, at: new Date().toISOString() },
      });
    } catch (error) {
      console.error("chat: a message could not be stored", error);
      return refuse(503, "the message could not be stored; try again");
    }
    return new Response(null, { status: 204 });
  }
}

/** The message in `body`, or why it is refused. */
export function parseMessage(body: string): { name: string; text: string } | string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'expected JSON like {"name": "Ada", "text": "hello"}';
  }
  const { name, text } = (json ?? {}) as { name?: unknown; text?: unknown };
  if (typeof name !== "string" || typeof text !== "string") {
    return "`name` and `text` must be strings";
  }
  const [trimmedName, trimmedText] = [name.trim(), text.trim()];
  if (!trimmedName || !trimmedText) return "`name` and `text` must not be empty";
  if (trimmedName.length > MAX_NAME) return `\`name\` is over ${MAX_NAME} characters`;
  if (trimmedText.length > MAX_TEXT) return `\`text\` is over ${MAX_TEXT} characters`;
  return { name: trimmedName, text: trimmedText };
}

function refuse(status: number, reason: string): Response {
  return new Response(reason + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
