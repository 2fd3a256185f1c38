import type { Data } from "kscript/data";
import { gsub } from "kscript/string";
import { action, type Action } from "kscript/xdp";

/** Recurses through gsub's callback until the C-call limit stops it. */
function nest(n: number): number {
  return n === 0 ? 0 : gsub("a", ".", () => String(nest(n - 1)))[1]; // nested callbacks
}

/** Byte 0 of the payload picks a misbehaviour, so one hook shows how each is reported. */
export function callback(pkt: Data): Action {
  const mode = pkt.getbyte(pkt.len() - 1);
  if (mode === 1) {
    const scaled = pkt.len() * 65536 * 65536; // past 32 bits, exact in 64
    return scaled === 0x2b00000000 ? action.tx : action.drop;
  }
  if (mode === 2) {
    let spins = 0;
    while (spins >= 0) spins = (spins + 1) & 0xffff; // never ends
  }
  if (mode === 3) {
    return pkt.getbyte(100000) as Action; // out of bounds
  }
  if (mode === 4) {
    throw new Error("refused"); // thrown
  }
  if (mode === 5) {
    return nest(100000) as Action;
  }
  if (mode === 6) {
    const missing = undefined as unknown as number[];
    const at = missing.indexOf(3); // inside a lualib helper (not a tail call, which leaves no frame)
    return at as Action;
  }
  return action.pass;
}
