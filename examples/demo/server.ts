// `npm start`: the demo on Deno at http://localhost:8000/ (see examples/deno.ts).
//
// `npm start -- --https`: the same over HTTPS, where browsers speak HTTP/2
// (no six-connection limit per origin), at https://localhost:8443/ with a
// self-signed certificate that `openssl` makes at startup (the browser warns
// once: it trusts no one's self-signed certificate). PORT sets the port, HOST
// the address; SIGTERM or Ctrl-C drains the streams, as examples/deno.ts does.
import { app } from "./app.ts";

if (Deno.args.includes("--https")) {
  const { cert, key } = await selfSignedCertificate();
  const port = Number(Deno.env.get("PORT") ?? 8443);
  const hostname = Deno.env.get("HOST") ?? "localhost";
  const server = Deno.serve({
    port,
    hostname,
    cert,
    key,
    onListen: ({ port }) =>
      console.log(`edge-sse demo on Deno, HTTPS and HTTP/2: https://${hostname}:${port}/`),
  }, app.fetch);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, async () => {
      await app.shutdown.drain({ timeout: 5_000 });
      await server.shutdown();
      Deno.exit(0);
    });
  }
} else {
  await import("../deno.ts");
}

/**
 * A throwaway P-256 certificate for localhost, valid 30 days, from the
 * openssl CLI (Deno cannot make certificates; it prints key and certificate
 * to stdout, so nothing is written to disk).
 */
async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "/dev/stdout",
        "-out",
        "/dev/stdout",
        "-days",
        "30",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error("Cannot serve HTTPS: the openssl command is needed to make a certificate", {
      cause: error,
    });
  }
  const pem = new TextDecoder().decode(output.stdout);
  const key = pem.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/)?.[0];
  const cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/)?.[0];
  if (!output.success || key === undefined || cert === undefined) {
    throw new Error(
      `Cannot serve HTTPS: openssl failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return { cert, key };
}
