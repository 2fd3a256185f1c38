/** What the kernel test files read: the session's results, once the global set-up's session is done. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { inject } from "vitest";
import { readInitLog } from "../../vm/vm.js";
import type { SuiteStatus } from "./guest/suites.js";
import type { Lane, SessionFile } from "./session.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The session's folder (session.ts, runSession). */
    kernelSession: string;
  }
}

export interface LaneRun {
  /** init.log's key=value lines (insmod, shell, rmmod, tainted …). */
  init: Map<string, string>;
  console: string;
  dmesg: string;
}

export interface SuiteRun {
  /** The suite's output. */
  log: string;
  /** The guest runner's account of the suite; undefined if it never finished (the VM stopped). */
  status: SuiteStatus | undefined;
  /** The suite's folder (the guest's KS_OUT). */
  dir: string;
  lane: LaneRun;
}

/** Waits for the session (started by the global set-up) to finish. */
async function session(): Promise<{ dir: string; file: SessionFile }> {
  const dir = inject("kernelSession");
  const done = path.join(dir, "session.json");
  while (!existsSync(done)) await new Promise((r) => setTimeout(r, 1000));
  return { dir, file: JSON.parse(readFileSync(done, "utf8")) as SessionFile };
}

/** How long a kernel test file's beforeAll waits for the session: the session ends itself, this is a backstop. */
export const SESSION_WAIT_MS = 3 * 3600 * 1000;

/** A lane's logs: what every suite of it ran under. */
export async function laneRun(lane: Lane): Promise<LaneRun | { skip: string }> {
  const { file } = await session();
  if (file.skip !== undefined) return { skip: file.skip };
  if (file.error !== undefined) throw new Error(file.error);
  if (!Object.values(file.suites).includes(lane)) return { skip: `no suite of lane ${lane} is selected by KSCRIPT_SUITES` };
  const share = file.lanes[lane];
  if (share === undefined) throw new Error(`lane ${lane} did not run`);
  const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");
  return { init: readInitLog(share), console: read(path.join(share, "../console.log")), dmesg: read(path.join(share, "dmesg.txt")) };
}

/** A suite's results, or the reason the kernel tests skip here. */
export async function suiteRun(name: string): Promise<SuiteRun | { skip: string }> {
  const { file } = await session();
  if (!(name in file.suites)) return { skip: `suite ${name} is not selected by KSCRIPT_SUITES` };
  const lane = await laneRun(file.suites[name]);
  if ("skip" in lane) return lane;
  const dir = path.join(file.lanes[file.suites[name]]!, name);
  const read = (f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), "utf8") : "");
  const status = read("status.json");
  return { log: read("log"), status: status ? (JSON.parse(status) as SuiteStatus) : undefined, dir, lane };
}

/** A run for a test: the test skips when the kernel tests cannot run here. */
export function ran<T extends object>(run: T | { skip: string } | undefined, skip: (note?: string) => void): T {
  if (run === undefined) throw new Error("the kernel session did not report");
  if ("skip" in run) skip(run.skip);
  return run as T;
}
