/**
 * The XDP hook end to end in the kernel VM: the templates xdp-dns and xdp-forward, made with `kscript init` and
 * built with `kscript build` here, deployed on veth interfaces in network namespaces by the real CLI
 * (`kscript deploy --xdp`), answering dig, learning an upstream's answers, redirecting by compiled rules,
 * and taken off again by `kscript detach` (test/kernel/xdp-guest/runner.ts does the guest's part).
 *
 * Skips with a printed reason when the VM cannot run here; with KSCRIPT_REQUIRE_KERNEL=1 (CI) that fails.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VM_CACHE, VmUnavailable, bootVm, prepareVm, readInitLog } from "../../vm/vm.js";
import { runFolder } from "./session.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const bin = join(repo, "bin", "kscript.js");
const required = process.env.KSCRIPT_REQUIRE_KERNEL === "1";
const VM_TIMEOUT_S = 600;
const ALLOWED_TAINT = 4096 | 8192;
const BAD_LOG = /Oops|BUG:|WARNING:|kernel BUG|general protection|Call Trace|Kernel panic|stack-protector|RIP: 0010/;

/** Steps the runner reports, in order. */
const STEPS = [
  "module BTF, veth and namespaces",
  "deploy --xdp refuses what it cannot do",
  "xdp-dns deployed on d0 answers the zone",
  "xdp-dns caches the upstream's answers",
  "xdp-dns passes other traffic",
  "kscript detach restores plain forwarding (xdp-dns)",
  "verdicts hook on d0 deployed",
  "drop works; a script error or budget hit passes the packet",
  "after detach, nothing is dropped",
  "xdp-forward deployed on f0 with compiled rules",
  "xdp-forward redirects per its rules",
  "kscript detach restores plain forwarding (xdp-forward)",
  "after detach, only routing applies",
  "done",
];

const VERDICTS = `import type { Data } from "kscript/data";
import { action, type Action } from "kscript/xdp";
import { udp_reply } from "kscript/xdplua";

/**
 * UDP to port 9 is dropped; to port 10 the hook raises an error; to port 11 it spins past its budget; to
 * port 12 it turns the packet into a reply, then raises an error.
 */
export function callback(pkt: Data): Action {
  if (pkt.len() < 42 || pkt.getuint16(12) !== 0x0800 || pkt.getbyte(23) !== 17) return action.pass;
  const port = pkt.getuint16(14 + (pkt.getbyte(14) & 15) * 4 + 2);
  if (port === 9) return action.drop;
  if (port === 10) throw new Error("boom");
  if (port === 12) {
    udp_reply(pkt, "x");
    throw new Error("boom after a rewrite");
  }
  let n = 0;
  while (port === 11) n++;
  return n === 0 ? action.pass : action.aborted;
}
`;

interface Step {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

let skipReason: string | undefined;
let steps: Map<string, Step> | undefined;
let init: Map<string, string> = new Map();
let logs = "";
let work: string | undefined;

function kscript(...args: string[]): void {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`kscript ${args.join(" ")}: ${r.stdout}${r.stderr}`);
}

beforeAll(async () => {
  let image;
  try {
    image = prepareVm();
  } catch (error) {
    if (!(error instanceof VmUnavailable)) throw error;
    if (required) throw new Error(`KSCRIPT_REQUIRE_KERNEL=1 but the kernel tests cannot run: ${error.message}`);
    skipReason = error.message;
    console.warn(`xdp kernel tests skipped: ${skipReason}`);
    return;
  }
  // The projects live where the guest sees them: the host's root is shared read-only.
  work = mkdtempSync(join(os.tmpdir(), "kscript-xdp-"));
  for (const [template, dir] of [["xdp-dns", "dns"], ["xdp-forward", "forward"]]) {
    kscript("init", template, join(work, dir));
    kscript("build", join(work, dir));
  }
  // A hook for the verdicts the templates do not give: drop, a Lua error, a spent budget.
  mkdirSync(join(work, "verdicts", "src"), { recursive: true });
  writeFileSync(join(work, "verdicts", "kscript.json"), '{ "hooks": [{ "name": "verdicts", "entry": "src/verdicts.ts", "target": "xdp" }] }\n');
  writeFileSync(join(work, "verdicts", "src", "verdicts.ts"), VERDICTS);
  kscript("build", join(work, "verdicts"));
  const out = runFolder("xdp-run");
  execFileSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(here, "xdp-guest/tsconfig.json"), "--outDir", join(out, "js")], {
    stdio: "inherit",
  });
  const veth = join(VM_CACHE, `image-${image.kver}`, "lib/modules", image.kver, "kernel/drivers/net/veth.ko");
  const runner = join(out, "js/test/kernel/xdp-guest/runner.js");
  const t0 = performance.now();
  await bootVm(image, {
    runner,
    runnerArgs: [veth, join(image.bpf, "kscript_xdp.o"), join(work, "dns"), join(work, "forward"), join(work, "verdicts")],
    cwd: repo,
    out,
    timeoutSeconds: VM_TIMEOUT_S,
    console: "file",
  });
  const read = (f: string): string => (existsSync(join(out, f)) ? readFileSync(join(out, f), "utf8") : "");
  steps = new Map();
  for (const line of read("xdp.jsonl").split("\n").filter(Boolean)) {
    const s = JSON.parse(line) as Step;
    steps.set(s.name, s);
  }
  init = readInitLog(out);
  logs = read("console.log") + read("dmesg.txt");
  console.log(`xdp VM run ${((performance.now() - t0) / 1000).toFixed(1)} s (logs in ${out})`);
  for (const s of steps.values()) if (s.ok && s.detail) console.log(`  ${s.name}: ${s.detail}`);
}, (VM_TIMEOUT_S + 600) * 1000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("XDP hooks deployed with the kscript CLI in the kernel VM", () => {
  for (const name of STEPS) {
    it(name, ({ skip }) => {
      if (skipReason !== undefined) skip(skipReason);
      const s = steps?.get(name);
      expect(s, "step did not report (the guest crashed or timed out?)").toBeDefined();
      expect(s!.ok, s!.detail).toBe(true);
    });
  }

  it("the module unloads and the kernel stays healthy", ({ skip }) => {
    if (skipReason !== undefined) skip(skipReason);
    expect(init.get("runner")).toBe("0");
    expect(init.get("rmmod")).toBe("0");
    const bad = logs.split("\n").filter((l) => BAD_LOG.test(l));
    expect(bad, bad.join("\n")).toEqual([]);
    expect(Number(init.get("tainted")) & ~ALLOWED_TAINT).toBe(0);
  });
});
