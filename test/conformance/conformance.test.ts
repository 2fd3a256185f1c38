/** Runs every binding's conformance cases on the emulator backend (the kernel runs them in test/kernel). */
import { describe, expect, test } from "vitest";
import { BINDINGS } from "../../common/dialect.js";
import { CORPUS } from "./corpus.js";
import { emulatorBackend } from "./emulator.js";
import { expectConformance } from "./expect.js";

test("every binding has a conformance file, and the dialect has one", () => {
  expect(Object.keys(CORPUS).sort()).toEqual([...Object.keys(BINDINGS), "dialect"].sort());
});

for (const [binding, cases] of Object.entries(CORPUS)) {
  describe(`${binding} on the ${emulatorBackend.name}`, () => {
    test.each(cases)("$name", async (c) => {
      expectConformance(c, await emulatorBackend.run(c.script, c.target, c.input));
    });
  });
}
