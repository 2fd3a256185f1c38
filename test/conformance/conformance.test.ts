/** Runs every binding's conformance cases on the emulator backend. */
import { describe, expect, test } from "vitest";
import { BINDINGS } from "../../compiler/dialect.js";
import type { ConformanceCase } from "./backend.js";
import { emulatorBackend } from "./emulator.js";
import { cases as data } from "./data.cases.js";
import { cases as rcu } from "./rcu.cases.js";
import { cases as xdp } from "./xdp.cases.js";
import { cases as xdplua } from "./xdplua.cases.js";

const CORPUS: Record<string, ConformanceCase[]> = { data, rcu, xdp, xdplua };

test("every binding has a conformance file", () => {
  expect(Object.keys(CORPUS).sort()).toEqual(Object.keys(BINDINGS).sort());
});

for (const [binding, cases] of Object.entries(CORPUS)) {
  describe(`${binding} on the ${emulatorBackend.name}`, () => {
    test.each(cases)("$name", async (c) => {
      const result = await emulatorBackend.run(c.script, c.target, c.input);
      expect(result.calls).toHaveLength(c.expect.calls.length);
      c.expect.calls.forEach((want, i) => {
        const got = result.calls[i];
        const { error, ...fields } = want;
        if (error !== undefined) expect(got.error, `call ${i + 1}`).toContain(error);
        else expect(got.error, `call ${i + 1} raised`).toBeUndefined();
        expect(got, `call ${i + 1}`).toMatchObject(fields);
      });
      if (c.expect.rcu) expect(result.rcu).toEqual(c.expect.rcu);
    });
  });
}
