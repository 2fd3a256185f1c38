import type { Data } from "kscript/data";
import { action, type Action } from "kscript/xdp";

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
  return action.pass;
}
