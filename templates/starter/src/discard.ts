import { action, type Action } from "kscript/xdp";
import type { Data } from "kscript/data";

/** The UDP "discard" port: packets to it are dropped at the driver, before the network stack sees them. */
const DISCARD_PORT = 9;

export function callback(pkt: Data): Action {
  // Ethernet (14 bytes) + IPv4 with no options (20) + UDP destination port at offset 2.
  const isIpv4Udp = pkt.len() >= 38 && pkt.getuint16(12) === 0x0800 && pkt.getbyte(23) === 17;
  return isIpv4Udp && pkt.getuint16(36) === DISCARD_PORT ? action.drop : action.pass;
}
