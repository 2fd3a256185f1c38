/**
 * The kernel VM: Debian's own kernel (linux-image-amd64) under qemu with TCG, kscript.ko built against its
 * exact headers, and the host's root shared read-only over 9p so the host's Node and this kscript run inside
 * against the real /dev/kscript. Used by `kscript vm`, `kscript test --kernel` and the kernel test suite.
 * Provisioning installs Debian packages and so needs root; the module and initramfs are cached by content.
 */
import { spawn } from "node:child_process";
import { finished } from "../common/child.js";
import fs from "node:fs";
import path from "node:path";
import { cacheRoot, packageRoot } from "../common/paths.js";

const SCRIPTS = path.join(packageRoot, "vm");
/** The VM's cache: kernel image, module builds, initramfs (never inside an installed package). */
export const VM_CACHE = path.join(cacheRoot(), "kernel");
/** How long the guest has to power off once its work is done; then qemu is stopped (a wedged CPU may never let it). */
const POWER_OFF_GRACE_SECONDS = 60;
/** The guest's CPUs (qemu -smp): benchmarks size their servers' workers by it. */
export const VM_CPUS = 2;

/** The VM cannot run on this machine (not root, not x86-64 Linux, packages not installable). */
export class VmUnavailable extends Error {}

/** The kernel under test, provisioned: its version (its headers are installed) and its image, in the cache. */
export interface Kernel {
  kver: string;
  kernel: string;
}

/** What a boot without kscript.ko needs: the kernel and the initramfs. */
export interface BootImage extends Kernel {
  initrd: string;
}

export interface VmImage extends BootImage {
  ko: string;
  /** kscript's tls.ko (kmod/tls): Linux 6.1's net/tls with the recv hook; guests insmod it after kscript.ko. */
  tlsKo: string;
  /** Folder of the user-space servers built from kmod/servers (ulp-server …) for the guest. */
  servers: string;
  /** Folder of the BPF objects built from kmod/bpf: kscript_xdp.o (the XDP hook's program) and the benchmark's. */
  bpf: string;
  /** Folder of the SM4 cipher modules built from linux-source (kmod/sm4): sm4.ko, then sm4_generic.ko, before tls.ko for SM4-GCM/CCM. */
  sm4: string;
}

function keyValues(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}

/** Runs one of the harness's scripts; asynchronous so that a caller (the test suite) can do other work meanwhile. */
async function script(name: string, args: string[]): Promise<Map<string, string>> {
  const { status, signal, stdout, stderr } = await finished("sh", [path.join(SCRIPTS, name), ...args]);
  if (status === 77) throw new VmUnavailable(`${name}: ${stderr.trim() || "cannot provision"}`);
  if (status !== 0) throw new Error(`${name} failed (${status ?? signal}):\n${stderr}\n${stdout}`);
  return keyValues(stdout);
}

type Prepared<T> = T & { seconds: { provision: number; build: number } };

/** Installs what the VM needs (Debian packages, the kernel image). */
export async function provisionVm(cache = VM_CACHE): Promise<Kernel> {
  if (process.platform !== "linux" || process.arch !== "x64") throw new VmUnavailable("needs x86-64 Linux");
  if (process.getuid?.() !== 0) throw new VmUnavailable("needs root (installs Debian packages, runs qemu)");
  fs.mkdirSync(cache, { recursive: true });
  const out = await script("provision.sh", [cache]);
  const kver = out.get("KVER");
  const kernel = out.get("KERNEL");
  if (!kver || !kernel) throw new Error("provision.sh printed no KVER or KERNEL");
  return { kver, kernel };
}

/**
 * Builds (or reuses) the initramfs and, unless `what` is "boot" (a boot without kscript.ko), the module,
 * tls.ko, servers and BPF objects for the provisioned kernel.
 */
export async function buildVm(cache: string, kernel: Kernel, what?: "all"): Promise<VmImage>;
export async function buildVm(cache: string, kernel: Kernel, what: "boot"): Promise<BootImage>;
export async function buildVm(cache: string, kernel: Kernel, what: "all" | "boot" = "all"): Promise<BootImage | VmImage> {
  const built = await script("build.sh", [cache, kernel.kver, packageRoot, what]);
  const boot: BootImage = { ...kernel, initrd: built.get("INITRD")! };
  if (what === "boot") return boot;
  return { ...boot, ko: built.get("KO")!, tlsKo: built.get("TLS_KO")!, servers: built.get("SERVERS")!, bpf: built.get("BPF")!, sm4: built.get("SM4")! };
}

/** provisionVm, then buildVm; `seconds` says how long each took. */
export async function prepareVm(cache?: string, what?: "all"): Promise<Prepared<VmImage>>;
export async function prepareVm(cache: string | undefined, what: "boot"): Promise<Prepared<BootImage>>;
export async function prepareVm(cache = VM_CACHE, what: "all" | "boot" = "all"): Promise<Prepared<BootImage | VmImage>> {
  const t0 = performance.now();
  const kernel = await provisionVm(cache);
  const t1 = performance.now();
  const image = what === "boot" ? await buildVm(cache, kernel, "boot") : await buildVm(cache, kernel);
  return { ...image, seconds: { provision: (t1 - t0) / 1000, build: (performance.now() - t1) / 1000 } };
}

/** The parameters a kscript.ko takes (its .modinfo's parmtype= entries). */
export function moduleParams(ko: string): string[] {
  return [...fs.readFileSync(ko).toString("latin1").matchAll(/parmtype=(\w+):/g)].map((m) => m[1]);
}

export interface BootOptions {
  /** A JavaScript file the guest runs with the host's Node once the module is loaded; none: a shell. */
  runner?: string;
  runnerArgs?: string[];
  /** Folder (on the host's root) the runner or shell starts in. */
  cwd: string;
  /** Writable folder shared with the guest: the runner gets it as /run/kscript-out; init.log and dmesg.txt land there. */
  out: string;
  timeoutSeconds: number;
  /** Where the serial console goes: a file in `out`, or this terminal (interactive). */
  console: "file" | "terminal";
  /** kscript.ko's parameters (name=value); false: boot without loading kscript.ko. */
  module?: string[] | false;
  /** A file in `out` the guest writes when its work is done: from then on qemu has a grace period to exit. */
  doneFile?: string;
}

/** Boots the VM and resolves with qemu's exit status once the guest powers off. */
export function bootVm(image: BootImage & { ko?: string }, options: BootOptions): Promise<number> {
  if (options.module !== false && image.ko === undefined) throw new Error("bootVm: loading kscript.ko needs prepareVm's whole build, not 'boot'");
  fs.mkdirSync(options.out, { recursive: true });
  const runArgs = options.runner ? [options.runner, ...(options.runnerArgs ?? [])] : [];
  // The kernel command line carries the run; spaces inside an argument would split it.
  const params = options.module === false ? [] : (options.module ?? []);
  for (const a of [...runArgs, ...params, options.cwd]) {
    if (/[\s,]/.test(a)) throw new Error(`the VM cannot pass '${a}': paths and arguments must not contain spaces or commas`);
  }
  const append = [
    "console=ttyS0",
    "loglevel=4",
    "panic=-1",
    // Strict lockup detectors: a CPU held 10 s, a task blocked 60 s or an RCU stall panics the guest (its
    // results then go missing and the suite fails).
    "watchdog_thresh=5",
    "softlockup_panic=1",
    "hung_task_panic=1",
    "sysctl.kernel.hung_task_timeout_secs=60",
    "sysctl.kernel.panic_on_rcu_stall=1",
    // No crypto self-tests: under TCG they are seconds of CPU at boot and at each cipher's first use (tls.ko,
    // SM4), in kernel code that does not reschedule, and on a busy host one tripped the detectors above
    // before anything of ours ran.
    "cryptomgr.notests=1",
    `ks_ko=${options.module === false ? "" : image.ko}`,
    `ks_params=${params.join(",")}`,
    `ks_node=${process.execPath}`,
    `ks_repo=${packageRoot}`,
    `ks_cwd=${options.cwd}`,
    `ks_run=${runArgs.join(",")}`,
  ].join(" ");
  const qemuArgs = [
    // A baseline CPU: with TCG's emulation of `-cpu max` features, Node's JIT crashed under heavy work (tsc).
    ...["-accel", "tcg", "-cpu", "qemu64", "-smp", String(VM_CPUS), "-m", "1024", "-nographic", "-no-reboot"],
    ...["-kernel", image.kernel, "-initrd", image.initrd, "-append", append],
    ...["-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"],
    ...["-virtfs", `local,path=${options.out},mount_tag=out,security_model=none`],
  ];
  const consoleFile = options.console === "file" ? fs.openSync(path.join(options.out, "console.log"), "w") : undefined;
  const child = spawn("timeout", ["--kill-after=10", String(options.timeoutSeconds), "qemu-system-x86_64", ...qemuArgs], {
    stdio: consoleFile === undefined ? "inherit" : ["ignore", consoleFile, consoleFile],
  });
  // `timeout` runs in a process group of its own: when we are told to stop, it must be told too (it passes
  // the signal on to qemu), or the VM outlives us.
  const stop = (signal: NodeJS.Signals) => {
    child.kill(signal);
    process.exitCode = 128 + (signal === "SIGINT" ? 2 : signal === "SIGHUP" ? 1 : 15);
  };
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGHUP", "SIGINT"];
  for (const s of signals) process.on(s, stop);
  // Work done but no power-off: qemu is told to stop (SIGTERM through timeout), whatever the guest's state.
  let doneAt: number | undefined;
  const poll = setInterval(() => {
    if (options.doneFile === undefined) return;
    if (doneAt === undefined && fs.existsSync(path.join(options.out, options.doneFile))) doneAt = performance.now();
    if (doneAt !== undefined && performance.now() - doneAt > POWER_OFF_GRACE_SECONDS * 1000) {
      process.stderr.write(`kscript: the guest did not power off within ${POWER_OFF_GRACE_SECONDS} s of finishing; stopping qemu\n`);
      child.kill("SIGTERM");
      clearInterval(poll);
    }
  }, 1000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearInterval(poll);
      for (const s of signals) process.off(s, stop);
      if (consoleFile !== undefined) fs.closeSync(consoleFile);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/** The key=value lines the guest's init wrote (insmod, runner, rmmod, tainted …). */
export function readInitLog(out: string): Map<string, string> {
  const file = path.join(out, "init.log");
  const m = new Map<string, string>();
  if (!fs.existsSync(file)) return m;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const sp = line.indexOf(" ");
    if (sp > 0) m.set(line.slice(0, sp), line.slice(sp + 1));
  }
  return m;
}
