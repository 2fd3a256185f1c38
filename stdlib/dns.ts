/**
 * DNS messages (RFC 1035) for hooks, integer-only and bounded: every read is checked against the message
 * length and every loop has a fixed bound, so hostile packets (truncated, compression loops, oversized
 * names) give `undefined`, never a Lua error or a budget overrun. Readers take a data view whose byte 0 is
 * the DNS header (`pkt.segment(udpOffset + 8, udpLength - 8)`, or `data.new(str)` for a Lua string);
 * builders return Lua strings to hand to `xdplua.udp_reply`. Bundled into the hook that imports it.
 * @module
 */
import type { Data } from "kscript/data";
import { find, lower, pack } from "kscript/string";

/** Resource record type A (an IPv4 address, 4 bytes of data). */
export const TYPE_A = 1;
/** Resource record type AAAA (an IPv6 address, 16 bytes of data). */
export const TYPE_AAAA = 28;
/** Class IN, the Internet. */
export const CLASS_IN = 1;
/** Header flag QR: the message is a response. */
export const QR = 0x8000;
/** Header flag AA: the answer is authoritative. */
export const AA = 0x0400;
/** Header flag TC: the message was truncated. */
export const TC = 0x0200;
/** Header flag RD: the client asks for recursion (copied from query to answer). */
export const RD = 0x0100;
/** Header flag RA: recursion is available. */
export const RA = 0x0080;
/** Mask of the opcode in the flags word (0 is a standard QUERY). */
export const OPCODE = 0x7800;
/** Mask of the response code in the flags word (0 is NOERROR). */
export const RCODE = 0x000f;
/** Longest name in wire form, root label included (RFC 1035 §2.3.4); longer names are malformed. */
export const MAX_NAME = 255;
/** Compression pointers followed within one name; more make the name malformed. */
export const MAX_POINTERS = 16;

/**
 * Reads the name at `offset` of `msg`, following compression pointers, and returns it lowercased and dotted
 * without the final dot (`"www.example.com"`; the root is `""`), with the offset just past the name where it
 * is written (past the first pointer, if any). Malformed names give `undefined` and 0: a read past the end, a
 * name over {@link MAX_NAME} bytes, a reserved label type, a label holding a dot (its dotted form would be
 * ambiguous), more than {@link MAX_POINTERS} pointers or a pointer that does not go strictly backwards from
 * where the last jump landed (so loops end at once).
 */
export function readName(msg: Data, offset: number): LuaMultiReturn<[name: string | undefined, next: number]> {
  const n = msg.len();
  let name: string | undefined;
  let o = offset;
  let start = offset;
  let next = 0;
  let wire = 1;
  let hops = 0;
  // Each turn reads one label (at most 127 fit in MAX_NAME bytes) or follows one pointer (MAX_POINTERS).
  for (let turn = 0; turn < 128 + MAX_POINTERS && o < n; turn++) {
    const len = msg.getbyte(o);
    if (len === 0) return $multi(lower(name ?? ""), next > 0 ? next : o + 1);
    if (len >= 0xc0) {
      if (o + 1 >= n || ++hops > MAX_POINTERS) break;
      const target = ((len & 0x3f) << 8) | msg.getbyte(o + 1);
      if (target >= start) break;
      if (next === 0) next = o + 2;
      o = start = target;
    } else {
      wire += len + 1;
      if (len >= 0x40 || wire > MAX_NAME || o + 1 + len > n) break;
      const label = msg.getstring(o + 1, len);
      if (find(label, ".", 1, true)[0] !== undefined) break;
      name = name === undefined ? label : `${name}.${label}`;
      o += len + 1;
    }
  }
  return $multi(undefined, 0);
}

/**
 * Reads the only question of `msg`: its name (as {@link readName} gives it), type, class and the offset
 * where the question ends. `undefined` name when the header is short, QDCOUNT is not 1, or the question is
 * malformed or truncated.
 */
export function readQuestion(msg: Data): LuaMultiReturn<[name: string | undefined, qtype: number, qclass: number, next: number]> {
  if (msg.len() < 12 || msg.getuint16(4) !== 1) return $multi(undefined, 0, 0, 0);
  const [name, o] = readName(msg, 12);
  if (name === undefined || o + 4 > msg.len()) return $multi(undefined, 0, 0, 0);
  return $multi(name, msg.getuint16(o), msg.getuint16(o + 2), o + 4);
}

/**
 * Reads the resource record at `offset`: owner name, type, class, TTL in seconds (a TTL with its top bit
 * set counts as 0, RFC 2181 §8), and where its data starts and how long it is; the next record starts at
 * `rdata + rdlength`. `undefined` name when the record is malformed or runs past the end of `msg`.
 */
export function readRecord(
  msg: Data,
  offset: number,
): LuaMultiReturn<[name: string | undefined, type: number, klass: number, ttl: number, rdata: number, rdlength: number]> {
  const [name, o] = readName(msg, offset);
  if (name === undefined || o + 10 > msg.len() || o + 10 + msg.getuint16(o + 8) > msg.len()) return $multi(undefined, 0, 0, 0, 0, 0);
  const high = msg.getuint16(o + 4);
  const ttl = high >= 0x8000 ? 0 : (high << 16) | msg.getuint16(o + 6);
  return $multi(name, msg.getuint16(o), msg.getuint16(o + 2), ttl, o + 10, msg.getuint16(o + 8));
}

/** The 12-byte header: ID, flags word, then the question, answer, authority and additional counts. */
export function header(id: number, flags: number, qdcount: number, ancount: number, nscount: number, arcount: number): string {
  return pack(">I2I2I2I2I2I2", id, flags, qdcount, ancount, nscount, arcount);
}

/**
 * An answer record of class IN whose owner is a compression pointer to the name at `nameOffset` (default
 * 12, the question's name right after the header).
 */
export function answer(type: number, ttl: number, rdata: string, nameOffset = 12): string {
  return pack(">I2I2I2I4s2", 0xc000 | nameOffset, type, CLASS_IN, ttl, rdata);
}
