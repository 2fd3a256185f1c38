/**
 * What `kscript test --kernel` runs inside the VM: the project's tests through `runTests`, with `loadHook` on
 * the kernel backend. Usage (by vm/init.sh): node kernel-runner.js OUTDIR PROJECT [vitest args…];
 * vitest's exit code is written to OUTDIR/exit-code for the host.
 */
import fs from "node:fs";
import path from "node:path";
import { runTestsInKernel } from "./run-tests.js";

const [out, project, ...vitestArgs] = process.argv.slice(2);
let code = 1;
try {
  code = await runTestsInKernel(project, vitestArgs);
} finally {
  fs.writeFileSync(path.join(out, "exit-code"), `${code}\n`);
}
process.exit(code);
