import { sub } from "kscript/string";

/** Refuses /private with code 403 and an error page; passes every other request through. */
export function recv(msg: string): LuaMultiReturn<[number, string?]> {
  if (sub(msg, 1, 12) === "GET /private") return $multi(403, "/errors/403.html");
  return $multi(0);
}
