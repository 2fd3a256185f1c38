/**
 * The real `kscript` CLI against the real kscript.ko: an interactive `kscript vm` session deploys, lists,
 * inspects and unloads a hook of each target type (and is refused a taken name), and `kscript test --kernel`
 * runs every template's own tests through test-run in the VM. Skips like vm.test.ts when the VM cannot run here.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../common/paths.js";
import { VmUnavailable, prepareVm } from "../../vm/vm.js";
import { listTemplates } from "../../cli/init.js";
import { vmSession } from "./session.js";

const bin = path.join(packageRoot, "bin", "kscript.js");
const templates = path.join(packageRoot, "templates");
/** A project whose kscript.json asks for 1000 instructions per call. */
const tight = path.join(packageRoot, "test", "fixtures", "limits");
const required = process.env.KSCRIPT_REQUIRE_KERNEL === "1";
let skipReason: string | undefined;

beforeAll(() => {
  try {
    prepareVm();
  } catch (error) {
    if (!(error instanceof VmUnavailable)) throw error;
    if (required) throw new Error(`KSCRIPT_REQUIRE_KERNEL=1 but the kernel tests cannot run: ${error.message}`);
    skipReason = error.message;
    return;
  }
  for (const dir of [...["starter", "ktls-http", "sock-http-validate"].map((t) => path.join(templates, t)), tight]) {
    const r = spawnSync(process.execPath, [bin, "build", dir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`building ${dir}: ${r.stdout}${r.stderr}`);
  }
}, 600_000);

describe("the kscript CLI in the kernel VM", () => {
  it("deploys, lists, inspects and unloads a hook of each target, and refuses a taken name", async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const out = await vmSession(templates, [
      "kscript deploy starter/dist/discard.kscript.json",
      "kscript deploy ktls-http/dist/router.kscript.json",
      "kscript deploy sock-http-validate/dist/validate.kscript.json",
      `kscript deploy ${path.relative(templates, tight)}/dist/sum.kscript.json`,
      "kscript ls",
      "kscript unload sum",
      "kscript stats router",
      "kscript deploy starter/dist/discard.kscript.json",
      "kscript rcu set discard greeting hello",
      "kscript rcu get discard greeting",
      "kscript rcu get router greeting",
      "kscript unload discard",
      "kscript unload router",
      "kscript unload validate",
      "kscript ls",
      "kscript unload validate",
    ], 600_000); // each command starts Node in the TCG guest
    expect(out).toMatch(/deployed 'discard' \(xdp, \d+ bytes\)\n\[status 0\]/);
    expect(out).toMatch(/deployed 'router' \(tls, \d+ bytes\)\n\[status 0\]/);
    expect(out).toMatch(/deployed 'validate' \(sock, \d+ bytes\)\n\[status 0\]/);
    expect(out).toMatch(/NAME\s+TARGET\s+ENTRY\s+SIZE\s+INSNS\s+MEM-LIMIT\s+TIME-MS\s+XDP ON\n(.*\n){4}/);
    // Each script runs under its package's limits: the defaults, or what kscript.json asked for.
    expect(out).toMatch(/discard\s+xdp\s+callback\s+\d+\s+1000000\s+1048576\s+1000\s+-/);
    expect(out).toMatch(/sum\s+tls\s+recv\s+\d+\s+1000\s+1048576\s+1000\s+-/);
    expect(out).toMatch(/router\s+tls\s+recv\s+\d+/);
    expect(out).toMatch(/validate\s+sock\s+process\s+\d+/);
    expect(out).toMatch(/NAME\s+CALLS\s+ERRORS\s+BUDGET.*INSNS\s+MEM-LIMIT\s+TIME-MS.*\nrouter\s+0\s+0\s+0\s+0\s+1\s+\d+\s+1000000\s+1048576\s+1000\s+-/);
    expect(out).toMatch(/kscript: .*discard.*\n\[status 1\]/);
    expect(out).toMatch(/\nhello\n\[status 0\]/);
    expect(out).toMatch(/kscript: 'router' is a tls script; only xdp scripts have an rcu table\n\[status 1\]/);
    expect(out).toMatch(/unloaded 'validate'\n\[status 0\]\nno scripts loaded\n\[status 0\]/);
    expect(out).toMatch(/kscript: no script named 'validate' is loaded\n\[status 1\]/);
  }, 700_000);

  // The package's budget reaches the kernel: the same test file stops the loop there as in the emulator.
  it("kscript test --kernel holds a package to its kscript.json limits", { timeout: 1_000_000 }, ({ skip }) => {
    if (skipReason) skip(skipReason);
    const r = spawnSync(process.execPath, [bin, "test", "--kernel", tight], { encoding: "utf8", timeout: 900_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Tests\s+.*3 passed/);
  });

  // Every template's own tests, unchanged, against the real module: what passed in the emulator must pass here.
  it.for(listTemplates().map((t) => t.name))("kscript test --kernel passes template %s's tests", { timeout: 1_000_000 }, (name, { skip }) => {
    if (skipReason) skip(skipReason);
    const r = spawnSync(process.execPath, [bin, "test", "--kernel", path.join(templates, name)], { encoding: "utf8", timeout: 900_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Tests\s+.*\d+ passed/);
    expect(r.stdout).not.toMatch(/failed/);
  });
});
