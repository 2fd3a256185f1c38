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
/** Answer records kept from one upstream response: keeps the rcu value (≤ 4096 bytes) small. */
const MAX_LEARNED = 32;
/** Records (all sections) of a response it learns from: each is read to check the message ends where they do. */
const MAX_RECORDS = 40;
/** UDP payload size our OPT record advertises (RFC 6891 §6.2.5; the size DNS Flag Day 2020 settled on). */
const EDNS_SIZE = 1232;
/** EDNS options a query may carry for us to answer it (all ignored, as RFC 6891 §6.1.2 allows). */
const MAX_OPTIONS = 8;
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

/** Whether the IPv4 header's checksum (bytes 14 to `end`) is right: the stack drops the packet otherwise. */
function ipChecksumOk(pkt: Data, end: number): boolean {
  let sum = 0;
  for (let o = 14; o < end; o += 2) sum += pkt.getuint16(o);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/**
 * The query's OPT record at `o` (RFC 6891), which must end the message: our reply's OPT record (DO bit copied,
 * no options) and the UDP payload size the client takes; undefined when it is not one we can answer (another
 * owner than the root, EDNS version other than 0, options that do not fill its data exactly, or too many).
 */
function optReply(msg: Data, o: number): LuaMultiReturn<[string | undefined, number]> {
  if (o + 11 > msg.len() || msg.getbyte(o) !== 0 || msg.getuint16(o + 1) !== 41 || msg.getbyte(o + 6) !== 0) return $multi(undefined, 0);
  let option = o + 11;
  for (let i = 0; i < MAX_OPTIONS && option + 4 <= msg.len(); i++) option += 4 + msg.getuint16(option + 2);
  if (option !== msg.len() || o + 11 + msg.getuint16(o + 9) !== option) return $multi(undefined, 0);
  return $multi(pack(">BI2I2BBI2I2", 0, 41, EDNS_SIZE, 0, 0, msg.getuint16(o + 7) & 0x8000, 0), Math.max(512, msg.getuint16(o + 3)));
}

/** Serves A/AAAA from the zone and the learned cache in rcu (README "The zone in rcu"), learns upstream answers, passes the rest. */
export function callback(pkt: Data): Action {
  // Untagged Ethernet + IPv4 + UDP as the stack would take them: version 4, a header of 5..15 words with a
  // right checksum, not a fragment, a total length within the frame and a UDP length within that.
  if (pkt.len() < 42 || pkt.getuint16(12) !== 0x0800 || pkt.getbyte(23) !== 17 || (pkt.getuint16(20) & 0x3fff) !== 0) return action.pass;
  const udp = 14 + (pkt.getbyte(14) & 15) * 4;
  const total = pkt.getuint16(16);
  const udpLength = udp + 8 <= pkt.len() ? pkt.getuint16(udp + 4) : 0;
  if (pkt.getbyte(14) >>> 4 !== 4 || udp < 34 || 14 + total > pkt.len() || udpLength < 8 || udp + udpLength > 14 + total || !ipChecksumOk(pkt, udp)) {
    return action.pass;
  }
  const msg = pkt.segment(udp + 8, udpLength - 8)!;
  const [name, qtype, qclass, qend] = readQuestion(msg);
  if (name === undefined || qclass !== CLASS_IN || (qtype !== TYPE_A && qtype !== TYPE_AAAA)) return action.pass;
  const flags = msg.getuint16(2);
  const key = `${name}/${qtype}`;
  if ((flags & OPCODE) !== 0 || key.length > 255) return action.pass;
  const size = qtype === TYPE_A ? 4 : 16;
  const now = get(CLOCK);
  const entry = get(key);

  if ((flags & QR) === 0 && pkt.getuint16(udp + 2) === 53) {
    // A query: exactly the header, one question and, for EDNS, one OPT record. The question is copied into
    // the answer as sent (its case too), so it must be uncompressed: its wire form is then the dotted name
    // plus 2 bytes, followed by type and class.
    const additional = msg.getuint16(10);
    let opt: string | undefined = additional === 0 && qend === msg.len() ? "" : undefined;
    let room = 512;
    if (additional === 1) [opt, room] = optReply(msg, qend);
    if (opt === undefined || typeof entry !== "string" || qend !== 18 + name.length || msg.getuint16(6) !== 0 || msg.getuint16(8) !== 0) return action.pass;
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
    const replyFlags = QR | (flags & RD) | (expires === 0 ? AA : RA);
    const reply = header(msg.getuint16(0), replyFlags, 1, count, 0, opt === "" ? 0 : 1) + msg.getstring(12, qend - 12) + answers + opt;
    // Nothing to say, or more than the client can take over UDP: the server behind answers (with TC if need be).
    return count === 0 || reply.length > room ? action.pass : udp_reply(pkt, reply);
  }

  // An upstream's answer on its way to a client: keep its records for the question's own name and type
  // (not those reached through a CNAME), for their smallest TTL, unless the zone holds the name. Only from a
  // message whose counted records, all read, end exactly where it does: a malformed one spoils the lot.
  const upstream = get(UPSTREAM);
  const zoned = typeof entry === "string" && match(entry, "^%d+ 0 ")[0] !== undefined;
  if (
    (flags & (QR | TC | RCODE)) === QR &&
    pkt.getuint16(udp) === 53 &&
    typeof now === "number" &&
    !zoned &&
    (upstream === undefined || upstream === format("%d.%d.%d.%d", byte(pkt.getstring(26, 4), 1, 4)))
  ) {
    const answers = msg.getuint16(6);
    const records = answers + msg.getuint16(8) + msg.getuint16(10);
    let o = qend;
    let ttl = MAX_TTL;
    let addresses = "";
    let kept = 0;
    for (let i = 0; i < records && records <= MAX_RECORDS; i++) {
      const [owner, type, klass, t, rdata, rdlength] = readRecord(msg, o);
      if (owner === undefined) return action.pass;
      if (i < answers && kept < MAX_LEARNED && owner === name && type === qtype && klass === CLASS_IN && rdlength === size) {
        addresses += ` ${toText(qtype, msg.getstring(rdata, size))}`;
        ttl = Math.min(ttl, t);
        kept++;
      }
      o = rdata + rdlength;
    }
    if (o === msg.len() && addresses !== "" && ttl > 0) set(key, `${ttl} ${now + ttl}${addresses}`);
  }
  return action.pass;
}
