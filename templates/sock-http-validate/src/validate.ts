import type { Data } from "kscript/data";
import { DEFAULT_HTTP_LIMITS, parseRequest, unmetExpectation, type HttpLimits } from "kscript/http";
import { sub } from "kscript/string";

/** Methods the application behind this socket implements; anything else is refused before it reads it. */
const METHODS: Record<string, boolean> = { GET: true, HEAD: true, POST: true, PUT: true, DELETE: true, OPTIONS: true };

/** `kscript/http`'s limits with bodies up to 1 MiB, sent in at most 128 chunks. */
const LIMITS: HttpLimits = { ...DEFAULT_HTTP_LIMITS, maxBody: 1048576, maxChunks: 128 };

/** Requests one receive may hold (pipelining); more are refused, which bounds the work per call. */
const MAX_REQUESTS = 16;

/** Whether `text` can still become a request of one of METHODS: an unknown method is refused as soon as it shows. */
function methodPrefixOk(text: string): boolean {
  for (const method in METHODS) {
    const n = Math.min(method.length + 1, text.length);
    if (sub(text, 1, n) === sub(`${method} `, 1, n)) return true;
  }
  return false;
}

/**
 * Called with the bytes waiting in the socket's receive queue. True lets the application read them; false
 * makes its recv fail with ECONNREFUSED. Every request in them is checked, each from where the framing of
 * the one before ends, so a body is never read as a request. A well-formed prefix of the last one is let
 * through: the hook sees the rest on the next receive, and the size limits stop it from waiting forever.
 */
export function process(buf: Data): boolean {
  let text = buf.getstring();
  for (let i = 0; i < MAX_REQUESTS; i++) {
    const parsed = parseRequest(text, LIMITS);
    if (parsed.kind !== "request") return parsed.kind === "incomplete" && methodPrefixOk(text);
    const request = parsed.request;
    if (METHODS[request.method] !== true || unmetExpectation(request)) return false;
    // POST and PUT must say how long their body is: the application needs no "read until close" bodies.
    if ((request.method === "POST" || request.method === "PUT") && request.headers["content-length"] === undefined && request.headers["transfer-encoding"] === undefined) return false;
    if (request.length === text.length) return true;
    // Bytes after a request that closes the connection are no request: a client sending them is broken or lying.
    if (request.close) return false;
    text = sub(text, request.length + 1);
  }
  return false;
}
