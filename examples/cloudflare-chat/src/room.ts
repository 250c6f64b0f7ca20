// The Durable Object behind one chat room: it holds the room's streams and
// its log. Every request for /rooms/<name>/... reaches the same object, so
// one Channel here sees every subscriber of the room.
import { Channel, DurableObjectLog, type DurableObjectLogStorage, sse } from "edge-sse";

/** What the room uses of its DurableObjectState (`ctx`). */
export interface RoomState {
  storage: DurableObjectLogStorage;
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

export interface RoomEnv {
  HEARTBEAT_MS?: string;
  HISTORY?: string;
}

export interface Message {
  text: string;
  at: number;
}

const MAX_TEXT = 2_000;

export class ChatRoom {
  #room: Channel<Message>;
  #heartbeat: number;

  constructor(ctx: RoomState, env: RoomEnv) {
    this.#heartbeat = Number(env.HEARTBEAT_MS ?? 15_000);
    // The log lives in the object's storage: a room evicted or restarted
    // still replays what a reconnecting client missed.
    const log = new DurableObjectLog({
      storage: ctx.storage,
      maxLength: Number(env.HISTORY ?? 1_000),
    });
    this.#room = new Channel<Message>({ log });
    // Requests wait until the log has loaded its epoch and last position.
    ctx.blockConcurrencyWhile(() => this.#room.ready);
  }

  async fetch(request: Request): Promise<Response> {
    const action = new URL(request.url).pathname.split("/").pop();
    if (action === "events" && request.method === "GET") {
      return sse(
        request,
        // New visitors get the last 50 messages; a reconnecting client gets
        // what it missed after its Last-Event-ID (or one `reset` event).
        (stream) => this.#room.subscribe(stream, { replay: 50 }),
        // The heartbeat keeps Cloudflare's proxy from cutting a quiet stream,
        // and a heartbeat nobody reads (stallTimeout, 2 x heartbeat) ends the
        // stream of a client whose abort never reached the object.
        { heartbeat: this.#heartbeat, retry: 2_000 },
      );
    }
    if (action === "messages" && request.method === "POST") return await this.#post(request);
    if (action === "stats" && request.method === "GET") {
      return Response.json({ subscribers: this.#room.size });
    }
    return new Response("Not found\n", { status: 404 });
  }

  async #post(request: Request): Promise<Response> {
    let text: unknown;
    try {
      ({ text } = await request.json() as { text?: unknown });
    } catch {
      return Response.json({ error: "the body must be JSON" }, { status: 400 });
    }
    if (typeof text !== "string" || text.trim() === "" || text.length > MAX_TEXT) {
      return Response.json(
        { error: `"text" must be a non-empty string of at most ${MAX_TEXT} characters` },
        { status: 400 },
      );
    }
    // Resolves once the message is in the room's storage, with its SSE id.
    const id = await this.#room.publish({ event: "message", data: { text, at: Date.now() } });
    return Response.json({ id });
  }
}
