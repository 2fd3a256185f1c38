/** `kscript dns check|compile`: output, exit status, and the load script it prints run through a real shell. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { dnsCommand } from "../../cli/dns.js";
import { rcu } from "../../cli/device.js";
import { KscriptError } from "../../device/index.js";
import { compileZone } from "../../zone/index.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-dns-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return name;
};
const GOOD = "$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns.example.net. h.example.test. ( 1 2 3 4 5 )\nwww A 192.0.2.11\n    A 192.0.2.12\nv6 AAAA 2001:db8::6\n";

let out: string;
let err: string;
beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

describe("kscript dns check", () => {
  it("prints each problem as file(line,col): error KS6nnn and exits 1", () => {
    expect(dnsCommand(["check", write("bad.zone", "$ORIGIN a.test.\n$TTL 60\nwww A 192.0.2.300\n")], dir)).toBe(1);
    expect(out).toBe("bad.zone(3,7): error KS6004: '192.0.2.300' is not an IPv4 address. Write four decimal numbers 0-255 separated by dots, e.g. 192.0.2.1.\n");
  });

  it("summarizes a good file and exits 0", () => {
    expect(dnsCommand(["check", write("good.zone", GOOD)], dir)).toBe(0);
    expect(out).toBe("good.zone: 2 names, 1 A and 1 AAAA entries (1 SOA/NS records checked, not served)\n");
  });
});

/** Runs a load script with `kscript` standing for a recorder of its arguments: one array per call. */
function recordedCalls(script: string): string[][] {
  // On stdin, as `| sh` gives it: one argument holds at most 128 KiB.
  const sh = spawnSync("sh", [], { input: `kscript() { printf '%s|' "$@"; echo; }\n${script}`, encoding: "utf8", maxBuffer: 64 << 20 });
  expect(sh.status, sh.stderr).toBe(0);
  return sh.stdout.trim().split("\n").map((l) => l.split("|").slice(0, -1));
}
const hex = (s: string) => Buffer.from(s, "latin1").toString("hex");

describe("kscript dns compile", () => {
  it("prints a shell script: a comment per entry, then one kscript rcu set --hex with every pair in order", () => {
    expect(dnsCommand(["compile", write("good.zone", GOOD)], dir)).toBe(0);
    expect(out).toMatch(/^# www\.example\.test\. 300 IN A 192\.0\.2\.11 192\.0\.2\.12$/m);
    expect(recordedCalls(out)).toEqual([["rcu", "set", "--hex", "dns", ...compileZone(GOOD, "z").entries.flatMap((e) => [hex(e.key), hex(e.value)])]]);
  });

  it("a zone of thousands of names loads in a few commands, each far below the kernel's limit on a command line", () => {
    const names = Array.from({ length: 3000 }, (_, i) => `host${i} A 192.0.${i >> 8}.${i & 255}\nhost${i} AAAA 2001:db8::${i.toString(16)}`);
    const zone = `$ORIGIN big.test.\n$TTL 60\n${names.join("\n")}\n`;
    expect(dnsCommand(["compile", write("big.zone", zone)], dir)).toBe(0);
    const calls = recordedCalls(out);
    // Each command filled close to the limit: as few as the pairs' size allows.
    const pairBytes = calls.reduce((n, c) => n + c.slice(4).join(" ").length, 0);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.length).toBeLessThanOrEqual(Math.ceil(pairBytes / (60 * 1024)));
    for (const call of calls) {
      expect(call.slice(0, 4)).toEqual(["rcu", "set", "--hex", "dns"]);
      expect(call.join(" ").length).toBeLessThanOrEqual(64 * 1024);
    }
    expect(calls.flatMap((c) => c.slice(4))).toEqual(compileZone(zone, "z").entries.flatMap((e) => [hex(e.key), hex(e.value)]));
  });

  it("--name names the hook, --json gives keys and values in hex", () => {
    expect(dnsCommand(["compile", write("good.zone", GOOD), "--name", "edge"], dir)).toBe(0);
    expect(out).toMatch(/^kscript rcu set --hex edge \\\n {2}03777777/m);
    out = "";
    expect(dnsCommand(["compile", write("good.zone", GOOD), "--json"], dir)).toBe(0);
    const json = JSON.parse(out) as { ok: boolean; entries: { name: string; key: string; value: string }[] };
    expect(json.ok).toBe(true);
    expect(json.entries.map((e) => [e.name, e.key])).toEqual([
      ["www.example.test.", "03777777076578616d706c6504746573740000" + "01"],
      ["v6.example.test.", "027636076578616d706c6504746573740000" + "1c"],
    ]);
  });

  it("--json with errors: ok false, the diagnostics, exit 1", () => {
    expect(dnsCommand(["compile", write("bad.zone", "www 60 A 192.0.2.1\n"), "--json"], dir)).toBe(1);
    const json = JSON.parse(out) as { ok: boolean; diagnostics: { code: string; line: number; column: number }[] };
    expect([json.ok, json.diagnostics.map((d) => [d.code, d.line, d.column])]).toEqual([false, [["KS6008", 1, 1]]]);
  });
});

describe("usage and I/O errors exit 2 with one line on stderr", () => {
  it.each([
    [[], "KS4001"],
    [["frob", "x.zone"], "KS4001"],
    [["check"], "KS4001"],
    [["compile", "a.zone", "--yaml"], "KS4001"],
    [["compile", "a.zone", "--name"], "KS4001"],
    [["check", "missing.zone"], "KS4002"],
  ])("%j", (args, code) => {
    expect(dnsCommand(args, dir)).toBe(2);
    expect(out).toBe("");
    expect(err).toMatch(new RegExp(`^kscript: error ${code}: .+\\n$`));
  });
});

describe("kscript rcu", () => {
  // No kscript.ko here: a refusal that came after opening the device would say the module is not loaded.
  it("refuses keys and values that are not bytes in hex before it opens the device", () => {
    expect(() => rcu(["set", "dns", "0x12", "00"], true)).toThrow(/'0x12' is not bytes in hex/);
    expect(() => rcu(["get", "dns", "abc"], true)).toThrow(/'abc' is not bytes in hex/);
  });

  it("set checks every pair, sizes included, before it writes the first", () => {
    expect(() => rcu(["set", "dns", "00", "00", "0x12", "00"], true)).toThrow(/'0x12' is not bytes in hex/);
    expect(() => rcu(["set", "fwd", "a", "1", "b", "x".repeat(4097)])).toThrow(/the value 'x{40}…' is 4097 bytes: rcu values are strings of 0\.\.4096 bytes\./);
    expect(() => rcu(["set", "fwd", "a", "1", "k".repeat(256), "1"])).toThrow(/the key 'k{40}…' is 256 bytes: rcu keys are strings of 1\.\.255 bytes or integers\./);
    expect(() => rcu(["set", "dns", "", "00"], true)).toThrow(/is not bytes in hex/);
    expect(() => rcu(["set", "fwd", "", "1"])).toThrow(/the key '' is 0 bytes/);
    // At the limits, the pair goes to the device (whose refusal here is that there is none).
    expect(() => rcu(["set", "fwd", "a", "x".repeat(4096)])).toThrow(KscriptError);
  });

  it("set takes pairs: a key without its value is not a form of rcu", () => {
    expect(rcu(["set", "fwd", "a", "1", "b"])).toBeUndefined();
    expect(rcu(["get", "fwd", "a", "b"])).toBeUndefined();
  });
});
