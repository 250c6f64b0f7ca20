// `npm start`: the demo on Deno at http://localhost:8000/ (see examples/deno.ts).
import "../deno.ts";
