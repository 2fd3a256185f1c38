import type { Data } from "kscript/data";

/** Lets only GET requests reach the application; anything else is refused (ECONNREFUSED). */
export function process(buf: Data): boolean {
  return buf.len() >= 4 && buf.getstring(0, 4) === "GET ";
}
