/**
 * Kernel tests in a qemu (TCG) VM: Debian's own kernel, kscript.ko built against its exact headers, and the
 * real Node client (test/kernel/guest) talking to the real /dev/kscript.
 *
 * Skips with a printed reason when it cannot run here (not root, not x86-64 Linux, Debian packages not
 * installable); with KSCRIPT_REQUIRE_KERNEL=1 (CI) those are failures instead.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { VM_CACHE, VmUnavailable, bootVm, prepareVm, readInitLog, type VmImage } from "../../vm/vm.js";
import type { ConformanceOutcome, ScenarioResult } from "./guest/main.js";
import { CORPUS } from "../conformance/corpus.js";
import { emulatorBackend } from "../../runtime/backends/index.js";
import { runCase } from "../conformance/backend.js";
import { expectConformance, expectSameOutcome } from "../conformance/expect.js";
import { scenarios } from "./guest/scenarios.js";
import { BAD_KERNEL_LOG, runFolder } from "./session.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const cache = VM_CACHE;
const required = process.env.KSCRIPT_REQUIRE_KERNEL === "1";
const VM_TIMEOUT_S = 900;
/** Taint bits a test module may set: O (out-of-tree, 4096) and E (unsigned, 8192). */
const ALLOWED_TAINT = 4096 | 8192;

interface VmRun {
  results: Map<string, ScenarioResult>;
  conformance: Map<string, ConformanceOutcome>;
  init: Map<string, string>;
  console: string;
  dmesg: string;
}

let skipReason: string | undefined;
let vm: VmRun | undefined;

function cannotRun(reason: string): void {
  if (required) throw new Error(`KSCRIPT_REQUIRE_KERNEL=1 but the kernel tests cannot run: ${reason}`);
  skipReason = reason;
  console.warn(`kernel tests skipped: ${reason}`);
}

function timed<T>(label: string, times: string[], fn: () => T): T {
  const t0 = performance.now();
  const v = fn();
  times.push(`${label} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return v;
}

beforeAll(async () => {
  const times: string[] = [];
  let image: VmImage;
  try {
    image = timed("provision + module + initramfs", times, () => prepareVm(cache));
  } catch (error) {
    if (error instanceof VmUnavailable) return cannotRun(error.message);
    throw error;
  }
  const out = runFolder("run");
  timed("client build", times, () =>
    execFileSync(
      process.execPath,
      [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(here, "guest/tsconfig.json"), "--outDir", join(out, "js")],
      { stdio: "inherit" },
    ),
  );
  const t0 = performance.now();
  await bootVm(image, { runner: join(out, "js/test/kernel/guest/main.js"), cwd: repo, out, timeoutSeconds: VM_TIMEOUT_S, console: "file" });
  times.push(`vm (boot, tests, rmmod) ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const read = (f: string): string => (existsSync(join(out, f)) ? readFileSync(join(out, f), "utf8") : "");
  const results = new Map<string, ScenarioResult>();
  for (const line of read("results.jsonl").split("\n").filter(Boolean)) {
    const r = JSON.parse(line) as ScenarioResult;
    results.set(r.name, r);
  }
  const conformance = new Map<string, ConformanceOutcome>();
  for (const line of read("conformance.jsonl").split("\n").filter(Boolean)) {
    const o = JSON.parse(line) as ConformanceOutcome;
    conformance.set(`${o.binding}/${o.name}`, o);
  }
  vm = { results, conformance, init: readInitLog(out), console: read("console.log"), dmesg: read("dmesg.txt") };
  console.log(`kernel ${image.kver}: ${times.join(", ")} (logs in ${out})`);
  for (const r of results.values()) if (r.detail && r.ok) console.log(`  ${r.name}: ${r.detail}`);
}, (VM_TIMEOUT_S + 600) * 1000);

function run(skip: (note?: string) => void): VmRun {
  if (skipReason !== undefined) skip(skipReason);
  if (!vm) throw new Error("the VM did not run");
  return vm;
}

describe("kernel VM", () => {
  it("loads kscript.ko", ({ skip }) => {
    expect(run(skip).init.get("insmod")).toBe("0");
  });

  for (const s of scenarios) {
    it(s.name, ({ skip }) => {
      const r = run(skip).results.get(s.name);
      expect(r, "scenario did not report (the guest crashed or timed out?)").toBeDefined();
      expect(r!.ok, r!.detail).toBe(true);
    });
  }

  for (const [binding, cases] of Object.entries(CORPUS)) {
    describe(`conformance: ${binding} on the kernel agrees with the emulator`, () => {
      for (const c of cases) {
        it(c.name, async ({ skip }) => {
          const outcome = run(skip).conformance.get(`${binding}/${c.name}`);
          expect(outcome, "case did not report (the guest crashed or timed out?)").toBeDefined();
          expect(outcome!.failure).toBeUndefined();
          expectConformance(c, outcome!.result!);
          expectSameOutcome(outcome!.result!, runCase(emulatorBackend, c));
        });
      }
    });
  }

  it("runner exits cleanly and the module unloads", ({ skip }) => {
    const { init } = run(skip);
    expect(init.get("runner")).toBe("0");
    expect(init.get("rmmod")).toBe("0");
  });

  it("kernel stays healthy: no oops, WARN or BUG; taint only O/E", ({ skip }) => {
    const { init, console: con, dmesg } = run(skip);
    const bad = [...con.split("\n"), ...dmesg.split("\n")].filter((l) => BAD_KERNEL_LOG.test(l));
    expect(bad, bad.join("\n")).toEqual([]);
    const taint = Number(init.get("tainted"));
    expect(Number.isInteger(taint), `tainted: ${init.get("tainted")}`).toBe(true);
    expect(taint & ~ALLOWED_TAINT, `tainted ${taint}`).toBe(0);
  });
});
