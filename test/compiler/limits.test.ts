/** kscript.json's `limits`: read, checked (KS4006), and written into each hook's manifest over the defaults. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { DEFAULT_LIMITS, SIZE_BUDGET, XDP_CEILINGS } from "../../common/dialect.js";
import { UsageError } from "../../common/diagnostics.js";
import { buildEntry } from "../../compiler/build.js";
import { loadProject } from "../../compiler/project.js";

function project(target: string, limits: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-limits-"));
  fs.mkdirSync(path.join(dir, "src"));
  fs.writeFileSync(path.join(dir, "src", "hook.ts"), "export function recv(msg: string): LuaMultiReturn<[number]> {\n  return $multi(msg.length);\n}\n");
  fs.writeFileSync(path.join(dir, "kscript.json"), JSON.stringify({ hooks: [{ entry: "src/hook.ts", target }], limits }));
  return dir;
}

function refusal(dir: string): string {
  try {
    loadProject(dir);
  } catch (error) {
    if (error instanceof UsageError) return `${error.diagnostic.code}: ${error.message}`;
    throw error;
  }
  throw new Error("the project loaded");
}

describe("limits in kscript.json", () => {
  test("go into the manifest over the dialect's defaults, time included", async () => {
    const dir = project("tls", { instructions: 1000, time: 50 });
    expect(loadProject(dir).limits).toEqual({ instructions: 1000, time: 50 });
    const built = await buildEntry(path.join(dir, "src", "hook.ts"), { target: "tls" });
    expect(built.package?.manifest.limits).toEqual({ size: SIZE_BUDGET.tls, ...DEFAULT_LIMITS, instructions: 1000, time: 50 });
  });

  test.each([
    [{ instructions: 0 }, /KS4006: 'limits.instructions' is 0, not a positive integer/],
    [{ memory: 1.5 }, /KS4006: 'limits.memory' is 1.5, not a positive integer/],
    [{ time: "1s" }, /KS4006: 'limits.time' is "1s", not a positive integer/],
    [{ cpu: 1 }, /KS4006: 'limits.cpu' is not a limit/],
    [[1000], /KS4006: 'limits' must be an object/],
  ])("refuse %j", (limits, message) => {
    expect(refusal(project("tls", limits))).toMatch(message);
  });

  test("cannot ask more of an xdp hook than softirq allows", () => {
    expect(refusal(project("xdp", { instructions: XDP_CEILINGS.instructions + 1 }))).toMatch(/KS4006: .*the most an xdp hook may take per call/);
    expect(loadProject(project("tls", { instructions: XDP_CEILINGS.instructions + 1 })).limits.instructions).toBe(XDP_CEILINGS.instructions + 1);
  });
});
