/**
 * The hostile-script suite in the VM (hostile.suite.ts): every call must end within its limits (default, then
 * maximum), be counted, leave its state usable and the kernel log clean; the guest runs with strict lockup
 * detectors (vm/vm.ts). The VM's insmod/rmmod and health are judged in health.test.ts; its log here, more
 * strictly.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CASES, type HostileResult, LIMITS, type Phase, SCENARIOS } from "./hostile/cases.js";
import { hostileSuite } from "./hostile.suite.js";
import { BAD_KERNEL_LOG } from "./session.js";
import { SESSION_WAIT_MS, ran, suiteRun } from "./results.js";

/** Beyond BAD_KERNEL_LOG: what the strict detectors print before they panic. */
const LOCKUP_LOG = /soft lockup|hung task|blocked for more than|rcu:.*stall|WARN/;

let run: { results: Map<string, HostileResult>; kernelLog: string } | { skip: string } | undefined;

beforeAll(async () => {
  const suite = await suiteRun(hostileSuite.name);
  if ("skip" in suite) return void (run = suite);
  const file = path.join(suite.dir, "hostile.jsonl");
  const results = new Map<string, HostileResult>();
  for (const line of (existsSync(file) ? readFileSync(file, "utf8") : "").split("\n").filter(Boolean)) {
    const r = JSON.parse(line) as HostileResult;
    results.set(`${r.phase}/${r.name}`, r);
  }
  run = { results, kernelLog: `${suite.lane.console}\n${suite.lane.dmesg}` };
  const rows = [...results.values()].map((r) => `  ${r.phase.padEnd(7)} ${r.ok ? "ok  " : "FAIL"} ${String(Math.round(r.ms)).padStart(6)} ms  ${r.class}: ${r.name} — ${r.ok ? r.detail : ""}`);
  console.log(`hostile suite (logs in ${suite.dir}):\n${rows.join("\n")}`);
}, SESSION_WAIT_MS);

function result(phase: Phase, name: string, skip: (note?: string) => void): HostileResult {
  const r = ran(run, skip).results.get(`${phase}/${name}`);
  expect(r, "the case did not report (the guest panicked or was stopped?)").toBeDefined();
  return r!;
}

for (const phase of Object.keys(LIMITS) as Phase[]) {
  const { time_limit_ms, mem_limit } = LIMITS[phase];
  describe(`hostile scripts at the ${phase} limits (${time_limit_ms} ms, ${mem_limit >> 20} MiB)`, () => {
    for (const c of CASES.filter((c) => phase === "default" || c.max)) {
      it(`${c.class}: ${c.name}`, ({ skip }) => {
        const r = result(phase, c.name, skip);
        expect(r.ok, r.detail).toBe(true);
      });
    }
    for (const name of SCENARIOS[phase]) {
      it(name, ({ skip }) => {
        const r = result(phase, name, skip);
        expect(r.ok, r.detail).toBe(true);
      });
    }
  });
}

describe("after the hostile suite", () => {
  it("the kernel log has no BUG, WARN, lockup, hung task, RCU stall or Oops", ({ skip }) => {
    const bad = ran(run, skip).kernelLog.split("\n").filter((l) => BAD_KERNEL_LOG.test(l) || LOCKUP_LOG.test(l));
    expect(bad, bad.join("\n")).toEqual([]);
  });
});
