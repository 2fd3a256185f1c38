/**
 * Kernel tests in a qemu (TCG) VM: Debian's own kernel, kscript.ko built against its exact headers, and the
 * real Node client (test/kernel/guest) talking to the real /dev/kscript (vm.suite.ts). Each scenario and
 * each conformance case is a test; the kernel's health is judged in health.test.ts.
 */
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ConformanceOutcome, ScenarioResult } from "./guest/main.js";
import { CORPUS } from "../conformance/corpus.js";
import { emulatorBackend } from "../../runtime/backends/index.js";
import { runCase } from "../conformance/backend.js";
import { expectConformance, expectSameOutcome } from "../conformance/expect.js";
import { scenarios } from "./guest/scenarios.js";
import { vmSuite } from "./vm.suite.js";
import { SESSION_WAIT_MS, ran, suiteRun, type SuiteRun } from "./results.js";

interface VmRun {
  suite: SuiteRun;
  results: Map<string, ScenarioResult>;
  conformance: Map<string, ConformanceOutcome>;
}

let vm: VmRun | { skip: string } | undefined;

beforeAll(async () => {
  const suite = await suiteRun(vmSuite.name);
  if ("skip" in suite) return void (vm = suite);
  const lines = (f: string) => {
    const file = path.join(suite.dir, f);
    return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  };
  const results = new Map<string, ScenarioResult>();
  for (const line of lines("results.jsonl")) {
    const r = JSON.parse(line) as ScenarioResult;
    results.set(r.name, r);
  }
  const conformance = new Map<string, ConformanceOutcome>();
  for (const line of lines("conformance.jsonl")) {
    const o = JSON.parse(line) as ConformanceOutcome;
    conformance.set(`${o.binding}/${o.name}`, o);
  }
  vm = { suite, results, conformance };
  for (const r of results.values()) if (r.detail && r.ok) console.log(`  ${r.name}: ${r.detail}`);
}, SESSION_WAIT_MS);

const run = (skip: (note?: string) => void) => ran(vm, skip);

describe("kernel VM", () => {
  it("the scenario runner exits cleanly", ({ skip }) => {
    const { suite } = run(skip);
    expect(suite.status?.status, suite.log).toBe(0);
  });

  for (const s of scenarios) {
    it(s.name, ({ skip }) => {
      const r = run(skip).results.get(s.name);
      expect(r, "scenario did not report (the guest crashed or timed out?)").toBeDefined();
      expect(r!.ok, r!.detail).toBe(true);
    });
  }

  for (const [binding, cases] of Object.entries(CORPUS)) {
    describe(`conformance: ${binding} on the kernel agrees with the emulator`, () => {
      for (const c of cases) {
        it(c.name, async ({ skip }) => {
          const outcome = run(skip).conformance.get(`${binding}/${c.name}`);
          expect(outcome, "case did not report (the guest crashed or timed out?)").toBeDefined();
          expect(outcome!.failure).toBeUndefined();
          expectConformance(c, outcome!.result!);
          expectSameOutcome(outcome!.result!, runCase(emulatorBackend, c));
        });
      }
    });
  }
});
