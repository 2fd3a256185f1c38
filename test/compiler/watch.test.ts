/** Rebuilds through one Builder see every change that matters, including changes in imported files. */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Builder, buildEntry } from "../../compiler/build.js";
import { loadProject } from "../../compiler/project.js";

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-watch-"));
  fs.mkdirSync(path.join(dir, "src"));
  fs.writeFileSync(path.join(dir, "src/index.ts"), 'import { limit } from "./limits";\nexport function ok(n: number): boolean {\n  return n < limit();\n}\n');
  fs.writeFileSync(path.join(dir, "src/limits.ts"), "export function limit(): number {\n  return 100;\n}\n");
  return dir;
}

describe("incremental rebuilds", () => {
  it("picks up edits, errors in imported files, and their fixes", () => {
    const dir = project();
    const builder = new Builder(loadProject(dir, { minify: false }));
    expect(builder.build().ok).toBe(true);

    const limits = path.join(dir, "src/limits.ts");
    fs.writeFileSync(limits, "export function limit(): number {\n  return 7 / 2;\n}\n");
    builder.invalidate(limits);
    const broken = builder.build();
    expect(broken.diagnostics.map((d) => `${d.code}@${path.basename(d.file!)}:${d.line}`)).toEqual(["KS1003@limits.ts:2"]);

    fs.writeFileSync(limits, "export function limit(): string {\n  return 'x';\n}\n");
    builder.invalidate(limits);
    // Only limits.ts changed, yet index.ts now compares a number with a string: its diagnostics are redone.
    expect(builder.build().diagnostics.map((d) => `${d.code}@${path.basename(d.file!)}`)).toEqual(["TS2365@index.ts"]);

    fs.writeFileSync(limits, "export function limit(): number {\n  return 4242;\n}\n");
    builder.invalidate(limits);
    const fixed = builder.build();
    expect(fixed.ok).toBe(true);
    expect(fixed.packages[0].lua).toContain("4242");
  });

  it("buildEntry reuses its program for an unchanged hook and rebuilds an edited one", async () => {
    const dir = project();
    const entry = path.join(dir, "src/index.ts");
    const first = await buildEntry(entry, { minify: false });
    expect(first.package!.lua).toContain("100");
    expect((await buildEntry(entry, { minify: false })).package).toBe(first.package);
    // An edit to an imported file, as a test run might see between two loadHook calls.
    fs.writeFileSync(path.join(dir, "src/limits.ts"), "export function limit(): number {\n  return 4242;\n}\n");
    const edited = await buildEntry(entry, { minify: false });
    expect(edited.package!.lua).toContain("4242");
    fs.writeFileSync(path.join(dir, "src/limits.ts"), "export function limit(): number {\n  return 7 / 2;\n}\n");
    expect((await buildEntry(entry, { minify: false })).diagnostics.map((d) => d.code)).toEqual(["KS1003"]);
  });

  it("kscript build --watch rebuilds on change until interrupted", async () => {
    const dir = project();
    const bin = path.resolve(import.meta.dirname, "../../bin/kscript.js");
    const child = spawn(process.execPath, [bin, "build", "--watch", "--no-minify"], { cwd: dir });
    let stderr = "";
    const waitFor = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stderr: ${stderr}`)), 20_000);
        const check = () => {
          if (pattern.test(stderr)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          check();
        });
        check();
      });
    await waitFor(/watching/);
    const lua = path.join(dir, "dist", path.basename(dir) + ".lua");
    expect(fs.readFileSync(lua, "utf8")).toContain("return 100");
    fs.writeFileSync(path.join(dir, "src/limits.ts"), "export function limit(): number {\n  return 555;\n}\n");
    await waitFor(/rebuilt in \d+ ms/);
    expect(fs.readFileSync(lua, "utf8")).toContain("return 555");
    // A configuration change (a hook declared) is picked up without restarting.
    stderr = "";
    fs.writeFileSync(path.join(dir, "kscript.json"), JSON.stringify({ hooks: [{ name: "second", entry: "src/index.ts" }] }));
    await waitFor(/rebuilt in \d+ ms/);
    expect(fs.readFileSync(path.join(dir, "dist", "second.lua"), "utf8")).toContain("return 555");
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});
