// Relays an OpenAI-style streaming chat completion to the browser as
// Server-Sent Events, and stops the upstream request (and its bill) the
// moment the browser goes away.
//
//   OPENAI_API_KEY=sk-... deno run --allow-net --allow-env examples/relay.ts
//   curl -N "http://localhost:8000/?q=Write+a+haiku+about+streams"
//
// UPSTREAM_URL points it at any OpenAI-compatible endpoint (a local model
// server, say) and MODEL picks the model. The browser side:
//
//   const source = new EventSource("/?q=...");
//   source.addEventListener("token", (e) => output.append(JSON.parse(e.data).text));
//   source.addEventListener("done", () => source.close());
//   source.addEventListener("failed", () => source.close());

import { sse } from "../mod.ts";
import { events, EventStreamError } from "../client.ts";

/** Where the relay sends prompts. */
export interface RelayOptions {
  /** The chat completions endpoint, e.g. `https://api.openai.com/v1/chat/completions`. */
  upstream: string | URL;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** The model to ask (default `gpt-4o-mini`). */
  model?: string;
}

/** A request handler: `?q=` is the prompt; the answer streams back as `token` events. */
export function createRelay(options: RelayOptions): (request: Request) => Response {
  const { upstream, apiKey, model = "gpt-4o-mini" } = options;
  return (request) => {
    const prompt = new URL(request.url).searchParams.get("q") ?? "Say hello.";
    return sse(request, async (stream) => {
      // stream.signal aborts when the browser leaves: the fetch, the read
      // loop and with them the upstream connection stop at once.
      const response = await fetch(upstream, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body: JSON.stringify({
          model,
          stream: true,
          messages: [{ role: "user", content: prompt }],
        }),
        signal: stream.signal,
      });
      for await (const event of events(response, { signal: stream.signal })) {
        // The end of the answer; leaving the loop closes the upstream response.
        if (event.data === "[DONE]") break;
        const text = JSON.parse(event.data).choices?.[0]?.delta?.content;
        if (text) await stream.send({ event: "token", data: { text } });
      }
      // Tells the browser to close its EventSource (it would reconnect otherwise).
      await stream.send({ event: "done", data: "" });
    }, {
      heartbeat: 15_000,
      onError: (error) => {
        console.error("relay: the upstream failed", error);
        const status = error instanceof EventStreamError ? error.status : 502;
        return { event: "failed", data: { status } };
      },
    });
  };
}

if (import.meta.main) {
  const port = Number(Deno.env.get("PORT") ?? 8000);
  Deno.serve(
    { port, onListen: () => console.log(`relay on http://localhost:${port}/?q=Hello`) },
    createRelay({
      upstream: Deno.env.get("UPSTREAM_URL") ?? "https://api.openai.com/v1/chat/completions",
      apiKey: Deno.env.get("OPENAI_API_KEY"),
      model: Deno.env.get("MODEL"),
    }),
  );
}
