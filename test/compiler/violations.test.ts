/**
 * Violating hooks: each rule of the dialect, including attempts to sneak past it, fails with the right KS code
 * at the right TypeScript line, and the build writes nothing. Expectations live in the fixtures as
 * `// @expect KSnnnn` on the offending line (`@expect-file` when the problem has no line, `@target` to pick
 * the hook kind).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildEntry } from "../../compiler/build.js";
import { isTarget, type Target } from "../../common/dialect.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures/violations");

function expectations(file: string) {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const atLines: string[] = [];
  const anywhere: string[] = [];
  let target: Target | "module" = "module";
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/@expect (KS\d{4})/g)) atLines.push(`${m[1]}@${i + 1}`);
    for (const m of line.matchAll(/@expect-file (KS\d{4})/g)) anywhere.push(m[1]);
    const t = /@target (\w+)/.exec(line)?.[1];
    if (t && isTarget(t)) target = t;
  });
  return { atLines: atLines.sort(), anywhere, target };
}

describe("violations are reported with their KS code at their TypeScript line", () => {
  for (const name of fs.readdirSync(fixtures).filter((f) => f.endsWith(".ts"))) {
    it(name, async () => {
      const file = path.join(fixtures, name);
      const expected = expectations(file);
      expect(expected.atLines.length + expected.anywhere.length).toBeGreaterThan(0);
      const result = await buildEntry(file, { target: expected.target });
      expect(result.ok).toBe(false);
      expect(result.package).toBeUndefined();
      const ks = result.diagnostics.filter((d) => d.code.startsWith("KS"));
      for (const d of ks) expect(d.file).toBe(file);
      const reported = ks.filter((d) => !expected.anywhere.includes(d.code)).map((d) => `${d.code}@${d.line}`);
      expect(reported.sort()).toEqual(expected.atLines);
      for (const code of expected.anywhere) expect(ks.map((d) => d.code)).toContain(code);
      for (const d of ks) expect(d.message.length).toBeGreaterThan(40);
    });
  }
});

describe("size budgets", () => {
  it("rejects an xdp hook over 8192 bytes and says what to do", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-budget-"));
    const file = path.join(dir, "big.ts");
    const table = Array.from({ length: 700 }, (_, i) => `  "name-${i}.example.org",`).join("\n");
    fs.writeFileSync(
      file,
      `import { action, type Action } from "kscript/xdp";\nimport type { Data } from "kscript/data";\nconst NAMES = [\n${table}\n];\n` +
        "export function callback(pkt: Data): Action {\n  return NAMES.length > pkt.len() ? action.pass : action.drop;\n}\n",
    );
    const result = await buildEntry(file, { target: "xdp" });
    expect(result.package).toBeUndefined();
    const [d] = result.diagnostics;
    expect(d).toMatchObject({ code: "KS3001", file });
    expect(d.message).toMatch(/'big' is \d+ bytes, over the 8192-byte budget of 'xdp' hooks/);
    // The same source is fine where the budget is larger.
    expect((await buildEntry(file, { target: "module" })).diagnostics.filter((x) => x.code === "KS3001")).toEqual([]);
  });
});
