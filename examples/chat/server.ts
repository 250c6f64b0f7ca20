// A chat room on a Channel: every open page is a subscriber, every message
// one publish, and a page that reconnects gets what it missed.
//
//   deno run --allow-net --allow-read examples/chat/server.ts
//   open http://localhost:8000 in two windows
//
// For several server processes, give the Channel a backplane (see the
// README's "Broadcasting" section); nothing else changes.

import { Channel, sse } from "../../mod.ts";

/** What the room carries. */
export interface ChatMessage {
  user: string;
  text: string;
  at: number;
}

/** The chat's request handler, on its own room (the last 200 messages of the last hour kept). */
export function createChat(
  room: Channel<ChatMessage> = new Channel({ history: { size: 200, ttl: 60 * 60_000 } }),
): (request: Request) => Promise<Response> {
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/events") {
      // The whole handler: replay after Last-Event-ID, then live messages
      // until the page goes away.
      return sse(request, (stream) => room.subscribe(stream), { retry: 2000 });
    }
    if (pathname === "/send" && request.method === "POST") {
      const body = await request.json().catch(() => null);
      const user = typeof body?.user === "string" ? body.user.trim().slice(0, 40) : "";
      const text = typeof body?.text === "string" ? body.text.trim().slice(0, 500) : "";
      if (!user || !text) return new Response("user and text are required", { status: 400 });
      room.publish({ event: "message", data: { user, text, at: Date.now() } });
      return new Response(null, { status: 204 });
    }
    if (pathname === "/" && request.method === "GET") {
      const page = await Deno.readTextFile(new URL("./index.html", import.meta.url));
      return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    return new Response("not found", { status: 404 });
  };
}

if (import.meta.main) {
  Deno.serve({ port: Number(Deno.env.get("PORT") ?? 8000) }, createChat());
}
