/**
 * `kscript vm` driven like a user at its shell: the real CLI boots the VM, and the commands run in the
 * guest's shell in the given folder. Kernel end-to-end tests use it so that every step goes through the
 * real `kscript` and the real clients (curl, dig, ip).
 */
import { spawn } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../../common/paths.js";
import { VM_CACHE } from "../../vm/vm.js";

const bin = path.join(packageRoot, "bin", "kscript.js");

/** Kernel log lines that fail any kernel test: the module must never oops, warn or leak a BUG. */
export const BAD_KERNEL_LOG = /Oops|BUG:|WARNING:|kernel BUG|general protection|Call Trace|Kernel panic|stack-protector|RIP: 0010/;

/**
 * Runs `kscript vm` in `cwd`, types `commands` at its shell once it is up, and returns what the console
 * showed, each command's output followed by `[status N]`, with the shell's prompts removed.
 */
export function vmSession(cwd: string, commands: string[], timeoutMs = 300_000): Promise<string> {
  const child = spawn(process.execPath, [bin, "vm", cwd], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  let typed = false;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (!typed && output.includes("kscript.ko is loaded")) {
      typed = true;
      // Each command's status is echoed, so the test reads exit codes as well as output.
      child.stdin.write(commands.map((c) => `${c}; echo "[status $?]"`).join("\n") + "\nexit\n");
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM"); // kscript vm stops its qemu
      reject(new Error(`kscript vm did not finish:\n${output}`));
    }, timeoutMs);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve(output.replace(/\r/g, "").replace(/^# /gm, ""));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * This process's folder for a VM run's output (`<prefix>-<pid>` in the VM cache), after removing those of
 * finished runs; a concurrent run (another process on the same cache) keeps its own.
 */
export function runFolder(prefix: string): string {
  const pattern = new RegExp(`^${prefix}-(\\d+)$`);
  for (const old of readdirSync(VM_CACHE)) {
    const pid = pattern.exec(old)?.[1];
    if (pid !== undefined && !alive(Number(pid))) rmSync(path.join(VM_CACHE, old), { recursive: true, force: true });
  }
  return path.join(VM_CACHE, `${prefix}-${process.pid}`);
}
