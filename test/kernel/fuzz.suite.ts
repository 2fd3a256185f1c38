/**
 * The differential fuzzer against kscript.ko (fuzz/): the fast suite's programs (test/differential, stream 1,
 * 2,000 programs; FUZZ_STREAMS / FUZZ_COUNT for more) run in the emulator on the host, and in the real module in
 * the guest, which compares each printed line. Lane c, after the hostile suite.
 */
import fs from "node:fs";
import path from "node:path";
import { packageRoot } from "../../common/paths.js";
import { generate } from "../differential/generate.js";
import { chunk, emulator } from "../differential/programs.js";
import type { FuzzInput } from "./fuzz/kernel.js";
import type { Suite } from "./session.js";

export const FUZZ_STREAMS = (process.env.FUZZ_STREAMS ?? "1").split(",").map(Number);
export const FUZZ_COUNT = Number(process.env.FUZZ_COUNT ?? 2000);

export const fuzzSuite: Suite = {
  name: "fuzz",
  lane: "c",
  async prepare({ js, work }) {
    const input: FuzzInput = {
      streams: FUZZ_STREAMS.map((stream) => ({ stream, emulator: emulator.run(Array.from({ length: FUZZ_COUNT }, (_, i) => chunk(generate(stream, i).statements))) })),
    };
    const file = path.join(work, "fuzz-input.json");
    fs.writeFileSync(file, JSON.stringify(input));
    return { cwd: packageRoot, script: `node ${path.join(js, "test/kernel/fuzz/main.js")} "$KS_OUT" ${file}\n` };
  },
};
