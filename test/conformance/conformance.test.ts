/** Runs every binding's conformance cases on the emulator backend (the kernel runs them in test/kernel). */
import { describe, expect, test } from "vitest";
import { BINDINGS } from "../../common/dialect.js";
import { CORPUS } from "./corpus.js";
import { emulatorBackend } from "../../runtime/backends/index.js";
import { runCase } from "./backend.js";
import { expectConformance } from "./expect.js";

test("every binding has a conformance file, and the dialect has one", () => {
  expect(Object.keys(CORPUS).sort()).toEqual([...Object.keys(BINDINGS), "dialect"].sort());
});

for (const [binding, cases] of Object.entries(CORPUS)) {
  describe(`${binding} on the ${emulatorBackend.name}`, () => {
    test.each(cases)("$name", (c) => {
      expectConformance(c, runCase(emulatorBackend, c));
    });
  });
}
