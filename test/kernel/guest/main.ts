/**
 * The kernel VM's runner: runs every scenario against /dev/kscript and appends one JSON line per scenario to
 * <outdir>/results.jsonl, then runs the conformance corpus on the kernel backend into conformance.jsonl
 * (outdir is argv[2], a 9p share the host reads back and judges).
 */
import { appendFileSync } from "node:fs";
import { closeDevice, openDevice } from "../../../device/client.js";
import { scenarios } from "./scenarios.js";
import { CORPUS } from "../../conformance/corpus.js";
import { kernelBackend } from "../../../runtime/backends/kernel.js";
import { runCase, type CaseResult } from "../../conformance/backend.js";

export interface ConformanceOutcome {
  binding: string;
  name: string;
  result?: CaseResult;
  /** The backend itself failed (the request was refused), as opposed to the hook raising an error. */
  failure?: string;
}

export interface ScenarioResult {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

const out = `${process.argv[2] ?? "/run/kscript-out"}/results.jsonl`;
const fd = openDevice();
for (const s of scenarios) {
  const t0 = performance.now();
  let result: ScenarioResult;
  try {
    const detail = await s.run(fd);
    result = { name: s.name, ok: true, detail: detail ?? "", ms: performance.now() - t0 };
  } catch (err) {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    result = { name: s.name, ok: false, detail, ms: performance.now() - t0 };
  }
  appendFileSync(out, `${JSON.stringify(result)}\n`);
}
const conformance = `${process.argv[2] ?? "/run/kscript-out"}/conformance.jsonl`;
for (const [binding, cases] of Object.entries(CORPUS)) {
  for (const c of cases) {
    let outcome: ConformanceOutcome;
    try {
      outcome = { binding, name: c.name, result: runCase(kernelBackend, c) };
    } catch (err) {
      outcome = { binding, name: c.name, failure: err instanceof Error ? err.message : String(err) };
    }
    appendFileSync(conformance, `${JSON.stringify(outcome)}\n`);
  }
}
closeDevice(fd);
