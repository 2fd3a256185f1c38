/**
 * The hostile-script suite in the VM (hostile/): scripts that try to hold a CPU, the module or kernel memory,
 * loaded through /dev/kscript directly. Every call must end within its limits (default, then maximum), be
 * counted, leave its state usable and the kernel log clean; the guest runs with strict lockup detectors
 * (vm/vm.ts) and ends with `rmmod`. Skips like vm.test.ts when the VM cannot run (KSCRIPT_REQUIRE_KERNEL=1: fails).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { VmUnavailable, bootVm, prepareVm, readInitLog } from "../../vm/vm.js";
import { CASES, type HostileResult, LIMITS, type Phase, SCENARIOS } from "./hostile/cases.js";
import { BAD_KERNEL_LOG, runFolder } from "./session.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const required = process.env.KSCRIPT_REQUIRE_KERNEL === "1";
const VM_TIMEOUT_S = 1500;
/** Beyond BAD_KERNEL_LOG: what the strict detectors print before they panic. */
const LOCKUP_LOG = /soft lockup|hung task|blocked for more than|rcu:.*stall|WARN/;

let skipReason: string | undefined;
let results: Map<string, HostileResult> | undefined;
let init = new Map<string, string>();
let kernelLog = "";

beforeAll(async () => {
  let image;
  try {
    image = prepareVm();
  } catch (error) {
    if (!(error instanceof VmUnavailable)) throw error;
    if (required) throw new Error(`KSCRIPT_REQUIRE_KERNEL=1 but the hostile suite cannot run: ${error.message}`);
    skipReason = error.message;
    return;
  }
  const out = runFolder("hostile");
  execFileSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(here, "hostile/tsconfig.json"), "--outDir", join(out, "js")], {
    stdio: "inherit",
  });
  await bootVm(image, { runner: join(out, "js/test/kernel/hostile/main.js"), cwd: repo, out, timeoutSeconds: VM_TIMEOUT_S, console: "file" });
  const read = (f: string): string => (existsSync(join(out, f)) ? readFileSync(join(out, f), "utf8") : "");
  results = new Map();
  for (const line of read("hostile.jsonl").split("\n").filter(Boolean)) {
    const r = JSON.parse(line) as HostileResult;
    results.set(`${r.phase}/${r.name}`, r);
  }
  init = readInitLog(out);
  kernelLog = `${read("console.log")}\n${read("dmesg.txt")}`;
  const rows = [...results.values()].map((r) => `  ${r.phase.padEnd(7)} ${r.ok ? "ok  " : "FAIL"} ${String(Math.round(r.ms)).padStart(6)} ms  ${r.class}: ${r.name} — ${r.ok ? r.detail : ""}`);
  console.log(`hostile suite (logs in ${out}):\n${rows.join("\n")}`);
}, (VM_TIMEOUT_S + 900) * 1000);

function result(phase: Phase, name: string, skip: (note?: string) => void): HostileResult {
  if (skipReason !== undefined) skip(skipReason);
  const r = results?.get(`${phase}/${name}`);
  expect(r, "the case did not report (the guest panicked or timed out?)").toBeDefined();
  return r!;
}

for (const phase of Object.keys(LIMITS) as Phase[]) {
  const { time_limit_ms, mem_limit } = LIMITS[phase];
  describe(`hostile scripts at the ${phase} limits (${time_limit_ms} ms, ${mem_limit >> 20} MiB)`, () => {
    for (const c of CASES.filter((c) => phase === "default" || c.max)) {
      it(`${c.class}: ${c.name}`, ({ skip }) => {
        const r = result(phase, c.name, skip);
        expect(r.ok, r.detail).toBe(true);
      });
    }
    for (const name of SCENARIOS[phase]) {
      it(name, ({ skip }) => {
        const r = result(phase, name, skip);
        expect(r.ok, r.detail).toBe(true);
      });
    }
  });
}

describe("after the hostile suite", () => {
  it("rmmod kscript returns 0", ({ skip }) => {
    if (skipReason !== undefined) skip(skipReason);
    expect(init.get("runner")).toBe("0");
    expect(init.get("rmmod")).toBe("0");
  });

  it("the kernel log has no BUG, WARN, lockup, hung task, RCU stall or Oops", ({ skip }) => {
    if (skipReason !== undefined) skip(skipReason);
    const bad = kernelLog.split("\n").filter((l) => BAD_KERNEL_LOG.test(l) || LOCKUP_LOG.test(l));
    expect(bad, bad.join("\n")).toEqual([]);
  });
});
