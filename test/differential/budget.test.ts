/**
 * The emulator's end of a call (budget.ts): every case fails with the budget error, having counted some
 * progress and nothing the script tried after the call was over (pcall's continuation, a message handler, a
 * resumer adds 1,000,000). The kernel suite (test/kernel/fuzz.test.ts) compares the same counts with kscript.ko.
 */
import { describe, expect, it } from "vitest";
import { BUDGET_CASES, emulatorOutcome } from "./budget.js";

describe("where a call's budget ends, in the emulator", () => {
  for (const c of BUDGET_CASES) {
    it(c.name, () => {
      const r = emulatorOutcome(c);
      expect(r.error).toMatch(/^budget:\d+: instruction budget exceeded$/);
      const n = Number(r.count);
      expect(n).toBeGreaterThan(0);
      // xdp: 3 instructions an iteration, so the 1M ceiling makes 333,000 where its 3M budget would make 1,000,000.
      expect(n).toBeLessThan(c.target === "xdp" ? 400_000 : 1_000_000);
    });
  }

  it("the same case stops at the same place every time", () => {
    const c = BUDGET_CASES.find((x) => x.name.startsWith("plain find"))!;
    expect(emulatorOutcome(c)).toEqual(emulatorOutcome(c));
  });
});
