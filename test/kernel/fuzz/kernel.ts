/**
 * kscript.ko as a backend of the differential fuzzer: each program is loaded as a `tls` script named `prog`
 * (so messages read `prog:LINE:` as in the emulator) with `main` as its entry, `main` is run by test-run and
 * the script unloaded. Failures print as the emulator's do: `failed (kind): message`.
 */
import { writeFileSync } from "node:fs";
import { KscriptError, load, rcuGet, testRun, unload } from "../../../device/client.js";
import type { BudgetCase, BudgetOutcome } from "../../differential/budget.js";
import type { ProgramBackend } from "../../differential/programs.js";

/**
 * The module parameters during the run: the emulator's default budget and cap (DEFAULT_LIMITS), and a wall
 * clock the programs never reach under TCG (the emulator has none; the instruction count decides).
 */
export const FUZZ_PARAMETERS = { insn_limit: 1_000_000, mem_limit: 1 << 20, time_limit_ms: 12_000 };

export interface FuzzInput {
  streams: { stream: number; emulator: string[] }[];
}

export interface FuzzReport {
  streams: { stream: number; programs: number; differences: string[]; seconds: number }[];
  budget: Record<string, BudgetOutcome>;
}

export function setParameters(values: Record<string, number>): void {
  for (const [param, value] of Object.entries(values)) {
    writeFileSync(`/sys/module/kscript/parameters/${param}`, `${value}\n`);
  }
}

/** Runs a budget case (test/differential/budget.ts) in the kernel, its budget as the module's insn_limit. */
export function kernelOutcome(fd: number, c: BudgetCase): BudgetOutcome {
  setParameters({ ...FUZZ_PARAMETERS, insn_limit: c.budget });
  load(fd, { name: "budget", target: c.target, entry: c.target === "xdp" ? "callback" : "main", script: c.script });
  try {
    const r = testRun(fd, "budget", "", { fn: "main" });
    const error = r.ok ? "no error" : (r.error ?? "");
    if (c.target === "xdp") return { error, count: String(rcuGet(fd, "budget", "n")) };
    const n = testRun(fd, "budget", "", { fn: "count" });
    return { error, count: n.kind === "call" && n.ok ? String(n.values[0]) : `count() failed: ${n.error}` };
  } finally {
    unload(fd, "budget");
    setParameters(FUZZ_PARAMETERS);
  }
}

/** The engine's kinds of failure (runtime/errors.ts), from the kernel's message. */
function kind(message: string): string {
  if (/budget exceeded/.test(message)) return "budget";
  if (/not enough memory/.test(message)) return "memory";
  return /stack overflow/.test(message) ? "stack" : "runtime";
}

const LOAD_FAILED = /^load of 'prog' failed: /;

export function kernelPrograms(fd: number): ProgramBackend {
  const one = (script: string): string => {
    try {
      load(fd, { name: "prog", target: "tls", entry: "main", script });
    } catch (err) {
      if (!(err instanceof KscriptError) || err.code !== "ENOEXEC") throw err;
      // A program's chunk only defines functions: what fails its load is its syntax.
      return `failed (syntax): ${err.message.replace(LOAD_FAILED, "")}`;
    }
    try {
      const r = testRun(fd, "prog", "", { fn: "main" });
      if (r.kind !== "call") throw new Error(`test-run of main answered '${r.kind}'`);
      if (!r.ok) return `failed (${kind(r.error ?? "")}): ${r.error}`;
      const v = r.values[0];
      return v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : String(v);
    } finally {
      unload(fd, "prog");
    }
  };
  return { name: "kernel", run: (chunks) => chunks.map(one) };
}
