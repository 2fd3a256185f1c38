/** The backend hooks run on: the local engine, or kscript.ko when KSCRIPT_BACKEND=kernel (`kscript test --kernel`). */
import type { Backend } from "./backend.js";
import { emulatorBackend } from "./emulator.js";
import { kernelBackend } from "./kernel.js";

export const BACKEND_ENV = "KSCRIPT_BACKEND";

export function selectedBackend(): Backend {
  return process.env[BACKEND_ENV] === "kernel" ? kernelBackend : emulatorBackend;
}

export { emulatorBackend, kernelBackend };
export type { Backend, CallInput, CallOutcome, LoadedScript, ScriptSpec } from "./backend.js";
