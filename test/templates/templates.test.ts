/**
 * Every template, as users get it: created with `kscript init` in a new folder (nothing installed in it yet),
 * it builds with no diagnostics within its size budget. Its own tests, through `kscript test`, are in
 * own-tests.test.ts (full suite only).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listTemplates } from "../../cli/init.js";
import { packageRoot } from "../../common/paths.js";
import { buildProject } from "../../compiler/build.js";
import { kscript, newProject } from "./project.js";

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
  it("is created by kscript init and builds with no diagnostics", () => {
    const dir = newProject(name);
    // In this process, not through `kscript build`: one compiler for every template (the CLI has its own tests).
    const build = buildProject(dir);
    expect(build.diagnostics).toEqual([]);
    expect(build.ok).toBe(true);
    for (const manifest of build.written.filter((f) => f.endsWith(".kscript.json"))) {
      const m = JSON.parse(fs.readFileSync(manifest, "utf8")) as { size: number; limits: { size: number } };
      expect(m.size).toBeLessThanOrEqual(m.limits.size);
    }
  });
});
