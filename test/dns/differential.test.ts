/**
 * xdp-dns against dnspython on a generated corpus (corpus.ts). Queries: the hook may answer only what
 * dnspython reads as a well-formed query for a name and type of the zone, and its answer must be what
 * dnspython reads from the zone file, accepted by `Message.is_response`. Upstream responses: the hook may
 * learn only from a response dnspython reads as well-formed and successful, and exactly its answer RRset.
 * Each input is agree, stricter (the hook passes what it could answer or learn) or laxer; laxer must never
 * happen, and stricter only for the kinds of input listed, with why, in the template's README.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../common/paths.js";
import { DNS_FLAG, parsePacket, udpPacket } from "../../runtime/packets.js";
import { loadHook, type Hook } from "../../runtime/testing.js";
import { compileZone, entryKey } from "../../zone/index.js";
import { dnspythonZones } from "../helpers/python.js";
import { verdictTable, type Verdict } from "../helpers/verdicts.js";
import { queries, responses, wireName, type DnsCase } from "./corpus.js";
import { dnspython, type Parsed, type RRset, type Reference } from "./dnspython.js";

const TEMPLATE = path.join(packageRoot, "templates/xdp-dns");
const ZONE = fs.readFileSync(path.join(TEMPLATE, "example.test.zone"), "utf8");
const CLIENT = { v4: "10.0.0.1", v6: "2001:db8::1" };
const SERVER = { v4: "10.0.0.53", v6: "2001:db8::53" };
/** Longest time the hook keeps a learned answer (README "What is learned"). */
const MAX_TTL = 86400;
const MAX_LEARNED = 32;

/** Kinds of input the hook knowingly passes though dnspython reads them (README "What passes untouched"). */
const STRICTER_KINDS = ["edns-option", "response", "response-record", "response-random"];

const frame = (c: DnsCase, toServer: boolean) => {
  const [client, server] = c.v6 ? [CLIENT.v6, SERVER.v6] : [CLIENT.v4, SERVER.v4];
  return toServer
    ? udpPacket({ src: client, dst: server, srcPort: 40000, dstPort: 53, payload: c.message })
    : udpPacket({ src: server, dst: client, srcPort: 53, dstPort: 40000, payload: c.message });
};
const { QR, AA, TC, RD, RA } = DNS_FLAG;
/** The DO bit of an OPT record's flags (RFC 3225). */
const DO = 0x8000;

const queryCases = queries();
const learnCases = responses();
let hook: Hook;
/** The hook's reply to each query (undefined: passed), then its reply to the question asked after each response. */
const replies: (Uint8Array | undefined)[] = [];
const learned: (Uint8Array | undefined)[] = [];
let ref: Reference;
/** The zone file's A and AAAA RRsets as dnspython reads them, by "name/type" (name without the final dot). */
const zoneSets: Record<string, RRset> = {};

/** The hook's verdict on one frame: the reply's DNS message, or undefined when it passed the frame untouched. */
function run(packet: Uint8Array): Uint8Array | undefined {
  const result = hook.runXdp(packet);
  if (result.actionName === "pass") {
    expect(result.packet).toEqual(packet);
    return undefined;
  }
  expect(result.actionName).toBe("tx");
  const sent = parsePacket(packet);
  const reply = parsePacket(result.packet);
  // Back to the sender: addresses and ports swapped, checksums right.
  expect([reply.ip!.src, reply.ip!.dst, reply.udp!.srcPort, reply.udp!.dstPort]).toEqual([sent.ip!.dst, sent.ip!.src, sent.udp!.dstPort, sent.udp!.srcPort]);
  expect(reply.ip!.checksumOk && reply.udp!.checksumOk).toBe(true);
  return reply.udp!.payload;
}

beforeAll(async () => {
  hook = await loadHook(path.join(TEMPLATE, "src/dns.ts"), { limits: { instructions: 30000 } });
  // A clock that stands still: learned TTLs are then exactly the ones the responses gave.
  hook.engine!.clock.set(1000n * 1_000_000_000n);
  const zone = compileZone(ZONE, "example.test.zone");
  if (!zone.ok) throw new Error(JSON.stringify(zone.diagnostics));
  for (const e of zone.entries) hook.rcu.set(e.key, e.value);
  for (const c of queryCases) replies.push(run(frame(c, true)));
  for (const c of learnCases) {
    for (const type of [1, 28]) hook.rcu.set(entryKey(c.name, type).toString("latin1"), undefined);
    expect(run(frame(c, false))).toBeUndefined();
    learned.push(run(udpPacket({ src: CLIENT.v4, dst: SERVER.v4, srcPort: 40001, dstPort: 53, payload: question(c.name, c.type) })));
  }
  const pairs: [Uint8Array, Uint8Array][] = [];
  queryCases.forEach((c, i) => replies[i] && pairs.push([c.message, replies[i]!]));
  learnCases.forEach((c, i) => learned[i] && pairs.push([question(c.name, c.type), learned[i]!]));
  ref = await dnspython([...queryCases, ...learnCases].map((c) => c.message), pairs);
  for (const set of (await dnspythonZones([ZONE]))[0]!) {
    const name = set.name.slice(0, -1);
    zoneSets[`${name}/${set.type}`] = { name, type: set.type, klass: 1, ttl: set.ttl, rdatas: set.rdata };
  }
}, 120_000);

/** A query (RD set; EDNS, so that up to 32 learned records fit the reply) for `name` and `type`. */
function question(name: string, type: number): Uint8Array {
  return Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, ...wireName(name), 0, type, 0, 1, 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
}

const opcode = (flags: number) => (flags >> 11) & 15;
const rcode = (flags: number) => flags & 15;
const ancount = (m: Uint8Array) => (m[6] << 8) | m[7];

/** Whether `q` (as dnspython reads it) is a query the zone answers: the one thing the hook may answer. */
function servable(q: Parsed): boolean {
  if (!q.ok || q.flags & QR || opcode(q.flags) !== 0 || q.question.length !== 1) return false;
  const [name, type, klass] = q.question[0];
  return klass === 1 && (type === 1 || type === 28) && `${name}/${type}` in zoneSets && q.answer.length === 0 && q.authority === 0 && q.additional === 0 && !q.tsig && q.edns <= 0;
}

/** What is wrong with a reply to `q` (dnspython's reading of both), or "" when nothing is. */
function replyFault(q: Parsed, reply: Parsed & { isResponse: boolean }, bytes: Uint8Array): string {
  if (!reply.ok || !reply.isResponse) return `not a response to the query: ${reply.error ?? "is_response false"}`;
  const [name, type] = q.question[0];
  const rrset = zoneSets[`${name}/${type}`];
  const want = { flags: QR | AA | (q.flags & RD), answer: [{ ...rrset, name }], edns: q.edns, ednsDo: q.ednsFlags & DO, sections: [0, 0] };
  const got = { flags: reply.flags, answer: reply.answer, edns: reply.edns, ednsDo: reply.ednsFlags & DO, sections: [reply.authority, reply.additional] };
  if (JSON.stringify(want) !== JSON.stringify(got)) return `reply ${JSON.stringify(got)}, zone says ${JSON.stringify(want)}`;
  if (ancount(bytes) !== rrset.rdatas.length) return `${ancount(bytes)} answer records for an RRset of ${rrset.rdatas.length}`;
  const room = q.edns === 0 ? Math.max(512, q.payload) : 512;
  return bytes.length > room ? `${bytes.length} bytes where the client takes ${room}` : "";
}

/** The RRset a cache may learn from `response` to a question for `c`'s name and type, as dnspython reads it. */
function learnable(c: { name: string; type: number }, response: Parsed): RRset | undefined {
  if (!response.ok || (response.flags & (QR | TC)) !== QR || opcode(response.flags) !== 0 || rcode(response.flags) !== 0) return undefined;
  if (JSON.stringify(response.question) !== JSON.stringify([[c.name, c.type, 1]])) return undefined;
  const rrset = response.answer.find((s) => s.name === c.name && s.type === c.type && s.klass === 1);
  return rrset && rrset.ttl > 0 && rrset.ttl < 2 ** 31 ? rrset : undefined;
}

/** What is wrong with what the hook learned from `response` (answered to a question for it), or "" when nothing is. */
function learnedFault(c: { name: string; type: number }, response: Parsed, reply: Parsed & { isResponse: boolean }, bytes: Uint8Array): string {
  const expected = learnable(c, response);
  if (!expected) return `learned from a response dnspython reads as ${response.ok ? JSON.stringify(response) : response.error}`;
  if (!reply.ok || !reply.isResponse) return `answer not a response to the query: ${reply.error ?? "is_response false"}`;
  const rdatas = expected.rdatas.length > MAX_LEARNED ? reply.answer[0]?.rdatas.filter((r) => expected.rdatas.includes(r)) : expected.rdatas;
  const want = { flags: QR | RD | RA, answer: [{ ...expected, ttl: Math.min(expected.ttl, MAX_TTL), rdatas }] };
  const got = { flags: reply.flags, answer: reply.answer };
  if (JSON.stringify(want) !== JSON.stringify(got)) return `answered ${JSON.stringify(got)}, the response says ${JSON.stringify(want)}`;
  const count = Math.min(expected.rdatas.length, MAX_LEARNED);
  return ancount(bytes) === count ? "" : `${ancount(bytes)} answer records for an RRset of ${count}`;
}

function report(what: string, verdicts: { c: DnsCase; verdict: Verdict; detail: string }[]) {
  console.log(`\nxdp-dns ${what} against dnspython, ${verdicts.length} inputs\n${verdictTable(verdicts.map((v) => ({ kind: v.c.kind, verdict: v.verdict })))}`);
  const hex = (c: DnsCase) => `${c.kind}${c.v6 ? " (IPv6)" : ""} ${Buffer.from(c.message).toString("hex")}`;
  expect(verdicts.filter((v) => v.verdict === "laxer").map((v) => `${hex(v.c)}: ${v.detail}`)).toEqual([]);
  expect(verdicts.filter((v) => v.verdict === "stricter" && !STRICTER_KINDS.includes(v.c.kind)).map((v) => `${hex(v.c)}: ${v.detail}`)).toEqual([]);
}

describe("xdp-dns against dnspython", () => {
  it("corpus: each kind of query has inputs dnspython reads and inputs it refuses; some are answered", () => {
    expect(queryCases.length).toBeGreaterThan(600);
    for (const kind of ["counts", "name", "edns-option", "random"]) {
      const oks = new Set(queryCases.flatMap((c, i) => (c.kind === kind ? [ref.queries[i].ok] : [])));
      expect([...oks].sort(), kind).toEqual([false, true]);
    }
    expect(replies.filter(Boolean).length).toBeGreaterThan(100);
    expect(learned.filter(Boolean).length).toBeGreaterThan(10);
  });

  it("answers only well-formed queries for the zone's names, with the zone's RRset, as a response dnspython accepts", () => {
    let r = 0;
    report("queries", queryCases.map((c, i) => {
      const q = ref.queries[i];
      const bytes = replies[i];
      if (bytes === undefined) return { c, verdict: servable(q) ? "stricter" : "agree", detail: `passed; dnspython ${q.ok ? JSON.stringify(q) : q.error}` };
      const reply = ref.replies[r++];
      if (!servable(q)) return { c, verdict: "laxer", detail: `answered; dnspython ${q.ok ? JSON.stringify(q) : q.error}` };
      const fault = replyFault(q, reply, bytes);
      return { c, verdict: fault ? "laxer" : "agree", detail: fault };
    }));
  });

  it("learns only from well-formed, successful responses, exactly their answer RRset for the question", () => {
    let r = ref.replies.length - learned.filter(Boolean).length;
    report("responses", learnCases.map((c, i) => {
      const response = ref.queries[queryCases.length + i];
      const bytes = learned[i];
      if (bytes === undefined) {
        return { c, verdict: learnable(c, response) ? "stricter" : "agree", detail: `not learned; dnspython ${response.ok ? JSON.stringify(response) : response.error}` };
      }
      const fault = learnedFault(c, response, ref.replies[r++], bytes);
      return { c, verdict: fault ? "laxer" : "agree", detail: fault };
    }));
  });
});
