import type { Data } from "kscript/data";
import { AA, CLASS_IN, OPCODE, QR, RA, RCODE, RD, TC, TYPE_A, TYPE_AAAA, answer, header, readQuestion, readRecord } from "kscript/dns";
import { get, set } from "kscript/rcu";
import { byte, format, gmatch, match, pack, rep, unpack } from "kscript/string";
import { action, type Action } from "kscript/xdp";
import { udp_reply } from "kscript/xdplua";

/**
 * rcu integer key of the clock, in whole seconds (any clock that only counts up), written by user space:
 * the kernel gives hooks no time source. Without it, nothing is learned and no learned answer is served.
 */
const CLOCK = 0;
/** rcu integer key of the upstream resolver's IPv4 address ("192.0.2.53"); when set, only its answers are learned. */
const UPSTREAM = 1;
/** Answer records looked at in one upstream response: keeps the loop and the rcu value (≤ 4096 bytes) small. */
const MAX_LEARNED = 32;
/** Longest time a learned answer is kept, in seconds. */
const MAX_TTL = 86400;

/**
 * Wire bytes of an address written as text: dotted IPv4, or eight hex groups for AAAA (`Number` reads "0x…").
 * A malformed part adds nothing, so the caller's length check drops the address.
 */
function toWire(qtype: number, text: string): string {
  const v4 = qtype === TYPE_A;
  let out = "";
  for (const part of gmatch(text, "%x+")) {
    const n = part.length <= (v4 ? 3 : 4) ? Number(v4 ? part : `0x${part}`) : undefined;
    if (n !== undefined && n < (v4 ? 256 : 65536)) out += pack(v4 ? "B" : ">I2", n);
  }
  return out;
}

/** Text of an address from its wire bytes: dotted IPv4, or eight hex groups for AAAA. */
function toText(qtype: number, wire: string): string {
  return qtype === TYPE_A ? format("%d.%d.%d.%d", byte(wire, 1, 4)) : format(rep("%x", 8, ":"), ...unpack(">I2I2I2I2I2I2I2I2", wire));
}

/** Serves A/AAAA from the zone and the learned cache in rcu (README "The zone in rcu"), learns upstream answers, passes the rest. */
export function callback(pkt: Data): Action {
  // Ethernet + IPv4 (any header length, not a fragment) + UDP whose length fits the frame.
  if (pkt.len() < 42 || pkt.getuint16(12) !== 0x0800 || pkt.getbyte(14) >>> 4 !== 4 || pkt.getbyte(23) !== 17 || (pkt.getuint16(20) & 0x3fff) !== 0) {
    return action.pass;
  }
  const udp = 14 + (pkt.getbyte(14) & 15) * 4;
  if (udp < 34 || udp + 8 > pkt.len() || pkt.getuint16(udp + 4) < 8 || udp + pkt.getuint16(udp + 4) > pkt.len()) return action.pass;
  const msg = pkt.segment(udp + 8, pkt.getuint16(udp + 4) - 8)!;
  const [name, qtype, qclass, qend] = readQuestion(msg);
  if (name === undefined || qclass !== CLASS_IN || (qtype !== TYPE_A && qtype !== TYPE_AAAA)) return action.pass;
  const flags = msg.getuint16(2);
  const key = `${name}/${qtype}`;
  if ((flags & OPCODE) !== 0 || key.length > 255) return action.pass;
  const size = qtype === TYPE_A ? 4 : 16;
  const now = get(CLOCK);
  const entry = get(key);

  if ((flags & QR) === 0 && pkt.getuint16(udp + 2) === 53) {
    // A query. The question is copied into the answer as sent (its case too), so it must be uncompressed:
    // its wire form is then the dotted name plus 2 bytes, followed by type and class.
    if (typeof entry !== "string" || qend !== 18 + name.length || msg.getuint16(6) !== 0 || msg.getuint16(8) !== 0) return action.pass;
    const [ttlText, expiresText, addresses = ""] = match(entry, "^(%d+) (%d+)(.*)$");
    const expires = Number(expiresText ?? 0);
    let ttl = Number(ttlText ?? 0);
    if (expires > 0) {
      if (typeof now !== "number") return action.pass;
      if (now >= expires) {
        set(key, undefined);
        return action.pass;
      }
      ttl = expires - now;
    }
    let answers = "";
    let count = 0;
    for (const text of gmatch(addresses, "%S+")) {
      const wire = toWire(qtype, text);
      if (wire.length === size) {
        answers += answer(qtype, ttl, wire);
        count++;
      }
    }
    if (count === 0) return action.pass;
    const replyFlags = QR | (flags & RD) | (expires === 0 ? AA : RA);
    return udp_reply(pkt, header(msg.getuint16(0), replyFlags, 1, count, 0, 0) + msg.getstring(12, qend - 12) + answers);
  }

  // An upstream's answer on its way to a client: keep its records for the question's own name and type
  // (not those reached through a CNAME), for their smallest TTL, unless the zone holds the name. A malformed
  // record spoils the lot.
  const upstream = get(UPSTREAM);
  const zoned = typeof entry === "string" && match(entry, "^%d+ 0 ")[0] !== undefined;
  if (
    (flags & (QR | TC | RCODE)) === QR &&
    pkt.getuint16(udp) === 53 &&
    typeof now === "number" &&
    !zoned &&
    (upstream === undefined || upstream === format("%d.%d.%d.%d", byte(pkt.getstring(26, 4), 1, 4)))
  ) {
    let o = qend;
    let ttl = MAX_TTL;
    let addresses = "";
    for (let i = 0; i < msg.getuint16(6) && i < MAX_LEARNED; i++) {
      const [owner, type, klass, t, rdata, rdlength] = readRecord(msg, o);
      if (owner === undefined) return action.pass;
      if (owner === name && type === qtype && klass === CLASS_IN && rdlength === size) {
        addresses += ` ${toText(qtype, msg.getstring(rdata, size))}`;
        ttl = Math.min(ttl, t);
      }
      o = rdata + rdlength;
    }
    if (addresses !== "" && ttl > 0) set(key, `${ttl} ${now + ttl}${addresses}`);
  }
  return action.pass;
}
