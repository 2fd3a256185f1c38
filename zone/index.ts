/**
 * DNS zone files (RFC 1035 §5, master-file syntax) compiled into the rcu entries the xdp-dns hook reads
 * (templates/xdp-dns/README.md, "The zone in rcu"): one entry per owner name and type, in wire form.
 *
 * - key: the owner name in wire form, lower case, root label included, then the type (2 bytes, big-endian):
 *   exactly the bytes of a question for it, lower-cased, without the class;
 * - value: the count of records (1 byte), the time they expire (4 bytes, big-endian; 0: never, a zone
 *   entry), then the answer records ready to copy into a reply: owner as a pointer to the question (offset
 *   12), type, class IN, TTL, data length, address.
 *
 * Read: `$ORIGIN` (absolute), `$TTL`, owners (absolute, relative to the origin, `@`, or blank for the previous one),
 * TTL (seconds, or BIND's durations such as `1h30m`) and class IN in either order, comments, records continued over lines in parentheses; A and AAAA are
 * compiled, SOA and NS checked and left out (the hook answers A and AAAA only). Names must lie in the zone
 * (under the first $ORIGIN, else the SOA's owner), as other zone readers keep only those. Anything else is a located
 * error from the catalog (KS6xxx). Keys and values are strings of bytes, one per character, as Lua strings
 * and the rcu table hold them.
 */
import { RCU_LIMITS } from "../common/dialect.js";
import { diagnostic, type Code, type Diagnostic } from "../common/diagnostics.js";

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
/** The longest wire name whose key (name + 2 type bytes) fits an rcu key of 255 bytes. */
export const MAX_KEY_NAME = 253;
/** Records of a type in one entry: the count is one byte, and the value (5 bytes, then the records) fits RCU_LIMITS. */
export const maxRecords = (type: number) => Math.min(255, Math.floor((RCU_LIMITS.valueBytes - 5) / (12 + (type === TYPE_A ? 4 : 16))));
const MAX_TTL = 2147483647; // RFC 2181 §8

export interface ZoneEntry {
  /** Owner name, lower case, absolute (with the final dot). */
  name: string;
  type: typeof TYPE_A | typeof TYPE_AAAA;
  /** The RRset's TTL: the smallest its records were given (as dnspython and RFC 2181 §5.2 make it). */
  ttl: number;
  /** Addresses as written, in the order first written, duplicates removed. */
  addresses: string[];
  /** rcu key and value, bytes as characters. */
  key: string;
  value: string;
}

export interface ZoneResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  entries: ZoneEntry[];
  /** SOA and NS records read (checked, not compiled). */
  skipped: number;
}

interface Token {
  text: string;
  line: number;
  column: number;
}

/** One logical record: its tokens, and whether its line began with blank space (the previous owner). */
interface Logical {
  tokens: Token[];
  blankOwner: boolean;
  line: number;
}

class ZoneError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

function fail(code: Code, args: (string | number)[], at: { line: number; column: number; length?: number }, file: string): never {
  throw new ZoneError(diagnostic(code, args, { file, line: at.line, column: at.column, length: at.length }));
}

/** The logical records of the text: comments dropped, parenthesised lines joined (RFC 1035 §5.1). */
function* logicalRecords(text: string, file: string): Generator<Logical> {
  const lines = text.split(/\r?\n/);
  let current: Logical | undefined;
  let open: Token | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (open === undefined) current = { tokens: [], blankOwner: /^[ \t]/.test(line), line: i + 1 };
    let c = 0;
    while (c < line.length) {
      const ch = line[c];
      if (ch === " " || ch === "\t") {
        c++;
        continue;
      }
      if (ch === ";") break;
      const at = { line: i + 1, column: c + 1 };
      if (ch === "(") {
        if (open) fail("KS6010", ["A second '(' before the first is closed"], at, file);
        open = { text: "(", ...at };
        c++;
        continue;
      }
      if (ch === ")") {
        if (!open) fail("KS6010", ["This ')' closes no '('"], at, file);
        open = undefined;
        c++;
        continue;
      }
      if (ch === '"') fail("KS6014", ["Quoted strings"], at, file);
      let end = c;
      while (end < line.length && !" \t;()\"".includes(line[end])) end++;
      const word = line.slice(c, end);
      if (word.includes("\\")) fail("KS6014", ["Escapes ('\\')"], { ...at, column: c + 1 + word.indexOf("\\") }, file);
      current!.tokens.push({ text: word, ...at });
      c = end;
    }
    if (open === undefined && current!.tokens.length > 0) yield current!;
  }
  if (open) fail("KS6010", ["This '(' is never closed"], open, file);
}

/** A name's labels (lower case) made absolute; '@' is the origin. */
function nameLabels(token: Token, origin: string[] | undefined, file: string): string[] {
  const text = token.text;
  const where = { line: token.line, column: token.column, length: text.length };
  if (text === "@") {
    if (!origin) fail("KS6008", [text], where, file);
    return origin;
  }
  if (text === ".") return [];
  const absolute = text.endsWith(".");
  const labels = (absolute ? text.slice(0, -1) : text).split(".");
  for (const label of labels) {
    if (label.length === 0) fail("KS6002", [text, "it has an empty label (two dots in a row, or a leading dot)"], where, file);
    if (label.length > 63) fail("KS6002", [text, `the label '${label.slice(0, 16)}…' is ${label.length} bytes, the most is 63`], where, file);
    if (/[^\x21-\x7e]/.test(label)) fail("KS6002", [text, "labels here are printable ASCII"], where, file);
  }
  const lower = labels.map((l) => l.toLowerCase());
  if (absolute) return checkLength(lower, token, file);
  if (!origin) fail("KS6008", [text], where, file);
  return checkLength([...lower, ...origin], token, file);
}

/** Whether a name (labels) is the zone's apex or under it. */
const inZone = (labels: string[], zone: string[]) => labels.length >= zone.length && labels.slice(labels.length - zone.length).join(".") === zone.join(".");

const wireLength = (labels: string[]) => labels.reduce((n, l) => n + 1 + l.length, 1);

function checkLength(labels: string[], token: Token, file: string): string[] {
  const n = wireLength(labels);
  if (n > 255) fail("KS6002", [token.text, `it is ${n} bytes on the wire, the most is 255`], { ...token, length: token.text.length }, file);
  return labels;
}

function wireName(labels: string[]): Buffer {
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l, "latin1")])), Buffer.of(0)]);
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Seconds, plain or as BIND's durations (`1h30m`, `2D`, units s m h d w in any case), as dnspython reads them. */
function duration(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^(\d+[smhdw])+$/i.test(text)) return NaN;
  return [...text.matchAll(/(\d+)([smhdw])/gi)].reduce((total, [, n, unit]) => total + Number(n) * UNIT_SECONDS[unit.toLowerCase()], 0);
}

function ttlOf(token: Token, file: string): number {
  const n = duration(token.text);
  if (!(n <= MAX_TTL)) fail("KS6003", [token.text], { ...token, length: token.text.length }, file);
  return n;
}

export function ipv4Bytes(text: string): Buffer | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return Buffer.from(parts.map(Number));
}

export function ipv6Bytes(text: string): Buffer | undefined {
  let groups: string[];
  let tail: Buffer = Buffer.alloc(0);
  let body = text;
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4Bytes(v4[2]);
    if (!b) return undefined;
    tail = b;
    body = v4[1].endsWith("::") ? v4[1] : v4[1].slice(0, -1);
  }
  const want = 8 - tail.length / 2;
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const split = (s: string) => (s === "" ? [] : s.split(":"));
  if (halves.length === 2) {
    const [head, rest] = [split(halves[0]), split(halves[1])];
    if (head.length + rest.length > want - 1) return undefined;
    groups = [...head, ...Array<string>(want - head.length - rest.length).fill("0"), ...rest];
  } else {
    groups = split(body);
    if (groups.length !== want) return undefined;
  }
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 2 * i));
  tail.copy(out, 16 - tail.length);
  return out;
}

const CLASSES = new Set(["IN", "CH", "CS", "HS"]);

interface RRset {
  labels: string[];
  type: typeof TYPE_A | typeof TYPE_AAAA;
  ttl: number;
  addresses: string[];
  rdata: Buffer[];
  /** Where it was first written, for a diagnostic about the whole set. */
  first: Token;
}

/** A name's labels as absolute text ("." for the root). */
const dotted = (labels: readonly string[]): string => (labels.length === 0 ? "." : `${labels.join(".")}.`);

/** The zone a file describes: its first $ORIGIN, else its first SOA's owner; and what said so. */
interface Apex {
  labels: string[];
  source: string;
}

function parse(text: string, file: string): { sets: RRset[]; skipped: number; apex: Apex | undefined } {
  const sets = new Map<string, RRset>();
  let origin: string[] | undefined;
  let apex: Apex | undefined;
  let defaultTtl: number | undefined;
  let lastTtl: number | undefined;
  let owner: string[] | undefined;
  let skipped = 0;
  for (const record of logicalRecords(text, file)) {
    const tokens = record.tokens;
    let i = 0;
    const next = (what: string): Token => {
      const t = tokens[i++];
      if (t === undefined) {
        const last = tokens[tokens.length - 1];
        fail("KS6011", [what, "the end of the record"], { line: last.line, column: last.column + last.text.length }, file);
      }
      return t;
    };
    const end = () => {
      const t = tokens[i];
      if (t !== undefined) fail("KS6011", ["the end of the record", `'${t.text}'`], { ...t, length: t.text.length }, file);
    };
    const first = tokens[0];
    if (!record.blankOwner && first.text.startsWith("$")) {
      i = 1;
      const directive = first.text.toUpperCase();
      if (directive === "$ORIGIN") {
        const name = next("a domain name");
        if (!name.text.endsWith(".")) fail("KS6017", [name.text, origin ? `${origin.join(".")}.` : "example.com."], { ...name, length: name.text.length }, file);
        origin = nameLabels(name, origin, file);
        apex ??= { labels: origin, source: "its first $ORIGIN" };
      } else if (directive === "$TTL") {
        defaultTtl = ttlOf(next("a TTL"), file);
      } else {
        fail("KS6009", [first.text], { ...first, length: first.text.length }, file);
      }
      end();
      continue;
    }
    if (!record.blankOwner) {
      owner = nameLabels(first, origin, file);
      if (owner[0] === "*") fail("KS6015", [first.text], { ...first, length: first.text.length }, file);
      i = 1;
    } else if (!owner) {
      fail("KS6011", ["an owner name before the first record", "a record that begins with blank space"], first, file);
    }
    // TTL and class, in either order (RFC 1035 §5.1), then the type.
    let ttl: number | undefined;
    let sawClass = false;
    let t = next("a record type");
    for (let k = 0; k < 2; k++) {
      if (ttl === undefined && /^\d/.test(t.text)) {
        ttl = ttlOf(t, file);
        lastTtl = ttl;
      } else if (!sawClass && CLASSES.has(t.text.toUpperCase())) {
        if (t.text.toUpperCase() !== "IN") fail("KS6006", [t.text], { ...t, length: t.text.length }, file);
        sawClass = true;
      } else break;
      t = next("a record type");
    }
    const type = t.text.toUpperCase();
    if (type === "SOA") {
      apex ??= { labels: owner!, source: "the owner of its SOA record" };
      // A zone has its SOA at its apex (RFC 1035 §5.2); BIND, NSD and dnspython refuse one elsewhere.
      if (owner!.join(".") !== apex.labels.join(".")) {
        fail("KS6018", [dotted(owner!), dotted(apex.labels), apex.source], { ...first, length: record.blankOwner ? 1 : first.text.length }, file);
      }
    }
    if (type === "SOA" || type === "NS") {
      // Checked as RFC 1035 §3.3 writes them: NS a name; SOA two names and five 32-bit numbers.
      nameLabels(next("a domain name"), origin, file);
      if (type === "SOA") {
        nameLabels(next("a domain name"), origin, file);
        for (const what of ["serial", "refresh", "retry", "expire", "minimum"]) {
          const n = next(`the SOA ${what}`);
          // The serial is a number; the four times may be durations, as in BIND and dnspython.
          const value = what === "serial" ? (/^\d+$/.test(n.text) ? Number(n.text) : NaN) : duration(n.text);
          if (!(value <= 0xffffffff)) fail("KS6011", [`the SOA ${what} (${what === "serial" ? "a number" : "seconds or a duration such as 1h"} 0 to 4294967295)`, `'${n.text}'`], { ...n, length: n.text.length }, file);
          // Without $TTL, the SOA's minimum is the default (RFC 1035 §3.3.13, as BIND and dnspython read it).
          if (what === "minimum" && defaultTtl === undefined) {
            defaultTtl = value;
            ttl ??= defaultTtl;
          }
        }
      }
      end();
      if ((ttl ?? defaultTtl ?? lastTtl) === undefined) fail("KS6007", [], first, file);
      skipped++;
      continue;
    }
    if (type !== "A" && type !== "AAAA") fail("KS6001", [t.text], { ...t, length: t.text.length }, file);
    const address = next(type === "A" ? "an IPv4 address" : "an IPv6 address");
    const bytes = type === "A" ? ipv4Bytes(address.text) : ipv6Bytes(address.text);
    if (!bytes) fail(type === "A" ? "KS6004" : "KS6005", [address.text], { ...address, length: address.text.length }, file);
    end();
    const recordTtl = ttl ?? defaultTtl ?? lastTtl;
    if (recordTtl === undefined) fail("KS6007", [], first, file);
    const typeNumber = type === "A" ? TYPE_A : TYPE_AAAA;
    const slot = `${owner!.join(".")}/${typeNumber}`;
    let set = sets.get(slot);
    if (!set) sets.set(slot, (set = { labels: owner!, type: typeNumber, ttl: recordTtl, addresses: [], rdata: [], first }));
    set.ttl = Math.min(set.ttl, recordTtl);
    if (!set.rdata.some((r) => r.equals(bytes))) {
      set.rdata.push(bytes);
      set.addresses.push(address.text);
    }
  }
  return { sets: [...sets.values()], skipped, apex };
}

/** The answer records of a set, ready to follow a question at offset 12 of a reply. */
function answerRecords(type: number, ttl: number, rdata: readonly Uint8Array[]): Buffer {
  return Buffer.concat(
    rdata.map((r) => {
      const head = Buffer.alloc(12);
      head.writeUInt16BE(0xc00c, 0);
      head.writeUInt16BE(type, 2);
      head.writeUInt16BE(1, 4);
      head.writeUInt32BE(ttl, 6);
      head.writeUInt16BE(r.length, 10);
      return Buffer.concat([head, r]);
    }),
  );
}

/** An rcu value: count, expiry (0: a zone entry, never), records. */
export function entryValue(type: number, ttl: number, rdata: readonly Uint8Array[], expires = 0): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(rdata.length, 0);
  head.writeUInt32BE(expires, 1);
  return Buffer.concat([head, answerRecords(type, ttl, rdata)]);
}

/** The rcu key of a name (labels, or dotted text) and type. */
export function entryKey(name: string[] | string, type: number): Buffer {
  const labels = typeof name === "string" ? name.toLowerCase().replace(/\.$/, "").split(".").filter((l) => l !== "") : name;
  const t = Buffer.alloc(2);
  t.writeUInt16BE(type);
  return Buffer.concat([wireName(labels), t]);
}

export function compileZone(text: string, file: string): ZoneResult {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(text, file);
  } catch (error) {
    if (error instanceof ZoneError) return { ok: false, diagnostics: [error.diagnostic], entries: [], skipped: 0 };
    throw error;
  }
  const diagnostics: Diagnostic[] = [];
  const entries: ZoneEntry[] = [];
  for (const set of parsed.sets) {
    const name = dotted(set.labels);
    const where = { file, line: set.first.line, column: set.first.column, length: set.first.text.length };
    const apex = parsed.apex;
    if (apex && !inZone(set.labels, apex.labels)) {
      diagnostics.push(diagnostic("KS6016", [name, dotted(apex.labels), apex.source], where));
      continue;
    }
    const bytes = wireLength(set.labels);
    if (bytes > MAX_KEY_NAME) {
      diagnostics.push(diagnostic("KS6013", [name, bytes], where));
      continue;
    }
    if (set.rdata.length > maxRecords(set.type)) {
      diagnostics.push(diagnostic("KS6012", [name, set.rdata.length, set.type === TYPE_A ? "A" : "AAAA", maxRecords(set.type)], where));
      continue;
    }
    entries.push({
      name,
      type: set.type,
      ttl: set.ttl,
      addresses: set.addresses,
      key: entryKey(set.labels, set.type).toString("latin1"),
      value: entryValue(set.type, set.ttl, set.rdata).toString("latin1"),
    });
  }
  return { ok: diagnostics.length === 0, diagnostics, entries: diagnostics.length === 0 ? entries : [], skipped: parsed.skipped };
}
