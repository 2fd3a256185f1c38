/**
 * `kscript module build|install|load|unload`: kscript.ko and kscript's tls.ko on this machine. The build is
 * kmod/build.sh, the one the VM harness uses (module BTF from /sys/kernel/btf/vmlinux for the running kernel,
 * else from its image), cached under kscript's cache folder; install puts both under
 * /lib/modules/<version>/updates/kscript/ (updates/ comes before the distribution's kernel/ tls.ko), runs
 * depmod and registers the sources with DKMS when it is installed, so kernel upgrades rebuild them.
 * Every refusal (not root, no headers, a bad --kdir) comes before anything is changed.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError, diagnostic } from "../common/diagnostics.js";
import { cacheRoot, packageRoot, sdkPackage } from "../common/paths.js";

/** Why a module command cannot go on (one line, exit 1); nothing was changed. */
export class ModuleError extends Error {}

const KMOD = path.join(packageRoot, "kmod");
/** Where install puts the modules, under /lib/modules/<version>/ (depmod's search order puts updates/ first). */
const INSTALL_DIR = "updates/kscript";
const PATH = [process.env.PATH, "/usr/sbin", "/usr/bin", "/sbin", "/bin"].filter(Boolean).join(":");

export interface ModuleOptions {
  /** A kernel build folder (headers); default /lib/modules/$(uname -r)/build. */
  kdir?: string;
  /** The kernel's BTF (raw, as sysfs has it, or its vmlinuz image); default sysfs's or /boot's. */
  btf?: string;
  /** kscript.ko parameters for load, name=value. */
  params: string[];
}

interface Built {
  kver: string;
  ko: string;
  tlsKo: string;
}

function needRoot(action: string): void {
  if (process.getuid?.() !== 0) throw new ModuleError(`${action} needs root: sudo kscript module ${action}`);
}

function run(command: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, PATH } });
  if (r.error) throw new ModuleError(`cannot run ${command} (${["depmod", "modinfo", "modprobe", "rmmod"].includes(command) ? "apt-get install kmod" : r.error.message})`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** The kernel build folder and the version its headers are for; refuses a folder that is not one. */
function kernelBuild(given: string | undefined): { kdir: string; kver: string } {
  const release = os.release();
  const kdir = path.resolve(given ?? `/lib/modules/${release}/build`);
  if (given !== undefined && !fs.existsSync(kdir)) throw new UsageError(diagnostic("KS4002", [kdir, "Give --kdir a kernel build folder (such as /usr/src/linux-headers-<version>)."]));
  if (!fs.existsSync(path.join(kdir, "Makefile"))) {
    throw new ModuleError(given === undefined ? `no kernel headers for ${release} at ${kdir}: apt-get install linux-headers-${release}` : `${kdir} is not a kernel build folder (no Makefile)`);
  }
  const uts = fs.readFileSync(path.join(kdir, "include/generated/utsrelease.h"), { encoding: "utf8", flag: "r" }).match(/UTS_RELEASE "(.*)"/)?.[1];
  if (uts === undefined) throw new ModuleError(`${kdir} is not a prepared kernel build folder (no include/generated/utsrelease.h)`);
  return { kdir, kver: uts };
}

/**
 * The kernel's BTF, which module BTF is made against: the one given, else the running kernel's from sysfs
 * when the headers are its own, else the image in /boot (a kernel installed but not booted yet).
 */
function kernelBtf(kver: string, given: string | undefined): string {
  if (given !== undefined) {
    const btf = path.resolve(given);
    if (!fs.existsSync(btf)) throw new UsageError(diagnostic("KS4002", [btf, `Give --btf the BTF of the ${kver} kernel: /sys/kernel/btf/vmlinux once it runs, or its /boot/vmlinuz-${kver}.`]));
    return btf;
  }
  if (kver === os.release() && fs.existsSync("/sys/kernel/btf/vmlinux")) return "/sys/kernel/btf/vmlinux";
  const image = `/boot/vmlinuz-${kver}`;
  if (fs.existsSync(image)) return image;
  throw new ModuleError(`no BTF for ${kver}: neither /sys/kernel/btf/vmlinux (of the running kernel) nor ${image}: --btf FILE`);
}

/** kmod/build.sh, its progress lines passed on; resolves with the modules it built (or found cached). */
function build(options: ModuleOptions): Promise<Built> {
  const { kdir, kver } = kernelBuild(options.kdir);
  const btf = kernelBtf(kver, options.btf);
  const cache = path.join(cacheRoot(), "module");
  const child = spawn("sh", [path.join(KMOD, "build.sh"), kdir, btf, cache], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, PATH } });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status) => {
      if (status !== 0) return reject(new ModuleError(`the module build failed (exit ${status}); its messages are above`));
      const get = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(stdout)?.[1];
      const ko = get("KO");
      const tlsKo = get("TLS_KO");
      if (ko === undefined || tlsKo === undefined) return reject(new Error(`kmod/build.sh printed no KO/TLS_KO:\n${stdout}`));
      resolve({ kver, ko, tlsKo });
    });
  });
}

/**
 * Registers the module sources with DKMS (kmod/dkms.conf) when DKMS is installed, so that each new kernel
 * gets its kscript.ko and tls.ko built and installed; returns what it did, for the user.
 */
function registerDkms(): string {
  if (spawnSync("dkms", ["--version"], { env: { ...process.env, PATH } }).error) {
    return "dkms is not installed: after a kernel upgrade, run kscript module install again (or apt-get install dkms, then install again)";
  }
  const version = sdkPackage.version;
  const src = `/usr/src/kscript-${version}`;
  fs.rmSync(src, { recursive: true, force: true });
  fs.cpSync(KMOD, src, { recursive: true, filter: (f) => !/\/(lua-5\.3\.6|linux|servers|bpf)$|\.(o|ko|cmd|mod)$/.test(f) });
  fs.writeFileSync(path.join(src, "dkms.conf"), fs.readFileSync(path.join(KMOD, "dkms.conf"), "utf8").replace(/@VERSION@/g, version));
  const status = run("dkms", ["status", `kscript/${version}`]);
  if (status.output === "") {
    const add = run("dkms", ["add", `kscript/${version}`]);
    if (add.status !== 0) throw new ModuleError(`dkms add kscript/${version}: ${add.output}`);
  }
  return `registered with DKMS as kscript/${version} (${src}): new kernels get it built and installed`;
}

export async function moduleCommand(action: string, options: ModuleOptions): Promise<number> {
  const say = (line: string) => process.stdout.write(line + "\n");
  switch (action) {
    case "build": {
      const built = await build(options);
      say(`built for ${built.kver}: ${built.ko}, ${built.tlsKo}`);
      return 0;
    }
    case "install": {
      needRoot("install");
      const built = await build(options);
      const dir = path.join("/lib/modules", built.kver, INSTALL_DIR);
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(built.ko, path.join(dir, "kscript.ko"));
      fs.copyFileSync(built.tlsKo, path.join(dir, "tls.ko"));
      say(`installed kscript.ko and tls.ko in ${dir}`);
      const depmod = run("depmod", ["-a", built.kver]);
      if (depmod.status !== 0) throw new ModuleError(`depmod -a ${built.kver}: ${depmod.output}`);
      say(`depmod -a ${built.kver}: done (modprobe kscript, modprobe tls find them)`);
      say(registerDkms());
      return 0;
    }
    case "load": {
      needRoot("load");
      const installed = run("modinfo", ["-n", "tls"]);
      if (installed.status !== 0 || !installed.output.includes(`/${INSTALL_DIR}/`)) {
        throw new ModuleError(`kscript's tls.ko is not installed for ${os.release()}${installed.status === 0 ? ` (tls is ${installed.output})` : ""}: kscript module install`);
      }
      // The distribution's tls.ko has to go first (kscript's takes its place); refused while kTLS sockets use it.
      if (fs.existsSync("/sys/module/tls") && !fs.existsSync("/sys/module/kscript/holders/tls")) {
        const rm = run("rmmod", ["tls"]);
        if (rm.status !== 0) throw new ModuleError(`the distribution's tls.ko is loaded and cannot be unloaded (${rm.output}); close the kTLS sockets using it and retry`);
        say("unloaded the distribution's tls.ko");
      }
      if (!fs.existsSync("/sys/module/kscript")) {
        const probe = run("modprobe", ["kscript", ...options.params]);
        if (probe.status !== 0) throw new ModuleError(`modprobe kscript: ${probe.output}`);
      } else if (options.params.length > 0) {
        throw new ModuleError("kscript.ko is already loaded; its parameters are in /sys/module/kscript/parameters/ (or kscript module unload first)");
      }
      const tls = run("modprobe", ["tls"]);
      if (tls.status !== 0) throw new ModuleError(`modprobe tls: ${tls.output}`);
      say("loaded kscript.ko and kscript's tls.ko");
      return 0;
    }
    case "unload": {
      needRoot("unload");
      if (!fs.existsSync("/sys/module/kscript")) {
        say("kscript.ko is not loaded");
        return 0;
      }
      for (const m of ["tls", "kscript"]) {
        if (m === "tls" && !fs.existsSync("/sys/module/kscript/holders/tls")) continue;
        if (!fs.existsSync(`/sys/module/${m}`)) continue;
        const rm = run("rmmod", [m]);
        if (rm.status !== 0) throw new ModuleError(`rmmod ${m}: ${rm.output} (unload its scripts and detach its XDP interfaces first: kscript ls)`);
      }
      say("unloaded kscript's tls.ko and kscript.ko");
      return 0;
    }
    default:
      throw new UsageError(diagnostic("KS4001", [`'module' takes build, install, load or unload, not '${action}'. Run 'kscript --help' for usage.`]));
  }
}
