import type { Data } from "kscript/data";
import { AA, CLASS_IN, OPCODE, QR, RA, RCODE, RD, TC, TYPE_A, TYPE_AAAA, answer, header, readName, readQuestion, readRecord } from "kscript/dns";
import { get, set } from "kscript/rcu";
import { byte, format, lower, pack, sub, unpack } from "kscript/string";
import { seconds } from "kscript/time";
import { action, type Action } from "kscript/xdp";
import { udp_reply } from "kscript/xdplua";

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
/** EDNS option codes whose form is checked (see optionWellFormed). */
const OPTION_ECS = 8;
const OPTION_COOKIE = 10;
const OPTION_EDE = 15;
/** The OPT pseudo-record's type (RFC 6891). */
const TYPE_OPT = 41;
/** Longest time a learned answer is kept, in seconds. */
const MAX_TTL = 86400;
/** The longest wire name an rcu key (at most 255 bytes) holds with its 2 type bytes. */
const MAX_KEY_NAME = 253;
/** An entry's head: the count of records (1 byte), then when they expire (4 bytes; 0: a zone entry, never). */
const HEAD = 5;

/** string.unpack for formats of integers only, so each value it returns is a number. */
const unpackInts = unpack as (this: void, fmt: string, s: string, init?: number) => LuaMultiReturn<number[]>;

/** Whether the IPv4 header's checksum (`ihl` bytes from 14) is right: the stack drops the packet otherwise. */
function ipChecksumOk(pkt: Data, ihl: number): boolean {
  // The 20 bytes every header has in one read; options, if any, word by word.
  const [a, b, c, d, e, f, g, h, i, j] = unpackInts(">I2I2I2I2I2I2I2I2I2I2", pkt.getstring(14, 20));
  let sum = a + b + c + d + e + f + g + h + i + j;
  for (let o = 34; o < 14 + ihl; o += 2) sum += pkt.getuint16(o);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/**
 * Whether the EDNS option `code` with `length` bytes of data at `at` is well-formed where an RFC gives it a
 * form: we ignore options, but a server implementing one answers a malformed one with FORMERR, so such a
 * query is left to the server behind. Client subnet (RFC 7871 §6): an IPv4 or IPv6 prefix in exactly the
 * bytes its length needs, scope 0 as queries have it; cookie (RFC 7873 §4): 8 bytes, or 16 to 40; extended errors (RFC 8914) belong in
 * responses only.
 */
function optionWellFormed(msg: Data, code: number, at: number, length: number): boolean {
  if (code === OPTION_ECS) {
    if (length < 4) return false;
    const [family, source, scope] = unpackInts(">I2BB", msg.getstring(at, 4));
    return (family === 1 ? source <= 32 : family === 2 && source <= 128) && scope === 0 && length - 4 === (source + 7) >> 3;
  }
  if (code === OPTION_COOKIE) return length === 8 || (length >= 16 && length <= 40);
  return code !== OPTION_EDE;
}

/**
 * The query's OPT record at `o` (RFC 6891), which must end the message: our reply's OPT record (DO bit copied,
 * no options) and the UDP payload size the client takes; undefined when it is not one we can answer (another
 * owner than the root, EDNS version other than 0, options that do not fill its data exactly, too many, or
 * one that is malformed).
 */
function optReply(msg: Data, o: number): LuaMultiReturn<[string | undefined, number]> {
  if (o + 11 > msg.len() || msg.getbyte(o) !== 0 || msg.getuint16(o + 1) !== 41 || msg.getbyte(o + 6) !== 0) return $multi(undefined, 0);
  let option = o + 11;
  for (let i = 0; i < MAX_OPTIONS && option + 4 <= msg.len(); i++) {
    const [code, length] = unpackInts(">I2I2", msg.getstring(option, 4));
    if (option + 4 + length > msg.len() || !optionWellFormed(msg, code, option + 4, length)) return $multi(undefined, 0);
    option += 4 + length;
  }
  if (option !== msg.len() || o + 11 + msg.getuint16(o + 9) !== option) return $multi(undefined, 0);
  return $multi(pack(">BI2I2BBI2I2", 0, 41, EDNS_SIZE, 0, 0, msg.getuint16(o + 7) & 0x8000, 0), Math.max(512, msg.getuint16(o + 3)));
}

/** The records of a learned entry, each with its TTL rewritten to the time left. */
function withTtl(entry: string, count: number, size: number, ttl: number): string {
  const t = pack(">I4", ttl);
  let out = "";
  for (let i = 0, p = HEAD + 1; i < count; i++, p += size) out += sub(entry, p, p + 5) + t + sub(entry, p + 10, p + size - 1);
  return out;
}

/**
 * Answers the query (its message at `m` of `pkt`, `msgLength` bytes, its question's bytes `question`) from
 * its rcu entry (README "The zone in rcu"); passes what the entry cannot answer.
 */
function reply(pkt: Data, m: number, msgLength: number, question: string, key: string, entry: string, size: number): Action {
  const qend = 12 + question.length;
  const [id, flags, , an, ns, additional] = unpackInts(">I2I2I2I2I2I2", pkt.getstring(m, 12));
  // Exactly the header, one question and, for EDNS, one OPT record.
  let opt: string | undefined = additional === 0 && qend === msgLength ? "" : undefined;
  let room = 512;
  if (additional === 1) [opt, room] = optReply(pkt.segment(m, msgLength)!, qend);
  if (opt === undefined || an !== 0 || ns !== 0 || entry.length < HEAD) return action.pass;
  const [count, expires] = unpackInts(">BI4", entry);
  if (count === 0 || entry.length !== HEAD + count * size) return action.pass;
  let records = sub(entry, HEAD + 1);
  if (expires !== 0) {
    const now = seconds();
    if (now >= expires) {
      set(key, undefined);
      return action.pass;
    }
    records = withTtl(entry, count, size, expires - now);
  }
  const out = header(id, QR | (flags & RD) | (expires === 0 ? AA : RA), 1, count, 0, opt === "" ? 0 : 1) + question + records + opt;
  // More than the client can take over UDP: the server behind answers (with TC if need be).
  return out.length > room ? action.pass : udp_reply(pkt, out);
}

/**
 * Whether a record's data (class IN) has the form its type gives it, for the types an answer to an A or
 * AAAA question carries without DNSSEC: addresses of their size, names (NS, CNAME, PTR, DNAME, MX's exchange,
 * SOA's two) filling it exactly. Any other type is not ours to check, so a message holding one is not learned.
 */
function rdataWellFormed(msg: Data, type: number, rdata: number, length: number): boolean {
  const end = rdata + length;
  if (type === TYPE_A || type === TYPE_AAAA) return length === (type === TYPE_A ? 4 : 16);
  if (type === 2 || type === 5 || type === 12 || type === 39) return readName(msg, rdata)[1] === end;
  if (type === 15) return readName(msg, rdata + 2)[1] === end;
  if (type !== 6) return false;
  const [, next] = readName(msg, rdata);
  return next > 0 && readName(msg, next)[1] + 20 === end;
}

/**
 * An upstream's answer on its way to a client: keep its records for the question's own name and type (not
 * those reached through a CNAME), once each, for their smallest TTL. Only from a message whose counted
 * records, all read, end exactly where it does, each well-formed, of class IN but for one OPT record last
 * and owned by the root: a malformed one spoils the lot.
 */
function learn(msg: Data, key: string, qtype: number): void {
  const [name, , , qend] = readQuestion(msg);
  if (name === undefined) return;
  const answers = msg.getuint16(6);
  const additional = answers + msg.getuint16(8);
  const records = additional + msg.getuint16(10);
  let o = qend;
  let ttl = MAX_TTL;
  let opts = 0;
  const kept: string[] = [];
  for (let i = 0; i < records && records <= MAX_RECORDS; i++) {
    const [owner, type, klass, t, rdata, rdlength] = readRecord(msg, o);
    if (owner === undefined) return;
    if (type === TYPE_OPT ? i < additional || owner !== "" || ++opts > 1 : klass !== CLASS_IN || !rdataWellFormed(msg, type, rdata, rdlength)) return;
    if (i < answers && owner === name && type === qtype) {
      const record = msg.getstring(rdata, rdlength);
      let seen = false;
      for (const k of kept) seen ||= k === record;
      if (!seen && kept.length < MAX_LEARNED) kept.push(record);
      ttl = Math.min(ttl, t);
    }
    o = rdata + rdlength;
  }
  if (o !== msg.len() || kept.length === 0 || ttl <= 0) return;
  let value = pack(">BI4", kept.length, seconds() + ttl);
  for (const rdata of kept) value += answer(qtype, ttl, rdata);
  set(key, value);
}

/**
 * Serves A/AAAA from the zone and the learned answers in rcu (README "The zone in rcu"), over IPv4 and IPv6;
 * learns upstream answers; passes the rest.
 */
export function callback(pkt: Data): Action {
  // Untagged Ethernet, then IPv4 or IPv6 and UDP as the stack would take them. IPv4: version 4, a header of
  // 5..15 words with a right checksum, not a fragment, a total length within the frame. IPv6: version 6, UDP
  // right after the fixed header, a payload length within the frame. Then a UDP length within that, room for
  // a DNS header, and (IPv6, where it is mandatory) a UDP checksum that is not 0.
  const n = pkt.len();
  const ethType = n >= 54 ? pkt.getuint16(12) : 0;
  let udp = 54;
  let end: number;
  let v6 = false;
  if (ethType === 0x0800) {
    const [vihl, , total, , frag, , proto] = unpackInts(">BBI2I2I2BB", pkt.getstring(14, 10));
    udp = 14 + (vihl & 15) * 4;
    end = 14 + total;
    if (vihl >>> 4 !== 4 || udp < 34 || proto !== 17 || (frag & 0x3fff) !== 0 || end > n || udp + 20 > end || !ipChecksumOk(pkt, udp - 14)) return action.pass;
  } else if (ethType === 0x86dd && n >= 74) {
    const [version, length, next] = unpackInts(">BxxxI2B", pkt.getstring(14, 7));
    end = 54 + length;
    v6 = true;
    if (version >>> 4 !== 6 || next !== 17 || end > n) return action.pass;
  } else {
    return action.pass;
  }
  const [sport, dport, udpLength, udpSum] = unpackInts(">I2I2I2I2", pkt.getstring(udp, 8));
  if (udpLength < 20 || udp + udpLength > end || (v6 && udpSum === 0)) return action.pass;
  const m = udp + 8;
  const msgLength = udpLength - 8;
  const [flags, qdcount] = unpackInts(">I2I2", pkt.getstring(m + 2, 4));
  if (qdcount !== 1 || (flags & OPCODE) !== 0) return action.pass;
  // One walk over the question's labels, read at once with its type and class (at most 253 + 4 bytes):
  // uncompressed (the answer copies it as sent), each at most 63 bytes, short enough for a key. Its bytes,
  // lower-cased, with the type are the key.
  const question = pkt.getstring(m + 12, Math.min(msgLength - 12, MAX_KEY_NAME + 4));
  let i = 1;
  while (i <= question.length && i <= MAX_KEY_NAME) {
    const length = byte(question, i);
    if (length === 0) break;
    if (length > 63) return action.pass;
    i += length + 1;
  }
  if (i + 4 > question.length || i > MAX_KEY_NAME) return action.pass;
  const [root, qtype, qclass] = unpackInts(">BI2I2", question, i);
  if (root !== 0 || qclass !== CLASS_IN || (qtype !== TYPE_A && qtype !== TYPE_AAAA)) return action.pass;
  const size = qtype === TYPE_A ? 16 : 28;
  const key = lower(sub(question, 1, i + 2));
  const entry = get(key);

  if ((flags & QR) === 0 && dport === 53) return typeof entry === "string" ? reply(pkt, m, msgLength, sub(question, 1, i + 4), key, entry, size) : action.pass;

  // A response from port 53: learned unless the zone holds the name, and (over IPv4) only from the upstream
  // when one is set; over IPv6, only when none is.
  const upstream = get(UPSTREAM);
  const zoned = typeof entry === "string" && entry.length >= HEAD && unpackInts(">I4", entry, 2)[0] === 0;
  const trusted = upstream === undefined || (!v6 && upstream === format("%d.%d.%d.%d", byte(pkt.getstring(26, 4), 1, 4)));
  if ((flags & (QR | TC | RCODE)) === QR && sport === 53 && !zoned && trusted) learn(pkt.segment(m, msgLength)!, key, qtype);
  return action.pass;
}
