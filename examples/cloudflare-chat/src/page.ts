// The chat page: pick a room, read it live, post to it.
export const page = `<!doctype html>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-sse chat on Cloudflare</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  #log { list-style: none; padding: 0; min-height: 12rem; border: 1px solid #ccc; border-radius: 6px; }
  #log li { padding: .25rem .5rem; border-bottom: 1px solid #eee; }
  #log time { color: #888; font-size: .8em; margin-right: .5em; }
  form { display: flex; gap: .5rem; } input[name=text] { flex: 1; }
  #status { color: #888; font-size: .9em; }
</style>
<h1>Room <input id="room" value="lobby" size="12"></h1>
<p id="status">connecting…</p>
<ul id="log"></ul>
<form id="post"><input name="text" autocomplete="off" placeholder="Say something" required>
<button>Send</button></form>
<script type="module">
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const roomInput = document.getElementById("room");
  let source;
  function add(text, at) {
    const item = document.createElement("li");
    const time = document.createElement("time");
    time.textContent = new Date(at).toLocaleTimeString();
    item.append(time, text);
    log.append(item);
  }
  function join() {
    source?.close();
    log.replaceChildren();
    const room = encodeURIComponent(roomInput.value || "lobby");
    source = new EventSource("/rooms/" + room + "/events");
    source.onopen = async () => {
      const { subscribers } = await (await fetch("/rooms/" + room + "/stats")).json();
      status.textContent = "connected, " + subscribers + " here";
    };
    source.onerror = () => status.textContent = "reconnecting…";
    source.addEventListener("message", (event) => {
      const { text, at } = JSON.parse(event.data);
      add(text, at);
    });
    // The room could not replay what this page missed: start over.
    source.addEventListener("reset", () => log.replaceChildren());
  }
  roomInput.addEventListener("change", join);
  document.getElementById("post").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = event.target.elements.text;
    const room = encodeURIComponent(roomInput.value || "lobby");
    await fetch("/rooms/" + room + "/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: input.value }),
    });
    input.value = "";
  });
  join();
</script>
`;
