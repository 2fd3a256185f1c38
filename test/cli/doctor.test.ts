/**
 * `kscript doctor`: its judgement on made-up machines (a Debian 12 host with kscript's modules loaded, and
 * each way one can fall short), and the real command on this machine, whose kernel has no kscript.ko.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatChecks, runChecks, type Check, type Probe } from "../../cli/doctor.js";
import { packageRoot } from "../../common/paths.js";

const RELEASE = "6.1.0-57-amd64";
const GOOD_CONFIG = "CONFIG_MODULES=y\nCONFIG_TLS=m\nCONFIG_BPF_SYSCALL=y\nCONFIG_DEBUG_INFO_BTF=y\nCONFIG_DEBUG_INFO_BTF_MODULES=y\n";

/** A Debian 12 machine with kscript.ko and kscript's tls.ko loaded, as root; `change` makes it fall short. */
function machine(change: { files?: Record<string, string | undefined>; release?: string; clang?: string; ip?: string; protocol?: ReturnType<Probe["protocol"]> } = {}): Probe {
  const files: Record<string, string | undefined> = {
    [`/lib/modules/${RELEASE}/build/.config`]: GOOD_CONFIG,
    [`/lib/modules/${RELEASE}/build/Makefile`]: "",
    "/sys/kernel/btf/vmlinux": "",
    "/usr/include/bpf/bpf_helpers.h": "",
    "/sys/module/kscript": "",
    "/sys/module/tls": "",
    "/sys/module/kscript/holders/tls": "",
    "/proc/self/status": "CapEff:\t000001ffffffffff\n",
    ...change.files,
  };
  return {
    release: () => change.release ?? RELEASE,
    read: (f) => files[f],
    exists: (f) => files[f] !== undefined,
    run: (command) => {
      const output = command === "clang" ? change.clang ?? "  Registered Targets:\n    bpf        - BPF (host endian)\n" : change.ip ?? "ip utility, iproute2-6.1.0, libbpf 1.1.2";
      return output === "" ? undefined : { status: 0, output };
    },
    protocol: () => change.protocol ?? { version: 1 },
  };
}

const failing = (checks: Check[]) => checks.filter((c) => !c.ok).map((c) => c.name);
const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name)!;

describe("kscript doctor's checks", () => {
  it("passes every check on a Debian 12 host with kscript's modules loaded, as root", () => {
    const checks = runChecks(machine());
    expect(failing(checks)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(["kernel", "kernel config", "kernel BTF", "headers", "clang", "iproute2", "kscript.ko", "tls.ko", "CAP_SYS_ADMIN"]);
    expect(byName(checks, "kscript.ko").detail).toBe("loaded, protocol version 1 (this CLI's)");
    expect(formatChecks(checks).split("\n").every((l) => l.startsWith("✓ "))).toBe(true);
  });

  it.each([
    ["another kernel series", { release: "6.12.0-1-amd64", files: { "/lib/modules/6.12.0-1-amd64/build/.config": GOOD_CONFIG, "/lib/modules/6.12.0-1-amd64/build/Makefile": "" } }, ["kernel"], /Linux 6\.1/],
    ["kTLS built in", { files: { [`/lib/modules/${RELEASE}/build/.config`]: GOOD_CONFIG.replace("CONFIG_TLS=m", "CONFIG_TLS=y") } }, ["kernel config"], /CONFIG_TLS=y \(kTLS as a module.*wants m\)/],
    ["no module BTF", { files: { [`/lib/modules/${RELEASE}/build/.config`]: GOOD_CONFIG.replace("CONFIG_DEBUG_INFO_BTF_MODULES=y\n", "") } }, ["kernel config"], /CONFIG_DEBUG_INFO_BTF_MODULES=n/],
    ["no kernel config anywhere", { files: { [`/lib/modules/${RELEASE}/build/.config`]: undefined } }, ["kernel config"], /none of \/boot\/config-6\.1\.0-57-amd64, \/proc\/config\.gz/],
    ["no BTF", { files: { "/sys/kernel/btf/vmlinux": undefined } }, ["kernel BTF"], /no \/sys\/kernel\/btf\/vmlinux/],
    ["no headers", { files: { [`/lib/modules/${RELEASE}/build/Makefile`]: undefined } }, ["headers"], /apt-get install linux-headers-6\.1\.0-57-amd64/],
    ["clang without bpf", { clang: "  Registered Targets:\n    x86-64 - 64-bit X86\n" }, ["clang"], /without the bpf target/],
    ["no libbpf headers", { files: { "/usr/include/bpf/bpf_helpers.h": undefined } }, ["clang"], /libbpf-dev/],
    ["iproute2 without libbpf", { ip: "ip utility, iproute2-6.1.0" }, ["iproute2"], /built without libbpf/],
    ["no kscript.ko", { files: { "/sys/module/kscript": undefined, "/sys/module/kscript/holders/tls": undefined } }, ["kscript.ko", "tls.ko"], /kscript module build && kscript module install && kscript module load/],
    ["another protocol", { protocol: { error: "reply is protocol version 2; this client speaks 1" } }, ["kscript.ko"], /protocol version 2.*kscript module unload/],
    ["the distribution's tls.ko", { files: { "/sys/module/kscript/holders/tls": undefined } }, ["tls.ko"], /the distribution's.*rmmod tls && kscript module load/],
    ["no CAP_SYS_ADMIN", { files: { "/proc/self/status": "CapEff:\t0000000000000000\n" } }, ["CAP_SYS_ADMIN"], /sudo kscript/],
  ] as const)("fails on %s, saying what fixes it", (_, change, names, message) => {
    const checks = runChecks(machine(change));
    expect(failing(checks)).toEqual(names);
    const text = formatChecks(checks);
    expect(text).toMatch(message);
    for (const name of names) expect(text).toMatch(new RegExp(`^✗ ${name}\\s.*  → \\S`, "m"));
  });

  it("asks for a kernel with modules before kscript.ko on one without them", () => {
    const checks = runChecks(machine({ files: { [`/lib/modules/${RELEASE}/build/.config`]: "CONFIG_TLS=m\n", "/sys/module/kscript": undefined } }));
    expect(byName(checks, "kscript.ko").fix).toMatch(/CONFIG_MODULES=y/);
  });
});

describe("kscript doctor on this machine (no kscript.ko)", () => {
  const bin = path.join(packageRoot, "bin", "kscript.js");
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, "doctor", ...args], { encoding: "utf8" });

  it("prints one line per requirement, explains each ✗ with its fix and exits 1", () => {
    expect(fs.existsSync("/sys/module/kscript"), "this test wants a machine without kscript.ko").toBe(false);
    const r = run();
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(9);
    for (const line of lines) expect(line).toMatch(/^(✓ \S.*|✗ \S.*  → \S.*)$/);
    expect(r.stdout).toMatch(/^✗ kscript\.ko\s+not loaded  → /m);
    expect(r.stdout).toMatch(/^✗ tls\.ko\s+not loaded  → /m);
    const json = run("--json");
    expect(json.status).toBe(1);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; checks: Check[] };
    expect(parsed.ok).toBe(false);
    expect(formatChecks(parsed.checks)).toBe(r.stdout.trimEnd());
  });

  it("takes no arguments", () => {
    const r = run("extra");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'doctor' takes 0 arguments/);
  });
});
