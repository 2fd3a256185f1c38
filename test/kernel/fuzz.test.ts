/**
 * The differential fuzzer against kscript.ko (fuzz/): the fast suite's programs (test/differential, seed 1,
 * 2,000 programs; FUZZ_SEEDS / FUZZ_COUNT for more) run in the emulator here and in the real module in one VM
 * boot, and must print the same line. Skips like vm.test.ts when the VM cannot run (KSCRIPT_REQUIRE_KERNEL=1:
 * fails).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { VmUnavailable, bootVm, prepareVm, readInitLog } from "../../vm/vm.js";
import { BUDGET_CASES, emulatorOutcome } from "../differential/budget.js";
import { generate } from "../differential/generate.js";
import { chunk, emulator } from "../differential/programs.js";
import type { FuzzInput, FuzzReport } from "./fuzz/kernel.js";
import { BAD_KERNEL_LOG, runFolder } from "./session.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const required = process.env.KSCRIPT_REQUIRE_KERNEL === "1";
const seeds = (process.env.FUZZ_SEEDS ?? "1").split(",").map(Number);
const count = Number(process.env.FUZZ_COUNT ?? 2000);
/** Per program under TCG on a busy 2-core host, with room for the boot and the shrinking. */
const VM_TIMEOUT_S = 600 + Math.ceil((seeds.length * count) / 10);

let skipReason: string | undefined;
let fuzz: FuzzReport | undefined;
let init = new Map<string, string>();
let kernelLog = "";

beforeAll(async () => {
  let image;
  try {
    image = prepareVm();
  } catch (error) {
    if (!(error instanceof VmUnavailable)) throw error;
    if (required) throw new Error(`KSCRIPT_REQUIRE_KERNEL=1 but the fuzzer cannot run in the kernel: ${error.message}`);
    skipReason = error.message;
    return;
  }
  const out = runFolder("fuzz");
  mkdirSync(out, { recursive: true });
  const input: FuzzInput = {
    seeds: seeds.map((seed) => ({ seed, emulator: emulator.run(Array.from({ length: count }, (_, i) => chunk(generate(seed, i).statements))) })),
  };
  writeFileSync(join(out, "fuzz-input.json"), JSON.stringify(input));
  execFileSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(here, "fuzz/tsconfig.json"), "--outDir", join(out, "js")], {
    stdio: "inherit",
  });
  await bootVm(image, { runner: join(out, "js/test/kernel/fuzz/main.js"), cwd: repo, out, timeoutSeconds: VM_TIMEOUT_S, console: "file" });
  const read = (f: string): string => (existsSync(join(out, f)) ? readFileSync(join(out, f), "utf8") : "");
  const text = read("fuzz-report.json");
  fuzz = text ? (JSON.parse(text) as FuzzReport) : { seeds: [], budget: {} };
  init = readInitLog(out);
  kernelLog = `${read("console.log")}\n${read("dmesg.txt")}`;
  const rows = fuzz.seeds.map((s) => `  seed ${s.seed}: ${s.programs} programs, ${s.differences.length} differences emulator↔kernel (${s.seconds.toFixed(0)} s)`);
  console.log(`differential fuzzer in the kernel (logs in ${out}):\n${rows.join("\n")}`);
}, (VM_TIMEOUT_S + 900) * 1000);

describe.each(seeds)("seed %i in kscript.ko", (seed) => {
  it(`${count} programs print the same in the kernel as in the emulator`, ({ skip }) => {
    if (skipReason !== undefined) skip(skipReason);
    const s = fuzz?.seeds.find((x) => x.seed === seed);
    expect(s, `seed ${seed} did not report (the guest panicked or timed out?)`).toBeDefined();
    expect(s!.programs).toBe(count);
    expect(s!.differences, s!.differences.join("\n")).toEqual([]);
  });
});

describe("where a call's budget ends: the same in kscript.ko as in the emulator", () => {
  for (const c of BUDGET_CASES) {
    it(c.name, ({ skip }) => {
      if (skipReason !== undefined) skip(skipReason);
      const kernel = fuzz?.budget[c.name];
      const emulated = emulatorOutcome(c);
      expect(kernel, "the case did not report").toBeDefined();
      if (c.clockMayEndIt && /time budget exceeded$/.test(kernel!.error)) {
        expect(Number(kernel!.count)).toBeLessThanOrEqual(Number(emulated.count));
      } else {
        expect(kernel).toEqual(emulated);
      }
    });
  }
});

describe("after the fuzzer", () => {
  it("the runner and rmmod return 0, and the kernel log is clean", ({ skip }) => {
    if (skipReason !== undefined) skip(skipReason);
    expect(init.get("runner")).toBe("0");
    expect(init.get("rmmod")).toBe("0");
    const bad = kernelLog.split("\n").filter((l) => BAD_KERNEL_LOG.test(l));
    expect(bad, bad.join("\n")).toEqual([]);
  });
});
