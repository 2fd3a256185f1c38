/**
 * The reference: Node's own HTTP server (llhttp, strict: `insecureHTTPParser: false`) fed raw bytes over
 * loopback, one connection per input, then a half-close. What it reports is what llhttp parsed; its error is
 * llhttp's code, or "missing Host" when Node itself refused an HTTP/1.1 request without one.
 */
import http from "node:http";
import net from "node:net";
import type { ReferenceOutcome } from "./corpus.js";

export async function llhttpOutcomes(inputs: string[]): Promise<ReferenceOutcome[]> {
  const seen = new Map<number, ReferenceOutcome>();
  const server = http.createServer({ insecureHTTPParser: false }, (req, res) => {
    const outcome = seen.get(req.socket.remotePort!)!;
    let bodyLength = 0;
    req.on("data", (chunk: Buffer) => (bodyLength += chunk.length));
    req.on("end", () => {
      outcome.messages.push({ method: req.method!, url: req.url!, bodyLength });
      res.end();
    });
  });
  server.on("connection", (socket: net.Socket) => seen.set(socket.remotePort!, { messages: [], end: "ok" }));
  server.on("clientError", (err: Error & { code?: string }, socket: net.Socket) => {
    const outcome = seen.get(socket.remotePort!);
    if (outcome) {
      outcome.end = err.code === "HPE_INVALID_EOF_STATE" ? "incomplete" : "error";
      outcome.error = err.code;
    }
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;

  const parse = (bytes: string) =>
    new Promise<ReferenceOutcome>((resolve) => {
      let localPort = 0;
      let answers = "";
      const client = net.connect(port, "127.0.0.1", () => {
        localPort = client.localPort!;
        client.end(Buffer.from(bytes, "latin1"));
      });
      client.on("data", (d: Buffer) => (answers += d.toString("latin1")));
      client.on("error", () => {});
      client.on("close", () =>
        setImmediate(() => {
          const outcome = seen.get(localPort)!;
          seen.delete(localPort);
          // Node answers a missing Host with 400 itself, without a 'request' event; our handler only sends 200s.
          if (outcome.end === "ok" && answers.includes("HTTP/1.1 400 ")) Object.assign(outcome, { end: "error", error: "missing Host" });
          resolve(outcome);
        }),
      );
    });
  // A few connections at a time: each is told apart by its client port, and one alone mostly waits.
  const outcomes: ReferenceOutcome[] = new Array(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const i = next++;
      outcomes[i] = await parse(inputs[i]);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return outcomes;
}
