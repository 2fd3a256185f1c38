/**
 * `kscript deploy --xdp` and `kscript detach` refusals that need no kernel: usage errors (exit 2: wrong hook
 * kind, --obj without an interface, no interface), a missing object and no /dev/kscript (exit 1). What
 * needs the kernel (no such interface, nothing attached, the hook at work) is in test/kernel/xdp.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../common/paths.js";
import { Builder } from "../../compiler/build.js";
import { loadProject } from "../../compiler/project.js";

const bin = path.join(packageRoot, "bin", "kscript.js");
let work: string;

function kscript(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "kscript-xdp-cli-"));
  for (const [template, dir] of [["starter", "xdp"], ["ktls-http", "tls"]]) {
    expect(kscript("init", template, path.join(work, dir)).status).toBe(0);
    // Built in-process, as `kscript build` builds: what is under test is deploy and detach.
    expect(new Builder(loadProject(path.join(work, dir))).build({ write: true }).ok).toBe(true);
  }
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("kscript deploy --xdp / detach without a kernel", () => {
  it("refuses --xdp for a hook that is not xdp", () => {
    const r = kscript("deploy", path.join(work, "tls/dist/router.kscript.json"), "--xdp", "lo");
    expect(r.status).toBe(2);
    expect(r.out).toContain("--xdp runs xdp hooks; 'router' is a tls hook.");
  });

  it("refuses --obj without --xdp", () => {
    const r = kscript("deploy", path.join(work, "xdp/dist/discard.kscript.json"), "--obj", "/nonexistent.o");
    expect(r.status).toBe(2);
    expect(r.out).toContain("--obj is the XDP program for --xdp IFACE");
  });

  it("names a missing XDP object", () => {
    const r = kscript("deploy", path.join(work, "xdp/dist/discard.kscript.json"), "--xdp", "lo", "--obj", "/nonexistent.o");
    expect(r.status).toBe(1);
    expect(r.out).toContain("no XDP object at /nonexistent.o");
  });

  it("says when the module is not loaded", ({ skip }) => {
    if (existsSync("/dev/kscript")) skip("kscript.ko is loaded on this machine");
    const r = kscript("detach", "lo");
    expect(r.status).toBe(1);
    expect(r.out).toContain("kscript module not loaded");
  });

  it("builds the XDP program with clang when no object is given", ({ skip }) => {
    if (spawnSync("clang", ["--version"]).status !== 0) skip("no clang here");
    if (existsSync("/dev/kscript")) skip("kscript.ko is loaded on this machine");
    const tmp = mkdtempSync(path.join(os.tmpdir(), "kscript-xdp-obj-"));
    try {
      const r = spawnSync(process.execPath, [bin, "deploy", path.join(work, "xdp/dist/discard.kscript.json"), "--xdp", "lo"], {
        encoding: "utf8",
        env: { ...process.env, TMPDIR: tmp, KSCRIPT_XDP_OBJ: "" },
      });
      // The object is built before the device is opened: here the module is missing, so deploy stops there.
      expect(r.stderr).toContain("kscript module not loaded");
      const objs = readdirSync(tmp).filter((f) => /^kscript-xdp-[0-9a-f]{16}\.o$/.test(f));
      expect(objs).toHaveLength(1);
      const elf = readFileSync(path.join(tmp, objs[0]));
      expect(elf.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
      expect(elf.readUInt16LE(18)).toBe(247); // EM_BPF
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("detach takes exactly one interface", () => {
    const r = kscript("detach");
    expect(r.status).toBe(2);
    expect(r.out).toContain("'detach' takes 1 argument, got 0.");
  });
});
