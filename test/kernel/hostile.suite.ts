/**
 * The hostile-script suite (hostile/): scripts that try to hold a CPU, the module or kernel memory, loaded
 * through /dev/kscript directly by hostile/main.ts, at the default limits and then the maximum ones. A VM of
 * its own (lane c): the guest runs with strict lockup detectors, and a case that trips one panics it.
 */
import path from "node:path";
import { packageRoot } from "../../common/paths.js";
import type { Suite } from "./session.js";

export const hostileSuite: Suite = {
  name: "hostile",
  lane: "c",
  prepare: async ({ js }) => ({ cwd: packageRoot, script: `node ${path.join(js, "test/kernel/hostile/main.js")} "$KS_OUT"\n` }),
};
