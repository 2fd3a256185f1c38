/**
 * `kscript module`'s refusals on a machine that cannot build or load kscript.ko (this one: no headers for its
 * kernel): each is one line saying what to do, and nothing is written — no cache, nothing under /lib/modules.
 * The whole path (build, install, load, unload on a Debian 12 kernel) is test/kernel/host.test.ts.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../common/paths.js";

const bin = path.join(packageRoot, "bin", "kscript.js");
const cache = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kscript-module-")), "cache");
const release = os.release();
const hasHeaders = fs.existsSync(`/lib/modules/${release}/build/Makefile`);

function kscript(args: string[], uid?: number) {
  const r = spawnSync(process.execPath, [bin, "module", ...args], { encoding: "utf8", uid, env: { ...process.env, KSCRIPT_CACHE_DIR: cache } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Nothing was written: no cache folder, nothing installed for this kernel. */
function unchanged(): void {
  expect(fs.existsSync(cache)).toBe(false);
  expect(fs.existsSync(`/lib/modules/${release}/updates/kscript`)).toBe(false);
}

describe("kscript module refuses, changing nothing", () => {
  it.skipIf(hasHeaders)("build and install without headers for the running kernel, naming the package", () => {
    for (const action of ["build", "install"]) {
      const r = kscript([action]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`kscript: no kernel headers for ${release} at /lib/modules/${release}/build: apt-get install linux-headers-${release}\n`);
    }
    unchanged();
  });

  it("a --kdir that does not exist (usage, exit 2) or is no kernel build folder", () => {
    const missing = kscript(["build", "--kdir", "/nonexistent/headers"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/\/nonexistent\/headers does not exist\. Give --kdir a kernel build folder/);
    const notKernel = kscript(["build", "--kdir", packageRoot]);
    expect(notKernel.status).toBe(1);
    expect(notKernel.stderr).toBe(`kscript: ${packageRoot} is not a kernel build folder (no Makefile)\n`);
    unchanged();
  });

  it("a kernel that is not running: its BTF from --btf, which must exist, or /boot's image", () => {
    // A kernel build folder as far as the refusals look: a Makefile and the version it is for.
    const kdir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-kdir-"));
    fs.writeFileSync(path.join(kdir, "Makefile"), "");
    fs.mkdirSync(path.join(kdir, "include/generated"), { recursive: true });
    fs.writeFileSync(path.join(kdir, "include/generated/utsrelease.h"), '#define UTS_RELEASE "9.9.9-kscript-test"\n');
    const noBtf = kscript(["build", "--kdir", kdir]);
    expect(noBtf.status).toBe(1);
    expect(noBtf.stderr).toBe("kscript: no BTF for 9.9.9-kscript-test: neither /sys/kernel/btf/vmlinux (of the running kernel) nor /boot/vmlinuz-9.9.9-kscript-test: --btf FILE\n");
    const missing = kscript(["build", "--kdir", kdir, "--btf", "/nonexistent/vmlinuz"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/\/nonexistent\/vmlinuz does not exist\. Give --btf the BTF of the 9\.9\.9-kscript-test kernel/);
    unchanged();
  });

  it.runIf(process.getuid?.() === 0)("install, load and unload without root", () => {
    for (const action of ["install", "load", "unload"]) {
      const r = kscript([action], 65534);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toBe(`kscript: ${action} needs root: sudo kscript module ${action}\n`);
    }
    unchanged();
  });

  it("an unknown action or none", () => {
    expect(kscript(["frob"]).stderr).toMatch(/'module' takes build, install, load or unload, not 'frob'/);
    expect(kscript([]).stderr).toMatch(/'module' takes 1 argument, got 0/);
    unchanged();
  });
});
