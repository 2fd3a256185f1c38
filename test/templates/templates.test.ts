/** Every template builds clean within its budget and passes its own tests through `kscript test`. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../compiler/paths.js";

const bin = path.join(packageRoot, "bin", "kscript.js");
const templates = fs.readdirSync(path.join(packageRoot, "templates"));

describe.each(templates)("template %s", (name) => {
  const dir = path.join(packageRoot, "templates", name);

  it("builds with no diagnostics", () => {
    const r = spawnSync(process.execPath, [bin, "build", dir, "--json"], { encoding: "utf8" });
    const out = JSON.parse(r.stdout) as { ok: boolean; diagnostics: unknown[] };
    expect(out.diagnostics).toEqual([]);
    expect(r.status).toBe(0);
  });

  it("passes its tests with kscript test", () => {
    const r = spawnSync(process.execPath, [bin, "test", dir], { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Tests\s+.*\d+ passed/);
  });
});
