/**
 * `kscript vm [dir] [-- COMMAND…]`: Debian's kernel in qemu with kscript.ko loaded and the project folder as
 * the working directory; a shell, or the command, whose output comes back as it runs and whose exit status
 * becomes kscript's. `kscript test --kernel` boots the same VM with its runner.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError, diagnostic } from "../common/diagnostics.js";
import { VmUnavailable, bootVm, moduleParams, prepareVm, readInitLog, type BootImage, type VmImage } from "../vm/vm.js";

/** The whole run's limit unless --timeout says otherwise; then qemu is stopped, whatever the guest does. */
const DEFAULT_TIMEOUT_SECONDS = 3600;

export interface VmOptions {
  dir: string;
  /** kscript's cache folder (the VM's lives in its kernel/); default: cacheRoot(). */
  cache?: string;
  /** kscript.ko's parameters, name=value. */
  params: string[];
  /** Boot without kscript.ko (to load one with `kscript module load` inside). */
  module: boolean;
  timeout?: string;
  /** Run this and power off; none: an interactive shell. */
  command?: string[];
}

function usage(message: string): UsageError {
  return new UsageError(diagnostic("KS4001", [`${message} Run 'kscript --help' for usage.`]));
}

/**
 * The VM's image, or undefined after saying in one line why this machine cannot run it. With `module` false,
 * only what a boot without kscript.ko needs (no module build).
 */
export async function startVm(cache?: string): Promise<VmImage | undefined>;
export async function startVm(cache: string | undefined, module: boolean): Promise<BootImage | VmImage | undefined>;
export async function startVm(cache?: string, module = true): Promise<BootImage | VmImage | undefined> {
  const folder = cache === undefined ? undefined : path.join(path.resolve(cache), "kernel");
  try {
    return module ? await prepareVm(folder) : await prepareVm(folder, "boot");
  } catch (error) {
    if (!(error instanceof VmUnavailable)) throw error;
    process.stderr.write(`kscript: cannot start the kernel VM: ${error.message}\n`);
    return undefined;
  }
}

/** A shell word for `sh`: the argument exactly, whatever it holds. */
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

export async function vmCommand(options: VmOptions, cwd: string): Promise<number> {
  const root = path.resolve(cwd, options.dir);
  if (!fs.existsSync(root)) throw new UsageError(diagnostic("KS4002", [root, "Give the folder of a kscript project."]));
  const timeout = options.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(options.timeout);
  if (!Number.isSafeInteger(timeout) || timeout <= 0) throw usage(`--timeout takes a number of seconds, not '${options.timeout}'.`);
  for (const p of options.params) {
    if (!/^[A-Za-z_]\w*=[^\s,]+$/.test(p)) throw usage(`--param takes name=value (no spaces or commas), not '${p}'.`);
  }
  if (options.command !== undefined && options.command.length === 0) throw usage("'--' needs a command to run in the VM.");
  if (!options.module && options.params.length > 0) throw usage("--param sets kscript.ko's parameters; --no-module boots without it.");
  const image = await startVm(options.cache, options.module);
  if (image === undefined) return 1;
  if ("ko" in image) {
    const known = moduleParams(image.ko);
    const unknown = options.params.map((p) => p.split("=")[0]).filter((n) => !known.includes(n));
    if (unknown.length > 0) throw usage(`kscript.ko has no parameter ${unknown.map((n) => `'${n}'`).join(", ")} (it has ${known.join(", ")}).`);
  }

  const out = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-vm-"));
  process.stderr.write(`kscript: output folder ${out} (init.log, dmesg.txt${options.command ? ", console.log" : ""})\n`);
  const module = options.module ? options.params : false;
  if (options.command === undefined) {
    process.stderr.write(`kscript: booting Debian's ${image.kver} ${options.module ? "with" : "without"} kscript.ko in qemu (TCG); 'exit' powers it off\n`);
    return await bootVm(image, { cwd: root, out, timeoutSeconds: timeout, console: "terminal", module });
  }
  fs.writeFileSync(path.join(out, "command.sh"), `exec ${options.command.map(quote).join(" ")}\n`);
  const streams = [
    { file: path.join(out, "stdout"), to: process.stdout, at: 0 },
    { file: path.join(out, "stderr"), to: process.stderr, at: 0 },
  ];
  // The guest writes the command's output into the share; it reaches this terminal as it grows.
  const pump = () => {
    for (const s of streams) {
      const size = fs.statSync(s.file, { throwIfNoEntry: false })?.size ?? 0;
      if (size <= s.at) continue;
      const fd = fs.openSync(s.file, "r");
      const chunk = Buffer.alloc(size - s.at);
      s.at += fs.readSync(fd, chunk, 0, chunk.length, s.at);
      fs.closeSync(fd);
      s.to.write(chunk);
    }
  };
  const timer = setInterval(pump, 200);
  const started = performance.now();
  const qemu = await bootVm(image, { cwd: root, out, timeoutSeconds: timeout, console: "file", module, doneFile: "status" });
  clearInterval(timer);
  pump();
  const statusFile = path.join(out, "status");
  if (fs.existsSync(statusFile)) return Number(fs.readFileSync(statusFile, "utf8").trim());
  const init = readInitLog(out);
  const why =
    qemu === 124 || performance.now() - started >= timeout * 1000
      ? `it ran out of its ${timeout} s (--timeout)`
      : init.get("insmod") !== undefined && init.get("insmod") !== "0"
        ? `kscript.ko did not load (insmod ${init.get("insmod")}; dmesg.txt says why)`
        : `qemu exited with ${qemu}`;
  process.stderr.write(`kscript: the command did not finish in the VM: ${why}; its log: ${out}\n`);
  return 1;
}

/**
 * Runs the project's tests against kscript.ko: the loaded one when there is one (inside `kscript vm`, or a
 * machine with the module), else in the VM, whose vitest exit code comes back through a share.
 */
export async function testInKernel(root: string, vitestArgs: string[]): Promise<number> {
  if (fs.existsSync("/dev/kscript")) {
    const { runTestsInKernel } = await import("../runtime/run-tests.js");
    return await runTestsInKernel(root, vitestArgs);
  }
  const image = await startVm();
  if (image === undefined) return 1;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-test-kernel-"));
  const runner = fileURLToPath(new URL("../runtime/kernel-runner.js", import.meta.url));
  process.stderr.write(`kscript: running ${path.basename(root)}'s tests against kscript.ko in Debian's ${image.kver} (qemu, TCG); output folder ${out}\n`);
  await bootVm(image, { runner, runnerArgs: [root, ...vitestArgs], cwd: root, out, timeoutSeconds: 1800, console: "terminal", doneFile: "exit-code" });
  const exitFile = path.join(out, "exit-code");
  if (!fs.existsSync(exitFile)) {
    const init = readInitLog(out);
    process.stderr.write(`kscript: the VM did not finish the tests (insmod ${init.get("insmod") ?? "?"}, runner ${init.get("runner") ?? "?"}); its log: ${out}\n`);
    return 1;
  }
  return Number(fs.readFileSync(exitFile, "utf8").trim());
}
