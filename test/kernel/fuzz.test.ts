/**
 * The differential fuzzer in the VM (fuzz.suite.ts): every generated program prints the same line in kscript.ko
 * as in the emulator, and a call's budget ends at the same place on both. The VM's insmod/rmmod and kernel log
 * are judged in health.test.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BUDGET_CASES, emulatorOutcome } from "../differential/budget.js";
import type { FuzzReport } from "./fuzz/kernel.js";
import { FUZZ_COUNT, FUZZ_STREAMS, fuzzSuite } from "./fuzz.suite.js";
import { SESSION_WAIT_MS, ran, suiteRun } from "./results.js";

let run: { report: FuzzReport } | { skip: string } | undefined;

beforeAll(async () => {
  const suite = await suiteRun(fuzzSuite.name);
  if ("skip" in suite) return void (run = suite);
  const file = path.join(suite.dir, "fuzz-report.json");
  const report = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as FuzzReport) : { streams: [], budget: {} };
  run = { report };
  const rows = report.streams.map((s) => `  stream ${s.stream}: ${s.programs} programs, ${s.differences.length} differences emulator↔kernel (${s.seconds.toFixed(0)} s)`);
  console.log(`differential fuzzer in the kernel (logs in ${suite.dir}):\n${rows.join("\n")}`);
}, SESSION_WAIT_MS);

describe.each(FUZZ_STREAMS)("stream %i in kscript.ko", (stream) => {
  it(`${FUZZ_COUNT} programs print the same in the kernel as in the emulator`, ({ skip }) => {
    const s = ran(run, skip).report.streams.find((x) => x.stream === stream);
    expect(s, `stream ${stream} did not report (the guest panicked or was stopped?)`).toBeDefined();
    expect(s!.programs).toBe(FUZZ_COUNT);
    expect(s!.differences, s!.differences.join("\n")).toEqual([]);
  });
});

describe("where a call's budget ends: the same in kscript.ko as in the emulator", () => {
  for (const c of BUDGET_CASES) {
    it(c.name, ({ skip }) => {
      const kernel = ran(run, skip).report.budget[c.name];
      const emulated = emulatorOutcome(c);
      expect(kernel, "the case did not report").toBeDefined();
      // xdp's wall clock (100 ms) may end a call before its instruction cap on a slow guest: never later.
      if (c.clockMayEndIt && /time budget exceeded$/.test(kernel!.error)) {
        expect(Number(kernel!.count)).toBeLessThanOrEqual(Number(emulated.count));
      } else {
        expect(kernel).toEqual(emulated);
      }
    });
  }
});
