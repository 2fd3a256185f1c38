/**
 * XDP hooks deployed with the kscript CLI in the kernel VM (xdp.suite.ts): one test per step the guest's
 * runner reports.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SESSION_WAIT_MS, ran, suiteRun } from "./results.js";
import { STEPS, xdpSuite } from "./xdp.suite.js";

interface Step {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

let steps: { steps: Map<string, Step> } | { skip: string } | undefined;

beforeAll(async () => {
  const run = await suiteRun(xdpSuite.name);
  if ("skip" in run) return void (steps = run);
  const file = path.join(run.dir, "xdp.jsonl");
  const map = new Map<string, Step>();
  for (const line of (existsSync(file) ? readFileSync(file, "utf8") : "").split("\n").filter(Boolean)) {
    const s = JSON.parse(line) as Step;
    map.set(s.name, s);
  }
  steps = { steps: map };
  for (const s of map.values()) if (s.ok && s.detail) console.log(`  ${s.name}: ${s.detail}`);
}, SESSION_WAIT_MS);

describe("XDP hooks deployed with the kscript CLI in the kernel VM", () => {
  for (const name of STEPS) {
    it(name, ({ skip }) => {
      const s = ran(steps, skip).steps.get(name);
      expect(s, "step did not report (the guest crashed or timed out?)").toBeDefined();
      expect(s!.ok, s!.detail).toBe(true);
    });
  }
});
