/**
 * stdlib/dns.ts through the emulator: a tiny `tls` hook bundles kscript/dns and runs one helper per call on
 * the bytes it is given, so the helpers are tested as the Lua that ships, under a small instruction budget.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { concat, DNS_TYPE, dnsMessage, ipv4, loadHook, parseDns, type Hook } from "../../runtime/testing.js";

// `recv` is the only global a bundle defines, so it dispatches: the helper's results come back joined by "|".
const HOOK = `
import { new as newData } from "kscript/data";
import { answer, header, readName, readQuestion, readRecord } from "kscript/dns";

export function recv(msg: string, helper = "", a = 0, b = 0, c = 0, d = 0, e = 0, f = 0): LuaMultiReturn<[code: number, file?: string]> {
  const m = newData(msg)!;
  if (helper === "name") {
    const [name, next] = readName(m, a);
    return $multi(0, \`\${name}|\${next}\`);
  }
  if (helper === "question") {
    const [name, qtype, qclass, next] = readQuestion(m);
    return $multi(0, \`\${name}|\${qtype}|\${qclass}|\${next}\`);
  }
  if (helper === "record") {
    const [name, type, klass, ttl, rdata, rdlength] = readRecord(m, a);
    return $multi(0, \`\${name}|\${type}|\${klass}|\${ttl}|\${rdata}|\${rdlength}\`);
  }
  if (helper === "header") return $multi(0, header(a, b, c, d, e, f));
  return $multi(0, c === 0 ? answer(a, b, msg) : answer(a, b, msg, c));
}
`;

/** A message whose question section is `raw` (hostile names are written by hand): QDCOUNT 1. */
const withQuestion = (...raw: number[]) => {
  const m = concat(dnsMessage({ id: 7, questions: [] }), Uint8Array.from(raw));
  m[5] = 1;
  return m;
};
const label = (text: string) => [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];

describe("kscript/dns", () => {
  let hook: Hook;
  const run = (helper: string, msg: Uint8Array | string, ...args: number[]) => hook.call("recv", [msg, helper, ...args], 2)[1];

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-dns-"));
    fs.writeFileSync(path.join(dir, "helpers.ts"), HOOK);
    // A few thousand instructions per call: a hostile name must be rejected well within this.
    hook = await loadHook(path.join(dir, "helpers.ts"), { limits: { instructions: 5000 } });
  });

  describe("readName", () => {
    it("reads a plain name, lowercased, and where it ends", () => {
      expect(run("name", withQuestion(...label("WWW"), ...label("Example"), ...label("com"), 0), 12)).toBe("www.example.com|29");
      expect(run("name", withQuestion(0), 12)).toBe("|13");
    });

    it("follows compression pointers and ends after the first one", () => {
      // "example.com" at 12, then "www" + pointer to 12 at 25.
      const m = withQuestion(...label("example"), ...label("com"), 0, ...label("www"), 0xc0, 12);
      expect(run("name", m, 25)).toBe("www.example.com|31");
      expect(run("name", m, 29)).toBe("example.com|31");
    });

    it("reads names of up to 255 bytes and rejects longer ones", () => {
      const labels = (n: number, len: number) => Array.from({ length: n }, () => label("a".repeat(len))).flat();
      // 3 × 64 + 62 + 1 = 255 bytes on the wire.
      expect(run("name", withQuestion(...labels(3, 63), ...label("b".repeat(61)), 0), 12)).toBe(`${Array(3).fill("a".repeat(63)).join(".")}.${"b".repeat(61)}|267`);
      expect(run("name", withQuestion(...labels(3, 63), ...label("b".repeat(62)), 0), 12)).toBe("nil|0");
      expect(run("name", withQuestion(...labels(200, 1), 0), 12)).toBe("nil|0");
    });

    it("rejects compression loops, forward pointers and too many pointers", () => {
      expect(run("name", withQuestion(0xc0, 12), 12)).toBe("nil|0");
      expect(run("name", withQuestion(0xc0, 14, 0xc0, 12), 12)).toBe("nil|0");
      expect(run("name", withQuestion(...label("a"), 0xc0, 12), 12)).toBe("nil|0");
      // Pointers must land before where the name (or the last jump) started, even to a well-formed name.
      expect(run("name", withQuestion(0xc0, 14, ...label("a"), 0), 12)).toBe("nil|0");
      expect(run("name", withQuestion(...label("a"), 0xc0, 16, ...label("c"), 0, 0xc0, 12), 19)).toBe("nil|0");
      expect(run("name", withQuestion(...label("a"), 0xc0, 16, ...label("c"), 0, 0xc0, 12), 12)).toBe("nil|0");
      expect(run("name", withQuestion(...label("c"), 0, ...label("a"), 0xc0, 12, 0xc0, 15), 19)).toBe("a.c|21");
      // Seventeen pointers, each to the one before: the chain is legal but longer than MAX_POINTERS.
      const chain = [0, ...Array.from({ length: 17 }, (_, i) => [0xc0, i === 0 ? 12 : 13 + 2 * (i - 1)]).flat()];
      expect(run("name", withQuestion(...chain), 13 + 2 * 16)).toBe("nil|0");
      expect(run("name", withQuestion(...chain), 13 + 2 * 15)).toBe("|45");
    });

    it("rejects truncated names, reserved label types and labels holding a dot", () => {
      const m = withQuestion(...label("example"), ...label("com"), 0);
      for (let cut = 12; cut < m.length; cut++) expect(run("name", m.subarray(0, cut), 12)).toBe("nil|0");
      expect(run("name", withQuestion(0xc0), 12)).toBe("nil|0");
      for (const type of [0x40, 0x80]) expect(run("name", withQuestion(type, ...Array(type).fill(97), 0), 12)).toBe("nil|0");
      expect(run("name", withQuestion(...label("a.b"), 0), 12)).toBe("nil|0");
      expect(run("name", withQuestion(0), 99)).toBe("nil|0");
    });
  });

  describe("readQuestion", () => {
    it("reads the one question", () => {
      const m = dnsMessage({ id: 1, questions: [{ name: "Ks.Test", type: DNS_TYPE.AAAA }] });
      expect(run("question", m)).toBe(`ks.test|28|1|${m.length}`);
    });

    it("rejects a short header, QDCOUNT other than 1 and a truncated question", () => {
      const m = dnsMessage({ id: 1, questions: [{ name: "ks.test", type: DNS_TYPE.A }] });
      expect(run("question", m.subarray(0, 11))).toBe("nil|0|0|0");
      expect(run("question", m.subarray(0, m.length - 1))).toBe("nil|0|0|0");
      expect(run("question", dnsMessage({ questions: [] }))).toBe("nil|0|0|0");
      expect(run("question", dnsMessage({ questions: [{ name: "a.test", type: 1 }, { name: "b.test", type: 1 }] }))).toBe("nil|0|0|0");
    });
  });

  describe("readRecord", () => {
    const response = dnsMessage({
      id: 1,
      questions: [{ name: "ks.test", type: DNS_TYPE.A }],
      answers: [{ name: "ks.test", type: DNS_TYPE.A, ttl: 3600, data: ipv4("192.0.2.1") }],
    });
    const at = 12 + 9 + 4;

    it("reads owner, type, class, TTL and where the data is", () => {
      expect(run("record", response, at)).toBe(`ks.test|1|1|3600|${at + 19}|4`);
    });

    it("counts a TTL with its top bit set as 0 (RFC 2181)", () => {
      const m = response.slice();
      m.set([0x80, 0, 0, 1], at + 13);
      expect(run("record", m, at)).toBe(`ks.test|1|1|0|${at + 19}|4`);
    });

    it("rejects a record cut anywhere or whose data runs past the end", () => {
      for (let cut = at; cut < response.length; cut++) expect(run("record", response.subarray(0, cut), at)).toBe("nil|0|0|0|0|0");
      const m = response.slice();
      m[at + 18] = 5;
      expect(run("record", m, at)).toBe("nil|0|0|0|0|0");
    });
  });

  describe("builders", () => {
    it("header and answer give the bytes a resolver parses", () => {
      const question = dnsMessage({ questions: [{ name: "ks.test", type: DNS_TYPE.A }] }).subarray(12);
      const head = run("header", "", 0xbeef, 0x8580, 1, 2, 0, 0) as string;
      const answers = [ipv4("192.0.2.1"), ipv4("192.0.2.2")].map((a) => run("answer", a, DNS_TYPE.A, 300) as string);
      const bytes = Uint8Array.from(head + String.fromCharCode(...question) + answers.join(""), (c) => c.charCodeAt(0));
      expect(parseDns(bytes)).toEqual({
        id: 0xbeef,
        flags: 0x8580,
        questions: [{ name: "ks.test", type: 1, class: 1 }],
        answers: [
          { name: "ks.test", type: 1, class: 1, ttl: 300, data: ipv4("192.0.2.1") },
          { name: "ks.test", type: 1, class: 1, ttl: 300, data: ipv4("192.0.2.2") },
        ],
      });
    });

    it("answer points at another name when asked", () => {
      expect(run("answer", "\x7f\0\0\x01", DNS_TYPE.A, 60, 40)).toBe("\xc0\x28\0\x01\0\x01\0\0\0\x3c\0\x04\x7f\0\0\x01");
    });
  });
});
