/**
 * The reference: dnspython (Debian's python3-dnspython) reading each message with `dns.message.from_wire`
 * (strict: trailing bytes, bad counts, malformed names, records and EDNS are errors), in one Python process
 * for the whole corpus.
 */
import { runPython } from "../helpers/python.js";

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
}

const SCRIPT = String.raw`
import json, sys
import dns.message

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
json.dump({"queries": queries, "replies": replies}, sys.stdout)
`;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** dnspython's reading of `queries` and of each [query, reply] pair. */
export const dnspython = (queries: Uint8Array[], replies: [Uint8Array, Uint8Array][]) =>
  runPython<Reference>(SCRIPT, { queries: queries.map(hex), replies: replies.map(([q, r]) => [hex(q), hex(r)]) }, "python3-dnspython");
