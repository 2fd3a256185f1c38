/** The forwarding rule compiler: diagnostics with exact positions, and the rcu entries good rules become. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../common/diagnostics.js";
import { COUNT_KEY, MAX_RULES, compileRules, interfaceKey } from "../../rules/index.js";
import { replayableRandom } from "../helpers/random.js";

const fixture = path.join(import.meta.dirname, "fixtures", "bad.rules");
const at = (r: ReturnType<typeof compileRules>) => r.diagnostics.map((d) => `${d.code}@${d.line}:${d.column}`);

describe("bad rules", () => {
  const text = fs.readFileSync(fixture, "utf8");
  const result = compileRules(text, fixture);

  it("report exactly the diagnostics the corpus expects, at their line and column", () => {
    // Each line's comment lists CODE@LINE:COLUMN; lines without one must produce nothing.
    const expected = [...text.matchAll(/KS5\d{3}@\d+:\d+/g)].map((m) => m[0]);
    expect(expected.length).toBeGreaterThan(40);
    expect(at(result)).toEqual(expected);
    expect(result.ok).toBe(false);
    expect(result.entries).toEqual([]);
  });

  it("cover every rule-file code, each message complete and in the tsc format", () => {
    const codes = new Set(result.diagnostics.map((d) => d.code));
    // KS5017 (too many rules) has a test of its own below.
    for (let n = 5001; n <= 5018; n++) if (n !== 5017) expect(codes).toContain(`KS${n}`);
    for (const d of result.diagnostics) {
      expect(d.message).not.toMatch(/\{\d\}|undefined/);
      expect(formatDiagnostic(d, path.dirname(fixture))).toBe(`bad.rules(${d.line},${d.column}): error ${d.code}: ${d.message}`);
    }
  });

  it("suggest the option meant, or how to write a value", () => {
    const message = (line: string) => compileRules(line, "r").diagnostics[0].message;
    expect(message("-p udp --dprot 53 eth0")).toContain("Did you mean '--dport'?");
    expect(message("-p udp --destination-port=53 eth0")).toContain("'--destination-port 53'");
    expect(message("-s 10.0.0.5/24 eth0")).toContain("'10.0.0.0/24'");
    expect(message("-p tcp --dport 90:80 eth0")).toContain("'80:90'");
  });

  it("count past the most rules the hook scans", () => {
    const rule = "-p udp --dport 53 eth0\n";
    expect(compileRules(rule.repeat(MAX_RULES), "r").ok).toBe(true);
    expect(at(compileRules("# many\n" + rule.repeat(MAX_RULES + 1), "r"))).toEqual([`KS5017@${MAX_RULES + 2}:1`]);
  });

  it("never throw, and place every diagnostic inside the text, whatever the input", () => {
    // Fragments of rules and junk (unicode blanks, '#', lone '-', CR) glued at random, replayably.
    const pieces = ["-p", "udp", "tcp", "--dport", "53", "1:2", ":", "-d", "10.0.0.1/8", "/", "--to-destination", "eth0", "-o", "#", "-", "--", "\u00a0", "\t", "\r", "\n", "=", "ü", " "];
    const random = replayableRandom(7);
    for (let i = 0; i < 500; i++) {
      let text = "";
      for (let j = 0; j < 12; j++) {
        text += pieces[random(pieces.length)] + (random(2) === 0 ? " " : "");
      }
      const lines = text.split("\n");
      for (const d of compileRules(text, "r").diagnostics) {
        expect(d.line).toBeGreaterThanOrEqual(1);
        expect(d.column! - 1).toBeLessThanOrEqual(lines[d.line! - 1].length);
      }
    }
  });

  it("count columns in characters on CRLF and tab-separated lines", () => {
    expect(at(compileRules("-p udp eth0\r\n-p\tudp\t--dport\t53x\teth0\r\n", "r"))).toEqual(["KS5006@2:16"]);
  });
});

describe("good rules", () => {
  it("compile to rcu entries: the records, the count last, and the interfaces to resolve", () => {
    const text = [
      "# the example from the issue",
      "-d 10.0.0.2 --dport 2222 -p udp --to-destination 192.168.0.1:53 eth0",
      "",
      "--protocol TCP --source 10.1.0.0/16 --source-port 1024:65535 --to-mac 02:00:00:00:00:09 --from-mac 02:00:00:00:00:01 --out-interface br-lan  # long spellings",
      "\t-p tcp -d 172.16.0.0/12 --destination-port 8000:8099 --to-destination :80 eth0",
    ].join("\r\n");
    const result = compileRules(text, "r");
    expect(result.diagnostics).toEqual([]);
    expect(result.entries).toEqual([
      { key: "fwd:1", value: "0011 0003 0000 0000 0000 0000 0a00 0002 ffff ffff 0000 ffff 08ae 08ae c0a8 0001 0035 0000 0000 0000 0000 0000 0000 eth0" },
      { key: "fwd:2", value: "0006 000c 0a01 0000 ffff 0000 0000 0000 0000 0000 0400 ffff 0000 ffff 0000 0000 0000 0200 0000 0009 0200 0000 0001 br-lan" },
      { key: "fwd:3", value: "0006 0002 0000 0000 0000 0000 ac10 0000 fff0 0000 0000 ffff 1f40 1fa3 0000 0000 0050 0000 0000 0000 0000 0000 0000 eth0" },
      { key: COUNT_KEY, value: 3 },
    ]);
    expect(result.interfaces).toEqual(["eth0", "br-lan"]);
    expect(result.rules.map((r) => r.line)).toEqual([2, 4, 5]);
    expect(interfaceKey("br-lan")).toBe("fwd:if:br-lan");
  });

  it("keep every entry within the rcu limits (keys 1-255 bytes, strings up to 4096)", () => {
    const result = compileRules("-p udp -s 255.255.255.255 --sport 65535 -d 0.0.0.0/0 --dport 0:65535 --to-destination 255.255.255.255:65535 --to-mac ff:ff:ff:ff:ff:ff --from-mac fe:ff:ff:ff:ff:ff abcdefghijklmno", "r");
    expect(result.diagnostics).toEqual([]);
    for (const { key, value } of result.entries) {
      expect(key.length).toBeGreaterThan(0);
      expect(key.length).toBeLessThanOrEqual(255);
      if (typeof value === "string") expect(value).toMatch(/^([0-9a-f]{4} ){23}[A-Za-z0-9_.-]{1,15}$/);
    }
    expect(interfaceKey("abcdefghijklmno").length).toBeLessThanOrEqual(255);
  });

  it("a file of comments and blank lines has no rules", () => {
    expect(compileRules("# nothing yet\n\n   \n", "r")).toMatchObject({ ok: true, rules: [], entries: [{ key: COUNT_KEY, value: 0 }], interfaces: [] });
  });
});
