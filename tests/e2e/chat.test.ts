import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createChat } from "../../examples/chat/server.ts";
import { serve, type TestServer } from "../_server.ts";
import { BodyReader } from "../_read.ts";

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function say(server: TestServer, user: string, text: string): Promise<number> {
  const response = await fetch(`${server.url}/send`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user, text }),
  });
  await response.body?.cancel();
  return response.status;
}

describe("examples/chat", () => {
  test("a message sent by one page reaches every open page, and a returning page gets what it missed", async () => {
    const chat = createChat();
    const server = await serve((request) => chat(request));
    servers.push(server);
    const ada = new BodyReader((await fetch(`${server.url}/events`)).body!);
    const bob = new AbortController();
    const bobReader = new BodyReader(
      (await fetch(`${server.url}/events`, { signal: bob.signal })).body!,
    );
    assert.equal(await say(server, "ada", "hello"), 204);
    const [toAda] = await ada.take(1);
    const [toBob] = await bobReader.take(1);
    assert.equal(toAda.event, "message");
    assert.equal(JSON.parse(toAda.data).text, "hello");
    assert.equal(toBob.data, toAda.data);

    bob.abort();
    await bobReader.cancel();
    assert.equal(await say(server, "ada", "are you there?"), 204);
    assert.equal(await say(server, "ada", "bob?"), 204);
    const back = new BodyReader(
      (await fetch(`${server.url}/events`, { headers: { "last-event-id": toBob.id! } })).body!,
    );
    const missed = await back.take(2);
    assert.deepEqual(missed.map((event) => JSON.parse(event.data).text), [
      "are you there?",
      "bob?",
    ]);
    assert.equal(await say(server, "", "nobody"), 400);
    await Promise.all([ada.cancel(), back.cancel()]);
  });
});
