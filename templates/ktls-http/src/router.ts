import { parseRequest, safePath } from "kscript/http";
import { FILES } from "./files";

/**
 * Codes the server reads with getsockopt(SOL_TLS, TLS_LUA_CODE) when recv fails: 0 passes the bytes through
 * to the server untouched; 100 asks it to read again (the request is not complete yet); the others are the
 * HTTP status to answer, with the file to sendfile for 200.
 */
export const NEED_MORE = 100;

/** Bytes of a request still arriving. The kernel gives each connection its own Lua state, so this is per connection. */
let pending = "";

export function recv(msg: string): LuaMultiReturn<[number, string?]> {
  const text = pending + msg;
  const parsed = parseRequest(text);
  if (parsed.kind === "incomplete") {
    pending = text;
    return $multi(NEED_MORE);
  }
  if (parsed.kind === "error") {
    pending = "";
    return $multi(parsed.status);
  }
  const request = parsed.request;
  // Pipelined bytes after this request's headers wait for the next call.
  pending = text.substring(request.length);
  if (request.method !== "GET" && request.method !== "HEAD") return $multi(405);
  const path = safePath(request.target);
  if (path === undefined) return $multi(400);
  if (FILES[path] !== true) return $multi(404);
  return $multi(200, path);
}
