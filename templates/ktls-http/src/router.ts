import { parseRequest, safePath, unmetExpectation, type HttpRequest } from "kscript/http";
import { sub } from "kscript/string";
import { FILES } from "./files";

/**
 * Codes the server reads with getsockopt(SOL_TLS, TLS_LUA_CODE) when recv fails: 0 passes the bytes through
 * to the server untouched; 100 asks it to read again (the request is not complete yet); the others are the
 * HTTP status to answer, with the file to sendfile for 200. The file is "" for the others: a script given
 * with the original TLS_LUA_LOADSCRIPT must return a string, or its recv fails with TLS_LUA_RECVERR.
 */
export const NEED_MORE = 100;

/** Added to the status of a HEAD request: the server answers that status with its headers only. */
export const HEAD_ONLY = 1000;

/** Methods of RFC 9110 (and PATCH) the router knows but does not serve: 405. Other methods get 501. */
const KNOWN: Record<string, boolean> = { POST: true, PUT: true, DELETE: true, CONNECT: true, OPTIONS: true, TRACE: true, PATCH: true };

/** Codes after which the server keeps the connection (README); after any other it closes it, and nothing sent after the request is read. */
const KEEPS: Record<number, boolean> = { 200: true, 404: true, 405: true, 417: true };

/** Bytes of a request still arriving. The kernel gives each connection its own Lua state, so this is per connection. */
let pending = "";

export function recv(msg: string): LuaMultiReturn<[number, string]> {
  const text = pending + msg;
  // The whole request, body included (up to kscript/http's 8 KB), before any answer: its framing says where
  // the next request starts, so a body is never read as one.
  const parsed = parseRequest(text);
  if (parsed.kind === "incomplete") {
    pending = text;
    return $multi(NEED_MORE, "");
  }
  if (parsed.kind === "error") {
    pending = "";
    return $multi(parsed.status, "");
  }
  const request = parsed.request;
  const [code, file] = route(request);
  // Pipelined bytes after this request wait for the next call; after an answer that closes the connection
  // there are none to wait for (the server closes it once this answer is sent).
  pending = request.close || KEEPS[code % HEAD_ONLY] !== true ? "" : sub(text, request.length + 1);
  return $multi(code, file);
}

/** The answer to one complete request: its code and the file to send ("" for none). */
function route(request: HttpRequest): LuaMultiReturn<[number, string]> {
  const head = request.method === "HEAD" ? HEAD_ONLY : 0;
  const served = request.method === "GET" || request.method === "HEAD";
  // A method nobody knows ends the connection first: the bytes after it cannot be trusted to be a request
  // (llhttp refuses them all). A known method's expectation is refused before its 405, as Node's and
  // Apache's servers do.
  if (!served && KNOWN[request.method] !== true) return $multi(501, "");
  if (unmetExpectation(request)) return $multi(head + 417, "");
  if (!served) return $multi(405, "");
  const path = safePath(request.target);
  if (path === undefined) return $multi(head + 400, "");
  if (FILES[path] !== true) return $multi(head + 404, "");
  return $multi(head + 200, path);
}
