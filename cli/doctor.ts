/**
 * `kscript doctor`: what this machine has and lacks for kscript.ko, one line per requirement, each with the
 * command that fixes it. Everything is read from the system through `Probe`, so the checks' judgement is
 * tested on made-up machines as well as on the real one.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import * as device from "../device/index.js";

export interface Check {
  name: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** The command (or step) that fixes it, when not ok. */
  fix?: string;
}

/** What the checks read from the machine. */
export interface Probe {
  release(): string;
  /** A file's text, or undefined when it cannot be read (gzip files are inflated). */
  read(file: string): string | undefined;
  exists(file: string): boolean;
  /** A command's stdout and stderr, or undefined when it cannot be run. */
  run(command: string, args: string[]): { status: number | null; output: string } | undefined;
  /** The loaded kscript.ko's answer to a list request: its protocol version, or why it did not answer. */
  protocol(): { version: number } | { error: string };
}

/** The sbin folders: a user's PATH (or sudo's) may leave them out, and ip lives there. */
const PATH = [process.env.PATH, "/usr/sbin", "/usr/bin", "/sbin", "/bin"].filter(Boolean).join(":");

export const hostProbe: Probe = {
  release: () => os.release(),
  read(file) {
    try {
      const bytes = fs.readFileSync(file);
      return (file.endsWith(".gz") ? zlib.gunzipSync(bytes) : bytes).toString("utf8");
    } catch {
      return undefined;
    }
  },
  exists: (file) => fs.existsSync(file),
  run(command, args) {
    const r = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, PATH } });
    return r.error ? undefined : { status: r.status, output: `${r.stdout}${r.stderr}` };
  },
  protocol() {
    try {
      const fd = device.openDevice();
      try {
        device.list(fd);
        return { version: device.VERSION };
      } finally {
        device.closeDevice(fd);
      }
    } catch (error) {
      if (error instanceof device.KscriptError || error instanceof device.ProtocolError) return { error: error.message };
      throw error;
    }
  },
};

/** The kernel series kscript.ko is written and tested for; kscript's tls.ko is this series' net/tls. */
const SERIES = "6.1";
const INSTALL = "kscript module build && kscript module install && kscript module load";

/** Kernel options kscript needs, and why (the line names the missing ones). */
const CONFIG: { option: string; want: RegExp; why: string }[] = [
  { option: "CONFIG_MODULES", want: /^y$/, why: "loadable modules" },
  { option: "CONFIG_TLS", want: /^m$/, why: "kTLS as a module, so kscript's tls.ko can take its place" },
  { option: "CONFIG_BPF_SYSCALL", want: /^y$/, why: "BPF programs (the XDP hook)" },
  { option: "CONFIG_DEBUG_INFO_BTF", want: /^y$/, why: "kernel BTF" },
  { option: "CONFIG_DEBUG_INFO_BTF_MODULES", want: /^y$/, why: "module BTF (the XDP hook's kfuncs)" },
];

function configValues(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (eq) m.set(eq[1], eq[2]);
  }
  return m;
}

export function runChecks(probe: Probe = hostProbe): Check[] {
  const release = probe.release();
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string, fix: string) => checks.push(ok ? { name, ok, detail } : { name, ok, detail, fix });

  const series = /^(\d+\.\d+)/.exec(release)?.[1];
  check(
    "kernel",
    series === SERIES,
    series === SERIES ? `Linux ${release}` : `Linux ${release}; kscript.ko and its tls.ko are written for Linux ${SERIES} (Debian 12)`,
    "apt-get install linux-image-amd64 on Debian 12 and reboot into it, or try hooks in qemu: kscript vm . -- COMMAND",
  );

  const sources = [`/boot/config-${release}`, "/proc/config.gz", `/lib/modules/${release}/build/.config`];
  const found = sources.map((f) => ({ file: f, text: probe.read(f) })).find((s) => s.text !== undefined);
  let modules = true;
  if (found === undefined) {
    check("kernel config", false, `none of ${sources.join(", ")} can be read`, `apt-get install linux-headers-${release} (its .config), or modprobe configs`);
  } else {
    const values = configValues(found.text!);
    modules = values.get("CONFIG_MODULES") === "y";
    const wrong = CONFIG.filter((c) => !c.want.test(values.get(c.option) ?? "n"));
    const show = (c: (typeof CONFIG)[number]) => `${c.option}=${values.get(c.option) ?? "n"} (${c.why}: wants ${c.want.source.replace(/[\^$]/g, "")})`;
    check(
      "kernel config",
      wrong.length === 0,
      wrong.length === 0 ? `${CONFIG.map((c) => `${c.option}=${values.get(c.option)}`).join(" ")} (${found.file})` : `${wrong.map(show).join(", ")} in ${found.file}`,
      "a kernel built with these options: Debian 12's linux-image-amd64 has them",
    );
  }

  const btf = probe.exists("/sys/kernel/btf/vmlinux");
  check("kernel BTF", btf, btf ? "/sys/kernel/btf/vmlinux" : "no /sys/kernel/btf/vmlinux", "a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian 12's linux-image-amd64)");

  const kbuild = `/lib/modules/${release}/build`;
  const headers = probe.exists(path.join(kbuild, "Makefile"));
  check("headers", headers, headers ? kbuild : `no kernel headers at ${kbuild}`, `apt-get install linux-headers-${release}`);

  const clang = probe.run("clang", ["-print-targets"]);
  const bpfTarget = clang !== undefined && clang.status === 0 && /^\s*bpf\s/m.test(clang.output);
  const libbpf = probe.exists("/usr/include/bpf/bpf_helpers.h");
  check(
    "clang",
    bpfTarget && libbpf,
    [clang === undefined ? "no clang" : bpfTarget ? "clang with the bpf target" : "clang without the bpf target", libbpf ? "libbpf's headers" : "no libbpf headers (bpf/bpf_helpers.h)"].join(", "),
    "apt-get install clang llvm libbpf-dev",
  );

  const ip = probe.run("ip", ["-V"]);
  const ipLibbpf = ip !== undefined && /libbpf/.test(ip.output);
  check(
    "iproute2",
    ipLibbpf,
    ip === undefined ? "no ip command" : ipLibbpf ? ip.output.trim() : `${ip.output.trim()} (built without libbpf: cannot attach XDP objects)`,
    "apt-get install iproute2 (Debian 12's links libbpf)",
  );

  const loaded = probe.exists("/sys/module/kscript");
  if (!loaded) {
    check("kscript.ko", false, "not loaded", modules ? INSTALL : "a kernel that loads modules (CONFIG_MODULES=y) first");
  } else {
    const answer = probe.protocol();
    check(
      "kscript.ko",
      "version" in answer,
      "version" in answer ? `loaded, protocol version ${answer.version} (this CLI's)` : `loaded, but ${answer.error}`,
      "version" in answer ? "" : `kscript module unload && ${INSTALL}  (the module of this SDK)`,
    );
  }

  const tls = probe.exists("/sys/module/tls");
  // kscript's tls.ko links against kscript.ko's exports, which makes it one of kscript's holders.
  const ours = probe.exists("/sys/module/kscript/holders/tls");
  check(
    "tls.ko",
    ours,
    ours ? "kscript's (tls hooks can attach)" : tls ? "the distribution's: tls hooks cannot attach" : "not loaded",
    tls ? `rmmod tls && kscript module load  (closes kTLS sockets in use)` : "kscript module load",
  );

  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(probe.read("/proc/self/status") ?? "")?.[1];
  const CAP_SYS_ADMIN = 21n;
  const admin = capEff !== undefined && ((BigInt(`0x${capEff}`) >> CAP_SYS_ADMIN) & 1n) === 1n;
  check("CAP_SYS_ADMIN", admin, admin ? "this process has it (loading modules and scripts)" : "this process lacks it (loading modules and scripts need it)", "run kscript as root: sudo kscript …");
  return checks;
}

export function formatChecks(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.ok ? "✓" : "✗"} ${c.name.padEnd(width)}  ${c.detail}${c.ok ? "" : `  → ${c.fix}`}`).join("\n");
}

/** `kscript doctor [--json]`: 0 when every check passes, else 1. */
export function doctor(json: boolean, probe: Probe = hostProbe): number {
  const checks = runChecks(probe);
  const ok = checks.every((c) => c.ok);
  process.stdout.write((json ? JSON.stringify({ ok, checks }) : formatChecks(checks)) + "\n");
  return ok ? 0 : 1;
}
