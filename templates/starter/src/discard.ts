import { action, type Action } from "kscript/xdp";
import type { Data } from "kscript/data";

/** The UDP "discard" port: packets to it are dropped at the driver, before the network stack sees them. */
const DISCARD_PORT = 9;

export function callback(pkt: Data): Action {
  // Untagged Ethernet (14 bytes) carrying IPv4 with protocol UDP; VLAN-tagged frames have another EtherType and pass.
  if (pkt.len() < 34 || pkt.getuint16(12) !== 0x0800 || pkt.getbyte(23) !== 17) return action.pass;
  const ihl = pkt.getbyte(14) & 0x0f;
  // Version 4 with a header of 5..15 words; only the first fragment (offset 0) starts with the UDP header.
  if (pkt.getbyte(14) >>> 4 !== 4 || ihl < 5 || (pkt.getuint16(20) & 0x1fff) !== 0) return action.pass;
  // The UDP header starts where the IPv4 header's length (IHL, options included) says.
  const udp = 14 + ihl * 4;
  return udp + 4 <= pkt.len() && pkt.getuint16(udp + 2) === DISCARD_PORT ? action.drop : action.pass;
}
