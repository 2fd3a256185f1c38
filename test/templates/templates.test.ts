/**
 * Every template, as users get it: created with `kscript init` in a new folder (nothing installed in it yet),
 * it builds with no diagnostics within its size budget, and its own tests pass through `kscript test`.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listTemplates } from "../../cli/init.js";
import { packageRoot, sdkPackage } from "../../common/paths.js";

const bin = path.join(packageRoot, "bin", "kscript.js");
const kscript = (args: string[], cwd: string) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8" });

describe("kscript init", () => {
  it("lists the templates with one line each", () => {
    const r = kscript(["init", "--list"], packageRoot);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(listTemplates().map((t) => t.name));
    for (const line of lines) expect(line.length).toBeGreaterThan(40);
  });

  it("refuses a folder that is not empty, and changes nothing in it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-init-"));
    fs.writeFileSync(path.join(dir, "keep.txt"), "mine");
    const r = kscript(["init", "starter", dir], packageRoot);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error KS4005: .* is not empty/);
    expect(fs.readdirSync(dir)).toEqual(["keep.txt"]);
  });
});

describe.each(listTemplates().map((t) => t.name))("template %s", (name) => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-template-"));
  const dir = path.join(parent, `my-${name}`);

  it("is created by kscript init and builds with no diagnostics", () => {
    const init = kscript(["init", name, dir], parent);
    expect(init.status, init.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).extends).toBe(`${sdkPackage.name}/tsconfig.base.json`);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).devDependencies).toEqual({ [sdkPackage.name]: `^${sdkPackage.version}` });
    const build = kscript(["build", "--json"], dir);
    const out = JSON.parse(build.stdout) as { ok: boolean; diagnostics: unknown[]; written: string[] };
    expect(out.diagnostics).toEqual([]);
    expect(build.status).toBe(0);
    for (const manifest of out.written.filter((f) => f.endsWith(".kscript.json"))) {
      const m = JSON.parse(fs.readFileSync(manifest, "utf8")) as { size: number; limits: { size: number } };
      expect(m.size).toBeLessThanOrEqual(m.limits.size);
    }
  });

  // Before any `npm install`: the kscript that created the project brings its SDK.
  it("passes its own tests with kscript test", () => {
    const r = kscript(["test"], dir);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Tests\s+.*\d+ passed/);
  });
});
