/** Running a command to its end, asynchronously (a caller such as the kernel test session does other work meanwhile). */
import { spawn, type SpawnOptions } from "node:child_process";

/** How a command ended and what it printed. */
export interface Finished {
  command: string[];
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Resolves when `command` has ended, whatever its status (the caller judges it); rejects only when it cannot start. */
export function finished(command: string, args: readonly string[], options: Pick<SpawnOptions, "cwd" | "env"> = {}): Promise<Finished> {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ command: [command, ...args], status, signal, stdout, stderr }));
  });
}
