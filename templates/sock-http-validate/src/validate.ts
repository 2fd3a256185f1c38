import type { Data } from "kscript/data";
import { parseRequest, type HttpRequest } from "kscript/http";
import { find } from "kscript/string";

/** Methods the application behind this socket implements; anything else is refused before it reads it. */
const METHODS: Record<string, boolean> = { GET: true, HEAD: true, POST: true, PUT: true, DELETE: true, OPTIONS: true };

/** Largest request body the application accepts, in bytes. */
const MAX_BODY = 1048576;

/**
 * Framing the application can trust: at most one of Content-Length and Transfer-Encoding (both at once is
 * how requests get smuggled past a proxy), a plain decimal length within MAX_BODY, and only chunked coding.
 */
function bodyFramingOk(request: HttpRequest): boolean {
  const length = request.headers["content-length"];
  const coding = request.headers["transfer-encoding"];
  if (length !== undefined && coding !== undefined) return false;
  if (coding !== undefined) return coding.toLowerCase() === "chunked" && request.minor === 1;
  if (length === undefined) return request.method !== "POST" && request.method !== "PUT";
  if (length.length > 7 || find(length, "^%d+$")[0] === undefined) return false;
  return parseInt(length, 10) <= MAX_BODY;
}

/**
 * Called with the request waiting in the socket's receive queue. True lets the application read it; false
 * makes its recv fail with ECONNREFUSED. A well-formed prefix is let through: the hook sees the rest of the
 * request on the next receive, and the size limits stop it from waiting forever.
 */
export function process(buf: Data): boolean {
  const parsed = parseRequest(buf.getstring());
  if (parsed.kind === "incomplete") return true;
  if (parsed.kind === "error") return false;
  return METHODS[parsed.request.method] === true && bodyFramingOk(parsed.request);
}
