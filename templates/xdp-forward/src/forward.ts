/**
 * Forwards IPv4 TCP and UDP packets that match a rule out of another interface: the first matching rule may
 * rewrite the destination address and port (updating the IPv4 and TCP/UDP checksums incrementally, RFC 1624)
 * and the Ethernet addresses, then redirects the packet. Everything else passes to the network stack untouched.
 * The rules come from `kscript rules compile` as rcu entries; their format is in README.md, "Rule entries".
 */
import { action, redirect, type Action } from "kscript/xdp";
import { get } from "kscript/rcu";
import { sub } from "kscript/string";
import type { Data } from "kscript/data";

/** Lua's tonumber with a base; the records' fields are 4 hex digits, so it always gives an integer. */
declare function tonumber(this: void, text: string, base: 16): number;

const ETH_IPV4 = 0x0800;
const TCP = 6;
const UDP = 17;
/** Where the IPv4 header starts: after the 14-byte Ethernet header. */
const IP = 14;
/** Where the interface name starts in a record: after 23 fields of 5 characters. */
const NAME = 116;

/** Field `i` of a rule record: the 16-bit word written as 4 hex digits at character 5i + 1. */
const field = (rule: string, i: number): number => tonumber(sub(rule, 5 * i + 1, 5 * i + 4), 16);

/** The address at `offset` is in the network of fields i, i+1 (value) and i+2, i+3 (mask), in 16-bit halves. */
const inNetwork = (pkt: Data, offset: number, rule: string, i: number): boolean =>
  (pkt.getuint16(offset) & field(rule, i + 2)) === field(rule, i) && (pkt.getuint16(offset + 2) & field(rule, i + 3)) === field(rule, i + 1);

/** The port is in the range of fields i (first) and i+1 (last). */
const inPorts = (port: number, rule: string, i: number): boolean => port >= field(rule, i) && port <= field(rule, i + 1);

function matches(pkt: Data, rule: string, protocol: number, l4: number): boolean {
  const p = field(rule, 0);
  return (p === 0 || p === protocol) && inNetwork(pkt, IP + 12, rule, 2) && inNetwork(pkt, IP + 16, rule, 6) && inPorts(pkt.getuint16(l4), rule, 10) && inPorts(pkt.getuint16(l4 + 2), rule, 12);
}

/** RFC 1624 eqn. 3: checksum `sum` once a 16-bit word it covers changes from `from` to `to`: ~(~HC + ~m + m'). */
function update(sum: number, from: number, to: number): number {
  let s = (~sum & 0xffff) + (~from & 0xffff) + to;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Applies the rule's rewrites to a packet it matched and redirects it; `check` is the TCP/UDP checksum's offset. */
function forward(pkt: Data, rule: string, l4: number, check: number, udp: boolean): Action {
  const ifindex = get("fwd:if:" + sub(rule, NAME));
  // An interface the deploy step has not resolved: leave the packet to the stack rather than guess.
  if (typeof ifindex !== "number" || ifindex <= 0) return action.pass;
  // A damaged IPv4 header goes to the stack, which drops and counts it, rather than out of another interface.
  let header = 0;
  for (let i = IP; i < l4; i += 2) header += pkt.getuint16(i);
  while (header > 0xffff) header = (header & 0xffff) + (header >>> 16);
  if (header !== 0xffff) return action.pass;
  // A UDP checksum of 0 means "none" and must stay 0; a computed 0 is sent as 0xffff (RFC 768).
  const l4sum = !(udp && pkt.getuint16(check) === 0);
  const rewrite = (offset: number, to: number, pseudo: boolean) => {
    const from = pkt.getuint16(offset);
    // The addresses are in the IPv4 header and in the TCP/UDP pseudo-header; the port only in the latter.
    if (pseudo) pkt.setuint16(IP + 10, update(pkt.getuint16(IP + 10), from, to));
    if (l4sum) {
      const sum = update(pkt.getuint16(check), from, to);
      pkt.setuint16(check, udp && sum === 0 ? 0xffff : sum);
    }
    pkt.setuint16(offset, to);
  };
  const rewrites = field(rule, 1);
  if ((rewrites & 1) !== 0) {
    rewrite(IP + 16, field(rule, 14), true);
    rewrite(IP + 18, field(rule, 15), true);
  }
  if ((rewrites & 2) !== 0) rewrite(l4 + 2, field(rule, 16), false);
  for (let i = 0; i < 3; i++) {
    if ((rewrites & 4) !== 0) pkt.setuint16(2 * i, field(rule, 17 + i));
    if ((rewrites & 8) !== 0) pkt.setuint16(6 + 2 * i, field(rule, 20 + i));
  }
  return redirect(ifindex);
}

export function callback(pkt: Data): Action {
  const count = get("fwd:rules");
  if (typeof count !== "number" || pkt.len() < IP + 20 || pkt.getuint16(12) !== ETH_IPV4) return action.pass;
  const versionIhl = pkt.getbyte(IP);
  const ihl = (versionIhl & 15) * 4;
  const total = pkt.getuint16(IP + 2);
  const protocol = pkt.getbyte(IP + 9);
  const l4 = IP + ihl;
  const minimum = protocol === TCP ? 20 : 8;
  // IPv4 with a header of at least 20 bytes; not a fragment (more-fragments or an offset: the TCP/UDP header
  // is not all here, or not here at all); TCP or UDP; the datagram, its TCP/UDP header included, all in the frame.
  if (
    versionIhl >>> 4 !== 4 ||
    ihl < 20 ||
    (pkt.getuint16(IP + 6) & 0x3fff) !== 0 ||
    (protocol !== TCP && protocol !== UDP) ||
    total < ihl + minimum ||
    pkt.len() < IP + total
  ) {
    return action.pass;
  }
  // The TCP header length or the UDP length must lie between the minimum and what the IPv4 datagram carries.
  const l4length = protocol === TCP ? (pkt.getbyte(l4 + 12) >>> 4) * 4 : pkt.getuint16(l4 + 4);
  if (l4length < minimum || l4length > total - ihl) return action.pass;
  for (let n = 1; n <= count; n++) {
    const rule = get("fwd:" + n);
    if (typeof rule !== "string") break;
    if (matches(pkt, rule, protocol, l4)) return forward(pkt, rule, l4, protocol === TCP ? l4 + 16 : l4 + 6, protocol === UDP);
  }
  return action.pass;
}
