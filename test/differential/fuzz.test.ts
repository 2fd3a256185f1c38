/**
 * The differential fuzzer: generated programs must print the same in the emulator and in Debian's lua5.3
 * with the dialect applied. The suites run a fixed stream (`npm test` 2,000 programs, `npm run test:fast` 1,000);
 * `npm run fuzz -- --stream N --count M` (fuzz.mjs) runs more through FUZZ_STREAMS / FUZZ_COUNT.
 */
import { describe, expect, test } from "vitest";
import { BASE_FUNCTIONS, LIBRARIES } from "../../common/dialect.js";
import { generate } from "./generate.js";
import { chunk, compare, emulator, lua53, report } from "./programs.js";

const streams = (process.env.FUZZ_STREAMS ?? "1").split(",").map(Number);
const count = Number(process.env.FUZZ_COUNT ?? 2000);
const BATCH = 250;

describe.each(streams)("stream %i", (stream) => {
  const programs = Array.from({ length: count }, (_, i) => generate(stream, i));

  test(`${count} programs print the same in the emulator and in lua5.3`, { timeout: 3_600_000 }, () => {
    const lines: string[] = [];
    for (let at = 0; at < programs.length; at += BATCH) {
      for (const d of compare(programs.slice(at, at + BATCH), [emulator, lua53])) lines.push(report(d));
    }
    console.log(`stream ${stream}: ${programs.length} programs, ${lines.length} differences`);
    expect(lines, lines.join("\n")).toEqual([]);
  });

  test("the programs use every base function and library member of the dialect", () => {
    const text = programs.map((p) => chunk(p.statements)).join("\n");
    // print writes to the log (printk), not to a result: it is compared by the engine's own tests.
    const unused = [...BASE_FUNCTIONS.filter((f) => f !== "print" && !new RegExp(`\\b${f}\\(`).test(text)), ...Object.entries(LIBRARIES).flatMap(([lib, members]) => members.filter((m) => !text.includes(`${lib}.${m}`)).map((m) => `${lib}.${m}`))];
    expect(unused).toEqual([]);
  });
});
