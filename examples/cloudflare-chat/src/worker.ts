// A chat on Cloudflare Workers: one Durable Object per room holds the room's
// Server-Sent Events streams and its message log.
//
//   GET  /                       a small chat page
//   GET  /rooms/:room/events     the room's messages (SSE, resumes after Last-Event-ID)
//   POST /rooms/:room/messages   {"text": "..."} -> {"id": "..."} once stored
//   GET  /rooms/:room/stats      {"subscribers": n}
import { page } from "./page.ts";

export { ChatRoom } from "./room.ts";

/** What the Worker uses of a Durable Object namespace binding. */
interface RoomNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

interface Env {
  ROOMS: RoomNamespace;
}

const ROUTE = /^\/rooms\/([\w-]{1,64})\/(events|messages|stats)$/;

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    const { pathname } = new URL(request.url);
    const match = ROUTE.exec(pathname);
    if (match !== null) {
      // The request goes to the room's object as is: its body, its
      // Last-Event-ID header and its abort signal travel with it.
      return env.ROOMS.get(env.ROOMS.idFromName(match[1])).fetch(request);
    }
    if (pathname === "/" && request.method === "GET") {
      return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    return new Response("Not found\n", { status: 404 });
  },
};
