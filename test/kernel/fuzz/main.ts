/**
 * The differential fuzzer's kernel runner in the VM (argv[2]: the out share; argv[3]: fuzz-input.json, where
 * the host wrote each stream's emulator results). The same generated programs are loaded into kscript.ko through
 * /dev/kscript, their `main` run by test-run, and each line compared with the emulator's. A difference is
 * shrunk against both backends (the emulator runs here for that) and written as a one-line reproducer to
 * fuzz-report.json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { closeDevice, openDevice } from "../../../device/client.js";
import { BUDGET_CASES } from "../../differential/budget.js";
import { generate } from "../../differential/generate.js";
import { chunk, compare, emulator, report } from "../../differential/programs.js";
import { FUZZ_PARAMETERS, type FuzzInput, type FuzzReport, kernelOutcome, kernelPrograms, setParameters } from "./kernel.js";

const outDir = process.argv[2] ?? "/run/kscript-out";
const input = JSON.parse(readFileSync(process.argv[3] ?? `${outDir}/fuzz-input.json`, "utf8")) as FuzzInput;
/** Differences shrunk per stream (each shrink runs the emulator under TCG); the rest are reported unshrunk. */
const SHRINK_MAX = 10;

// The module's parameters as this suite found them, put back at its end for the suites after it.
const found = Object.fromEntries(Object.keys(FUZZ_PARAMETERS).map((p) => [p, Number(readFileSync(`/sys/module/kscript/parameters/${p}`, "utf8"))]));
setParameters(FUZZ_PARAMETERS);
const fd = openDevice();
const kernel = kernelPrograms(fd);
const out: FuzzReport = { streams: [], budget: {} };
for (const c of BUDGET_CASES) {
  try {
    out.budget[c.name] = kernelOutcome(fd, c);
  } catch (err) {
    out.budget[c.name] = { error: `the case failed to run: ${String(err)}`, count: "" };
  }
}
writeFileSync(`${outDir}/fuzz-report.json`, JSON.stringify(out));
for (const { stream, emulator: expected } of input.streams) {
  const t0 = performance.now();
  const programs = expected.map((_, i) => generate(stream, i));
  const got = kernel.run(programs.map((p) => chunk(p.statements)));
  const differences: string[] = [];
  for (const p of programs.filter((_, i) => got[i] !== expected[i])) {
    if (differences.length >= SHRINK_MAX) {
      differences.push(`stream ${stream} #${p.index} (not shrunk) --> emulator: ${expected[p.index]} ;; kernel: ${got[p.index]}`);
    } else {
      differences.push(...compare([p], [emulator, kernel]).map(report));
    }
  }
  out.streams.push({ stream, programs: programs.length, differences, seconds: (performance.now() - t0) / 1000 });
  writeFileSync(`${outDir}/fuzz-report.json`, JSON.stringify(out));
}
closeDevice(fd);
setParameters(found);
