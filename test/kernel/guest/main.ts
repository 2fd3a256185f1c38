/**
 * The kernel VM's runner: runs every scenario against /dev/kscript and appends one JSON line per scenario to
 * <outdir>/results.jsonl (outdir is argv[2], a 9p share the host reads back).
 */
import { appendFileSync } from "node:fs";
import { closeDevice, openDevice } from "../../../compiler/kernel/client.js";
import { scenarios } from "./scenarios.js";

export interface ScenarioResult {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

const out = `${process.argv[2] ?? "/tmp/out"}/results.jsonl`;
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
closeDevice(fd);
