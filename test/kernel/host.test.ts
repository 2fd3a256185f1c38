/**
 * A user's host and the kernel it boots next (host.suite.ts): a read-only installed SDK builds kscript.ko here
 * for the VM's kernel from an empty cache, then `kscript vm --no-module -- …` runs the kernel steps in a guest
 * with no kscript.ko and that cache; each step's output and exit status is in the suite's log, and the
 * script's last status is kscript vm's.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { sdkPackage } from "../../common/paths.js";
import type { Finished } from "../../common/child.js";
import { hostBuildFile, hostSuite, sdkFolder, snapshot, snapshotFile } from "./host.suite.js";
import { SESSION_WAIT_MS, ran, suiteRun, type SuiteRun } from "./results.js";

let result: SuiteRun | { skip: string };

beforeAll(async () => {
  result = await suiteRun(hostSuite.name);
}, SESSION_WAIT_MS);

/** The output of the script's nth command (commandScript prints `[status N]` after each) and its status. */
function steps(log: string): { output: string; status: number }[] {
  const parts = log.split(/^\[status (\d+)\]$/m);
  const out: { output: string; status: number }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push({ output: parts[i].replace(/^\n/, ""), status: Number(parts[i + 1]) });
  return out;
}

const work = () => path.join(inject("kernelSession"), "work", hostSuite.name);
/** The modules a `kscript module build` names: `built for VERSION: KO, TLS_KO`, each by its cache file's name. */
const builtLine = /^built for (6\.1\.\S+): (\S+)\/(kscript-\w+\.ko), (\S+)\/(tls-\w+\.ko)$/m;

describe("kscript on a host and in the kernel it boots next", () => {
  it("module build, on the host for a kernel not running yet, says each slow step from an empty cache", ({ skip }) => {
    ran(result, skip);
    const build = JSON.parse(fs.readFileSync(hostBuildFile(work()), "utf8")) as Finished;
    expect(build.status, build.stderr).toBe(0);
    for (const step of [/fetching Lua 5\.3\.6/, /extracting the kernel's BTF from \S+\/vmlinuz-6\.1\./, /preparing .* with vmlinux and resolve_btfids/, /building kscript\.ko against/, /kscript\.ko built in \d+ s/, /building kscript's tls\.ko/]) {
      expect(build.stderr).toMatch(step);
    }
    expect(build.stdout).toMatch(builtLine);
  });

  it("kscript vm prints its output folder and comes back with the command's exit status", ({ skip }) => {
    const { status, log } = ran(result, skip);
    expect(log).toMatch(/^kscript: output folder \/\S+\/kscript-vm-\w+ /m);
    expect(status?.status, log).toBe(3);
  });

  it("doctor says what is missing, module build/install/load make it all ✓, deploy runs the starter hook", ({ skip }) => {
    const { log } = ran(result, skip);
    const [copyCache, before, earlyLoad, build, install, load, after, empty, deploy, listing, traffic, stats, detach, unload, gone] = steps(log);
    expect(copyCache.status, copyCache.output).toBe(0);
    // No module yet: doctor names it with the commands that fix it, and exits 1.
    expect(before.status, before.output).toBe(1);
    expect(before.output).toMatch(/^✗ kscript\.ko\s+not loaded  → kscript module build && kscript module install && kscript module load$/m);
    expect(before.output).toMatch(/^✓ kernel\s+Linux 6\.1\./m);
    // Loading before installing is refused with the fix.
    expect(earlyLoad.status).toBe(1);
    expect(earlyLoad.output).toMatch(/kscript's tls\.ko is not installed for .*: kscript module install/);
    // The host's build, found: its BTF from sysfs here is the image's, so nothing is built again.
    expect(build.status, build.output).toBe(0);
    expect(build.output).not.toMatch(/^kscript: /m);
    const onHost = builtLine.exec((JSON.parse(fs.readFileSync(hostBuildFile(work()), "utf8")) as Finished).stdout);
    const inGuest = builtLine.exec(build.output);
    expect(inGuest?.[2]).toBe("/run/cache/module");
    expect([inGuest?.[1], inGuest?.[3], inGuest?.[5]]).toEqual([onHost?.[1], onHost?.[3], onHost?.[5]]);
    expect(install.status, install.output).toBe(0);
    expect(install.output).toMatch(/^installed kscript\.ko and tls\.ko in \/lib\/modules\/6\.1\.\S+\/updates\/kscript$/m);
    expect(install.output).toMatch(/^depmod -a 6\.1\.\S+: done/m);
    expect(load.status, load.output).toBe(0);
    expect(load.output).toContain("loaded kscript.ko and kscript's tls.ko");
    expect(after.status, after.output).toBe(0);
    const lines = after.output.trimEnd().split("\n");
    expect(lines).toHaveLength(9);
    for (const line of lines) expect(line).toMatch(/^✓ /);
    expect(after.output).toMatch(/^✓ tls\.ko\s+kscript's/m);
    expect(after.output).toMatch(/^✓ kscript\.ko\s+loaded, protocol version \d+/m);
    expect(empty.output).toBe("no scripts loaded\n");
    expect(deploy.status, deploy.output).toBe(0);
    expect(deploy.output).toMatch(/deployed 'discard' \(xdp, \d+ bytes, on lo \(xdpgeneric\)\)/);
    expect(listing.output).toMatch(/^discard\s+xdp\s+callback\s+\d+\s+.*\s+lo$/m);
    // The hook at work: UDP to port 9 is dropped at XDP, other ports pass.
    expect(traffic.output).toContain("port 9: 0 datagrams, port 10009: 1 datagrams");
    expect(stats.output).toMatch(/^discard\s+([2-9]|\d\d+)\s+0\s/m);
    expect(detach.status, detach.output).toBe(0);
    expect(unload.status, unload.output).toBe(0);
    expect(unload.output).toContain("unloaded kscript's tls.ko and kscript.ko");
    expect(gone.status).toBe(1);
    expect(gone.output).toContain("kscript module not loaded");
  });

  it("nothing wrote to the installed SDK", ({ skip }) => {
    ran(result, skip);
    const before = JSON.parse(fs.readFileSync(snapshotFile(work()), "utf8")) as string[];
    expect(snapshot(path.join(sdkFolder(work()), "lib", "node_modules", sdkPackage.name))).toEqual(before);
  });
});
