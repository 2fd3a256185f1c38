/**
 * Runs kernel suites one after another inside one VM session (test/kernel/session.ts types this in the
 * `kscript vm` shell):   node suites.js OUT PLAN
 * PLAN is JSON: { repo, suites: [{ name, cwd, script }] }. Each suite's shell script runs with `kscript` on PATH and
 * KS_OUT set to OUT/<name>/, where its output goes (`log`) and, when done, `status.json`.
 *
 * Timeouts come from progress, not from the clock: a suite is stopped only when nothing in its folder has
 * grown for IDLE_SECONDS, however slow the machine. Whatever a suite leaves behind (processes, namespaces,
 * loaded scripts, tls.ko, the SM4 modules, changed module parameters) is cleared before the next starts, so
 * one failure does not cascade into the following suites.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { closeDevice, list, openDevice, unload } from "../../../device/client.js";

export interface PlannedSuite {
  name: string;
  cwd: string;
  script: string;
}

export interface Plan {
  /** The kscript checkout whose CLI the suites run. */
  repo: string;
  suites: PlannedSuite[];
}

export interface SuiteStatus {
  name: string;
  /** The script's exit status; null when it was stopped. */
  status: number | null;
  seconds: number;
  /** Why it was stopped, if it was. */
  stopped?: string;
  /** What had to be cleared after it (a clean suite leaves nothing). */
  cleared: string[];
}

const IDLE_SECONDS = 300;
const PARAMETERS = "/sys/module/kscript/parameters";

const [out, planFile] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, "utf8")) as Plan;

// `kscript` as a user has it installed: a command on PATH, for the scripts and for what they start.
const bin = "/run/ks-bin";
mkdirSync(bin, { recursive: true });
writeFileSync(path.join(bin, "kscript"), `#!/bin/sh\nexec ${process.execPath} ${plan.repo}/bin/kscript.js "$@"\n`);
chmodSync(path.join(bin, "kscript"), 0o755);
const env = { ...process.env, PATH: [bin, path.dirname(process.execPath), "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":") };
/** The module's parameters as the session found them: suites change some (pool_max, the limits). */
const parameters = new Map(readdirSync(PARAMETERS).map((p) => [p, readFileSync(path.join(PARAMETERS, p), "utf8").trim()]));

/** Bytes written so far under a folder: the suite's progress. */
function size(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? size(p) : (statSync(p, { throwIfNoEntry: false })?.size ?? 0);
  }
  return n;
}

function run(suite: PlannedSuite): Promise<Omit<SuiteStatus, "cleared">> {
  const dir = path.join(out, suite.name);
  mkdirSync(dir, { recursive: true });
  const script = path.join("/run", `ks-suite-${suite.name}.sh`);
  writeFileSync(script, suite.script);
  const log = openSync(path.join(dir, "log"), "w");
  const t0 = performance.now();
  // A process group of its own: stopping the suite stops everything it started.
  const child = spawn("sh", [script], { cwd: suite.cwd, env: { ...env, KS_OUT: dir }, stdio: ["ignore", log, log], detached: true });
  closeSync(log);
  let last = -1;
  let idle = 0;
  let stopped: string | undefined;
  const watch = setInterval(() => {
    const now = size(dir);
    idle = now === last ? idle + 1 : 0;
    last = now;
    if (idle >= IDLE_SECONDS && stopped === undefined) {
      stopped = `no progress for ${IDLE_SECONDS} s`;
      process.kill(-child.pid!, "SIGKILL");
    }
  }, 1000);
  return new Promise((resolve) => {
    child.on("exit", (status) => {
      clearInterval(watch);
      const group = -child.pid!;
      try {
        process.kill(group, "SIGKILL"); // servers the script left running
      } catch {
        // none left
      }
      resolve({ name: suite.name, status: stopped ? null : status, seconds: (performance.now() - t0) / 1000, stopped });
    });
  });
}

/** Back to the state the session started in; says what it found. */
function clear(): string[] {
  const cleared: string[] = [];
  const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8", env }).stdout.trim();
  if (netns) {
    spawnSync("ip", ["-all", "netns", "delete"], { env });
    cleared.push(`namespaces: ${netns.split("\n").map((l) => l.split(" ")[0]).join(" ")}`);
  }
  const fd = openDevice();
  try {
    for (const s of list(fd)) {
      try {
        unload(fd, s.name);
        cleared.push(`script ${s.name}`);
      } catch (err) {
        cleared.push(`script ${s.name} (cannot unload: ${err instanceof Error ? err.message : String(err)})`);
      }
    }
  } finally {
    closeDevice(fd);
  }
  for (const [name, value] of parameters) {
    const file = path.join(PARAMETERS, name);
    if (readFileSync(file, "utf8").trim() === value) continue;
    writeFileSync(file, value);
    cleared.push(`${name} back to ${value}`);
  }
  if (existsSync("/sys/module/tls")) {
    const r = spawnSync("busybox", ["rmmod", "tls"], { encoding: "utf8", env });
    cleared.push(r.status === 0 ? "tls.ko" : `tls.ko (cannot unload: ${r.stderr.trim()})`);
  }
  // The SM4 cipher (kmod/sm4), the library after its user.
  for (const m of ["sm4_generic", "sm4"]) {
    if (!existsSync(`/sys/module/${m}`)) continue;
    const r = spawnSync("busybox", ["rmmod", m], { encoding: "utf8", env });
    cleared.push(r.status === 0 ? `${m}.ko` : `${m}.ko (cannot unload: ${r.stderr.trim()})`);
  }
  return cleared;
}

let failed = 0;
for (const suite of plan.suites) {
  console.log(`suite ${suite.name}: started`);
  const result = await run(suite);
  const status: SuiteStatus = { ...result, cleared: clear() };
  writeFileSync(path.join(out, suite.name, "status.json"), JSON.stringify(status) + "\n");
  if (status.status !== 0) failed++;
  console.log(`suite ${suite.name}: ${status.stopped ?? `exit ${status.status}`} in ${status.seconds.toFixed(1)} s`);
}
process.exit(failed === 0 ? 0 : 1);
