/** `kscript rules check|compile`: output, exit status, and the load script it prints run through a real shell. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { rulesCommand } from "../../cli/rules.js";
import { compileRules } from "../../rules/index.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-rules-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return name;
};
const GOOD = "-p udp -d 10.0.0.2 --dport 2222 --to-destination 192.168.0.1:53 lo\n-p tcp --dport 80 --to-mac 02:00:00:00:00:09 lo\n";

let out: string;
let err: string;
beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

describe("kscript rules check", () => {
  it("prints each problem as file(line,col): error KS5nnn and exits 1", () => {
    const file = write("bad.rules", "-p udp eth0\n-p icmp --dport 53 eth0\n");
    expect(rulesCommand(["check", file], dir)).toBe(1);
    expect(out).toBe("bad.rules(2,4): error KS5008: 'icmp' is not a protocol the forwarder handles. Write '-p udp' or '-p tcp'.\n");
  });

  it("summarizes a good file and exits 0", () => {
    expect(rulesCommand(["check", write("good.rules", GOOD)], dir)).toBe(0);
    expect(out).toBe("good.rules: 2 rules, output interfaces lo\n");
  });
});

describe("kscript rules compile", () => {
  it("--json prints the entries and the interfaces to resolve", () => {
    const file = write("good.rules", GOOD);
    expect(rulesCommand(["compile", file, "--json"], dir)).toBe(0);
    const compiled = compileRules(GOOD, path.join(dir, file));
    expect(JSON.parse(out)).toEqual({ ok: true, diagnostics: [], entries: compiled.entries, interfaces: ["lo"] });
  });

  it("--json with errors: ok false, the diagnostics, exit 1", () => {
    expect(rulesCommand(["compile", write("bad.rules", "--dport 53 eth0\n"), "--json"], dir)).toBe(1);
    const json = JSON.parse(out) as { ok: boolean; diagnostics: { code: string; line: number; column: number }[] };
    expect(json.ok).toBe(false);
    expect(json.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["KS5009", 1, 1]]);
  });

  it("prints a shell script that loads the entries with kscript rcu set, the count last", () => {
    expect(rulesCommand(["compile", write("good.rules", GOOD)], dir)).toBe(0);
    // Run it with `kscript` standing for a recorder of its arguments: one command, its pairs in order.
    const sh = spawnSync("sh", ["-c", `kscript() { printf '%s|' "$@"; echo; }\n${out}`], { encoding: "utf8" });
    expect(sh.status).toBe(0);
    const calls = sh.stdout.trim().split("\n").map((l) => l.split("|").slice(0, -1));
    const ifindex = fs.readFileSync("/sys/class/net/lo/ifindex", "utf8").trim();
    const { entries } = compileRules(GOOD, "r");
    expect(calls).toEqual([
      [
        ...["rcu", "set", "forward", "fwd:rules", "0"],
        ...entries.filter((e) => typeof e.value === "string").flatMap((e) => [e.key, e.value as string]),
        ...["fwd:if:lo", ifindex, "fwd:rules", "2"],
      ],
    ]);
  });

  it("loads into the table of the hook named with --name", () => {
    expect(rulesCommand(["compile", write("good.rules", GOOD), "--name", "edge-fwd"], dir)).toBe(0);
    expect(out).toMatch(/^kscript rcu set edge-fwd \\\n {2}fwd:rules 0 \\$/m);
    expect(rulesCommand(["compile", write("good.rules", GOOD), "--name"], dir)).toBe(2);
  });
});

describe("usage and I/O errors exit 2 with one line on stderr", () => {
  it.each([
    [[], "KS4001"],
    [["frob", "x.rules"], "KS4001"],
    [["check"], "KS4001"],
    [["check", "a.rules", "b.rules"], "KS4001"],
    [["compile", "a.rules", "--yaml"], "KS4001"],
    [["check", "missing.rules"], "KS4002"],
    [["check", "."], "KS4001"],
  ])("%j", (args, code) => {
    expect(rulesCommand(args, dir)).toBe(2);
    expect(out).toBe("");
    expect(err).toMatch(new RegExp(`^kscript: error ${code}: .+\\n$`));
  });

  it("--help prints the usage and exits 0", () => {
    expect(rulesCommand(["--help"], dir)).toBe(0);
    expect(out).toContain("kscript rules <command> FILE");
  });
});

describe("values that start with '-'", () => {
  it("says what is wrong with a negative port instead of calling it a missing value", () => {
    expect(rulesCommand(["check", write("neg.rules", "-p udp --dport -1 lo\n")], dir)).toBe(1);
    expect(out).toBe("neg.rules(1,16): error KS5006: '-1' is not a port. Ports are whole numbers 0-65535, e.g. 53.\n");
  });
});

describe("the real command piped to a slow reader", () => {
  it("writes every line before it exits", () => {
    // 2 diagnostics per rule, far more than a pipe buffer holds while the reader sleeps.
    const rules = Array.from({ length: 3000 }, (_, i) => `-p udp -d 10.0.0.${i % 250}/33 --dport x${i} lo`).join("\n");
    const file = path.join(dir, write("many.rules", rules + "\n"));
    const bin = path.resolve("bin/kscript.js");
    rulesCommand(["check", file], dir);
    const lines = out.split("\n").length - 1;
    expect(lines).toBeGreaterThan(6000);
    const r = spawnSync("sh", ["-c", `node '${bin}' rules check '${file}' | (sleep 1; wc -l)`], { encoding: "utf8" });
    expect(Number(r.stdout.trim())).toBe(lines);
  });
});
