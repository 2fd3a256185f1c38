import type { Data } from "kscript/data";
import { pack } from "kscript/string";
import { action, type Action } from "kscript/xdp";
import { udp_reply } from "kscript/xdplua";

/** Offset of the DNS message: Ethernet 14 + IPv4 20 + UDP 8. */
const DNS = 42;

/** Answers A queries for ks.test with 10.1.2.3; lets everything else through. */
export function callback(pkt: Data): Action {
  if (pkt.len() < DNS + 12 || pkt.getuint16(12) !== 0x0800 || pkt.getbyte(23) !== 17 || pkt.getuint16(36) !== 53) {
    return action.pass;
  }
  const id = pkt.getuint16(DNS);
  let o = DNS + 12;
  let name = "";
  while (pkt.getbyte(o) !== 0) {
    const n = pkt.getbyte(o);
    name = name === "" ? pkt.getstring(o + 1, n) : name + "." + pkt.getstring(o + 1, n);
    o += n + 1;
  }
  if (name !== "ks.test") return action.pass;
  const question = pkt.getstring(DNS + 12, o + 5 - (DNS + 12));
  const header = pack(">I2I2I2I2I2I2", id, 0x8180, 1, 1, 0, 0);
  const answer = pack(">I2I2I2I4I2BBBB", 0xc00c, 1, 1, 60, 4, 10, 1, 2, 3);
  return udp_reply(pkt, header + question + answer);
}
