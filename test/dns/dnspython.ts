/**
 * The reference: dnspython (Debian's python3-dnspython) reading each message with `dns.message.from_wire`
 * (strict: trailing bytes, bad counts, malformed names, records and EDNS are errors) and the zone file with
 * `dns.zone.from_text`, in one Python process for the whole corpus.
 */
import { spawnSync } from "node:child_process";

/** A parsed message as dnspython reads it, or the exception it raised. */
export interface Parsed {
  ok: boolean;
  error?: string;
  flags: number;
  /** Questions: lower-case name without the final dot, type, class. */
  question: [name: string, type: number, klass: number][];
  /** Answer RRsets (dnspython merges records of one name, type and class, with the smallest TTL). */
  answer: RRset[];
  /** Records in the authority and additional sections (OPT and TSIG are not records here). */
  authority: number;
  additional: number;
  /** EDNS version, or -1 without an OPT record; its payload size, flags and number of options. */
  edns: number;
  payload: number;
  ednsFlags: number;
  options: number;
  tsig: boolean;
}

export interface RRset {
  name: string;
  type: number;
  klass: number;
  ttl: number;
  /** Record data in hex, sorted. */
  rdatas: string[];
}

export interface Reference {
  queries: Parsed[];
  /** Each reply, read and checked as an answer to its query by dnspython's `Message.is_response`. */
  replies: (Parsed & { isResponse: boolean })[];
  /** The zone's A and AAAA RRsets, by "name/type". */
  zone: Record<string, RRset>;
}

const SCRIPT = String.raw`
import json, sys
import dns.message, dns.name, dns.rdataclass, dns.rdatatype, dns.zone

def rrsets(section):
    return [{"name": s.name.to_text(omit_final_dot=True).lower(), "type": int(s.rdtype), "klass": int(s.rdclass), "ttl": s.ttl,
             "rdatas": sorted(r.to_digestable().hex() for r in s)} for s in section]

def parse(hexbytes):
    try:
        m = dns.message.from_wire(bytes.fromhex(hexbytes))
    except Exception as e:
        return None, {"ok": False, "error": type(e).__name__ + ": " + str(e)[:80]}
    return m, {"ok": True, "flags": m.flags,
               "question": [[q.name.to_text(omit_final_dot=True).lower(), int(q.rdtype), int(q.rdclass)] for q in m.question],
               "answer": rrsets(m.answer), "authority": sum(len(s) for s in m.authority), "additional": sum(len(s) for s in m.additional),
               "edns": m.edns, "payload": m.payload if m.edns >= 0 else 0, "ednsFlags": m.ednsflags if m.edns >= 0 else 0,
               "options": len(m.options), "tsig": m.had_tsig}

job = json.load(sys.stdin)
queries, replies = [], []
for q in job["queries"]:
    queries.append(parse(q)[1])
for q, r in job["replies"]:
    query, _ = parse(q)
    reply, parsed = parse(r)
    parsed["isResponse"] = bool(query is not None and reply is not None and query.is_response(reply))
    replies.append(parsed)
zone = dns.zone.from_text(job["zone"], origin=None, relativize=False)
zoned = {}
for name, node in zone.nodes.items():
    for rds in node.rdatasets:
        if rds.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            text = name.to_text(omit_final_dot=True).lower()
            zoned["%s/%d" % (text, rds.rdtype)] = {"name": text, "type": int(rds.rdtype), "klass": int(rds.rdclass), "ttl": rds.ttl,
                                                   "rdatas": sorted(r.to_digestable().hex() for r in rds)}
json.dump({"queries": queries, "replies": replies, "zone": zoned}, sys.stdout)
`;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** dnspython's reading of `queries`, of each [query, reply] pair and of the zone file's text. */
export function dnspython(queries: Uint8Array[], replies: [Uint8Array, Uint8Array][], zone: string): Reference {
  const job = { queries: queries.map(hex), replies: replies.map(([q, r]) => [hex(q), hex(r)]), zone };
  // Debian's Python, where python3-dnspython is installed (a python3 earlier on PATH may not have it).
  const run = spawnSync("/usr/bin/python3", ["-c", SCRIPT], { input: JSON.stringify(job), encoding: "utf8", maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`dnspython (apt-get install python3-dnspython) failed: ${run.stderr}${run.error ?? ""}`);
  return JSON.parse(run.stdout) as Reference;
}
