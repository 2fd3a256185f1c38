/**
 * A generated corpus of raw DNS messages for xdp-dns, written byte by byte (not with kscript/testing's
 * builders, so that malformed messages can be made): queries for the template's zone, valid and broken in
 * each way RFC 1035 §4 and RFC 6891 §6 care about (header bits and counts, names, sections, OPT records and
 * their options, truncation, trailing bytes), and upstream responses for a name outside the zone, valid and
 * broken, to see what the hook learns.
 */
import { replayableRandom } from "../helpers/random.js";

export interface DnsCase {
  /** What the case varies, e.g. "edns" (the report groups by it). */
  kind: string;
  /** The DNS message (the UDP payload). */
  message: Uint8Array;
  /** Sent over IPv6 instead of IPv4. */
  v6: boolean;
}

/** A learning case: the response, and the question asked afterwards to see what was learned. */
export interface LearnCase extends DnsCase {
  name: string;
  type: number;
}

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number) => [...u16(Math.floor(n / 65536)), ...u16(n % 65536)];
/** A name in wire form from dotted text; a label may hold any byte (written as a character). */
export const wireName = (name: string) =>
  name === "" ? [0] : [...name.split(".").flatMap((label) => [label.length, ...Array.from(label, (c) => c.charCodeAt(0))]), 0];
const header = (id: number, flags: number, qd: number, an: number, ns: number, ar: number) => [...u16(id), ...u16(flags), ...u16(qd), ...u16(an), ...u16(ns), ...u16(ar)];
const question = (name: number[], type: number, klass = 1) => [...name, ...u16(type), ...u16(klass)];
const record = (owner: number[], type: number, klass: number, ttl: number, data: number[]) => [...owner, ...u16(type), ...u16(klass), ...u32(ttl), ...u16(data.length), ...data];
/** An OPT pseudo-record (RFC 6891 §6.1.2): UDP payload size, extended RCODE, version, flags, options. */
const opt = (o: { size?: number; rcode?: number; version?: number; flags?: number; options?: number[]; owner?: number[] } = {}) =>
  [...(o.owner ?? [0]), ...u16(41), ...u16(o.size ?? 1232), o.rcode ?? 0, o.version ?? 0, ...u16(o.flags ?? 0), ...u16((o.options ?? []).length), ...(o.options ?? [])];
const option = (code: number, data: number[]) => [...u16(code), ...u16(data.length), ...data];
const bytes = (n: number, r: (n: number) => number) => Array.from({ length: n }, () => r(256));

const A = 1;
const AAAA = 28;
const QUERY_FLAGS = 0x0100;

/** Queries to port 53: for names in the zone and not, valid, and broken one way each. */
export function queries(): DnsCase[] {
  const r = replayableRandom(53);
  const cases: DnsCase[] = [];
  const add = (kind: string, ...messages: number[][]) => messages.forEach((m) => cases.push({ kind, message: Uint8Array.from(m), v6: cases.length % 3 === 2 }));
  const www = wireName("www.example.test");
  const basic = (name = www, type = A, flags = QUERY_FLAGS, klass = 1) => [...header(r(65536), flags, 1, 0, 0, 0), ...question(name, type, klass)];
  const withOpt = (o: Parameters<typeof opt>[0], name = www, type = A) => [...header(r(65536), QUERY_FLAGS, 1, 0, 0, 1), ...question(name, type), ...opt(o)];

  for (const name of ["www.example.test", "WWW.Example.TEST", "example.test", "v6.example.test", "v6.EXAMPLE.test", "missing.example.test", "example.net", "", "www.example.test.x"]) {
    for (const type of [A, AAAA, 15, 255, 0, 65535]) add("question", basic(wireName(name), type));
  }
  for (const klass of [0, 2, 3, 4, 254, 255, 0x8001]) add("question", basic(www, A, QUERY_FLAGS, klass));
  // Header bits: RD, AA, TC, Z, AD, CD, QR, each opcode, an RCODE in a query.
  for (const flags of [0, 0x0100, 0x0400, 0x0200, 0x0040, 0x0020, 0x0010, 0x0170, 0x8100, 0x8000, 0x0001, 0x0005, 0x000f, ...[1, 2, 3, 4, 5, 6, 15].map((op) => (op << 11) | 0x0100)]) {
    add("header", basic(www, A, flags));
  }
  // Counts that do not match what follows, and sections a query should not carry.
  const glue = record(wireName("ns.example.test"), A, 1, 300, [192, 0, 2, 1]);
  const q = question(www, A);
  add("counts",
    [...header(1, QUERY_FLAGS, 0, 0, 0, 0)], [...header(1, QUERY_FLAGS, 0, 0, 0, 0), ...q], [...header(1, QUERY_FLAGS, 2, 0, 0, 0), ...q],
    [...header(1, QUERY_FLAGS, 2, 0, 0, 0), ...q, ...q], [...header(1, QUERY_FLAGS, 2, 0, 0, 0), ...q, ...question(wireName("example.test"), AAAA)],
    [...header(1, QUERY_FLAGS, 1, 1, 0, 0), ...q], [...header(1, QUERY_FLAGS, 1, 0, 1, 0), ...q], [...header(1, QUERY_FLAGS, 1, 0, 0, 1), ...q],
    [...header(1, QUERY_FLAGS, 1, 0, 0, 2), ...q, ...opt()], [...header(1, QUERY_FLAGS, 1, 1, 0, 0), ...q, ...record([0xc0, 12], A, 1, 60, [1, 2, 3, 4])],
    [...header(1, QUERY_FLAGS, 1, 0, 1, 0), ...q, ...glue], [...header(1, QUERY_FLAGS, 1, 0, 0, 1), ...q, ...glue],
    [...header(1, QUERY_FLAGS, 1, 0, 0, 2), ...q, ...glue, ...opt()], [...header(1, QUERY_FLAGS, 1, 0, 0, 2), ...q, ...opt(), ...glue],
    [...header(1, QUERY_FLAGS, 1, 0, 0, 2), ...q, ...opt(), ...opt()], [...header(1, QUERY_FLAGS, 1, 1, 0, 0), ...q, ...opt()],
    [...header(1, QUERY_FLAGS, 1, 0, 1, 0), ...q, ...opt()],
    // A TSIG record (type 250, class ANY) last, and one before an OPT.
    [...header(1, QUERY_FLAGS, 1, 0, 0, 1), ...q, ...record(wireName("key.example"), 250, 255, 0, bytes(30, r))],
    [...header(1, QUERY_FLAGS, 1, 0, 0, 2), ...q, ...record(wireName("key.example"), 250, 255, 0, bytes(30, r)), ...opt()]);
  // Names: label lengths at and past 63, the extended label types, pointers (the question's name compressed,
  // looping, pointing forward or into the header), the longest names and one byte past, odd bytes in labels.
  const label63 = "a".repeat(63);
  const longest = [label63, label63, label63, "a".repeat(61)].join("."); // 255 bytes on the wire
  for (const name of [
    wireName(`${label63}.example.test`), [64, ...Array(64).fill(97), 0], [0x40, 0], [0x41, 0], [0x80, 1, 97, 0], [0xbf, 0],
    [0xc0, 12], [0xc0, 13], [0xc0, 0], [0xc0, 20, 0], [3, 119, 119, 119, 0xc0, 12], [3, 119, 119, 119, 0xc0, 0xff],
    wireName(longest), wireName(`a${longest.slice(2)}.b`), wireName(`${longest}.b`), wireName([label63, label63, label63, "a".repeat(59)].join(".")),
    wireName("w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w.w"),
    [3, 119, 0, 119, 7, ...Array.from("example", (c) => c.charCodeAt(0)), 4, ...Array.from("test", (c) => c.charCodeAt(0)), 0],
    [7, ...Array.from("www.exa", (c) => c.charCodeAt(0)), 0], wireName("www\u00c9.example.test"), wireName("www\u00ff.example.test"), [0, 0],
  ]) {
    add("name", [...header(r(65536), QUERY_FLAGS, 1, 0, 0, 0), ...question(name, A)]);
  }
  // EDNS: payload sizes, extended RCODE, versions, flags, options known and unknown, well-formed and not.
  for (const size of [0, 1, 511, 512, 513, 1232, 4096, 65535]) add("edns", withOpt({ size }));
  for (const o of [{ rcode: 1 }, { version: 1 }, { version: 255 }, { flags: 0x8000 }, { flags: 0x4000 }, { flags: 0x0001 }, { flags: 0xffff }, { owner: wireName("example.test") }, { owner: [0xc0, 12] }]) {
    add("edns", withOpt(o));
  }
  const ecs = (family: number, source: number, scope: number, address: number[]) => option(8, [...u16(family), source, scope, ...address]);
  for (const options of [
    option(10, bytes(8, r)), option(10, bytes(24, r)), option(10, bytes(7, r)), option(10, bytes(41, r)), option(10, []),
    ecs(1, 24, 0, [192, 0, 2]), ecs(1, 32, 0, [192, 0, 2, 1]), ecs(2, 56, 0, bytes(7, r)), ecs(1, 24, 0, [192, 0, 2, 1]), ecs(1, 33, 0, [1, 2, 3, 4, 5]),
    ecs(3, 8, 0, [1]), ecs(1, 24, 8, [192, 0, 2]), ecs(1, 0, 0, []), option(8, [0, 1]),
    option(12, Array(100).fill(0)), option(12, []), option(3, []), option(65001, bytes(5, r)), option(15, [0, 4]), option(15, [0]),
    [...option(3, []), ...option(10, bytes(8, r)), ...option(12, [0, 0])], Array.from({ length: 8 }, () => option(65001, [])).flat(),
    Array.from({ length: 9 }, () => option(65001, [])).flat(), [0, 3], [0, 3, 0, 5, 1], [0, 3, 0, 0, 0],
  ]) {
    add("edns-option", withOpt({ options }));
  }
  // An OPT record whose data length disagrees with what follows.
  const good = withOpt({ options: option(10, bytes(8, r)) });
  add("edns-option", [...good.slice(0, -14), ...u16(11), ...good.slice(-12)], [...good.slice(0, -14), ...u16(13), ...good.slice(-12)]);
  // Every cut of a query with an OPT record, and bytes after the end.
  const full = withOpt({ flags: 0x8000, options: option(10, bytes(8, r)) }, wireName("v6.example.test"), AAAA);
  for (let n = 0; n < full.length; n++) add("cut", full.slice(0, n));
  for (const tail of [[0], [0, 0], bytes(3, r), bytes(40, r)]) add("trailing", [...basic(), ...tail], [...full, ...tail]);
  // Random queries for the zone's names as resolvers send them, a third of them with one byte changed,
  // removed or added somewhere.
  const names = ["www.example.test", "example.test", "v6.example.test", "missing.example.test"];
  const options = [option(10, bytes(8, r)), option(10, bytes(16, r)), ecs(1, 24, 0, [192, 0, 2]), ecs(2, 48, 0, bytes(6, r)), option(12, Array(r(40)).fill(0)), option(3, [])];
  for (let i = 0; i < 400; i++) {
    const name = Array.from(names[r(names.length)], (c) => (r(3) === 0 ? c.toUpperCase() : c)).join("");
    const edns = r(3) > 0;
    const m = [...header(r(65536), [0x0100, 0, 0x0120, 0x0110][r(4)], 1, 0, 0, edns ? 1 : 0), ...question(wireName(name), [A, AAAA, AAAA, A, 15][r(5)])];
    if (edns) m.push(...opt({ size: [512, 1232, 4096][r(3)], flags: r(2) * 0x8000, options: Array.from({ length: r(3) }, () => options[r(options.length)]).flat() }));
    const at = r(m.length);
    const change = r(9);
    if (change === 0) m[at] = r(256);
    if (change === 1) m.splice(at, 1);
    if (change === 2) m.splice(at, 0, r(256));
    add("random", m);
  }
  return cases;
}

const NAME = "cached.example.net";

/** Responses from port 53 for a name outside the zone, then the question asked to see what was learned. */
export function responses(): LearnCase[] {
  const r = replayableRandom(1035);
  const cases: LearnCase[] = [];
  const add = (kind: string, type: number, ...messages: number[][]) => messages.forEach((m) => cases.push({ kind, message: Uint8Array.from(m), v6: false, name: NAME, type }));
  const qname = wireName(NAME);
  const ptr = [0xc0, 12];
  const a = (last: number, ttl = 300, owner = ptr) => record(owner, A, 1, ttl, [192, 0, 2, last]);
  const aaaa = (last: number, ttl = 300) => record(ptr, AAAA, 1, ttl, [0x20, 1, 0x0d, 0xb8, ...Array(11).fill(0), last]);
  const response = (answers: number[][], o: { flags?: number; type?: number; authority?: number[][]; additional?: number[][]; counts?: number[]; q?: number[] } = {}) => {
    const counts = o.counts ?? [1, answers.length, (o.authority ?? []).length, (o.additional ?? []).length];
    return [...header(r(65536), o.flags ?? 0x8180, counts[0], counts[1], counts[2], counts[3]), ...(o.q ?? question(qname, o.type ?? A)), ...answers.flat(), ...(o.authority ?? []).flat(), ...(o.additional ?? []).flat()];
  };

  add("response", A, response([a(1)]), response([a(1), a(2), a(3)]), response([a(1, 60), a(2, 3600)]), response([a(1), a(1)]), response([a(1, 0)]), response([a(1, 1)]),
    response([a(1, 0x7fffffff)]), response([a(1, 0x80000000)]), response([a(1, 0xffffffff)]), response([a(1, 100000)]), response([a(1, 60), a(1, 30)]),
    response([a(1)], { authority: [record(wireName("example.net"), 2, 1, 300, wireName("ns.example.net"))], additional: [a(9, 300, wireName("ns.example.net")), opt()] }),
    response([a(1, 300, qname)]), response([a(1, 300, wireName("CACHED.example.NET"))]), response([a(1, 300, wireName("other.example.net"))]),
    response([record(ptr, 5, 1, 300, wireName("alias.example.net")), a(7, 300, wireName("alias.example.net"))]),
    response([record(ptr, A, 3, 300, [192, 0, 2, 1])]), response([record(ptr, AAAA, 1, 300, [192, 0, 2, 1])]), response([a(1), record(ptr, 16, 1, 300, [3, 97, 98, 99])]),
    response(Array.from({ length: 33 }, (_, i) => a(i))), response(Array.from({ length: 40 }, (_, i) => a(i))), response(Array.from({ length: 41 }, (_, i) => a(i))));
  add("response", AAAA, response([aaaa(1), aaaa(2)], { type: AAAA }), response([aaaa(1, 90)], { type: AAAA, additional: [opt({ flags: 0x8000 })] }), response([a(1)], { type: AAAA }));
  // Header: not a response, truncated, each RCODE, other opcodes, AA, two questions, none.
  for (const flags of [0x0100, 0x8380, 0x8183, 0x8182, 0x8185, 0x8580, 0x8980, 0x81c0, 0x81b0]) add("response-header", A, response([a(1)], { flags }));
  add("response-header", A, response([a(1)], { counts: [2, 1, 0, 0] }), response([a(1)], { counts: [0, 1, 0, 0], q: [] }));
  // Records that are malformed: data of the wrong size, counts that disagree, pointers forward or looping.
  const good = response([a(1), a(2)], { additional: [opt()] });
  add("response-record", A,
    response([record(ptr, A, 1, 300, [192, 0, 2])]), response([record(ptr, A, 1, 300, [192, 0, 2, 1, 0])]), response([a(1), record(ptr, AAAA, 1, 300, [1, 2, 3, 4])]),
    response([a(1)], { counts: [1, 2, 0, 0] }), response([a(1), a(2)], { counts: [1, 1, 0, 0] }), response([a(1)], { counts: [1, 1, 1, 0] }),
    response([a(1)], { counts: [1, 1, 0, 1] }), response([record([0xc0, 40], A, 1, 300, [192, 0, 2, 1])]), response([record([0xc0, 36], A, 1, 300, [192, 0, 2, 1])]),
    response([a(1)], { additional: [opt(), opt()] }), response([a(1), opt()]), response([a(1)], { additional: [opt({ owner: ptr })] }),
    response([a(1)], { additional: [record(wireName("key.example"), 250, 255, 0, bytes(30, r))] }),
    [...good, 0], [...good, ...bytes(9, r)], good.slice(0, -1), good.slice(0, -11), good.slice(0, -12), good.slice(0, -27));
  // Random responses as resolvers send them (answers, a CNAME, referral records, EDNS), a third of them with
  // one byte changed, removed or added somewhere.
  const soa = record(wireName("example.net"), 6, 1, 300, [...wireName("ns.example.net"), ...wireName("admin.example.net"), ...Array(20).fill(1)]);
  const cname = record(ptr, 5, 1, 300, [5, 97, 108, 105, 97, 115, 0xc0, 19]);
  for (let i = 0; i < 300; i++) {
    const type = r(2) === 0 ? A : AAAA;
    const answers = Array.from({ length: r(4) }, () => (type === A ? a(r(256), r(2) ? 300 : r(100000)) : aaaa(r(256), r(2) ? 300 : r(100000))));
    if (r(5) === 0) answers.unshift(cname);
    const m = response(answers, { type, authority: r(3) === 0 ? [soa] : [], additional: r(2) ? [opt({ flags: r(2) * 0x8000 })] : [] });
    const at = r(m.length);
    const change = r(9);
    if (change === 0) m[at] = r(256);
    if (change === 1) m.splice(at, 1);
    if (change === 2) m.splice(at, 0, r(256));
    add("response-random", type, m);
  }
  return cases;
}
