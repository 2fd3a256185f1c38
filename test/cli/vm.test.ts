/**
 * `kscript vm`'s command line and where kscript keeps its caches, without booting anything: every refusal
 * comes before the VM is prepared. The VM runs (a command's output and status, from a read-only installed SDK)
 * are test/kernel/host.test.ts. And the quick path: device commands load the device client alone.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cacheRoot, packageRoot } from "../../common/paths.js";

const bin = path.join(packageRoot, "bin", "kscript.js");
const kscript = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

describe("kscript vm's command line", () => {
  it.each([
    [["vm", ".", "--"], /'--' needs a command to run in the VM/],
    [["vm", ".", "--param", "insn_limit"], /--param takes name=value \(no spaces or commas\), not 'insn_limit'/],
    [["vm", ".", "--param", "a=1,b=2", "--", "true"], /--param takes name=value/],
    [["vm", ".", "--timeout", "soon", "--", "true"], /--timeout takes a number of seconds, not 'soon'/],
    [["vm", ".", "--timeout", "0", "--", "true"], /--timeout takes a number of seconds, not '0'/],
    [["vm", ".", "--no-module", "--param", "pool_max=4"], /--no-module boots without it/],
    [["vm", "/nonexistent/project", "--", "true"], /\/nonexistent\/project does not exist/],
    [["vm", "--bogus"], /unknown option '--bogus' for 'vm'/],
  ])("refuses %j before booting", (args, message) => {
    const r = kscript(...args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/output folder|booting/);
  });

  it("leaves the command's own options to it (--help after -- is not kscript's)", () => {
    const r = kscript("vm", "/nonexistent/project", "--", "ls", "--help");
    expect(r.stderr).toMatch(/does not exist/);
    expect(r.stdout).not.toContain("usage: kscript");
  });
});

describe("kscript's cache folder", () => {
  const checkout = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-cache-"));
  fs.mkdirSync(path.join(checkout, ".git"));
  const installed = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-cache-"));

  it("is KSCRIPT_CACHE_DIR when set", () => {
    expect(cacheRoot({ KSCRIPT_CACHE_DIR: "/var/cache/ks", XDG_CACHE_HOME: "/x" }, checkout)).toBe("/var/cache/ks");
  });
  it("is a git checkout's own .cache", () => {
    expect(cacheRoot({ XDG_CACHE_HOME: "/x" }, checkout)).toBe(path.join(checkout, ".cache"));
  });
  it("is the user's cache folder for an installed SDK, never inside the package", () => {
    expect(cacheRoot({ XDG_CACHE_HOME: "/x" }, installed)).toBe("/x/kscript");
    expect(cacheRoot({}, installed)).toBe(path.join(os.homedir(), ".cache", "kscript"));
    // The XDG spec: a relative XDG_CACHE_HOME is ignored.
    expect(cacheRoot({ XDG_CACHE_HOME: "relative" }, installed)).toBe(path.join(os.homedir(), ".cache", "kscript"));
  });
});

describe("the quick path of device commands", () => {
  it("kscript ls loads the device client and nothing of the compiler or the rest of the CLI", () => {
    // Written synchronously: the hooks run on their own thread, whose process.stderr reaches the main thread's
    // asynchronously and could be lost when the command exits at once.
    const hook = `data:text/javascript,${encodeURIComponent('import { writeSync } from "node:fs"; export async function load(url, context, next) { if (url.startsWith("file:")) writeSync(2, "LOADED " + url + "\\n"); return next(url, context); }')}`;
    const register = `data:text/javascript,${encodeURIComponent(`import { register } from "node:module"; register(${JSON.stringify(hook)});`)}`;
    const r = spawnSync(process.execPath, ["--import", register, bin, "ls"], { encoding: "utf8" });
    const loaded = [...r.stderr.matchAll(/^LOADED file:\/\/(.*)$/gm)].map((m) => path.relative(packageRoot, m[1])).sort();
    expect(loaded).toEqual([
      "bin/kscript.js",
      "dist/cli/device.js",
      "dist/common/diagnostics.js", // the catalog alone (rcu --hex's usage error), no imports of its own
      "dist/common/dialect.js",
      "dist/device/client.js",
      "dist/device/index.js",
      "dist/device/protocol.js",
    ]);
    expect(r.status).toBe(fs.existsSync("/dev/kscript") ? 0 : 1);
  });
});
