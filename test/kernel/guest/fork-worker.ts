/** A worker process of a guest suite: `started` once it is about to call (its first IPC message), `done` with its output line. */
import { fork } from "node:child_process";

export function forkWorker(file: string, args: string[]): { started: Promise<void>; done: Promise<string> } {
  const child = fork(file, args, { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  const started = new Promise<void>((resolve) => child.once("message", () => resolve()));
  const done = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`worker ${args.join(" ")} exited ${code}: ${out}`))));
  });
  return { started, done };
}
