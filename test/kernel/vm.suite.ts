/**
 * The scenarios and the conformance corpus on the kernel backend: test/kernel/guest/main.ts runs the real
 * Node client against the real /dev/kscript and writes one JSON line per scenario and per case.
 */
import path from "node:path";
import { packageRoot } from "../../common/paths.js";
import type { Suite } from "./session.js";

export const vmSuite: Suite = {
  name: "scenarios",
  lane: "a",
  prepare: async ({ js }) => ({ cwd: packageRoot, script: `node ${path.join(js, "test/kernel/guest/main.js")} "$KS_OUT"\n` }),
};
